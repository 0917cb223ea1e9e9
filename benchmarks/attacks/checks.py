"""What must hold after an attack: each check judges an :class:`Observation` and says why
it did not hold (``None`` when it held). :func:`checks_of` gives an attack's full list: the
checks every attack gets, those of its kind, and its own.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks.attacks import exits
from benchmarks.attacks.model import Attack, FileState, Kind, Observation, Outcome, Verdict
from benchmarks.attacks.report_state import REPORT_FILES

__all__ = ["AllPassed", "Charged", "Check", "InterruptedReports", "MarkedInterrupted",
           "OneRunRefused", "OutputMentions", "OutsideLacks", "ReportsWritten", "SizesCapped",
           "Verbatim", "checks_of", "judge"]

#: Statuses that make a run fail (``harness.results.FAILING``).
_FAILING = ("failed", "crashed", "timed_out", "error")
#: C0 control characters other than tab, newline and carriage return, and DEL.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Check(Protocol):
    """Something that must hold after an attack."""

    def judge(self, seen: Observation) -> str | None:
        """Why it did not hold, or ``None``."""


def _new_json(seen: Observation) -> dict[str, Any] | None:
    report = seen.reports.get("conformance.json")
    if report is None or report.state is not FileState.COMPLETE:
        return None
    loaded: dict[str, Any] = json.loads(report.text)
    return loaded


def _clauses(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{name}/{cid}": result for name, profile in report["profiles"].items()
            for cid, result in profile["clauses"].items()}


# -- every attack ----------------------------------------------------------------------------

@dataclass(frozen=True)
class EndedInTime:
    def judge(self, seen: Observation) -> str | None:
        late = [i + 1 for i, ran in enumerate(seen.runs) if ran.returncode is None]
        return (f"did not end within {seen.attack.timeout_s:g} s (killed)" if late else None)


@dataclass(frozen=True)
class ExitAsDocumented:
    def judge(self, seen: Observation) -> str | None:
        code = seen.run.returncode
        if code is None:
            return None  # EndedInTime says so
        shots = seen.attack.signals
        killer = shots[-1].signum if shots else signal.SIGKILL
        wanted = {exits.code_of(o, killer): o for o in seen.attack.expect}
        if code in wanted:
            return None
        said = " or ".join(exits.describe(c) for c in wanted)
        return f"exit {exits.describe(code)}, documented: {said}"


@dataclass(frozen=True)
class NoInternalError:
    def judge(self, seen: Observation) -> str | None:
        return ("INTERNALERROR in the output"
                if any("INTERNALERROR" in ran.output for ran in seen.runs) else None)


@dataclass(frozen=True)
class NoReportLost:
    def judge(self, seen: Observation) -> str | None:
        lost = [f"{r.name} {r.why}" for r in seen.reports.values() if r.state is FileState.LOST]
        return f"report lost: {'; '.join(lost)}" if lost else None


@dataclass(frozen=True)
class NoOrphans:
    def judge(self, seen: Observation) -> str | None:
        return (f"{len(seen.orphans)} process(es) left running: {'; '.join(seen.orphans)}"
                if seen.orphans else None)


@dataclass(frozen=True)
class NoTempLeft:
    def judge(self, seen: Observation) -> str | None:
        if not seen.attack.clean_temp or not seen.temp_left:
            return None
        return f"left {len(seen.temp_left)} temporary folder(s): {', '.join(seen.temp_left)}"


@dataclass(frozen=True)
class NoHypothesisFolder:
    def judge(self, seen: Observation) -> str | None:
        return ".hypothesis/ left in the working folder" if seen.hypothesis_left else None


@dataclass(frozen=True)
class NoSecretLeaked:
    def judge(self, seen: Observation) -> str | None:
        return (f"credentials leaked into {', '.join(seen.secrets)}" if seen.secrets else None)


@dataclass(frozen=True)
class Untouched:
    def judge(self, seen: Observation) -> str | None:
        return (f"changed what it had to leave alone: {', '.join(seen.guarded_changed)}"
                if seen.guarded_changed else None)


_EVERY = (EndedInTime(), ExitAsDocumented(), NoInternalError(), NoReportLost(), NoOrphans(),
          NoTempLeft(), NoHypothesisFolder(), NoSecretLeaked(), Untouched())


# -- bad inputs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class OneLineError:
    """stderr is one line, naming the argument (one of the attack's ``names``)."""

    def judge(self, seen: Observation) -> str | None:
        text = seen.run.stderr.decode("utf-8", "replace")
        if "Traceback" in seen.run.output:
            return "a traceback"
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) != 1:
            return f"{len(lines)} lines on stderr, not one" + (
                f" (first: {lines[0][:100]!r})" if lines else "")
        names = seen.attack.names
        if names and not any(n in lines[0] for n in names):
            return f"the error names none of {list(names)}: {lines[0][:160]!r}"
        return None


