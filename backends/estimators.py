"""Sedna-style estimators around a MindSpore network.

A backend given a bare network (``mindspore.nn.Cell``, a TinyMS ``Layer``) wraps it in
one of these; the bundled fixtures use them too. They implement every call shape
upstream ``MSBackend`` uses: ``train(train_data=..., valid_data=..., **kw)``,
``predict(data=..., **kw)``, ``evaluate(data, **kw)``, ``save(path)``,
``load(model_url=path)`` and ``load_weights(path)``, and expose ``network``.

Training hyper-parameters are constructor defaults that ``train`` keywords override:
``epochs``, ``batch_size``, ``learning_rate``, ``optimizer`` (``"adam"`` or
``"momentum"``), ``seed`` (the shuffling order) and ``callbacks``. Each ``train`` call
starts from a fresh optimizer state; the ``Model`` and optimizer themselves are built once
per optimizer and learning rate, since MindSpore compiles each new optimizer's update
(``@jit`` even in PyNative mode: about 0.1 s, three steps' worth on a small network).
Inference runs in batches of ``predict_batch_size`` (default 32; on a CPU, MindSpore's
cost per operator call dominates on small images, so fewer, larger batches are faster),
the last one padded, so graph mode compiles once whatever N and both modes compute the
same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sedna_conformance.backends.checkpoint import load_into, write_checkpoint
from sedna_conformance.backends.data import as_arrays, batches
from sedna_conformance.backends.weights import CellWeights

__all__ = ["MindSporeEstimator", "cross_entropy"]


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy of ``logits`` against integer ``labels``."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


class MindSporeEstimator:
    """Train, predict, evaluate, save and load a classifier through ``mindspore.Model``.

    ``network`` maps float32 ``(N, *input_shape)`` to ``(N, num_classes)`` logits.
    """

    def __init__(self, network: Any, *, num_classes: int | None = None,
                 input_shape: tuple[int, ...] | None = None, epochs: int = 5,
                 batch_size: int = 16, learning_rate: float = 0.01,
                 optimizer: str = "adam", seed: int = 0, predict_batch_size: int = 32) -> None:
        self.network = network
        self.num_classes = num_classes
        self.input_shape = tuple(input_shape) if input_shape else None
        self.defaults: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size,
                         "learning_rate": learning_rate, "optimizer": optimizer, "seed": seed}
        self.predict_batch_size = predict_batch_size
        self._trainers: dict[tuple[str, float], tuple[Any, list[tuple[Any, np.ndarray]]]] = {}

    # -- framework hooks (TinyMS overrides these) -------------------------------------
    def _loss(self) -> Any:
        from mindspore import nn

        return nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")

    def _optimizers(self) -> Any:
        """The module providing ``Adam`` and ``Momentum``."""
        from mindspore import nn

        return nn

    def _optimizer(self, name: str, learning_rate: float) -> Any:
        optimizers = self._optimizers()
        params = self.network.trainable_params()
        if name == "adam":
            return optimizers.Adam(params, learning_rate=learning_rate)
        if name == "momentum":
            return optimizers.Momentum(params, learning_rate=learning_rate, momentum=0.9)
        raise ValueError(f"optimizer must be 'adam' or 'momentum', got {name!r}")

    def _model(self, loss: Any, optimizer: Any) -> Any:
        from mindspore import Model

        return Model(self.network, loss_fn=loss, optimizer=optimizer)

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        from mindspore import Tensor

        return np.asarray(self.network(Tensor(batch)).asnumpy())

    def _trainer(self, name: str, learning_rate: float) -> Any:
        """The ``Model`` training with optimizer ``name`` at ``learning_rate``, its optimizer
        state (moments, step count) reset to what a new optimizer starts from, so results
        are bit-identical to a new ``Model``'s.
        """
        key = (name, learning_rate)
        if key not in self._trainers:
            optimizer = self._optimizer(name, learning_rate)
            network = {id(p) for p in self.network.get_parameters()}
            initial = [(p, p.asnumpy().copy()) for p in optimizer.get_parameters()
                       if id(p) not in network]
            self._trainers[key] = (self._model(self._loss(), optimizer), initial)
        from mindspore import Tensor, ops

        model, initial = self._trainers[key]
        for parameter, value in initial:  # in place: the compiled optimizer reads this storage
            ops.assign(parameter, Tensor(value))
        return model

    # -- Sedna call shapes ----------------------------------------------------------
    def _arrays(self, data: Any, argument: str, labels: bool) -> tuple[np.ndarray, Any]:
        return as_arrays(data, argument, labels=labels, feature_shape=self.input_shape,
                         num_classes=self.num_classes)

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> dict[str, float]:
        """Train on ``train_data``; return the final training metrics (and validation ones)."""
        import mindspore.dataset as ds

        options: dict[str, Any] = {**self.defaults,
                                   **{k: v for k, v in kwargs.items() if k in self.defaults}}
        x, y = self._arrays(train_data, "train_data", labels=True)
        if valid_data is not None:
            self._arrays(valid_data, "valid_data", labels=True)
        epochs = options["epochs"]
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        rng = np.random.default_rng(options["seed"])
        model = self._trainer(options["optimizer"], float(options["learning_rate"]))
        callbacks = kwargs.get("callbacks")
        self.network.set_train(True)
        try:
            for _ in range(epochs):
                order = rng.permutation(len(x))
                dataset = ds.NumpySlicesDataset({"x": x[order], "y": y[order]},
                                                shuffle=False).batch(options["batch_size"])
                model.train(1, dataset, callbacks=callbacks, dataset_sink_mode=False)
        finally:
            self.network.set_train(False)
        metrics = {f"train_{k}": v for k, v in self._metrics(x, y).items()}
        if valid_data is not None:
            metrics.update({f"valid_{k}": v for k, v in self.evaluate(valid_data).items()})
        return metrics

    def predict(self, data: Any, batch_size: int | None = None, **_kwargs: Any) -> np.ndarray:
        """Logits ``(N, num_classes)`` for the samples of ``data``.

        Batches are padded to one fixed size, so graph mode compiles once whatever N, and
        graph and PyNative mode run the same kernels on the same shapes.
        """
        x, _ = self._arrays(data, "data", labels=False)
        size = int(batch_size or self.predict_batch_size)
        self.network.set_train(False)
        outputs = []
        for index in batches(len(x), size):
            batch = x[index]
            if len(batch) < size:
                padding = np.zeros((size - len(batch), *batch.shape[1:]), batch.dtype)
                batch = np.concatenate([batch, padding])
            outputs.append(self._forward(batch)[:len(index)])
        return np.concatenate(outputs)

    def _metrics(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        logits = self.predict(x)
        return {"accuracy": float((logits.argmax(axis=1) == y).mean()),
                "loss": cross_entropy(logits, y)}

    def evaluate(self, data: Any, **_kwargs: Any) -> dict[str, float]:
        """``{"accuracy", "loss"}`` of the model on labelled ``data``."""
        x, y = self._arrays(data, "data", labels=True)
        return self._metrics(x, y)

    def save(self, model_path: str) -> str:
        """Write a checkpoint (``.ckpt`` appended if missing); return its path."""
        weights = CellWeights(self.network)
        return write_checkpoint(model_path, weights.names, weights.get())

    def load(self, model_url: str) -> None:
        """Load the checkpoint at ``model_url`` into the network."""
        self.load_weights(model_url)

    def load_weights(self, model_path: str) -> None:
        """Load the checkpoint at ``model_path``; every parameter must match."""
        load_into(CellWeights(self.network), model_path, allow_extra=True)
