"""The plugin's command-line options, namespaced so that they cannot collide with other
plugins', and :class:`RunOptions`, what they say about one run.
"""

from __future__ import annotations

import argparse
import enum
import ipaddress
import math
import os
import re
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from sedna_conformance.harness.contract.clauses import match
from sedna_conformance.harness.contract.exit_codes import ExitCode

__all__ = ["CHILD_OPTION", "CLI_OPTION", "CLI_SPELLINGS", "DEFAULT_CLAUSE_TIMEOUT",
           "HYPOTHESIS_LEVELS", "MAX_CLAUSE_TIMEOUT", "OPTIONS", "PARENT_ONLY", "Kind",
           "Option", "Role", "RunOptions", "add_options", "add_run_arguments",
           "clause_timeout", "folder_path", "report_folder_problem", "report_path_problem",
           "s3_bucket", "s3_endpoint"]

#: Seconds a clause may run in an isolated child before it is reported ``timed_out``.
DEFAULT_CLAUSE_TIMEOUT = 600.0
#: The longest ``--clause-timeout`` accepted: 7 days (a timer cannot wait forever).
MAX_CLAUSE_TIMEOUT = 7 * 24 * 3600.0

T = TypeVar("T")


# -- option values: each check written once, used by the command line (argparse ``type=``)
# -- and by the pytest options (RunOptions.from_config); each raises ArgumentTypeError
# -- with what was expected, which argparse prints after the option's name.
def clause_timeout(value: str | float) -> float:
    """``--clause-timeout``: a finite number of seconds, above 0, at most 7 days."""
    expected = (f"a number of seconds above 0 and at most {MAX_CLAUSE_TIMEOUT:.0f} (7 days), "
                f"got {str(value)!r}")
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}") from None
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_CLAUSE_TIMEOUT):
        raise argparse.ArgumentTypeError(f"expected {expected}")
    return seconds


def s3_endpoint(value: str) -> str:
    """``--s3-endpoint``: an ``http://`` or ``https://`` URL with a host, and no credentials
    (they come from ``ACCESS_KEY_ID`` and ``SECRET_ACCESS_KEY``).
    """
    expected = f"an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000, got {value!r}"
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"expected {expected}")
    if parts.username is not None or parts.password is not None:
        raise argparse.ArgumentTypeError(
            "expected a URL without credentials (they come from ACCESS_KEY_ID and "
            "SECRET_ACCESS_KEY in the environment), got one with a user name or password")
    if parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"expected {expected} (without ? or #)")
    return value


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def s3_bucket(value: str) -> str:
    """``--s3-bucket``: an S3 bucket name (3 to 63 lowercase letters, digits, dots and
    hyphens, beginning and ending with a letter or digit, not an IP address).
    """
    try:
        ipaddress.IPv4Address(value)
        address = True
    except ValueError:
        address = False
    if not _BUCKET.fullmatch(value) or ".." in value or address:
        raise argparse.ArgumentTypeError(
            "expected an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, "
            f"beginning and ending with a letter or digit, not an IP address; got {value!r}")
    return value


def folder_path(value: str) -> str:
    """``--report-dir``: a non-empty path."""
    if not value.strip():
        raise argparse.ArgumentTypeError(f"expected a folder path, got {value!r}")
    return value


def report_path_problem(path: str) -> str | None:
    """Why a report cannot be written at ``path`` (its folder made if missing), or ``None``."""
    if not path.strip():
        return "expected a file path, got an empty one"
    if os.path.isdir(path):
        return "it is a folder, expected a file path"
    folder = os.path.dirname(os.path.abspath(path))
    problem = report_folder_problem(folder)
    return problem and f"its folder {folder!r}: {problem}"


def report_folder_problem(folder: str) -> str | None:
    """Why reports cannot be written in ``folder`` (made if missing), or ``None``."""
    if os.path.lexists(folder) and not os.path.isdir(folder):
        return "it is a file, expected a folder"
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        return f"it cannot be created ({error.strerror or error})"
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".sedna-probe-"):
            pass
    except OSError as error:
        return f"nothing can be written in it ({error.strerror or error})"
    return None
#: The hidden option that makes a pytest process an isolated child; its value is the journal.
CHILD_OPTION = "--sedna-child-journal"
#: The hidden option the command line passes, so that messages name its own spellings.
CLI_OPTION = "--sedna-cli"
#: How many generated inputs the clauses try: ``ci`` (derandomized), ``dev``, ``thorough``.
HYPOTHESIS_LEVELS = {"ci": 4, "dev": 15, "thorough": 100}


