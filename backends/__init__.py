"""Sedna-compatible backends for MindSpore, TinyMS, PyTorch and Keras 3.

``BackendBase`` and ``NetworkBackend`` import no framework; the others import theirs on
first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from sedna_conformance.backends.base import BackendBase
from sedna_conformance.backends.registry import set_backend
from sedna_conformance.backends.sedna_install import install_into_sedna, uninstall_from_sedna

__all__ = ["BackendBase", "KerasBackend", "MSBackend", "MindSporeEstimator", "NetworkBackend",
           "TinyMSBackend", "TinyMSEstimator", "TorchBackend", "TorchEstimator",
           "install_into_sedna", "set_backend", "uninstall_from_sedna"]

_LAZY = {
    "KerasBackend": "sedna_conformance.backends.keras_backend",
    "NetworkBackend": "sedna_conformance.backends.network_backend",
    "TorchBackend": "sedna_conformance.backends.torch_backend",
    "TorchEstimator": "sedna_conformance.backends.torch_backend",
    "MSBackend": "sedna_conformance.backends.mindspore_backend",
    "MindSporeEstimator": "sedna_conformance.backends.estimators",
    "TinyMSBackend": "sedna_conformance.backends.tinyms_backend",
    "TinyMSEstimator": "sedna_conformance.backends.tinyms_backend",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sedna_conformance.backends' has no attribute {name!r}")
