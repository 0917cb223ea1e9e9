"""Reports: one result model rendered as JSON, Markdown and HTML; the HTML in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from markupsafe import escape

from sedna_conformance.harness.contract.clauses import CLAUSES
from sedna_conformance.harness.contract.results import STATUSES, ClauseResult, RunResult
from sedna_conformance.harness.report import renderers as reports


@pytest.fixture
def result() -> RunResult:
    run = RunResult()
    for i, cid in enumerate(CLAUSES):
        run.add(ClauseResult("mindspore", cid, "passed", duration_s=0.1, backend_s=0.08))
        run.add(ClauseResult("tinyms", cid, STATUSES[i % len(STATUSES)],
                             f"[{cid}] observed x, expected y"))
    return run


def test_worst_variant_wins_and_times_add():
    run = RunResult()
    run.add(ClauseResult("p", "train.learns", "passed", duration_s=1.0))
    run.add(ClauseResult("p", "train.learns", "failed", "[train.learns] observed", 2.0))
    run.add(ClauseResult("p", "train.learns", "passed", duration_s=0.5))
    clause = run.profiles["p"]["train.learns"]
    assert clause.status == "failed" and clause.duration_s == 3.5
    assert run.failed()
    with pytest.raises(ValueError, match="status must be one of"):
        ClauseResult("p", "x.y", "weird")


def test_a_clause_result_crosses_processes_as_its_dict():
    one = ClauseResult("p", "train.learns", "blocked", "blocked by x", 0.5, 0.25)
    assert ClauseResult.from_dict(json.loads(json.dumps(one.to_dict()))) == one
    assert not one.judged and ClauseResult("p", "train.learns", "xfailed").judged


def test_json_report(result, tmp_path):
    path = tmp_path / "r.json"
    reports.write_json(result, str(path))
    data = json.loads(path.read_text())
    assert data == json.loads(json.dumps(result.to_dict()))
    assert data["profiles"]["tinyms"]["summary"]["failed"] > 0


def test_markdown_has_the_matrix_and_sentences(result, tmp_path):
    path = tmp_path / "r.md"
    reports.write_markdown(result, str(path))
    text = path.read_text()
    assert "| clause | mindspore | tinyms | contract |" in text
    assert CLAUSES["weights.fedavg"].sentence in text


def test_html_renders_in_headless_chromium(result, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    page = tmp_path / "matrix.html"
    reports.write_html(result, str(page))
    html = page.read_text()
    assert 'class="status failed"' in html
    # The sentences' inline code renders as <code>, the rest escaped by Jinja's rules.
    sentence = CLAUSES["construct.framework-name"].sentence
    assert "`" in sentence and reports.inline_code(sentence) in html
    assert str(escape(sentence)).replace("`framework`", "<code>framework</code>") in html
    shot = tmp_path / "matrix.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
