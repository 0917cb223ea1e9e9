"""Reports you can trust, with real files, real runs and real signals: each report written
atomically and on its own, never through a symbolic link; one run per report folder at a
time; what a backend says sanitised and capped; an interrupted run marked, with the clauses
it did not reach; NaN metrics refused by ``train.result-json``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sedna_conformance.harness.contract import text
from sedna_conformance.harness.contract.results import ClauseResult, RunResult, report_schema
from sedna_conformance.harness.contract.schema_check import schema_error
from sedna_conformance.harness.report import renderers as reports
from sedna_conformance.harness.report.files import (
    LOCK_NAME,
    REPORTS_NOT_WRITTEN,
    FolderBusy,
    FolderLock,
    write_text,
)
from sedna_conformance.harness.report.merge import MergeError, Problem, merge_reports, read_input
from tests.report_profiles import HOSTILE_NAME

ROOT = Path(__file__).resolve().parents[1]
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                  os.environ.get("PYTHONPATH")]))}
_FILES = ("conformance.json", "conformance.md", "conformance.html")
USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def _command(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir",
            str(folder), *args]


def _run(command: list[str], env: dict[str, str] | None = None, **popen: object
         ) -> tuple[int, str]:
    done = subprocess.run(command, cwd=ROOT, env={**_ENV, **(env or {})}, text=True,
                          errors="backslashreplace", stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300, check=False,
                          **popen)  # type: ignore[call-overload]
    return done.returncode, done.stdout


def _section(output: str) -> str:
    """The plugin's part of the terminal output."""
    start = output.index("Sedna conformance")
    end = output.find("short test summary", start)
    return output[start:end if end > 0 else None]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


class Waiting:
    """A real run of ``tests.report_profiles:waiting`` (``evaluate.metrics-dict``) that stays
    in its clause until released.
    """

    def __init__(self, tmp_path: Path, reports_dir: Path, *extra: str) -> None:
        self.marker, self.gate = tmp_path / "started", tmp_path / "release"
        env = {**_ENV, "SEDNA_TEST_STARTED": str(self.marker),
               "SEDNA_TEST_RELEASE": str(self.gate)}
        self.process = subprocess.Popen(
            _command(reports_dir, "--profile", "tests.report_profiles:waiting",
                     *(extra or ("--clause", "evaluate.metrics-dict"))),
            cwd=ROOT, env=env, text=True, errors="backslashreplace", stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)

    def started(self) -> None:
        """Wait until the run is inside its clause."""
        deadline = time.monotonic() + 120
        while not self.marker.exists():
            assert self.process.poll() is None, self.process.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the clause never started"
            time.sleep(0.05)

    def release(self) -> tuple[int, str]:
        """Let the clause finish; the run's exit status and output."""
        self.gate.touch()
        return self.finish()

    def finish(self) -> tuple[int, str]:
        try:
            output, _ = self.process.communicate(timeout=300)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        return self.process.returncode, output


# -- 1. atomic, independent writers ----------------------------------------------------

def test_write_text_replaces_whole_files_and_never_writes_through_a_link(tmp_path):
    path = tmp_path / "conformance.md"
    path.write_text("previous")
    assert write_text(str(path), "new") is None and path.read_text() == "new"
    outside = tmp_path / "outside.txt"
    outside.write_text("not a report")
    link = tmp_path / "conformance.html"
    link.symlink_to(outside)
    note = write_text(str(link), "report")
    assert note and "symbolic link" in note and str(outside) in note
    assert not link.is_symlink() and link.read_text() == "report"
    assert outside.read_text() == "not a report"
    folder = tmp_path / "conformance.json"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="a folder is in the way"):
        write_text(str(folder), "{}")
    assert folder.is_dir() and _leftovers(tmp_path) == []
    with pytest.raises(UnicodeEncodeError):
        write_text(str(path), "lone \udcff")
    assert path.read_text() == "new" and _leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform != "linux", reason="fork and setuid as on Linux")
