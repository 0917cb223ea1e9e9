"""What an attack is (data: its command line, environment, files and folder, signals, and
what must hold afterwards) and what a run of one observed.
"""

from __future__ import annotations

import enum
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.attacks.checks import Check


class Kind(enum.Enum):
    """The four kinds of attack of issue #25."""

    BAD_INPUT = "bad input"
    BACKEND_FAULT = "backend fault"
    DATA_LOSS = "data-loss scenario"
    SIGNAL = "signal"


class Outcome(enum.Enum):
    """What a run's exit status may say (:mod:`benchmarks.attacks.exits` gives the codes)."""

    OK = "passed"
    FAILED = "failed clause"
    INTERRUPTED = "interrupted"
    USAGE = "usage error"
    REPORT_FOLDER = "report folder unwritable"
    KILLED = "killed by the signal sent"


class Folder(enum.Enum):
    """How the report folder (``{reports}``) is prepared before the run."""

    PREVIOUS = "holds a previous complete report set"
    ABSENT = "does not exist"
    FILE = "is a file"
    UNDER_FILE = "would be inside a file"
    UNDER_READ_ONLY = "would be created in a read-only folder"
    READ_ONLY = "is read-only and holds a previous, read-only report set"
    JSON_IS_FOLDER = "holds a previous report set, with a folder at conformance.json"
    JUNIT_IS_FOLDER = "holds a previous report set, with a folder at junit.xml"
    SYMLINKED = "holds a previous report set, conformance.md a link to a file outside"
    FULL_DISK = "holds a previous report set on a full file system"
    STALE_LOCK = "holds a previous report set and the lock file of a killed run"

    @property
    def unprivileged(self) -> bool:
        """Whether the run goes without root's permission override (so modes bind it)."""
        return self in (Folder.READ_ONLY, Folder.UNDER_READ_ONLY)

    @property
    def has_previous(self) -> bool:
        """Whether a previous report set is put in the folder."""
        return self not in (Folder.ABSENT, Folder.FILE, Folder.UNDER_FILE,
                            Folder.UNDER_READ_ONLY)


class Launcher(enum.Enum):
    """How the CLI is started."""

    MODULE = "python -m sedna_conformance.harness"
    SCRIPT = "sedna-conformance"  # the console script: the working folder not on sys.path


@dataclass(frozen=True)
class Shot:
    """A signal sent to the run: ``delay_s`` after the backend misbehaves (it claimed the
    marker file) or, with ``on_backend=False``, after the previous shot (or the start).
    """

    signum: signal.Signals
    delay_s: float = 0.5
    on_backend: bool = True
    group: bool = False  # to the run's process group, as Ctrl-C in a terminal; else its pid

    def describe(self) -> str:
        return f"{self.signum.name}{' to the group' if self.group else ''}"


@dataclass(frozen=True)
class Attack:
    """One attack: a run of the real CLI, and what must hold after it.

    ``args`` follow ``python -m sedna_conformance.harness``; in them and in ``env`` and
    ``files``, ``{reports}``, ``{cwd}`` and ``{outside}`` name the report folder, the
    working folder and a folder the run must not touch. ``files`` are written into the
    working folder first. ``concurrent``: the arguments of a second run started at the
    same moment. ``checks`` add to the checks every attack of its kind gets
    (:func:`benchmarks.attacks.checks.checks_of`).
    """

    name: str
    kind: Kind
    what: str
    args: tuple[str, ...]
    expect: tuple[Outcome, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    folder: Folder = Folder.PREVIOUS
    signals: tuple[Shot, ...] = ()
    concurrent: tuple[str, ...] = ()
    launcher: Launcher = Launcher.MODULE
    checks: tuple[Check, ...] = ()
    names: tuple[str, ...] = ()
    """Bad inputs: the one-line error must contain one of these (the option or value)."""
    profiles: tuple[str, ...] = ("numpy-reference",)
    """The profiles a complete ``conformance.json`` of this run holds."""
    timeout_s: float = 120.0
    clean_temp: bool = True
    """Whether the run must leave no temporary folder (not after a SIGKILL)."""
    fault: str = ""
    """The kind of backend fault it injects (several attacks may inject one kind)."""


class FileState(enum.Enum):
    """A report file after the run."""

    UNCHANGED = "the previous one, byte for byte"
    COMPLETE = "a complete new one"
    ABSENT = "absent (and absent before)"
    NOT_A_REPORT = "a folder or link the attack put there, left as it was"
    LOST = "lost"


@dataclass(frozen=True)
class ReportFile:
    """What one report file was after the run."""

    name: str
    state: FileState
    why: str = ""
    clause_ids: frozenset[str] = frozenset()
    text: str = ""  # decoded content of a new, complete file


@dataclass(frozen=True)
class Ran:
    """One process the attack started: how it ended and what it printed."""

    returncode: int | None  # None: it had to be killed after the attack's timeout
    stdout: bytes
    stderr: bytes
    wall_s: float

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).decode("utf-8", "replace")


@dataclass
class Observation:
    """Everything measured after one attack."""

    attack: Attack
    runs: list[Ran]
    reports: dict[str, ReportFile]
    stray: list[str] = field(default_factory=list)  # other files left in the report folder
    orphans: list[str] = field(default_factory=list)  # "pid command" still running
    temp_left: list[str] = field(default_factory=list)  # sedna-* in the run's TMPDIR
    other_temp: list[str] = field(default_factory=list)  # anything else left there
    hypothesis_left: bool = False  # .hypothesis/ in the working folder
    secrets: list[str] = field(default_factory=list)  # where a credential was found
    outside: dict[str, bytes] = field(default_factory=dict)  # the {outside} folder after
    guarded_changed: list[str] = field(default_factory=list)  # files it must not have touched
    problem: str = ""  # why the attack went wrong (the run ended before a signal, ...)
    skipped: str = ""  # why this machine cannot carry the attack out (a sentence)

    @property
    def run(self) -> Ran:
        """The attack's (first) run."""
        return self.runs[0]

    @property
    def lost(self) -> int:
        """Report files in none of the acceptable states."""
        return sum(r.state is FileState.LOST for r in self.reports.values())


@dataclass(frozen=True)
class Verdict:
    """An observation judged: held, or the reasons it did not."""

    observation: Observation
    reasons: tuple[str, ...]

    @property
    def held(self) -> bool:
        return not self.reasons and not self.skipped

    @property
    def skipped(self) -> str:
        return self.observation.skipped
