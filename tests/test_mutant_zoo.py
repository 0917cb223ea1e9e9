"""Every clause can fail: its mutant is flagged by exactly that clause.

The zoo runs in three passes to stay fast: every mutant against every clause except those
that start child processes; the three checkpoint ones against the storage mutants
(save/load/ckpt) and the base; the remote ones against their own mutants and the base. A third run judges a backend without ``get_weights``
(through predictions) and its mutants.
"""

from __future__ import annotations

import pytest

from sedna_conformance.harness.contract.clauses import CLAUSES, prerequisites
from tests.conformance_run import run_suite
from tests.mutants import (
    MUTANTS,
    NO_WEIGHTS_MUTANTS,
    REMOTE_CLAUSES,
    SUBPROCESS_CLAUSES,
    mutant_name,
)

pytestmark = pytest.mark.slow

#: ``--clause`` options for every clause run in-process (by id: ``-k`` would also drop the
#: profiles named after the excluded clauses' mutants).
_IN_PROCESS = tuple(option for c in CLAUSES if c not in SUBPROCESS_CLAUSES + REMOTE_CLAUSES
                    for option in ("--clause", c))


def _with_prerequisites(clauses: tuple[str, ...]) -> tuple[str, ...]:
    """``--clause`` options selecting ``clauses`` and their prerequisites (by clause id:
    ``-k`` would also match the mutants' names)."""
    chosen = sorted({p for c in clauses for p in [c, *prerequisites(c, "weights")]})
    return tuple(option for c in chosen for option in ("--clause", c))


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    first, out1 = run_suite(str(tmp_path_factory.mktemp("zoo")), "tests.mutants:mutant_profiles",
                            "tests.profiles:zoo_base", extra=_IN_PROCESS)
    second, out2 = run_suite(str(tmp_path_factory.mktemp("zoo-subprocess")),
                             "tests.mutants:storage_mutant_profiles", "tests.profiles:zoo_base",
                             extra=_with_prerequisites(SUBPROCESS_CLAUSES))
    third, out3 = run_suite(str(tmp_path_factory.mktemp("zoo-remote")),
                            "tests.mutants:remote_mutant_profiles", "tests.profiles:zoo_base",
                            extra=_with_prerequisites(REMOTE_CLAUSES))
    merged = {name: dict(profile["clauses"]) for name, profile in first["profiles"].items()}
    for later in (second, third):
        for name, profile in later["profiles"].items():
            merged.setdefault(name, {}).update(profile["clauses"])
    return merged, out1 + out2 + out3


def test_every_clause_has_a_mutant():
    assert sorted(MUTANTS) == sorted(CLAUSES)


#: Clauses judged only where a GPU is visible (skipped, saying so, everywhere else).
GPU_CLAUSES = ("device.gpu-placement",)


def root_failures(clauses):
    """The clauses that failed (or worse) on their own: a dependant judged while its
    prerequisite failed names it, and is that failure's echo, not another catch.
    """
    return {cid: r["status"] for cid, r in clauses.items()
            if r["status"] not in ("passed", "blocked", "skipped")
            and not (r["status"] == "failed" and "\n(its prerequisite " in r["message"])}


def test_the_zoo_base_passes_every_clause(zoo):
    merged, output = zoo
    statuses = {cid: r["status"] for cid, r in merged["zoo-base"].items()}
    assert set(statuses) == set(CLAUSES), output[-3000:]
    gpu = {cid: merged["zoo-base"][cid] for cid in GPU_CLAUSES}
    assert all(r["status"] == "passed" or (r["status"] == "skipped"
                                           and "no GPU is visible" in r["message"])
               for r in gpu.values()), gpu
    assert {c: s for c, s in statuses.items() if c not in GPU_CLAUSES} == {
        c: "passed" for c in CLAUSES if c not in GPU_CLAUSES}


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_mutant_is_caught_by_exactly_its_clause(zoo, clause_id):
    merged, _ = zoo
    clauses = merged[mutant_name(clause_id)]
    if clause_id in GPU_CLAUSES and clauses[clause_id]["status"] == "skipped":
        pytest.skip(f"{clause_id} is judged only where a GPU is visible; here: "
                    f"{clauses[clause_id]['message']}")
    if clause_id in SUBPROCESS_CLAUSES + REMOTE_CLAUSES:
        assert clause_id in clauses
    assert clauses[clause_id]["status"] == "failed", clauses[clause_id]
    assert clauses[clause_id]["message"].startswith(f"[{clause_id}] observed ")
    assert root_failures(clauses) == {clause_id: "failed"}
    for result in clauses.values():
        if result["status"] == "blocked":
            assert "blocked by" in result["message"], result


@pytest.fixture(scope="module")
def no_weights(tmp_path_factory):
    report, output = run_suite(str(tmp_path_factory.mktemp("no-weights")),
                               "tests.mutants:no_weights_profiles",
                               extra=_IN_PROCESS)
    return {name: profile["clauses"] for name, profile in report["profiles"].items()}, output


def test_a_backend_without_weights_is_judged_not_blocked(no_weights):
    results, output = no_weights
    statuses = {cid: r["status"] for cid, r in results["no-weights"].items()}
    assert not {c: s for c, s in statuses.items() if s in ("failed", "error", "blocked")}, output[-3000:]
    assert sum(s == "passed" for s in statuses.values()) >= 50


@pytest.mark.parametrize("clause_id", sorted(NO_WEIGHTS_MUTANTS))
def test_no_weights_mutant_is_caught_by_exactly_its_clause(no_weights, clause_id):
    results, _ = no_weights
    clauses = results[f"no-weights-{clause_id}"]
    assert clauses[clause_id]["status"] == "failed", clauses[clause_id]
    assert clauses[clause_id]["message"].startswith(f"[{clause_id}] observed ")
    assert root_failures(clauses) == {clause_id: "failed"}
