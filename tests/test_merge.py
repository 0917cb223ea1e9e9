"""``sedna-conformance merge``: reports of runs made in separate environments joined into
one report set, each profile with its own environment; every bad input refused in one
line, with the report folder left as it was.

Core only (NumPy): the two runs are the template's profile and a renamed copy of it
(``tests.profiles``), the second in a subprocess that sees one more framework distribution
installed (a metadata-only ``dist-info`` on its ``PYTHONPATH``), as a second virtual
environment would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sedna_conformance.harness import cli
from sedna_conformance.harness.contract.results import report_schema
from sedna_conformance.harness.contract.schema_check import schema_error
from sedna_conformance.harness.report.merge import MergeError, Problem, merge_reports

ROOT = Path(__file__).resolve().parents[1]
ELSEWHERE = "numpy-reference-elsewhere"
FAKE_FRAMEWORK = ("paddlepaddle", "0.0.0+merge-test")
USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def _run(report_dir: Path, profile: str, *extra: str,
         env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sedna_conformance.harness", "run", "--profile", profile,
         "--report-dir", str(report_dir), *extra],
        cwd=ROOT, env={**os.environ, **(env or {})}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three real runs side by side: ``a`` (numpy-reference), ``b`` (its renamed copy, in an
    environment with one more framework) and ``stopped`` (a failing profile under ``-x``).
    """
    root = tmp_path_factory.mktemp("runs")
    site = root / "site"
    name, version = FAKE_FRAMEWORK
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    started = {
        "a": _run(root / "a", "numpy-reference"),
        "b": _run(root / "b", f"tests.profiles:{ELSEWHERE.replace('-', '_')}",
                  env={"PYTHONPATH": pythonpath}),
        "stopped": _run(root / "stopped", "tests.profiles:numpy_bad_framework_name", "-x")}
    for key, process in started.items():
        output, _ = process.communicate(timeout=300)
        assert process.returncode == (1 if key == "stopped" else 0), output[-3000:]
    return root


def _report(path: Path) -> dict:
    return json.loads(path.read_text())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


def test_a_run_records_each_profiles_environment_and_an_early_stop(runs):
    a, b = _report(runs / "a/conformance.json"), _report(runs / "b/conformance.json")
    stopped = _report(runs / "stopped/conformance.json")
    for report in (a, b, stopped):
        assert schema_error(report, report_schema()) is None
    assert "interrupted" not in a and "merged_from" not in a
    assert a["profiles"]["numpy-reference"]["environment"]["python"] == a["environment"]["python"]
    name, version = FAKE_FRAMEWORK
    assert b["profiles"][ELSEWHERE]["environment"]["frameworks"][name] == version
    assert name not in a["profiles"]["numpy-reference"]["environment"]["frameworks"]
    assert stopped["interrupted"] == "stopping after 1 failures"


def test_merge_joins_two_environments_into_one_report_set(runs, monkeypatch, capsys):
    monkeypatch.chdir(runs)
    inputs = ["a/conformance.json", "b/conformance.json"]
    assert cli.main(["merge", *inputs, "--report-dir", "merged"]) == 0
    out = capsys.readouterr().out
    assert "numpy-reference: 68 of" in out and f"{ELSEWHERE}: 68 of" in out
    merged = _report(runs / "merged/conformance.json")
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(merged, report_schema())
    assert schema_error(merged, report_schema()) is None
    assert merged["merged_from"] == inputs
    a, b = _report(runs / "a/conformance.json"), _report(runs / "b/conformance.json")
    for name, profile in {**a["profiles"], **b["profiles"]}.items():
        for part in ("summary", "clauses", "environment"):
            assert merged["profiles"][name][part] == profile[part]
        # totals are summed again from the clause times, which the JSON rounds to 0.1 ms
        for key, seconds in profile["totals"].items():
            assert merged["profiles"][name]["totals"][key] == pytest.approx(seconds, abs=0.01)
    assert merged["wall_s"] == pytest.approx(a["wall_s"] + b["wall_s"], abs=0.01)
    name, version = FAKE_FRAMEWORK
    assert merged["profiles"][ELSEWHERE]["environment"]["frameworks"][name] == version
    assert name not in merged["profiles"]["numpy-reference"]["environment"]["frameworks"]

    markdown = (runs / "merged/conformance.md").read_text()
    assert f"| clause | numpy-reference | {ELSEWHERE} | contract |" in markdown
    assert "Environments:" in markdown and f"{name} {version}" in markdown
    assert "Merged from: `a/conformance.json`, `b/conformance.json`." in markdown
    html = (runs / "merged/conformance.html").read_text()
    assert f"<div>{ELSEWHERE}: python" in html and f"{name} {version}" in html
    assert "<div>numpy-reference: python" in html and "<code>b/conformance.json</code>" in html

    junit = ET.parse(runs / "merged/junit.xml").getroot()
    suites = junit.findall("testsuite")
    assert [s.get("name") for s in suites] == ["numpy-reference", ELSEWHERE]
    assert junit.get("tests") == "172" and junit.get("failures") == "0"
    cases = [c.get("name") for c in junit.iter("testcase")]
    assert len(cases) == 172 and sum(f"[{ELSEWHERE}-" in c for c in cases) == 86


