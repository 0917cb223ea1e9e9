"""Outcomes: what each clause test's reports mean as a :class:`ClauseResult`.

A clause whose prerequisite failed (or was blocked) is still judged, so no verdict hides
behind another: if its own checks fail it is ``failed``, naming the prerequisite as a
likely shared cause; if they pass, the pass proves nothing while the prerequisite does not
hold, and it is ``blocked``, naming it. A prerequisite that crashed, timed out or met an
error blocks its dependants before they run (running them would only repeat that), and a
capability the profile lacks skips a clause. A clause is
``failed`` only for what the backend did: an exception from the profile's own functions
or from the harness outside any backend call is an ``error``, naming the step. Each
phase's report then carries one ``ClauseResult`` (as ``report.conformance``), which crosses
to the xdist controller or the isolation supervisor as its dict and is recorded by
whichever process writes the reports.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from sedna_conformance.harness.contract.clauses import CLAUSES, get_clause, prerequisites
from sedna_conformance.harness.contract.errors import SetupError
from sedna_conformance.harness.contract.profile import Capabilities, Profile
from sedna_conformance.harness.contract.results import ClauseResult, Status
from sedna_conformance.harness.kit.failure import (
    Blocked,
    ClauseFailure,
    first_line,
    format_failure,
)
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.plugin.collection import clause_of, parse_test_id, profile_of

__all__ = ["BLOCKING", "JUDGED_ANYWAY", "Outcomes", "has_capability"]

#: Prerequisite statuses that block the clauses requiring them. A declared failure
#: (``xfailed``) does not: the profile said so, and its dependants are still judged.
BLOCKING = (Status.FAILED, Status.CRASHED, Status.TIMED_OUT, Status.ERROR, Status.BLOCKED)
#: Of those, the ones whose dependants are judged anyway: a pass is then ``blocked``.
JUDGED_ANYWAY = (Status.FAILED, Status.BLOCKED)
_BLOCKED_BY = pytest.StashKey[str]()
_UNPROVEN_BY = pytest.StashKey[tuple[str, str]]()


def has_capability(profile: Profile, name: str) -> bool:
    """Whether ``profile`` has capability ``name`` in this process."""
    if name == "has_set_backend" and profile.set_backend is None:
        return False
    if name == "reports_devices" and (profile.gpu_visible is None
                                      or profile.model_device is None):
        return False
    if name == "registered_backend_type" and not profile.backend_type:
        return False
    return bool(getattr(profile.capabilities, name))


def _status(report: pytest.TestReport, item: pytest.Item) -> Status | None:
    """The clause status this phase's report stands for, or ``None`` if it adds nothing."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "setup":
        if report.skipped:
            if xfail:
                return Status.XFAILED
            return Status.BLOCKED if _BLOCKED_BY in item.stash else Status.SKIPPED
        return Status.ERROR if report.failed else None
    if report.when == "call":
        if report.passed:
            return Status.XPASSED if xfail else Status.PASSED
        if report.skipped:
            return Status.XFAILED if xfail else Status.SKIPPED
        return Status.FAILED
    return Status.ERROR if report.failed else None


def _unproven(item: pytest.Item, status: Status, message: str,
              profile_error: bool) -> tuple[Status, str]:
    """The verdict of a clause judged while a prerequisite does not hold: a pass proves
    nothing, and backend output the harness cannot read is that prerequisite's echo (both
    ``blocked``); a failure stands, naming the prerequisite as a likely cause.
    """
    if _UNPROVEN_BY not in item.stash:
        return status, message
    required, required_status = item.stash[_UNPROVEN_BY]
    blocked = f"blocked by {required} ({required_status}): {CLAUSES[required].sentence}"
    if status == Status.PASSED:
        return Status.BLOCKED, (f"{blocked} This clause's own checks passed, which proves "
                                f"nothing while {required} does not hold.")
    if status == Status.ERROR and not profile_error:
        return Status.BLOCKED, (f"{blocked} The harness could not read the backend's output "
                                f"here ({first_line(message)[:160]}).")
    if status == Status.FAILED:
        return status, (f"{message}\n(its prerequisite {required} {required_status} too: "
                        "fix that first, this may be the same fault)")
    return status, message


def _lost_worker(report: pytest.TestReport) -> ClauseResult | None:
    """The result of a clause whose xdist worker died running it (xdist reports that with
    no result of ours), or ``None`` if ``report`` is not about a clause test.
    """
    parsed = parse_test_id(report.nodeid)
    if parsed is None:
        return None
    profile, clause_id = parsed
    message = format_failure(get_clause(clause_id), f"{report.longrepr}", "the clause to finish",
                             "run this profile with --isolate: a clause that kills its process "
                             "is then reported for that clause and the run goes on")
    return ClauseResult(profile, clause_id, Status.CRASHED, message)


