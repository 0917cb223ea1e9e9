"""The plugin outside a conformance run changes nothing; inside one, it never passes on
nothing. Both are checked in fresh pytest processes (pytester), as a user's session runs.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

from sedna_conformance.harness import cli, discovery
from sedna_conformance.harness.contract.clauses import CLAUSES
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.options import RunOptions
from sedna_conformance.harness.plugin.outcomes import Outcomes

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[1]
WITHOUT = ("-p", "no:sedna_conformance")  # the plugin's pytest11 entry point, switched off

PROPERTY_TESTS = """
import json, os
from hypothesis import given, settings, strategies as st

drawn = []

@given(st.integers())
def test_property(x):
    drawn.append(x)

def test_what_hypothesis_used():
    current = settings.default
    with open(os.environ["SEEN"], "w") as handle:
        json.dump({"drawn": len(drawn), "max_examples": current.max_examples,
                   "derandomize": current.derandomize, "deadline": str(current.deadline),
                   "database": type(current.database).__name__}, handle)
"""

DISTRIBUTED_TESTS = """
import json, os
import pytest

@pytest.mark.parametrize("i", range(8))
def test_where(i, request):
    with open(os.environ["SEEN"] + "." + os.environ["PYTEST_XDIST_WORKER"], "a") as handle:
        handle.write(json.dumps([i, request.config.option.dist]) + "\\n")
"""


def _seen(pytester, monkeypatch, name, source, *args):
    pytester.makepyfile(**{name: source})
    seen = pytester.path / f"seen-{len(args)}-{'-'.join(a.strip('-') for a in args)}"
    monkeypatch.setenv("SEEN", str(seen))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    return result, seen


def test_a_plain_hypothesis_test_runs_as_without_the_plugin(pytester, monkeypatch):
    with_plugin, seen_with = _seen(pytester, monkeypatch, "test_props", PROPERTY_TESTS)
    without, seen_without = _seen(pytester, monkeypatch, "test_props", PROPERTY_TESTS, *WITHOUT)
    with_plugin.assert_outcomes(passed=2)
    without.assert_outcomes(passed=2)
    used = json.loads(seen_with.read_text())
    assert used == json.loads(seen_without.read_text())
    assert used["max_examples"] == 100 and used["drawn"] == 100  # hypothesis's defaults


def test_a_plain_xdist_run_is_distributed_as_without_the_plugin(pytester, monkeypatch):
    pytest.importorskip("xdist")
    runs = {}
    for label, extra in (("with", ()), ("without", WITHOUT)):
        result, seen = _seen(pytester, monkeypatch, "test_spread", DISTRIBUTED_TESTS,
                             "-n", "2", "-v", *extra)
        result.assert_outcomes(passed=8)
        rows = [json.loads(line) for path in pytester.path.glob(seen.name + ".gw*")
                for line in path.read_text().splitlines()]
        runs[label] = (sorted(i for i, _ in rows), {dist for _, dist in rows},
                       [line for line in result.outlines if line.startswith("scheduling")])
    assert runs["with"] == runs["without"]
    assert runs["with"][0] == list(range(8))
    assert runs["with"][2] == ["scheduling tests via LoadScheduling"]


@pytest.mark.parametrize("dist", ["load", "loadfile", "loadgroup"])
def test_clause_tests_of_one_profile_stay_on_one_worker(pytester, monkeypatch, dist):
    pytest.importorskip("xdist")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pyargs", "sedna_conformance.conformance_tests", "-n", "2",
        "--dist", dist,
        "-v", "--conformance-profile", "numpy-reference", "--conformance-profile",
        "tests.test_plugin:second_reference", "--conformance-clause", "construct.*")
    result.assert_outcomes(passed=16)
    workers: dict[str, set[str]] = {}
    for line in result.outlines:
        if "PASSED" in line and "[gw" in line:
            worker = line.split("[gw", 1)[1].split("]", 1)[0]
            profile = line.rsplit("[", 1)[1].split("-construct.", 1)[0]
            workers.setdefault(profile, set()).add(worker)
    assert set(workers) == {"numpy-reference", "second"}
    assert all(len(w) == 1 for w in workers.values()), workers
    assert "scheduling tests via ProfileGroups" in result.outlines


def second_reference():
    """A second profile for the distribution test."""
    import dataclasses

    from sedna_conformance.harness.starter import reference_profile

    return dataclasses.replace(reference_profile(), name="second")


def _run(pytester, monkeypatch, *args):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--pyargs",
                                         "sedna_conformance.conformance_tests",
                                         "--conformance-profile", "numpy-reference", *args)


def test_a_profile_with_every_clause_skipped_fails_the_run(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "--conformance-clause", "set_backend.*")
    result.assert_outcomes(skipped=7)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*numpy-reference: 0 of {len(CLAUSES)} clauses judged*",
                                 "FAILED: profile 'numpy-reference': no clause was judged*"])


def test_a_run_where_no_clause_ran_fails(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "-k", "no_test_is_called_this")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAILED: profile 'numpy-reference': no clause was judged*"])


def test_the_summary_says_how_many_clauses_ran_out_of_how_many(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "--conformance-clause", "construct.*",
                  "--conformance-clause", "set_backend.none-estimator")
    result.assert_outcomes(passed=8, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"numpy-reference: 8 of {len(CLAUSES)} clauses judged "
                                 f"({len(CLAUSES) - 9} not selected): 1 skipped, 8 passed*"])
    assert sum("Sedna conformance" in line for line in result.outlines) == 1


def test_an_expected_failure_matching_no_clause_is_a_usage_error(pytester, monkeypatch):
    pytester.makepyfile(typo_profile="""
        import dataclasses
        from sedna_conformance.harness.starter import reference_profile

        def profile():
            return dataclasses.replace(reference_profile(), expected_failures={"weight.*": "x"})
    """)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--pyargs",
                                           "sedna_conformance.conformance_tests",
                                           "--conformance-profile", "typo_profile:profile")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert ("ERROR: profile 'typo_profile:profile': Profile.expected_failures of "
            "'numpy-reference': ['weight.*'] match no clause id") in result.stderr.str()


def test_an_unknown_clause_glob_is_a_usage_error(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "--conformance-clause", "trian.*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: --conformance-clause ['trian.*'] match no clause id" in result.stderr.str()


def test_default_run_without_any_bundled_framework_says_what_to_do(monkeypatch, capsys):
    monkeypatch.setattr(discovery.importlib.util, "find_spec", lambda name: None)
    assert cli.main(["run"]) == pytest.ExitCode.USAGE_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mindspore needs mindspore (pip install " in err[0]
    assert "--profile NAME|module:attribute" in err[0]


@pytest.mark.parametrize("folder", ["harness", "conformance_tests"])
def test_the_judge_never_imports_a_contestant(folder):
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names]
        names += [node.module or "" for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom)]
        contestants = [n for n in names if n.split(".")[:2] in (
            ["sedna_conformance", "backends"], ["sedna_conformance", "fixtures"])
            or n.split(".")[0] in ("backends", "fixtures", "mindspore", "tinyms")]
        assert not contestants, (path, contestants)


def test_a_profile_in_the_current_folder_runs_from_the_console_script(tmp_path):
    """As an author runs it: ``sedna-conformance`` (not ``python -m``) in their folder."""
    (tmp_path / "my_profile.py").write_text(
        "import dataclasses\n"
        "from sedna_conformance.harness.starter import reference_profile\n"
        "PROFILE = dataclasses.replace(reference_profile(), name='mine')\n")
    script = pathlib.Path(sys.executable).with_name("sedna-conformance")
    done = subprocess.run([str(script), "run", "--profile", "my_profile:PROFILE", "--clause",
                           "construct.*", "--report-dir", str(tmp_path / "r")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"mine: 8 of {len(CLAUSES)} clauses judged" in done.stdout


def test_collect_only_lists_the_clauses_and_passes(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK
    assert not any("FAILED" in line for line in result.outlines)


def test_a_bad_profile_under_xdist_is_one_usage_error(pytester):
    pytest.importorskip("xdist")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pyargs", "sedna_conformance.conformance_tests", "-n", "2",
        "--conformance-profile", "no_such_module:PROFILE")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.str().count("profile 'no_such_module:PROFILE': no module named") == 1


def test_a_clause_whose_xdist_worker_died_is_reported_crashed():
    run = ConformanceRun(RunOptions())
    crash = pytest.TestReport(  # what xdist's controller logs for the test a worker died in
        "test_train.py::test_learns[mine-train.learns]", ("test_train.py", None, ""), {},
        "failed", "worker 'gw0' crashed while running ...", "???")
    Outcomes(run, reporting=True).pytest_runtest_logreport(crash)
    result = run.result.profiles["mine"]["train.learns"]
    assert result.status == "crashed" and result.message.startswith("[train.learns] observed ")
    assert "--isolate" in result.message


DECLARING_PROFILE = """
import dataclasses
from sedna_conformance.harness.starter import NumpyBackend, reference_profile


