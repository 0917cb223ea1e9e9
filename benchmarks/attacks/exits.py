"""Which exit status documents which outcome: the harness's table
(``sedna_conformance.harness.contract.exit_codes.ExitCode``) where it has one, else pytest's.
"""

from __future__ import annotations

import signal
from typing import Any

from benchmarks.attacks.model import Outcome

__all__ = ["code_of", "describe", "documented"]

#: The names an outcome may have in the harness's table (the first found is used), or, for
#: an outcome the table lacks, the outcome whose code stands in for it.
_NAMES = {Outcome.OK: ("OK",), Outcome.FAILED: ("FAILED", "TESTS_FAILED"),
          Outcome.INTERRUPTED: ("INTERRUPTED",), Outcome.USAGE: ("USAGE_ERROR",),
          Outcome.REPORT_FOLDER: ("REPORT_FOLDER", "REPORTS_NOT_WRITTEN")}
_STAND_IN = {Outcome.REPORT_FOLDER: Outcome.USAGE}


def _table() -> Any:
    try:
        from sedna_conformance.harness.contract.exit_codes import ExitCode
    except ImportError:  # a harness without its own table: pytest's
        from pytest import ExitCode  # type: ignore[assignment]
    return ExitCode


def code_of(outcome: Outcome, killer: signal.Signals = signal.SIGKILL) -> int:
    """The exit status that documents ``outcome`` (a run killed by ``killer``: minus it)."""
    if outcome is Outcome.KILLED:
        return -killer
    table = _table()
    for name in _NAMES[outcome]:
        if hasattr(table, name):
            return int(getattr(table, name))
    return code_of(_STAND_IN[outcome])


def documented() -> dict[int, str]:
    """Every documented exit status, with what it says."""
    return {code_of(o): o.value for o in Outcome if o is not Outcome.KILLED}


def describe(code: int | None) -> str:
    """``code`` in words, e.g. ``4 (usage error)``, ``-15 (SIGTERM)``."""
    if code is None:
        return "none (killed after its timeout)"
    if code < 0:
        return f"{code} ({signal.Signals(-code).name})"
    meaning = documented().get(code)
    return f"{code} ({meaning})" if meaning else str(code)
