"""How a clause states a failure: one fixed message shape, with a reproduction note.

``[clause-id] observed …, expected …; contract: "<sentence>"; fix: …`` followed by the
``reproduce:`` command and the backend calls made.
"""

from __future__ import annotations

from typing import Any

import pytest

from sedna_conformance.harness.contract.clauses import Clause
from sedna_conformance.harness.contract.text import printable

__all__ = ["Blocked", "ClauseFailure", "first_line", "format_failure"]


class ClauseFailure(AssertionError):
    """A backend broke a clause; ``str()`` is the full, fixed-shape message."""


class Blocked(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """Nothing of a clause can be judged; its ``msg`` says why (reported ``blocked``; to
    pytest a skip, so it never fails the run).
    """


def format_failure(clause: Clause, observed: str, expected: str, reproduction: str = "",
                   framework: str = "") -> str:
    """The fixed message shape of every clause failure. The fix is in contract terms; a
    framework example is added only for the backend's own ``framework``.
    """
    example = clause.examples.get(framework, "")
    text = (f"[{clause.id}] observed {observed}, expected {expected}; "
            f"contract: \"{clause.sentence}\"; fix: {clause.fix}"
            + (f" ({framework}: {example})" if example else ""))
    return f"{text}\n{reproduction}" if reproduction else text


def first_line(message: Any) -> str:
    """The headline of a failure message."""
    text = printable(message).strip()
    return text.splitlines()[0] if text else ""
