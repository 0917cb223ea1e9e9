"""Every clause can fail: its mutant is flagged by exactly that clause.

The zoo runs in two passes to stay fast: every mutant against every clause except the
two that start child processes, then those two clauses against the storage mutants
(save/load/ckpt) and the base. A clause whose capability this machine lacks (e.g. file
permissions as root) is reported skipped for its mutant, never silently counted caught.
"""

from __future__ import annotations

import os

import pytest

from sedna_conformance.harness.clauses import CLAUSES, prerequisites
from tests.conformance_run import run_suite
from tests.mutants import MUTANTS, SUBPROCESS_CLAUSES, mutant_name

pytestmark = pytest.mark.slow

_SUBPROCESS = " or ".join(SUBPROCESS_CLAUSES)
_WITH_PREREQUISITES = " or ".join(sorted({p for c in SUBPROCESS_CLAUSES
                                          for p in [c, *prerequisites(c)]}))
_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_NEEDS_NON_ROOT = {c for c, clause in CLAUSES.items() if "enforced_permissions" in clause.capabilities}


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    first, out1 = run_suite(str(tmp_path_factory.mktemp("zoo")), "tests.mutants:mutant_profiles",
                            "tests.profiles:zoo_base", extra=("-k", f"not ({_SUBPROCESS})"))
    second, out2 = run_suite(str(tmp_path_factory.mktemp("zoo-subprocess")),
                             "tests.mutants:storage_mutant_profiles", "tests.profiles:zoo_base",
                             extra=("-k", _WITH_PREREQUISITES))
    merged = {name: dict(profile["clauses"]) for name, profile in first["profiles"].items()}
    for name, profile in second["profiles"].items():
        merged.setdefault(name, {}).update(profile["clauses"])
    return merged, out1 + out2


def test_every_clause_has_a_mutant():
    assert sorted(MUTANTS) == sorted(CLAUSES)


def test_the_zoo_base_passes_every_clause(zoo):
    merged, output = zoo
    statuses = {cid: r["status"] for cid, r in merged["zoo-base"].items()}
    assert set(statuses) == set(CLAUSES), output[-3000:]
    expected = {cid: "skipped" if _ROOT and cid in _NEEDS_NON_ROOT else "passed" for cid in CLAUSES}
    assert statuses == expected


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_mutant_is_caught_by_exactly_its_clause(zoo, clause_id):
    merged, _ = zoo
    clauses = merged[mutant_name(clause_id)]
    if _ROOT and clause_id in _NEEDS_NON_ROOT:
        assert clauses[clause_id]["status"] == "skipped"
        pytest.skip(f"{clause_id} needs enforced file permissions; running as root")
    if clause_id in SUBPROCESS_CLAUSES:
        assert clause_id in clauses
    assert clauses[clause_id]["status"] == "failed", clauses[clause_id]
    assert clauses[clause_id]["message"].startswith(f"[{clause_id}] observed ")
    others = {cid: r["status"] for cid, r in clauses.items()
              if cid != clause_id and r["status"] not in ("passed", "blocked", "skipped")}
    assert not others, others
    for result in clauses.values():
        if result["status"] == "blocked":
            assert "blocked by" in result["message"], result
