"""Backends and profiles for the framework-neutral judge's tests (``tests/test_neutral_judge.py``).

No framework: each is written in a style unlike this project's backends, the way a PyTorch
or Keras author might write theirs.

Correct ones (0 failed, 0 error, 0 blocked expected), from :func:`correct_profiles`:

- ``neutral-no-files``: an estimator with no ``save``/``load`` at all (the backend owns
  the checkpoints, as many PyTorch backends do);
- ``neutral-suffix``: an estimator whose ``save`` refuses a name without its own suffix
  (Keras 3 refuses names without ``.keras``);
- ``neutral-columns``: data in an array-like class of its own (:class:`Column`, read
  through ``.numpy()`` like a TensorFlow tensor, no ``__array__``), and predictions
  returned as that class;
- ``neutral-acc``: ``evaluate`` reports ``acc`` (as Keras does), with a ``set_backend``
  that warns through ``logging`` and a backend that warns through ``logging`` when
  ``use_cuda`` finds no GPU.

Broken on purpose: the interop partners, a stub ``get_weights``, a ``train`` that does
nothing, an in-place saver, and profiles with the mistakes a profile author makes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from typing import Any

import numpy as np

from sedna_conformance.harness import Capabilities, Profile
from sedna_conformance.harness.starter import NumpyBackend
from sedna_conformance.harness.starter.profile import reference_profile
from tests.foreign_backends import (
    LinearCore,
    LinearModel,
    Table,
    TableSplits,
    TabularBackend,
    make_tables,
    profile,
)

_NO_WEIGHTS = {"weights.*": "no weight transport", "interop.weights": "no weight transport",
               "sedna.federated-learning": "federated learning needs get_weights"}


def _no_gpu() -> bool:
    return False


def _on_cpu(backend: Any) -> str:
    return "cpu"


# -- estimators ---------------------------------------------------------------------------
class SuffixModel(LinearModel):
    """Saves only under names ending in ``.lin``, as Keras 3 insists on ``.keras``."""

    def save(self, path: str) -> str:
        """Refuse a name without the suffix, as Keras 3 does."""
        if not path.endswith(".lin"):
            raise ValueError(f"Invalid filepath extension for saving: {path!r} must end in .lin")
        return super().save(path)


class AccModel(LinearModel):
    """Reports its accuracy under ``acc``, as Keras' ``evaluate`` does."""

    def evaluate(self, data: Any, **kwargs: Any) -> dict[str, float]:
        """``acc`` and ``loss``."""
        metrics = super().evaluate(data, **kwargs)
        return {"acc": metrics["accuracy"], "loss": metrics["loss"]}


# -- data in a class of its own -----------------------------------------------------------
class Column:
    """A column of values, read through ``numpy()`` (no ``__array__``), like a tensor."""

    __array__ = None  # NumPy must not read it by itself: the harness goes through as_array

    def __init__(self, values: Any) -> None:
        self._values = np.asarray(values)

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Any) -> Column:
        return Column(self._values[index])

    def numpy(self) -> np.ndarray:
        """A copy of the values."""
        return np.array(self._values, copy=True)


def _plain(data: Any) -> Any:
    if isinstance(data, Column):
        return data.numpy()
    if isinstance(data, Table) and isinstance(data.x, Column):
        y = data.y.numpy() if isinstance(data.y, Column) else data.y
        return Table(data.x.numpy(), y)
    return data


class ColumnBackend(TabularBackend):
    """:class:`TabularBackend` for :class:`Column` data; predictions come back as Columns."""

    def train(self, train_data: Any = None, valid_data: Any = None, **kwargs: Any) -> Any:
        """Train on plain copies of the data."""
        return super().train(_plain(train_data), _plain(valid_data), **kwargs)

    def predict(self, data: Any, **kwargs: Any) -> Any:
        """Logits, as a Column."""
        return Column(super().predict(_plain(data), **kwargs))

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        """Metrics on plain copies of the data."""
        return super().evaluate(_plain(data), model_path, **kwargs)


def make_columns(seed: int = 0) -> TableSplits:
    """:func:`make_tables` with every ``x`` and ``y`` a :class:`Column`."""
    return TableSplits(*(Table(Column(split.x), Column(split.y)) for split in make_tables(seed)))


# -- set_backend and use_cuda, through logging ----------------------------------------------
class DeviceAwareBackend(TabularBackend):
    """:class:`TabularBackend` that keeps ``use_cuda`` and logs that NumPy has no GPU."""

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        self.use_cuda = bool(kwargs.pop("use_cuda", False))
        super().__init__(estimator, fine_tune, **kwargs)
        if self.use_cuda:
            logging.getLogger("neutral").warning("use_cuda is set but NumPy has no GPU: "
                                                 "the model stays on the CPU")


class GenericBackend(DeviceAwareBackend):
    """The fallback for unknown types: no framework of its own."""

    framework = ""


def tabular_set_backend(estimator: Any = None, config: Any = None) -> Any:
    """Sedna's ``set_backend`` rules for the one type ``TABULAR``; others fall back, warning
    through ``logging``.
    """
    if estimator is None:
        return None
    config = config or {}
    kind = (os.getenv("BACKEND_TYPE") or config.get("backend_type") or "UNKNOWN").upper()
    kwargs = {"use_cuda": bool(os.getenv("CUDA_VISIBLE_DEVICES")),
              "model_save_path": config.get("base_model_url") or config.get("model_url"),
              "model_name": config.get("model_name"), "model_save_url": config.get("model_url")}
    if kind == "TABULAR":
        return DeviceAwareBackend(estimator, **kwargs)
    logging.getLogger("neutral.set_backend").warning("backend type %s is not supported: "
                                                     "using the generic backend", kind)
    return GenericBackend(estimator, **kwargs)