class Outcomes:
    """Blocking and skipping before a clause; its result after; recording results."""

    def __init__(self, run: ConformanceRun, reporting: bool) -> None:
        self.run = run
        self.reporting = reporting  # this process records results (not a worker or child)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        clause_id, profile = clause_of(item), profile_of(item)
        if clause_id is None or profile is None:
            return
        reason = profile.not_applicable_reason(clause_id)
        if reason:
            pytest.skip(f"not applicable to profile {profile.name!r}: {reason}")
        instrument = self.run.cache(profile).instrument if CLAUSES[clause_id].observes else None
        for required in prerequisites(clause_id, instrument.name if instrument else None):
            status = self.run.outcomes.get((profile.name, required))
            if status in JUDGED_ANYWAY:
                item.stash.setdefault(_UNPROVEN_BY, (required, status))
            elif status in BLOCKING:
                item.stash[_BLOCKED_BY] = required
                how = (f" (the model's state is {instrument.describe()})"
                       if instrument and required == instrument.clause else "")
                pytest.skip(f"blocked by {required} ({status}): {CLAUSES[required].sentence}"
                            f"{how}")
        for name in get_clause(clause_id).capabilities:
            if not has_capability(profile, name):
                pytest.skip(f"profile {profile.name!r} lacks capability {name!r} here: "
                            f"{Capabilities.sentence(name)}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        clause_id, profile = clause_of(item), profile_of(item)
        status = _status(report, item) if clause_id and profile else None
        if status is None:
            return report
        assert clause_id is not None and profile is not None
        run = getattr(item, "funcargs", {}).get("conformance")
        message = ""
        error = call.excinfo.value if call.excinfo is not None else None
        if isinstance(error, Blocked):
            status, message = Status.BLOCKED, str(error.msg)
        elif status in (Status.FAILED, Status.ERROR, Status.XFAILED) and error is not None:
            calls = run.log.summary() if run is not None else ""
            reproduce = f"{self.run.reproduce(profile, clause_id)}\n{calls}"
            if isinstance(error, ClauseFailure):
                message = str(error)
            elif isinstance(error, SetupError):
                status, message = Status.ERROR, f"{error}\n{reproduce}"
                report.sedna_profile_error = True  # type: ignore[attr-defined]
            elif run is None or not run.log.from_backend(error):
                status = Status.ERROR
                message = (f"the harness raised {type(error).__name__}: {first_line(error)} "
                           f"outside any backend call while judging {clause_id} on "
                           f"{profile.name!r}: not charged to the backend (a harness bug, or "
                           f"backend output it could not read)\n{reproduce}")
            else:
                message = format_failure(get_clause(clause_id),
                                         f"{type(error).__name__}: {first_line(error)}",
                                         "no exception", reproduce, run.cache.framework)
        elif status in (Status.SKIPPED, Status.BLOCKED):
            text = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
            message = text.removeprefix("Skipped: ")
        elif status == Status.XPASSED:
            message = f"unexpectedly passed; declared: {profile.expected_failure(clause_id)}"
        status, message = _unproven(item, status, message,
                                    getattr(report, "sedna_profile_error", False))
        backend_s = run.log.backend_s if run is not None and report.when == "call" else 0.0
        result = ClauseResult(profile.name, clause_id, status, message, report.duration,
                              backend_s)
        if profile.is_new(clause_id):  # shown with its verdict, not counted against the run
            result.new = profile.contract
            if report.failed and status.failing and status is not Status.ERROR:
                report.outcome = "skipped"  # as pytest reports an expected failure
                report.wasxfail = (  # type: ignore[attr-defined]
                    f"{clause_id} is new in contract {CLAUSES[clause_id].since}; profile "
                    f"{profile.name!r} pins {profile.contract}: not counted")
        report.conformance = result  # type: ignore[attr-defined]
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(self, report: Any) -> Generator[None, Any, Any]:
        data = yield
        result = getattr(report, "conformance", None)
        if isinstance(data, dict) and isinstance(result, ClauseResult):
            data["conformance"] = result.to_dict()
        return data

    @pytest.hookimpl(wrapper=True)
    def pytest_report_from_serializable(self, data: Any) -> Generator[None, Any, Any]:
        report = yield
        if report is not None and isinstance(data, dict) and "conformance" in data:
            report.conformance = ClauseResult.from_dict(data["conformance"])
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = getattr(report, "conformance", None)
        if result is None and self.reporting and report.failed:
            result = _lost_worker(report)
        if not isinstance(result, ClauseResult):
            return
        key = (result.profile, result.clause)
        if getattr(report, "sedna_profile_error", False):
            pass  # the profile's own error blocks nothing: each clause meets it and says so
        elif result.status in BLOCKING or key not in self.run.outcomes:
            self.run.outcomes[key] = result.status
        if self.reporting:
            self.run.result.add(result)
