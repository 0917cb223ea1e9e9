"""``TinyMSBackend``: Sedna on TinyMS, MindSpore's high-level API.

TinyMS runs on MindSpore, so this is :class:`~sedna_conformance.backends.MSBackend` (same
checkpoints, weights, execution-mode handling) with ``framework = "tinyms"`` and one addition: a
bare TinyMS network (``tinyms.layers.Layer``, or any ``mindspore.nn.Cell``) or a
``tinyms.model.Model`` is trained, evaluated and used for prediction through TinyMS's
own ``Model`` API by :class:`TinyMSEstimator`, with ``epochs``, ``batch_size``,
``learning_rate`` and ``optimizer`` from ``train`` keywords. A Sedna-style estimator
is driven exactly as ``MSBackend`` drives it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sedna_conformance.backends.estimators import MindSporeEstimator
from sedna_conformance.backends.mindspore_backend import MSBackend
from sedna_conformance.backends.tinyms_compat import import_tinyms

__all__ = ["TinyMSBackend", "TinyMSEstimator"]


class TinyMSEstimator(MindSporeEstimator):
    """A Sedna-style estimator over TinyMS's ``Model`` (``compile``/``train``/``predict``).

    ``network`` is a TinyMS ``Layer`` (any ``mindspore.nn.Cell``) or a
    ``tinyms.model.Model``; a compiled ``Model`` keeps its own loss and optimizer.
    """

    def __init__(self, network: Any, **kwargs: Any) -> None:
        tinyms_model = import_tinyms("tinyms.model")
        self._given_model = network if isinstance(network, tinyms_model.Model) else None
        cell = network._network if self._given_model is not None else network
        super().__init__(cell, **kwargs)
        self._predictor: Any = None

    def _loss(self) -> Any:
        losses = import_tinyms("tinyms.losses")
        return losses.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")

    def _optimizers(self) -> Any:
        return import_tinyms("tinyms.optimizers")

    def _model(self, loss: Any, optimizer: Any) -> Any:
        given = self._given_model
        if given is not None and getattr(given, "_optimizer", None) is not None:
            return given
        model = import_tinyms("tinyms.model").Model(self.network)
        model.compile(loss_fn=loss, optimizer=optimizer)
        return model

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        from mindspore import Tensor

        if self._predictor is None:
            self._predictor = import_tinyms("tinyms.model").Model(self.network)
        return np.asarray(self._predictor.predict(Tensor(batch)).asnumpy())


class TinyMSBackend(MSBackend):
    """Run a TinyMS network, ``tinyms.model.Model`` or Sedna-style estimator for Sedna."""

    framework = "tinyms"
    network_estimator = TinyMSEstimator

    def _make_runner(self, estimator: Any) -> Any:
        tinyms_model = import_tinyms("tinyms.model")
        if isinstance(estimator, tinyms_model.Model):
            return TinyMSEstimator(estimator)
        return super()._make_runner(estimator)
