"""``set_backend``: pick the backend class for a backend type, as Sedna does.

Built in: ``MINDSPORE`` → :class:`~sedna_conformance.backends.MSBackend`,
``TINYMS`` → :class:`~sedna_conformance.backends.TinyMSBackend`, ``TORCH`` →
``TorchBackend`` and ``KERAS`` → ``KerasBackend`` (``TENSORFLOW``, upstream's graph-mode
``TFBackend``, has no counterpart here). Beyond Sedna, a package
can register a backend class under the entry-point group ``sedna_conformance.backends``
(name → ``module:Class``); the name is matched case-insensitively. Anything else warns
and falls back to :class:`~sedna_conformance.backends.BackendBase`.
"""

from __future__ import annotations

import importlib
import os
import warnings
from importlib import metadata
from typing import Any

from sedna_conformance.backends.base import BackendBase

__all__ = ["BUILTIN_BACKENDS", "ENTRY_POINT_GROUP", "backend_class", "set_backend"]

ENTRY_POINT_GROUP = "sedna_conformance.backends"

#: Backend type (upper case) → ``module:Class``; imported only when chosen.
BUILTIN_BACKENDS: dict[str, str] = {
    "MINDSPORE": "sedna_conformance.backends.mindspore_backend:MSBackend",
    "TINYMS": "sedna_conformance.backends.tinyms_backend:TinyMSBackend",
    "TORCH": "sedna_conformance.backends.torch_backend:TorchBackend",
    "KERAS": "sedna_conformance.backends.keras_backend:KerasBackend",
}


def _import(target: str) -> type:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def backend_class(backend_type: str) -> type | None:
    """The class registered for ``backend_type`` (any case), or ``None``."""
    wanted = backend_type.upper()
    if wanted in BUILTIN_BACKENDS:
        return _import(BUILTIN_BACKENDS[wanted])
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name.upper() == wanted:
            return entry_point.load()  # type: ignore[no-any-return]
    return None


def set_backend(estimator: Any = None, config: Any = None) -> Any:
    """Build the backend for ``estimator`` from the environment and ``config``, with
    upstream's semantics.

    ``config`` is anything with ``.get`` (a dict, Sedna's ``BaseConfig``) or ``None``. The
    type comes from ``BACKEND_TYPE``, else ``config["backend_type"]``; the model location
    from ``config["base_model_url"]`` or ``config["model_url"]``. Returns ``None`` when
    ``estimator`` is ``None``.
    """
    if estimator is None:
        return None
    if config is None:
        config = {}
    if not callable(getattr(config, "get", None)):
        raise TypeError(f"config must have .get (a dict or Sedna's BaseConfig), got "
                        f"{type(config).__name__}")
    backend_type = str(os.getenv("BACKEND_TYPE") or config.get("backend_type")
                       or "UNKNOWN").upper()
    use_cuda = "CUDA_VISIBLE_DEVICES" in os.environ
    if use_cuda:  # as Sedna: the device category becomes GPU
        os.environ["DEVICE_CATEGORY"] = "GPU"
    else:
        os.environ["DEVICE_CATEGORY"] = os.getenv("DEVICE_CATEGORY") or str(
            config.get("device_category") or "CPU")
    cls = backend_class(backend_type)
    if cls is None:
        warnings.warn(f"{backend_type} Not Support yet, use itself", stacklevel=2)
        cls = BackendBase
    return cls(
        estimator=estimator,
        use_cuda=use_cuda,
        model_save_path=config.get("base_model_url") or config.get("model_url"),
        model_name=config.get("model_name"),
        model_save_url=config.get("model_url"),
    )
