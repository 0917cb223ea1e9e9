"""Fixtures of the conformance suite; ``profile`` is parametrized by the plugin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sedna_conformance.harness.contract.clauses import get_clause
from sedna_conformance.harness.contract.profile import Profile
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.kit.run_state import ConformanceRun
from sedna_conformance.harness.plugin.collection import MARKER
from sedna_conformance.harness.processes.servers import S3Server, local_s3, local_s3_missing, own_s3


@pytest.fixture
def conformance(conformance_run: ConformanceRun, profile: Profile,
                request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> ClauseRun:
    """The clause run: fresh backends of ``profile``, data copies, and ``expect``."""
    clause_id = request.node.get_closest_marker(MARKER).args[0]
    folder = tmp_path_factory.mktemp(f"{profile.name}-{clause_id}", numbered=True)
    return ClauseRun(conformance_run, profile, get_clause(clause_id), str(folder))


@pytest.fixture(scope="session")
def s3_server(conformance_run: ConformanceRun) -> Iterator[S3Server]:
    """The S3 server of the ``remote.*`` clauses: the author's (``--conformance-s3-endpoint``)
    or a local one on 127.0.0.1, started on first use and stopped when the session ends.
    """
    options = conformance_run.options
    if options.s3_endpoint:
        yield own_s3(options.s3_endpoint, options.s3_bucket or "")
        return
    missing = local_s3_missing()
    if missing:
        pytest.skip(missing)
    with local_s3() as server:
        yield server
