"""Reports: one result model rendered as JSON, Markdown and HTML; the HTML in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from markupsafe import escape

from harness import reports
from harness.clauses import CLAUSES
from harness.results import STATUSES, RunResult


@pytest.fixture
def result() -> RunResult:
    run = RunResult()
    for i, cid in enumerate(CLAUSES):
        run.record("mindspore", cid, "passed", duration_s=0.1, backend_s=0.08)
        run.record("tinyms", cid, STATUSES[i % len(STATUSES)], f"[{cid}] observed x, expected y")
    return run


def test_worst_variant_wins_and_times_add():
    run = RunResult()
    run.record("p", "train.learns", "passed", duration_s=1.0)
    run.record("p", "train.learns", "failed", "[train.learns] observed", 2.0)
    run.record("p", "train.learns", "passed", duration_s=0.5)
    clause = run.profiles["p"]["train.learns"]
    assert clause.status == "failed" and clause.duration_s == 3.5
    assert run.failed()
    with pytest.raises(ValueError, match="status must be one of"):
        run.record("p", "x.y", "weird")


def test_json_round_trips(result, tmp_path):
    path = tmp_path / "r.json"
    reports.write_json(result, str(path))
    data = json.loads(path.read_text())
    assert RunResult.from_dict(data).to_dict() == data
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
    assert escape(CLAUSES["train.learns"].sentence) in html and 'class="status failed"' in html
    shot = tmp_path / "matrix.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
