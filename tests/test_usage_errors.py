"""Every way to get the command line or a profile wrong is one line on stderr, naming the
argument and what was expected, with its own exit status (docs: section 11), and nothing
runs; ``reproduce:`` lines keep the options that change what a clause does.

The command-line checks run in-process (``cli.main``: nothing runs before them); the
profile and pytest-option checks in real processes, as a user or a CI runs them.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import shlex
import subprocess
import sys

import pytest

from sedna_conformance.harness import cli
from sedna_conformance.harness.contract.exit_codes import ExitCode
from sedna_conformance.harness.contract.profile import Tolerances
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.options import (
    MAX_CLAUSE_TIMEOUT,
    RunOptions,
    clause_timeout,
    s3_bucket,
    s3_endpoint,
)
from sedna_conformance.harness.report import files as report_files
from sedna_conformance.harness.starter import reference_profile

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = pathlib.Path(sys.executable).with_name("sedna-conformance")


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text[-3000:]
    assert "Traceback" not in text and "INTERNALERROR" not in text, text[-3000:]
    return lines[0]


def _cli_refuses(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``sedna-conformance ARGV`` in-process: its exit status and its one stderr line."""
    try:
        status = cli.main(list(argv))
    except SystemExit as stop:
        status = int(stop.code or 0)
    captured = capsys.readouterr()
    return status, _one_line(captured.err)


# -- the command line -----------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "0", "abc", "", "1e9"])
def test_a_clause_timeout_that_is_not_a_sane_duration_is_a_usage_error(capsys, value):
    status, line = _cli_refuses(capsys, "run", "--profile", "numpy-reference",
                                f"--clause-timeout={value}")
    assert status == ExitCode.USAGE_ERROR
    assert "--clause-timeout" in line and "a number of seconds above 0" in line, line
    assert repr(value) in line, line


@pytest.mark.parametrize("value", ["ftp://minio.local:9000", "http://", "minio.local:9000",
                                   "http://host:port", "http://user:pw@minio.local",
                                   "http://minio.local/?x=1"])
def test_an_s3_endpoint_that_is_not_an_http_url_is_a_usage_error(capsys, value):
    status, line = _cli_refuses(capsys, "run", "--profile", "numpy-reference",
                                "--s3-endpoint", value, "--s3-bucket", "conformance")
    assert status == ExitCode.USAGE_ERROR
    assert "--s3-endpoint" in line and "expected" in line, line
    assert "pw" not in line  # a password given in the URL is not repeated


@pytest.mark.parametrize("value", ["ab", "Upper", "under_score", "-dash", "dot.", "a..b",
                                   "192.168.1.2", "x" * 64])
def test_an_s3_bucket_that_breaks_the_naming_rules_is_a_usage_error(capsys, value):
    status, line = _cli_refuses(capsys, "run", "--profile", "numpy-reference",
                                "--s3-endpoint", "http://127.0.0.1:9000", f"--s3-bucket={value}")
    assert status == ExitCode.USAGE_ERROR
    assert "--s3-bucket" in line and "S3 bucket name" in line, line


def test_an_empty_report_dir_is_a_usage_error(capsys):
    status, line = _cli_refuses(capsys, "run", "--profile", "numpy-reference",
                                "--report-dir", "")
    assert status == ExitCode.USAGE_ERROR and "--report-dir" in line, line


