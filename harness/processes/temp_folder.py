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
from collections.abc import Iterator

__all__ = ["PREFIX", "TempFolder", "hypothesis_storage", "lasting_tempdir",
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
