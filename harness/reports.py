"""JSON, Markdown, HTML and terminal renderings of a
:class:`~sedna_conformance.harness.results.RunResult`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sedna_conformance.harness.clauses import CLAUSES
from sedna_conformance.harness.results import STATUSES, RunResult

__all__ = ["REPORT_FILES", "environment_lines", "summary_text", "write_html", "write_json",
           "write_markdown"]

#: What ``sedna-conformance run`` and ``merge`` write in their ``--report-dir``, in this order.
REPORT_FILES = ("conformance.json", "conformance.md", "conformance.html", "junit.xml")

_SYMBOLS = {"passed": "✅ passed", "failed": "❌ failed", "error": "💥 error",
            "crashed": "☠️ crashed", "timed_out": "⏱️ timed_out",
            "blocked": "⛔ blocked", "xfailed": "⚠️ xfailed", "xpassed": "❓ xpassed",
            "skipped": "➖ skipped"}


def _clause_ids(result: RunResult) -> list[str]:
    seen = {cid for clauses in result.profiles.values() for cid in clauses}
    return [cid for cid in CLAUSES if cid in seen] + sorted(seen - set(CLAUSES))


def write_json(result: RunResult, path: str) -> None:
    """The machine-readable report."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(result.to_dict(), handle, indent=2)
        handle.write("\n")


def _counts(result: RunResult, profile: str) -> str:
    return ", ".join(f"{n} {s}" for s, n in result.summary(profile).items() if n)


def summary_text(result: RunResult) -> str:
    """A few lines for the terminal: per profile counts, then every non-passing clause."""
    lines = [f"contract {result.contract_version}; wall {result.wall_s:.1f} s; harness "
             f"overhead {100 * result.overhead_share():.1f}% of clause time (the rest is "
             "backend and framework calls)"]
    for name, clauses in result.profiles.items():
        t = result.totals(name)
        lines.append(f"{name}: {result.judged(name)} of {len(CLAUSES)} clauses judged"
                     + (f" ({len(CLAUSES) - len(clauses)} not selected)"
                        if len(clauses) < len(CLAUSES) else "")
                     + f": {_counts(result, name)} ({t['duration_s']:.1f} s in clauses, "
                     f"{t['backend_s']:.1f} s of it in backend/framework calls)")
    for name, clauses in result.profiles.items():
        for cid, r in clauses.items():
            if r.status != "passed":
                lines.append(f"  {name} {cid}: {r.status}"
                             + (f" - {r.message.splitlines()[0][:160]}" if r.message else ""))
    return "\n".join(lines)


def _escape_md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _environment_text(env: dict[str, Any]) -> str:
    frameworks = ", ".join(f"{k} {v}" for k, v in env.get("frameworks", {}).items())
    return (f"python {env.get('python')}, numpy {env.get('numpy')}, frameworks: "
            f"{frameworks or 'none'}; {env.get('platform')}")


def environment_lines(result: RunResult) -> list[tuple[list[str], str]]:
    """Each environment the profiles were judged in (Python, NumPy, the frameworks installed
    and the platform, in one line) with the profiles judged there: one for a single run.
    """
    lines: dict[str, list[str]] = {}
    for name in result.profiles:
        lines.setdefault(_environment_text(result.environment_of(name)), []).append(name)
    if not lines:
        return [([], _environment_text(result.environment))]
    return [(names, line) for line, names in lines.items()]


def write_markdown(result: RunResult, path: str) -> None:
    """A Markdown matrix (clauses × profiles) and the messages of non-passing clauses."""
    names = list(result.profiles)
    out = [f"# Sedna backend conformance (contract {result.contract_version})", ""]
    environments = environment_lines(result)
    if len(environments) == 1:
        out += [f"Environment: {environments[0][1]}.", ""]
    else:
        out += ["Environments:", ""]
        out += [f"- {', '.join(group)}: {line}" for group, line in environments] + [""]
    if result.merged_from:
        out += ["Merged from: " + ", ".join(f"`{p}`" for p in result.merged_from) + ".", ""]
    out += ["| profile | " + " | ".join(STATUSES) + " |",
            "|---|" + "---|" * len(STATUSES)]
    for name in names:
        counts = result.summary(name)
        out.append(f"| {name} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    out += ["", "| clause | " + " | ".join(names) + " | contract |",
            "|---|" + "---|" * len(names) + "---|"]
    for cid in _clause_ids(result):
        cells = [_SYMBOLS[result.profiles[n][cid].status] if cid in result.profiles[n] else ""
                 for n in names]
        sentence = CLAUSES[cid].sentence if cid in CLAUSES else ""
        out.append(f"| `{cid}` | " + " | ".join(cells) + f" | {_escape_md(sentence)} |")
    notes = [(n, cid, r) for n in names for cid, r in result.profiles[n].items()
             if r.status != "passed" and r.message]
    if notes:
        out += ["", "## Notes", ""]
        for name, cid, r in notes:
            out += [f"### {name} · `{cid}` · {r.status}", "", "```", r.message, "```", ""]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out) + "\n")


def inline_code(text: str) -> Any:
    """``text`` HTML-escaped, with its Markdown `inline code` as ``<code>`` elements."""
    import markupsafe

    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def html(result: RunResult) -> str:
    """The self-contained HTML matrix."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sedna_conformance.harness", "templates"), autoescape=True)
    env.filters["inline_code"] = inline_code
    names = list(result.profiles)
    rows: list[dict[str, Any]] = []
    for cid in _clause_ids(result):
        clause = CLAUSES.get(cid)
        rows.append({"id": cid, "sentence": clause.sentence if clause else "",
                     "group": cid.split(".")[0],
                     "cells": [result.profiles[n].get(cid) for n in names]})
    return env.get_template("matrix.html.j2").render(
        result=result, names=names, rows=rows, statuses=STATUSES,
        environments=environment_lines(result),
        summaries={n: result.summary(n) for n in names})


def write_html(result: RunResult, path: str) -> None:
    """Write :func:`html` to ``path``."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(html(result))
