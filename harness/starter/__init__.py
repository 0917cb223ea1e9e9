"""The template backend: the documented starting point for a new Sedna backend.

Copy this package, rename it, and replace :class:`SoftmaxRegression` (``estimator.py``)
with your model; keep :class:`NumpyBackend` (``backend.py``) as the backend skeleton and
adapt its checkpoint and weights handling to your framework. :func:`reference_profile`
runs the conformance suite on it, on the tiny seeded data of :func:`make_splits`. The
package needs only NumPy, the standard library and
:mod:`sedna_conformance.harness.contract.profile`.
"""

from __future__ import annotations

from sedna_conformance.harness.starter.backend import NumpyBackend
from sedna_conformance.harness.starter.data import make_splits
from sedna_conformance.harness.starter.estimator import SoftmaxRegression
from sedna_conformance.harness.starter.profile import reference_profile

__all__ = ["NumpyBackend", "SoftmaxRegression", "make_splits", "reference_profile"]