def correct_profiles() -> list[Profile]:
    """The four correct backends written unlike ours."""
    base = dataclasses.replace(profile(), not_applicable=_NO_WEIGHTS)
    return [
        dataclasses.replace(base, name="neutral-no-files", estimator=LinearCore,
                            foreign_checkpoint=None),
        dataclasses.replace(base, name="neutral-suffix", estimator=SuffixModel),
        dataclasses.replace(base, name="neutral-columns", backend=ColumnBackend,
                            datasets=make_columns),
        dataclasses.replace(base, name="neutral-acc", backend=DeviceAwareBackend,
                            estimator=AccModel, accuracy_key="acc", backend_type="TABULAR",
                            set_backend=tabular_set_backend, gpu_visible=_no_gpu,
                            model_device=_on_cpu),
    ]


# -- broken backends ----------------------------------------------------------------------
class BrokenPartner(NumpyBackend):
    """The template's backend with a ``load`` that silently does nothing and a
    ``get_weights`` that raises.
    """

    def load(self, model_url: str = "", model_name: str | None = None, **kwargs: Any) -> None:
        """Do nothing."""
        self.has_load = True

    def get_weights(self) -> list[Any]:
        """Raise."""
        raise RuntimeError("get_weights is broken in this partner")


class StubWeights(NumpyBackend):
    """``get_weights``/``set_weights`` are stubs returning ``None`` (upstream's TF backend)."""

    def get_weights(self) -> Any:  # type: ignore[override]
        """A stub."""
        return None

    def set_weights(self, weights: Any) -> None:
        """A stub."""


class NoTraining(NumpyBackend):
    """``train`` returns without training."""

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
        """Do nothing."""
        return None


class InPlaceSaver(TabularBackend):
    """Saves by copying a finished file over the final one in place (truncate, then write):
    a save killed part-way leaves a partial file.
    """

    def save(self, model_url: str = "", model_name: str | None = None) -> str:
        """Write a staging file, then copy it over the final path, not atomically."""
        path = self._file(model_url, model_name)
        staging = super().save(model_url=path + ".staging")
        shutil.copyfile(staging, path)
        return path


def partner_profiles() -> list[Profile]:
    """The template's profile and a broken partner of the same architecture."""
    return [reference_profile(),
            dataclasses.replace(reference_profile(), name="partner-broken",
                                backend=BrokenPartner)]


def stub_weights_profile() -> Profile:
    """The template with stub weights."""
    return dataclasses.replace(reference_profile(), name="stub-weights", backend=StubWeights,
                               architecture="")


def no_training_profile() -> Profile:
    """The template with a ``train`` that does nothing."""
    return dataclasses.replace(reference_profile(), name="no-training", backend=NoTraining)


def in_place_saver_profiles(count: int = 10) -> list[Profile]:
    """``count`` profiles of the in-place saver (``in-place-<i>``, each its own seed of the
    freezing moments), for repeated trials of ``ckpt.interrupted-save``.
    """
    return [dataclasses.replace(profile(), name=f"in-place-{i}", backend=InPlaceSaver,
                                seed=i) for i in range(count)]


def in_place_saver_trials() -> list[Profile]:
    """Fifty trials (``benchmarks/reliability.py``)."""
    return in_place_saver_profiles(50)


# -- a profile author's mistakes --------------------------------------------------------------
def _raises() -> Any:
    raise RuntimeError("the dataset folder is not mounted")


def _none() -> Any:
    return None


def _with_nan() -> TableSplits:
    splits = make_tables()
    splits.train.x[3, 2] = np.nan
    return splits


def _empty_test() -> TableSplits:
    splits = make_tables()
    return splits._replace(test=Table(splits.test.x[:0], splits.test.y[:0]))


def _estimator_raises() -> Any:
    raise ImportError("No module named 'my_models'")


def _subset_raises(split: Any, rows: slice) -> Any:
    raise AttributeError("'Table' object has no attribute 'take'")


#: profile name -> (the step its error must name, the change to the correct profile).
MISTAKES: dict[str, tuple[str, dict[str, Any]]] = {
    "mistake-datasets-raise": ("datasets()", {"datasets": _raises}),
    "mistake-datasets-none": ("datasets()", {"datasets": _none}),
    "mistake-nan": ("datasets()", {"datasets": _with_nan}),
    "mistake-empty": ("datasets()", {"datasets": _empty_test}),
    "mistake-estimator-raises": ("estimator()", {"estimator": _estimator_raises}),
}


def mistake_profiles() -> list[Profile]:
    """One profile per entry of :data:`MISTAKES`."""
    return [dataclasses.replace(profile(), name=name, **change)
            for name, (_, change) in MISTAKES.items()]


def subset_mistake_profile() -> Profile:
    """The template (which has weights, so federated learning runs) with a broken subset."""
    return dataclasses.replace(reference_profile(), name="mistake-subset", subset=_subset_raises)


def options_not_a_mapping() -> Profile:
    """``options`` given as a list: refused when the profile is built."""
    return Profile(name="mistake-options", backend=TabularBackend, estimator=LinearModel,
                   datasets=make_tables, options=["mode", "graph"],  # type: ignore[arg-type]
                   capabilities=Capabilities(remote_urls=False))
