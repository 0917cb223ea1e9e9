"""Interruption: SIGINT and SIGTERM end a run the way Ctrl-C ends a pytest run.

Both become a ``KeyboardInterrupt`` in the main thread, so pytest stops the clause in
progress, runs its session-finish hooks (every report is written, marked interrupted,
with the clauses not reached listed as not run) and exits with its ``INTERRUPTED``
status (2). Frameworks install handlers of their own when imported (MindSpore exits 143
on SIGINT, writing nothing), so the handlers are installed again before each clause.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import pytest

from sedna_conformance.harness.results import RunResult

__all__ = ["Interruption", "Terminated"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the run receives SIGTERM or SIGINT."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


class Interruption:
    """Hooks that keep SIGINT/SIGTERM turning into an orderly stop; the reason goes into
    ``result.interrupted``.
    """

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        """(Re)install the handlers; only the main thread may."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _SIGNALS:
            previous = signal.signal(signum, _raise)
            if previous is not _raise:
                self._previous.setdefault(signum, previous)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.install()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.install()  # an import during collection or the last clause may have replaced them

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.install()  # after each phase: a framework's runtime may have started in it

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
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
