"""Hypothesis strategies for malformed inputs, reusable by backend authors.

Each *fault* turns valid features ``x`` (and labels ``y``) into one kind of bad input;
:func:`bad_samples` draws the fault's parameters (where a NaN goes, how many rows
are dropped, ...). A draw is a :class:`BadInput` whose ``label`` says in words what
is wrong, so a failing example reads like a reproduction. A draw that turns out to be
valid for the data's own sample shape (say, a "wrong rank" that reshapes to the same
shape) is discarded, never tried: every input tried is really malformed. Labelled bad
inputs keep the caller's data class: they are shallow copies of ``like`` with ``x`` and
``y`` replaced, or :class:`Samples` when no ``like`` is given.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

__all__ = ["FEATURE_FAULTS", "LABEL_FAULTS", "BadInput", "Samples", "bad_features",
           "bad_samples", "is_valid"]


@dataclass
class Samples:
    """Labelled samples shaped like Sedna's ``BaseDataSource``: ``x``, ``y``, ``len()``."""

    x: Any
    y: Any

    def __len__(self) -> int:
        return len(self.x) if hasattr(self.x, "__len__") else 0


@dataclass
class BadInput:
    """One malformed input: ``value`` is what is passed, ``label`` what is wrong with it."""

    label: str
    value: Any

    def __repr__(self) -> str:
        return f"BadInput({self.label})"


Fault = Callable[[st.DrawFn, np.ndarray, np.ndarray, int], tuple[str, Any, Any]]


def _empty(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
    return "empty (0 samples)", x[:0], y[:0]


def _wrong_rank(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
    flat = draw(st.booleans())
    if flat and x.ndim == 2:  # tabular samples are already flat: add an axis instead
        return f"wrong rank: an extra axis {x[..., None].shape}", x[..., None], y
    if flat:
        return f"wrong rank: flattened to {x.reshape(len(x), -1).shape}", \
            x.reshape(len(x), -1), y
    return f"wrong rank: one sample without batch axis {x[0].shape}", x[0], y[:1]


def _wrong_shape(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
    axis = draw(st.integers(1, x.ndim - 1))
    cut = np.take(x, range(x.shape[axis] - 1), axis=axis)
    return f"wrong sample shape {cut.shape[1:]} (expected {x.shape[1:]})", cut, y


def _length_mismatch(draw: st.DrawFn, x: np.ndarray, y: np.ndarray,
                     k: int) -> tuple[str, Any, Any]:
    drop = draw(st.integers(1, max(1, len(y) - 1)))
    return f"{len(x)} samples but {len(y) - drop} labels", x, y[:len(y) - drop]


def _label_range(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
    bad = draw(st.sampled_from([-1, k, k + 7]))
    row = draw(st.integers(0, len(y) - 1))
    y = y.copy()
    y[row] = bad
    return f"label {bad} at row {row} outside [0, {k - 1}]", x, y


def _non_finite(value: float, name: str) -> Fault:
    def fault(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
        index = tuple(draw(st.integers(0, n - 1)) for n in x.shape)
        x = x.copy()
        x[index] = value
        return f"{name} at {index}", x, y
    return fault


def _none(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
    return "None", None, None


def _dtype(dtype: str) -> Fault:
    def fault(draw: st.DrawFn, x: np.ndarray, y: np.ndarray, k: int) -> tuple[str, Any, Any]:
        if dtype == "str":
            return "features of strings", x.astype(str), y
        if dtype == "object":
            return "features of Python objects", x.astype(object), y
        return f"features of dtype {dtype}", x.astype(dtype), y
    return fault


#: Faults of the features alone (also what ``predict`` is tried with).
FEATURE_FAULTS: dict[str, Fault] = {
    "empty": _empty, "wrong-rank": _wrong_rank, "wrong-shape": _wrong_shape,
    "nan": _non_finite(np.nan, "NaN"), "inf": _non_finite(np.inf, "+inf"),
    "none": _none, "str-dtype": _dtype("str"), "object-dtype": _dtype("object"),
    "complex-dtype": _dtype("complex64"),
}
#: Faults that need labels (``train`` and ``evaluate`` are tried with these too).
LABEL_FAULTS: dict[str, Fault] = {"length-mismatch": _length_mismatch,
                                  "label-range": _label_range}


def is_valid(x: np.ndarray, bad_x: Any, bad_y: Any, num_classes: int, labelled: bool) -> bool:
    """Whether a drawn input is in fact valid data shaped like ``x``: non-empty, real
    finite numbers of ``x``'s rank and sample shape, with one in-range label per sample.
    """
    if not isinstance(bad_x, np.ndarray) or bad_x.dtype.kind not in "fiu":
        return False
    if bad_x.ndim != x.ndim or bad_x.shape[1:] != x.shape[1:] or not len(bad_x):
        return False
    if not np.isfinite(bad_x).all():
        return False
    if not labelled:
        return True
    labels = np.asarray(bad_y)
    return labels.shape == (len(bad_x),) and bool(((labels >= 0) & (labels < num_classes)).all())


def _with(like: Any, bad_x: Any, bad_y: Any) -> Any:
    if like is None:
        return Samples(bad_x, bad_y)
    part = copy.copy(like)
    try:
        part.x, part.y = bad_x, bad_y
    except (AttributeError, TypeError):  # read-only fields: the plain stand-in
        return Samples(bad_x, bad_y)
    return part


@st.composite
def _bad(draw: st.DrawFn, fault: Fault, x: np.ndarray, y: np.ndarray, num_classes: int,
         labelled: bool, like: Any = None) -> BadInput:
    label, bad_x, bad_y = fault(draw, np.array(x, copy=True), np.array(y, copy=True),
                                num_classes)
    assume(not is_valid(x, bad_x, bad_y, num_classes, labelled))
    if bad_x is None:
        return BadInput(label, None)
    return BadInput(label, _with(like, bad_x, bad_y) if labelled else bad_x)


def bad_samples(fault: str, x: np.ndarray, y: np.ndarray, num_classes: int,
                like: Any = None) -> st.SearchStrategy[BadInput]:
    """Labelled data (for ``train``/``evaluate``) broken by ``fault``, as a copy of
    ``like`` (the caller's own data object) when given.
    """
    chosen = {**FEATURE_FAULTS, **LABEL_FAULTS}[fault]
    return _bad(chosen, x, y, num_classes, True, like)


def bad_features(fault: str, x: np.ndarray) -> st.SearchStrategy[BadInput]:
    """Features (for ``predict``) broken by ``fault``, one of :data:`FEATURE_FAULTS`."""
    return _bad(FEATURE_FAULTS[fault], x, np.zeros(len(x), np.int64), 1, False)
