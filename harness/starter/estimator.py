"""``SoftmaxRegression``: a Sedna-style estimator in pure NumPy, the model the template wraps.

Replace it with your own estimator; keep the contract a backend relies on: ``train``,
``predict``, ``evaluate``, ``save(path) -> path written``, ``load(model_url)``, and
``get_weights``/``set_weights`` with a list of arrays (the Keras convention). Bad input is
refused with ``TypeError``/``ValueError`` naming the argument, before anything changes.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from sedna_conformance.harness.starter.data import IMAGE_SHAPE, NUM_CLASSES

__all__ = ["SoftmaxRegression"]

_NAMES = ("weight", "bias")


def _split(data: Any, argument: str) -> tuple[Any, Any]:
    """Features and labels of a ``.x``/``.y`` object, an ``(x, y)`` tuple or bare features."""
    if data is None:
        raise TypeError(f"{argument} is required: pass an object with .x and .y (Sedna's "
                        "BaseDataSource), an (x, y) tuple or a feature array; got None")
    if hasattr(data, "x"):
        return data.x, getattr(data, "y", None)
    if isinstance(data, tuple) and len(data) == 2:
        return data
    return data, None


class SoftmaxRegression:
    """Multinomial logistic regression on flattened ``feature_shape`` inputs, mini-batch SGD.

    Constructor arguments are the defaults of :meth:`train`'s keywords ``epochs``,
    ``batch_size``, ``learning_rate`` and ``seed`` (which also seeds the initial weights).
    """

    def __init__(self, num_classes: int = NUM_CLASSES,
                 feature_shape: tuple[int, ...] = IMAGE_SHAPE, seed: int = 0, epochs: int = 3,
                 batch_size: int = 16, learning_rate: float = 0.05) -> None:
        self.num_classes = num_classes
        self.feature_shape = tuple(feature_shape)
        features = int(np.prod(self.feature_shape))
        rng = np.random.default_rng(seed)
        self.weight = (rng.standard_normal((features, num_classes)) * 0.01).astype(np.float32)
        self.bias = np.zeros(num_classes, np.float32)
        self.defaults = {"epochs": epochs, "batch_size": batch_size,
                         "learning_rate": learning_rate, "seed": seed}

    # -- input checks ---------------------------------------------------------------------
    def _arrays(self, data: Any, argument: str, labels: bool) -> tuple[np.ndarray, Any]:
        """``(x, y)``: ``x`` float32 ``(N, features)`` (a copy), ``y`` int32 or ``None``."""
        raw_x, raw_y = _split(data, argument)
        try:
            x = np.asarray(raw_x)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{argument}.x must be an array of numbers: {error}") from None
        if x.dtype.kind not in "fiu":
            raise TypeError(f"{argument}.x must hold real numbers (float32 preferred), got "
                            f"dtype {x.dtype}")
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{argument} is empty: expected at least one sample, got x of "
                             f"shape {x.shape}")
        if x.shape[1:] != self.feature_shape:
            raise ValueError(f"{argument}.x must have shape (N, "
                             f"{', '.join(map(str, self.feature_shape))}), got {x.shape}")
        x = x.astype(np.float32).reshape(len(x), -1)  # float64 is cast; always a copy
        if not np.isfinite(x).all():
            raise ValueError(f"{argument}.x holds NaN or infinite values "
                             f"({int((~np.isfinite(x)).sum())} of {x.size})")
        if raw_y is None:
            if labels:
                raise ValueError(f"{argument} has no labels: pass an object with .x and .y "
                                 "or an (x, y) tuple")
            return x, None
        y = np.asarray(raw_y)
        if y.dtype.kind == "f" and y.size and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)  # whole-number float labels are accepted
        if y.dtype.kind not in "iu":
            raise TypeError(f"{argument}.y must hold integer class labels, got dtype {y.dtype}")
        if y.shape != (len(x),):
            raise ValueError(f"{argument}.y must have shape ({len(x)},) to match "
                             f"{argument}.x, got {y.shape}")
        if y.min() < 0 or y.max() >= self.num_classes:
            raise ValueError(f"{argument}.y must hold labels in [0, {self.num_classes - 1}], "
                             f"got values in [{y.min()}, {y.max()}]")
        return x, y.astype(np.int32)

    # -- the Sedna estimator API --------------------------------------------------------
    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> dict[str, float]:
        """Train in place; return the training metrics. ``valid_data`` is accepted, unused."""
        options = {**self.defaults, **{k: v for k, v in kwargs.items() if k in self.defaults}}
        x, y = self._arrays(train_data, "train_data", labels=True)
        batch_size, epochs = options["batch_size"], options["epochs"]
        for name, value in (("batch_size", batch_size), ("epochs", epochs)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        rate = np.float32(options["learning_rate"])
        rng = np.random.default_rng(options["seed"])
        onehot = np.eye(self.num_classes, dtype=np.float32)[y]
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                index = order[start:start + batch_size]
                grad = (self._softmax(x[index] @ self.weight + self.bias)
                        - onehot[index]) / len(index)
                self.weight -= rate * (x[index].T @ grad)
                self.bias -= rate * grad.sum(axis=0)
        return self._metrics(x, y)

    def predict(self, data: Any, **kwargs: Any) -> np.ndarray:
        """Logits, one row per sample; extra keywords (Sedna's ``kwargs=``) are ignored."""
        x, _ = self._arrays(data, "data", labels=False)
        return x @ self.weight + self.bias

    def evaluate(self, data: Any, **kwargs: Any) -> dict[str, float]:
        """``{"accuracy", "loss"}`` (mean cross-entropy) on labelled ``data``."""
        return self._metrics(*self._arrays(data, "data", labels=True))

    def _metrics(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        probs = self._softmax(x @ self.weight + self.bias)
        return {"accuracy": float((probs.argmax(axis=1) == y).mean()),
                "loss": float(-np.log(probs[np.arange(len(y)), y] + 1e-12).mean())}

    @staticmethod
    def _softmax(logits: np.ndarray) -> np.ndarray:
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    # -- weights --------------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of ``[weight, bias]``."""
        return [self.weight.copy(), self.bias.copy()]

    def set_weights(self, weights: Any) -> None:
        """Set ``[weight, bias]`` from arrays or nested lists (``json.loads``), checked first.

        Raises ``ValueError`` naming ``weights`` on a wrong count, shape or entry; nothing
        is written unless every array fits.
        """
        reference = self.get_weights()
        if isinstance(weights, str | bytes | dict) or not hasattr(weights, "__len__"):
            raise ValueError(f"weights must be a list of {len(reference)} arrays as "
                             f"get_weights() returns, got {type(weights).__name__}")
        if len(weights) != len(reference):
            raise ValueError(f"weights must hold {len(reference)} arrays ({', '.join(_NAMES)})"
                             f", got {len(weights)}")
        checked = []
        for i, (given, ref) in enumerate(zip(weights, reference, strict=True)):
            try:
                array = np.array(given, dtype=ref.dtype)  # a copy: the caller keeps theirs
            except (TypeError, ValueError) as error:
                raise ValueError(f"weights[{i}] ({_NAMES[i]}) must be a numeric array of "
                                 f"shape {ref.shape}: {error}") from None
            if array.shape != ref.shape:
                raise ValueError(f"weights[{i}] ({_NAMES[i]}) must have shape {ref.shape}, "
                                 f"got {array.shape}")
            checked.append(array)
        self.weight, self.bias = checked

    # -- files ----------------------------------------------------------------------------
    def save(self, path: str) -> str:
        """Write an ``.npz`` at exactly ``path``, atomically; return ``path``."""
        folder = os.path.dirname(path) or "."
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".saving-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, weight=self.weight, bias=self.bias)
            os.replace(tmp, path)  # readers see the old file or the new one, never half
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path

    def load(self, model_url: str) -> None:
        """Load a file written by :meth:`save`; anything else raises ``ValueError``."""
        with open(model_url, "rb") as handle:  # a missing file stays FileNotFoundError
            try:
                with np.load(handle, allow_pickle=False) as stored:
                    arrays = [stored[name] for name in _NAMES]
            except (OSError, ValueError, KeyError, EOFError, NotImplementedError,
                    zipfile.BadZipFile) as error:
                raise ValueError(f"model file {model_url!r} is not an intact .npz of this "
                                 f"model: {error}") from None
        try:
            self.set_weights(arrays)
        except ValueError as error:
            raise ValueError(f"model file {model_url!r} holds another model: {error}") from None

    def load_weights(self, model_path: str) -> None:
        """Same as :meth:`load`."""
        self.load(model_url=model_path)