@dataclass(frozen=True)
class PreviousIntact:
    """The report folder is as it was: every previous file byte-identical, none new."""

    def judge(self, seen: Observation) -> str | None:
        touched = [r.name for r in seen.reports.values()
                   if r.state in (FileState.COMPLETE, FileState.LOST)]
        return f"changed the previous reports: {', '.join(touched)}" if touched else None


# -- faults and signals ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReportsWritten:
    """Every report is a complete new one."""

    names: tuple[str, ...] = REPORT_FILES

    def judge(self, seen: Observation) -> str | None:
        missing = [n for n in self.names if n not in seen.reports
                   or seen.reports[n].state is not FileState.COMPLETE]
        return f"not written: {', '.join(missing)}" if missing else None


@dataclass(frozen=True)
class Charged:
    """The fault costs ``count`` clauses (``None``: at least one), each with one of
    ``statuses`` and a message matching ``mentions`` (a regular expression); no other
    clause fails or errs.
    """

    statuses: tuple[str, ...] = ("failed",)
    count: int | None = 1
    mentions: str = ""

    def judge(self, seen: Observation) -> str | None:
        report = _new_json(seen)
        if report is None:
            return None  # NoReportLost or ReportsWritten says why
        charged = {k: r for k, r in _clauses(report).items() if r["status"] in _FAILING}
        counts = ", ".join(f"{k}: {r['status']}" for k, r in list(charged.items())[:4])
        if (self.count is None and not charged) or (self.count is not None
                                                    and len(charged) != self.count):
            return (f"{len(charged)} clause(s) charged, expected "
                    f"{self.count if self.count is not None else 'at least 1'}"
                    + (f" ({counts}{'...' if len(charged) > 4 else ''})" if charged else ""))
        wrong = {k: r["status"] for k, r in charged.items() if r["status"] not in self.statuses}
        if wrong:
            return f"charged as {wrong}, expected {' or '.join(self.statuses)}"
        if self.mentions and not all(re.search(self.mentions, r["message"])
                                     for r in charged.values()):
            return f"a charged clause's message does not match {self.mentions!r}"
        return None


@dataclass(frozen=True)
class AllPassed:
    def judge(self, seen: Observation) -> str | None:
        report = _new_json(seen)
        if report is None:
            return None
        bad = {k: f"{r['status']}: {r['message'][:100]}" for k, r in _clauses(report).items()
               if r["status"] not in ("passed", "skipped")}
        return f"not every clause passed: {bad}" if bad else None


@dataclass(frozen=True)
class MarkedInterrupted:
    """Every report written says the run was interrupted, and so does the terminal."""

    def judge(self, seen: Observation) -> str | None:
        report = _new_json(seen)
        problems = []
        if report is not None and not report.get("interrupted"):
            problems.append("conformance.json")
        for name in ("conformance.md", "conformance.html"):
            file = seen.reports.get(name)
            if file and file.state is FileState.COMPLETE and "interrupted" not in file.text.lower():
                problems.append(name)
        if "interrupted" not in seen.run.output.lower():
            problems.append("the terminal")
        return f"not marked interrupted: {', '.join(problems)}" if problems else None


@dataclass(frozen=True)
class InterruptedReports:
    """A run that exits as interrupted (or must) wrote every report, marked interrupted;
    one killed by the signal (where the attack allows it) left the previous ones as they were.
    """

    def judge(self, seen: Observation) -> str | None:
        interrupted = exits.code_of(Outcome.INTERRUPTED)
        if seen.run.returncode == interrupted or seen.attack.expect == (Outcome.INTERRUPTED,):
            problems = [why for check in (ReportsWritten(), MarkedInterrupted())
                        if (why := check.judge(seen))]
            return "; ".join(problems) or None
        return PreviousIntact().judge(seen)


@dataclass(frozen=True)
class SizesCapped:
    """Each report file and the terminal output stay under their sizes (bytes)."""

    limits: tuple[tuple[str, int], ...]
    output: int

    def judge(self, seen: Observation) -> str | None:
        over = [f"{name} {len(seen.reports[name].text.encode()) / 1e6:.1f} MB"
                for name, limit in self.limits if name in seen.reports
                and len(seen.reports[name].text.encode()) > limit]
        printed = sum(len(r.stdout) + len(r.stderr) for r in seen.runs)
        if printed > self.output:
            over.append(f"terminal {printed / 1e6:.1f} MB")
        return f"message not capped: {', '.join(over)}" if over else None


