"""JSON, Markdown, HTML and terminal renderings of a
:class:`~sedna_conformance.harness.contract.results.RunResult`.

Every string a backend or a user can shape (messages, profile names, clause ids from a
merged report, environment values, paths) goes through
:mod:`~sedna_conformance.harness.contract.text` on its way into a report; each file is
written atomically (:func:`~sedna_conformance.harness.report.files.write_text`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sedna_conformance.harness.contract import text
from sedna_conformance.harness.contract.clauses import CLAUSES
from sedna_conformance.harness.contract.results import STATUSES, RunResult, Status
from sedna_conformance.harness.report.files import write_text

__all__ = ["NOT_RUN", "REPORT_FILES", "environment_lines", "html", "interrupted_line",
           "json_text", "markdown", "summary_text", "write_html", "write_json",
           "write_markdown"]

#: What ``sedna-conformance run`` and ``merge`` write in their ``--report-dir``, in this order.
REPORT_FILES = ("conformance.json", "conformance.md", "conformance.html", "junit.xml")
#: How a clause selected but never reached (an interrupted run) shows in the matrices.
NOT_RUN = "not run"

_SYMBOLS = {"passed": "✅ passed", "failed": "❌ failed", "error": "💥 error",
            "crashed": "☠️ crashed", "timed_out": "⏱️ timed_out",
            "blocked": "⛔ blocked", "xfailed": "⚠️ xfailed", "xpassed": "❓ xpassed",
            "skipped": "➖ skipped", NOT_RUN: "⏸️ not run"}
_SHOWN_NOT_RUN = 10  # clause ids listed per profile in the terminal


def _clause_ids(result: RunResult) -> list[str]:
    seen = {cid for clauses in result.profiles.values() for cid in clauses}
    seen |= {cid for ids in result.not_run.values() for cid in ids}
    return [cid for cid in CLAUSES if cid in seen] + sorted(seen - set(CLAUSES))


def _status(result: RunResult, name: str, cid: str) -> str | None:
    """The status of ``cid`` on ``name``, :data:`NOT_RUN`, or ``None`` (not selected)."""
    clause = result.profiles.get(name, {}).get(cid)
    if clause is not None:
        return clause.status
    return NOT_RUN if cid in result.not_run.get(name, ()) else None


def json_text(result: RunResult) -> str:
    """The machine-readable report."""
    return json.dumps(result.to_dict(), indent=2) + "\n"


def write_json(result: RunResult, path: str) -> str | None:
    """Write :func:`json_text` to ``path`` (a note if a symbolic link was replaced)."""
    return write_text(path, json_text(result))


def _counts(result: RunResult, profile: str) -> str:
    return ", ".join(f"{n} {s}" for s, n in result.summary(profile).items() if n)


def interrupted_line(result: RunResult) -> str | None:
    """``INTERRUPTED: why; N clauses not run`` for a run that stopped early, else ``None``
    (without the count where no clause is listed as not run: an xdist controller cannot).
    """
    if not result.interrupted:
        return None
    count = sum(len(ids) for ids in result.not_run.values())
    return (f"INTERRUPTED: {text.first_line(result.interrupted)}"
            + (f"; {count} clause{'' if count == 1 else 's'} not run" if count else ""))


def _unjudged(result: RunResult, name: str) -> str:
    """`` (N not run, M not selected)`` for ``name``'s registry clauses without a result."""
    clauses, not_run = result.profiles.get(name, {}), set(result.not_run.get(name, ()))
    rest = sum(cid not in clauses and cid not in not_run for cid in CLAUSES)
    parts = [f"{len(not_run)} not run"] if not_run else []
    if rest:
        # Without a list of the clauses not reached (an xdist controller has none), the rest
        # of an interrupted run may hold some: do not call them all "not selected".
        unknown = result.interrupted and not result.not_run
        parts.append(f"{rest} {'not run or not selected' if unknown else 'not selected'}")
    return f" ({', '.join(parts)})" if parts else ""


def summary_text(result: RunResult) -> str:
    """A few lines for the terminal: whether the run was interrupted, per profile counts,
    then every non-passing clause and the clauses not run.
    """
    stopped = interrupted_line(result)
    lines = [stopped] if stopped else []
    lines.append(f"contract {text.clean(result.contract_version)}; wall {result.wall_s:.1f} s; "
                 f"harness overhead {100 * result.overhead_share():.1f}% of clause time (the "
                 "rest is backend and framework calls)")
    for name in result.names:
        t = result.totals(name)
        lines.append(f"{text.first_line(name)}: {result.judged(name)} of {len(CLAUSES)} clauses "
                     f"judged{_unjudged(result, name)}: {_counts(result, name) or 'no result'} "
                     f"({t['duration_s']:.1f} s in clauses, {t['backend_s']:.1f} s of it in "
                     "backend/framework calls)")
        adoption = result.adoption_line(name)
        if adoption:
            lines.append(f"  {text.first_line(name)}: {adoption}")
    for name, clauses in result.profiles.items():
        for cid, r in clauses.items():
            if r.status != Status.PASSED:
                lines.append(f"  {text.first_line(name)} {text.first_line(cid)}: {r.status}"
                             + (" (new: not counted)" if r.new else "")
                             + (f" - {text.first_line(r.message)}" if r.message else ""))
    for name, ids in result.not_run.items():
        if ids:
            shown = ", ".join(text.first_line(cid) for cid in ids[:_SHOWN_NOT_RUN])
            more = len(ids) - _SHOWN_NOT_RUN
            lines.append(f"  {text.first_line(name)} not run: {shown}"
                         + (f" and {more} more (conformance.json lists them)" if more > 0 else ""))
    return "\n".join(lines)


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


