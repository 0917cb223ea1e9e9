"""Fixtures of the conformance suite; ``profile`` is parametrized by the plugin."""

from __future__ import annotations

import pytest

from sedna_conformance.harness.clause_run import ClauseRun
from sedna_conformance.harness.clauses import get_clause
from sedna_conformance.harness.collection import MARKER
from sedna_conformance.harness.profile import Profile
from sedna_conformance.harness.run import ConformanceRun


@pytest.fixture
def conformance(conformance_run: ConformanceRun, profile: Profile,
                request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> ClauseRun:
    """The clause run: fresh backends of ``profile``, data copies, and ``expect``."""
    clause_id = request.node.get_closest_marker(MARKER).args[0]
    folder = tmp_path_factory.mktemp(f"{profile.name}-{clause_id}", numbered=True)
    return ClauseRun(conformance_run, profile, get_clause(clause_id), str(folder))
