"""The attack sections of ``docs/reliability.md``: the figures, then one row per attack."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.attacks import exits
from benchmarks.attacks.model import Kind, Verdict

__all__ = ["figures", "render"]


def _cell(text: str) -> str:
    for char in "\\|`*_":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ").replace("<", "&lt;")


def _held(verdicts: Sequence[Verdict], kind: Kind) -> tuple[int, int]:
    mine = [v for v in verdicts if v.observation.attack.kind is kind]
    return sum(v.held for v in mine), len(mine)


def figures(verdicts: Sequence[Verdict]) -> dict[str, str]:
    """The summary figures, by name, as the page prints them."""
    seen = [v.observation for v in verdicts]
    faults = [o for o in seen if o.attack.kind is Kind.BACKEND_FAULT]
    kinds = len({o.attack.fault for o in faults})
    bad_held, bad = _held(verdicts, Kind.BAD_INPUT)
    fault_held, _ = _held(verdicts, Kind.BACKEND_FAULT)
    loss_held, loss = _held(verdicts, Kind.DATA_LOSS)
    signal_held, signals = _held(verdicts, Kind.SIGNAL)
    leaks = [o for o in seen if o.secrets]
    skipped = sum(bool(v.skipped) for v in verdicts)
    clean = [o for o in seen if o.attack.clean_temp]
    killed = [o for o in seen if not o.attack.clean_temp]
    return {
        "bad inputs tried": str(bad),
        "bad inputs handled as documented": f"{bad_held} of {bad}",
        "backend faults tried": f"{kinds} kinds over {len(faults)} runs",
        "faults survived": f"{fault_held} of {len(faults)}",
        "data-loss scenarios held": f"{loss_held} of {loss}",
        "signal attacks held": f"{signal_held} of {signals}",
        "reports lost (must be 0)": str(sum(o.lost for o in seen)),
        "orphans left (must be 0)": str(sum(len(o.orphans) for o in seen)),
        "temporary folders left": f"{sum(len(o.temp_left) for o in clean)} (by "
                                  f"{sum(bool(o.temp_left) for o in clean)} runs; "
                                  f"{sum(len(o.temp_left) for o in killed)} more after a "
                                  "SIGKILL, which nothing can clean up)",
        ".hypothesis/ left in the working folder": f"{sum(o.hypothesis_left for o in seen)} runs",
        "secrets leaked": f"{sum(len(o.secrets) for o in leaks)} places (in {len(leaks)} runs)",
        "attacks held": f"{sum(v.held for v in verdicts)} of {len(verdicts)}"
                        + (f" ({skipped} skipped on this machine)" if skipped else ""),
    }


def render(verdicts: Sequence[Verdict], wall_s: float) -> list[str]:
    """The page's lines for the attacks."""
    lines = ["", "## Attacks on the command line, the reports and the run", "",
             f"{len(verdicts)} attacks ({wall_s:.0f} s), each a run of the real CLI "
             "(`python -m sedna_conformance.harness`) from a fresh working folder with a fresh "
             "`TMPDIR`, its report folder holding a previous complete report set where it "
             "matters, every process it starts marked by an environment variable, and "
             "`ACCESS_KEY_ID`/`SECRET_ACCESS_KEY` set to fresh random values. Catalogue: "
             "`benchmarks/attacks/catalogue.py`; hostile profiles: `tests/attack_profiles.py`, "
             "`tests/interrupt_profiles.py`.", "",
             "A report is *lost* when, after the run, it is neither the previous file byte "
             "for byte nor a complete new one (JSON that parses and holds every profile, or "
             "says it was interrupted; Markdown and HTML that end properly and hold every "
             "clause of the JSON; XML that parses). An *orphan* is a process the run started "
             "still running 2 s "
             "after it ended. Exit statuses: "
             + "; ".join(f"{code} {meaning}" for code, meaning in
                         sorted(exits.documented().items())) + ".", "",
             "| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in figures(verdicts).items()]
    for kind in Kind:
        mine = [v for v in verdicts if v.observation.attack.kind is kind]
        if not mine:
            continue
        lines += ["", f"### {kind.value.capitalize()}s", "",
                  "| attack | what | exit | verdict |", "|---|---|---|---|"]
        for verdict in mine:
            seen = verdict.observation
            codes = ", ".join(exits.describe(r.returncode) for r in seen.runs)
            said = verdict.skipped or ("held" if verdict.held
                                       else "**NOT HELD**: " + "; ".join(verdict.reasons))
            notes = []
            if seen.stray:
                notes.append(f"left in the report folder: {', '.join(seen.stray)}")
            if seen.other_temp:
                notes.append(f"left in TMPDIR: {', '.join(seen.other_temp)}")
            if notes:
                said += f" ({'; '.join(notes)})"
            lines.append(f"| {_cell(seen.attack.name)} | {_cell(seen.attack.what)} | "
                         f"{_cell(codes)} | {_cell(said[:600])} |")
    return lines
