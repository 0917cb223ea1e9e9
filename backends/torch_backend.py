"""``TorchBackend``: Sedna's PyTorch backend, complete.

Differences from upstream ``sedna.backend.torch.TorchBackend`` (whose ``train`` is
``pass``, whose ``load`` ignores its arguments and logs errors away, and which has no
weights): the whole contract, as
:class:`~sedna_conformance.backends.network_backend.NetworkBackend` gives it, with these
PyTorch parts:

* **the model**: a ``torch.nn.Module`` is wrapped in :class:`TorchEstimator` (never
  called); a Sedna-style estimator is used as given, its weights found on itself (a
  ``Module``), through its ``get_weights``/``set_weights``, or on its attribute
  ``network`` or ``model``;
* **the device**: ``use_cuda=True`` puts the model on ``cuda`` where
  ``torch.cuda.is_available()``, else it stays on the CPU (with a warning); ``use_cuda=False``
  keeps it on the CPU even where a GPU is visible;
* **checkpoints**: ``torch.save`` of ``{"state_dict", "sha256"}`` (tensors on the CPU),
  written atomically (temporary file, ``fsync``, rename) under exactly the name asked for
  (Sedna's ``.pth``, or any other); read with ``torch.load(weights_only=True)``, so no code
  in a file ever runs, and the SHA-256 of every name and tensor checked, so a flipped byte
  is refused. A plain ``state_dict`` saved by ``torch.save`` loads too (without the check).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from sedna_conformance.backends.data import as_arrays, batches
from sedna_conformance.backends.estimators import cross_entropy
from sedna_conformance.backends.network_backend import NetworkBackend
from sedna_conformance.backends.weights import EstimatorWeights, WeightsAccess

__all__ = ["ModuleWeights", "TorchBackend", "TorchEstimator", "read_torch_checkpoint",
           "write_torch_checkpoint"]

#: Marks a checkpoint written by :func:`write_torch_checkpoint`.
CHECKPOINT_FORMAT = "sedna-conformance/torch-state-dict/1"


class ModuleWeights:
    """The ``state_dict`` of a ``torch.nn.Module`` (parameters and buffers, such as
    batch-norm statistics), by position; written in place, so an optimizer keeps them.
    """

    def __init__(self, module: Any) -> None:
        self.module = module
        self.names = list(module.state_dict().keys())

    def get(self) -> list[np.ndarray]:
        return [t.detach().cpu().numpy().copy() for t in self.module.state_dict().values()]

    def set(self, arrays: Sequence[np.ndarray]) -> None:
        import torch

        with torch.no_grad():
            for tensor, array in zip(self.module.state_dict().values(), arrays, strict=True):
                tensor.copy_(torch.from_numpy(np.require(array, requirements="C")))


def _digest(state: dict[str, Any]) -> str:
    """SHA-256 over every name, dtype, shape and byte of ``state`` (CPU tensors), in order."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        array = tensor.detach().cpu().contiguous().numpy()
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_torch_checkpoint(path: str, names: Sequence[str],
                           arrays: Sequence[np.ndarray]) -> str:
    """Write ``names``/``arrays`` to ``path`` atomically, with their SHA-256; return ``path``."""
    import torch

    final = os.fspath(path)
    folder = os.path.dirname(final) or "."
    os.makedirs(folder, exist_ok=True)
    state = {n: torch.from_numpy(np.require(a, requirements="C")) for n, a in
             zip(names, arrays, strict=True)}
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".pth", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save({"format": CHECKPOINT_FORMAT, "state_dict": state,
                        "sha256": _digest(state)}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return final


def read_torch_checkpoint(path: str) -> dict[str, np.ndarray]:
    """``{name: array}`` from a checkpoint, read without running code.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for anything that
    is not an intact PyTorch state dict (empty, truncated, corrupted, pickled code).
    """
    import torch

    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types (pickle, zip, runtime) for one cause
        raise ValueError(f"model file {path!r} is not an intact PyTorch checkpoint: "
                         f"{type(exc).__name__}: {str(exc)[:200]}") from None
    if isinstance(loaded, dict) and loaded.get("format") == CHECKPOINT_FORMAT:
        state = loaded.get("state_dict")
        if not isinstance(state, dict) or _digest(state) != loaded.get("sha256"):
            raise ValueError(f"model file {path!r} is damaged: its SHA-256 does not match "
                             "what was saved")
    else:
        state = loaded
    if not isinstance(state, dict) or not state or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise ValueError(f"model file {path!r} holds no PyTorch state dict (name → tensor)")
    return {k: v.detach().cpu().numpy().copy() for k, v in state.items()}


class TorchEstimator:
    """Train, predict, evaluate, save and load a classifier ``torch.nn.Module``.

    ``network`` maps float32 ``(N, *input_shape)`` to ``(N, num_classes)`` logits.
    ``train`` keywords override the constructor's ``epochs``, ``batch_size``,
    ``learning_rate``, ``optimizer`` (``"adam"`` or ``"sgd"``) and ``seed`` (shuffling
    order and any randomness in the network); each ``train`` starts a fresh optimizer.
    """

    def __init__(self, network: Any, *, num_classes: int | None = None,
                 input_shape: tuple[int, ...] | None = None, epochs: int = 5,
                 batch_size: int = 16, learning_rate: float = 0.01, optimizer: str = "adam",
                 seed: int = 0, predict_batch_size: int = 64) -> None:
        self.network = network
        self.num_classes = num_classes
        self.input_shape = tuple(input_shape) if input_shape else None
        self.defaults: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size,
                                         "learning_rate": learning_rate,
                                         "optimizer": optimizer, "seed": seed}
        self.predict_batch_size = predict_batch_size

    @property
    def device(self) -> Any:
        """Where the network's parameters live."""
        import torch

        first = next(iter(self.network.parameters()), None)
        return first.device if first is not None else torch.device("cpu")

    def _arrays(self, data: Any, argument: str, labels: bool) -> tuple[np.ndarray, Any]:
        return as_arrays(data, argument, labels=labels, feature_shape=self.input_shape,
                         num_classes=self.num_classes)

    def _optimizer(self, name: str, learning_rate: float) -> Any:
        import torch

        if name == "adam":
            return torch.optim.Adam(self.network.parameters(), lr=learning_rate)
        if name == "sgd":
            return torch.optim.SGD(self.network.parameters(), lr=learning_rate, momentum=0.9)
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {name!r}")

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> dict[str, float]:
        """Train on ``train_data``; return the final training metrics (and validation ones)."""
        import torch

        options = {**self.defaults, **{k: v for k, v in kwargs.items() if k in self.defaults}}
        x, y = self._arrays(train_data, "train_data", labels=True)
        if valid_data is not None:
            self._arrays(valid_data, "valid_data", labels=True)
        epochs = options["epochs"]
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        rng = np.random.default_rng(options["seed"])
        optimizer = self._optimizer(options["optimizer"], float(options["learning_rate"]))
        device = self.device
        features, targets = torch.from_numpy(x).to(device), torch.from_numpy(y).long().to(device)
        loss_fn = torch.nn.CrossEntropyLoss()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(options["seed"]))
            self.network.train(True)
            try:
                for _ in range(epochs):
                    for index in batches(len(x), options["batch_size"], rng):
                        batch = torch.from_numpy(index).to(device)
                        optimizer.zero_grad()
                        loss = loss_fn(self.network(features[batch]), targets[batch])
                        loss.backward()
                        optimizer.step()
            finally:
                self.network.train(False)
        metrics = {f"train_{k}": v for k, v in self._metrics(x, y).items()}
        if valid_data is not None:
            metrics.update({f"valid_{k}": v for k, v in self.evaluate(valid_data).items()})
        return metrics

    def predict(self, data: Any, batch_size: int | None = None, **_kwargs: Any) -> np.ndarray:
        """Logits ``(N, num_classes)`` for the samples of ``data`` (evaluation mode)."""
        import torch

        x, _ = self._arrays(data, "data", labels=False)
        device = self.device
        self.network.train(False)
        with torch.no_grad():
            outputs = [self.network(torch.from_numpy(x[index]).to(device)).cpu().numpy()
                       for index in batches(len(x), int(batch_size or self.predict_batch_size))]
        return np.concatenate(outputs).astype(np.float32, copy=False)

    def _metrics(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        logits = self.predict(x)
        return {"accuracy": float((logits.argmax(axis=1) == y).mean()),
                "loss": cross_entropy(logits.astype(np.float64), y)}

    def evaluate(self, data: Any, **_kwargs: Any) -> dict[str, float]:
        """``{"accuracy", "loss"}`` of the model on labelled ``data``."""
        x, y = self._arrays(data, "data", labels=True)
        return self._metrics(x, y)

    def save(self, model_path: str) -> str:
        """Write a checkpoint at ``model_path``; return it."""
        weights = ModuleWeights(self.network)
        return write_torch_checkpoint(model_path, weights.names, weights.get())

    def load(self, model_url: str) -> None:
        """Load the checkpoint at ``model_url`` into the network; every tensor must fit."""
        from sedna_conformance.backends.weights import assign_stored

        assign_stored(ModuleWeights(self.network), read_torch_checkpoint(model_url),
                      f"checkpoint {model_url!r}")

    load_weights = load


class TorchBackend(NetworkBackend):
    """Run a PyTorch ``nn.Module`` or Sedna-style estimator for Sedna."""

    framework = "pytorch"
    network_estimator: type = TorchEstimator

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        super().__init__(estimator, fine_tune, **kwargs)
        import torch

        self.device = torch.device("cuda" if self.use_cuda and self.gpu_visible() else "cpu")
        module = self._module()
        if module is not None:
            module.to(self.device)

    def gpu_visible(self) -> bool:
        """Whether PyTorch sees a CUDA device."""
        import torch

        return bool(torch.cuda.is_available())

    # -- PyTorch hooks ----------------------------------------------------------------
    def _make_runner(self, estimator: Any) -> Any:
        """A ``torch.nn.Module`` is wrapped in ``network_estimator``."""
        import torch

        if isinstance(estimator, torch.nn.Module):
            return self.network_estimator(estimator)
        return estimator

    def _module(self) -> Any:
        """The ``torch.nn.Module`` behind the estimator, or ``None``."""
        import torch

        runner = self._runner
        for candidate in (runner, getattr(runner, "network", None), getattr(runner, "model", None)):
            if isinstance(candidate, torch.nn.Module):
                return candidate
        return None

    def _resolve_weights(self, estimator: Any) -> WeightsAccess:
        module = self._module()
        if module is not None:
            return ModuleWeights(module)
        if callable(getattr(estimator, "get_weights", None)) and \
                callable(getattr(estimator, "set_weights", None)):
            return EstimatorWeights(estimator)
        raise TypeError(
            f"cannot find the weights of estimator {type(estimator).__name__}: make it a "
            "torch.nn.Module, give it get_weights()/set_weights(list), or give it an "
            "attribute 'network' or 'model' holding its torch.nn.Module")

    def _write_checkpoint(self, path: str, names: Sequence[str],
                          arrays: Sequence[np.ndarray]) -> str:
        return write_torch_checkpoint(path, names, arrays)

    def _read_checkpoint(self, path: str) -> dict[str, np.ndarray]:
        return read_torch_checkpoint(path)

    def _written_candidates(self, path: str) -> list[str]:
        """A save writes exactly the path asked for."""
        return [path]