def _md_clause(cid: str) -> str:
    """A clause id in a Markdown table cell: as code (registry ids), else escaped text."""
    return f"`{cid}`" if cid in CLAUSES else text.md_code(cid, in_table=True)


def markdown(result: RunResult) -> str:
    """A Markdown matrix (clauses × profiles), the messages of non-passing clauses and the
    clauses not run.
    """
    names = result.names
    out = [f"# Sedna backend conformance (contract {text.md_text(result.contract_version)})",
           ""]
    stopped = interrupted_line(result)
    if stopped:
        listed = any(result.not_run.values())
        out += [f"**{text.md_text(stopped)}** (this report is incomplete"
                + ("; the clauses not reached are listed under *Not run*)" if listed else ")"),
                ""]
    environments = environment_lines(result)
    if len(environments) == 1:
        out += [f"Environment: {text.md_text(environments[0][1])}.", ""]
    else:
        out += ["Environments:", ""]
        out += [f"- {text.md_text(', '.join(group))}: {text.md_text(line)}"
                for group, line in environments] + [""]
    if result.merged_from:
        out += ["Merged from: " + ", ".join(text.md_code(p) for p in result.merged_from) + ".",
                ""]
    out += ["| profile | " + " | ".join(STATUSES) + " |",
            "|---|" + "---|" * len(STATUSES)]
    for name in names:
        counts = result.summary(name)
        out.append(f"| {text.md_text(name)} | " + " | ".join(str(counts[s]) for s in STATUSES)
                   + " |")
    adoptions = [(n, line) for n in names if (line := result.adoption_line(n))]
    if adoptions:
        out += [""] + [f"- {text.md_text(n)}: {text.md_text(line)}" for n, line in adoptions]
    out += ["", "| clause | " + " | ".join(text.md_text(n) for n in names) + " | contract |",
            "|---|" + "---|" * len(names) + "---|"]
    for cid in _clause_ids(result):
        cells = [_SYMBOLS[status] if (status := _status(result, n, cid)) else "" for n in names]
        sentence = CLAUSES[cid].sentence.replace("|", "\\|") if cid in CLAUSES else ""
        out.append(f"| {_md_clause(cid)} | " + " | ".join(cells) + f" | {sentence} |")
    notes = [(n, cid, r) for n in names for cid, r in result.profiles.get(n, {}).items()
             if r.status != Status.PASSED and r.message]
    if notes:
        out += ["", "## Notes", ""]
        for name, cid, r in notes:
            new = " (new: not counted)" if r.new else ""
            out += [f"### {text.md_text(name)} · {text.md_code(cid)} · {r.status}{new}", "",
                    *text.md_block(r.message), ""]
    not_run = [(n, ids) for n, ids in result.not_run.items() if ids]
    if not_run:
        out += ["", "## Not run", ""]
        out += [f"- {text.md_text(name)} ({len(ids)}): "
                + ", ".join(text.md_code(cid) for cid in ids) for name, ids in not_run] + [""]
    return "\n".join(out) + "\n"


def write_markdown(result: RunResult, path: str) -> str | None:
    """Write :func:`markdown` to ``path`` (a note if a symbolic link was replaced)."""
    return write_text(path, markdown(result))


def inline_code(sentence: str) -> Any:
    """``sentence`` cleaned and HTML-escaped, with its Markdown `inline code` as ``<code>``
    elements.
    """
    import markupsafe

    escaped = str(markupsafe.escape(text.display(sentence)))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` of the template: strings through :func:`text.display` (markup
    made here is already clean).
    """
    import markupsafe

    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return text.display(value)
    return value


def html(result: RunResult) -> str:
    """The self-contained HTML matrix."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sedna_conformance.harness.report", "templates"),
        autoescape=True, finalize=_finalize)
    env.filters["inline_code"] = inline_code
    names = result.names
    rows: list[dict[str, Any]] = []
    for cid in _clause_ids(result):
        clause = CLAUSES.get(cid)
        rows.append({"id": cid, "sentence": clause.sentence if clause else "",
                     "group": cid.split(".")[0],
                     "cells": [(_status(result, n, cid), result.profiles.get(n, {}).get(cid))
                               for n in names]})
    return env.get_template("matrix.html.j2").render(
        result=result, names=names, rows=rows, statuses=STATUSES,
        environments=environment_lines(result), interrupted=interrupted_line(result),
        adoptions=[(n, line) for n in names if (line := result.adoption_line(n))],
        not_run=[(n, ids) for n, ids in result.not_run.items() if ids],
        summaries={n: result.summary(n) for n in names})


def write_html(result: RunResult, path: str) -> str | None:
    """Write :func:`html` to ``path`` (a note if a symbolic link was replaced)."""
    return write_text(path, html(result))