def test_a_read_only_folder_keeps_its_previous_report():
    folder = Path(tempfile.mkdtemp(prefix="sedna-read-only-"))  # others may enter /tmp's
    (folder / "conformance.md").write_text("previous")
    folder.chmod(0o555)
    try:
        child = os.fork()
        if child == 0:  # a process that obeys the permissions: root drops to nobody
            code = 1
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                write_text(str(folder / "conformance.md"), "new")
            except PermissionError:
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "the write was not refused"
        assert (folder / "conformance.md").read_text() == "previous"
        assert _leftovers(folder) == []
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_a_folder_put_at_the_json_path_during_the_run_costs_that_report_only(tmp_path):
    reports_dir = tmp_path / "r"
    waiting = Waiting(tmp_path, reports_dir)
    try:
        waiting.started()
        (reports_dir / "conformance.json").mkdir()
    finally:
        code, output = waiting.release()
    assert code == REPORTS_NOT_WRITTEN, output[-3000:]
    section = _section(output)
    assert (f"report not written: {reports_dir / 'conformance.json'}: a folder is in the way"
            in section)
    assert "waiting: 1 of " in section  # the summary is still printed
    assert (reports_dir / "conformance.json").is_dir()
    for name in ("conformance.md", "conformance.html", "junit.xml"):
        assert "evaluate.metrics-dict" in (reports_dir / name).read_text(encoding="utf-8"), name
    assert f"reports: {reports_dir / 'conformance.md'}, {reports_dir / 'conformance.html'}" \
        in section


def test_a_linked_report_is_replaced_and_its_target_left_as_it_was(tmp_path):
    reports_dir = tmp_path / "r"
    reports_dir.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (reports_dir / "conformance.md").symlink_to(target)
    code, output = _run(_command(reports_dir, "--profile", "numpy-reference", "--clause",
                                 "construct.framework-name"))
    assert code == 0, output[-3000:]
    assert target.read_text() == "keep me"
    markdown = reports_dir / "conformance.md"
    assert not markdown.is_symlink() and "# Sedna backend conformance" in markdown.read_text()
    assert f"note: {markdown} was a symbolic link (to {target})" in _section(output)


