"""How clauses measure a backend's model state, whatever the backend offers.

Clauses that need the model's state ("unchanged", "the same as", "closer to") read it
through the first instrument the backend supports, in this order:

1. ``weights``: ``get_weights()``, when it returns a non-empty list of arrays;
2. ``predictions``: the outputs of ``predict`` on a fixed probe batch (the first
   :data:`PROBE_SIZE` test samples), which every backend has.

A checkpoint written by ``save`` is not used to read a model held in memory: ``save``
writes into ``model_save_path``, which is itself under test (the ``robust.*`` clauses check
that files stay unchanged) and, for a fine-tuning backend, is the checkpoint it trains
from. Clauses about files (``save.replaces``, ``ckpt.*``, ``load.*``) read a file by
loading it into a fresh backend and measuring that with the instrument.

The instrument is chosen once per profile and process; a clause's failure message says
which one it used. Each instrument rests on one clause (``INSTRUMENT_CLAUSES`` in the
registry): when
that clause fails, the clauses measured with the instrument are blocked by it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sedna_conformance.harness.contract.clauses import INSTRUMENT_CLAUSES, Reading

__all__ = ["PROBE_SIZE", "Instrument", "State", "choose_instrument"]

#: Samples in the probe batch of the ``predictions`` instrument.
PROBE_SIZE = 16


@dataclass(frozen=True)
class Instrument:
    """The way a profile's model state is read: ``weights`` or ``predictions``."""

    name: Reading
    why: str = ""
    """For ``predictions``: why ``get_weights`` could not be used."""

    @property
    def clause(self) -> str:
        """The clause this instrument relies on."""
        return INSTRUMENT_CLAUSES[self.name]

    def describe(self) -> str:
        """How the state was measured, for failure messages."""
        if self.name is Reading.WEIGHTS:
            return "measured with get_weights()"
        return f"measured by predictions on a fixed {PROBE_SIZE}-sample probe batch ({self.why})"

    def read(self, backend: Any, probe: Any,
             as_array: Callable[[Any], Any] = np.asarray) -> State:
        """The state of ``backend`` now (copies: later changes to the model leave it alone);
        ``probe`` is in the profile's own data type, ``as_array`` its reader.
        """
        if self.name is Reading.WEIGHTS:
            values = [np.array(as_array(w), dtype=np.float64, copy=True)
                      for w in backend.get_weights()]
        else:
            values = [np.array(as_array(backend.predict(copy.deepcopy(probe))),
                               dtype=np.float64, copy=True)]
        return State(self, values)


@dataclass(frozen=True)
class State:
    """One reading of a model's state by an instrument."""

    instrument: Instrument
    values: list[np.ndarray]

    def same(self, other: State) -> bool:
        """Exactly the same state (count, shapes and values)."""
        return len(self.values) == len(other.values) and all(
            a.shape == b.shape and np.array_equal(a, b)
            for a, b in zip(self.values, other.values, strict=True))

    def distance(self, other: State) -> float:
        """Euclidean distance to ``other`` (same shapes)."""
        return float(np.sqrt(sum(((a - b) ** 2).sum()
                                 for a, b in zip(self.values, other.values, strict=True))))

    def difference(self, other: State) -> str:
        """Where the two readings first differ, and how they were measured."""
        what = self.instrument.name
        if len(self.values) != len(other.values):
            found = f"{len(self.values)} vs {len(other.values)} arrays"
        else:
            found = "no difference"
            for i, (a, b) in enumerate(zip(self.values, other.values, strict=True)):
                if a.shape != b.shape:
                    found = f"{what}[{i}] shape {a.shape} vs {b.shape}"
                    break
                if not np.array_equal(a, b):
                    index = f"[{i}]" if what is Reading.WEIGHTS else ""
                    found = f"{what}{index} differ by up to {np.abs(a - b).max():.3g}"
                    break
        return f"{found}; {self.instrument.describe()}"


def choose_instrument(backend: Any, as_array: Callable[[Any], Any] = np.asarray) -> Instrument:
    """The first instrument ``backend`` supports: ``get_weights`` if it returns a non-empty
    list of numeric arrays, else predictions on the probe batch.
    """
    method = getattr(backend, "get_weights", None)
    if not callable(method):
        return Instrument(Reading.PREDICTIONS, "the backend has no get_weights")
    try:
        weights = method()
    except NotImplementedError:
        return Instrument(Reading.PREDICTIONS, "get_weights raises NotImplementedError")
    except Exception as error:  # judged by weights.stable; the other clauses go on
        return Instrument(Reading.PREDICTIONS, f"get_weights raised {type(error).__name__}")
    if not isinstance(weights, list | tuple) or not weights:
        return Instrument(Reading.PREDICTIONS, f"get_weights returned {_shown(weights)}")
    try:
        [np.asarray(as_array(w), dtype=np.float64) for w in weights]
    except Exception:
        return Instrument(Reading.PREDICTIONS, "get_weights returned non-numeric values")
    return Instrument(Reading.WEIGHTS)


def _shown(value: Any) -> str:
    if value is None or isinstance(value, list | tuple):
        return repr(value)
    return f"a {type(value).__name__}"