class LabelledMetrics(NumpyBackend):
    \"\"\"Adds a string to evaluate's metrics: evaluate.metrics-dict fails, nothing else.\"\"\"

    def evaluate(self, data, model_path=None, **kwargs):
        return {**super().evaluate(data, model_path, **kwargs), "unit": "fraction"}


def profile():
    return dataclasses.replace(
        reference_profile(), name="declaring", backend=LabelledMetrics,
        expected_failures={"evaluate.metrics-dict": "reports its unit as a string"},
        not_applicable={"weights.*": "this backend is never federated"})
"""


def test_declared_failures_and_not_applicable_clauses_block_nothing(pytester, monkeypatch):
    pytester.makepyfile(declaring_profile=DECLARING_PROFILE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), str(ROOT)]))
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pyargs", "sedna_conformance.conformance_tests",
        "--conformance-profile", "declaring_profile:profile", "--conformance-report",
        str(report), "--conformance-clause", "evaluate.*", "--conformance-clause", "weights.*",
        "--conformance-clause", "train.reproducible", "--conformance-clause", "load.missing-raises")
    assert result.ret == pytest.ExitCode.OK, result.outlines[-20:]
    clauses = json.loads(report.read_text())["profiles"]["declaring"]["clauses"]
    status = {cid: r["status"] for cid, r in clauses.items()}
    assert status["evaluate.metrics-dict"] == "xfailed"
    assert status["evaluate.accuracy-range"] == "passed"  # its prerequisite was declared
    assert {status[c] for c in status if c.startswith("weights.")} == {"skipped"}
    assert clauses["weights.stable"]["message"] == (
        "not applicable to profile 'declaring': this backend is never federated")
    assert status["train.reproducible"] == status["load.missing-raises"] == "passed"
