"""Isolation: a segfaulting and a hanging backend cost one clause each, never the run."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from sedna_conformance.harness.contract.clauses import CLAUSES
from sedna_conformance.harness.contract.results import report_schema
from sedna_conformance.harness.plugin.isolated_runs import Journal, Watchdog, child_arguments
from tests.conformance_run import ROOT, run_suite
from tests.mutants import CRASH_MUTANTS, REMOTE_CLAUSES, SUBPROCESS_CLAUSES

_NOT_SUBPROCESS = ("-k", f"not ({' or '.join(SUBPROCESS_CLAUSES + REMOTE_CLAUSES)})")


@pytest.fixture(scope="module")
def isolated_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("isolated")
    report, output = run_suite(str(folder), "tests.mutants:crash_profiles",
                               extra=("--isolate", "--clause-timeout", "15", *_NOT_SUBPROCESS))
    return folder, report, output


@pytest.mark.slow
@pytest.mark.parametrize("profile", list(CRASH_MUTANTS))
def test_crash_is_reported_for_its_clause_and_the_rest_still_runs(isolated_run, profile):
    _, report, output = isolated_run
    clause_id, status, _ = CRASH_MUTANTS[profile]
    clauses = report["profiles"][profile]["clauses"]
    assert set(clauses) == set(CLAUSES) - set(SUBPROCESS_CLAUSES + REMOTE_CLAUSES), output[-3000:]
    assert clauses[clause_id]["status"] == status, clauses[clause_id]
    assert clauses[clause_id]["message"].startswith(f"[{clause_id}] observed "), clauses[clause_id]
    others = {cid: r["status"] for cid, r in clauses.items()
              if cid != clause_id and r["status"] not in ("passed", "blocked", "skipped")}
    assert not others, others
    assert sum(r["status"] == "passed" for r in clauses.values()) > 40


@pytest.mark.slow
def test_every_report_is_written_and_valid(isolated_run):
    folder, report, _ = isolated_run
    jsonschema.validate(report, report_schema())
    for name in ("conformance.md", "conformance.html"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "crashed" in text and "timed_out" in text
    suite = ET.parse(folder / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "2"


def test_child_arguments_drop_what_only_the_controller_does():
    args = ["--pyargs", "sedna_conformance.conformance_tests", "--conformance-isolate",
            "--conformance-report", "r.json", "--conformance-html=r.html", "-n", "2", "-n2",
            "--dist", "loadgroup", "--junitxml", "j.xml", "--conformance-profile", "p",
            "--conformance-clause-timeout", "5", "-k", "x"]
    assert child_arguments(args) == ["--pyargs", "sedna_conformance.conformance_tests",
                                     "--conformance-profile", "p",
                                     "--conformance-clause-timeout", "5", "-k", "x"]


def test_journal_reads_only_complete_lines(tmp_path):
    journal = Journal(str(tmp_path / "j.jsonl"), b"key")
    journal.write("start", "a::b")
    with open(journal.path, "a", encoding="utf-8") as handle:
        handle.write('{"event": "fin')  # a write cut short by a crash
    events, offset = journal.read_new(0)
    assert events == [{"event": "start", "nodeid": "a::b"}]
    assert journal.read_new(offset) == ([], offset)


def test_journal_reads_only_lines_signed_with_its_key(tmp_path):
    journal = Journal(str(tmp_path / "j.jsonl"), b"key")
    Journal(journal.path, b"another key").write("report", "a::b", report={"outcome": "passed"})
    with open(journal.path, "ab") as handle:
        handle.write(b'{"event": "report", "nodeid": "a::b"}\nnot json\n\xff\n')
    journal.write("finish", "a::b")
    events, _ = journal.read_new(0)
    assert events == [{"event": "finish", "nodeid": "a::b"}]
    assert journal.unreadable == 4


def test_watchdog_needs_a_positive_timeout(tmp_path):
    with pytest.raises(ValueError, match="clause timeout must be a positive"):
        Watchdog(Journal(str(tmp_path / "j"), b"key"), 0)


def test_isolate_refuses_xdist():
    done = subprocess.run([sys.executable, "-m", "pytest", "--conformance-isolate", "-n", "2",
                           "--collect-only", "-q", "-p", "no:cacheprovider",
                           os.path.join(ROOT, "tests", "test_base.py")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "drop -n/--dist" in done.stderr
