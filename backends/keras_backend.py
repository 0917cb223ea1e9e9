"""``KerasBackend``: Sedna's Keras backend on Keras 3, complete.

What it adds to :class:`~sedna_conformance.backends.network_backend.NetworkBackend`:

* **Checkpoints in Keras's own archive format.** A checkpoint is the ``.keras`` zip archive
  ``model.save`` writes (``config.json``, ``metadata.json``, ``model.weights.h5``), sealed
  with a SHA-256 of every byte before it, kept in the archive's zip comment (which Keras and
  every zip reader ignore). It is written into a temporary file beside the target, fsynced
  and renamed into place (``os.replace``), so a crash leaves the previous file whole. On
  ``load`` the bytes are checked against the seal first, so an empty, truncated, flipped or
  foreign file raises ``ValueError`` before Keras reads it, and so does an archive whose
  weights are not laid out exactly as the model's (another architecture); Keras's
  ``load_weights`` then reads the weights alone (no ``config.json``, so no code is ever
  deserialized, and nothing is ever unpickled), all or nothing.
* **Any file name, ``.pb`` included.** Keras 3 insists on ``.keras``/``.weights.h5`` names,
  while Sedna names Keras models ``model_finetune_keras.pb`` and its jobs pass names such
  as ``model.pb``. Keras writes the archive under a temporary ``.keras`` name, which is
  then renamed to the name asked for, so ``save("…/model.pb")`` writes exactly that path;
  ``load`` verifies the file's bytes and gives Keras a private ``.keras`` copy of them.
* **Devices.** ``use_cuda=True`` places the model on the first GPU Keras lists; without
  one (or with ``use_cuda=False``) everything runs on the CPU: every call to the estimator
  runs inside ``keras.device(...)``, a class estimator is built inside it, and a
  :class:`KerasEstimator` whose variables live elsewhere is rebuilt there (Functional and
  Sequential models; a subclassed one stays where it was built, with a warning).
* a bare ``keras.Model`` is wrapped in :class:`KerasEstimator`, never called; weights are
  the model's variables in ``model.weights`` order, as JSON-safe nested lists.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from sedna_conformance.backends.base import BackendBase
from sedna_conformance.backends.data import as_arrays, batches
from sedna_conformance.backends.estimators import cross_entropy
from sedna_conformance.backends.network_backend import NetworkBackend
from sedna_conformance.backends.weights import EstimatorWeights, WeightsAccess, check_weights

__all__ = ["KerasBackend", "KerasEstimator", "gpu_visible", "read_archive",
           "variables_device", "write_archive"]

#: The suffix Keras needs to read and write its zip archive.
ARCHIVE_SUFFIX = ".keras"
#: Starts the zip comment that seals an archive: this tag, then 64 hex digits of SHA-256.
SEAL_TAG = b"sedna-sha256:"
_SEAL_SIZE = len(SEAL_TAG) + 64
_WEIGHTS_MEMBER = "model.weights.h5"  # the weights inside a Keras archive
_EMPTY_END = b"PK\x05\x06"  # the end-of-central-directory record, 22 bytes with no comment


def gpu_visible() -> bool:
    """Whether Keras's backend lists a GPU in this process."""
    import keras

    return bool(keras.distribution.list_devices("gpu"))


def variables_device(model: Any) -> str:
    """``"gpu"`` or ``"cpu"``: where the first variable of ``model`` lives."""
    if not model.weights:
        return "cpu"
    value = model.weights[0].value
    device = getattr(value, "device", "")
    text = str(device() if callable(device) else device).lower()
    return "gpu" if "gpu" in text or "cuda" in text else "cpu"


