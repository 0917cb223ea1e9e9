"""Collection: tests bound to clauses (:func:`clause`), parametrized over the run's
profiles, ordered so that prerequisites run first, marked with declared expected
failures, and narrowed to ``--conformance-clause`` (or to an isolated child's share).
"""

from __future__ import annotations

import fnmatch
import re

import pytest

from sedna_conformance.harness.contract.clauses import CLAUSES, get_clause, run_order
from sedna_conformance.harness.contract.profile import Profile
from sedna_conformance.harness.kit.run_state import ConformanceRun

__all__ = ["Collection", "clause", "clause_of", "parse_test_id", "profile_of", "test_id"]

MARKER = "sedna_clause"


def clause(clause_id: str) -> pytest.MarkDecorator:
    """Bind a conformance test to the registry clause ``clause_id``."""
    get_clause(clause_id)
    return getattr(pytest.mark, MARKER)(clause_id)


def test_id(profile_name: str, clause_id: str) -> str:
    """The parametrize id of a clause test: ``<profile>-<clause id>``."""
    return f"{profile_name}-{clause_id}"


_PARAMETRIZED = re.compile(r"(?:^|/)test_\w+\.py::test_\w+\[(?P<id>[^\[\]]+)\]$")


def parse_test_id(nodeid: str) -> tuple[str, str] | None:
    """``(profile, clause id)`` of a clause test's node id, or ``None`` for any other test
    (for processes that see node ids, not items: the xdist controller).
    """
    found = _PARAMETRIZED.search(nodeid.replace("\\", "/"))
    if found is None:
        return None
    for clause_id in CLAUSES:
        profile = found["id"].removesuffix(f"-{clause_id}")
        if profile and profile != found["id"]:
            return profile, clause_id
    return None


def clause_of(item: pytest.Item) -> str | None:
    """The clause id a collected test checks, or ``None`` for any other test."""
    marker = item.get_closest_marker(MARKER)
    return marker.args[0] if marker else None


def profile_of(item: pytest.Item) -> Profile | None:
    """The profile a clause test runs on."""
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("profile") if callspec else None
    return value if isinstance(value, Profile) else None


class Collection:
    """Collection hooks; they touch clause tests only."""

    def __init__(self, run: ConformanceRun, todo: set[str] | None = None) -> None:
        self.run = run
        self.todo = todo  # an isolated child runs only what its supervisor left
        self.order = {cid: i for i, cid in enumerate(run_order())}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker(MARKER)
        if marker is None or "profile" not in metafunc.fixturenames:
            return
        metafunc.parametrize("profile", [pytest.param(p, id=test_id(p.name, marker.args[0]))
                                         for p in self.run.profiles])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        if self.run.usage_problem:  # an xdist worker that refused the run runs nothing
            config.hook.pytest_deselected(items=list(items))
            items[:] = []
            return
        positions = [i for i, item in enumerate(items) if clause_of(item)]
        if not positions:
            return
        rank = {p.name: i for i, p in enumerate(self.run.profiles)}
        clauses = [items[i] for i in positions]
        for item in clauses:
            profile, clause_id = profile_of(item), clause_of(item)
            assert profile is not None and clause_id is not None
            reason = profile.expected_failure(clause_id)
            if reason:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
        clauses.sort(key=lambda it: (rank[profile_of(it).name],  # type: ignore[union-attr]
                                     self.order[clause_of(it)]))  # type: ignore[index]
        for position, item in zip(positions, clauses, strict=True):
            items[position] = item
        dropped = [item for item in items if not self._wanted(item)]
        if dropped:
            items[:] = [item for item in items if self._wanted(item)]
            config.hook.pytest_deselected(items=dropped)

    def _wanted(self, item: pytest.Item) -> bool:
        if self.todo is not None:
            return item.nodeid in self.todo
        clause_id, globs = clause_of(item), self.run.options.clause_globs
        return clause_id is None or not globs or any(
            fnmatch.fnmatchcase(clause_id, g) for g in globs)
