"""The ``pytorch`` profile on a GPU: every clause with ``use_cuda=True``.

Run (in the ``pytorch`` tox environment, on a machine with an NVIDIA GPU)::

    python benchmarks/gpu_check.py --report-dir reports/gpu

It runs the conformance suite on ``pytorch-cuda``: the bundled ``pytorch`` profile whose
backends are all built with ``use_cuda=True`` (so every clause trains, predicts, saves and
loads on ``cuda``, and ``device.gpu-placement`` is judged), writes the usual reports to
``--report-dir`` and ``gpu.json`` beside them: whether PyTorch saw a GPU, which, and the
run's counts. On a machine without one it runs all the same, on the CPU (each backend
warns that it sees no GPU), and says so: that is how it is tested.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

from sedna_conformance.harness import Profile

__all__ = ["cuda_profile", "main"]


def cuda_profile() -> Profile:
    """The ``pytorch`` profile with ``use_cuda=True`` in every backend it builds."""
    from sedna_conformance.fixtures.torch_profile import pytorch_profile

    profile = pytorch_profile()
    return dataclasses.replace(profile, name="pytorch-cuda",
                               options={**dict(profile.options), "use_cuda": True})


def _device() -> dict[str, Any]:
    import torch

    available = bool(torch.cuda.is_available())
    return {"torch": torch.__version__, "cuda_available": available,
            "cuda_version": torch.version.cuda,
            "device_name": torch.cuda.get_device_name(0) if available else None}


def main(argv: list[str] | None = None) -> int:
    """Run the check; the conformance run's exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-dir", required=True, help="where the reports are written")
    parser.add_argument("extra", nargs="*", help="passed on to sedna-conformance run "
                        "(after --), e.g. --clause 'device.*'")
    args = parser.parse_args(argv)
    folder = os.path.abspath(args.report_dir)
    command = [sys.executable, "-m", "sedna_conformance.harness", "run", "--profile",
               "benchmarks.gpu_check:cuda_profile", "--report-dir", folder, *args.extra]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    status = subprocess.run(command, env=env, check=False).returncode
    summary: dict[str, Any] = {**_device(), "exit_status": status}
    report = os.path.join(folder, "conformance.json")
    if os.path.isfile(report):
        with open(report, encoding="utf-8") as handle:
            profile = json.load(handle)["profiles"].get("pytorch-cuda", {})
        statuses = [r["status"] for r in profile.get("clauses", {}).values()]
        summary["counts"] = {s: statuses.count(s) for s in sorted(set(statuses))}
        placement = profile.get("clauses", {}).get("device.gpu-placement", {})
        summary["device.gpu-placement"] = placement.get("status")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "gpu.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
    print(json.dumps(summary))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
