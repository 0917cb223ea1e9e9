"""The result model every report is generated from."""

from __future__ import annotations

import dataclasses
import enum
import platform
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

from sedna_conformance.harness.contract.clauses import CONTRACT_VERSION
from sedna_conformance.harness.contract.text import JSON_LIMIT, for_json, valid_utf8

__all__ = [
    "SCHEMA_VERSION",
    "STATUSES",
    "STATUS_MEANINGS",
    "SUITE_DISTRIBUTION",
    "ClauseResult",
    "RunResult",
    "Status",
    "environment",
    "report_schema",
    "version_of",
]


class Status(enum.StrEnum):
    """Every status a clause can have, worst first; each is its JSON string."""

    FAILED = "failed"
    CRASHED = "crashed"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    BLOCKED = "blocked"
    XPASSED = "xpassed"
    XFAILED = "xfailed"
    SKIPPED = "skipped"
    PASSED = "passed"

    @property
    def meaning(self) -> str:
        """What the status means (the report schema and the docs are generated from this)."""
        return _MEANINGS[self]

    @property
    def failing(self) -> bool:
        """Whether the status makes a run fail."""
        return self in (Status.FAILED, Status.CRASHED, Status.TIMED_OUT, Status.ERROR)

    @property
    def judged(self) -> bool:
        """Whether a clause with this status reached a verdict (neither skipped nor blocked)."""
        return self not in (Status.SKIPPED, Status.BLOCKED)


_MEANINGS = {
    Status.FAILED: "the backend broke the clause",
    Status.CRASHED: "the process running the clause died (segfault, abort); isolated runs only",
    Status.TIMED_OUT: "the clause ran past the clause timeout (--clause-timeout; "
                      "--conformance-clause-timeout under pytest) and its process was ended; "
                      "isolated runs only",
    Status.ERROR: "the clause could not be set up or torn down",
    Status.BLOCKED: "not run because a prerequisite clause failed, crashed, timed out, errored "
                    "or was itself blocked (a declared expected failure blocks nothing)",
    Status.XPASSED: "passed although the profile declares it an expected failure",
    Status.XFAILED: "failed as the profile declares",
    Status.SKIPPED: "not applicable: the profile lacks a capability the clause needs, or "
                    "declares the clause not applicable (not_applicable), with the reason",
    Status.PASSED: "the backend meets the clause",
}
#: Every status, worst first, as strings (kept for readers of the old name).
STATUSES = tuple(status.value for status in Status)
_SEVERITY = {status: len(Status) - i for i, status in enumerate(Status)}
#: Statuses that make a run fail.
FAILING = tuple(status for status in Status if status.failing)
#: What each status means, by its string.
STATUS_MEANINGS = {status.value: status.meaning for status in Status}


@dataclass
class ClauseResult:
    """The verdict of one clause on one profile: the one object that travels from the clause
    test to every report (across xdist workers and isolated children as its dict).

    A clause reports once per pytest phase (setup, call, teardown) and may run in variants;
    :meth:`merge` folds them into the worst status, adding the times.
    """

    profile: str
    clause: str
    status: Status
    message: str = ""
    duration_s: float = 0.0
    backend_s: float = 0.0
    new: str | None = None
    """The contract version the profile pins, when the clause appeared after it: its verdict
    is shown, not counted."""

    def __post_init__(self) -> None:
        try:
            self.status = Status(self.status)
        except ValueError:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}") from None

    @property
    def judged(self) -> bool:
        """Whether the clause reached a verdict (it was neither skipped nor blocked)."""
        return self.status.judged

    def merge(self, other: ClauseResult) -> None:
        """Fold in another phase or variant: the worst status wins, times add up."""
        if _SEVERITY[other.status] > _SEVERITY[self.status]:
            self.status, self.message = other.status, other.message
        self.duration_s += other.duration_s
        self.backend_s += other.backend_s

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (how it crosses process boundaries): plain types only."""
        return {**asdict(self), "status": self.status.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClauseResult:
        """Rebuild a result from :meth:`to_dict`."""
        return cls(**data)


#: The version of this report's schema: raised whenever a field is added or changes meaning.
SCHEMA_VERSION = "2"
#: The distribution of this suite (its version goes into every report and ``--version``).
SUITE_DISTRIBUTION = "sedna-conformance"


def version_of(distribution: str) -> str | None:
    """The installed version of ``distribution`` (``None`` if it is not installed)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


#: Distributions of the ML frameworks Sedna's backends wrap (and their data libraries),
#: looked up by name (never imported) for the report's ``environment.frameworks``.
FRAMEWORK_DISTRIBUTIONS = ("torch", "torchvision", "tensorflow", "tensorflow-cpu", "keras",
                           "mindspore", "tinyms", "scikit-learn", "xgboost", "jax",
                           "paddlepaddle", "onnxruntime")


#: Keys of :func:`environment` kept for old readers only (the run's environment, not a
#: profile's).
_DEPRECATED_ENVIRONMENT_KEYS = ("mindspore", "tinyms")


