"""The plugin's command-line options, namespaced so that they cannot collide with other
plugins', and :class:`RunOptions`, what they say about one run.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from sedna_conformance.harness.clauses import match

__all__ = ["CHILD_OPTION", "DEFAULT_CLAUSE_TIMEOUT", "HYPOTHESIS_LEVELS", "RunOptions",
           "add_options"]

#: Seconds a clause may run in an isolated child before it is reported ``timed_out``.
DEFAULT_CLAUSE_TIMEOUT = 600.0
#: The hidden option that makes a pytest process an isolated child; its value is the journal.
CHILD_OPTION = "--sedna-child-journal"
#: How many generated inputs the clauses try: ``ci`` (derandomized), ``dev``, ``thorough``.
HYPOTHESIS_LEVELS = {"ci": 4, "dev": 15, "thorough": 100}


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--conformance-*`` options."""
    group = parser.getgroup("sedna-conformance", "Sedna backend conformance")
    group.addoption("--conformance-profile", action="append", default=[],
                    metavar="NAME|module:attr", dest="conformance_profiles",
                    help="profile to check (repeatable); default: every bundled profile "
                         "whose framework imports")
    group.addoption("--conformance-clause", action="append", default=[], metavar="GLOB",
                    dest="conformance_clauses",
                    help="run only the clauses matching this id or glob (repeatable)")
    group.addoption("--conformance-report", metavar="PATH", help="write the JSON report")
    group.addoption("--conformance-markdown", metavar="PATH", help="write the Markdown report")
    group.addoption("--conformance-html", metavar="PATH", help="write the HTML matrix")
    group.addoption("--conformance-hypothesis", choices=sorted(HYPOTHESIS_LEVELS),
                    default="ci", metavar="LEVEL",
                    help="generated inputs per property: ci (4, derandomized; default), "
                         "dev (15), thorough (100)")
    group.addoption("--conformance-isolate", action="store_true",
                    help="run each profile's clauses in a child process, so a clause that "
                         "crashes or hangs the interpreter is reported crashed/timed_out "
                         "and the run goes on (profiles can ask for this: isolate=True)")
    group.addoption("--conformance-clause-timeout", type=float, default=DEFAULT_CLAUSE_TIMEOUT,
                    metavar="SECONDS",
                    help="in isolated runs, a clause running longer is reported timed_out "
                         f"(default {DEFAULT_CLAUSE_TIMEOUT:g})")
    group.addoption("--conformance-s3-endpoint", metavar="URL",
                    help="run the remote.* clauses against this S3 endpoint (MinIO, Ceph, ...) "
                         "with ACCESS_KEY_ID and SECRET_ACCESS_KEY from the environment; "
                         "default: a local S3 server on 127.0.0.1 (extra [remote])")
    group.addoption("--conformance-s3-bucket", metavar="NAME",
                    help="with --conformance-s3-endpoint: a bucket the clauses may write to")
    group.addoption(CHILD_OPTION, help=argparse.SUPPRESS)


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
        """Read and check the options of ``config``."""
        options = cls(
            profile_specs=tuple(config.getoption("conformance_profiles")),
            clause_globs=tuple(config.getoption("conformance_clauses")),
            json_path=config.getoption("conformance_report"),
            markdown_path=config.getoption("conformance_markdown"),
            html_path=config.getoption("conformance_html"),
            hypothesis=config.getoption("conformance_hypothesis"),
            isolate=config.getoption("conformance_isolate"),
            clause_timeout=config.getoption("conformance_clause_timeout"),
            child_journal=config.getoption("sedna_child_journal"),
            s3_endpoint=config.getoption("conformance_s3_endpoint"),
            s3_bucket=config.getoption("conformance_s3_bucket"))
        unknown = [g for g in options.clause_globs if not match(g)]
        if unknown:
            raise pytest.UsageError(f"--conformance-clause {unknown} match no clause id; "
                                    "`sedna-conformance list` prints them")
        if not options.clause_timeout > 0:
            raise pytest.UsageError("--conformance-clause-timeout must be a positive number "
                                    f"of seconds, got {options.clause_timeout:g}")
        if options.s3_endpoint and not options.s3_bucket:
            raise pytest.UsageError("--conformance-s3-endpoint needs --conformance-s3-bucket, "
                                    "a bucket the remote clauses may write to")
        if options.isolate and getattr(config.option, "dist", "no") != "no":
            raise pytest.UsageError("--conformance-isolate runs each profile in its own child "
                                    "process; drop -n/--dist (pytest-xdist) when isolating")
        return options

    @property
    def requested(self) -> bool:
        """Whether the command line asks for a conformance run (named profiles or reports)."""
        return bool(self.profile_specs or self.json_path or self.markdown_path
                    or self.html_path)
