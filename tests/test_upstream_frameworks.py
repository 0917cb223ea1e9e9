"""Upstream Sedna's PyTorch, TensorFlow and Keras backends through the suite, in the
environment of their framework (tox envs ``pytorch`` and ``keras``): the verdicts
docs/upstream-verdicts.md explains. Needs ``SEDNA_SOURCE`` and the framework.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

if not os.environ.get("SEDNA_SOURCE"):
    pytest.skip("SEDNA_SOURCE is unset: set it to a checkout of kubeedge/sedna to judge "
                "upstream's backends", allow_module_level=True)

from tests.conformance_run import run_suite

pytestmark = pytest.mark.slow

UPSTREAM = "sedna_conformance.fixtures.upstream"
#: Per framework: the profile spec, and the clauses each upstream profile must fail (each
#: cause checked in upstream's code: docs/upstream-verdicts.md).
CASES = {
    "torch": (f"{UPSTREAM}:upstream_torch_profile", {
        "upstream-torch": ("train.changes-weights", "train.valid-optional", "weights.stable",
                           "load.round-trip", "load.missing-raises",
                           "evaluate.metrics-dict", "load.load-weights"),
    }),
    "tensorflow": (f"{UPSTREAM}:upstream_tensorflow_profiles", {
        "upstream-tensorflow": ("weights.stable", "evaluate.model-path",
                                "train.fine-tune-from-checkpoint", "load.missing-raises"),
        "upstream-keras": ("evaluate.model-path", "train.fine-tune-from-checkpoint",
                           "load.missing-raises", "device.cpu-fallback"),
    }),
}
#: At most this many blocked per profile; upstream TorchBackend's ``load`` reads no file at
#: all, so the passes of the ten clauses that need a working ``load`` (the checkpoint,
#: remote and bad-input-changes-nothing clauses) prove nothing and are blocked, naming it.
MAX_BLOCKED = {"upstream-torch": 13}
FRAMEWORKS = [name for name in CASES if importlib.util.find_spec(name) is not None]


@pytest.fixture(scope="module", params=FRAMEWORKS or [pytest.param(
    None, marks=pytest.mark.skip(reason="neither torch nor tensorflow is installed here"))])
def judged(request, tmp_path_factory):
    spec, expected = CASES[request.param]
    report, output = run_suite(str(tmp_path_factory.mktemp(request.param)), spec)
    return report, output, expected


def test_each_upstream_backend_fails_where_upstream_is_broken(judged):
    report, _output, expected = judged
    for profile, failing in expected.items():
        results = report["profiles"][profile]["clauses"]
        assert {c: results[c]["status"] for c in failing} == dict.fromkeys(failing, "failed"), \
            {c: results[c]["message"][:300] for c in failing}


def test_no_verdict_hides_behind_blocked(judged):
    report, output, expected = judged
    for profile in expected:
        results = report["profiles"][profile]["clauses"]
        blocked = {c: r["message"] for c, r in results.items() if r["status"] == "blocked"}
        assert len(blocked) <= MAX_BLOCKED.get(profile, 10), sorted(blocked)
        for clause_id, message in blocked.items():
            blocker = message.removeprefix("blocked by ").split(" ", 1)[0]
            assert results.get(blocker, {}).get("status") in ("failed", "blocked") or \
                "partner" in message, (clause_id, message)
        assert not [c for c, r in results.items() if r["status"] == "error"], output[-3000:]
