"""Fixtures of the conformance suite; ``profile`` is parametrized by the plugin."""

from __future__ import annotations

import pytest

from harness.clauses import get_clause
from harness.profile import Profile
from harness.session import ClauseRun


@pytest.fixture
def conformance(profile: Profile, request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> ClauseRun:
    """The clause run: fresh backends of ``profile``, data copies, and ``expect``."""
    marker = request.node.get_closest_marker("sedna_clause")
    folder = tmp_path_factory.mktemp(f"{profile.name}-{marker.args[0]}", numbered=True)
    return ClauseRun(profile, get_clause(marker.args[0]), str(folder))
