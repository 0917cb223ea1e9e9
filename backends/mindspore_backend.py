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

Everything but MindSpore's own parts (mode, checkpoint format, where the weights are) is
:class:`~sedna_conformance.backends.network_backend.NetworkBackend`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from sedna_conformance.backends.checkpoint import (
    checkpoint_file,
    read_checkpoint,
    write_checkpoint,
)
from sedna_conformance.backends.estimators import MindSporeEstimator
from sedna_conformance.backends.network_backend import NetworkBackend
from sedna_conformance.backends.weights import WeightsAccess, resolve_weights

__all__ = ["MSBackend"]

_MODES = ("graph", "pynative")


class MSBackend(NetworkBackend):
    """Run a MindSpore estimator for Sedna.

    ``estimator``: a Sedna-style estimator class or instance (see
    :mod:`sedna_conformance.backends.estimators` for the call shapes), or a ``mindspore.nn.Cell``.
    Extra keyword: ``mode`` (``"graph"``, the default as in Sedna, or ``"pynative"``).
    """

    framework = "mindspore"
    network_estimator: type = MindSporeEstimator

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        mode = str(kwargs.pop("mode", "graph")).lower()
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.mode = mode
        super().__init__(estimator, fine_tune, **kwargs)

    def gpu_visible(self) -> bool:
        """Whether this MindSpore build sees a GPU (CPU wheels never do)."""
        import mindspore

        return bool(mindspore.hal.is_available("GPU"))

    # -- MindSpore hooks --------------------------------------------------------------
    def _make_runner(self, estimator: Any) -> Any:
        """A ``mindspore.nn.Cell`` is wrapped in ``network_estimator``."""
        from mindspore import nn

        if isinstance(estimator, nn.Cell):
            return self.network_estimator(estimator)
        return estimator

    def _resolve_weights(self, estimator: Any) -> WeightsAccess:
        return resolve_weights(estimator)

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

    framework_context = execution_mode

    def _write_checkpoint(self, path: str, names: Sequence[str],
                          arrays: Sequence[np.ndarray]) -> str:
        """A MindSpore checkpoint with a CRC (``.ckpt`` appended to names without it)."""
        return write_checkpoint(path, names, arrays)

    def _read_checkpoint(self, path: str) -> dict[str, np.ndarray]:
        return read_checkpoint(path)

    def _written_candidates(self, path: str) -> list[str]:
        """A checkpoint save to ``path`` lands at ``path`` or ``path + ".ckpt"``."""
        return [path] if path.endswith(".ckpt") else [path, path + ".ckpt"]

    def _local_name(self, name: str) -> str:
        """A downloaded checkpoint keeps MindSpore's suffix (``.ckpt`` appended if missing)."""
        return checkpoint_file(name)
