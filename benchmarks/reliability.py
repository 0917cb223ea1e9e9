"""Write ``docs/reliability.md`` from a real run of the robust.* and ckpt.* clauses.

Run: ``python benchmarks/reliability.py [--profile NAME ...] [--out PATH]`` (inside the
tox environment). A second, isolated run over the segfaulting and hanging mutants gives the
isolation section, and the attack catalogue (:mod:`benchmarks.attacks`: bad command lines
and profiles, hostile backends, data-loss scenarios and signals, each a run of the real
CLI) the last ones. The bad inputs come from ``sedna_conformance.harness.contract.strategies``, the
faults and their sentences from the clause registry, the outcomes from the JSON reports of
the runs: nothing in the page is written by hand. ``--attack GLOB`` runs only some attacks
and ``--attacks-only`` skips the clause sections (for trying it out; not for the page).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(command: list[str], folder: str) -> dict[str, Any]:
    """The JSON report of ``command``, a run into ``folder`` (removed afterwards)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH", "")]))}
    try:
        subprocess.run(command, check=False, cwd=ROOT, env=env)
        with open(os.path.join(folder, "conformance.json"), encoding="utf-8") as handle:
            loaded: dict[str, Any] = json.load(handle)
            return loaded
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _environment(report: dict[str, Any]) -> str:
    env = report["environment"]
    frameworks = ", ".join(f"{k} {v}" for k, v in env.get("frameworks", {}).items())
    return f"python {env['python']}, numpy {env['numpy']}, {frameworks}; {env['platform']}"


def _isolation_section() -> list[str]:
    """Run the segfaulting and hanging mutants isolated; tabulate what was reported."""
    from tests.mutants import CRASH_MUTANTS, SUBPROCESS_CLAUSES

    folder = tempfile.mkdtemp(prefix="reliability-isolation-")
    timeout = 15
    report = _run([sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir", folder,
                   "--profile", "tests.mutants:crash_profiles", "--isolate",
                   "--clause-timeout", str(timeout),
                   "-k", f"not ({' or '.join(SUBPROCESS_CLAUSES)})"], folder)
    lines = ["", "## A backend that crashes or hangs", "",
             "A second run, with `--isolate --clause-timeout "
             f"{timeout}` over two mutants of the zoo base (`tests.mutants:crash_profiles`): "
             "one reads address 0 in `evaluate` (a real SIGSEGV), one waits forever in "
             f"`load_weights`. Wall time of the whole run: {report['wall_s']:.1f} s.", "",
             "| mutant | clause hit | its status | other clauses reported |",
             "|---|---|---|---|"]
    for name, (clause_id, _, _) in CRASH_MUTANTS.items():
        clauses = report["profiles"][name]["clauses"]
        others: dict[str, int] = {}
        for cid, result in clauses.items():
            if cid != clause_id:
                others[result["status"]] = others.get(result["status"], 0) + 1
        counts = ", ".join(f"{n} {s}" for s, n in sorted(others.items()))
        lines.append(f"| {name} | `{clause_id}` | {clauses[clause_id]['status']} | {counts} |")
    return lines


def _in_place_section() -> list[str]:
    """Run ``ckpt.interrupted-save`` on fifty trials of a saver that writes in place."""
    folder = tempfile.mkdtemp(prefix="reliability-in-place-")
    report = _run([sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir",
                   folder, "--profile", "tests.neutral_backends:in_place_saver_trials",
                   "--clause", "ckpt.interrupted-save"], folder)
    results = [p["clauses"]["ckpt.interrupted-save"] for p in report["profiles"].values()]
    caught = sum(r["status"] == "failed" for r in results)
    return ["", "## A saver that writes in place", "",
            "`ckpt.interrupted-save` on a NumPy backend whose `save` copies a finished file "
            "over the final one in place (`shutil.copyfile`: truncate, then write; "
            "`tests.neutral_backends.InPlaceSaver`), in "
            f"{len(results)} trials, each freezing the saving child at its own random moments: "
            f"**caught {caught} of {len(results)}** (wall {report['wall_s']:.1f} s)."]


