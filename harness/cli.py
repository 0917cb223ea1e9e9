"""``sedna-conformance`` / ``python -m harness``: run the suite, or list its clauses."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

__all__ = ["build_parser", "main"]


def _list(_: argparse.Namespace) -> int:
    from harness.clauses import CLAUSES

    for clause in CLAUSES.values():
        needs = f"  (requires: {', '.join(clause.requires)})" if clause.requires else ""
        print(f"{clause.id:40} {clause.sentence}{needs}")
    print(f"\n{len(CLAUSES)} clauses")
    return 0


def _schema(_: argparse.Namespace) -> int:
    from harness.results import report_schema

    print(json.dumps(report_schema(), indent=2))
    return 0


def _run(args: argparse.Namespace, pytest_args: list[str]) -> int:
    import pytest

    from harness import reports
    from harness.results import RunResult

    folder = os.path.abspath(args.report_dir)
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, name) for name in
             ("conformance.json", "conformance.md", "conformance.html", "junit.xml")}
    argv = ["--pyargs", "conformance_tests", "-p", "no:cacheprovider", "-q",
            "--conformance-report", paths["conformance.json"],
            "--conformance-markdown", paths["conformance.md"],
            "--conformance-html", paths["conformance.html"],
            "--junitxml", paths["junit.xml"], "-o", "junit_family=xunit2"]
    for profile in args.profile:
        argv += ["--profile", profile]
    started = time.perf_counter()
    code = int(pytest.main(argv + pytest_args))
    wall = time.perf_counter() - started
    if not os.path.exists(paths["conformance.json"]):
        print(f"no report written (pytest exit {code})", file=sys.stderr)
        return code or 1
    with open(paths["conformance.json"], encoding="utf-8") as handle:
        result = RunResult.from_dict(json.load(handle))
    print("\n" + reports.summary_text(result))
    print(f"\nreports: {', '.join(paths.values())}\nwall time: {wall:.1f} s")
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return 0
    return 1 if result.failed() or code not in (0, 1) else 0


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (the docs print its help)."""
    parser = argparse.ArgumentParser(prog="sedna-conformance",
                                     description="Check a Sedna backend against the contract.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the suite; extra arguments go to pytest")
    run.add_argument("--profile", action="append", default=[],
                     help="bundled profile name or module:attribute (repeatable); "
                          "default: every bundled profile whose framework imports")
    run.add_argument("--report-dir", default="reports",
                     help="where conformance.json/.md/.html and junit.xml go (default: reports)")
    commands.add_parser("list", help="print every clause with its sentence")
    commands.add_parser("schema", help="print the JSON Schema of conformance.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the command line."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in ("list", "schema"):
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return _list(args) if args.command == "list" else _schema(args)
    return _run(args, rest)


if __name__ == "__main__":
    sys.exit(main())
