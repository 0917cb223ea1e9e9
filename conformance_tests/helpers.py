"""Small comparisons the clauses share."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["arrays", "expect_pure", "expect_refused", "first_difference",
           "same_weights", "shapes", "weights_of"]


def arrays(weights: Any, as_array: Any = np.asarray) -> list[np.ndarray]:
    """Weights (lists, arrays or tensors, read with ``as_array``) as float64 arrays."""
    return [np.asarray(as_array(w), dtype=np.float64) for w in weights]


def shapes(weights: Any) -> list[tuple[int, ...]]:
    """The shape of each weight."""
    return [np.shape(w) for w in weights]


def same_weights(a: Any, b: Any) -> bool:
    """Exactly equal weight lists (count, shapes and values)."""
    return len(a) == len(b) and all(_same_weight(x, y) for x, y in zip(a, b, strict=True))


def _same_weight(x: Any, y: Any) -> bool:
    if isinstance(x, list) and isinstance(y, list):
        # Nested lists (what get_weights returns) compare exactly, nesting included, and
        # ten times faster than converting them to arrays first.
        return x == y
    left, right = _float_arrays(x, y)
    return left.shape == right.shape and np.array_equal(left, right)


def _float_arrays(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def first_difference(a: Any, b: Any) -> str:
    """Where two weight lists first differ, for messages."""
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} arrays"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if _same_weight(x, y):
            continue
        left, right = _float_arrays(x, y)
        if left.shape != right.shape:
            return f"weights[{i}] shape {left.shape} vs {right.shape}"
        return f"weights[{i}] differs by up to {np.abs(left - right).max():.3g}"
    return "no difference"


def expect_pure(c: Any, backend: Any, method: str, calls: Any) -> None:
    """Fail unless running ``calls(backend)`` leaves the model state and predictions alone."""
    __tracebackhide__ = True
    state = c.state(backend)
    first = c.array(backend.predict(c.x()))
    calls(backend)
    after = c.state(backend)
    c.expect(state.same(after), f"{method} changed the model: {state.difference(after)}",
             "an unchanged model")
    again = c.array(backend.predict(c.x()))
    tol = c.profile.tolerances
    c.expect(np.allclose(first, again, atol=tol.batch_atol, rtol=tol.batch_rtol),
             f"predictions after {method} differ by up to {np.abs(first - again).max():.3g}",
             "unchanged predictions")


def expect_refused(c: Any, backend: Any, what: str, errors: tuple[type[BaseException], ...],
                   call: Any, *args: Any, **kwargs: Any) -> None:
    """Fail unless ``call(*args, **kwargs)`` raises one of ``errors`` and leaves the model."""
    __tracebackhide__ = True
    expected = " or ".join(e.__name__ for e in errors)
    before = c.state(backend)
    try:
        call(*args, **kwargs)
    except errors:
        pass
    except Exception as error:
        c.fail(f"{type(error).__name__}: {str(error)[:160]} for {what}", expected)
    else:
        c.fail(f"no error for {what}", expected)
    c.expect_unchanged(before, backend, f"refusing {what}")


def weights_of(c: Any, backend: Any) -> Any:
    """``backend.get_weights()``, failing the clause plainly when it gives no weights."""
    __tracebackhide__ = True
    try:
        weights = backend.get_weights()
    except Exception as error:
        c.fail(f"get_weights() raised {type(error).__name__}: {str(error)[:120]}",
               "a list of arrays")
    if not isinstance(weights, list | tuple) or not weights:
        c.fail(f"get_weights() returned {repr(weights)[:60]}", "a non-empty list of arrays")
    return weights
