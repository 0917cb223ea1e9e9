"""The exit statuses of ``sedna-conformance`` (and of pytest running the suite), one per
kind of outcome, so that a CI can tell a backend's failure from its own mistake.

The first five are pytest's own (:class:`pytest.ExitCode`), kept as they are.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """What the exit status of a run says."""

    OK = 0
    """Every clause judged passed, or was skipped or declared (``expected_failures``)."""
    FAILED = 1
    """A clause failed, crashed, timed out or met an error: the reports say which."""
    INTERRUPTED = 2
    """The run was stopped (SIGINT, SIGTERM) before every clause ran: the reports say so."""
    INTERNAL_ERROR = 3
    """The harness itself broke (a bug: please report it with the output)."""
    USAGE_ERROR = 4
    """The command line or a profile is wrong: one line on stderr names the argument or
    the profile, and what was expected. Nothing was run."""
    NO_CLAUSES = 5
    """Nothing was selected to run (pytest's ``NO_TESTS_COLLECTED``)."""
    REPORT_FOLDER = 6
    """The report folder (``--report-dir``, or the folder of ``--conformance-report``,
    ``--conformance-markdown`` or ``--conformance-html``) cannot be written: one line on
    stderr names it and why. Nothing was run."""
    REPORTS_NOT_WRITTEN = 7
    """The run ran, but a report could not be written: the summary names it and why (it
    replaces 0, 1 and 5: a missing or stale report matters more than its verdicts)."""
