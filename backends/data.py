"""Turn the data Sedna passes to a backend into checked NumPy arrays.

Sedna's jobs pass a ``BaseDataSource`` (an object with ``x`` and ``y``); users of the
backends directly often pass ``(x, y)`` tuples or a bare feature array. :func:`as_arrays`
accepts all three and checks what a classifier needs, with messages that name the
argument and say what was expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_arrays", "batches"]


def _split(data: Any, argument: str) -> tuple[Any, Any]:
    if data is None:
        raise TypeError(f"{argument} is required: pass an object with .x and .y "
                        "(Sedna's BaseDataSource), an (x, y) tuple or a feature array; got None")
    if hasattr(data, "x"):
        return data.x, getattr(data, "y", None)
    if isinstance(data, tuple | list) and len(data) == 2:
        return data[0], data[1]
    return data, None


def as_arrays(data: Any, argument: str = "data", *, labels: bool = True,
              feature_shape: tuple[int, ...] | None = None,
              num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(x, y)`` as float32 and int32 arrays, checked.

    ``labels=True`` requires labels; ``feature_shape`` is the expected shape of one
    sample; ``num_classes`` bounds the labels. Float64 features are cast to float32.
    Raises ``TypeError`` for wrong types and ``ValueError`` for wrong values, naming
    ``argument``.
    """
    raw_x, raw_y = _split(data, argument)
    try:
        x = np.asarray(raw_x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{argument}.x must be an array of numbers: {exc}") from None
    if x.dtype == object or not (np.issubdtype(x.dtype, np.floating)
                                 or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(f"{argument}.x must hold real numbers (float32 preferred), "
                        f"got dtype {x.dtype}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{argument} is empty: expected at least one sample, got x of "
                         f"shape {x.shape}")
    if feature_shape is not None and tuple(x.shape[1:]) != tuple(feature_shape):
        raise ValueError(f"{argument}.x must have shape (N, {', '.join(map(str, feature_shape))})"
                         f", got {x.shape}")
    x = x.astype(np.float32, copy=True)
    if not np.isfinite(x).all():
        raise ValueError(f"{argument}.x holds NaN or infinite values "
                         f"({int((~np.isfinite(x)).sum())} of {x.size}); clean the data first")
    if raw_y is None:
        if labels:
            raise ValueError(f"{argument} has no labels: pass an object with .x and .y or "
                             "an (x, y) tuple")
        return x, None
    y = np.asarray(raw_y)
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and y.size and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"{argument}.y must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"{argument}.y must have shape ({x.shape[0]},) to match "
                         f"{argument}.x, got {y.shape}")
    if num_classes is not None and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{argument}.y must hold labels in [0, {num_classes - 1}], got "
                         f"values in [{y.min()}, {y.max()}]")
    return x, y.astype(np.int32)


def batches(n: int, batch_size: int, rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """Index batches over ``n`` samples, shuffled by ``rng`` when given."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = rng.permutation(n) if rng is not None else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
