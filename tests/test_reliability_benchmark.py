"""The machinery of the attack catalogue (``benchmarks/attacks``), so that the figures of
``docs/reliability.md`` cannot rot: the catalogue is well-formed, lost reports, orphans and
leaked credentials are recognised, and two attacks run end to end through the real CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from benchmarks.attacks import exits
from benchmarks.attacks.catalogue import ATTACKS
from benchmarks.attacks.checks import judge
from benchmarks.attacks.model import FileState, Kind, Outcome
from benchmarks.attacks.page import figures, render
from benchmarks.attacks.report_state import classify
from benchmarks.attacks.runner import Runner, leaks, marked, orphans, previous_reports
from sedna_conformance.harness.contract.clauses import CLAUSES
from tests import attack_profiles

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc and signals as on Linux")

_REGISTRY = frozenset(CLAUSES)


@pytest.fixture(scope="module")
def previous() -> dict[str, bytes]:
    """A complete report set of a real run."""
    return previous_reports(sys.executable)


def test_the_catalogue_covers_the_issue_and_is_well_formed():
    names = [a.name for a in ATTACKS]
    assert len(names) == len(set(names)), "attack names are unique"
    count = {kind: sum(a.kind is kind for a in ATTACKS) for kind in Kind}
    assert count[Kind.BAD_INPUT] >= 50 and count[Kind.BACKEND_FAULT] >= 25
    assert count[Kind.DATA_LOSS] >= 9 and count[Kind.SIGNAL] >= 8
    faults = set(attack_profiles.FAULTS) | set(attack_profiles.RESULTS) | {""}
    for attack in ATTACKS:
        assert attack.expect and attack.what and attack.profiles, attack.name
        assert attack.env.get("SEDNA_ATTACK_FAULT", "") in faults, attack.name
        if attack.kind is Kind.BAD_INPUT:
            assert attack.names, f"{attack.name}: what its one-line error must name"


def test_exit_statuses_come_from_one_table():
    assert exits.code_of(Outcome.OK) == 0
    assert len({exits.code_of(o) for o in (Outcome.OK, Outcome.FAILED, Outcome.INTERRUPTED,
                                           Outcome.USAGE)}) == 4
    assert exits.code_of(Outcome.KILLED, signal.SIGTERM) == -signal.SIGTERM
    assert exits.describe(-9) == "-9 (SIGKILL)"


def test_a_report_cut_short_or_emptied_is_lost_and_the_previous_one_is_not(tmp_path, previous):
    for name, data in previous.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "conformance.md").write_bytes(previous["conformance.md"][:100])
    (tmp_path / "conformance.html").write_bytes(b"")
    (tmp_path / "junit.xml").unlink()
    found = classify(str(tmp_path), previous, [], ["numpy-reference"], _REGISTRY)
    assert found["conformance.json"].state is FileState.UNCHANGED
    assert {n: f.state for n, f in found.items() if n != "conformance.json"} == {
        "conformance.md": FileState.LOST, "conformance.html": FileState.LOST,
        "junit.xml": FileState.LOST}
    report = json.loads(previous["conformance.json"])
    report["profiles"]["numpy-reference"]["clauses"]["predict.finite"] = {
        "status": "passed", "message": "", "duration_s": 0, "backend_s": 0}
    (tmp_path / "conformance.json").write_text(json.dumps(report))
    (tmp_path / "conformance.md").write_bytes(previous["conformance.md"])
    found = classify(str(tmp_path), {}, [], ["numpy-reference"], _REGISTRY)
    assert found["conformance.json"].state is FileState.COMPLETE
    assert found["conformance.md"].state is FileState.LOST  # another run's: a clause missing
    assert "predict.finite" in found["conformance.md"].why


def test_a_marked_process_left_running_is_an_orphan_and_is_ended():
    marker = str(uuid.uuid4())
    process = subprocess.Popen(["sleep", "60"], start_new_session=True,
                               env={**os.environ, "SEDNA_ATTACK_ID": marker})
    try:
        deadline = time.monotonic() + 10  # until its environment is readable in /proc
        while not marked(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = orphans(marker, grace_s=0.2)
        assert [int(line.split()[0]) for line in left] == [process.pid]
        assert process.wait(timeout=10) == -signal.SIGKILL
        assert orphans(marker, grace_s=0) == []
    finally:
        if process.poll() is None:
            process.kill()


def test_credentials_are_found_wherever_they_were_written(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "junit.xml").write_text("key=S3CR3T-value")
    (tmp_path / "clean.txt").write_text("nothing")
    found = leaks(["S3CR3T-value"], {"stdout": b"", "stderr": b"xx S3CR3T-value"},
                  str(tmp_path))
    assert sorted(found) == ["a/junit.xml", "stderr"]


@pytest.fixture(scope="module")
def runner(previous):
    runner = Runner(sys.executable, previous, _REGISTRY)
    yield runner
    runner.close()


def _attack(name: str):
    return next(a for a in ATTACKS if a.name == name)


def test_a_bad_input_runs_through_the_cli_and_leaves_the_previous_reports(runner):
    seen = runner.run(_attack("unknown-profile"))
    assert seen.run.returncode not in (None, 0)
    assert {r.state for r in seen.reports.values()} == {FileState.UNCHANGED}
    assert seen.orphans == [] and seen.secrets == []
    verdict = judge(seen)
    page = "\n".join(render([verdict], 1.0))
    assert "| unknown-profile |" in page and "bad inputs tried | 1 |" in page


def test_a_killed_run_is_signalled_once_its_backend_misbehaves(runner):
    started = time.monotonic()
    seen = runner.run(_attack("sigkill-over-previous"))
    assert seen.problem == "", seen.problem
    assert seen.run.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 60
    assert {r.state for r in seen.reports.values()} == {FileState.UNCHANGED}
    assert figures([judge(seen)])["orphans left (must be 0)"] == str(len(seen.orphans))
