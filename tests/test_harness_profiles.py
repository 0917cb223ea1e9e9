"""The harness runs any backend: the NumPy reference, and a profile from outside."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from sedna_conformance.harness import CLAUSES, Profile, get_profile
from sedna_conformance.harness.contract.clauses import prerequisites, run_order
from tests.conformance_run import run_suite

pytestmark = pytest.mark.slow


def test_the_template_passes_every_clause_it_can_be_judged_on(tmp_path):
    report, output = run_suite(str(tmp_path), "numpy-reference")
    clauses = report["profiles"]["numpy-reference"]["clauses"]
    skipped = {cid for cid, r in clauses.items() if r["status"] == "skipped"}
    lacking = {"has_set_backend", "remote_urls"}
    alone = {c for c in CLAUSES if c.startswith("interop.")}  # no partner profile in the run
    gpu = {"device.gpu-placement"}  # NumPy sees no GPU
    assert skipped == alone | gpu | {c for c in CLAUSES
                                     if lacking & set(CLAUSES[c].capabilities)}
    for cid in skipped:
        reason = ("no other profile in this run" if cid in alone else
                  "no GPU is visible" if cid in gpu else "lacks capability")
        assert reason in clauses[cid]["message"]
    assert {r["status"] for cid, r in clauses.items() if cid not in skipped} == {"passed"}, output


def test_a_profile_from_outside_the_project_runs(tmp_path):
    """--profile module:attribute with a module in a folder of its own, run elsewhere."""
    plugins = tmp_path / "authors_code"
    plugins.mkdir()
    (plugins / "my_backend_profile.py").write_text(textwrap.dedent("""
        import dataclasses
        from sedna_conformance.harness.starter import reference_profile

        PROFILE = dataclasses.replace(reference_profile(), name="authors-backend")
    """))
    report, _ = run_suite(str(tmp_path / "out"), "my_backend_profile:PROFILE",
                          extra=("-k", "construct or (weights and not interop)"),
                          cwd=str(plugins))
    clauses = report["profiles"]["authors-backend"]["clauses"]
    assert clauses and {r["status"] for r in clauses.values()} == {"passed"}


def test_replace_gives_a_valid_profile():
    from sedna_conformance.harness.starter import NumpyBackend

    mine = dataclasses.replace(get_profile("mindspore"), name="x", backend=NumpyBackend)
    assert isinstance(mine, Profile) and mine.backend is NumpyBackend
    with pytest.raises(TypeError, match=r"Profile\.backend must be a backend class"):
        dataclasses.replace(mine, backend="not a class")


def test_graph_mode_variant_is_registered_but_not_in_the_default_run():
    from sedna_conformance.harness.discovery import default_profile_specs, offers

    offered, missing = default_profile_specs()
    # PyTorch and Keras live in environments of their own: here they are offered as missing
    assert sorted(offered) == ["mindspore", "scikit-learn", "tinyms"]
    assert {offer.name for offer in missing} == {"keras", "pytorch"}
    assert {"mindspore-graph", "numpy-reference"} <= set(offers())
    assert get_profile("mindspore-graph").options["mode"] == "graph"
    assert {get_profile(n).options["mode"] for n in ("mindspore", "tinyms")} == {"pynative"}


def test_expected_failures_match_globs():
    profile = dataclasses.replace(get_profile("mindspore"), expected_failures={
        "weights.*": "federated learning is not supported yet"})
    assert profile.expected_failure("weights.fedavg") == "federated learning is not supported yet"
    assert profile.expected_failure("train.learns") is None
    with pytest.raises(ValueError, match=r"\['weight\.\*'\] match no clause id"):
        dataclasses.replace(profile, expected_failures={"weight.*": "a typo"})


def test_registry_prerequisites_exist_and_run_first():
    order = run_order()
    assert sorted(order) == sorted(CLAUSES) and len(CLAUSES) >= 45
    for cid in CLAUSES:
        for instrument in (None, "weights", "predictions"):
            for required in prerequisites(cid, instrument):
                assert order.index(required) < order.index(cid), (cid, instrument)
    for clause in CLAUSES.values():
        assert clause.sentence.endswith(".") and clause.fix and clause.methods