def _attack_section(patterns: list[str], keep: bool) -> list[str]:
    """Run the attack catalogue (those matching ``patterns``, if any) and tabulate it."""
    from benchmarks.attacks.catalogue import ATTACKS
    from benchmarks.attacks.checks import judge
    from benchmarks.attacks.page import render
    from benchmarks.attacks.runner import Runner, previous_reports
    from sedna_conformance.harness.contract.clauses import CLAUSES

    chosen = [a for a in ATTACKS
              if not patterns or any(fnmatch.fnmatchcase(a.name, p) for p in patterns)]
    started = time.monotonic()
    runner = Runner(sys.executable, previous_reports(sys.executable), frozenset(CLAUSES),
                    keep=keep)
    verdicts = []
    for number, attack in enumerate(chosen, 1):
        verdict = judge(runner.run(attack))
        verdicts.append(verdict)
        said = "held" if verdict.held else "NOT HELD: " + "; ".join(verdict.reasons)
        print(f"[{number}/{len(chosen)}] {attack.kind.value}: {attack.name}: exit "
              f"{verdict.observation.run.returncode} ({verdict.observation.run.wall_s:.1f} s): "
              f"{said[:400]}", flush=True)
    runner.close()
    if keep:
        print(f"kept the attacks' folders in {runner.work}")
    return render(verdicts, time.monotonic() - started)


def main() -> int:
    """Run the clauses and the attacks, then write the page."""
    from sedna_conformance.harness.contract.clauses import CLAUSES
    from sedna_conformance.harness.contract.strategies import FEATURE_FAULTS, LABEL_FAULTS

    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="append", default=[])
    parser.add_argument("--out", "--output", dest="out",
                        default=os.path.join(ROOT, "docs", "reliability.md"),
                        help="where to write the page (default: docs/reliability.md)")
    parser.add_argument("--attack", action="append", default=[], metavar="GLOB",
                        help="run only the attacks whose name matches (repeatable)")
    parser.add_argument("--attacks-only", action="store_true",
                        help="skip the robust.*/ckpt.* and isolation sections (a trial run)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each attack's folders (printed at the end)")
    args = parser.parse_args()
    if ROOT not in sys.path:  # benchmarks.attacks and tests.*, for a script run from anywhere
        sys.path.insert(0, ROOT)
    if args.attacks_only:
        lines = ["# Reliability: bad inputs and injected faults", "",
                 "A trial run of the attacks only (`--attacks-only`)."]
        lines += _attack_section(args.attack, args.keep)
        return _write(args.out, lines)
    folder = tempfile.mkdtemp(prefix="reliability-")
    command = [sys.executable, "-m", "sedna_conformance.harness", "run", "--report-dir", folder,
               "-k", "robust or ckpt"]
    for profile in args.profile:
        command += ["--profile", profile]
    report = _run(command, folder)
    names = list(report["profiles"])
    lines = ["# Reliability: bad inputs and injected faults", "",
             "Generated by `python benchmarks/reliability.py` from one run "
             f"(contract {report['contract_version']}; {_environment(report)}).", "",
             "## Bad inputs tried, per method", "",
             "| bad input | train | predict | evaluate |", "|---|---|---|---|"]
    for fault in [*FEATURE_FAULTS, *LABEL_FAULTS]:
        feature = fault in FEATURE_FAULTS
        lines.append(f"| {fault} | yes | {'yes' if feature else '-'} | yes |")
    lines += ["", f"{len(FEATURE_FAULTS) + len(LABEL_FAULTS)} kinds for `train` and `evaluate`, "
              f"{len(FEATURE_FAULTS)} for `predict`; each kind is drawn by hypothesis "
              "(`ci` profile: 4 draws per kind).", "",
              "## Outcomes", "", "| clause | " + " | ".join(names) + " | what is checked |",
              "|---|" + "---|" * len(names) + "---|"]
    for cid, clause in CLAUSES.items():
        if clause.group not in ("robust", "ckpt"):
            continue
        cells = []
        for name in names:
            result = report["profiles"][name]["clauses"].get(cid)
            cells.append(result["status"] if result else "not run")
        lines.append(f"| `{cid}` | " + " | ".join(cells) + f" | {clause.sentence} |")
    notes = [(n, cid, r["message"].splitlines()[0]) for n in names
             for cid, r in report["profiles"][n]["clauses"].items()
             if r["status"] != "passed" and r["message"]]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n} `{cid}`: {m}" for n, cid, m in notes]
    lines += _in_place_section()
    lines += _isolation_section()
    lines += _attack_section(args.attack, args.keep)
    return _write(args.out, lines)


def _write(path: str, lines: list[str]) -> int:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