class Role(enum.Enum):
    """What this pytest process is in a run."""

    ALONE = "alone"  # runs the clauses and writes the reports
    CONTROLLER = "controller"  # xdist's controller: collects nothing, writes the reports
    WORKER = "worker"  # an xdist worker: runs clauses, tells the controller
    ISOLATED_CHILD = "isolated child"  # runs clauses for its supervisor (--isolate)

    @classmethod
    def of(cls, config: pytest.Config) -> Role:
        """The role of the process ``config`` belongs to (decided here only)."""
        if config.getoption("sedna_child_journal"):
            return cls.ISOLATED_CHILD
        if hasattr(config, "workerinput"):
            return cls.WORKER
        return cls.CONTROLLER if getattr(config.option, "dist", "no") != "no" else cls.ALONE

    @property
    def writes_reports(self) -> bool:
        """Whether this process writes the reports."""
        return self in (Role.ALONE, Role.CONTROLLER)


class Kind(enum.Enum):
    """How an option takes its value."""

    VALUE = "value"
    FLAG = "flag"  # no value: present or not
    REPEATED = "repeated"  # one value each time it is given


@dataclass(frozen=True)
class Option:
    """One option of a run: its pytest spelling, its command-line spelling (``None``: pytest
    only), its help (``{dest}`` of another option becomes that option's spelling) and how
    its value is checked (the command line with argparse, pytest in :class:`RunOptions`).
    """

    dest: str
    pytest: str
    cli: str | None
    help: str
    kind: Kind = Kind.VALUE
    metavar: str | None = None
    check: Callable[[str], Any] | None = None
    default: Any = None
    choices: tuple[str, ...] | None = None
    parent_only: bool = False  # an isolated child does not inherit it

    def spelled(self, cli: bool) -> str:
        """The option's name on the command line (``cli``) or under pytest."""
        return self.cli if cli and self.cli else self.pytest

    def help_for(self, cli: bool) -> str:
        """The help text with every option it names spelled for the command line or pytest."""
        if self.help == argparse.SUPPRESS:
            return self.help
        return self.help.format(**{o.dest: o.spelled(cli) for o in OPTIONS})

    def arguments(self, cli: bool) -> dict[str, Any]:
        """``add_argument``/``addoption`` keywords."""
        found: dict[str, Any] = {"dest": self.dest, "help": self.help_for(cli)}
        if self.kind is Kind.FLAG:
            return {**found, "action": "store_true"}
        found.update(metavar=self.metavar, choices=self.choices)
        if self.kind is Kind.REPEATED:
            return {**found, "action": "append", "default": []}
        if cli and self.check is not None:
            found["type"] = self.check
        return {**found, "default": self.default}

    def passed_on(self, value: Any) -> list[str]:
        """The pytest arguments that give ``value`` (from the command line) to the plugin."""
        if self.kind is Kind.FLAG:
            return [self.pytest] if value else []
        if self.kind is Kind.REPEATED:
            return [f"{self.pytest}={item}" for item in value]
        return [] if value is None else [self.pytest, str(value)]


#: Every option of a run, once: the pytest options, the command line's ``run`` options, the
#: spellings messages use and what an isolated child does not inherit come from here.
OPTIONS = (
    Option("conformance_profiles", "--conformance-profile", "--profile",
           "a registered profile name or module:attribute (repeatable); default: every "
           "bundled profile whose framework imports", Kind.REPEATED, "NAME|module:attr"),
    Option("conformance_clauses", "--conformance-clause", "--clause",
           "run only the clauses matching this id or glob (repeatable)", Kind.REPEATED,
           "GLOB"),
    Option("conformance_report", "--conformance-report", None, "write the JSON report",
           metavar="PATH", parent_only=True),
    Option("conformance_markdown", "--conformance-markdown", None,
           "write the Markdown report", metavar="PATH", parent_only=True),
    Option("conformance_html", "--conformance-html", None, "write the HTML matrix",
           metavar="PATH", parent_only=True),
    Option("conformance_hypothesis", "--conformance-hypothesis", "--hypothesis",
           "generated inputs per property: ci (4, derandomized; default), dev (15), "
           "thorough (100)", metavar="LEVEL", default="ci",
           choices=tuple(sorted(HYPOTHESIS_LEVELS))),
    Option("conformance_isolate", "--conformance-isolate", "--isolate",
           "run each profile's clauses in a child process: a clause that crashes or hangs "
           "is reported crashed/timed_out and the run goes on (profiles can ask for this: "
           "isolate=True)", Kind.FLAG, parent_only=True),
    Option("conformance_clause_timeout", "--conformance-clause-timeout", "--clause-timeout",
           "with {conformance_isolate}, a clause running longer is reported timed_out "
           f"(default {DEFAULT_CLAUSE_TIMEOUT:g})", metavar="SECONDS", check=clause_timeout,
           default=DEFAULT_CLAUSE_TIMEOUT),
    Option("conformance_s3_endpoint", "--conformance-s3-endpoint", "--s3-endpoint",
           "run the remote.* clauses against this S3 endpoint (MinIO, Ceph, ...), with "
           "ACCESS_KEY_ID and SECRET_ACCESS_KEY from the environment; default: a local S3 "
           "server on 127.0.0.1 (extra [remote])", metavar="URL", check=s3_endpoint),
    Option("conformance_s3_bucket", "--conformance-s3-bucket", "--s3-bucket",
           "with {conformance_s3_endpoint}: a bucket the remote clauses may write to",
           metavar="NAME", check=s3_bucket),
    Option("sedna_child_journal", CHILD_OPTION, None, argparse.SUPPRESS, parent_only=True),
    Option("sedna_cli", CLI_OPTION, None, argparse.SUPPRESS, Kind.FLAG),
)
#: The command line's spelling of each plugin option it passes on.
CLI_SPELLINGS = {o.pytest: o.cli for o in OPTIONS if o.cli}
#: The plugin options an isolated child must not inherit; ``True`` if it takes a value.
PARENT_ONLY = {o.pytest: o.kind is not Kind.FLAG for o in OPTIONS if o.parent_only}


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--conformance-*`` options."""
    group = parser.getgroup("sedna-conformance", "Sedna backend conformance")
    for option in OPTIONS:
        group.addoption(option.pytest, **option.arguments(cli=False))


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options the command line's ``run`` passes on to the plugin."""
    for option in OPTIONS:
        if option.cli:
            parser.add_argument(option.cli, **option.arguments(cli=True))


