"""Reporting: at the end of a run, the JSON, Markdown and HTML reports and the terminal
summary, all from the run's one :class:`RunResult`; and the rule that a run never passes
on nothing: a profile on which no clause was judged fails the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from sedna_conformance.harness import reports
from sedna_conformance.harness.results import RunResult
from sedna_conformance.harness.run import ConformanceRun

__all__ = ["Reporting"]

_WORKER_PROFILES = "sedna_conformance_profiles"


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

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.run.resolved:
            self._saw([p.name for p in self.run.profiles])

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """On the xdist controller: the profiles a worker resolved."""
        self._saw(getattr(node, "workeroutput", {}).get(_WORKER_PROFILES, []))

    def _saw(self, names: list[str]) -> None:
        self.profile_names += [n for n in names if n not in self.profile_names]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        worker_output = getattr(self.config, "workeroutput", None)
        if worker_output is not None:
            worker_output[_WORKER_PROFILES] = self.profile_names
        if not self.reporting or self.config.option.collectonly:
            return
        result = self.run.result
        result.wall_s = time.perf_counter() - self.run.started
        result.interrupted = _stopped_early(session)
        names = self.profile_names + [n for n in result.profiles if n not in self.profile_names]
        conformance = bool(names) or self.run.options.requested
        if conformance and not session.shouldfail and not session.shouldstop:
            self.problems = [f"profile {n!r}: no clause was judged (every clause selected for it "
                             "was skipped, blocked or deselected); a run must check something"
                             for n in names if not result.judged(n)]
            if not names:
                self.problems.append("no clause ran: select at least one clause and profile")
            if self.problems and session.exitstatus in (pytest.ExitCode.OK,
                                                        pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        for path, writer in self._outputs():
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            writer(result, path)

    def _outputs(self) -> list[tuple[str, Callable[[RunResult, str], None]]]:
        """The report files asked for, with their writers."""
        options = self.run.options
        return [(path, writer) for path, writer in (
            (options.json_path, reports.write_json),
            (options.markdown_path, reports.write_markdown),
            (options.html_path, reports.write_html)) if path]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reporting or not (self.run.result.profiles or self.problems):
            return
        terminalreporter.section("Sedna conformance")
        if self.run.result.profiles:
            terminalreporter.write_line(reports.summary_text(self.run.result))
        for problem in self.problems:
            terminalreporter.write_line(f"FAILED: {problem}", red=True)
        written = [path for path, _ in self._outputs()]
        if written:
            terminalreporter.write_line(f"reports: {', '.join(written)}")
