"""The pytest plugin that runs ``conformance_tests`` against profiles and reports.

Registered under ``pytest11``, so it is active wherever the package is installed; it
only acts on tests marked with a clause. Options: ``--profile`` (repeatable),
``--conformance-report``, ``--conformance-markdown``, ``--conformance-html``,
``--isolate`` and ``--clause-timeout`` (see :mod:`harness.isolation`); the hypothesis
profiles ``ci``, ``dev`` and ``thorough`` are registered for
``--hypothesis-profile`` (default ``ci``).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Generator
from typing import Any

import pytest

from harness.checks import ClauseFailure, first_line, format_failure
from harness.clauses import CLAUSES, get_clause, prerequisites, run_order
from harness.isolation import (
    CHILD_OPTION,
    DEFAULT_CLAUSE_TIMEOUT,
    Journal,
    Watchdog,
    read_child_files,
    supervise,
)
from harness.profile import Capabilities, Profile, bundled_profile_names, get_profile, load_profiles
from harness.results import RunResult

__all__ = ["clause"]

_ORDER = {cid: i for i, cid in enumerate(run_order())}
_BLOCKING = ("failed", "crashed", "timed_out", "error", "blocked", "xfailed")


def _register_hypothesis_profiles() -> None:
    from hypothesis import HealthCheck, settings

    common: dict[str, Any] = {
        "deadline": None, "database": None, "report_multiple_bugs": False,
        "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                  HealthCheck.data_too_large]}
    settings.register_profile("ci", derandomize=True, max_examples=4, print_blob=True, **common)
    settings.register_profile("dev", max_examples=15, print_blob=True, **common)
    settings.register_profile("thorough", max_examples=100, print_blob=True, **common)


_register_hypothesis_profiles()


def clause(clause_id: str) -> pytest.MarkDecorator:
    """Bind a conformance test to the registry clause ``clause_id``."""
    get_clause(clause_id)
    return pytest.mark.sedna_clause(clause_id)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sedna-conformance", "Sedna backend conformance")
    group.addoption("--profile", action="append", default=[], metavar="NAME|module:attr",
                    help="profile to check (repeatable); default: every bundled profile "
                         "whose framework imports")
    group.addoption("--conformance-report", metavar="PATH", help="write the JSON report")
    group.addoption("--conformance-markdown", metavar="PATH", help="write the Markdown report")
    group.addoption("--conformance-html", metavar="PATH", help="write the HTML matrix")
    group.addoption("--isolate", action="store_true",
                    help="run each profile's clauses in a child process, so a clause that "
                         "crashes or hangs the interpreter is reported crashed/timed_out "
                         "and the run goes on (profiles can ask for this: isolate=True)")
    group.addoption("--clause-timeout", type=float, default=DEFAULT_CLAUSE_TIMEOUT,
                    metavar="SECONDS",
                    help="in isolated runs, a clause running longer is reported timed_out "
                         f"(default {DEFAULT_CLAUSE_TIMEOUT:g})")
    group.addoption(CHILD_OPTION, help=argparse.SUPPRESS)


class ConformancePlugin:
    """Per-session state: profiles, prerequisite outcomes, and the result model."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._profiles: list[Profile] | None = None
        self.outcomes: dict[tuple[str, str], str] = {}
        self.result = RunResult()
        self.started = time.perf_counter()
        self.journal: Journal | None = None
        self.watchdog: Watchdog | None = None
        self.todo: set[str] | None = None
        child = config.getoption("sedna_child_journal")
        if child:
            self.journal = Journal(child)
            self.watchdog = Watchdog(self.journal, config.getoption("clause_timeout"))
            self.todo, self.outcomes = read_child_files(child)

    @property
    def reporting(self) -> bool:
        """Whether this process writes the reports (not an xdist worker, not a child)."""
        return not hasattr(self.config, "workerinput") and self.journal is None

    @property
    def profiles(self) -> list[Profile]:
        """The profiles to check, resolved on first use (that imports the frameworks)."""
        if self._profiles is None:
            specs = self.config.getoption("profile")
            from harness.session import PROFILE_SPECS

            if not specs:
                specs = [n for n in bundled_profile_names() if get_profile(n).available()]
            profiles = []
            for spec in specs:
                for loaded in load_profiles(spec):
                    PROFILE_SPECS[loaded.name] = spec
                    profiles.append(loaded)
            names = [p.name for p in profiles]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise pytest.UsageError(f"profile names must be unique, repeated: {duplicates}")
            self._profiles = profiles
        return self._profiles

    # -- collection -------------------------------------------------------------------
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker("sedna_clause")
        if marker is None or "profile" not in metafunc.fixturenames:
            return
        clause_id = marker.args[0]
        # The group mark must exist before pytest-xdist's workers read it in their own
        # collection hook, so that each profile (and its cached model) stays on one worker.
        metafunc.parametrize("profile", [
            pytest.param(p, marks=pytest.mark.xdist_group(p.name), id=f"{p.name}-{clause_id}")
            for p in self.profiles])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        positions = [i for i, item in enumerate(items) if _clause_of(item)]
        conformance = [items[i] for i in positions]
        order = {p.name: i for i, p in enumerate(self.profiles)} if conformance else {}
        for item in conformance:
            profile, clause_id = _profile_of(item), _clause_of(item)
            assert profile is not None and clause_id is not None
            reason = profile.expected_failure(clause_id)
            if reason:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
        conformance.sort(key=lambda it: (order[_profile_of(it).name],  # type: ignore[union-attr]
                                         _ORDER[_clause_of(it)]))  # type: ignore[index]
        for position, item in zip(positions, conformance, strict=True):
            items[position] = item
        if self.todo is not None:  # an isolated child runs what its supervisor left
            dropped = [item for item in items if item.nodeid not in self.todo]
            items[:] = [item for item in items if item.nodeid in self.todo]
            self.config.hook.pytest_deselected(items=dropped)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """On the xdist controller: workers group by profile too (they parse ``-n`` as load)."""
        if getattr(self.config.option, "dist", "no") == "loadgroup":
            node.workerinput["sedna_loadgroup"] = True

    # -- isolation --------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """With isolation, run the isolated profiles' clauses under :func:`supervise`."""
        if not self.reporting or session.config.option.collectonly:
            return None
        everything = self.config.getoption("isolate")
        isolated = [item for item in session.items if _clause_of(item) and (
            everything or getattr(_profile_of(item), "isolate", False))]
        if not isolated:
            return None
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(f"{session.testsfailed} errors during collection")
        chosen = set(isolated)
        in_process = [item for item in session.items if item not in chosen]
        for i, item in enumerate(in_process):
            nextitem = in_process[i + 1] if i + 1 < len(in_process) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail or session.shouldstop:
                return True
        groups: dict[str, list[pytest.Item]] = {}
        for item in isolated:
            groups.setdefault(_profile_of(item).name, []).append(item)  # type: ignore[union-attr]
        supervise(session, list(groups.values()), outcomes=self.outcomes,
                  timeout=self.config.getoption("clause_timeout"), lost_report=self._lost_report)
        return True

    def _lost_report(self, item: pytest.Item, status: str, what: str,
                     log_path: str) -> list[tuple[str, Any]]:
        clause_id, profile = _clause_of(item), _profile_of(item)
        assert clause_id is not None and profile is not None
        if status == "timed_out":
            observed = (f"still running after {self.config.getoption('clause_timeout'):g} s "
                        f"(--clause-timeout); {what}")
        else:
            observed = what
        message = format_failure(get_clause(clause_id), observed, "the clause to finish",
                                 f"reproduce: profile={profile.name} seed={profile.seed}; "
                                 f"the child's output (stacks included): {log_path}")
        return [("sedna_profile", profile.name), ("sedna_clause", clause_id),
                ("sedna_status", status), ("sedna_message", message), ("sedna_backend_s", 0.0)]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        if self.journal is None or self.watchdog is None:
            yield
            return
        self.journal.write("start", item.nodeid)
        self.watchdog.start(item.nodeid)
        try:
            yield
        finally:
            self.watchdog.stop()
            self.journal.write("finish", item.nodeid)

    # -- running ----------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        clause_id, profile = _clause_of(item), _profile_of(item)
        if clause_id is None or profile is None:
            return
        for required in prerequisites(clause_id):
            status = self.outcomes.get((profile.name, required))
            if status in _BLOCKING:
                item.user_properties.append(("sedna_blocked", required))
                pytest.skip(f"blocked by {required} ({status}): "
                            f"{CLAUSES[required].sentence}")
        for name in get_clause(clause_id).capabilities:
            if not _has_capability(profile, name):
                pytest.skip(f"profile {profile.name!r} lacks capability {name!r} here: "
                            f"{Capabilities.sentence(name)}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        clause_id, profile = _clause_of(item), _profile_of(item)
        if clause_id is None or profile is None:
            return
        status = _status(report, item)
        if status is None:
            return
        message = ""
        run = getattr(item, "funcargs", {}).get("conformance")
        if status in ("failed", "error", "xfailed") and call.excinfo is not None:
            error = call.excinfo.value
            if isinstance(error, ClauseFailure):
                message = str(error)
            else:
                calls = run.log.summary() if run is not None else ""
                message = format_failure(get_clause(clause_id),
                                         f"{type(error).__name__}: {first_line(error)}",
                                         "no exception", f"reproduce: profile={profile.name}"
                                         f" seed={profile.seed}\n{calls}")
        elif status in ("skipped", "blocked"):
            message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        elif status == "xpassed":
            message = f"unexpectedly passed; declared: {profile.expected_failure(clause_id)}"
        backend_s = run.log.backend_s if run is not None and report.when == "call" else 0.0
        report.user_properties.extend([
            ("sedna_profile", profile.name), ("sedna_clause", clause_id),
            ("sedna_status", status), ("sedna_message", message),
            ("sedna_backend_s", backend_s)])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.journal is not None:  # an isolated child: stream it to the supervisor
            data = self.config.hook.pytest_report_to_serializable(config=self.config,
                                                                  report=report)
            self.journal.write("report", report.nodeid, report=data)
        props: dict[str, Any] = dict(report.user_properties)
        if "sedna_status" not in props:
            return
        key, status = (props["sedna_profile"], props["sedna_clause"]), props["sedna_status"]
        if status in _BLOCKING or key not in self.outcomes:
            self.outcomes[key] = status
        if not self.reporting:
            return  # xdist workers and children: the controller records what they send
        self.result.record(props["sedna_profile"], props["sedna_clause"], props["sedna_status"],
                           props["sedna_message"], report.duration, props["sedna_backend_s"])

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.reporting:
            return
        self.result.wall_s = time.perf_counter() - self.started
        from harness import reports

        for option, writer in (("conformance_report", reports.write_json),
                               ("conformance_markdown", reports.write_markdown),
                               ("conformance_html", reports.write_html)):
            path = self.config.getoption(option)
            if path:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
                writer(self.result, path)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reporting or not self.result.profiles:
            return
        from harness import reports

        terminalreporter.section("Sedna conformance")
        terminalreporter.write_line(reports.summary_text(self.result))


def _status(report: pytest.TestReport, item: pytest.Item) -> str | None:
    """The clause status this phase's report stands for, or ``None`` if it adds nothing."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "setup":
        if report.skipped:
            if xfail:
                return "xfailed"
            blocked = any(k == "sedna_blocked" for k, _ in item.user_properties)
            return "blocked" if blocked else "skipped"
        return "error" if report.failed else None
    if report.when == "call":
        if report.passed:
            return "xpassed" if xfail else "passed"
        if report.skipped:
            return "xfailed" if xfail else "skipped"
        return "failed"
    return "error" if report.failed else None


def _clause_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("sedna_clause")
    return marker.args[0] if marker else None


def _profile_of(item: pytest.Item) -> Profile | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("profile") if callspec else None
    return value if isinstance(value, Profile) else None


def _has_capability(profile: Profile, name: str) -> bool:
    if name == "registered_backend_type" and not profile.backend_type:
        return False
    if name == "enforced_permissions" and hasattr(os, "geteuid") and os.geteuid() == 0:
        return False
    return bool(getattr(profile.capabilities, name))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sedna_clause(id): the contract clause a test checks")
    config.addinivalue_line("markers", "xdist_group(name): run on the same pytest-xdist worker")
    if not config.getoption("hypothesis_profile", None):
        from hypothesis import settings

        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    if config.getoption("isolate") and getattr(config.option, "dist", "no") != "no":
        raise pytest.UsageError("--isolate runs each profile in its own child process; "
                                "drop -n/--dist (pytest-xdist) when isolating")
    if getattr(config, "workerinput", {}).get("sedna_loadgroup"):
        config.option.loadgroup = True  # read by pytest-xdist's worker when it collects
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"  # keep each profile (and its cached model) on one worker
    config.pluginmanager.register(ConformancePlugin(config), "sedna-conformance-session")
