"""``sedna-conformance merge``: join the reports of runs made in separate environments (the
frameworks cannot all share one) into one report set, written by the run's own writers.

Each profile keeps the environment it was judged in. Every input is read and checked before
anything is written; the set is rendered in a staging folder beside ``--report-dir`` and
moved into it, so on any error the report folder stays as it was.
"""

from __future__ import annotations

import copy
import enum
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from sedna_conformance.harness.contract.results import RunResult, report_schema
from sedna_conformance.harness.contract.schema_check import schema_error
from sedna_conformance.harness.report import renderers as reports
from sedna_conformance.harness.report.files import FolderBusy, FolderLock

__all__ = ["MergeError", "MergeInput", "Problem", "merge", "merge_reports", "read_input",
           "write_reports"]

_EXPECTED_REPORT = "expected a conformance.json written by `sedna-conformance run`"
_JUNIT_TOTALS = ("tests", "failures", "errors", "skipped")


class Problem(enum.Enum):
    """Why inputs cannot be merged."""

    NO_INPUT = "no input"
    UNREADABLE = "unreadable"
    NOT_JSON = "not JSON"
    NOT_A_REPORT = "not a conformance report"
    INTERRUPTED = "incomplete run"
    NO_JUNIT = "no JUnit report"
    CONTRACT_VERSIONS = "different contract versions"
    CLASH = "profile in two inputs"
    REPORT_DIR = "report folder"


class MergeError(Exception):
    """Inputs that cannot be merged; the message is one line naming the argument at fault
    and what was expected.
    """

    def __init__(self, problem: Problem, message: str) -> None:
        self.problem = problem
        super().__init__(message)


@dataclass(frozen=True)
class MergeInput:
    """One input: its path as given, its result and the ``<testsuite>`` elements of the
    ``junit.xml`` beside it.
    """

    path: str
    result: RunResult
    suites: tuple[ET.Element, ...]


def read_input(path: str) -> MergeInput:
    """Read and check the report at ``path`` and the ``junit.xml`` beside it."""
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except OSError as error:
        raise MergeError(Problem.UNREADABLE, f"{path}: cannot read it "
                         f"({error.strerror or error}); {_EXPECTED_REPORT}") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MergeError(Problem.NOT_JSON,
                         f"{path}: not JSON ({error}); {_EXPECTED_REPORT}") from None
    problem = schema_error(data, report_schema())
    if problem:
        raise MergeError(Problem.NOT_A_REPORT,
                         f"{path}: not a conformance report ({problem}); expected a report "
                         "that `sedna-conformance schema` validates")
    if data.get("interrupted"):
        raise MergeError(Problem.INTERRUPTED,
                         f"{path}: its run did not finish ({data['interrupted']}); expected "
                         "the report of a complete run: rerun it")
    if not data["profiles"]:
        raise MergeError(Problem.NOT_A_REPORT,
                         f"{path}: no profile in it; expected the report of a run that judged "
                         "at least one profile")
    return MergeInput(path, RunResult.from_dict(data), _read_suites(path))


def _read_suites(report: str) -> tuple[ET.Element, ...]:
    path = os.path.join(os.path.dirname(report), "junit.xml")
    expected = "expected the junit.xml `sedna-conformance run` writes beside conformance.json"
    try:
        root = ET.parse(path).getroot()
    except OSError as error:
        raise MergeError(Problem.NO_JUNIT, f"{report}: no readable junit.xml beside it "
                         f"({path}: {error.strerror or error}); {expected}") from None
    except ET.ParseError as error:
        raise MergeError(Problem.NO_JUNIT,
                         f"{path}: not XML ({error}); {expected}") from None
    if root.tag == "testsuite":
        return (root,)
    if root.tag != "testsuites":
        raise MergeError(Problem.NO_JUNIT, f"{path}: not JUnit XML (its root is <{root.tag}>); "
                         f"{expected}")
    return tuple(root.findall("testsuite"))


