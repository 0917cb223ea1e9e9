"""Regenerate the measured part of ``docs/demo.md`` from full runs of the demo.

    python examples/incremental_learning/write_docs.py            # both backends

Runs ``run.py --backend B`` (full size) for each backend as a user would, in a process of
its own, then writes ``docs/images/incremental-accuracy.png`` (accuracy per round and
backend), ``docs/images/incremental-digits.png`` (the test digits whose predicted class
changes between the base and the incremental round) and the tables between the markers
of ``docs/demo.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run as demo  # noqa: E402  (the demo script beside this one)

DOCS = os.path.join(demo.ROOT, "docs")
START = "<!-- measured: written by examples/incremental_learning/write_docs.py -->"
END = "<!-- end of measured -->"
PLOT = "images/incremental-accuracy.png"
GRID = "images/incremental-digits.png"


def run_backend(backend: str, output: str) -> dict[str, Any]:
    """A full run of the demo on ``backend``, in its own process; its ``results.json``."""
    folder = os.path.join(output, backend)
    subprocess.run([sys.executable, os.path.join(HERE, "run.py"), "--backend", backend,
                    "--output", folder], check=True, env={**os.environ, "GLOG_v": "3"})
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def changed(results: dict[str, Any], split: str) -> list[int]:
    """Indices of the ``split`` ("old"/"new") test digits whose class changed between rounds."""
    base, incremental = (r[f"predictions_{split}"] for r in results["rounds"])
    return [i for i, (a, b) in enumerate(zip(base, incremental, strict=True)) if a != b]


def digit_grid(results: dict[str, Any], path: str, columns: int = 12) -> None:
    """Up to two rows of changed new digits and one of changed old digits, each titled
    ``base → incremental`` prediction (green: now right, red: now wrong).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, data = demo._splits(results["quick"])
    rows = [("new", data.new_test, changed(results, "new")[:2 * columns]),
            ("old", data.old_test, changed(results, "old")[:columns])]
    cells = [(name, test, i) for name, test, indices in rows for i in indices]
    n_rows = max(1, -(-len(cells) // columns))
    figure, axes = plt.subplots(n_rows, columns, figsize=(columns * 0.75, n_rows * 0.95),
                                squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (name, test, i) in zip(axes.ravel(), cells, strict=False):
        base, incremental = (r[f"predictions_{name}"][i] for r in results["rounds"])
        ax.imshow(test.x[i, 0, ::4, ::4], cmap="gray", vmin=-1, vmax=1)
        colour = "green" if incremental == test.y[i] else "red"
        ax.set_title(f"{name} {base}→{incremental}", fontsize=7, color=colour)
    figure.tight_layout(pad=0.2)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def section(runs: list[dict[str, Any]]) -> str:
    """The Markdown between the markers."""
    first = runs[0]
    settings = demo.SETTINGS["full"]
    parts = [START, "",
             f"Measured on {os.cpu_count()} CPU cores ({platform.machine()}, Python "
             f"{platform.python_version()}): {settings['n_train']} old training digits, "
             f"{settings['n_hard']} hard examples mined among {settings['n_pool']} new "
             f"ones, {settings['n_test']} test digits of each kind, "
             f"{settings['base_epochs']} base and {settings['incremental_epochs']} "
             "incremental epochs.", ""]
    for results in runs:
        parts += [f"**{results['backend']}** (total {results['total_seconds']} s, "
                  f"deployed: {results['deployed']})", "", demo.table(results), ""]
    n_new, n_old = len(changed(first, "new")), len(changed(first, "old"))
    parts += [f"![Accuracy on old and new digits per round, both backends]({PLOT})", "",
              f"Digits that change class between the base and the incremental round "
              f"({first['backend']}: {n_new} new and {n_old} old test digits; the first "
              "ones shown, titled *base → incremental* prediction, green when the "
              "incremental model is right):", "",
              f"![Test digits whose predicted class changes between rounds]({GRID})", "", END]
    return "\n".join(parts)


def rewrite(path: str, text: str) -> None:
    """Replace the part of ``path`` between the markers (inclusive) with ``text``."""
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    if START not in page or END not in page:
        raise ValueError(f"{path} must hold the markers {START!r} and {END!r}")
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(head + text + tail)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", choices=sorted(demo.ESTIMATORS),
                        default=["mindspore", "tinyms"])
    parser.add_argument("--output", default="incremental-learning-output",
                        help="folder for each backend's models and results.json")
    args = parser.parse_args(argv)
    runs = [run_backend(b, os.path.abspath(args.output)) for b in args.backends]
    demo.plot(runs, os.path.join(DOCS, PLOT))
    digit_grid(runs[0], os.path.join(DOCS, GRID))
    rewrite(os.path.join(DOCS, "demo.md"), section(runs))
    print(f"wrote docs/demo.md, docs/{PLOT} and docs/{GRID}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
