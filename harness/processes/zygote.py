"""Start the clauses' helper processes (:mod:`~sedna_conformance.harness.processes.helper`)
cheaply.

A :class:`Zygote` serves the profiles of a run that preload the same modules. On Linux it
is a process that imports those ``preload`` modules once (a framework: about 1 s for
MindSpore, 2 s with TinyMS) and then forks each child from there; elsewhere, or if it
cannot start, each child is a fresh interpreter. A forked child is a real
process with its own environment (set after the fork, so nothing that reads the
environment when imported should be preloaded), working folder and standard streams, and
nothing done in it yet: the zygote never builds a backend or calls the framework. It can
crash or be killed like any process.

Run as ``python -m sedna_conformance.harness.processes.zygote FD MODULE...`` by :class:`Zygote`.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import IO, Any

from sedna_conformance.harness.discovery import child_search_path, extend_search_path
from sedna_conformance.harness.processes.groups import die_with_parent

__all__ = ["Child", "Zygote"]

# -P: the working folder is not put first on the child's sys.path (a numpy.py there must
# not shadow NumPy); what the child needs of this process's path comes through
# discovery.child_search_path, appended.
_CHILD = [sys.executable, "-P", "-m", "sedna_conformance.harness.processes.helper"]


class Child:
    """A running child: its pid and its standard streams (text), like a ``Popen``."""

    def __init__(self, pid: int, stdin: IO[str], stdout: IO[str], stderr: IO[str],
                 process: subprocess.Popen[str] | None = None) -> None:
        self.pid, self.stdin, self.stdout, self.stderr = pid, stdin, stdout, stderr
        self._process = process

    def alive(self) -> bool:
        """Whether the child is still running."""
        if self._process is not None:
            return self._process.poll() is None
        try:
            os.kill(self.pid, 0)  # the zygote reaps its children: a dead one is gone
        except ProcessLookupError:
            return False
        return True

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (SIGKILL by default) unless the child has ended."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:  # it ended (and was reaped) after alive() looked
                pass

    def wait(self, timeout: float) -> None:
        """Wait for the child to end; ``subprocess.TimeoutExpired`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(_CHILD, timeout)
            time.sleep(0.005)

    def communicate(self, timeout: float) -> tuple[str, str]:
        """Close stdin, read stdout and stderr to their end and wait for the child; kill it
        and raise ``subprocess.TimeoutExpired`` after ``timeout`` s.
        """
        self.stdin.close()
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.append(self.stderr.read()), daemon=True)
        reader.start()
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            self.kill()

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            out = self.stdout.read()
            reader.join()
            self.wait(timeout)
        finally:
            timer.cancel()
            self.stdout.close()
            self.stderr.close()
        if expired.is_set():
            raise subprocess.TimeoutExpired(_CHILD, timeout)
        return out, "".join(errors)


class Zygote:
    """Starts ``harness.child`` processes, forked from a process that imported
    ``preload`` (module names; ``module:function`` also calls the function).
    """

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self.preload = list(preload)
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._pending: socket.socket | None = None
        self._failed = not (sys.platform == "linux" and hasattr(socket, "send_fds"))
        self._lock = threading.Lock()

    @property
    def forking(self) -> bool:
        """Whether children are forked (rather than started as fresh interpreters)."""
        return self._connect() is not None

    def describe(self, popen: dict[str, Any] | None = None) -> str:
        """How a child (started with ``popen`` keywords) starts, for a clause's calls log."""
        if self.forking and not popen:
            return f"forked from a zygote that imported {self.preload or 'only the harness'}"
        return "a fresh interpreter"

    def start(self, args: Sequence[str], environment: dict[str, str] | None = None,
              cwd: str | None = None, **popen: Any) -> Child:
        """Start ``python -m sedna_conformance.harness.processes.helper ARGS`` in this process's
        environment with the variables of ``environment`` set.

        ``popen`` keywords (e.g. ``user=``) need a fresh interpreter and are passed to
        ``subprocess.Popen``.
        """
        env = {**os.environ, **child_search_path(), **(environment or {})}
        connection = None if popen else self._connect()
        if connection is None:
            process = subprocess.Popen([*_CHILD, *args], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, env=env, cwd=cwd, **popen)
            assert process.stdin and process.stdout and process.stderr
            return Child(process.pid, process.stdin, process.stdout, process.stderr, process)
        ends = [os.pipe() for _ in range(3)]
        theirs = [ends[0][0], ends[1][1], ends[2][1]]
        request = {"args": list(args), "env": env, "cwd": cwd or os.getcwd()}
        try:
            with self._lock:
                socket.send_fds(connection, [json.dumps(request).encode()], theirs)
                reply = json.loads(connection.recv(4096) or b"{}")
        except OSError:
            reply = {}
        finally:
            for fd in theirs:
                os.close(fd)
        if "pid" not in reply:  # the zygote ended: this and later children start afresh
            for fd in (ends[0][1], ends[1][0], ends[2][0]):
                os.close(fd)
            self._give_up()
            return self.start(args, environment, cwd, **popen)
        return Child(reply["pid"], open(ends[0][1], "w"), open(ends[1][0]),
                     open(ends[2][0]))

    def run(self, args: Sequence[str], environment: dict[str, str] | None = None,
            timeout: float = 600, **popen: Any) -> tuple[str, str]:
        """Start a child (see :meth:`start`), wait for it; its stdout and stderr."""
        return self.start(args, environment, **popen).communicate(timeout)

    def launch(self) -> None:
        """Start the zygote without waiting for it (it preloads while the run goes on)."""
        if self._failed or self._process is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", "sedna_conformance.harness.processes.zygote",
             str(theirs.fileno()), *self.preload], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, **child_search_path()})
        theirs.close()
        self._pending = ours

    def _connect(self) -> socket.socket | None:
        """The socket to the zygote, once it is ready; ``None`` if it cannot run."""
        if self._failed or self._socket is not None:
            return self._socket
        self.launch()
        ours, self._pending = self._pending, None
        assert ours is not None
        ours.settimeout(600)
        try:
            ready = ours.recv(4096) == b"ready"
        except OSError:
            ready = False
        ours.settimeout(None)
        if not ready:
            ours.close()
            self._give_up()
            return None
        self._socket = ours
        return ours

    def _give_up(self) -> None:
        """Stop the zygote for good: children start as fresh interpreters from now on."""
        self.close()
        self._failed = True

    def close(self) -> None:
        """Stop the zygote (its children run on); idempotent."""
        unused = self._socket is None
        for connection in (self._socket, self._pending):
            if connection is not None:
                connection.close()
        self._socket = self._pending = None
        if self._process is not None:
            if unused:  # perhaps still preloading: nothing of it is needed
                self._process.kill()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


# -- the zygote's side ------------------------------------------------------------------
def _preload(name: str) -> None:
    module, _, function = name.partition(":")
    imported = importlib.import_module(module)
    if function:
        getattr(imported, function)()


def _become_child(connection: socket.socket, fds: list[int], request: dict[str, Any]) -> None:
    """In the forked process: take the streams, folder and environment; run the child."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        connection.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [*_CHILD[1:], *request["args"]]
        from sedna_conformance.harness.processes.helper import main as child_main

        code = child_main(request["args"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def main(argv: list[str]) -> int:
    """The zygote: preload, say ``ready``, then fork one child per request until closed."""
    die_with_parent()  # nor do its children: each asks the same of the zygote
    connection = socket.socket(fileno=int(argv[0]))
    extend_search_path()
    try:
        importlib.import_module("sedna_conformance.harness.processes.helper")
        for name in argv[1:]:
            _preload(name)
    except BaseException as error:
        connection.send(f"preload failed: {error!r}".encode()[:4000])
        return 1
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps ended children
    connection.send(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        except OSError:
            return 0
        if not message:
            return 0
        pid = os.fork()
        if pid == 0:
            _become_child(connection, fds, json.loads(message))
        for fd in fds:
            os.close(fd)
        connection.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