def merge(inputs: Sequence[MergeInput]) -> tuple[RunResult, ET.Element]:
    """One result (each profile with its own environment) and one ``<testsuites>`` from
    ``inputs``, which must share a contract version and have no profile name in common.
    """
    if not inputs:
        raise MergeError(Problem.NO_INPUT, "no input report: expected at least one "
                         "conformance.json (sedna-conformance merge A/conformance.json "
                         "B/conformance.json --report-dir DIR)")
    first = inputs[0]
    for item in inputs[1:]:
        if item.result.contract_version != first.result.contract_version:
            raise MergeError(Problem.CONTRACT_VERSIONS,
                             f"{first.path} is contract {first.result.contract_version} but "
                             f"{item.path} is contract {item.result.contract_version}; "
                             "expected reports of one contract version: rerun them with one "
                             "version of sedna-conformance")
    merged = RunResult(contract_version=first.result.contract_version,
                       wall_s=sum(i.result.wall_s for i in inputs),
                       merged_from=tuple(i.path for i in inputs))
    owner: dict[str, str] = {}
    for item in inputs:
        for name, clauses in item.result.profiles.items():
            if name in owner:
                raise MergeError(Problem.CLASH,
                                 f"profile {name!r} is in both {owner[name]} and {item.path}; "
                                 "expected each profile in one input only (leave one out, "
                                 "or give one of the profiles another name)")
            owner[name] = item.path
            merged.profiles[name] = clauses
            merged.environments[name] = item.result.environment_of(name)
    return merged, _join_suites(inputs)


def _join_suites(inputs: Sequence[MergeInput]) -> ET.Element:
    """The inputs' ``<testsuite>`` elements under one root, each named after its profiles."""
    root = ET.Element("testsuites", name="sedna-conformance merge")
    totals = dict.fromkeys(_JUNIT_TOTALS, 0)
    seconds = 0.0
    for item in inputs:
        for original in item.suites:
            suite = copy.copy(original)
            suite.set("name", ", ".join(item.result.profiles))
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            seconds += float(suite.get("time", "0"))
            root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    return root


def write_reports(result: RunResult, junit: ET.Element, report_dir: str) -> list[str]:
    """Write the report set into ``report_dir`` (created if missing) with the run's writers;
    only its four files are replaced. Returns their paths.
    """
    folder = os.path.abspath(report_dir)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise MergeError(Problem.REPORT_DIR, f"--report-dir {report_dir}: not a folder; "
                         "expected a folder (created if missing)")
    staging = None
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".sedna-merge-", dir=os.path.dirname(folder))
        json_name, markdown_name, html_name, junit_name = reports.REPORT_FILES
        reports.write_json(result, os.path.join(staging, json_name))
        reports.write_markdown(result, os.path.join(staging, markdown_name))
        reports.write_html(result, os.path.join(staging, html_name))
        ET.ElementTree(junit).write(os.path.join(staging, junit_name), encoding="utf-8",
                                    xml_declaration=True)
        lock = FolderLock([folder])  # not into a folder a run is writing
        lock.acquire()
        try:
            for name in reports.REPORT_FILES:
                os.replace(os.path.join(staging, name), os.path.join(folder, name))
        finally:
            lock.release()
    except FolderBusy as busy:
        raise MergeError(Problem.REPORT_DIR, f"--report-dir {report_dir}: {busy}") from None
    except OSError as error:
        raise MergeError(Problem.REPORT_DIR, f"--report-dir {report_dir}: cannot write the "
                         f"reports ({error}); expected a writable folder") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return [os.path.join(folder, name) for name in reports.REPORT_FILES]


def merge_reports(paths: Sequence[str], report_dir: str) -> tuple[RunResult, list[str]]:
    """Read, check and merge the reports at ``paths`` into ``report_dir``; returns the merged
    result and the files written. Raises :class:`MergeError` before writing anything.
    """
    result, junit = merge([read_input(path) for path in paths])
    return result, write_reports(result, junit, report_dir)