@dataclass(frozen=True)
class RunOptions:
    """What the command line asks of a conformance run."""

    profile_specs: tuple[str, ...] = ()
    clause_globs: tuple[str, ...] = ()
    json_path: str | None = None
    markdown_path: str | None = None
    html_path: str | None = None
    hypothesis: str = "ci"
    isolate: bool = False
    clause_timeout: float = DEFAULT_CLAUSE_TIMEOUT
    child_journal: str | None = None
    s3_endpoint: str | None = None
    s3_bucket: str | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunOptions:
        """Read and check the options of ``config``: a wrong value is a one-line usage
        error naming the option; a report path that cannot be written ends the run before
        it starts, with :attr:`ExitCode.REPORT_FOLDER`.
        """
        cli, role = bool(config.getoption("sedna_cli")), Role.of(config)

        def said(option: str) -> str:
            return CLI_SPELLINGS.get(option, option) if cli else option

        options = cls(
            profile_specs=tuple(config.getoption("conformance_profiles")),
            clause_globs=tuple(config.getoption("conformance_clauses")),
            json_path=config.getoption("conformance_report"),
            markdown_path=config.getoption("conformance_markdown"),
            html_path=config.getoption("conformance_html"),
            hypothesis=config.getoption("conformance_hypothesis"),
            isolate=config.getoption("conformance_isolate"),
            clause_timeout=_checked(said("--conformance-clause-timeout"), clause_timeout,
                                    config.getoption("conformance_clause_timeout"))
            or DEFAULT_CLAUSE_TIMEOUT,
            child_journal=config.getoption("sedna_child_journal"),
            s3_endpoint=_checked(said("--conformance-s3-endpoint"), s3_endpoint,
                                 config.getoption("conformance_s3_endpoint")),
            s3_bucket=_checked(said("--conformance-s3-bucket"), s3_bucket,
                               config.getoption("conformance_s3_bucket")))
        clause, isolate = said("--conformance-clause"), said("--conformance-isolate")
        endpoint, bucket = said("--conformance-s3-endpoint"), said("--conformance-s3-bucket")
        unknown = [g for g in options.clause_globs if not match(g)]
        if unknown:
            raise pytest.UsageError(f"{clause} {unknown} match no clause id; "
                                    "`sedna-conformance list` prints them")
        if options.s3_endpoint and not options.s3_bucket:
            raise pytest.UsageError(f"{endpoint} needs {bucket}, a bucket the remote clauses "
                                    "may write to")
        if options.s3_bucket and not options.s3_endpoint:
            raise pytest.UsageError(f"{bucket} needs {endpoint}: the local S3 server uses its "
                                    "own bucket")
        if options.isolate and role is Role.CONTROLLER:
            raise pytest.UsageError(f"{isolate} runs each profile in its own child process; "
                                    "drop -n/--dist (pytest-xdist) when isolating")
        if role.writes_reports:
            options.check_report_paths()
        return options

    def check_report_paths(self) -> None:
        """End the run before it starts (:attr:`ExitCode.REPORT_FOLDER`, one line) if a
        report path is empty, a folder, or in a folder that cannot be written.
        """
        for option, path in (("--conformance-report", self.json_path),
                             ("--conformance-markdown", self.markdown_path),
                             ("--conformance-html", self.html_path)):
            problem = None if path is None else report_path_problem(path)
            if problem:
                pytest.exit(f"{option} {path!r}: {problem}", returncode=ExitCode.REPORT_FOLDER)

    @property
    def requested(self) -> bool:
        """Whether the command line asks for a conformance run (named profiles or reports)."""
        return bool(self.profile_specs or self.json_path or self.markdown_path
                    or self.html_path)


def _checked(option: str, check: Callable[[str], T], value: str | None) -> T | None:
    """``check(value)`` (``None`` stays ``None``); a refused value is a usage error naming
    ``option``.
    """
    if value is None:
        return None
    try:
        return check(value)
    except argparse.ArgumentTypeError as error:
        raise pytest.UsageError(f"{option}: {error}") from None
