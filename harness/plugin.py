"""The pytest plugin (entry point ``pytest11``): runs ``sedna_conformance.conformance_tests``
against profiles and reports.

It is inert outside a conformance run: it acts only on tests bound to a clause, adds only
``--conformance-*`` options, loads no hypothesis profile (clauses carry their own
settings) and changes xdist's distribution only for clause tests. Its work is split by
job: :mod:`~sedna_conformance.harness.options`, :mod:`~sedna_conformance.harness.collection`,
:mod:`~sedna_conformance.harness.outcomes`, :mod:`~sedna_conformance.harness.reporting`,
:mod:`~sedna_conformance.harness.scheduling` and :mod:`~sedna_conformance.harness.isolation`.
"""

from __future__ import annotations

import pytest

from sedna_conformance.harness.collection import MARKER, Collection
from sedna_conformance.harness.isolation import Isolation, read_child_files
from sedna_conformance.harness.options import RunOptions, add_options
from sedna_conformance.harness.outcomes import Outcomes
from sedna_conformance.harness.reporting import Reporting
from sedna_conformance.harness.run import ConformanceRun
from sedna_conformance.harness.scheduling import Scheduling

__all__ = ["RUN", "conformance_run"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


#: Where the run is kept for the fixture below (a typed key, not a look-up by name).
RUN = pytest.StashKey[ConformanceRun]()


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    """The conformance run this process is part of."""
    return request.config.stash[RUN]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(id): the contract clause a test checks")
    options = RunOptions.from_config(config)
    run = ConformanceRun(options)
    todo = None
    if options.child_journal:
        todo, outcomes = read_child_files(options.child_journal)
        run.outcomes.update(outcomes)
    # Reports are written by the process that is neither an xdist worker nor a child.
    reporting = not hasattr(config, "workerinput") and options.child_journal is None
    config.stash[RUN] = run
    for name, part in (("collection", Collection(run, todo)),
                       ("outcomes", Outcomes(run, reporting)),
                       ("reporting", Reporting(run, config, reporting)),
                       ("isolation", Isolation(run, config, reporting)),
                       ("scheduling", Scheduling())):
        config.pluginmanager.register(part, f"sedna-conformance-{name}")
    xdist_controller = reporting and getattr(config.option, "dist", "no") != "no"
    if options.requested and not xdist_controller:
        run.profiles  # noqa: B018 - a bad --conformance-profile is a usage error, now
