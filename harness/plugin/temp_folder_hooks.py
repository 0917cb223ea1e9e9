"""The run's temporary folder (:mod:`~sedna_conformance.harness.processes.temp_folder`) as
pytest hooks: in force from the session's start, hypothesis's storage in it during each clause.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

from sedna_conformance.harness.processes.temp_folder import TempFolder, hypothesis_storage

__all__ = ["TempFolderHooks"]


class TempFolderHooks:
    """The pytest side: the run's temporary folder from the session's start until
    :meth:`close` (``pytest_unconfigure``), and hypothesis's storage in it during each
    clause test.
    """

    def __init__(self, config: pytest.Config, marker: str) -> None:
        self.config = config
        self.marker = marker  # the mark of clause tests
        self.folder = TempFolder()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is not None:  # pytest's own tmp_path folders stay where users look
            factory.getbasetemp()
        self.folder.open()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item,
                                nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
        if self.folder.path is None or item.get_closest_marker(self.marker) is None:
            return (yield)
        with hypothesis_storage(os.path.join(self.folder.path, "hypothesis")):
            return (yield)

    def close(self) -> None:
        """Remove the run's temporary folder (see :meth:`TempFolder.close`)."""
        self.folder.close()
