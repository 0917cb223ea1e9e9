"""Whether each report file a run left is the previous one unchanged, a complete new one, or
lost (truncated, empty, not UTF-8, not parsable, missing a profile or clause, removed).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping
from typing import Any

from benchmarks.attacks.model import FileState, ReportFile

__all__ = ["REPORT_FILES", "classify", "json_ids"]

#: The report set ``run`` writes, in the order it is checked (the JSON first: the others
#: are checked against it).
REPORT_FILES = ("conformance.json", "conformance.md", "conformance.html", "junit.xml")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_ids(report: Mapping[str, Any]) -> frozenset[str]:
    """The clause ids a JSON report holds a result for or lists as not run."""
    ids = {cid for profile in report.get("profiles", {}).values()
           for cid in profile.get("clauses", {})}
    ids |= {cid for listed in report.get("not_run", {}).values() for cid in listed}
    return frozenset(ids)


def _check_json(text: str, profiles: Iterable[str]) -> tuple[str, frozenset[str]]:
    try:
        report = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        return f"not valid JSON ({str(error)[:80]})", frozenset()
    if not isinstance(report, dict) or not isinstance(report.get("profiles"), dict):
        return "no 'profiles' object", frozenset()
    present = set(report["profiles"]) | set(report.get("not_run", {}))
    missing = [p for p in profiles if p not in present]
    if missing and not report.get("interrupted"):  # stopped before it knew them: not a loss
        return f"profile(s) {missing} missing", json_ids(report)
    return "", json_ids(report)


def _missing(text: str, expected: frozenset[str]) -> str:
    absent = sorted(cid for cid in expected if cid not in text)
    return f"clause(s) {absent[:3]}{'...' if len(absent) > 3 else ''} of the JSON missing" \
        if absent else ""


def _check_markdown(text: str, expected: frozenset[str]) -> str:
    if not text.startswith("# "):
        return "does not start with its title"
    if not text.endswith("\n"):
        return "does not end with a newline (cut short)"
    return _missing(text, expected)


def _check_html(text: str, expected: frozenset[str]) -> str:
    if "<html" not in text or not text.rstrip().endswith("</html>"):
        return "does not end with </html> (cut short)"
    return _missing(text, expected)


def _junit_ids(root: ElementTree.Element, registry: frozenset[str]) -> frozenset[str]:
    ids = set()
    for case in root.iter("testcase"):
        inside = re.search(r"\[(.*)\]$", case.get("name", ""))
        if inside:
            ids |= {cid for cid in registry if inside.group(1).endswith(f"-{cid}")}
    return frozenset(ids)


def _check_junit(text: str, expected: frozenset[str], registry: frozenset[str]) -> str:
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        return f"not well-formed XML ({error})"
    stray = _junit_ids(root, registry) - expected if expected else frozenset()
    return f"holds clause(s) {sorted(stray)[:3]} the JSON does not (another run's)" \
        if stray else ""


def _new(name: str, data: bytes, profiles: Iterable[str], expected: frozenset[str],
         registry: frozenset[str]) -> ReportFile:
    """Judge a file that is not the previous one."""
    if not data:
        return ReportFile(name, FileState.LOST, "empty (0 bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return ReportFile(name, FileState.LOST, f"not UTF-8 ({error.reason} at byte "
                                                f"{error.start})")
    ids: frozenset[str] = frozenset()
    if name == "conformance.json":
        why, ids = _check_json(text, profiles)
    elif name == "conformance.md":
        why = _check_markdown(text, expected)
    elif name == "conformance.html":
        why = _check_html(text, expected)
    else:
        why = _check_junit(text, expected, registry)
    if why:
        return ReportFile(name, FileState.LOST, why)
    return ReportFile(name, FileState.COMPLETE, clause_ids=ids, text=text)


def classify(folder: str, previous: Mapping[str, bytes], placed: Iterable[str],
             profiles: Iterable[str], registry: frozenset[str]) -> dict[str, ReportFile]:
    """Each report file in ``folder``: ``previous`` holds the bytes each had before the run,
    ``placed`` the names the attack made folders or links (left alone if left as they were).
    """
    profiles = list(profiles)
    found: dict[str, ReportFile] = {}
    expected: frozenset[str] = frozenset()
    for name in REPORT_FILES:
        path = os.path.join(folder, name)
        if name in placed and (os.path.islink(path) or os.path.isdir(path)):
            found[name] = ReportFile(name, FileState.NOT_A_REPORT)
            continue
        if not os.path.lexists(path):
            found[name] = (ReportFile(name, FileState.LOST, "removed") if name in previous
                           else ReportFile(name, FileState.ABSENT))
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            found[name] = ReportFile(name, FileState.LOST, f"unreadable ({error.strerror})")
            continue
        if name in previous and data == previous[name]:
            found[name] = ReportFile(name, FileState.UNCHANGED)
            continue
        found[name] = _new(name, data, profiles, expected, registry)
        if name == "conformance.json" and found[name].state is FileState.COMPLETE:
            expected = found[name].clause_ids
    return found