def test_a_report_from_before_per_profile_environments_takes_the_runs(runs, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(runs / "b", old)
    report = _report(old / "conformance.json")
    del report["profiles"][ELSEWHERE]["environment"]
    (old / "conformance.json").write_text(json.dumps(report))
    result, _ = merge_reports([str(runs / "a/conformance.json"), str(old / "conformance.json")],
                              str(tmp_path / "merged"))
    assert result.environment_of(ELSEWHERE)["frameworks"] == report["environment"]["frameworks"]


def _copy_of(runs: Path, tmp_path: Path, run: str, edit=None) -> str:
    folder = tmp_path / f"copy-of-{run}"
    shutil.copytree(runs / run, folder)
    if edit is not None:
        report = _report(folder / "conformance.json")
        edit(report)
        (folder / "conformance.json").write_text(json.dumps(report))
    return str(folder / "conformance.json")


def _status(report: dict) -> None:
    report["profiles"][ELSEWHERE]["clauses"]["train.learns"]["status"] = "great"


def _version(report: dict) -> None:
    report["contract_version"] = "1.4"


BAD_INPUTS = {
    # id: (problem, inputs, what the message must say); "A" is a good report
    "missing": (Problem.UNREADABLE, lambda r, t: ["A", str(t / "none/conformance.json")],
                ["none/conformance.json: cannot read it (No such file or directory)"]),
    "a-folder": (Problem.UNREADABLE, lambda r, t: ["A", str(r / "a")],
                 ["a: cannot read it (Is a directory)"]),
    "not-json": (Problem.NOT_JSON, lambda r, t: ["A", str(r / "a/conformance.md")],
                 ["conformance.md: not JSON (Expecting value"]),
    "schema": (Problem.NOT_A_REPORT, lambda r, t: ["A", _copy_of(r, t, "b", _status)],
               [f"not a conformance report (profiles.{ELSEWHERE}.clauses.train.learns.status: "
                "'great' is not one of"]),
    "not-a-report": (Problem.NOT_A_REPORT, lambda r, t: ["A", str(t / "list.json")],
                     ["list.json: not a conformance report (the document: expected object"]),
    "clash": (Problem.CLASH, lambda r, t: ["A", _copy_of(r, t, "a")],
              ["profile 'numpy-reference' is in both", "a/conformance.json and",
               "copy-of-a/conformance.json"]),
    "versions": (Problem.CONTRACT_VERSIONS, lambda r, t: ["A", _copy_of(r, t, "b", _version)],
                 ["a/conformance.json is contract 1.5 but",
                  "copy-of-b/conformance.json is contract 1.4"]),
    "stopped": (Problem.INTERRUPTED, lambda r, t: ["A", str(r / "stopped/conformance.json")],
                ["stopped/conformance.json: its run did not finish (stopping after 1 failures)"]),
    "no-junit": (Problem.NO_JUNIT, lambda r, t: ["A", str(t / "alone/conformance.json")],
                 ["alone/conformance.json: no readable junit.xml beside it"]),
    "none": (Problem.NO_INPUT, lambda r, t: [], ["no input report: expected at least one"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_input_is_one_line_and_leaves_the_report_folder_alone(runs, tmp_path, case,
                                                                   capsys):
    problem, make_inputs, said = BAD_INPUTS[case]
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "alone").mkdir()
    shutil.copy(runs / "a/conformance.json", tmp_path / "alone")
    inputs = [str(runs / "a/conformance.json") if p == "A" else p
              for p in make_inputs(runs, tmp_path)]
    target = tmp_path / "reports"
    (target / "older").mkdir(parents=True)
    (target / "conformance.json").write_text("a previous report")
    (target / "older/notes.txt").write_text("kept")
    before, around = _snapshot(target), sorted(os.listdir(tmp_path))

    assert cli.main(["merge", *inputs, "--report-dir", str(target)]) == USAGE_ERROR
    err = capsys.readouterr().err
    assert err.startswith("sedna-conformance merge: ") and err.count("\n") == 1, err
    assert "expected" in err and all(part in err for part in said), err
    assert _snapshot(target) == before and sorted(os.listdir(tmp_path)) == around
    with pytest.raises(MergeError) as raised:
        merge_reports(inputs, str(tmp_path / "new"))
    assert raised.value.problem is problem and not (tmp_path / "new").exists()


def test_the_command_itself_exits_with_the_usage_error(runs, tmp_path):
    done = subprocess.run([sys.executable, "-m", "sedna_conformance.harness", "merge",
                           str(runs / "a/conformance.json"), str(runs / "a/conformance.json"),
                           "--report-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == USAGE_ERROR and "is in both" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_the_report_dir_must_be_a_folder(runs, tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("mine")
    code = cli.main(["merge", str(runs / "a/conformance.json"), "--report-dir", str(target)])
    assert code == USAGE_ERROR and "--report-dir" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_the_schema_check_agrees_with_jsonschema(runs):
    jsonschema = pytest.importorskip("jsonschema")
    schema = report_schema()
    good = _report(runs / "a/conformance.json")
    bad = [[], {"contract_version": "1.5"}, json.loads(json.dumps(good))]
    bad[2]["profiles"]["numpy-reference"]["summary"]["passed"] = -1
    for document in [good, *bad]:
        valid = jsonschema.Draft202012Validator(schema).is_valid(document)
        assert valid == (schema_error(document, schema) is None), document
