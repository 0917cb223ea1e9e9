"""A run whose report folder is on a nearly full file system, without touching the host:
run as ``unshare --mount --propagation private -- python -m benchmarks.attacks.full_disk
REPORTS STAGING COMMAND...``, it mounts a small tmpfs at ``REPORTS`` in a mount namespace of
its own, copies the previous reports from ``STAGING`` into it, fills it up,
runs ``COMMAND``, and copies what the folder then holds to :func:`after` (the mount goes
away with the namespace).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping

__all__ = ["FILLER", "after", "stage"]

#: The file that fills the file system.
FILLER = "filler"
_SIZE = "192k"


def after(reports: str) -> str:
    """Where the report folder's content is copied once the run has ended."""
    return reports + "-after"


def stage(folder: str, files: Mapping[str, bytes]) -> None:
    """Write the previous report set to ``folder`` (copied onto the small file system)."""
    os.makedirs(folder)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(data)


def _fill(folder: str) -> None:
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with open(os.path.join(folder, FILLER), "wb") as handle:
        handle.write(b"\0" * free)


def main(argv: list[str]) -> int:
    reports, staging, command = argv[0], argv[1], argv[2:]
    os.makedirs(reports)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={_SIZE}", "tmpfs", reports], check=True)
    for name in os.listdir(staging):
        shutil.copyfile(os.path.join(staging, name), os.path.join(reports, name))
    _fill(reports)
    code = subprocess.call(command)
    shutil.copytree(reports, after(reports), symlinks=True)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
