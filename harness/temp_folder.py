"""The run's own temporary folder: what the run, the backends it checks and every process
it starts put in the temporary folder goes into one ``sedna-run-*`` folder, removed when
the run ends (interrupted too), so a run leaves no ``sedna-cache-*`` or ``sedna-model-*``
behind. Hypothesis's storage (its cache of constants; the clauses keep no example
database) goes there too while a clause runs, never into the working folder.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Generator, Iterator
from typing import Any

import pytest

__all__ = ["PREFIX", "TempFolder", "TempFolderHooks", "hypothesis_storage", "lasting_tempdir",
           "remove_tree"]

#: The name the run's temporary folder starts with.
PREFIX = "sedna-run-"

_LASTING: list[str] = []  # the temporary folder before a run took it over


def lasting_tempdir() -> str:
    """The temporary folder as it was before the run took it over: for files that must
    outlive the run (a log a report points to).
    """
    return _LASTING[-1] if _LASTING else tempfile.gettempdir()


class TempFolder:
    """The run's temporary folder, in force from :meth:`open` until :meth:`close`."""

    def __init__(self) -> None:
        self.path: str | None = None
        self._saved: tuple[str | None, str | None] = (None, None)

    def open(self) -> str:
        """Make the folder and make it the temporary folder of this process
        (``tempfile``) and of every process started from now on (``TMPDIR``).
        """
        if self.path is None:
            _LASTING.append(tempfile.gettempdir())
            self.path = tempfile.mkdtemp(prefix=PREFIX)
            self._saved = (tempfile.tempdir, os.environ.get("TMPDIR"))
            tempfile.tempdir = self.path
            os.environ["TMPDIR"] = self.path
            atexit.register(self.close)
        return self.path

    def close(self) -> None:
        """Give the temporary folder back and remove the run's, with all it holds
        (read-only folders included); idempotent.
        """
        if self.path is None:
            return
        path, self.path = self.path, None
        atexit.unregister(self.close)
        tempdir, variable = self._saved
        tempfile.tempdir = tempdir
        if variable is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = variable
        if _LASTING:
            _LASTING.pop()
        remove_tree(path)


def remove_tree(path: str) -> None:
    """Remove ``path`` and everything under it, making read-only folders writable first
    (a clause makes one); what still cannot be removed is left.
    """
    for root, folders, _ in os.walk(path):
        for name in folders:
            folder = os.path.join(root, name)
            with contextlib.suppress(OSError):
                if not os.path.islink(folder):
                    os.chmod(folder, stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def hypothesis_storage(folder: str) -> Iterator[None]:
    """Hypothesis's storage in ``folder`` while the block runs, then as it was: nothing
    written in the working folder (``.hypothesis/``), and the user's own hypothesis setup
    (``HYPOTHESIS_STORAGE_DIRECTORY``, their example database) untouched outside it.
    """
    try:
        from hypothesis import configuration
    except ImportError:
        yield
        return
    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


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
