"""``sedna-conformance`` / ``python -m sedna_conformance.harness``: run the suite, merge the
reports of runs made in several environments, list the clauses, print the report's schema.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import NoReturn

from sedna_conformance.harness.contract.exit_codes import ExitCode
from sedna_conformance.harness.report.renderers import REPORT_FILES as _REPORTS

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr, naming the argument, and exit status
    :attr:`ExitCode.USAGE_ERROR` (argparse's own 2 would read as an interrupted run).
    """

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE_ERROR, f"{self.prog}: {message}\n")


def _list(args: argparse.Namespace) -> int:
    from sedna_conformance.harness.contract.clauses import CLAUSES, newer_than

    clauses = newer_than(args.since) if args.since else list(CLAUSES.values())
    for clause in clauses:
        needs = f"  (requires: {', '.join(clause.requires)})" if clause.requires else ""
        since = f"[{clause.since}] " if args.since else ""
        print(f"{clause.id:40} {since}{clause.sentence}{needs}")
    newer = f" newer than contract {args.since}" if args.since else ""
    print(f"\n{len(clauses)} clauses{newer}")
    return 0


def _contract_version(value: str) -> str:
    """``list --since``: a contract version of this suite."""
    from sedna_conformance.harness.contract.clauses import version_problem

    problem = version_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _version_line() -> str:
    from sedna_conformance.harness.contract.clauses import CONTRACT_VERSION
    from sedna_conformance.harness.contract.results import (
        SCHEMA_VERSION,
        SUITE_DISTRIBUTION,
        version_of,
    )

    return (f"sedna-conformance {version_of(SUITE_DISTRIBUTION) or '(not installed)'} "
            f"(contract {CONTRACT_VERSION}, report schema {SCHEMA_VERSION})")


def _schema(_: argparse.Namespace) -> int:
    from sedna_conformance.harness.contract.results import report_schema

    print(json.dumps(report_schema(), indent=2))
    return 0


def _run(args: argparse.Namespace, pytest_args: list[str]) -> int:
    import pytest

    from sedna_conformance.harness.discovery import specs_to_run
    from sedna_conformance.harness.options import (
        CLI_OPTION,
        OPTIONS,
        report_folder_problem,
        report_path_problem,
    )
    from sedna_conformance.harness.plugin.one_line_usage import OneLineUsage

    try:
        profiles, missing = specs_to_run(args.conformance_profiles)
    except LookupError as error:
        print(f"sedna-conformance: {error}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    for offer in missing:
        print(f"sedna-conformance: not in this run: {offer.missing()}", file=sys.stderr)
    folder = os.path.abspath(args.report_dir)
    paths = {name: os.path.join(folder, name) for name in _REPORTS}
    problem = report_folder_problem(folder) or next(
        (f"{name}: {why}" for name, path in paths.items()
         if (why := report_path_problem(path))), None)
    if problem:
        print(f"sedna-conformance run: --report-dir {args.report_dir!r}: {problem}",
              file=sys.stderr)
        return int(ExitCode.REPORT_FOLDER)
    # pytest writes junit.xml in place, also after a usage error: it is written beside and
    # moved over the previous one only when the run has made reports.
    junit = os.path.join(folder, f".junit.xml.{os.getpid()}.partial")
    # consider_namespace_packages: import the clause modules as sedna_conformance.* (the
    # package is a namespace), so that a run adds no other top-level name to sys.path.
    argv = ["--pyargs", "sedna_conformance.conformance_tests", "-p", "no:cacheprovider", "-q",
            CLI_OPTION,
            "-o", "consider_namespace_packages=true", "--import-mode=importlib",
            "--conformance-report", paths["conformance.json"],
            "--conformance-markdown", paths["conformance.md"],
            "--conformance-html", paths["conformance.html"],
            "--junitxml", junit, "-o", "junit_family=xunit2"]
    args.conformance_profiles = profiles  # the defaults, when none was named
    argv += [arg for option in OPTIONS if option.cli
             for arg in option.passed_on(getattr(args, option.dest))]
    try:
        status = int(pytest.main(argv + pytest_args, plugins=[OneLineUsage()]))
        if status not in (ExitCode.USAGE_ERROR, ExitCode.REPORT_FOLDER) \
                and os.path.isfile(junit):
            os.replace(junit, paths["junit.xml"])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(junit)
    return status


def _merge(args: argparse.Namespace) -> int:
    from sedna_conformance.harness.report.merge import MergeError, merge_reports
    from sedna_conformance.harness.report.renderers import summary_text

    try:
        result, written = merge_reports(args.reports, args.report_dir)
    except MergeError as error:
        print(f"sedna-conformance merge: {error}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    print(summary_text(result))
    print(f"reports: {', '.join(written)}")
    unjudged = [name for name in result.profiles if not result.judged(name)]
    return int(ExitCode.FAILED if result.failed() or unjudged else ExitCode.OK)


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (the docs print its help)."""
    from sedna_conformance.harness.options import add_run_arguments, folder_path

    parser = _Parser(prog="sedna-conformance",
                     description="Check a Sedna backend against the contract.",
                     epilog="exit status: " + "; ".join(f"{code.value} {code.name.lower()}"
                                                        for code in ExitCode)
                     + " (docs/validate-your-backend.md)")
    parser.add_argument("--version", action="version", version=_version_line())
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the suite; arguments it does not know go to "
                                          "pytest (-n 2, -x, -k, ...)")
    add_run_arguments(run)
    run.add_argument("--report-dir", default="reports", type=folder_path,
                     help="where " + ", ".join(_REPORTS) + " go (default: reports)")
    merge = commands.add_parser(
        "merge", help="join the reports of runs made in separate environments (each "
                      "profile keeps its own) into one report set")
    merge.add_argument("reports", nargs="*", metavar="REPORT",
                       help="a conformance.json written by `run`, with its junit.xml beside "
                            "it (one or more; a profile may be in one of them only)")
    merge.add_argument("--report-dir", default="reports", type=folder_path,
                       help="where the merged " + ", ".join(_REPORTS) + " go (default: "
                            "reports; nothing there changes if an input is refused)")
    listing = commands.add_parser("list", help="print every clause with its sentence")
    listing.add_argument("--since", metavar="VERSION", type=_contract_version,
                         help="only the clauses that appeared after this contract version "
                              "(what raising a profile's `contract` adopts)")
    commands.add_parser("schema", help="print the JSON Schema of conformance.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the command line."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in ("list", "schema", "merge"):
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        if args.command == "merge":
            return _merge(args)
        return _list(args) if args.command == "list" else _schema(args)
    return _run(args, rest)


if __name__ == "__main__":
    sys.exit(main())
