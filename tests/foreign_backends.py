"""A correct Sedna backend written independently of this project's backends, to show the
conformance suite judges the contract and not our backends' shape.

Everything here differs from :mod:`sedna_conformance.harness.starter` on purpose:

- the data is tabular, ``(N, 6)`` features and 3 classes, held by :class:`Table`, whose
  constructor takes positional arguments only (the harness must never build one);
- the estimator, :class:`LinearModel`, keeps its parameters in a ``params`` dict (like a
  framework's state dict) and has no ``get_weights``/``set_weights``;
- :class:`TabularBackend` subclasses nothing from this project, snapshots and restores
  ``params`` itself, and writes its own checkpoint format: one canonical JSON document
  with a ``sha256`` of its body, written atomically (temporary file, fsync, ``os.replace``).

:func:`profile` is the conformance profile (``--profile tests.foreign_backends:profile``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from sedna_conformance.harness.contract.profile import Capabilities, Profile

__all__ = ["FEATURES", "LABELS", "LinearCore", "LinearModel", "Table", "TableSplits", "TabularBackend",
           "make_tables", "profile"]

FEATURES = 6
LABELS = 3
CHECKPOINT_FORMAT = "foreign-tabular-linear/1"

Params = dict[str, np.ndarray]


# -- data ------------------------------------------------------------------------------------
class Table:
    """Rows of features ``x`` (float32, ``(N, F)``) and integer labels ``y`` (``(N,)``)."""

    __slots__ = ("x", "y")

    def __init__(self, features: np.ndarray, labels: np.ndarray, /) -> None:
        self.x = features
        self.y = labels

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return f"Table({len(self)} rows x {np.shape(self.x)[1:]})"


class TableSplits(NamedTuple):
    """The five splits the suite asks a profile for."""

    train: Table
    valid: Table
    test: Table
    incremental_train: Table
    incremental_test: Table


def _table(rows: int, seed: int, shifted: bool) -> Table:
    """``rows`` samples; every block of 3 rows holds each class once (so any prefix of 8
    rows holds the highest label). Features 0-2 carry a one-hot cue of the class (rotated by
    one in the shifted distribution), features 3-5 a signed cue that never shifts.
    """
    rng = np.random.default_rng(seed)
    blocks = -(-rows // LABELS)
    labels = np.concatenate([rng.permutation(LABELS) for _ in range(blocks)])[:rows]
    cue = np.eye(LABELS)[(labels + 1) % LABELS if shifted else labels] * 2.0
    signs = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [-1.0, 0.0, 1.0]])[labels]
    features = np.concatenate([cue, signs], axis=1) + rng.normal(0.0, 0.6, (rows, FEATURES))
    return Table(features.astype(np.float32), labels.astype(np.int64))


def make_tables(seed: int = 0) -> TableSplits:
    """Base ``train``/``valid``/``test`` and shifted ``incremental_*`` splits."""
    return TableSplits(_table(150, seed, False), _table(60, seed + 1, False),
                       _table(90, seed + 2, False), _table(60, seed + 3, True),
                       _table(90, seed + 4, True))


# -- input checks (shared by the estimator and the backend) ----------------------------------
def _columns(data: Any, argument: str) -> tuple[Any, Any]:
    if data is None:
        raise TypeError(f"{argument} is required (an object with .x/.y, an (x, y) pair or a "
                        "feature array), got None")
    if hasattr(data, "x"):
        return data.x, getattr(data, "y", None)
    if isinstance(data, tuple) and len(data) == 2:
        return data[0], data[1]
    return data, None


def check_table(data: Any, argument: str, features: int, labels: int | None
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Features as a float64 copy ``(N, features)`` and, when ``labels`` is a class count,
    int64 labels in ``[0, labels)``; ``TypeError``/``ValueError`` naming ``argument`` else.
    """
    raw_x, raw_y = _columns(data, argument)
    if raw_x is None:
        raise TypeError(f"{argument}.x is None")
    x = np.asarray(raw_x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{argument}.x must hold real numbers, got dtype {x.dtype}")
    if x.ndim != 2 or x.shape[1] != features:
        raise ValueError(f"{argument}.x must have shape (N, {features}), got {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{argument} holds no rows")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{argument}.x holds {int((~np.isfinite(x)).sum())} NaN or "
                         "infinite values")
    if labels is None:
        return x, None
    if raw_y is None:
        raise ValueError(f"{argument} has no labels (.y)")
    y = np.asarray(raw_y)
    if y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.round(y)).all():
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{argument}.y must hold integer labels, got dtype {y.dtype}")
    if y.shape != (len(x),):
        raise ValueError(f"{argument}.y must have shape ({len(x)},), got {y.shape}")
    if y.min() < 0 or y.max() >= labels:
        raise ValueError(f"{argument}.y must lie in [0, {labels - 1}], got "
                         f"[{y.min()}, {y.max()}]")
    return x, y.astype(np.int64)


