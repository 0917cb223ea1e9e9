"""The project's scoreboard: every bundled profile and, with ``SEDNA_SOURCE``, upstream
Sedna's five backends, each judged in its own environment and merged into one report.

Frameworks cannot share one environment (MindSpore needs NumPy < 2; PyTorch and
TensorFlow bring their own stacks), so each group runs in its tox environment and
``sedna-conformance merge`` joins the reports::

    tox -e py311,upstream,pytorch,keras --notest   # the environments, once
    tox -e scoreboard                              # or: python benchmarks/scoreboard.py

Writes ``reports/scoreboard/<group>/`` (each run) and ``reports/scoreboard/merged/``,
and copies the merged Markdown to ``docs/scoreboard.md`` for the docs site. A missing
environment, or a run that did not finish, stops it with the reason.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["GROUPS", "Group", "main"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_UPSTREAM = "sedna_conformance.fixtures.upstream"


@dataclass(frozen=True)
class Group:
    """Profiles judged together in one tox environment."""

    name: str
    env: str
    profiles: tuple[str, ...]
    upstream: tuple[str, ...] = ()  # profiles that need SEDNA_SOURCE


GROUPS = (
    Group("mindspore", "shared", ("mindspore", "tinyms", "scikit-learn")),
    Group("upstream", "upstream", (), (f"{_UPSTREAM}:upstream_profiles",)),
    Group("pytorch", "pytorch", ("pytorch",), (f"{_UPSTREAM}:upstream_torch_profile",)),
    Group("keras", "keras", ("keras",), (f"{_UPSTREAM}:upstream_tensorflow_profiles",)),
)


def _command(work_dir: str, env: str, tool: str) -> str:
    path = os.path.join(work_dir, env, "bin", tool)
    if not os.path.isfile(path):
        raise SystemExit(f"scoreboard: no tox environment {env!r} at "
                         f"{os.path.join(work_dir, env)}: create it with "
                         f"`tox -e {'py311' if env == 'shared' else env} --notest`")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run every group, merge, copy the Markdown to the docs; the merge's exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tox-work-dir", default=os.path.join(ROOT, ".tox"))
    parser.add_argument("--report-dir", default=os.path.join(ROOT, "reports", "scoreboard"))
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs", "scoreboard.md"),
                        help="where the merged Markdown is copied ('' for nowhere)")
    args = parser.parse_args(argv)
    upstream = bool(os.environ.get("SEDNA_SOURCE"))
    inputs = []
    for group in GROUPS:
        specs = group.profiles + (group.upstream if upstream else ())
        if not specs:
            continue
        folder = os.path.join(args.report_dir, group.name)
        command = [_command(args.tox_work_dir, group.env, "sedna-conformance"), "run",
                   "--report-dir", folder, "-n", "2"]
        for spec in specs:
            command += ["--profile", spec]
        print(f"scoreboard: {group.name}: {' '.join(specs)}", flush=True)
        env = {**os.environ, "GLOG_v": "3", "TF_CPP_MIN_LOG_LEVEL": "2"}
        status = subprocess.run(command, cwd=ROOT, env=env, check=False,
                                stdout=subprocess.DEVNULL).returncode
        if status not in (0, 1):
            raise SystemExit(f"scoreboard: the {group.name} run ended with status {status}")
        inputs.append(os.path.relpath(os.path.join(folder, "conformance.json"), ROOT))
    merged = os.path.relpath(os.path.join(args.report_dir, "merged"), ROOT)
    status = subprocess.run([sys.executable, "-m", "sedna_conformance.harness", "merge",
                             *inputs, "--report-dir", merged], cwd=ROOT, check=False).returncode
    if status not in (0, 1):
        return status
    if args.docs:
        shutil.copyfile(os.path.join(merged, "conformance.md"), args.docs)
        print(f"scoreboard: {args.docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
