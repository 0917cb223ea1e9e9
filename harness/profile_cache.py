"""``ProfileCache``: per-profile work done once per process, the data and a trained base model."""

from __future__ import annotations

import glob
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from sedna_conformance.harness.instruments import Instrument, choose_instrument
from sedna_conformance.harness.profile import Profile

__all__ = ["ProfileCache"]


@dataclass
class ProfileCache:
    """The profile's data splits and a trained base model, made on first use.

    The base model is trained through the *estimator* (``train`` then ``save``), never
    through the backend under test, so a broken backend cannot spoil other clauses.
    """

    profile: Profile
    folder: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="sedna-cache-"))
    _splits: Any = None
    _checkpoint: str | None = None
    _instrument: Instrument | None = None

    @property
    def splits(self) -> Any:
        """The profile's data splits (callers get copies through ClauseRun.data)."""
        if self._splits is None:
            self._splits = self.profile.datasets()
        return self._splits

    @property
    def instrument(self) -> Instrument:
        """How this profile's model state is read (:mod:`sedna_conformance.harness.instruments`),
        chosen once on a backend built for the purpose.
        """
        if self._instrument is None:
            try:
                backend = self.profile.backend(
                    estimator=self.profile.estimator(), fine_tune=False,
                    model_save_path=tempfile.mkdtemp(dir=self.folder), model_name=None,
                    **dict(self.profile.options))
            except Exception as error:  # judged by construct.*; measure what can be
                self._instrument = Instrument("predictions", "building a backend raised "
                                              f"{type(error).__name__}")
            else:
                self._instrument = choose_instrument(backend)
        return self._instrument

    def checkpoint(self) -> str:
        """The trained base model's file, written by the estimator's own ``save``."""
        if self._checkpoint is None:
            estimator = self.profile.estimator()
            estimator.train(train_data=self.splits.train, valid_data=None,
                            **dict(self.profile.train_kwargs))
            target = os.path.join(self.folder, "base", "model")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            written = estimator.save(target)
            if not (isinstance(written, str) and os.path.isfile(written)):
                found = sorted(glob.glob(target + "*"))
                if not found:
                    raise RuntimeError(f"estimator.save({target!r}) wrote no file")
                written = found[0]
            self._checkpoint = written
        return self._checkpoint

    def trained_estimator(self) -> Any:
        """A fresh estimator holding the trained base model's weights."""
        estimator = self.profile.estimator()
        estimator.load(model_url=self.checkpoint())
        return estimator
