"""``NetworkBackend``: the whole Sedna contract for a model that is a network of named
parameter arrays, in any framework.

:class:`~sedna_conformance.backends.MSBackend`, ``TorchBackend`` and ``KerasBackend`` are
this class plus a handful of framework hooks:

* :meth:`NetworkBackend._make_runner`: the Sedna-style estimator doing the work (a bare
  network is wrapped in the backend's ``network_estimator``, never called);
* :meth:`NetworkBackend._resolve_weights`: the model's parameters, by position;
* :meth:`NetworkBackend._write_checkpoint` / :meth:`NetworkBackend._read_checkpoint`:
  the framework's checkpoint format, written atomically and checked on read;
* :meth:`NetworkBackend.framework_context`: what surrounds each call (MindSpore's mode).

What every framework gets from it: ``fine_tune=True`` with a checkpoint at
``model_save_path`` starts training from it; a ``train`` that raises leaves the weights as
they were; ``evaluate(model_path=...)`` judges that file and leaves memory untouched;
weights are JSON-safe nested lists, checked whole before anything is written.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from sedna_conformance.backends.base import BackendBase
from sedna_conformance.backends.weights import (
    WeightsAccess,
    as_nested_lists,
    assign_stored,
    check_weights,
)

__all__ = ["NetworkBackend"]


class NetworkBackend(BackendBase):
    """Run a network's Sedna-style estimator; subclasses supply the framework hooks."""

    #: What a bare network is wrapped in (a Sedna-style estimator class taking it).
    network_estimator: type | None = None

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        super().__init__(estimator, fine_tune, **kwargs)
        self._runner = self._make_runner(self._instance())

    # -- framework hooks --------------------------------------------------------------
    def _make_runner(self, estimator: Any) -> Any:
        """The Sedna-style estimator that does the work for ``estimator``."""
        return estimator

    def _resolve_weights(self, estimator: Any) -> WeightsAccess:
        """The parameters of ``estimator``; ``TypeError`` when it has none to reach."""
        raise TypeError(f"{type(self).__name__} cannot reach the weights of "
                        f"{type(estimator).__name__}")

    def _write_checkpoint(self, path: str, names: Sequence[str],
                          arrays: Sequence[np.ndarray]) -> str:
        """Write the parameters to ``path`` atomically; return the path written."""
        raise NotImplementedError

    def _read_checkpoint(self, path: str) -> dict[str, np.ndarray]:
        """``{name: array}`` from the checkpoint at ``path``; ``ValueError`` if damaged."""
        raise NotImplementedError

    @contextlib.contextmanager
    def framework_context(self) -> Iterator[None]:
        """Surround each call to the estimator (nothing by default)."""
        yield

    # -- wiring -----------------------------------------------------------------------
    def _weights(self) -> WeightsAccess:
        if self._runner is not self.estimator:
            return self._resolve_weights(self._runner)
        return self._resolve_weights(self._instance())

    def _delegate(self, method: str, *args: Any, **kwargs: Any) -> Any:
        func = getattr(self._runner, method, None)
        if func is None:
            raise AttributeError(f"estimator {type(self._runner).__name__} has no {method}() "
                                 f"method; implement it to use {type(self).__name__}.{method}()")
        with self.framework_context():
            return func(*args, **self.parse_kwargs(func, **kwargs))

    def _load_checkpoint(self, weights: WeightsAccess, path: str) -> None:
        """Read ``path`` and write it into ``weights``, all or nothing."""
        assign_stored(weights, self._read_checkpoint(path), f"checkpoint {path!r}")

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
            weights: WeightsAccess | None = self._weights()
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
        """Alias of :meth:`train` (these estimators have no separate update)."""
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
        """Write a checkpoint of the weights; return its path."""
        try:
            weights = self._weights()
        except TypeError:
            return super()._save_local(model_url, model_name)
        return self._write_checkpoint(self.model_path(model_url, model_name), weights.names,
                                      weights.get())

    def _load_local(self, path: str, **kwargs: Any) -> None:
        """Load a checkpoint; a corrupt or mismatched file raises and changes nothing."""
        try:
            weights = self._weights()
        except TypeError:
            super()._load_local(path, **kwargs)
            return
        self._load_checkpoint(weights, path)
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
