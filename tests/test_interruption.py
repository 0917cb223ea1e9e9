"""Interrupted runs, with real signals and real processes: every report is written and
marked interrupted, the exit status says so, and no child process outlives the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conformance_run import ROOT

_PROFILE = "tests.interrupt_profiles:misbehaving_profile"


class Run:
    """``sedna-conformance run`` on the misbehaving profile, in its own process."""

    def __init__(self, folder: Path, mode: str, *extra: str, mindspore: bool = False,
                 after: int = 0) -> None:
        self.reports = folder / "reports"
        self.marker = folder / "marker"
        env = {**os.environ, "SEDNA_TEST_MARKER": str(self.marker), "SEDNA_TEST_MODE": mode,
               "SEDNA_TEST_AFTER": str(after),
               "SEDNA_TEST_MINDSPORE": "1" if mindspore else "0", "GLOG_v": "3",
               "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir",
             str(self.reports), "--profile", _PROFILE, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)

    def misbehaving_pid(self, timeout: float = 180) -> int:
        """The pid of the process whose backend is misbehaving, once it is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.marker.exists() and self.marker.read_text():
                time.sleep(0.5)  # into the sleep or the spin
                return int(self.marker.read_text())
            assert self.process.poll() is None, self.finish()[1]
            time.sleep(0.1)
        raise AssertionError("the backend was never called")

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the run: its exit status and output."""
        try:
            output, _ = self.process.communicate(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        return self.process.returncode, output

    def report(self) -> dict:
        return json.loads((self.reports / "conformance.json").read_text(encoding="utf-8"))


def _gone(pid: int, timeout: float = 10) -> bool:
    """Whether process ``pid`` has ended (a zombie counts as ended) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def _statuses(report: dict) -> dict[str, str]:
    return {cid: r["status"] for cid, r in report["profiles"]["misbehaving"]["clauses"].items()}


def _assert_interrupted(run: Run, code: int, output: str, why: str) -> dict:
    assert code == pytest.ExitCode.INTERRUPTED, output[-3000:]
    report = run.report()
    assert why in report["interrupted"], report.get("interrupted")
    assert report["not_run"]["misbehaving"], "the clauses not reached are listed"
    markdown = (run.reports / "conformance.md").read_text(encoding="utf-8")
    html = (run.reports / "conformance.html").read_text(encoding="utf-8")
    assert why in markdown and why in html
    assert why in output
    return report


@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc as on Linux")
def test_sigterm_writes_every_report_marked_interrupted(tmp_path):
    run = Run(tmp_path, "sleep", after=40)
    run.misbehaving_pid()
    run.process.send_signal(signal.SIGTERM)
    code, output = run.finish()
    report = _assert_interrupted(run, code, output, "SIGTERM")
    statuses = _statuses(report)
    assert "passed" in statuses.values() and "error" not in statuses.values(), statuses
    assert not set(statuses) & set(report["not_run"]["misbehaving"])


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc as on Linux")
def test_sigint_still_stops_the_run_after_mindspore_installed_its_handler(tmp_path):
    run = Run(tmp_path, "sleep", mindspore=True)
    run.misbehaving_pid()
    run.process.send_signal(signal.SIGINT)
    code, output = run.finish()
    _assert_interrupted(run, code, output, "SIGINT")


@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc as on Linux")
def test_sigterm_kills_an_isolated_child_that_holds_the_gil(tmp_path):
    run = Run(tmp_path, "spin", "--isolate")
    child = run.misbehaving_pid()
    assert child != run.process.pid
    run.process.send_signal(signal.SIGTERM)
    code, output = run.finish()
    _assert_interrupted(run, code, output, "SIGTERM")
    assert _gone(child), f"child {child} outlived the run"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_an_isolated_child_dies_with_a_killed_supervisor(tmp_path):
    run = Run(tmp_path, "spin", "--isolate")
    child = run.misbehaving_pid()
    run.process.kill()
    run.finish()
    assert _gone(child), f"child {child} outlived its SIGKILLed supervisor"


def test_keyboard_interrupt_raised_by_a_backend_costs_one_clause_under_isolate(tmp_path):
    run = Run(tmp_path, "keyboard", "--isolate", after=40)
    code, output = run.finish(timeout=300)
    assert code == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    statuses = _statuses(run.report())
    crashed = [cid for cid, status in statuses.items() if status == "crashed"]
    assert len(crashed) == 1, statuses
    message = run.report()["profiles"]["misbehaving"]["clauses"][crashed[0]]["message"]
    assert "KeyboardInterrupt" in message
    assert "error" not in statuses.values(), statuses
    assert sum(s == "passed" for s in statuses.values()) > 60


def test_isolate_with_x_stops_at_the_first_failure_without_charging_the_rest(tmp_path):
    run = Run(tmp_path, "keyboard", "--isolate", "-x", after=40)
    code, output = run.finish(timeout=300)
    assert code == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    report = run.report()
    statuses = _statuses(report)
    assert list(statuses.values()).count("crashed") == 1, statuses
    assert "error" not in statuses.values(), statuses
    assert report["interrupted"] and report["not_run"]["misbehaving"]


def test_lines_a_backend_writes_into_the_journal_are_ignored(tmp_path):
    run = Run(tmp_path, "journal", "--isolate")
    code, output = run.finish(timeout=300)
    assert "INTERNALERROR" not in output
    assert code == pytest.ExitCode.OK, output[-3000:]
    assert "2 line(s) of an isolated child's journal were not written by the harness" in output
    assert set(_statuses(run.report()).values()) <= {"passed", "skipped"}


@pytest.mark.skipif(sys.platform != "linux", reason="signals as on Linux")
def test_a_second_ctrl_c_while_the_reports_are_written_is_held_off(tmp_path):
    run = Run(tmp_path, "sleep", after=40)
    run.misbehaving_pid()
    run.process.send_signal(signal.SIGINT)
    time.sleep(0.05)  # the run is unwinding, about to write its reports
    run.process.send_signal(signal.SIGINT)
    code, output = run.finish()
    _assert_interrupted(run, code, output, "SIGINT")
    assert "Traceback" not in output


@pytest.mark.skipif(sys.platform != "linux", reason="signals as on Linux")
@pytest.mark.parametrize("delay", [0.2, 0.5, 0.9, 1.4])
def test_sigterm_while_the_run_starts_stops_it_without_a_traceback(tmp_path, delay):
    """Before the handlers are in, SIGTERM kills (nothing written); after, the run stops in
    order; never a traceback or a report that does not say it was interrupted.
    """
    run = Run(tmp_path, "sleep")
    time.sleep(delay)
    run.process.send_signal(signal.SIGTERM)
    code, output = run.finish()
    assert code in (pytest.ExitCode.INTERRUPTED, -signal.SIGTERM), output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    if (run.reports / "conformance.json").exists():
        assert "SIGTERM" in run.report()["interrupted"]