def _limit_file_size(limit: int) -> None:
    """In the child: files may grow to ``limit`` bytes; a write past it fails with EFBIG
    (SIGXFSZ ignored), as a full disk fails a write part-way.
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
def test_a_write_failing_part_way_leaves_the_previous_report_and_the_others_are_written(
        tmp_path):
    reports_dir = tmp_path / "r"
    pytest_run = [sys.executable, "-m", "pytest", "--pyargs",
                  "sedna_conformance.conformance_tests", "-p", "no:cacheprovider", "-q",
                  "-o", "consider_namespace_packages=true", "--import-mode=importlib",
                  "--conformance-profile=tests.report_profiles:hostile",
                  "--conformance-clause=evaluate.metrics-dict",
                  *(f"--conformance-{kind}={reports_dir / name}" for kind, name
                    in zip(("report", "markdown", "html"), _FILES, strict=True))]
    code, output = _run(pytest_run, env={"SEDNA_TEST_MESSAGE_SIZE": "100"})
    assert code == 1, output[-3000:]
    before = {name: (reports_dir / name).read_bytes() for name in _FILES}
    code, output = _run(pytest_run, env={"SEDNA_TEST_MESSAGE_SIZE": "400000"},
                        preexec_fn=lambda: _limit_file_size(200_000))
    assert code == REPORTS_NOT_WRITTEN, output[-3000:]
    assert (f"report not written: {reports_dir / 'conformance.json'}: File too large"
            in _section(output))
    assert (reports_dir / "conformance.json").read_bytes() == before["conformance.json"]
    for name in ("conformance.md", "conformance.html"):
        written = (reports_dir / name).read_text(encoding="utf-8")
        assert written.encode() != before[name] and "more characters" in written, name
    assert _leftovers(reports_dir) == []


def test_a_lone_surrogate_reaches_every_report_as_its_escape(tmp_path):
    result = RunResult()
    result.add(ClauseResult("p\udcfe", "train.learns", "failed", "no such file b'\\xff': "
                            "/data/\udcff.ckpt"))
    for name, writer in zip(_FILES, (reports.write_json, reports.write_markdown,
                                     reports.write_html), strict=True):
        writer(result, str(tmp_path / name))
        content = (tmp_path / name).read_bytes().decode("utf-8")  # strict: valid UTF-8
        assert "\\udcff.ckpt" in content and "\\udcfe" in content, name
    data = json.loads((tmp_path / "conformance.json").read_text(encoding="utf-8"))
    assert data["profiles"]["p\\udcfe"]["clauses"]["train.learns"]["message"].endswith(
        "/data/\\udcff.ckpt")
    assert "\\udcff" in reports.summary_text(result)


# -- 2. one run per report folder --------------------------------------------------------

def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path):
    reports_dir = tmp_path / "r"
    first = Waiting(tmp_path, reports_dir)
    try:
        first.started()
        assert (reports_dir / LOCK_NAME).exists()
        code, output = _run(_command(reports_dir, "--profile", "numpy-reference", "--clause",
                                     "construct.framework-name"))
        assert code == USAGE_ERROR, output[-3000:]
        assert (f"report folder {reports_dir}: another run (pid {first.process.pid}) is "
                "writing its reports there" in output)
        assert "Traceback" not in output
        assert sorted(p.name for p in reports_dir.iterdir()) == [LOCK_NAME]
    finally:
        code, output = first.release()
    assert code == 0, output[-3000:]
    report = json.loads((reports_dir / "conformance.json").read_text(encoding="utf-8"))
    assert list(report["profiles"]) == ["waiting"]
    assert not (reports_dir / LOCK_NAME).exists()


def test_a_lock_left_by_a_dead_run_does_not_hold_the_folder(tmp_path):
    reports_dir = tmp_path / "r"
    reports_dir.mkdir()
    (reports_dir / LOCK_NAME).write_text("999999\n")  # no process holds it
    code, output = _run(_command(reports_dir, "--profile", "numpy-reference", "--clause",
                                 "construct.framework-name"))
    assert code == 0, output[-3000:]
    assert not (reports_dir / LOCK_NAME).exists()


def test_folder_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from sedna_conformance.harness.report.files import FolderLock\n"
         "FolderLock([sys.argv[1]]).acquire(); print('held', flush=True); time.sleep(60)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True, env=_ENV)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(FolderBusy, match=f"another run \\(pid {holder.pid}\\)"):
            FolderLock([str(tmp_path)]).acquire()
    finally:
        holder.kill()
        holder.wait()
    lock = FolderLock([str(tmp_path)])
    lock.acquire()  # the kernel let the dead holder's lock go
    assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    lock.release()
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


# -- 3. text sanitised, capped and escaped -------------------------------------------------

def test_text_functions():
    assert text.clean("a\x1b[31mb\x00c\rd\te\nf\x7f\x85\u202eg") == \
        "a\\x1b[31mb\\x00c\\x0dd\te\nf\\x7f\\x85\\u202eg"
    assert text.valid_utf8("ok \udcff") == "ok \\udcff"
    shown = text.display("x" * 5000)
    assert shown == "x" * 4000 + "… (1000 more characters; full text in conformance.json)"
    assert "the first 1000000 in conformance.json" in text.display("x" * 1_000_005)
    kept = text.for_json("y" * (text.JSON_LIMIT + 7))
    assert kept.startswith("y" * text.JSON_LIMIT) and kept.endswith("(7 more characters not kept)")
    assert text.first_line("one\ntwo") == "one" and text.first_line("z" * 200).endswith("z…")
    assert text.md_text("a|b `c` <d> *e* [f](g) &amp;\nh") == \
        "a\\|b \\`c\\` \\<d\\> \\*e\\* \\[f\\](g) \\&amp; h"
    assert text.md_code("a ``b`` c|d", in_table=True) == "```a ``b`` c\\|d```"
    assert text.md_code("`x`") == "`` `x` ``"
    assert text.md_block("```\nnot the end") == ["````", "```", "not the end", "````"]


def test_every_user_string_is_escaped_in_markdown():
    result = RunResult(merged_from=("a|b/`c`.json", "new\nline.json"))
    result.add(ClauseResult("p|<b>", "train.learns", "failed", "boom"))
    result.add(ClauseResult("p|<b>", "my|`clause`\n<i>", "failed", "```\n# not a heading"))
    result.environment = {**result.environment, "platform": "linux | <b>x</b>"}
    page = reports.markdown(result)
    assert "| p\\|\\<b\\> |" in page
    assert "| ``my\\|`clause` <i>`` |" in page
    assert "### p\\|\\<b\\> · ``my|`clause` <i>`` · failed" in page
    assert "Merged from: ``a|b/`c`.json``, `new line.json`." in page
    assert "linux \\| \\<b\\>x\\</b\\>" in page
    assert "````\n```\n# not a heading\n````" in page
    for line in page.splitlines():
        if line.startswith("|"):  # each table row has as many cells as its header
            assert line.replace("\\|", "").count("|") in (3, 4, 11), line


def test_a_hostile_message_is_sanitised_capped_and_kept_whole_in_the_json(tmp_path):
    reports_dir = tmp_path / "r"
    code, output = _run(_command(reports_dir, "--profile", "tests.report_profiles:hostile",
                                 "--clause", "evaluate.*"),
                        env={"SEDNA_TEST_MESSAGE_SIZE": "20000"})
    assert code == 1, output[-3000:]
    section = _section(output)
    assert not any(c in section for c in "\x1b\x00\r")
    assert "\\x1b[2J\\x1b[31mOWNED\\x00" in section
    # pytest's own FAILURES section and junit.xml get the same treatment, capped per piece
    assert not any(c in output for c in "\x1b\x00"), "raw control bytes on the terminal"
    junit = (reports_dir / "junit.xml").read_text(encoding="utf-8")
    assert "\\x1b[2J\\x1b[31mOWNED" in junit and len(junit) < 200_000
    data = (reports_dir / "conformance.json").read_bytes()
    report = json.loads(data.decode("utf-8"))
    assert schema_error(report, report_schema()) is None
    message = report["profiles"][HOSTILE_NAME]["clauses"]["evaluate.metrics-dict"]["message"]
    assert "\x1b[2J" in message and "\\udcff.ckpt" in message and len(message) > 20000
    markdown = (reports_dir / "conformance.md").read_text(encoding="utf-8")
    html = (reports_dir / "conformance.html").read_text(encoding="utf-8")
    for page in (markdown, html):
        assert not any(c in page for c in "\x1b\x00\r")
        assert "\\x1b[2J" in page and "\\udcff.ckpt" in page
        assert "more characters; full text in conformance.json" in page
        assert len(page) < 60_000  # a capped message per non-passing clause, not 20 000
    assert "| hostile\\|\\`name\\`\\<b\\> |" in markdown
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "hostile|`name`&lt;b&gt;" in html


# -- 4. interrupted runs ----------------------------------------------------------------------

def test_a_run_stopped_by_x_lists_what_it_did_not_run(tmp_path):
    reports_dir = tmp_path / "r"
    code, output = _run(_command(reports_dir, "--profile",
                                 "tests.profiles:numpy_bad_framework_name", "-x"))
    assert code == 1, output[-3000:]
    report = json.loads((reports_dir / "conformance.json").read_text(encoding="utf-8"))
    assert schema_error(report, report_schema()) is None
    assert report["interrupted"] == "stopping after 1 failures"
    not_run = report["not_run"]["numpy-bad-name"]
    judged = report["profiles"]["numpy-bad-name"]["clauses"]
    assert not_run and not set(not_run) & set(judged)
    section = _section(output)
    assert section.splitlines()[1] == (f"INTERRUPTED: stopping after 1 failures; "
                                       f"{len(not_run)} clauses not run")
    assert f"({len(not_run)} not run)" in section and "not selected" not in section
    markdown = (reports_dir / "conformance.md").read_text(encoding="utf-8")
    assert f"**INTERRUPTED: stopping after 1 failures; {len(not_run)} clauses not run**" \
        in markdown
    assert "## Not run" in markdown and "⏸️ not run" in markdown
    html = (reports_dir / "conformance.html").read_text(encoding="utf-8")
    assert '<div class="interrupted" role="alert">INTERRUPTED: stopping after 1' in html
    again = RunResult.from_dict(report)
    assert again.interrupted == report["interrupted"]
    assert again.not_run == report["not_run"] and again.to_dict()["not_run"] == report["not_run"]
    with pytest.raises(MergeError) as refused:
        read_input(str(reports_dir / "conformance.json"))
    assert refused.value.problem is Problem.INTERRUPTED


@pytest.mark.skipif(sys.platform != "linux", reason="signals as on Linux")
def test_sigint_mid_clause_writes_every_report_marked_interrupted(tmp_path):
    reports_dir = tmp_path / "r"
    reports_dir.mkdir()
    for name in _FILES:
        (reports_dir / name).write_text("a previous, complete run's report")
    run = Waiting(tmp_path, reports_dir, "--clause", "evaluate.*")
    run.started()
    run.process.send_signal(signal.SIGINT)
    code, output = run.finish()
    assert code == pytest.ExitCode.INTERRUPTED, output[-3000:]
    report = json.loads((reports_dir / "conformance.json").read_text(encoding="utf-8"))
    assert "interrupted" in report["interrupted"]
    not_run = report["not_run"]["waiting"]
    assert "evaluate.metrics-dict" in not_run  # the clause in progress has no verdict
    assert "evaluate.metrics-dict" not in report["profiles"].get("waiting", {}).get("clauses", {})
    assert _section(output).splitlines()[1].startswith("INTERRUPTED: ")
    for name in ("conformance.md", "conformance.html"):
        assert "INTERRUPTED: " in (reports_dir / name).read_text(encoding="utf-8")


def test_an_interrupted_run_without_its_list_never_says_not_selected():
    result = RunResult(interrupted="interrupted")  # an xdist controller lists nothing
    result.add(ClauseResult("p", "train.learns", "passed"))
    summary = reports.summary_text(result)
    assert summary.startswith("INTERRUPTED: interrupted\n")
    assert "not run or not selected" in summary


# -- 5. train.result-json ---------------------------------------------------------------------

def test_a_nan_metric_fails_train_result_json(tmp_path):
    reports_dir = tmp_path / "r"
    code, output = _run(_command(reports_dir, "--profile", "numpy-reference", "--profile",
                                 "tests.report_profiles:nan_loss",
                                 "--clause", "train.result-json"))
    assert code == 1, output[-3000:]
    report = json.loads((reports_dir / "conformance.json").read_text(encoding="utf-8"))
    clauses = {name: p["clauses"]["train.result-json"] for name, p in report["profiles"].items()}
    assert clauses["numpy-reference"]["status"] == "passed"
    assert clauses["nan-loss"]["status"] == "failed"
    assert "result['loss'] = nan" in clauses["nan-loss"]["message"]
    assert "finite numbers only" in clauses["nan-loss"]["message"]


def test_merge_refuses_a_folder_a_run_is_writing(tmp_path):
    code, output = _run(_command(tmp_path / "a", "--profile", "numpy-reference", "--clause",
                                 "construct.framework-name"))
    assert code == 0, output[-3000:]
    target = tmp_path / "merged"
    first = Waiting(tmp_path, target)
    try:
        first.started()
        with pytest.raises(MergeError, match=f"another run \\(pid {first.process.pid}\\)") \
                as refused:
            merge_reports([str(tmp_path / "a/conformance.json")], str(target))
        assert refused.value.problem is Problem.REPORT_DIR
        assert sorted(p.name for p in target.iterdir()) == [LOCK_NAME]
    finally:
        code, output = first.release()
    assert code == 0, output[-3000:]
