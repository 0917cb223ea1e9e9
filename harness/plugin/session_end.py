"""Reporting: at the end of a run, the JSON, Markdown and HTML reports and the terminal
summary, all from the run's one :class:`RunResult`; and the rule that a run never passes
on nothing: a profile on which no clause was judged fails the run.

Each report is written atomically and on its own: one that cannot be written leaves its
previous file as it was, is named in the summary, and the run exits
:data:`~sedna_conformance.harness.report.files.REPORTS_NOT_WRITTEN`. The report folders are
locked for the whole session, so a second run into them is refused at its start.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from sedna_conformance.harness.contract.exit_codes import ExitCode
from sedna_conformance.harness.contract.results import RunResult
from sedna_conformance.harness.contract.text import clean
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.plugin.collection import clause_of, profile_of
from sedna_conformance.harness.report import renderers as reports
from sedna_conformance.harness.report.files import (
    REPORTS_NOT_WRITTEN,
    FolderBusy,
    FolderLock,
    Unwritten,
    why,
)

__all__ = ["Reporting"]

_WORKER_PROFILES = "sedna_conformance_profiles"
_WORKER_REFUSAL = "sedna_conformance_usage_error"


def _stopped_early(session: pytest.Session) -> str | None:
    """Why the run ended before its last clause (Ctrl-C, ``-x``, ``--maxfail``), if it did."""
    if session.exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    reason = session.shouldstop or session.shouldfail
    return str(reason) if reason else None


class Reporting:
    """End-of-run hooks of the process that writes the reports (or of an xdist worker,
    which only tells the controller which profiles it ran).
    """

    def __init__(self, run: ConformanceRun, config: pytest.Config, reporting: bool) -> None:
        self.run = run
        self.config = config
        self.reporting = reporting
        self.profile_names: list[str] = []  # every profile this run resolved, anywhere
        self.problems: list[str] = []
        self.written: list[str] = []
        self.unwritten: list[Unwritten] = []
        self.notes: list[str] = []
        self.lock: FolderLock | None = None

    def _writes(self) -> bool:
        return self.reporting and not self.config.option.collectonly and bool(self._outputs())

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Lock the report folders for this run: a second run into them is refused."""
        if not self._writes():
            return
        lock = FolderLock([os.path.dirname(os.path.abspath(p)) for p, _ in self._outputs()])
        try:
            lock.acquire()
        except FolderBusy as busy:
            raise pytest.UsageError(str(busy)) from None
        except OSError as error:
            pytest.exit(
                f"report folder {clean(error.filename or lock.folders[0])}: cannot write "
                f"there ({error.strerror or error}); expected a writable folder (created if "
                "missing)", returncode=ExitCode.REPORT_FOLDER)
        self.lock = lock

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.lock is not None:
            self.lock.release()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.run.resolved:
            self._saw([p.name for p in self.run.profiles])

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """On the xdist controller: the profiles a worker resolved, or why it refused the run."""
        output = getattr(node, "workeroutput", {})
        self._saw(output.get(_WORKER_PROFILES, []))
        self.run.usage_problem = self.run.usage_problem or output.get(_WORKER_REFUSAL)

    def _saw(self, names: list[str]) -> None:
        self.profile_names += [n for n in names if n not in self.profile_names]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        worker_output = getattr(self.config, "workeroutput", None)
        if worker_output is not None:
            worker_output[_WORKER_PROFILES] = self.profile_names
            worker_output[_WORKER_REFUSAL] = self.run.usage_problem
        if not self.reporting or self.config.option.collectonly:
            return
        if self.run.usage_problem and session.exitstatus != pytest.ExitCode.INTERRUPTED:
            sys.stderr.write(f"ERROR: {clean(self.run.usage_problem)}\n")
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        if session.exitstatus == pytest.ExitCode.USAGE_ERROR:  # (-k, a path): nothing was run
            if self.lock is not None:
                self.lock.release()
            return
        result = self.run.result
        result.wall_s = time.perf_counter() - self.run.started
        result.interrupted = result.interrupted or _stopped_early(session)
        result.not_run = _not_run(session, result)
        names = self.profile_names + [n for n in result.profiles if n not in self.profile_names]
        conformance = bool(names) or self.run.options.requested
        if conformance and not result.interrupted:
            self.problems = [f"profile {n!r}: no clause was judged (every clause selected for it "
                             "was skipped, blocked or deselected); a run must check something"
                             for n in names if not result.judged(n)]
            if not names:
                self.problems.append("no clause ran: select at least one clause and profile")
            if self.problems and session.exitstatus in (pytest.ExitCode.OK,
                                                        pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        for path, writer in self._outputs():
            try:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                note = writer(result, path)
            except Exception as error:  # each report on its own: the others are written
                self.unwritten.append(Unwritten(path, why(error)))
            else:
                self.written.append(path)
                self.notes += [note] if note else []
        if self.unwritten and session.exitstatus not in (pytest.ExitCode.INTERRUPTED,
                                                         pytest.ExitCode.INTERNAL_ERROR,
                                                         pytest.ExitCode.USAGE_ERROR):
            session.exitstatus = REPORTS_NOT_WRITTEN
        if self.lock is not None:
            self.lock.release()

    def _outputs(self) -> list[tuple[str, Callable[[RunResult, str], str | None]]]:
        """The report files asked for, with their writers."""
        options = self.run.options
        return [(path, writer) for path, writer in (
            (options.json_path, reports.write_json),
            (options.markdown_path, reports.write_markdown),
            (options.html_path, reports.write_html)) if path]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        result = self.run.result
        stopped = result.interrupted and self.run.options.requested
        if not self.reporting or not (result.names or self.problems or self.unwritten
                                      or stopped):
            return
        terminalreporter.section("Sedna conformance")
        if result.names:
            terminalreporter.write_line(reports.summary_text(result))
        elif result.interrupted:
            terminalreporter.write_line(reports.interrupted_line(result) or "", red=True)
        for problem in self.problems:
            terminalreporter.write_line(f"FAILED: {clean(problem)}", red=True)
        for note in self.notes:
            terminalreporter.write_line(f"note: {note}", yellow=True)
        for unwritten in self.unwritten:
            terminalreporter.write_line(unwritten.line(), red=True)
        if self.written:
            terminalreporter.write_line(f"reports: {', '.join(clean(p) for p in self.written)}")


def _not_run(session: pytest.Session, result: RunResult) -> dict[str, list[str]]:
    """Per profile, the clauses collected and selected that got no result (``session.items``
    is empty on an xdist controller: nothing is listed there).
    """
    missing: dict[str, list[str]] = {}
    for item in session.items:
        clause_id, profile = clause_of(item), profile_of(item)
        if clause_id is None or profile is None:
            continue
        if clause_id not in result.profiles.get(profile.name, {}):
            ids = missing.setdefault(profile.name, [])
            if clause_id not in ids:
                ids.append(clause_id)
    return missing
