"""A profile that pins the contract version it was written against (``Profile.contract``):
clauses that appeared later still run, shown as new with their verdicts, and count only
once the pin is raised; unknown or future versions are usage errors; a deprecated
``Profile`` field still loads, with one warning. Real runs of the console script.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import warnings

import pytest

from sedna_conformance.harness import cli
from sedna_conformance.harness.contract.clauses import CONTRACT_VERSION, newer_than
from sedna_conformance.harness.contract.results import SCHEMA_VERSION, report_schema
from sedna_conformance.harness.contract.schema_check import schema_error
from sedna_conformance.harness.starter import reference_profile

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = pathlib.Path(sys.executable).with_name("sedna-conformance")
REMOTE_FAILING = ["remote.http-download", "remote.missing-object", "remote.round-trip"]


def _run(tmp_path: pathlib.Path, profile: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    reports = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([str(SCRIPT), "run", "--profile", f"tests.profiles:{profile}",
                           "--report-dir", str(reports)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    return done, report


def test_a_profile_on_an_older_contract_sees_new_clauses_without_failing(tmp_path):
    done, report = _run(tmp_path, "local_only_on_contract_1_3")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    clauses = report["profiles"]["local-only"]["clauses"]
    failed = sorted(cid for cid, r in clauses.items() if r["status"] == "failed")
    assert failed == REMOTE_FAILING
    new = sorted(cid for cid, r in clauses.items() if r.get("new") == "1.3")
    assert new == sorted(c.id for c in newer_than("1.3"))
    assert "local-only: 9 clauses newer than contract 1.3: 3 would fail; raise `contract` " \
           "to adopt them" in done.stdout
    assert report["schema_version"] == SCHEMA_VERSION and report["suite_version"]
    assert schema_error(report, report_schema()) is None


def test_raising_the_pin_makes_the_new_clauses_count(tmp_path):
    done, report = _run(tmp_path, "local_only_on_contract_1_4")
    assert done.returncode == 1, done.stdout[-3000:]
    clauses = report["profiles"]["local-only"]["clauses"]
    assert sorted(cid for cid, r in clauses.items() if r["status"] == "failed") == \
        REMOTE_FAILING
    assert not any(r["status"] == "failed" and "new" in r for r in clauses.values())


@pytest.mark.parametrize("version, says", [
    ("9.9", f"contract 9.9 is newer than this suite's ({CONTRACT_VERSION}): upgrade"),
    ("1.3.7", "expected one of the contract versions 1.0, 1.1"),
    ("latest", "expected one of the contract versions"),
])
def test_an_unknown_contract_version_is_refused_where_the_profile_is_made(version, says):
    with pytest.raises(ValueError, match=r"^Profile\.contract: ") as caught:
        dataclasses.replace(reference_profile(), contract=version)
    assert says in str(caught.value)


def test_a_deprecated_field_loads_with_one_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        profile = dataclasses.replace(reference_profile(), requires_modules=("numpy",))
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert "offered(..., requires=(...))" in str(deprecations[0].message)
    assert profile.missing_modules() == []
    with pytest.warns(DeprecationWarning):
        missing = dataclasses.replace(reference_profile(),
                                      requires_modules=("no_such_module_here",))
    assert missing.missing_modules() == ["no_such_module_here"]


def test_list_since_shows_what_raising_the_pin_adopts(capsys):
    assert cli.main(["list", "--since", "1.3"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines()[:-2] if line.strip()]
    assert listed == [c.id for c in newer_than("1.3")] and "remote.round-trip" in listed
    assert out.rstrip().endswith("9 clauses newer than contract 1.3")
    with pytest.raises(SystemExit) as stop:
        cli.main(["list", "--since", "0.9"])
    assert stop.value.code == 4


def test_version_names_the_suite_the_contract_and_the_schema(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert f"(contract {CONTRACT_VERSION}, report schema {SCHEMA_VERSION})" in out


def test_the_changelog_names_every_clause_once_under_the_version_it_came_in():
    from sedna_conformance.harness.contract.clauses import CLAUSES
    from sedna_conformance.harness.reference_pages import changelog_markdown

    page = changelog_markdown()
    added = [line.split("`")[1] for line in page.splitlines() if line.startswith("- added `")]
    assert sorted(added) == sorted(CLAUSES)
    assert page.index("## 1.4") < page.index("added `remote.round-trip`") < page.index("## 1.3")
