"""Every clause can fail: its mutant is flagged by exactly that clause."""

from __future__ import annotations

import pytest

from harness.clauses import CLAUSES
from tests.conformance_run import run_suite
from tests.mutants import MUTANTS, mutant_name

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zoo_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    report, output = run_suite(str(folder), "tests.mutants:mutant_profiles",
                               "tests.profiles:zoo_base", extra=("-p", "no:randomly"))
    return report, output


def test_every_clause_has_a_mutant():
    assert sorted(MUTANTS) == sorted(CLAUSES)


def test_the_zoo_base_passes_every_clause(zoo_report):
    report, output = zoo_report
    statuses = {cid: r["status"] for cid, r in report["profiles"]["zoo-base"]["clauses"].items()}
    assert set(statuses) == set(CLAUSES), output[-3000:]
    assert set(statuses.values()) == {"passed"}, statuses


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_mutant_is_caught_by_exactly_its_clause(zoo_report, clause_id):
    report, _ = zoo_report
    clauses = report["profiles"][mutant_name(clause_id)]["clauses"]
    assert clauses[clause_id]["status"] == "failed", clauses[clause_id]
    assert clauses[clause_id]["message"].startswith(f"[{clause_id}] observed ")
    others = {cid: r["status"] for cid, r in clauses.items()
              if cid != clause_id and r["status"] not in ("passed", "blocked", "skipped")}
    assert not others, others
    blocked = [cid for cid, r in clauses.items() if r["status"] == "blocked"]
    for cid in blocked:
        assert "blocked by" in clauses[cid]["message"], clauses[cid]
