"""The incremental-learning demo, in --quick mode, on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conformance_run import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("backend", "storage"), [("mindspore", ()), ("tinyms", ("--local-s3",))])
def test_incremental_round_improves_accuracy_on_new_data(backend, storage, tmp_path):
    """TinyMS keeps its models in a local S3 server (started by the demo on 127.0.0.1)."""
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "incremental_learning", "run.py"),
         "--backend", backend, "--quick", "--output", str(tmp_path), *storage],
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
    if storage:
        assert [r["url"] for r in results["rounds"]] == [
            "s3://sedna-conformance/demo/base/base.ckpt",
            "s3://sedna-conformance/demo/incremental/incremental.ckpt"]
        assert not os.path.exists(tmp_path / "base"), "models were kept on local files"