# -- sealed archives ------------------------------------------------------------------
@contextlib.contextmanager
def _numpy2_quiet() -> Iterator[None]:
    """Keras saving a TensorFlow model under NumPy 2 warns, once per variable, that
    TensorFlow's ``__array__`` takes no ``copy`` keyword: harmless, and not ours to fix.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "__array__ implementation doesn't accept a copy",
                                DeprecationWarning)
        yield


def _seal(data: bytes, path: str) -> bytes:
    """``data`` (a zip archive without a comment) with the seal as its comment."""
    if len(data) < 22 or data[-22:-18] != _EMPTY_END or data[-2:] != b"\0\0":
        raise RuntimeError(f"Keras wrote an archive for {path!r} that ends unexpectedly")
    body = data[:-2] + struct.pack("<H", _SEAL_SIZE)
    return body + SEAL_TAG + hashlib.sha256(body).hexdigest().encode("ascii")


def _check_seal(data: bytes, path: str) -> None:
    """``ValueError`` unless ``data`` is a sealed archive whose every byte is intact."""
    body, seal = data[:-_SEAL_SIZE], data[-_SEAL_SIZE:]
    if (len(data) < 22 + _SEAL_SIZE or not seal.startswith(SEAL_TAG)
            or body[-2:] != struct.pack("<H", _SEAL_SIZE)):
        raise ValueError(f"model file {path!r} is not a checkpoint written by KerasBackend "
                         f"(a sealed Keras archive; {len(data)} bytes): empty, truncated or "
                         "foreign")
    if hashlib.sha256(body).hexdigest().encode("ascii") != seal[len(SEAL_TAG):]:
        raise ValueError(f"model file {path!r} is corrupted: its SHA-256 does not match the "
                         "one sealed into it when it was saved")


def write_archive(model: Any, path: str) -> str:
    """Save ``model`` to exactly ``path`` (any name), atomically; return ``path``."""
    final = os.fspath(path)
    folder = os.path.dirname(final) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=ARCHIVE_SUFFIX, dir=folder)
    os.close(fd)
    try:
        with _numpy2_quiet():
            model.save(tmp)  # Keras writes its archive under the .keras name
        with open(tmp, "rb") as handle:
            sealed = _seal(handle.read(), final)
        with open(tmp, "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself, durable where folders sync
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return final


def _layout(source: Any) -> dict[str, tuple[int, ...]]:
    """Path → shape of every weight array in a Keras weights file (a path or a file
    object), the optimizer's state left out: the model's own variables, as Keras lays
    them out (by layer class and position, never by the instance's names).
    """
    import h5py

    found: dict[str, tuple[int, ...]] = {}

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Dataset) and not name.startswith("optimizer/"):
            found[name] = tuple(item.shape)

    with h5py.File(source, "r") as weights:
        weights.visititems(visit)
    return found


def read_archive(model: Any, path: str) -> None:
    """Load the weights of the checkpoint at ``path`` into ``model``, all or nothing.

    ``FileNotFoundError`` for a missing file; ``ValueError`` for a damaged or foreign one,
    or one whose weights are not laid out exactly as ``model``'s (another architecture:
    Keras alone would load a file holding more layers, and only warn about some missing
    ones). The model is then as it was.
    """
    with open(path, "rb") as handle:
        data = handle.read()
    _check_seal(data, path)
    with tempfile.TemporaryDirectory(prefix="sedna-keras-") as folder:
        own = os.path.join(folder, "own.weights.h5")
        with _numpy2_quiet():
            model.save_weights(own)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                stored = _layout(io.BytesIO(archive.read(_WEIGHTS_MEMBER)))
        except Exception as error:
            raise ValueError(f"model file {path!r} holds no Keras weights: "
                             f"{type(error).__name__}: {error}") from None
        expected = _layout(own)
        if stored != expected:
            differ = sorted(set(stored.items()) ^ set(expected.items()))[:2]
            raise ValueError(f"model file {path!r} does not fit this model: it holds "
                             f"{len(stored)} weight arrays, the model {len(expected)}; "
                             f"they differ at {differ}. Was it saved from the same "
                             "architecture?")
        readable = os.path.join(folder, "model" + ARCHIVE_SUFFIX)
        with open(readable, "wb") as handle:
            handle.write(data)
        saved = [np.array(w, copy=True) for w in model.get_weights()]
        try:
            model.load_weights(readable)
        except Exception as error:
            model.set_weights(saved)
            raise ValueError(f"model file {path!r} does not load into this model: "
                             f"{type(error).__name__}: {str(error)[:300]}") from None


# -- the estimator --------------------------------------------------------------------
class KerasEstimator:
    """A Sedna-style estimator around a ``keras.Model`` mapping float32
    ``(N, *input_shape)`` to ``(N, num_classes)`` logits.

    ``train(train_data, valid_data=None, **kw)`` (keywords ``epochs``, ``batch_size``,
    ``learning_rate``, ``seed``, the shuffling order, and ``callbacks``) fits with Adam and
    sparse cross-entropy from a fresh optimizer on each call, through a wrapper model so
    that ``model`` itself never carries an optimizer; ``run_eagerly`` (default ``True``:
    on small models tracing costs more than it saves) is passed to ``compile``.
    ``predict`` returns logits, in padded batches of ``predict_batch_size``, so a sample's
    output never depends on its batch; ``evaluate`` returns ``{"accuracy", "loss"}``;
    ``save(path)``/``load(model_url=path)`` use :func:`write_archive`/:func:`read_archive`.
    """

    def __init__(self, model: Any, *, num_classes: int | None = None,
                 input_shape: Sequence[int] | None = None, epochs: int = 5,
                 batch_size: int = 16, learning_rate: float = 0.01, seed: int = 0,
                 predict_batch_size: int = 32, run_eagerly: bool = True) -> None:
        self.model = model
        if input_shape is None:
            try:
                input_shape = model.input_shape[1:]
            except (AttributeError, ValueError, TypeError):
                raise TypeError("pass input_shape (the shape of one sample): the model "
                                "does not say") from None
        self.input_shape = tuple(int(n) for n in input_shape)
        if num_classes is None:
            with contextlib.suppress(AttributeError, ValueError, TypeError):
                num_classes = int(model.output_shape[-1])
        self.num_classes = num_classes
        self.defaults: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size,
                                         "learning_rate": learning_rate, "seed": seed}
        self.predict_batch_size = predict_batch_size
        self.run_eagerly = run_eagerly
        self._trainer: tuple[Any, Any] | None = None  # (model, the model wrapped to fit)

    def _arrays(self, data: Any, argument: str, labels: bool) -> tuple[np.ndarray, Any]:
        return as_arrays(data, argument, labels=labels, feature_shape=self.input_shape,
                         num_classes=self.num_classes)

    def place(self, device: str) -> None:
        """Keep the model's variables on ``device`` (``"cpu:0"``, ``"gpu:0"``), rebuilding a
        Functional or Sequential model there (same weights) if they live elsewhere.
        """
        import keras

        if variables_device(self.model) == device.split(":")[0]:
            return
        try:
            with keras.device(device):
                clone = keras.models.clone_model(self.model)
                clone.set_weights(self.model.get_weights())
        except Exception as error:
            warnings.warn(f"the model stays where it was built, not on {device}: "
                          f"{type(self.model).__name__} cannot be rebuilt there ({error})",
                          RuntimeWarning, stacklevel=2)
            return
        self.model = clone

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> dict[str, float]:
        """Fit on ``train_data``; return the training (and validation) metrics."""
        import keras

        options = {**self.defaults, **{k: v for k, v in kwargs.items() if k in self.defaults}}
        x, y = self._arrays(train_data, "train_data", labels=True)
        if valid_data is not None:
            self._arrays(valid_data, "valid_data", labels=True)
        for key in ("epochs", "batch_size"):
            if not isinstance(options[key], int) or options[key] < 1:
                raise ValueError(f"{key} must be a positive integer, got {options[key]!r}")
        if not float(options["learning_rate"]) > 0:
            raise ValueError(f"learning_rate must be positive, got {options['learning_rate']!r}")
        if self._trainer is None or self._trainer[0] is not self.model:
            inputs = keras.Input(shape=self.input_shape)
            self._trainer = (self.model, keras.Model(inputs, self.model(inputs)))
        trainer = self._trainer[1]
        trainer.compile(optimizer=keras.optimizers.Adam(float(options["learning_rate"])),
                        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        run_eagerly=self.run_eagerly)
        rng = np.random.default_rng(options["seed"])
        for _ in range(options["epochs"]):
            order = rng.permutation(len(x))
            trainer.fit(x[order], y[order], batch_size=options["batch_size"], epochs=1,
                        shuffle=False, verbose=0, callbacks=kwargs.get("callbacks"))
        metrics = {f"train_{k}": v for k, v in self._metrics(x, y).items()}
        if valid_data is not None:
            metrics.update({f"valid_{k}": v for k, v in self.evaluate(valid_data).items()})
        return metrics

    def predict(self, data: Any, batch_size: int | None = None, **_kwargs: Any) -> np.ndarray:
        """Logits ``(N, num_classes)`` for the samples of ``data``."""
        import keras

        x, _ = self._arrays(data, "data", labels=False)
        size = int(batch_size or self.predict_batch_size)
        outputs = []
        for index in batches(len(x), size):
            batch = x[index]
            if len(batch) < size:  # one batch shape: the same kernels for every sample
                batch = np.concatenate([batch, np.zeros((size - len(batch), *batch.shape[1:]),
                                                        batch.dtype)])
            logits = keras.ops.convert_to_numpy(self.model(batch, training=False))
            outputs.append(np.asarray(logits, dtype=np.float32)[:len(index)])
        return np.concatenate(outputs)

    def _metrics(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        logits = self.predict(x)
        return {"accuracy": float((logits.argmax(axis=1) == y).mean()),
                "loss": cross_entropy(logits.astype(np.float64), y)}

    def evaluate(self, data: Any, **_kwargs: Any) -> dict[str, float]:
        """``{"accuracy", "loss"}`` of the model on labelled ``data``."""
        x, y = self._arrays(data, "data", labels=True)
        return self._metrics(x, y)

    def save(self, model_path: str) -> str:
        """Write a sealed Keras archive to exactly ``model_path``; return it."""
        return write_archive(self.model, model_path)

    def load(self, model_url: str) -> None:
        """Load the checkpoint at ``model_url``."""
        read_archive(self.model, model_url)

    def load_weights(self, model_path: str) -> None:
        """Load the checkpoint at ``model_path``."""
        read_archive(self.model, model_path)

    def get_weights(self) -> list[np.ndarray]:
        """The model's weights, as ``keras.Model.get_weights`` gives them (the Keras
        convention upstream Sedna's ``KerasBackend`` relies on).
        """
        return [np.array(w, copy=True) for w in self.model.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set what :meth:`get_weights` gave (arrays or nested lists), all checked first."""
        access = _ModelWeights(self.model)
        access.set(check_weights(weights, access.get(), access.names))


