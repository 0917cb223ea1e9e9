"""Distribution under pytest-xdist: each profile's clauses (and its cached model) stay on
one worker. A session without clause tests is scheduled exactly as without this plugin;
in a session that mixes them, other tests keep the grouping of the chosen mode (``load``:
one test at a time, ``loadfile``: by file, ...).

xdist asks plugins for its scheduler (``pytest_xdist_make_scheduler``). This plugin wraps
the one xdist chose in a :class:`ProfileScheduling` that waits for the workers'
collections: if they hold clause tests, a :class:`ProfileGroups` scheduler (a load-scope
scheduler whose scope of a clause test is its profile) takes over; otherwise the chosen
one runs untouched. Clause tests are recognised by their ids, ``<profile>-<clause id>``,
so nothing depends on how xdist or pytest rewrite node ids.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import pytest

from sedna_conformance.harness.plugin.collection import parse_test_id

__all__ = ["ProfileScheduling", "Scheduling", "profile_group"]


def profile_group(nodeid: str) -> str | None:
    """The profile a clause test's node id runs on, or ``None`` for any other test."""
    parsed = parse_test_id(nodeid)
    return parsed[0] if parsed else None


def _grouped_scheduler(config: pytest.Config, log: Any, default: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class ProfileGroups(LoadScopeScheduling):  # type: ignore[misc]
        """Load-scope scheduling where a clause test's scope is its profile."""

        def _split_scope(self, nodeid: str) -> str:
            group = profile_group(nodeid)
            if group is not None:
                return f"sedna-profile:{group}"
            split = getattr(default, "_split_scope", None)
            return split(nodeid) if split is not None else nodeid  # type: ignore[no-any-return]

    return ProfileGroups(config, log)


class ProfileScheduling:
    """xdist's chosen scheduler until the collections are in; then, if they hold clause
    tests, one that keeps each profile on one worker. Until it decides, both get the
    workers and their collections; after, it is the chosen one in all but identity (its
    ``__class__`` is the chosen one's, so even xdist's verbose log line is unchanged).
    """

    def __init__(self, config: pytest.Config, log: Any, default: Any) -> None:
        self._default = default
        self._grouped = _grouped_scheduler(config, log, default)
        self._chosen: Any = None

    @property
    def _current(self) -> Any:
        return self._chosen if self._chosen is not None else self._default

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._current)

    def _targets(self) -> tuple[Any, ...]:
        return (self._chosen,) if self._chosen is not None else (self._default, self._grouped)

    def _decide(self) -> None:
        if self._chosen is None and self._grouped.collection_is_completed:
            ids = [nodeid for collection in self._grouped.registered_collections.values()
                   for nodeid in collection]
            grouped = any(profile_group(nodeid) for nodeid in ids)
            self._chosen = self._grouped if grouped else self._default

    def add_node(self, node: Any) -> None:
        for scheduler in self._targets():
            scheduler.add_node(node)

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        for scheduler in self._targets():
            scheduler.add_node_collection(node, collection)
        self._decide()

    def remove_node(self, node: Any) -> str | None:
        results = [scheduler.remove_node(node) for scheduler in self._targets()]
        return results[0]  # type: ignore[no-any-return]

    def schedule(self) -> None:
        self._decide()
        self._current.schedule()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)


class Scheduling:
    """The xdist hook: wraps the scheduler xdist chose, in every mode that spreads tests
    over workers (all but ``each``, which runs every test on every worker).
    """

    @pytest.hookimpl(wrapper=True, optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config,
                                    log: Any) -> Generator[None, Any, Any]:
        default = yield
        if default is None or config.getvalue("dist") in ("no", "each"):
            return default
        return ProfileScheduling(config, log, default)
