"""Isolation: a backend that crashes or hangs costs one clause, never the run.

With ``--conformance-isolate`` (or a profile's ``isolate=True``) the controlling pytest process
collects as usual but runs no clause itself: :func:`supervise` starts, per profile, a
child pytest process that runs that profile's clauses and streams every report back
through a :class:`Journal` (JSON lines, written before a crash can lose them). When the
child dies inside a clause (segfault, ``os.abort``) that clause is reported ``crashed``;
when a clause runs past the clause timeout the child's :class:`Watchdog` (or, as a
backstop, the supervisor) ends it and the clause is reported ``timed_out``. Either way
a new child picks up the profile's remaining clauses, with the outcomes so far, so
prerequisites still block, and every report is written at the end.

A hang in code that never releases the GIL escapes the watchdog thread; the supervisor
then kills the child a grace period later.
"""

from __future__ import annotations

import faulthandler
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, Literal

import pytest

from sedna_conformance.harness.contract.clauses import get_clause
from sedna_conformance.harness.contract.results import ClauseResult, Status
from sedna_conformance.harness.discovery import child_search_path
from sedna_conformance.harness.kit.failure import format_failure
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.options import CHILD_OPTION, PARENT_ONLY
from sedna_conformance.harness.plugin.collection import clause_of, profile_of
from sedna_conformance.harness.processes.groups import die_with_parent, kill_group
from sedna_conformance.harness.processes.temp_folder import lasting_tempdir

__all__ = ["Isolation", "Journal", "LostReport", "Watchdog", "child_arguments",
           "read_child_files", "supervise"]

_TIMEOUT_EXIT_CODE = 70  # EX_SOFTWARE
_GRACE_S = 30.0  # the supervisor's backstop beyond the clause timeout
#: Options of the controlling run a child must not inherit (they name its outputs or
#: distribute it); ``True`` if the option takes a value.
_PARENT_ONLY = {**PARENT_ONLY, "--junitxml": True, "--junit-xml": True, "-n": True,
                "--numprocesses": True, "--dist": True, "--maxprocesses": True,
                "--max-worker-restart": True}


