"""Interruption: SIGINT and SIGTERM end a run the way Ctrl-C ends a pytest run.

Both become a ``KeyboardInterrupt`` in the main thread, so pytest stops the clause in
progress, runs its session-finish hooks (every report is written, marked interrupted,
with the clauses not reached listed as not run) and exits with its ``INTERRUPTED``
status (2). Frameworks install handlers of their own when imported (MindSpore exits 143
on SIGINT, writing nothing), so the handlers are installed again before each clause.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

import pytest

from sedna_conformance.harness.contract.results import RunResult

__all__ = ["Interruption", "Terminated"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the run receives SIGTERM or SIGINT."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Interruption:
    """Hooks that keep SIGINT/SIGTERM turning into an orderly stop; the reason goes into
    ``result.interrupted``. A signal that comes while the run starts (imports, collection)
    stops it as soon as collection is done: an import cut half-way would break the rest.
    Once the run is stopping, a second signal is held off until the reports are written
    (said on stderr); a third ends the process at once.
    """

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self.stopping = False
        self.starting = True
        self.pending: int | None = None
        self.held = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping:
            self.stopping = True
            if self.starting:
                self.pending = signum  # raised once collection is done
                return
            raise Terminated(signum)
        self.held += 1
        if self.held > 1:  # asked three times: stop now, whatever is lost
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        os.write(2, f"sedna-conformance: {signal.Signals(signum).name} again: the run is "
                    "writing its reports; send it once more to stop at once (the reports may "
                    "then be lost)\n".encode())

    def install(self) -> None:
        """(Re)install the handlers; only the main thread may."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _SIGNALS:
            previous = signal.signal(signum, self._handle)
            if previous != self._handle:
                self._previous.setdefault(signum, previous)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.install()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """The run has started: a signal that came while it started stops it now."""
        self.starting = False
        if self.pending is not None:
            raise Terminated(self.pending)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.install()  # an import during collection or the last clause may have replaced them

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.install()  # after each phase: a framework's runtime may have started in it

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.stopping = True  # also for a KeyboardInterrupt no signal raised
        value = excinfo.value
        self.result.interrupted = (f"interrupted by {signal.Signals(value.signum).name}"
                                   if isinstance(value, Terminated) else "interrupted")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self._previous.items():
            if previous is not None:
                signal.signal(signum, previous)
        self._previous.clear()