@dataclass(frozen=True)
class Verbatim:
    """No raw control bytes and no raw markup (``forbidden``) in the reports written or the
    terminal; Markdown table rows keep their column count.
    """

    forbidden: tuple[str, ...] = ()

    def judge(self, seen: Observation) -> str | None:
        places = {n: r.text.encode() for n, r in seen.reports.items()
                  if r.state is FileState.COMPLETE and n != "conformance.json"}
        places["terminal"] = b"".join(r.stdout + r.stderr for r in seen.runs)
        raw = [n for n, data in places.items() if _CONTROL.search(data)]
        problems = [f"raw control bytes in {', '.join(raw)}"] if raw else []
        markup = {n: data.decode("utf-8", "replace") for n, data in places.items()
                  if n != "terminal"}
        if "conformance.md" in markup:  # code is shown as it is: only the rest is markup
            markup["conformance.md"] = _outside_code(markup["conformance.md"])
        for text in self.forbidden:  # "\\<" is an escaped "<" in Markdown
            where = [n for n, data in markup.items()
                     if re.search(r"(?<!\\)" + re.escape(text), data)]
            if where:
                problems.append(f"raw {text!r} in {', '.join(where)}")
        markdown = seen.reports.get("conformance.md")
        if markdown and markdown.state is FileState.COMPLETE:
            broken = _broken_rows(markdown.text)
            if broken:
                problems.append(f"Markdown table row broken: {broken[:80]!r}")
        return "; ".join(problems) or None


def _outside_code(markdown: str) -> str:
    """``markdown`` without its fenced code blocks and inline code spans."""
    kept, fence = [], ""
    for line in markdown.splitlines():
        opening = re.match(r"\s{0,3}(`{3,}|~{3,})", line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        kept.append(re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", line))
    return "\n".join(kept)


def _broken_rows(text: str) -> str:
    """The first Markdown table row whose cell count differs from its header's."""
    width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line)) - 2
        if width is None:
            width = cells
        elif cells != width:
            return line
    return ""


@dataclass(frozen=True)
class OutputMentions:
    """Some run's output matches ``pattern`` (``what`` says what it should say)."""

    pattern: str
    what: str

    def judge(self, seen: Observation) -> str | None:
        if any(re.search(self.pattern, ran.output, re.IGNORECASE) for ran in seen.runs):
            return None
        return f"the output does not say {self.what}"


@dataclass(frozen=True)
class OutsideLacks:
    """The run created no file ``name`` in the folder it must not touch."""

    name: str
    meaning: str

    def judge(self, seen: Observation) -> str | None:
        return self.meaning if self.name in seen.outside else None


@dataclass(frozen=True)
class OneRunRefused:
    """Of two runs into one folder, one writes its reports and the other is refused with
    one line (the folder holds one run's set, checked by NoReportLost).
    """

    def judge(self, seen: Observation) -> str | None:
        codes = [ran.returncode for ran in seen.runs]
        usage = exits.code_of(Outcome.USAGE)
        refused = [ran for ran in seen.runs if ran.returncode == usage]
        if len(refused) != 1:
            return (f"exits {codes}: both ran to the end and wrote into the same folder"
                    if not refused else f"exits {codes}: both refused")
        lines = [line for line in refused[0].stderr.decode("utf-8", "replace").splitlines()
                 if line.strip()]
        if len(lines) != 1:
            return f"the refused run printed {len(lines)} lines on stderr, not one"
        return None


def checks_of(attack: Attack) -> tuple[Check, ...]:
    """Every check ``attack`` is judged by."""
    kind: tuple[Check, ...] = ()
    if attack.kind is Kind.BAD_INPUT:
        kind = (OneLineError(), PreviousIntact())
    elif attack.kind is Kind.BACKEND_FAULT:
        kind = (ReportsWritten(),)
    elif attack.kind is Kind.SIGNAL and Outcome.INTERRUPTED in attack.expect:
        kind = (InterruptedReports(),)
    return (*_EVERY, *kind, *attack.checks)


def judge(seen: Observation) -> Verdict:
    """``seen`` against every check of its attack."""
    if seen.skipped:
        return Verdict(seen, ())
    reasons = [f"not carried out: {seen.problem}"] if seen.problem else []
    reasons += [why for check in checks_of(seen.attack) if (why := check.judge(seen))]
    return Verdict(seen, tuple(reasons))