class Journal:
    """Append-only JSON-lines record of clause starts, reports, finishes and timeouts.

    One per child process; beside it, ``<path>.todo`` lists the node ids the child must
    run and ``<path>.outcomes`` the clause outcomes so far (for prerequisites). Each line
    carries an HMAC under a key the supervisor hands the child in its environment (which
    the child removes before any backend code runs): a line the key did not sign, such as
    one a backend wrote into the file, is not read.
    """

    def __init__(self, path: str, key: bytes) -> None:
        self.path = path
        self.key = key
        self.unreadable = 0  # lines read that were not the child's own

    def _mac(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()

    def write(self, event: str, nodeid: str, **fields: Any) -> None:
        """Append one event, durable before this returns (a crash may follow)."""
        payload = json.dumps({"event": event, "nodeid": nodeid, **fields}, default=str)
        line = json.dumps({"mac": self._mac(payload), "payload": payload})
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, (line + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _event(self, line: bytes) -> dict[str, Any] | None:
        try:
            signed = json.loads(line)
            payload = signed["payload"]
            if hmac.compare_digest(self._mac(payload), signed["mac"]):
                event = json.loads(payload)
                if isinstance(event, dict) and isinstance(event.get("nodeid"), str):
                    return event
        except (ValueError, TypeError, KeyError, UnicodeError):
            pass
        self.unreadable += 1
        return None

    def read_new(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Complete events written after byte ``offset``, and the offset after them."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return [], offset
        complete = data[:data.rfind(b"\n") + 1]
        events = [self._event(line) for line in complete.splitlines() if line.strip()]
        return [e for e in events if e is not None], offset + len(complete)


class Watchdog:
    """Ends this child process, after journaling why, if a clause outlives ``seconds``."""

    def __init__(self, journal: Journal, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"clause timeout must be a positive number of seconds, got {seconds}")
        self.journal = journal
        self.seconds = seconds
        self._timer: threading.Timer | None = None

    def start(self, nodeid: str) -> None:
        """Arm the timer for the clause ``nodeid``."""
        self.stop()
        self._timer = threading.Timer(self.seconds, self._expire, args=(nodeid,))
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        """Disarm the timer (the clause finished in time)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, nodeid: str) -> None:
        self.journal.write("timeout", nodeid, seconds=self.seconds)
        sys.stderr.write(f"\n[sedna-conformance] {nodeid} still running after "
                         f"{self.seconds:g} s (the clause timeout); ending this process. Stacks:\n")
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(_TIMEOUT_EXIT_CODE)


def child_arguments(args: Sequence[str]) -> list[str]:
    """The controlling run's command line without the options only it may act on."""
    kept: list[str] = []
    skip_value = False
    for arg in args:
        if skip_value:
            skip_value = False
            continue
        name = arg.split("=", 1)[0]
        if name in _PARENT_ONLY:
            skip_value = _PARENT_ONLY[name] and "=" not in arg
            continue
        if arg.startswith("-n") and not arg.startswith("--"):  # -n2, -nauto
            continue
        kept.append(arg)
    return kept


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    if code == _TIMEOUT_EXIT_CODE:
        return "was ended by its clause-timeout watchdog"
    return f"exited with status {code}"


def _tail(path: str, lines: int = 25) -> str:
    with open(path, "rb") as handle:
        text = handle.read().decode(errors="replace")
    kept = [line for line in text.splitlines() if not line.startswith("Extension modules:")]
    return "\n".join(kept[-lines:])


def _report_failure(item: pytest.Item, when: Literal["setup", "call"], longrepr: str,
                    result: ClauseResult, duration: float = 0.0) -> None:
    """Log, for a clause its child could not report, a failed phase and the clause's end."""
    result.duration_s = duration
    report = pytest.TestReport(item.nodeid, item.location, keywords={}, outcome="failed",
                               longrepr=longrepr, when=when, duration=duration,
                               conformance=result)
    item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


#: Builds the result of a clause that took its child down:
#: ``(item, status, what happened, child output path) -> result``.
LostReport = Callable[[pytest.Item, Status, str, str], ClauseResult]


#: The environment variable that hands an isolated child its journal's key.
JOURNAL_KEY = "SEDNA_CONFORMANCE_JOURNAL_KEY"
_PYTEST_INTERRUPTED = 2  # pytest's exit status after a KeyboardInterrupt


def _launch(base: list[str], journal: Journal, pending: Sequence[str],
            outcomes: dict[tuple[str, str], str], cwd: str,
            log_path: str) -> subprocess.Popen[bytes]:
    """Start one isolated child for the node ids ``pending``, its output to ``log_path``."""
    with open(journal.path + ".todo", "w", encoding="utf-8") as handle:
        handle.write("\n".join(pending) + "\n")
    with open(journal.path + ".outcomes", "w", encoding="utf-8") as handle:
        json.dump([[p, c, s] for (p, c), s in outcomes.items()], handle)
    env = {**os.environ, JOURNAL_KEY: journal.key.hex(), **child_search_path()}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*base, CHILD_OPTION, journal.path], cwd=cwd, env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process


def supervise(session: pytest.Session, groups: Sequence[Sequence[pytest.Item]], *,
              outcomes: dict[tuple[str, str], str], timeout: float,
              lost_report: LostReport, logs: str | None = None) -> None:
    """Run each group of items in child pytest processes, replaying their reports here.

    ``outcomes`` (``(profile, clause) -> status``, kept up to date by the caller's
    ``pytest_runtest_logreport``) is handed to every new child for prerequisites. A child
    never outlives this function: interrupted (SIGINT, SIGTERM) or not, it is killed with
    its process group. The output of a child that took a clause down is kept in ``logs``
    (a folder this function empties first; default: a new temporary folder), the rest
    is removed.
    """
    config = session.config
    folder = tempfile.mkdtemp(prefix="sedna-isolate-")
    if logs is None:
        logs = tempfile.mkdtemp(prefix="sedna-isolate-logs-", dir=lasting_tempdir())
    else:
        shutil.rmtree(logs, ignore_errors=True)
        os.makedirs(logs, exist_ok=True)
    base = [sys.executable, "-P", "-m", "pytest",
            *child_arguments(config.invocation_params.args), "-p", "no:cacheprovider", "-q"]
    launches, kept = 0, []
    try:
        for group in groups:
            pending = {item.nodeid: item for item in group}
            while pending and not (session.shouldstop or session.shouldfail):
                launches += 1
                journal = Journal(os.path.join(folder, f"child-{launches}.jsonl"),
                                  os.urandom(32))
                log_path = os.path.join(logs, f"child-{launches}.log")
                process = _launch(base, journal, list(pending), outcomes,
                                  str(config.invocation_params.dir), log_path)
                try:
                    current, timed_out, started = _follow(process, journal, pending, config,
                                                          timeout)
                finally:
                    kill_group(process)
                if journal.unreadable:
                    sys.stderr.write(f"\n[sedna-conformance] {journal.unreadable} line(s) "
                                     "of an isolated child's journal were not written by the "
                                     "harness and were ignored\n")
                what = f"its child process {_exit_reason(process.returncode)}"
                if current is not None:
                    status = Status.TIMED_OUT if timed_out else Status.CRASHED
                    if process.returncode == _PYTEST_INTERRUPTED and not timed_out:
                        what += (" after the clause raised KeyboardInterrupt (a backend must "
                                 "not raise KeyboardInterrupt or another BaseException that "
                                 "is not an Exception: it stops the program that hosts it)")
                    _report_failure(current, "call",
                                    f"{what}; its last output:\n{_tail(log_path)}",
                                    lost_report(current, status, what, log_path),
                                    time.monotonic() - started)
                    del pending[current.nodeid]
                    kept.append(log_path)
                elif pending and not (session.shouldstop or session.shouldfail):
                    # ended without starting them (its collection differs, ...)
                    for item in pending.values():
                        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid,
                                                           location=item.location)
                        _report_failure(item, "setup", f"{what} before running this; its last "
                                        f"output:\n{_tail(log_path)}",
                                        lost_report(item, Status.ERROR, f"{what} before running it",
                                                    log_path))
                    kept.append(log_path)
                    break
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for name in os.listdir(logs):
            if os.path.join(logs, name) not in kept:
                os.remove(os.path.join(logs, name))
        if not kept:
            os.rmdir(logs)


def _follow(process: subprocess.Popen[bytes], journal: Journal,
            pending: dict[str, pytest.Item], config: pytest.Config,
            timeout: float) -> tuple[pytest.Item | None, bool, float]:
    """Replay ``journal`` here until the child ends: the clause it was in when it ended
    (``None`` between clauses), whether it timed out, and when that clause started.

    Events are taken in the protocol's order only: a report or finish for a clause other
    than the one started is ignored.
    """
    current: pytest.Item | None = None
    started, timed_out, offset = 0.0, False, 0
    while True:
        exited = process.poll() is not None
        events, offset = journal.read_new(offset)
        for event in events:
            kind, item = event.get("event"), pending.get(event["nodeid"])
            if kind == "timeout":
                timed_out = True
            elif item is None:
                continue
            elif kind == "start" and current is None:
                current, started = item, time.monotonic()
                item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
            elif item is not current:
                continue
            elif kind == "report":
                report = config.hook.pytest_report_from_serializable(config=config,
                                                                     data=event["report"])
                if isinstance(report.longrepr, list):  # a skip's tuple, via JSON
                    report.longrepr = tuple(report.longrepr)
                item.ihook.pytest_runtest_logreport(report=report)
            elif kind == "finish":
                item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
                del pending[item.nodeid]
                current = None
        if exited:
            return current, timed_out, started
        if current is not None and time.monotonic() - started > timeout + _GRACE_S:
            kill_group(process)
            timed_out = True
            continue
        time.sleep(0.05)


def read_child_files(journal_path: str) -> tuple[set[str], dict[tuple[str, str], str]]:
    """In a child: the node ids to run and the outcomes so far, as the supervisor wrote them."""
    with open(journal_path + ".todo", encoding="utf-8") as handle:
        todo = {line for line in handle.read().splitlines() if line}
    with open(journal_path + ".outcomes", encoding="utf-8") as handle:
        outcomes = {(p, c): s for p, c, s in json.load(handle)}
    return todo, outcomes


class Isolation:
    """The isolation hooks: in the controlling process, runs isolated profiles' clauses
    under :func:`supervise`; in a child, journals every clause and arms the watchdog.
    """

    def __init__(self, run: ConformanceRun, config: pytest.Config, reporting: bool) -> None:
        self.run = run
        self.config = config
        self.reporting = reporting
        self.journal: Journal | None = None
        self.watchdog: Watchdog | None = None
        if run.options.child_journal:  # an isolated child: take the key before any backend
            die_with_parent()
            key = bytes.fromhex(os.environ.pop(JOURNAL_KEY, ""))
            self.journal = Journal(run.options.child_journal, key)
            self.watchdog = Watchdog(self.journal, run.options.clause_timeout)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """With isolation, run the isolated profiles' clauses under :func:`supervise`."""
        if not self.reporting or session.config.option.collectonly:
            return None
        everything = self.run.options.isolate
        isolated = [item for item in session.items if clause_of(item) and (
            everything or getattr(profile_of(item), "isolate", False))]
        if not isolated:
            return None
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(f"{session.testsfailed} errors during collection")
        chosen = set(isolated)
        in_process = [item for item in session.items if item not in chosen]
        for i, item in enumerate(in_process):
            nextitem = in_process[i + 1] if i + 1 < len(in_process) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail or session.shouldstop:
                return True
        groups: dict[str, list[pytest.Item]] = {}
        for item in isolated:
            groups.setdefault(profile_of(item).name, []).append(item)  # type: ignore[union-attr]
        report = self.run.options.json_path
        logs = os.path.join(os.path.dirname(os.path.abspath(report)), "isolated-logs") \
            if report else None
        supervise(session, list(groups.values()), outcomes=self.run.outcomes,
                  timeout=self.run.options.clause_timeout, lost_report=self._lost_report,
                  logs=logs)
        return True

    def _lost_report(self, item: pytest.Item, status: Status, what: str,
                     log_path: str) -> ClauseResult:
        clause_id, profile = clause_of(item), profile_of(item)
        assert clause_id is not None and profile is not None
        observed = what
        if status == Status.TIMED_OUT:
            observed = (f"still running after {self.run.options.clause_timeout:g} s "
                        f"(the clause timeout); {what}")
        message = format_failure(get_clause(clause_id), observed, "the clause to finish",
                                 f"{self.run.reproduce(profile, clause_id)}\n"
                                 f"the child's output (stacks included): {log_path}")
        return ClauseResult(profile.name, clause_id, status, message)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        if self.journal is None or self.watchdog is None:
            return (yield)
        self.journal.write("start", item.nodeid)
        self.watchdog.start(item.nodeid)
        try:
            result = yield
        except KeyboardInterrupt:  # raised by the clause: the supervisor reports it
            self.watchdog.stop()
            raise
        self.watchdog.stop()
        self.journal.write("finish", item.nodeid)
        return result

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.journal is not None:  # an isolated child: stream it to the supervisor
            config = self.config
            data = config.hook.pytest_report_to_serializable(config=config, report=report)
            self.journal.write("report", report.nodeid, report=data)
