"""``MSBackend``: Sedna's MindSpore backend, complete.

Differences from upstream ``sedna.backend.mindspore.MSBackend``:

* weights: ``get_weights``/``set_weights``/``finetune`` work (upstream: empty stubs);
* ``fine_tune=True`` with a checkpoint at ``model_save_path`` starts training from it;
* the execution mode (``mode="graph"`` default, or ``"pynative"``) is applied only
  around this backend's own calls and restored afterwards, so constructing or using a
  backend never changes another backend alive in the same process;
* a bare network (``mindspore.nn.Cell``) is wrapped in
  :class:`~sedna_conformance.backends.estimators.MindSporeEstimator`, never called;
* checkpoints are written atomically with a CRC and checked on load.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

from sedna_conformance.backends.base import BackendBase
from sedna_conformance.backends.checkpoint import checkpoint_file, load_into, write_checkpoint
from sedna_conformance.backends.estimators import MindSporeEstimator
from sedna_conformance.backends.weights import (
    WeightsAccess,
    as_nested_lists,
    check_weights,
    resolve_weights,
)

__all__ = ["MSBackend"]

_MODES = ("graph", "pynative")


class MSBackend(BackendBase):
    """Run a MindSpore estimator for Sedna.

    ``estimator``: a Sedna-style estimator class or instance (see
    :mod:`sedna_conformance.backends.estimators` for the call shapes), or a ``mindspore.nn.Cell``.
    Extra keyword: ``mode`` (``"graph"``, the default as in Sedna, or ``"pynative"``).
    """

    framework = "mindspore"
    #: What a bare network is wrapped in.
    network_estimator: type = MindSporeEstimator

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        mode = str(kwargs.pop("mode", "graph")).lower()
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        super().__init__(estimator, fine_tune, **kwargs)
        self.mode = mode
        self._runner = self._make_runner(self._instance())

    def gpu_visible(self) -> bool:
        """Whether this MindSpore build sees a GPU (CPU wheels never do)."""
        import mindspore

        return bool(mindspore.hal.is_available("GPU"))

    # -- wiring -----------------------------------------------------------------------
    def _make_runner(self, estimator: Any) -> Any:
        """The Sedna-style estimator that does the work for ``estimator``."""
        from mindspore import nn

        if isinstance(estimator, nn.Cell):
            return self.network_estimator(estimator)
        return estimator

    @contextlib.contextmanager
    def execution_mode(self) -> Iterator[None]:
        """Run the body in this backend's mode, restoring the previous mode after."""
        import mindspore

        wanted = mindspore.GRAPH_MODE if self.mode == "graph" else mindspore.PYNATIVE_MODE
        previous = mindspore.get_context("mode")
        if previous != wanted:
            mindspore.set_context(mode=wanted)
        try:
            yield
        finally:
            if previous != wanted:
                mindspore.set_context(mode=previous)

    def _weights(self) -> WeightsAccess:
        if self._runner is not self.estimator:
            return resolve_weights(self._runner)
        return resolve_weights(self._instance())

    def _delegate(self, method: str, *args: Any, **kwargs: Any) -> Any:
        func = getattr(self._runner, method, None)
        if func is None:
            raise AttributeError(f"estimator {type(self._runner).__name__} has no {method}() "
                                 f"method; implement it to use {type(self).__name__}.{method}()")
        with self.execution_mode():
            return func(*args, **self.parse_kwargs(func, **kwargs))

    def _written_candidates(self, path: str) -> list[str]:
        """A checkpoint save to ``path`` lands at ``path`` or ``path + ".ckpt"``."""
        return [path] if path.endswith(".ckpt") else [path, path + ".ckpt"]

    def _local_name(self, name: str) -> str:
        """A downloaded checkpoint keeps MindSpore's suffix (``.ckpt`` appended if missing)."""
        return checkpoint_file(name)

    # -- the Sedna API ----------------------------------------------------------------
    def finetune(self) -> str | None:
        """Load the checkpoint at ``model_save_path`` if there is one; return its path."""
        path = self.base_model_file()
        if path is not None:
            self.load(model_url=path)
        return path

    def train(self, train_data: Any = None, valid_data: Any = None, **kwargs: Any) -> Any:
        """Train; with ``fine_tune`` and a checkpoint at ``model_save_path``, start from it.

        If training raises (bad data, interruption), the weights are restored.
        ``train_data`` may be left out only when the estimator's own ``train`` needs no
        data: Sedna's lifelong learning wraps its task-processing objects in a backend
        and calls ``train()`` on them.
        """
        if train_data is None and not _takes_no_data(getattr(self._runner, "train", None)):
            raise TypeError("train_data is required: pass the training data (an object with "
                            ".x and .y, or an (x, y) tuple)")
        try:
            weights = self._weights()
        except TypeError:
            weights = None
        saved, had_load = (weights.get() if weights else None), self.has_load
        try:
            if self.fine_tune:
                self.finetune()
            result = self._delegate("train", train_data=train_data, valid_data=valid_data,
                                    **kwargs)
        except BaseException:
            if weights is not None and saved is not None:
                weights.set(saved)  # a refused or interrupted train loses nothing
            self.has_load = had_load
            raise
        self.has_load = True
        return result

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """Alias of :meth:`train` (MindSpore estimators have no separate update)."""
        return self.train(*args, **kwargs)

    def _ensure_loaded(self) -> None:
        if not self.has_load:
            path = self.base_model_file()
            if path is not None:
                self.load(model_url=path)

    def predict(self, data: Any, **kwargs: Any) -> Any:
        """Predict ``data``, loading the model at ``model_save_path`` first if none is."""
        self._ensure_loaded()
        return self._delegate("predict", data=data, **kwargs)

    def predict_proba(self, data: Any, **kwargs: Any) -> Any:
        """Class probabilities: the estimator's ``predict_proba``, else softmax of predict."""
        if hasattr(self._runner, "predict_proba"):
            self._ensure_loaded()
            return self._delegate("predict_proba", data=data, **kwargs)
        import numpy as np

        logits = np.asarray(self.predict(data, **kwargs), dtype=np.float64)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        """Metrics on ``data``; with ``model_path``, of that checkpoint (memory untouched)."""
        if not model_path:
            self._ensure_loaded()
            return self._delegate("evaluate", data, **kwargs)
        weights = self._weights()
        saved = weights.get()
        had_load = self.has_load
        self.load(model_url=model_path)
        try:
            return self._delegate("evaluate", data, **kwargs)
        finally:
            weights.set(saved)
            self.has_load = had_load

    # -- files ------------------------------------------------------------------------
    def _save_local(self, model_url: str, model_name: str | None) -> str:
        """Write a checkpoint; return its path (``.ckpt`` appended to names without it)."""
        try:
            weights = self._weights()
        except TypeError:
            return super()._save_local(model_url, model_name)
        return write_checkpoint(self.model_path(model_url, model_name), weights.names,
                                weights.get())

    def _load_local(self, path: str, **kwargs: Any) -> None:
        """Load a checkpoint; a corrupt or mismatched file raises and changes nothing."""
        try:
            weights = self._weights()
        except TypeError:
            super()._load_local(path, **kwargs)
            return
        load_into(weights, path)
        self.has_load = True

    def load_weights(self) -> None:
        """Load the weights stored at ``model_save_path``/``model_name``."""
        self.load()

    # -- weights ----------------------------------------------------------------------
    def get_weights(self) -> list[Any]:
        """The parameters in a stable order, as nested lists (JSON-safe, like Keras's)."""
        return as_nested_lists(self._weights().get())

    def set_weights(self, weights: Any) -> None:
        """Set what :meth:`get_weights` returned (lists or arrays); check everything first."""
        access = self._weights()
        access.set(check_weights(weights, access.get(), access.names))


def _takes_no_data(func: Any) -> bool:
    """Whether ``func`` is called with no data: it has no ``train_data`` parameter and
    every parameter has a default (Sedna's task-processing objects' ``train(self)``).
    """
    if not callable(func):
        return False
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return "train_data" not in parameters and all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in parameters.values())