def environment() -> dict[str, Any]:
    """The interpreter, NumPy, the platform and every ML framework installed here (by
    distribution name, with its version), read without importing anything.

    ``mindspore`` and ``tinyms`` at the top level are deprecated (contract 1.5): read
    ``frameworks`` instead; they are still written, and will be removed in a later release.
    """
    frameworks = {name: version for name in FRAMEWORK_DISTRIBUTIONS
                  if (version := version_of(name)) is not None}
    return {"python": sys.version.split()[0], "numpy": version_of("numpy"),
            "platform": platform.platform(), "frameworks": frameworks,
            "mindspore": frameworks.get("mindspore"), "tinyms": frameworks.get("tinyms")}


@dataclass
class RunResult:
    """Results of one run: ``profiles[name][clause_id]``; or of several, joined by
    ``sedna-conformance merge`` (:mod:`~sedna_conformance.harness.report.merge`).

    ``environment`` is where this report was made (the run, or the merge); a profile judged
    elsewhere has its own in ``environments`` (:meth:`environment_of` reads either).
    ``merged_from`` lists a merge's inputs; ``interrupted`` says why a run stopped early, and
    ``not_run`` lists, per profile, the clauses selected that got no result.
    """

    profiles: dict[str, dict[str, ClauseResult]] = field(default_factory=dict)
    contract_version: str = CONTRACT_VERSION
    environment: dict[str, Any] = field(default_factory=environment)
    wall_s: float = 0.0
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    merged_from: tuple[str, ...] = ()
    interrupted: str | None = None
    not_run: dict[str, list[str]] = field(default_factory=dict)
    suite_version: str | None = field(default_factory=lambda: version_of(SUITE_DISTRIBUTION))

    @property
    def names(self) -> list[str]:
        """Every profile of the report: those with results, then those with none but
        clauses not run.
        """
        return list(self.profiles) + [n for n in self.not_run if n not in self.profiles]

    def environment_of(self, profile: str) -> dict[str, Any]:
        """The environment ``profile`` was judged in (without the deprecated top-level
        framework keys: ``frameworks`` has them).
        """
        env = self.environments.get(profile, self.environment)
        return {k: v for k, v in env.items() if k not in _DEPRECATED_ENVIRONMENT_KEYS}

    def add(self, result: ClauseResult) -> None:
        """Take in one phase/variant result of a clause on a profile."""
        clauses = self.profiles.setdefault(result.profile, {})
        if result.clause in clauses:
            clauses[result.clause].merge(result)
        else:
            clauses[result.clause] = dataclasses.replace(result)

    def judged(self, profile: str) -> int:
        """How many of ``profile``'s clauses reached a verdict (not skipped, not blocked)."""
        return sum(r.judged for r in self.profiles.get(profile, {}).values())

    def summary(self, profile: str) -> dict[str, int]:
        """``{status: count}`` for ``profile``, every status present."""
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.profiles.get(profile, {}).values():
            counts[result.status] += 1
        return counts

    def totals(self, profile: str) -> dict[str, float]:
        """Seconds over ``profile``'s clauses: in all, inside backend/framework calls, the rest."""
        clauses = self.profiles.get(profile, {}).values()
        duration = sum(r.duration_s for r in clauses)
        backend = sum(r.backend_s for r in clauses)
        return {"duration_s": round(duration, 3), "backend_s": round(backend, 3),
                "overhead_s": round(max(duration - backend, 0.0), 3)}

    def overhead_share(self) -> float:
        """Share of all clause time spent outside backend and framework calls."""
        totals = [self.totals(name) for name in self.profiles]
        duration = sum(t["duration_s"] for t in totals)
        return sum(t["overhead_s"] for t in totals) / duration if duration else 0.0

    def failed(self) -> bool:
        """Whether any clause failed unexpectedly (or errored) on any profile; a clause newer
        than the contract its profile pins does not count.
        """
        return any(r.status in FAILING and not r.new
                   for c in self.profiles.values() for r in c.values())

    def adoption_line(self, profile: str) -> str | None:
        """For a profile that pins an older contract: how many clauses are newer, and how
        many of them would fail; ``None`` if it pins none or none is newer.
        """
        new = [r for r in self.profiles.get(profile, {}).values() if r.new]
        if not new:
            return None
        failing = sum(r.status in FAILING for r in new)
        return (f"{len(new)} clauses newer than contract {new[0].new}: {failing} would fail; "
                "raise `contract` to adopt them")

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's content."""
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "contract_version": self.contract_version,
            "suite_version": self.suite_version,
            "environment": self.environment,
            "wall_s": round(self.wall_s, 3),
            "profiles": {
                name: {"summary": self.summary(name), "totals": self.totals(name),
                       "environment": self.environment_of(name),
                       "clauses": {cid: {"status": r.status, "message": for_json(r.message),
                                         "duration_s": round(r.duration_s, 4),
                                         "backend_s": round(r.backend_s, 4),
                                         **({"new": r.new} if r.new else {})}
                                   for cid, r in clauses.items()}}
                for name, clauses in self.profiles.items()},
        }
        if self.merged_from:
            data["merged_from"] = list(self.merged_from)
        if self.interrupted:
            data["interrupted"] = self.interrupted
        not_run = {name: list(ids) for name, ids in self.not_run.items() if ids}
        if not_run:
            data["not_run"] = not_run
        return _valid(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Rebuild a result from a report :func:`report_schema` validates (:meth:`to_dict`);
        a report older than per-profile environments gives each profile the run's.
        """
        result = cls(contract_version=data["contract_version"],
                     environment=data["environment"], wall_s=data["wall_s"],
                     merged_from=tuple(data.get("merged_from", ())),
                     interrupted=data.get("interrupted"),
                     suite_version=data.get("suite_version"),
                     not_run={name: list(ids) for name, ids in data.get("not_run", {}).items()})
        for name, profile in data["profiles"].items():
            result.profiles[name] = {
                cid: ClauseResult(name, cid, c["status"], c["message"], c["duration_s"],
                                  c["backend_s"], c.get("new"))
                for cid, c in profile["clauses"].items()}
            result.environments[name] = profile.get("environment", data["environment"])
        return result


def _valid(value: Any) -> Any:
    """``value`` with every string in it (keys too) valid UTF-8 (:func:`valid_utf8`)."""
    if isinstance(value, str):
        return valid_utf8(value)
    if isinstance(value, dict):
        return {_valid(k): _valid(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid(v) for v in value]
    return value


def report_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the JSON report, generated from :data:`STATUSES`."""
    seconds = {"type": "number", "minimum": 0}
    clause = {"type": "object", "required": ["status", "message", "duration_s", "backend_s"],
              "properties": {"status": {"enum": list(STATUSES),
                                        "description": "; ".join(f"{s}: {m}" for s, m
                                                                 in STATUS_MEANINGS.items())},
                             "message": {"type": "string",
                                         "description": "the clause's message in full, as "
                                                        "valid UTF-8 (a lone surrogate as its "
                                                        "escape); cut after "
                                                        f"{JSON_LIMIT} characters, with a note"},
                             "duration_s": seconds, "backend_s": seconds,
                             "new": {"type": "string",
                                     "description": "present when the clause appeared after "
                                                    "the contract version its profile pins "
                                                    "(this one): its status is shown, not "
                                                    "counted against the run"}}}
    summary = {"type": "object", "required": list(STATUSES), "additionalProperties": False,
               "properties": {s: {"type": "integer", "minimum": 0} for s in STATUSES}}
    totals = {"type": "object", "required": ["duration_s", "backend_s", "overhead_s"],
              "properties": {"duration_s": seconds, "backend_s": seconds,
                             "overhead_s": seconds}}
    frameworks = {"type": "object",
                  "description": "every ML framework installed where the run ran: "
                                 "distribution name -> version",
                  "additionalProperties": {"type": "string"}}
    run_environment = {"type": "object", "required": ["python", "numpy", "platform",
                                                      "frameworks"],
                       "properties": {"frameworks": frameworks}}
    profile = {"type": "object", "required": ["summary", "totals", "clauses"],
               "properties": {
                   "summary": summary, "totals": totals,
                   "environment": {**run_environment,
                                   "description": "where this profile was judged (Python, "
                                                  "NumPy, platform, frameworks); absent from "
                                                  "reports older than `merge`: read the "
                                                  "top-level environment"},
                   "clauses": {"type": "object", "additionalProperties": clause}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Sedna backend conformance report",
        "type": "object",
        "required": ["contract_version", "environment", "wall_s", "profiles"],
        "properties": {
            "schema_version": {"type": "string",
                               "description": "the version of this schema; absent before 2"},
            "contract_version": {"type": "string"},
            "suite_version": {"type": ["string", "null"],
                              "description": "the sedna-conformance release that wrote the "
                                             "report (null if not installed as a package)"},
            "environment": {
                **run_environment,
                "description": "where this report was made: the run's, or for a merged "
                               "report where `merge` ran; where a profile was judged is its "
                               "profiles.<name>.environment",
                "properties": {
                    "frameworks": frameworks,
                    "mindspore": {"type": ["string", "null"], "deprecated": True,
                                  "description": "deprecated: read frameworks.mindspore"},
                    "tinyms": {"type": ["string", "null"], "deprecated": True,
                               "description": "deprecated: read frameworks.tinyms"}}},
            "wall_s": {**seconds, "description": "the run's wall-clock time; for a merged "
                                                 "report, its inputs' added up"},
            "profiles": {"type": "object", "additionalProperties": profile},
            "merged_from": {"type": "array", "items": {"type": "string"},
                            "description": "only in a report written by `sedna-conformance "
                                           "merge`: its input reports, as given to it"},
            "interrupted": {"type": "string",
                            "description": "only in the report of a run that stopped before "
                                           "its end (interrupted, -x, --maxfail): why; "
                                           "`merge` refuses it"},
            "not_run": {"type": "object",
                        "description": "only where some selected clauses got no result (the "
                                       "run was interrupted or stopped early): profile name "
                                       "-> the ids of those clauses",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
    }
