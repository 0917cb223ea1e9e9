"""Run the conformance suite in a subprocess, as a user would, and return its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_suite(report_dir: str, *profiles: str, extra: tuple[str, ...] = (),
              cwd: str | None = None, timeout: int = 1200) -> tuple[dict[str, Any], str]:
    """``python -m sedna_conformance.harness run --profile P ...``; returns (report, output)."""
    command = [sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir", report_dir]
    for profile in profiles:
        command += ["--profile", profile]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH", "")])), "GLOG_v": "3"}
    done = subprocess.run([*command, *extra], capture_output=True, text=True, cwd=cwd or ROOT,
                          env=env, timeout=timeout)
    output = done.stdout + done.stderr
    path = os.path.join(report_dir, "conformance.json")
    assert os.path.exists(path), f"no report (exit {done.returncode}):\n{output[-4000:]}"
    with open(path, encoding="utf-8") as handle:
        return json.load(handle), output