class _ModelWeights:
    """The variables of a ``keras.Model``, in ``model.weights`` order."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.names = [str(v.path) for v in model.weights]

    def get(self) -> list[np.ndarray]:
        return [np.array(w, copy=True) for w in self.model.get_weights()]

    def set(self, arrays: Sequence[np.ndarray]) -> None:
        self.model.set_weights(list(arrays))


def _model_of(estimator: Any) -> Any:
    """``estimator`` if it is a ``keras.Model``, else its attribute ``model`` if that is
    one, else ``None``.
    """
    import keras

    for candidate in (estimator, getattr(estimator, "model", None)):
        if isinstance(candidate, keras.Model):
            return candidate
    return None


# -- the backend ----------------------------------------------------------------------
class KerasBackend(NetworkBackend):
    """Run a Keras 3 estimator for Sedna.

    ``estimator``: a ``keras.Model`` (wrapped in :class:`KerasEstimator`), or a Sedna-style
    estimator class or instance whose Keras model is its attribute ``model`` (weights and
    checkpoints then go through it) or which has ``get_weights``/``set_weights`` and its own
    ``save``/``load``.
    """

    framework = "keras"
    network_estimator: type = KerasEstimator

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        wants_gpu = bool(kwargs.get("use_cuda")) and self.gpu_visible()
        self.device = "gpu:0" if wants_gpu else "cpu:0"
        with self.framework_context():  # a class estimator builds its model on the device
            super().__init__(estimator, fine_tune, **kwargs)

    def gpu_visible(self) -> bool:
        """Whether Keras sees a GPU here."""
        return gpu_visible()

    @contextlib.contextmanager
    def framework_context(self) -> Iterator[None]:
        """Run the body on this backend's device (``keras.device``)."""
        import keras

        with keras.device(self.device):
            yield

    def keras_model(self) -> Any:
        """The ``keras.Model`` behind the estimator, or ``None``."""
        return _model_of(self._runner)

    # -- hooks ------------------------------------------------------------------------
    def _make_runner(self, estimator: Any) -> Any:
        import keras

        runner = self.network_estimator(estimator) if isinstance(estimator, keras.Model) \
            else estimator
        if isinstance(runner, KerasEstimator):
            runner.place(self.device)
        return runner

    def _resolve_weights(self, estimator: Any) -> WeightsAccess:
        model = _model_of(estimator)
        if model is not None:
            return _ModelWeights(model)
        if callable(getattr(estimator, "get_weights", None)) and \
                callable(getattr(estimator, "set_weights", None)):
            return EstimatorWeights(estimator)
        raise TypeError(f"cannot find the weights of estimator {type(estimator).__name__}: "
                        "give it an attribute 'model' holding its keras.Model, or "
                        "get_weights()/set_weights(list)")

    def _written_candidates(self, path: str) -> list[str]:
        """Exactly ``path`` for this backend's checkpoints (no suffix is appended); an
        estimator saving itself may append Sedna's.
        """
        return [path] if self.keras_model() is not None else super()._written_candidates(path)

    def _save_local(self, model_url: str, model_name: str | None) -> str:
        """Write a sealed Keras archive to ``model_path()``; return that path."""
        model = self.keras_model()
        if model is None:  # the estimator's own save
            return BackendBase._save_local(self, model_url, model_name)
        return write_archive(model, self.model_path(model_url, model_name))

    def _load_local(self, path: str, **kwargs: Any) -> None:
        """Load a checkpoint; a damaged or mismatched file raises and changes nothing."""
        model = self.keras_model()
        if model is None:
            BackendBase._load_local(self, path, **kwargs)
            return
        read_archive(model, path)
        self.has_load = True
