"""The pytest plugin (entry point ``pytest11``): runs ``sedna_conformance.conformance_tests``
against profiles and reports.

It is inert outside a conformance run: it acts only on tests bound to a clause, adds only
``--conformance-*`` options (and a hidden one for its isolated children), loads no
hypothesis profile (clauses carry their own settings) and changes xdist's distribution
only for clause tests. Its work is split by job, one module each in this folder:
``collection``, ``outcomes``, ``session_end`` (the reports), ``scheduling``,
``isolated_runs``, ``interruption``, ``redaction`` (the options:
:mod:`~sedna_conformance.harness.options`).
"""

from __future__ import annotations

import pytest

from sedna_conformance.harness.discovery import (
    check_spec,
    extend_search_path,
    specs_to_run,
)
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.options import Role, RunOptions, add_options
from sedna_conformance.harness.plugin.collection import MARKER, Collection
from sedna_conformance.harness.plugin.interruption import Interruption
from sedna_conformance.harness.plugin.isolated_runs import Isolation, read_child_files
from sedna_conformance.harness.plugin.outcomes import Outcomes
from sedna_conformance.harness.plugin.redaction import Redaction
from sedna_conformance.harness.plugin.scheduling import Scheduling
from sedna_conformance.harness.plugin.session_end import Reporting
from sedna_conformance.harness.plugin.temp_folder_hooks import TempFolderHooks

__all__ = ["RUN", "conformance_run"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


#: Where the run is kept for the fixture below (a typed key, not a look-up by name).
RUN = pytest.StashKey[ConformanceRun]()
#: The run's temporary folder (a conformance run only).
TEMP = pytest.StashKey[TempFolderHooks]()


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    """The conformance run this process is part of."""
    return request.config.stash[RUN]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(id): the contract clause a test checks")
    options, role = RunOptions.from_config(config), Role.of(config)
    if role is Role.ISOLATED_CHILD:  # started with -P: its parent's path
        extend_search_path()
    run = ConformanceRun(options)
    todo = None
    if role is Role.ISOLATED_CHILD and options.child_journal:
        todo, outcomes = read_child_files(options.child_journal)
        run.outcomes.update(outcomes)
    reporting = role.writes_reports
    config.stash[RUN] = run
    interruption = Interruption(run.result)
    interruption.install()  # a signal from here on ends the run in order
    for name, part in (("collection", Collection(run, todo)),
                       ("outcomes", Outcomes(run, reporting)),
                       ("reporting", Reporting(run, config, reporting)),
                       ("isolation", Isolation(run, config, reporting)),
                       ("interruption", interruption),
                       ("scheduling", Scheduling()),
                       ("redaction", Redaction(config))):
        config.pluginmanager.register(part, f"sedna-conformance-{name}")
    if options.requested or any("conformance_tests" in str(arg) for arg in config.args):
        temp = config.stash[TEMP] = TempFolderHooks(config, MARKER)
        config.pluginmanager.register(temp, "sedna-conformance-temp-folder")
        _check_profiles(run, role)
        interruption.install()  # resolving the profiles imported frameworks, with handlers


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN in config.stash:
        config.stash[RUN].close()
    if TEMP in config.stash:  # after the run: its zygotes and caches are in there
        config.stash[TEMP].close()


def _check_profiles(run: ConformanceRun, role: Role) -> None:
    """A conformance run's profile errors are usage errors, said once, before collection.

    The xdist controller collects nothing, so it checks the specs without importing any
    framework; every other process resolves the profiles it is about to run.
    """
    if role is Role.CONTROLLER:
        try:
            specs, _ = specs_to_run(run.options.profile_specs)
        except LookupError as error:
            raise pytest.UsageError(str(error)) from None
        for spec in specs:
            try:
                check_spec(spec)
            except LookupError as error:
                raise pytest.UsageError(f"profile {spec!r}: {error}") from None
        return
    if role is not Role.WORKER:
        run.profiles  # noqa: B018  (a usage error now, before collection)
        return
    try:
        isolating = [p.name for p in run.profiles if p.isolate]
    except pytest.UsageError as error:
        run.refuse(str(error))
        return
    if isolating:
        run.refuse(f"profiles {isolating} ask to be isolated (isolate=True), which runs them "
                   "in child processes; drop -n/--dist (pytest-xdist)")
