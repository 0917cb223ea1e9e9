"""Report files written safely: each one atomically and on its own, and a report folder
used by one run at a time.

A report is written to a temporary file in its folder and renamed over its path: a reader
sees the previous file or the new one, never a part, and a write that fails (a full disk,
a folder in the way) leaves the previous file as it was. The rename replaces a symbolic
link at the path with the report itself: nothing is ever written through a link (the
file it pointed to is left as it was, and the run says so).

:class:`FolderLock` keeps two runs from writing into one report folder at once: the second
is refused with a usage error naming the first one's pid.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from dataclasses import dataclass

from sedna_conformance.harness.contract.exit_codes import ExitCode
from sedna_conformance.harness.contract.text import clean

__all__ = ["LOCK_NAME", "REPORTS_NOT_WRITTEN", "FolderBusy", "FolderLock", "Unwritten",
           "why", "write_text"]

#: Exit status of a run that ran but could not write one of its reports (see ExitCode).
REPORTS_NOT_WRITTEN = ExitCode.REPORTS_NOT_WRITTEN

#: The lock file a run keeps in each of its report folders while it runs.
LOCK_NAME = ".sedna-conformance.lock"


def _mode() -> int:
    """Permissions of a new report: as ``open`` would give it under this process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_text(path: str, text: str) -> str | None:
    """Write ``text`` (UTF-8) to ``path`` atomically; raises ``OSError`` or
    ``UnicodeError`` with the previous file untouched. Returns a note when ``path`` was a
    symbolic link (replaced by the report, its target untouched), else ``None``.
    """
    data = text.encode("utf-8")  # before any file is touched
    if os.path.isdir(path) and not os.path.islink(path):
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way", path)
    note = None
    if os.path.islink(path):
        note = (f"{clean(path)} was a symbolic link (to {clean(os.readlink(path))}); "
                "replaced by the report, the file it pointed to left as it was")
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.",
                                         suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), _mode())
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return note


@dataclass(frozen=True)
class Unwritten:
    """A report that could not be written, and why (one line for the terminal)."""

    path: str
    why: str

    def line(self) -> str:
        return f"report not written: {clean(self.path)}: {clean(self.why)}"


def why(error: BaseException) -> str:
    """What went wrong, in a few words, for :class:`Unwritten`."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, UnicodeError):
        return f"its text is not valid UTF-8 ({error})"
    return f"{type(error).__name__}: {error}"


class FolderBusy(Exception):
    """Another run holds the report folder."""

    def __init__(self, folder: str, pid: str) -> None:
        self.folder, self.pid = folder, pid
        super().__init__(f"report folder {clean(folder)}: another run (pid {pid or 'unknown'}) "
                         "is writing its reports there; wait for it to end, or give this run "
                         "another report folder")


class FolderLock:
    """An exclusive ``flock`` on :data:`LOCK_NAME` in each of some folders, for one run.

    The lock file holds the owner's pid and is removed on :meth:`release`; the kernel
    drops the lock if the process dies first (a later run takes over the stale file).
    """

    def __init__(self, folders: list[str]) -> None:
        self.folders = sorted({os.path.abspath(f) for f in folders})
        self._held: list[tuple[str, int]] = []

    def acquire(self) -> None:
        """Take every folder's lock (creating the folders); raises :class:`FolderBusy` or
        ``OSError``, holding none of them then.
        """
        try:
            for folder in self.folders:
                os.makedirs(folder, exist_ok=True)
                self._held.append((folder, self._take(os.path.join(folder, LOCK_NAME), folder)))
        except BaseException:
            self.release()
            raise

    @staticmethod
    def _take(path: str, folder: str) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        while True:
            fd = os.open(path, flags, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                os.close(fd)
                raise FolderBusy(folder, pid) from None
            except BaseException:
                os.close(fd)
                raise
            mine = os.fstat(fd)
            try:
                there = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                there = None
            if there is not None and (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
                return fd
            os.close(fd)  # its owner removed it as we opened it: take the new one

    def release(self) -> None:
        """Remove the lock files and let the locks go (again: nothing)."""
        while self._held:
            folder, fd = self._held.pop()
            try:
                os.unlink(os.path.join(folder, LOCK_NAME))
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
