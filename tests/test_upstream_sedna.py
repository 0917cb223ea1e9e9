"""Upstream KubeEdge Sedna's own backends through the suite: the verdicts a conformance run
must give on upstream ``MSBackend`` and ``BackendBase`` (see docs/upstream-verdicts.md).

Needs ``SEDNA_SOURCE`` (a kubeedge/sedna checkout, repository root or its ``lib`` folder)
and upstream's import-time dependencies importable (from this environment or a folder on
``PYTHONPATH``); see :mod:`sedna_conformance.fixtures.upstream`.
"""

from __future__ import annotations

import os

import pytest

if not os.environ.get("SEDNA_SOURCE"):
    pytest.skip("SEDNA_SOURCE is unset: set it to a checkout of kubeedge/sedna to judge "
                "upstream's backends", allow_module_level=True)

from sedna_conformance.harness import CLAUSES
from tests.conformance_run import run_suite

pytestmark = pytest.mark.slow

SPEC = "sedna_conformance.fixtures.upstream:upstream_profiles"
#: Upstream MSBackend clauses (the acceptance) that must fail and that must pass.
MINDSPORE_FAIL = ("train.fine-tune-from-checkpoint", "load.missing-raises", "weights.stable",
                  "remote.missing-object", "remote.bad-credentials")
MINDSPORE_PASS = ("predict.deterministic", "load.round-trip", "load.second-load-replaces",
                  "remote.round-trip", "remote.http-download", "remote.no-secret-echo")
#: Dependants of a failed clause are judged anyway; only their vacuous passes are blocked
#: (the acceptance: at most 10 per profile).
MAX_BLOCKED = 10


@pytest.fixture(scope="module")
def upstream_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upstream")
    report, output = run_suite(str(folder), SPEC)
    return report, output


def clauses(upstream_report, profile):
    report, output = upstream_report
    assert profile in report["profiles"], output[-3000:]
    return report["profiles"][profile]["clauses"]


def statuses(results, ids):
    return {cid: results[cid]["status"] for cid in ids}


def test_every_clause_reported_on_both_profiles(upstream_report):
    report, output = upstream_report
    assert set(report["profiles"]) == {"upstream-mindspore", "upstream-base"}, output[-3000:]
    for results in report["profiles"].values():
        assert set(results["clauses"]) == set(CLAUSES)


def test_upstream_mindspore_fails_where_upstream_is_broken(upstream_report):
    results = clauses(upstream_report, "upstream-mindspore")
    assert statuses(results, MINDSPORE_FAIL) == dict.fromkeys(MINDSPORE_FAIL, "failed"), \
        {cid: results[cid]["message"][:400] for cid in MINDSPORE_FAIL}


def test_upstream_mindspore_passes_where_upstream_works(upstream_report):
    results = clauses(upstream_report, "upstream-mindspore")
    assert statuses(results, MINDSPORE_PASS) == dict.fromkeys(MINDSPORE_PASS, "passed"), \
        {cid: results[cid]["message"][:400] for cid in MINDSPORE_PASS}


@pytest.mark.parametrize("profile", ["upstream-mindspore", "upstream-base"])
def test_blocked_only_by_a_failed_behaviour(upstream_report, profile):
    """One rule for dependants: a clause is blocked only when a clause it rests on failed (or
    was itself blocked) and its own checks passed; upstream's missing weight transport fails
    ``weights.stable``, and each other weight clause reports its own verdict naming it."""
    results = clauses(upstream_report, profile)
    blocked = {cid: r["message"] for cid, r in results.items() if r["status"] == "blocked"}
    for cid, message in blocked.items():
        blocker = message.removeprefix("blocked by ").split(" ", 1)[0]
        assert results[blocker]["status"] in ("failed", "blocked"), (cid, message)
    assert results["weights.stable"]["status"] == "failed"
    weight_clauses = [cid for cid in results if cid.startswith("weights.")
                      and cid != "weights.stable"]
    assert all(results[cid]["status"] == "blocked"
               or "\n(its prerequisite weights." in results[cid]["message"]
               for cid in weight_clauses), {cid: results[cid] for cid in weight_clauses}
    assert len(blocked) <= MAX_BLOCKED, sorted(blocked)


def test_upstream_base_nothing_blocked_by_construct_accepts_class(upstream_report):
    results = clauses(upstream_report, "upstream-base")
    blocked_by_it = sorted(cid for cid, r in results.items() if r["status"] == "blocked"
                           and "construct.accepts-class" in r["message"])
    assert not blocked_by_it, blocked_by_it


def test_upstream_base_weights_are_judged_not_declared(upstream_report):
    """Upstream ``BackendBase.get_weights`` raises ``NotImplementedError``: reported as a
    failure, never declared away."""
    results = clauses(upstream_report, "upstream-base")
    assert results["weights.stable"]["status"] == "failed", results["weights.stable"]
