"""Process hygiene shared by every process the suite starts: none outlives its parent.

A child calls :func:`die_with_parent` first thing: on Linux the kernel then sends it
SIGKILL when the process that started it ends, however that ends (SIGKILL included), so a
hung backend in a child can never be left spinning after the run. :func:`kill_group` ends
a child started in a session of its own, with everything it started.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

__all__ = ["die_with_parent", "kill_group"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux; a no-op
    elsewhere). ``parent_pid``: the parent expected; if it has already gone, exit now.
    """
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent ended before the request took effect


def kill_group(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """SIGKILL ``process`` and its process group (it was started with
    ``start_new_session=True``), then reap it; nothing if it has already ended.
    """
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
    process.wait()
