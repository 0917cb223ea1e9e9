"""A pure-NumPy reference backend and estimator: softmax regression on flattened images.

It proves the harness assumes no framework: :func:`reference_profile` passes every
clause that does not need MindSpore. Its estimator is also the fast base of the
mutant zoo (driven there by our ``MSBackend``, through the Keras weights convention).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from backends import BackendBase
from backends.data import as_arrays, batches
from backends.weights import check_weights
from harness import Profile


class SoftmaxRegression:
    """Sedna-style estimator: multinomial logistic regression trained by mini-batch SGD."""

    def __init__(self, num_classes: int = 3, features: int = 3 * 32 * 32, seed: int = 0,
                 epochs: int = 3, batch_size: int = 16, learning_rate: float = 0.05) -> None:
        rng = np.random.default_rng(seed)
        self.weight = (rng.standard_normal((features, num_classes)) * 0.01).astype(np.float32)
        self.bias = np.zeros(num_classes, np.float32)
        self.num_classes = num_classes
        self.defaults = {"epochs": epochs, "batch_size": batch_size,
                         "learning_rate": learning_rate, "seed": seed}

    def _x(self, data: Any, argument: str, labels: bool) -> tuple[np.ndarray, Any]:
        x, y = as_arrays(data, argument, labels=labels, num_classes=self.num_classes,
                         feature_shape=(3, 32, 32))
        return x.reshape(len(x), -1), y

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> dict[str, float]:
        options = {**self.defaults, **{k: v for k, v in kwargs.items() if k in self.defaults}}
        x, y = self._x(train_data, "train_data", True)
        rng = np.random.default_rng(options["seed"])
        onehot = np.eye(self.num_classes, dtype=np.float32)[y]
        for _ in range(int(options["epochs"])):
            for index in batches(len(x), int(options["batch_size"]), rng):
                probs = self._softmax(x[index] @ self.weight + self.bias)
                grad = (probs - onehot[index]) / len(index)
                self.weight -= np.float32(options["learning_rate"]) * (x[index].T @ grad)
                self.bias -= np.float32(options["learning_rate"]) * grad.sum(axis=0)
        return self.evaluate((x.reshape(len(x), 3, 32, 32), y))

    @staticmethod
    def _softmax(logits: np.ndarray) -> np.ndarray:
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, data: Any, **_kwargs: Any) -> np.ndarray:
        x, _ = self._x(data, "data", False)
        return x @ self.weight + self.bias

    def evaluate(self, data: Any, **_kwargs: Any) -> dict[str, float]:
        x, y = self._x(data, "data", True)
        probs = self._softmax(x @ self.weight + self.bias)
        return {"accuracy": float((probs.argmax(axis=1) == y).mean()),
                "loss": float(-np.log(probs[np.arange(len(y)), y] + 1e-12).mean())}

    def get_weights(self) -> list[np.ndarray]:
        return [self.weight.copy(), self.bias.copy()]

    def set_weights(self, weights: list[Any]) -> None:
        checked = check_weights(weights, self.get_weights(), ["weight", "bias"])
        self.weight, self.bias = checked

    def save(self, path: str) -> str:
        target = path if path.endswith(".npz") else path + ".npz"
        folder = os.path.dirname(target) or "."
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, weight=self.weight, bias=self.bias)
        os.replace(tmp, target)
        return target

    def load(self, model_url: str) -> None:
        try:
            with np.load(model_url, allow_pickle=False) as stored:
                arrays = [stored["weight"], stored["bias"]]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
            raise ValueError(f"model file {model_url!r} is not an intact .npz of this "
                             f"model: {error}") from None
        self.set_weights(arrays)

    def load_weights(self, model_path: str) -> None:
        self.load(model_url=model_path)


class NumpyBackend(BackendBase):
    """A minimal complete backend over any estimator with the Keras weights convention."""

    framework = "numpy"

    def _written_candidates(self, path: str) -> list[str]:
        return [path, path + ".npz"]

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
        saved = self._instance().get_weights()
        try:
            if self.fine_tune:
                try:
                    self.load()
                except FileNotFoundError:
                    pass
            result = self._call("train", train_data=train_data, valid_data=valid_data,
                                **kwargs)
        except BaseException:
            self._instance().set_weights(saved)
            raise
        self.has_load = True
        return result

    def predict(self, data: Any, **kwargs: Any) -> Any:
        return self._call("predict", data, **kwargs)

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        if not model_path:
            return self._call("evaluate", data, **kwargs)
        own = self._instance().get_weights()
        self.load(model_path)
        try:
            return self._call("evaluate", data, **kwargs)
        finally:
            self._instance().set_weights(own)

    def load_weights(self) -> None:
        self.load()

    def get_weights(self) -> list[Any]:
        return [w.tolist() for w in self._instance().get_weights()]

    def set_weights(self, weights: Any) -> None:
        self._instance().set_weights(weights)


def reference_profile() -> Profile:
    """The NumPy reference backend on the bundled image data."""
    from fixtures.datasets import make_splits

    return Profile(name="numpy-reference", backend=NumpyBackend, estimator=SoftmaxRegression,
                   datasets=make_splits, architecture="softmax-regression",
                   quick_train_kwargs={"epochs": 1, "learning_rate": 0.01},
                   foreign_checkpoint=lambda folder: SoftmaxRegression(features=12).save(
                       os.path.join(folder, "small.npz")))
