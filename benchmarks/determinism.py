"""Run the suite K times with the ``ci`` hypothesis profile; print clauses whose status changed.

Run: ``python benchmarks/determinism.py -k 10 [--profile NAME ...] [-- pytest args]``.
Exit 1 if any clause's status differed between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile


def main() -> int:
    """Run, compare, report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-k", "--times", type=int, default=10)
    parser.add_argument("--profile", action="append", default=[])
    args, rest = parser.parse_known_args()
    runs: list[dict[tuple[str, str], str]] = []
    for i in range(args.times):
        folder = tempfile.mkdtemp(prefix=f"determinism-{i}-")
        command = [sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir", folder,
                   "--hypothesis", "ci", *rest]
        for profile in args.profile:
            command += ["--profile", profile]
        subprocess.run(command, check=False, capture_output=True)
        with open(os.path.join(folder, "conformance.json"), encoding="utf-8") as handle:
            report = json.load(handle)
        runs.append({(p, c): r["status"] for p, prof in report["profiles"].items()
                     for c, r in prof["clauses"].items()})
    keys = sorted(set().union(*runs))
    changed = [k for k in keys if len({run.get(k) for run in runs}) > 1]
    for profile, clause in changed:
        print(f"{profile} {clause}: " + ", ".join(str(run.get((profile, clause))) for run in runs))
    print(f"{args.times} runs, {len(keys)} profile-clause pairs, {len(changed)} changed status")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
