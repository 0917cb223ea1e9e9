"""The documentation's reference pages, generated from the registry: the contract, the
statuses, the report's schema and the command line.

The documentation build (``docs/gen_reference.py``) writes these; nothing in them is
kept by hand.
"""

from __future__ import annotations

import argparse
import json

from sedna_conformance.harness.cli import build_parser
from sedna_conformance.harness.contract.clauses import (
    CLAUSES,
    CONTRACT_VERSION,
    CONTRACT_VERSIONS,
    run_order,
)
from sedna_conformance.harness.contract.profile import Capabilities
from sedna_conformance.harness.contract.results import Status, report_schema

__all__ = ["changelog_markdown", "contract_markdown", "reports_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def contract_markdown() -> str:
    """Every clause of the registry, by group, in the order the harness runs them."""
    groups: dict[str, list[str]] = {}
    for cid in run_order():
        groups.setdefault(CLAUSES[cid].group, []).append(cid)
    lines = [f"# The contract (version {CONTRACT_VERSION})", "",
             f"{len(CLAUSES)} clauses, generated from `harness/contract/clauses.py`. A clause runs "
             "after the clauses it requires; if one of those failed, it is still judged: "
             "its own failure is reported naming that prerequisite, and a pass is reported "
             "`blocked` (it proves nothing while the prerequisite does not hold); one that "
             "crashed, timed out or errored blocks it before it runs. A clause marked "
             "*state* reads the model's state through the "
             "profile's instrument: `get_weights()` when the backend has a working one "
             "(then it also requires `weights.stable`), else predictions on a fixed probe "
             "batch (then `predict.deterministic`). Capabilities are declared by a profile; "
             "a clause needing one the profile lacks is `skipped`.", ""]
    for group, ids in groups.items():
        lines += [f"## `{group}.*`", "",
                  "| clause | rule | methods | requires | fix hint | since |",
                  "|---|---|---|---|---|---|"]
        for cid in ids:
            c = CLAUSES[cid]
            requires = ", ".join([f"`{r}`" for r in c.requires] + ["*state*"] * c.observes)
            if c.capabilities:
                requires += (" " if requires else "") + "capability: " + ", ".join(
                    f"`{n}`" for n in c.capabilities)
            lines.append(f"| <span id=\"{cid}\">`{cid}`</span> | {_cell(c.sentence)} | "
                         f"{', '.join(c.methods)} | {requires} | {_cell(c.fix)} | {c.since} |")
        lines.append("")
    lines += ["## Capabilities", "", "| capability | meaning |", "|---|---|"]
    lines += [f"| `{n}` | {_cell(Capabilities.sentence(n))} |" for n in Capabilities.names()]
    return "\n".join(lines) + "\n"


def changelog_markdown() -> str:
    """Per contract version, newest first: the clauses it added and the rules it changed."""
    lines = ["# Contract changelog", "",
             "Generated from the registry (each clause's `since` and `revised`). A profile "
             "that pins a version (`Profile(contract=\"1.3\")`) sees the clauses added after "
             "it as *new*: they run and their verdicts are shown, but do not fail the run "
             "until the pin is raised (`sedna-conformance list --since 1.3` lists them).", ""]
    for version in reversed(CONTRACT_VERSIONS):
        added = [c for c in CLAUSES.values() if c.since == version]
        changed = [(c, c.revised[version]) for c in CLAUSES.values() if version in c.revised]
        lines += [f"## {version}" + (" (this suite)" if version == CONTRACT_VERSION else ""), ""]
        lines += [f"- added `{c.id}`: {_cell(c.sentence)}" for c in added]
        lines += [f"- changed `{c.id}`: {_cell(note)}" for c, note in changed]
        lines += ["- no clause added or changed"] * (not added and not changed) + [""]
    return "\n".join(lines) + "\n"


def reports_markdown() -> str:
    """Statuses, the JSON Schema of the report, and the command line's help."""
    parser = build_parser()
    helps = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                helps.append(f"$ sedna-conformance {name} --help\n{sub.format_help()}")
    lines = ["# Reports and the command line", "",
             "`sedna-conformance run` (or `pytest --pyargs sedna_conformance.conformance_tests` "
             "with `--conformance-report/-markdown/-html`) writes `conformance.json`, "
             "`conformance.md`, `conformance.html` (a clause × profile matrix) and "
             "`junit.xml` (under pytest, each only where its option names a path: "
             "`--junitxml` for JUnit). All of them are rendered from one result model. "
             "`sedna-conformance merge` joins the reports of runs made in separate "
             "environments into one such set, each profile with the environment it was "
             "judged in.", "",
             "## Statuses", "", "Worst first; a clause run in several variants reports "
             "its worst. The run fails on `failed`, `crashed`, `timed_out` and `error`, and "
             "when a profile had no clause judged (every selected clause skipped, blocked or "
             "deselected).", "",
             "| status | meaning |", "|---|---|"]
    lines += [f"| `{s}` | {_cell(s.meaning)} |" for s in Status]
    lines += ["", "## `conformance.json`", "",
              "Validate a report with any JSON Schema validator; `sedna-conformance schema` "
              "prints this schema.", "", "```json", json.dumps(report_schema(), indent=2),
              "```", "", "## The command line", "",
              "Every argument `run` does not know goes to pytest (`-n 2`, `-x`, `-k`). Under "
              "pytest itself the options are namespaced: `--conformance-profile`, "
              "`--conformance-clause`, `--conformance-hypothesis`, `--conformance-isolate`, "
              "`--conformance-clause-timeout` and the report paths.",
              "", "```text", "\n".join(helps).rstrip(), "```"]
    return "\n".join(lines) + "\n"