def test_a_report_dir_that_is_a_file_ends_the_run_before_it_starts(capsys, tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    (tmp_path / "blocked" / "conformance.json").mkdir(parents=True)
    for folder, why in ((tmp_path / "taken", "it is a file, expected a folder"),
                        (tmp_path / "taken" / "sub", "it cannot be created"),
                        (tmp_path / "blocked",
                         "conformance.json: it is a folder, expected a file path")):
        status, line = _cli_refuses(capsys, "run", "--profile", "numpy-reference",
                                    "--report-dir", str(folder))
        assert status == ExitCode.REPORT_FOLDER, line
        assert f"--report-dir {str(folder)!r}: {why}" in line, line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes in a read-only folder")
def test_a_report_dir_that_cannot_be_written_ends_the_run_before_it_starts(capsys, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    try:
        status, line = _cli_refuses(capsys, "run", "--profile", "numpy-reference",
                                    "--report-dir", str(folder))
    finally:
        folder.chmod(0o700)
    assert status == ExitCode.REPORT_FOLDER and "nothing can be written in it" in line, line


def test_an_unknown_choice_is_a_usage_error_not_argparses_status_2(capsys):
    status, line = _cli_refuses(capsys, "run", "--hypothesis", "many")
    assert status == ExitCode.USAGE_ERROR and "--hypothesis" in line, line
    status, line = _cli_refuses(capsys, "list", "--extra")
    assert status == ExitCode.USAGE_ERROR and "unrecognized arguments" in line, line


def test_the_shared_checks_accept_what_they_should():
    assert clause_timeout("90") == 90.0 and clause_timeout("0.5") == 0.5
    assert clause_timeout(str(MAX_CLAUSE_TIMEOUT)) == MAX_CLAUSE_TIMEOUT
    for endpoint in ("http://127.0.0.1:9000", "https://s3.example.org", "http://[::1]:9000/"):
        assert s3_endpoint(endpoint) == endpoint
    for bucket in ("abc", "sedna-conformance", "models.v2", "a1-" + "b" * 59 + "9"):
        assert s3_bucket(bucket) == bucket
    with pytest.raises(argparse.ArgumentTypeError):
        clause_timeout(str(MAX_CLAUSE_TIMEOUT * 2))


def test_the_documented_exit_codes_are_the_enums():
    guide = (ROOT / "docs" / "validate-your-backend.md").read_text()
    for code in ExitCode:
        assert f"| {code.value} | `{code.name}` |" in guide, code
    assert ExitCode.USAGE_ERROR == pytest.ExitCode.USAGE_ERROR
    assert ExitCode.INTERRUPTED == pytest.ExitCode.INTERRUPTED
    assert ExitCode.FAILED == pytest.ExitCode.TESTS_FAILED
    assert ExitCode.REPORTS_NOT_WRITTEN == report_files.REPORTS_NOT_WRITTEN


# -- profiles ---------------------------------------------------------------------------
PROFILES = {
    "raises_on_import": ('raise RuntimeError("no GPU driver")\n',
                         "importing module 'raises_on_import' raised RuntimeError: "
                         "no GPU driver"),
    "exits_on_import": ("import sys\nsys.exit(3)\n",
                        "importing module 'exits_on_import' called sys.exit(3)"),
    "factory_raises": ('def PROFILE():\n    raise KeyError("datasets")\n',
                       "calling factory_raises:PROFILE raised KeyError: 'datasets'"),
    "negative_tolerance": (
        "import dataclasses\n"
        "from sedna_conformance.harness.contract.profile import Tolerances\n"
        "from sedna_conformance.harness.starter import reference_profile\n"
        "PROFILE = dataclasses.replace(reference_profile(),\n"
        "                              tolerances=Tolerances(batch_atol=-1e-5))\n",
        "Tolerances.batch_atol must be a finite number >= 0, got float -1e-05"),
    "preload_string": (
        "import dataclasses\n"
        "from sedna_conformance.harness.starter import reference_profile\n"
        "PROFILE = dataclasses.replace(reference_profile(), preload='numpy')\n",
        "Profile.preload must be a list or tuple of module names, got the string 'numpy' "
        "(write ('numpy',))"),
    "slash_name": (
        "import dataclasses\n"
        "from sedna_conformance.harness.starter import reference_profile\n"
        "PROFILE = dataclasses.replace(reference_profile(), name='team/backend')\n",
        "Profile.name must be 1 to 100 characters without '/', '\\', control characters or "
        "spaces at either end, and not '.' or '..' (it names folders and test ids), got "
        "'team/backend'"),
}


@pytest.fixture(scope="module")
def profile_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("profiles")
    for module, (source, _) in PROFILES.items():
        (folder / f"{module}.py").write_text(source)
    return folder


@pytest.mark.parametrize("module", sorted(PROFILES))
def test_a_profile_that_cannot_be_loaded_is_a_one_line_usage_error(profile_folder, module):
    """As an author meets it: the console script, from the folder holding the profile."""
    spec = f"{module}:PROFILE"
    done = subprocess.run([str(SCRIPT), "run", "--profile", spec, "--report-dir",
                           str(profile_folder / f"reports-{module}")],
                          cwd=profile_folder, capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    line = _one_line(done.stderr)
    assert done.returncode == ExitCode.USAGE_ERROR, done.stdout[-2000:] + done.stderr[-2000:]
    assert line == f"ERROR: profile {spec!r}: {PROFILES[module][1]}", line
    assert not (profile_folder / f"reports-{module}" / "conformance.json").exists()


@pytest.mark.parametrize("changes, field", [
    ({"accuracy_threshold": 2.0}, "Tolerances.accuracy_threshold must be a fraction in [0, 1]"),
    ({"batch_rtol": math.nan}, "Tolerances.batch_rtol must be a finite number >= 0"),
    ({"batch_atol": math.inf}, "Tolerances.batch_atol must be a finite number >= 0"),
    ({"batch_atol": True}, "Tolerances.batch_atol must be a finite number >= 0"),
    ({"batch_rtol": "1e-4"}, "Tolerances.batch_rtol must be a finite number >= 0"),
])
def test_tolerances_are_checked_where_they_are_made(changes, field):
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        Tolerances(**changes)
    Tolerances(accuracy_threshold=0.0, batch_atol=0.0, batch_rtol=0)  # the bounds are fine


def test_preload_takes_a_list_or_a_tuple_of_module_names():
    import dataclasses

    base = reference_profile()
    assert dataclasses.replace(base, preload=["numpy"]).preload == ["numpy"]
    for wrong in ("numpy", [""], [1], {"numpy": 1}):
        with pytest.raises(TypeError, match=r"Profile\.preload must be a list or tuple"):
            dataclasses.replace(base, preload=wrong)


# -- the same checks under pytest -------------------------------------------------------
def _pytest(*options: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--pyargs", "sedna_conformance.conformance_tests",
                           "--conformance-profile", "numpy-reference", *options],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_pytest_options_are_checked_as_the_command_line_is(tmp_path):
    done = _pytest("--conformance-clause-timeout", "inf", cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE_ERROR, done.stdout[-2000:] + done.stderr[-2000:]
    assert _one_line(done.stderr).startswith(
        "ERROR: --conformance-clause-timeout: expected a number of seconds above 0")
    done = _pytest("--conformance-s3-endpoint", "ftp://minio.local",
                   "--conformance-s3-bucket", "models", cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE_ERROR
    assert "--conformance-s3-endpoint: expected an http:// or https:// URL" in done.stderr
    done = _pytest("--conformance-s3-bucket", "models", cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE_ERROR
    assert "--conformance-s3-bucket needs --conformance-s3-endpoint" in done.stderr


def test_a_report_path_that_cannot_be_written_stops_pytest_before_it_runs(tmp_path):
    (tmp_path / "taken").write_text("")
    done = _pytest("--conformance-report", str(tmp_path / "taken" / "conformance.json"),
                   cwd=tmp_path)
    assert done.returncode == ExitCode.REPORT_FOLDER, done.stdout[-2000:] + done.stderr[-2000:]
    line = _one_line(done.stdout + done.stderr)
    assert "--conformance-report" in line and "it is a file, expected a folder" in line, line
    done = _pytest("--conformance-markdown", str(tmp_path), cwd=tmp_path)
    assert done.returncode == ExitCode.REPORT_FOLDER
    assert "it is a folder, expected a file path" in done.stdout + done.stderr


# -- reproduce: lines -------------------------------------------------------------------
def test_a_reproduce_line_keeps_every_option_that_changes_the_clause():
    options = RunOptions(profile_specs=("numpy-reference",), hypothesis="dev", isolate=True,
                         clause_timeout=90.0, s3_endpoint="http://127.0.0.1:9000",
                         s3_bucket="models")
    line = ConformanceRun(options).reproduce(reference_profile(), "train.learns")
    command = shlex.split(line.removeprefix("reproduce: ").partition("  #")[0])
    args, rest = cli.build_parser().parse_known_args(command[1:])
    assert not rest, rest
    assert (args.conformance_clauses, args.conformance_hypothesis, args.conformance_isolate,
            args.conformance_clause_timeout) == (["train.learns"], "dev", True, 90.0)
    assert (args.conformance_s3_endpoint, args.conformance_s3_bucket) == (
        "http://127.0.0.1:9000", "models")
    assert "credentials from ACCESS_KEY_ID and SECRET_ACCESS_KEY" in line
    assert "0.25" in ConformanceRun(RunOptions(clause_timeout=0.25)).reproduce(
        reference_profile(), "train.learns")


def test_a_default_run_reproduces_with_no_extra_option():
    line = ConformanceRun(RunOptions()).reproduce(reference_profile(), "train.learns")
    command = line.removeprefix("reproduce: ").partition("  #")[0]
    assert command == "sedna-conformance run --profile numpy-reference --clause train.learns"


# -- usage errors pytest or an xdist worker finds: one line, and no report is touched ----
@pytest.mark.parametrize("argv, says", [
    (["-k", "and ("], "ERROR: Wrong expression passed to '-k'"),
    (["no_such_path"], "ERROR: module or package not found: no_such_path"),
    (["-n", "abc"], "ERROR: sedna-conformance run: argument -n/--numprocesses: invalid"),
    (["--bogus-option"], "ERROR: sedna-conformance run: unrecognized arguments: --bogus-option"),
    (["--clause", ""], "ERROR: --clause [''] match no clause id"),
    (["--s3-endpoint", "http://127.0.0.1:9", "--profile", "numpy-reference"],
     "ERROR: --s3-endpoint needs --s3-bucket"),
    (["-n", "2", "--profile", "tests.attack_profiles:isolated"],
     "ERROR: profiles ['isolated'] ask to be isolated (isolate=True)"),
], ids=["k-syntax", "stray-path", "n-abc", "unknown-option", "empty-clause", "s3-no-bucket",
        "xdist-isolating-profile"])
def test_a_usage_error_is_one_line_and_leaves_the_previous_reports(tmp_path, argv, says):
    reports = tmp_path / "reports"
    reports.mkdir()
    previous = {name: f"previous {name}" for name in ("conformance.json", "conformance.md",
                                                      "conformance.html", "junit.xml")}
    for name, text in previous.items():
        (reports / name).write_text(text)
    profile = [] if "--profile" in argv else ["--profile", "numpy-reference"]
    done = subprocess.run([str(SCRIPT), "run", "--report-dir", str(reports), *profile, *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == ExitCode.USAGE_ERROR, done.stdout[-2000:] + done.stderr[-2000:]
    assert _one_line(done.stderr).startswith(says), done.stderr
    assert {p.name: p.read_text() for p in reports.iterdir()} == previous
