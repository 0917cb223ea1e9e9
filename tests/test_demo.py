"""The incremental-learning demo, in --quick mode, on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conformance_run import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["mindspore", "tinyms"])
def test_incremental_round_improves_accuracy_on_new_data(backend, tmp_path):
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "incremental_learning", "run.py"),
         "--backend", backend, "--quick", "--output", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "GLOG_v": "3"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    base, incremental = results["rounds"]
    assert base["accuracy_old"] > base["accuracy_new"], results  # the shift hurts
    assert incremental["accuracy_new"] > base["accuracy_new"], results
    assert results["deployed"] == "incremental"
    assert (tmp_path / "accuracy.png").stat().st_size > 0
    assert "| incremental |" in done.stdout
