"""The folders of one attack: a working folder, a ``TMPDIR``, a report folder in the state
the attack's :class:`~benchmarks.attacks.model.Folder` says, and a folder the run must
not touch; all under one base folder, removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field

from benchmarks.attacks import full_disk
from benchmarks.attacks.model import Folder

__all__ = ["Scene", "lock_name", "prepare"]

#: The lock file a run keeps in its report folder (``harness.report_files.LOCK_NAME``).
_LOCK_NAME = ".sedna-conformance.lock"
_VICTIM = "victim.md"


@dataclass
class Scene:
    """The folders of one attack: all under ``base``, removed afterwards."""

    base: str
    cwd: str = ""
    tmp: str = ""
    reports: str = ""
    outside: str = ""
    marker: str = ""
    guarded: dict[str, bytes] = field(default_factory=dict)  # path: bytes it must keep
    placed: list[str] = field(default_factory=list)  # report names made folders or links
    previous: dict[str, bytes] = field(default_factory=dict)
    read_only: list[str] = field(default_factory=list)
    captures: list[str] = field(default_factory=list)  # the files holding the runs' output

    def __post_init__(self) -> None:
        for name in ("cwd", "tmp", "outside"):
            setattr(self, name, os.path.join(self.base, name))
            os.makedirs(getattr(self, name))
        self.reports = os.path.join(self.base, "reports")
        self.marker = os.path.join(self.base, "marker")

    def expand(self, text: str) -> str:
        for key in ("reports", "cwd", "outside"):
            text = text.replace("{" + key + "}", getattr(self, key))
        return text

    def guard(self, path: str, data: bytes) -> None:
        with open(path, "wb") as handle:
            handle.write(data)
        self.guarded[path] = data


    @property
    def staging(self) -> str:
        """Where a full-disk attack's previous reports wait to be copied onto its tmpfs."""
        return os.path.join(self.base, "previous")

    def write(self, files: Mapping[str, str]) -> None:
        """Write ``files`` (path relative to the working folder: text) there."""
        for relative, text in files.items():
            path = os.path.join(self.cwd, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(self.expand(text))

    def release(self, remove: bool) -> None:
        """Make the read-only folders writable again; remove everything if ``remove``."""
        for folder in self.read_only:
            with contextlib.suppress(OSError):
                os.chmod(folder, 0o755)
        if remove:
            shutil.rmtree(self.base, onerror=_force_remove)


def lock_name() -> str:
    """The name of the lock file a run keeps in its report folder."""
    try:
        from sedna_conformance.harness.report.files import LOCK_NAME
    except ImportError:
        return _LOCK_NAME
    return str(LOCK_NAME)


def prepare(scene: Scene, folder: Folder, previous: Mapping[str, bytes]) -> None:
    """Put the report folder in the state ``folder`` says."""
    if folder is Folder.FILE:
        scene.guard(scene.reports, b"a file where the report folder should be\n")
    elif folder is Folder.UNDER_FILE:
        scene.guard(os.path.join(scene.base, "afile"), b"a file\n")
        scene.reports = os.path.join(scene.base, "afile", "reports")
    elif folder is Folder.UNDER_READ_ONLY:
        parent = os.path.join(scene.base, "read-only")
        os.makedirs(parent)
        os.chmod(parent, 0o555)
        scene.read_only.append(parent)
        scene.reports = os.path.join(parent, "reports")
    if folder is Folder.FULL_DISK:
        scene.previous = dict(previous)
        full_disk.stage(scene.staging, previous)
    if not folder.has_previous or folder is Folder.FULL_DISK:
        return
    os.makedirs(scene.reports)
    scene.previous = dict(previous)
    for name, data in previous.items():
        with open(os.path.join(scene.reports, name), "wb") as handle:
            handle.write(data)
    for name, kind in ((("conformance.json", Folder.JSON_IS_FOLDER),
                        ("junit.xml", Folder.JUNIT_IS_FOLDER))):
        if folder is kind:
            path = os.path.join(scene.reports, name)
            os.remove(path)
            os.makedirs(path)
            scene.guard(os.path.join(path, "keep.txt"), b"the user's file\n")
            scene.placed.append(name)
            del scene.previous[name]
    if folder is Folder.SYMLINKED:
        victim = os.path.join(scene.outside, _VICTIM)
        scene.guard(victim, b"a file of the user's, outside the report folder\n")
        link = os.path.join(scene.reports, "conformance.md")
        os.remove(link)
        os.symlink(victim, link)
        scene.placed.append("conformance.md")
        del scene.previous["conformance.md"]
    elif folder is Folder.STALE_LOCK:
        with open(os.path.join(scene.reports, lock_name()), "w", encoding="ascii") as handle:
            handle.write("999999999\n")  # a pid no process has
    elif folder is Folder.READ_ONLY:
        for name in previous:
            os.chmod(os.path.join(scene.reports, name), 0o444)
        os.chmod(scene.reports, 0o555)
        scene.read_only.append(scene.reports)


def _force_remove(function: object, path: str, _: object) -> None:
    """``rmtree``'s error handler: make the folder writable and try again."""
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(path), stat.S_IRWXU)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
