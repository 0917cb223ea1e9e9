"""benchmarks/gpu_check.py runs on a machine without a GPU and says so (needs torch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_gpu_check_writes_its_report_on_a_cpu(tmp_path):
    import torch

    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "gpu_check.py"), "--report-dir",
         str(tmp_path), "--", "--clause", "device.*"],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "gpu.json").read_text())
    assert summary["cuda_available"] == torch.cuda.is_available()
    assert (tmp_path / "conformance.json").is_file()
    expected = "passed" if torch.cuda.is_available() else "skipped"
    assert summary["device.gpu-placement"] == expected
    assert summary["counts"].get("failed", 0) == 0
