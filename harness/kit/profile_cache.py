"""``ProfileCache``: per-profile work done once per process, the data and a trained base model."""

from __future__ import annotations

import copy
import glob
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sedna_conformance.harness.contract.clauses import Reading
from sedna_conformance.harness.contract.errors import SetupError
from sedna_conformance.harness.contract.instruments import Instrument, choose_instrument
from sedna_conformance.harness.contract.profile import Profile, check_splits
from sedna_conformance.harness.processes.temp_folder import remove_tree

__all__ = ["ProfileCache"]


@dataclass
class ProfileCache:
    """The profile's data splits and a trained base model, made on first use.

    The base model is trained through the *estimator* (its ``train``, or ``fit``), not
    through the backend under test, so a broken backend cannot spoil other clauses; only an
    estimator that cannot train by itself (a bare network, or one that needs the backend's
    data handling) is trained through a backend built for the purpose. Fresh copies of it
    are made through the estimator's own ``save``/``load`` where it has them and they
    round-trip, else with :func:`copy.deepcopy`. A failure in any of this is the
    profile's: a :class:`SetupError` naming the step, never a clause failure.
    """

    profile: Profile
    folder: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="sedna-cache-"))
    _splits: Any = None
    _trained: Any = None
    _copy: Callable[[], Any] | None = None
    _instrument: Instrument | None = None
    _framework: str | None = None

    def close(self) -> None:
        """Remove the cache's folder (the base model's copies and their backends' files)."""
        remove_tree(self.folder)

    def _step(self, step: str, fix: str, call: Callable[[], Any]) -> Any:
        """``call()``; what it raises is the profile's error at ``step``."""
        try:
            return call()
        except SetupError:
            raise
        except Exception as error:
            raise SetupError(self.profile.name, step,
                             f"raised {type(error).__name__}: {str(error)[:300]}",
                             fix) from error

    @property
    def splits(self) -> Any:
        """The profile's data splits, checked once (callers get copies through ClauseRun.data)."""
        if self._splits is None:
            splits = self._step("datasets()", "make datasets() return the five splits",
                                self.profile.datasets)
            check_splits(self.profile, splits)
            self._splits = splits
        return self._splits

    def estimator(self) -> Any:
        """A fresh estimator from the profile's factory."""
        return self._step("estimator()", "make the estimator factory return a fresh "
                          "estimator when called with no arguments", self.profile.estimator)

    @property
    def instrument(self) -> Instrument:
        """How this profile's model state is read
        (:mod:`sedna_conformance.harness.contract.instruments`), chosen once on a backend
        built for the purpose.
        """
        if self._instrument is None:
            estimator = self.estimator()
            try:
                backend = self.profile.backend(
                    estimator=estimator, fine_tune=False,
                    model_save_path=tempfile.mkdtemp(dir=self.folder), model_name=None,
                    **dict(self.profile.options))
            except Exception as error:  # judged by construct.*; measure what can be
                self._instrument = Instrument(Reading.PREDICTIONS, "building a backend raised "
                                              f"{type(error).__name__}")
                self._framework = ""
            else:
                name = getattr(backend, "framework", "")
                self._framework = name if isinstance(name, str) else ""
                self._instrument = choose_instrument(backend, self.profile.as_array)
        return self._instrument

    @property
    def framework(self) -> str:
        """The ``framework`` a backend of the profile reports (``""`` if none or unknown):
        read from an instance, as some backends set it in ``__init__``.
        """
        if self._framework is None:
            self.instrument  # noqa: B018  (builds the backend that tells)
        return self._framework or ""

    def _train(self) -> Any:
        """The trained base estimator: trained by itself where it can be, else through a
        backend built for the purpose (an estimator with no ``train``/``fit``, or one that
        needs the backend's own data handling).
        """
        splits, kwargs, problems = self.splits, dict(self.profile.train_kwargs), []
        estimator = self.estimator()
        train = getattr(estimator, "train", None) or getattr(estimator, "fit", None)
        if callable(train):
            try:
                train(train_data=splits.train, valid_data=None, **kwargs)
                return estimator
            except Exception as error:
                problems.append(f"estimator.train raised {type(error).__name__}: "
                                f"{str(error)[:160]}")
        estimator = self.estimator()
        try:
            backend = self.profile.backend(estimator=estimator, fine_tune=False,
                                           model_save_path=tempfile.mkdtemp(dir=self.folder),
                                           model_name=None, **dict(self.profile.options))
            backend.train(train_data=splits.train, valid_data=splits.valid, **kwargs)
            return backend.estimator
        except Exception as error:
            problems.append(f"through a backend, train raised {type(error).__name__}: "
                            f"{str(error)[:160]}")
        raise SetupError(self.profile.name, "training the base model", "; ".join(problems),
                         "make the estimator (or the backend) train on the profile's train "
                         "split with its train_kwargs")

    def trained_estimator(self) -> Any:
        """A fresh estimator holding the trained base model (the one trained copy is never
        handed out).
        """
        if self._trained is None:
            self._trained = self._train()
        if self._copy is None:
            self._copy = self._copier()
        return self._copy()

    def _copier(self) -> Callable[[], Any]:
        """The first way of copying the trained estimator that works, checked once."""
        trained, problems = self._trained, []
        routes = [("copy.deepcopy", lambda: copy.deepcopy(trained))]
        if callable(getattr(trained, "save", None)) and callable(getattr(trained, "load", None)):
            routes.insert(0, ("its own save/load", self._through_files))  # no deep copy
        for name, copier in routes:
            try:
                copied = copier()
                self._same_predictions(trained, copied)
            except Exception as error:
                problems.append(f"{name}: {type(error).__name__}: {str(error)[:160]}")
                continue
            return copier
        raise SetupError(self.profile.name, "copying the trained base estimator",
                         "; ".join(problems), "make the estimator deep-copyable "
                         "(copy.deepcopy), or give it save(path) and load(model_url=path)")

    def _through_files(self) -> Any:
        target = os.path.join(tempfile.mkdtemp(dir=self.folder), "model")
        written = self._trained.save(target)
        if not (isinstance(written, str) and os.path.isfile(written)):
            found = sorted(glob.glob(target + "*"))
            if not found:
                raise FileNotFoundError(f"estimator.save({target!r}) wrote no file")
            written = found[0]
        estimator = self.estimator()
        estimator.load(model_url=written)
        return estimator

    def _same_predictions(self, trained: Any, copied: Any) -> None:
        """``ValueError`` if the copy's own ``predict`` differs from the original's (only
        where the estimator predicts by itself: a bare network may not).
        """
        if copied is trained:
            raise ValueError("the copy is the trained estimator itself")
        predict = getattr(trained, "predict", None)
        if not callable(predict):
            return
        probe = self.splits.test.x[:8]
        try:
            want = np.asarray(self.profile.as_array(predict(data=probe)))
        except Exception:  # its predict is not Sedna's call shape: nothing to compare
            return
        got = np.asarray(self.profile.as_array(copied.predict(data=probe)))
        if got.shape != want.shape or not np.array_equal(got, want):
            raise ValueError("the copy predicts differently from the trained estimator")