# -- checkpoints -----------------------------------------------------------------------------
def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      ensure_ascii=True).encode("ascii")


def write_checkpoint(path: str, params: Mapping[str, np.ndarray]) -> str:
    """Write ``params`` to ``path`` as checksummed JSON, atomically; return ``path``.

    A reader sees the previous file or the complete new one, never a part: the document is
    written to a temporary file in the same folder, flushed to disk, then renamed over.
    """
    body = {"format": CHECKPOINT_FORMAT,
            "arrays": {name: {"shape": list(array.shape),
                              "values": np.asarray(array, np.float64).ravel().tolist()}
                       for name, array in params.items()}}
    document = _canonical({"body": body, "sha256": hashlib.sha256(_canonical(body)).hexdigest()})
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                             suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(document)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def read_checkpoint(path: str) -> Params:
    """The arrays of a checkpoint written by :func:`write_checkpoint`.

    ``FileNotFoundError`` naming ``path`` if there is no file; ``ValueError`` if it is not
    an intact checkpoint (truncated, corrupt, another format, a failed checksum).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        body, digest = document["body"], document["sha256"]
        if set(document) != {"body", "sha256"} or not isinstance(digest, str):
            raise ValueError("unexpected top-level fields")
        if hashlib.sha256(_canonical(body)).hexdigest() != digest:
            raise ValueError("sha256 mismatch: the file is corrupt")
        if body["format"] != CHECKPOINT_FORMAT:
            raise ValueError(f"format {body['format']!r}, not {CHECKPOINT_FORMAT!r}")
        params = {}
        for name, entry in body["arrays"].items():
            array = np.array(entry["values"], dtype=np.float64)
            params[name] = array.reshape([int(n) for n in entry["shape"]])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"{path!r} is not an intact {CHECKPOINT_FORMAT} checkpoint: "
                         f"{type(error).__name__}: {error}") from None
    return params


def matching(current: Mapping[str, np.ndarray], stored: Params, source: str) -> Params:
    """``stored`` if it has exactly the names and shapes of ``current``, else ``ValueError``."""
    expected = {name: array.shape for name, array in current.items()}
    found = {name: array.shape for name, array in stored.items()}
    if expected != found:
        raise ValueError(f"{source} holds another model: arrays {found}, expected {expected}")
    return stored


# -- the estimator ---------------------------------------------------------------------------
class LinearCore:
    """Softmax regression trained by full-batch gradient descent; ``params`` holds
    ``coef`` ``(features, classes)`` and ``intercept`` ``(classes,)``, float64. It has no
    ``save``/``load``: the backend owns its checkpoints.
    """

    def __init__(self, features: int = FEATURES, classes: int = LABELS, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.params: Params = {"coef": rng.normal(0.0, 0.05, (features, classes)),
                               "intercept": np.zeros(classes)}

    @property
    def shape(self) -> tuple[int, int]:
        """``(features, classes)``."""
        rows, columns = self.params["coef"].shape
        return int(rows), int(columns)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Row-wise ``x @ coef + intercept``, without BLAS (so batching changes no bit)."""
        return (x[:, :, None] * self.params["coef"][None]).sum(axis=1) + self.params["intercept"]

    def train(self, train_data: Any, valid_data: Any = None, *, epochs: int = 60,
              learning_rate: float = 0.5) -> dict[str, float]:
        """Train in place; return the training metrics."""
        features, classes = self.shape
        x, y = check_table(train_data, "train_data", features, classes)
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        assert y is not None
        target = np.eye(classes)[y]
        coef, intercept = self.params["coef"].copy(), self.params["intercept"].copy()
        for _ in range(epochs):
            grad = (_softmax(x @ coef + intercept) - target) / len(x)
            coef -= learning_rate * (x.T @ grad)
            intercept -= learning_rate * grad.sum(axis=0)
        self.params = {"coef": coef, "intercept": intercept}
        return self._metrics(x, y)

    def predict(self, data: Any, **kwargs: Any) -> np.ndarray:
        """Logits, one row per sample."""
        x, _ = check_table(data, "data", self.shape[0], None)
        return self.logits(x)

    def evaluate(self, data: Any, **kwargs: Any) -> dict[str, float]:
        """``accuracy`` and ``loss`` (mean cross-entropy) on labelled ``data``."""
        x, y = check_table(data, "data", *self.shape)
        assert y is not None
        return self._metrics(x, y)

    def _metrics(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        logits = self.logits(x)
        probabilities = _softmax(logits)
        return {"accuracy": float((logits.argmax(axis=1) == y).mean()),
                "loss": float(-np.log(probabilities[np.arange(len(y)), y] + 1e-12).mean())}

class LinearModel(LinearCore):
    """:class:`LinearCore` with ``save``/``load`` of its own."""

    def save(self, path: str) -> str:
        """Write the checkpoint at exactly ``path``; return it."""
        return write_checkpoint(path, self.params)

    def load(self, model_url: str) -> None:
        """Read a checkpoint of this model's shape; ``ValueError`` for any other file."""
        self.params = matching(self.params, read_checkpoint(model_url), repr(model_url))



def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# -- the backend -----------------------------------------------------------------------------
def _accepted(func: Callable[..., Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``kwargs`` that ``func`` takes by name."""
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return dict(kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(kwargs)
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {k: v for k, v in kwargs.items() if k in parameters and parameters[k].kind in named}


class TabularBackend:
    """A Sedna backend for estimators that keep their parameters in a ``params`` dict of
    NumPy arrays (:class:`LinearModel`), with Sedna's ``BackendBase`` interface.

    ``estimator``: a class (instantiated without arguments) or an instance (never called).
    Keywords: ``model_save_path`` (a folder, or a file; default a new temporary folder),
    ``model_name``; others (``model_save_url``, ``use_cuda``...) are kept, unused.
    """

    framework = "numpy"

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        self.estimator = estimator() if isinstance(estimator, type) else estimator
        self.fine_tune = fine_tune
        self.model_save_path: str = (kwargs.pop("model_save_path", None)
                                     or tempfile.mkdtemp(prefix="foreign-tabular-"))
        self._given_name: str | None = kwargs.pop("model_name", None)
        self.has_load = False
        self.extra = kwargs

    @property
    def model_name(self) -> str:
        """The given ``model_name``, else Sedna's ``model[_finetune_]numpy.pkl``."""
        if self._given_name:
            return self._given_name
        return f"model{'_finetune_' if self.fine_tune else ''}{self.framework}.pkl"

    # -- paths ------------------------------------------------------------------------------
    def _file(self, model_url: str = "", model_name: str | None = None) -> str:
        """The checkpoint file ``model_url`` (else ``model_save_path``) refers to: itself if
        it names a file, else ``model_name`` (else :attr:`model_name`) inside it.
        """
        name = self.model_name if model_name is None else model_name
        if (not isinstance(name, str) or not name or "\x00" in name or name in (".", "..")
                or os.path.basename(name) != name or os.path.isabs(name)
                or (os.altsep and os.altsep in name)):
            raise ValueError(f"model_name must be a plain file name inside the model folder, "
                             f"got {name!r}")
        base = os.fspath(model_url or self.model_save_path)
        if base.startswith("file://"):
            base = base[len("file://"):]
        is_folder = (os.path.isdir(base) or base.endswith(("/", os.sep))
                     or not os.path.splitext(base)[1])
        return os.path.join(base, name) if is_folder else base

    # -- model state ------------------------------------------------------------------------
    def _snapshot(self) -> Params:
        return {name: np.array(array, copy=True) for name, array in self.estimator.params.items()}

    def _features(self) -> int:
        return int(np.shape(self.estimator.params["coef"])[0])

    def _classes(self) -> int:
        return int(np.shape(self.estimator.params["coef"])[1])

    # -- Sedna's interface ------------------------------------------------------------------
    def train(self, train_data: Any = None, valid_data: Any = None, **kwargs: Any) -> Any:
        """Train on ``train_data``, from the checkpoint at ``model_save_path`` when
        ``fine_tune`` and one exists. Bad input is refused before anything changes; any
        error restores the parameters.
        """
        if train_data is None:
            raise TypeError("train() needs train_data: an object with .x/.y or an (x, y) pair")
        check_table(train_data, "train_data", self._features(), self._classes())
        before = self._snapshot()
        try:
            if self.fine_tune:
                start = self._file()
                if os.path.isfile(start):
                    self.estimator.params = matching(before, read_checkpoint(start), start)
            train = self.estimator.train
            result = train(train_data=train_data, valid_data=valid_data,
                           **_accepted(train, kwargs))
        except BaseException:
            self.estimator.params = before
            raise
        self.has_load = True
        return result

    def predict(self, data: Any, **kwargs: Any) -> Any:
        """One row of logits per sample of ``data``."""
        check_table(data, "data", self._features(), None)
        predict = self.estimator.predict
        return predict(data, **_accepted(predict, kwargs))

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        """Metrics on ``data`` of the live model, or of the checkpoint at ``model_path``
        (the live parameters are back afterwards).
        """
        check_table(data, "data", self._features(), self._classes())
        evaluate = self.estimator.evaluate
        if not model_path:
            return evaluate(data, **_accepted(evaluate, kwargs))
        live = self._snapshot()
        candidate = matching(live, read_checkpoint(model_path), model_path)
        self.estimator.params = candidate
        try:
            return evaluate(data, **_accepted(evaluate, kwargs))
        finally:
            self.estimator.params = live

    def save(self, model_url: str = "", model_name: str | None = None) -> str:
        """Write the checkpoint; return the path of the file written."""
        return write_checkpoint(self._file(model_url, model_name), self._snapshot())

    def load(self, model_url: str = "", model_name: str | None = None, **kwargs: Any) -> None:
        """Load a checkpoint; ``FileNotFoundError`` naming a missing path, ``ValueError`` for
        a corrupt or foreign file, the model unchanged in both cases.
        """
        path = self._file(model_url, model_name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no model at {path!r} (model_url={model_url!r}, "
                                    f"model_save_path={self.model_save_path!r})")
        self.estimator.params = matching(self._snapshot(), read_checkpoint(path), path)
        self.has_load = True

    def load_weights(self) -> None:
        """Load the checkpoint at ``model_save_path``/``model_name``."""
        self.load()


# -- the profile -----------------------------------------------------------------------------
def _foreign_checkpoint(folder: str) -> str:
    """A well-formed checkpoint of a 4-feature model, which ``load`` must refuse."""
    return LinearModel(features=4).save(os.path.join(folder, "four-features.pkl"))


_NO_WEIGHTS = ("this backend has no get_weights/set_weights: it transports no weights, "
               "models move as checkpoints only")


def profile() -> Profile:
    """``TabularBackend`` driving ``LinearModel`` on :func:`make_tables`."""
    return Profile(name="foreign-tabular", backend=TabularBackend, estimator=LinearModel,
                   datasets=make_tables, quick_train_kwargs={"epochs": 1},
                   foreign_checkpoint=_foreign_checkpoint,
                   capabilities=Capabilities(remote_urls=False),  # local files only
                   not_applicable={"weights.*": _NO_WEIGHTS,
                                   "sedna.federated-learning": "federated learning sends "
                                   "weights through get_weights/set_weights, which this "
                                   "backend does not have",
                                   "interop.weights": _NO_WEIGHTS})
