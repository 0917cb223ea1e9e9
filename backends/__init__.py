"""Sedna-compatible backends for MindSpore and TinyMS.

``BackendBase`` is importable without MindSpore; ``MSBackend``, ``TinyMSBackend`` and
``TinyMSEstimator`` import their framework on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from backends.base import BackendBase
from backends.registry import set_backend

__all__ = ["BackendBase", "MSBackend", "MindSporeEstimator", "TinyMSBackend",
           "TinyMSEstimator", "set_backend"]

_LAZY = {
    "MSBackend": "backends.mindspore_backend",
    "MindSporeEstimator": "backends.estimators",
    "TinyMSBackend": "backends.tinyms_backend",
    "TinyMSEstimator": "backends.tinyms_backend",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backends' has no attribute {name!r}")
