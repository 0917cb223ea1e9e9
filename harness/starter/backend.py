"""``NumpyBackend``: a complete Sedna backend, written out in full for authors to copy.

It follows the interface of upstream Sedna's ``sedna.backend.base.BackendBase`` (same
constructor, attributes, ``model_name`` rule and methods) without importing Sedna; in a
Sedna deployment, subclass ``BackendBase`` and keep these method bodies. It also fixes
upstream's known pitfalls: keyword-only parameters of ``estimator.train`` are forwarded,
an estimator instance is never called, the default ``model_save_path`` is a private
temporary folder, ``save`` returns the path written, a missing model raises
``FileNotFoundError``, and a refused ``train`` leaves the weights as they were.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import warnings
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import numpy as np

__all__ = ["MODEL_SUFFIXES", "NumpyBackend"]

#: Sedna's default-model-name suffixes by framework (TinyMS writes MindSpore checkpoints);
#: any other framework, numpy included, gets ``.pkl``.
MODEL_SUFFIXES = {"pytorch": ".pth", "tensorflow": ".pb", "keras": ".pb",
                  "mindspore": ".ckpt", "tinyms": ".ckpt"}


class NumpyBackend:
    """Drive a Sedna-style estimator whose weights are a list of NumPy arrays.

    ``estimator`` is a class (instantiated with no arguments) or an instance (used as
    given, never called). Keywords: ``model_save_path`` (a folder or a file; default a
    new private temporary folder), ``model_name``, ``use_cuda``, ``use_npu``; any other
    keyword (Sedna passes e.g. ``model_save_url``) is kept in ``self.options``, unused.
    """

    framework = "numpy"

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        self.estimator = estimator() if isinstance(estimator, type) else estimator
        self.fine_tune = fine_tune
        self.use_cuda = bool(kwargs.pop("use_cuda", False))
        self.use_npu = bool(kwargs.pop("use_npu", False))
        self.model_save_path: str = (kwargs.pop("model_save_path", None)
                                     or tempfile.mkdtemp(prefix="sedna-model-"))
        self.default_name: str | None = kwargs.pop("model_name", None)
        self.has_load = False
        self.options = kwargs
        if self.use_cuda:  # NumPy has no GPU: say so rather than ignore the request
            warnings.warn("use_cuda=True, but NumPy runs on the CPU only: the model stays on "
                          "the CPU", RuntimeWarning, stacklevel=2)

    @property
    def model_name(self) -> str:
        """``model_name`` if given, else ``model[_finetune_]<framework><suffix>``."""
        if self.default_name:
            return self.default_name
        suffix = MODEL_SUFFIXES.get(self.framework, ".pkl")
        return f"model{'_finetune_' if self.fine_tune else ''}{self.framework}{suffix}"

    @staticmethod
    def parse_kwargs(func: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        """The ``kwargs`` that ``func`` accepts (keyword-only too); all if it takes ``**``."""
        try:
            params = inspect.signature(func).parameters.values()
        except (TypeError, ValueError):
            return kwargs
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return kwargs
        names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        return {k: v for k, v in kwargs.items() if k in names}

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        func = getattr(self.estimator, method)
        return func(*args, **self.parse_kwargs(func, **kwargs))

    # -- training and inference -----------------------------------------------------------
    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
        """Train, starting from the model at ``model_save_path`` if ``fine_tune`` and it
        exists. If anything raises, the weights are restored and the error re-raised.
        """
        saved = self.estimator.get_weights()
        try:
            if self.fine_tune:
                try:
                    self.load()
                except FileNotFoundError:
                    pass  # nothing to fine-tune from yet: train from the current weights
            result = self._call("train", train_data=train_data, valid_data=valid_data, **kwargs)
        except BaseException:
            self.estimator.set_weights(saved)
            raise
        self.has_load = True
        return result

    def predict(self, data: Any, **kwargs: Any) -> Any:
        """One output row per sample of ``data``."""
        return self._call("predict", data, **kwargs)

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        """Metrics on ``data`` of the in-memory model, or of the model at ``model_path``
        (the in-memory weights are put back afterwards).
        """
        if not model_path:
            return self._call("evaluate", data, **kwargs)
        own = self.estimator.get_weights()
        self.load(model_path)
        try:
            return self._call("evaluate", data, **kwargs)
        finally:
            self.estimator.set_weights(own)

    # -- files ----------------------------------------------------------------------------
    def model_path(self, model_url: str = "", model_name: str | None = None) -> str:
        """The local file that ``save``/``load`` with these arguments refer to.

        ``model_url`` (else ``model_save_path``) is a folder if it exists as one, ends in
        a separator or has no extension, and then gets ``model_name`` appended; otherwise
        it is the file itself.
        """
        name = model_name or self.model_name
        if (not isinstance(name, str) or "\x00" in name or os.path.isabs(name)
                or "/" in name or os.sep in name or name in (".", "..")):
            raise ValueError(f"model_name must be a plain file name inside model_save_path "
                             f"(no folders, '..', absolute paths or NUL bytes), got {name!r}")
        target = os.fspath(model_url or self.model_save_path)
        scheme = urlparse(target).scheme
        if len(scheme) > 1 and scheme != "file":
            raise ValueError(f"model_url {target!r} is remote; this backend reads and writes "
                             "local paths only: download or mount it first")
        if os.path.isdir(target) or target.endswith(os.sep) or not os.path.splitext(target)[1]:
            return os.path.join(target, name)
        return target

    def save(self, model_url: str = "", model_name: str | None = None) -> str:
        """Save the model; return the path of the file written."""
        path = self.model_path(model_url, model_name)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        written = self.estimator.save(path)
        for candidate in (written, path):
            if isinstance(candidate, str) and os.path.isfile(candidate):
                return candidate
        raise RuntimeError(f"estimator.save({path!r}) wrote no file at {path!r}")

    def load(self, model_url: str = "", model_name: str | None = None, **kwargs: Any) -> None:
        """Load the model at ``model_url`` (else ``model_save_path``); a missing file raises
        ``FileNotFoundError`` naming the path, a corrupt or foreign one ``ValueError``.
        """
        path = self.model_path(model_url, model_name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no model file at {path!r} (model_url={model_url!r}, "
                                    f"model_save_path={self.model_save_path!r}); train and "
                                    "save a model first, or pass an existing path")
        self._call("load", model_url=path, **kwargs)
        self.has_load = True

    def load_weights(self) -> None:
        """Load the model at ``model_save_path``."""
        self.load()

    def model_info(self, model: str, relpath: str | None = None,
                   result: Any = None) -> list[dict[str, Any]]:
        """The record Sedna's jobs report for ``model``: its format, url and metrics."""
        url = os.path.relpath(model, relpath) if relpath else model
        return [{"format": os.path.splitext(model)[1][1:], "url": url, "metrics": result}]

    # -- weights (federated learning) -----------------------------------------------------
    def get_weights(self) -> list[Any]:
        """The weights as JSON-safe nested lists, in a stable order."""
        return [np.asarray(w).tolist() for w in self.estimator.get_weights()]

    def set_weights(self, weights: Any) -> None:
        """Set the weights from arrays or nested lists; wrong ones raise ``ValueError``."""
        self.estimator.set_weights(weights)
