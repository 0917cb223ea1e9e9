"""The one place the harness turns a profile's data or a backend's output into NumPy.

Profiles may hold their splits as NumPy arrays, lists, framework tensors or classes of
their own; backends may return tensors. Wherever a clause must *inspect* values (compare
predictions, read labels, build malformed inputs) it converts them with the profile's
``as_array`` hook, whose default is :func:`to_numpy`. What a clause passes *to* the backend
stays in the profile's own type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_numpy"]


def to_numpy(value: Any) -> np.ndarray:
    """``value`` as a NumPy array: arrays as they are; objects with ``detach``/``cpu``/
    ``numpy`` methods (PyTorch tensors) or a ``numpy`` method (TensorFlow eager tensors)
    through them; anything else through :func:`numpy.asarray` (lists, ``__array__``).
    """
    if isinstance(value, np.ndarray):
        return value
    if all(callable(getattr(value, name, None)) for name in ("detach", "cpu", "numpy")):
        return np.asarray(value.detach().cpu().numpy())
    if callable(getattr(value, "numpy", None)) and not isinstance(value, np.generic):
        return np.asarray(value.numpy())
    return np.asarray(value)
