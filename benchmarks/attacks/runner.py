"""Carry out an attack: the real CLI in a subprocess, from a fresh working folder with a
fresh ``TMPDIR``, its report folder prepared as the attack says; then measure what it left.

Every process the run starts inherits ``SEDNA_ATTACK_ID`` (a fresh UUID): a process still
running 2 s after the run ended that carries it in ``/proc/<pid>/environ`` is an orphan
(it is then killed). ``ACCESS_KEY_ID`` and ``SECRET_ACCESS_KEY`` hold fresh random values,
searched for in everything the run printed or left on disk.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from typing import IO

from benchmarks.attacks import full_disk
from benchmarks.attacks.model import Attack, Folder, Launcher, Observation, Ran
from benchmarks.attacks.report_state import REPORT_FILES, classify
from benchmarks.attacks.scene import Scene, lock_name, prepare

__all__ = ["PREVIOUS_CLAUSE", "ROOT", "Runner", "leaks", "orphans", "previous_reports",
           "unavailable"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_GRACE_S = 2.0
#: Environment variables of this process a run must not inherit.
_DROPPED = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSAFEPATH", "SEDNA_TEST_MARKER",
            "SEDNA_TEST_MODE", "SEDNA_TEST_MINDSPORE", "SEDNA_ATTACK_FAULT",
            "SEDNA_ATTACK_METHOD", "SEDNA_ATTACK_ONCE", "S3_ENDPOINT_URL")
#: The one clause of the previous report set: no attack selects it alone, so a report an
#: attack's run writes never equals the previous one byte for byte.
PREVIOUS_CLAUSE = "train.changes-weights"


def previous_reports(python: str) -> dict[str, bytes]:
    """A complete report set from a real run of ``python``, by file name."""
    folder = tempfile.mkdtemp(prefix="reliability-previous-")
    temporary = os.path.join(folder, "tmp")
    os.makedirs(temporary)
    try:
        done = subprocess.run(
            [python, "-m", "sedna_conformance.harness", "run", "--report-dir", folder,
             "--profile", "numpy-reference", "--clause", PREVIOUS_CLAUSE], cwd=temporary,
            capture_output=True, text=True, check=False,
            env={**os.environ, "GLOG_v": "3", "TMPDIR": temporary})
        missing = [n for n in REPORT_FILES if not os.path.exists(os.path.join(folder, n))]
        if done.returncode != 0 or missing:
            raise RuntimeError(f"the run making the previous reports failed (exit "
                               f"{done.returncode}; missing {missing}):\n{done.stderr[-2000:]}")
        return {name: _content(os.path.join(folder, name)) or b"" for name in REPORT_FILES}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _command(attack: Attack, scene: Scene, args: tuple[str, ...], python: str) -> list[str]:
    if attack.launcher is Launcher.SCRIPT:
        script = os.path.join(os.path.dirname(python), "sedna-conformance")
        start = [script] if os.path.exists(script) else [python, "-P", "-m",
                                                           "sedna_conformance.harness"]
    else:
        start = [python, "-m", "sedna_conformance.harness"]
    command = [*start, *(scene.expand(a) for a in args)]
    if attack.folder.unprivileged and os.geteuid() == 0:
        # As an ordinary user: without CAP_DAC_OVERRIDE root is bound by file modes.
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    if attack.folder is Folder.FULL_DISK:
        command = ["unshare", "--mount", "--propagation", "private", "--", python, "-m",
                   "benchmarks.attacks.full_disk", scene.reports,
                   scene.staging, *command]
    return command


def _environment(attack: Attack, scene: Scene, marker_id: str,
                 credentials: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update({"PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])),
                "TMPDIR": scene.tmp, "SEDNA_ATTACK_ID": marker_id, "GLOG_v": "3",
                "SEDNA_TEST_MARKER": scene.marker, "SEDNA_ATTACK_OUTSIDE": scene.outside,
                "PYTHONDONTWRITEBYTECODE": "1", **credentials})
    env.update({k: scene.expand(v) for k, v in attack.env.items()})
    return env


def marked(marker_id: str) -> list[tuple[int, str]]:
    """Live (not zombie) processes whose environment carries ``marker_id``."""
    needle = f"SEDNA_ATTACK_ID={marker_id}".encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle not in handle.read() + b"\0":
                    continue
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found.append((int(entry), command[:120]))
    return found


def orphans(marker_id: str, grace_s: float = _GRACE_S) -> list[str]:
    """``pid command`` of every process carrying ``marker_id`` still running ``grace_s``
    from now; each is then killed.
    """
    deadline = time.monotonic() + grace_s
    while True:
        left = marked(marker_id)
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    for pid, _ in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return [f"{pid} {command}" for pid, command in left]


def leaks(values: list[str], outputs: Mapping[str, bytes], folder: str,
          ignore: frozenset[str] = frozenset()) -> list[str]:
    """Where any of ``values`` occurs: in ``outputs`` (name: bytes) or a file under
    ``folder`` (its path relative to ``folder``) but those at the paths in ``ignore``.
    """
    needles = [v.encode() for v in values if v]
    found = [name for name, data in outputs.items() if any(n in data for n in needles)]
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            if os.path.islink(path) or path in ignore:
                continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if any(n in data for n in needles):
                found.append(os.path.relpath(path, folder))
    return found


def _read_folder(folder: str) -> dict[str, bytes]:
    contents = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                contents[name] = handle.read()
    return contents


def _wait_for_backend(marker: str, processes: list[subprocess.Popen[bytes]],
                      deadline: float) -> str:
    """Wait until the misbehaving backend has claimed ``marker``; a problem, if it never did."""
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            with open(marker, encoding="ascii") as handle:
                if handle.read().strip():
                    return ""
        if processes[0].poll() is not None:
            return f"the run ended (exit {processes[0].returncode}) before the backend was called"
        time.sleep(0.05)
    return "the backend was not called in time"


def unavailable(attack: Attack) -> str:
    """Why this machine cannot carry out ``attack`` (a sentence), or ``''``."""
    if attack.folder.unprivileged and os.geteuid() == 0 and not shutil.which("setpriv"):
        return ("skipped: running as root without setpriv, so a read-only folder cannot be "
                "made binding")
    if attack.folder is Folder.FULL_DISK:
        probe = ["unshare", "--mount", "--propagation", "private", "--", "true"]
        if not shutil.which("unshare") or subprocess.run(
                probe, capture_output=True, check=False).returncode != 0:
            return ("skipped: a full disk is simulated with a tmpfs in a private mount "
                    "namespace, which this machine does not allow (unshare --mount)")
    return ""


class Runner:
    """Runs attacks with ``python``, each over a copy of ``previous`` (a complete report
    set, by file name); ``registry`` holds every clause id.
    """

    def __init__(self, python: str, previous: Mapping[str, bytes], registry: frozenset[str],
                 keep: bool = False) -> None:
        self.python = python
        self.previous = dict(previous)
        self.registry = registry
        self.keep = keep
        self.work = tempfile.mkdtemp(prefix="reliability-attacks-")

    def close(self) -> None:
        """Remove the runner's folder (unless it keeps it)."""
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    def run(self, attack: Attack) -> Observation:
        """Carry out ``attack`` and measure what it left."""
        why = unavailable(attack)
        if why:
            return Observation(attack, [Ran(None, b"", b"", 0.0)], {}, skipped=why)
        scene = Scene(tempfile.mkdtemp(prefix="attack-", dir=self.work))
        try:
            return self._run(attack, scene)
        finally:
            scene.release(remove=not self.keep)

    def _run(self, attack: Attack, scene: Scene) -> Observation:
        prepare(scene, attack.folder, self.previous)
        scene.write(attack.files)
        marker_id = str(uuid.uuid4())
        credentials = {"ACCESS_KEY_ID": f"AKID{secrets.token_hex(10).upper()}",
                       "SECRET_ACCESS_KEY": secrets.token_urlsafe(24).replace("-", "x")}
        env = _environment(attack, scene, marker_id, credentials)
        runs, problem = self._processes(attack, scene, env)
        left_running = orphans(marker_id)
        folder = scene.reports
        if attack.folder is Folder.FULL_DISK:
            folder = full_disk.after(scene.reports)
        reports = classify(folder, scene.previous, scene.placed, attack.profiles,
                           self.registry) if os.path.isdir(folder) else {}
        known = {*REPORT_FILES, lock_name(), full_disk.FILLER}
        stray = sorted(set(os.listdir(folder)) - known) if os.path.isdir(folder) else []
        temp = sorted(os.listdir(scene.tmp))
        outputs = {f"{stream} of run {i + 1}" if len(runs) > 1 else stream: data
                   for i, ran in enumerate(runs)
                   for stream, data in (("stdout", ran.stdout), ("stderr", ran.stderr))}
        outside = _read_folder(scene.outside)
        return Observation(
            attack=attack, runs=runs, reports=reports, stray=stray, orphans=left_running,
            temp_left=[t for t in temp if t.startswith("sedna-")],
            other_temp=[t for t in temp if not t.startswith(("sedna-", "attack-"))],
            hypothesis_left=os.path.exists(os.path.join(scene.cwd, ".hypothesis")),
            secrets=leaks(list(credentials.values()), outputs, scene.base,
                          frozenset(scene.captures)),
            outside=outside, problem=problem,
            guarded_changed=[os.path.relpath(p, scene.base) for p, data in scene.guarded.items()
                             if _content(p) != data])

    def _processes(self, attack: Attack, scene: Scene,
                   env: dict[str, str]) -> tuple[list[Ran], str]:
        """Start the run (and its concurrent twin), send the signals, wait for the end."""
        argsets = [attack.args] + ([attack.concurrent] if attack.concurrent else [])
        with contextlib.ExitStack() as stack:
            outputs: list[tuple[IO[bytes], IO[bytes]]] = []
            processes: list[subprocess.Popen[bytes]] = []
            started = time.monotonic()
            for i, args in enumerate(argsets):
                out_path, err_path = (os.path.join(scene.base, f"{s}{i}") for s in ("out", "err"))
                scene.captures += [out_path, err_path]
                out = stack.enter_context(open(out_path, "w+b"))
                err = stack.enter_context(open(err_path, "w+b"))
                outputs.append((out, err))
                processes.append(subprocess.Popen(
                    _command(attack, scene, args, self.python), cwd=scene.cwd, env=env,
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True))
            deadline = started + attack.timeout_s
            problem = self._shoot(attack, scene, processes, deadline)
            codes = [_wait(p, deadline) for p in processes]
            wall = time.monotonic() - started
            runs = []
            for code, streams in zip(codes, outputs, strict=True):
                for stream in streams:
                    stream.seek(0)
                runs.append(Ran(code, streams[0].read(), streams[1].read(), wall))
        return runs, problem

    @staticmethod
    def _shoot(attack: Attack, scene: Scene, processes: list[subprocess.Popen[bytes]],
               deadline: float) -> str:
        """Send the attack's signals; a problem if the first could not be sent (a later
        one is not sent once the run has ended).
        """
        for number, shot in enumerate(attack.signals):
            if shot.on_backend:
                problem = _wait_for_backend(scene.marker, processes, deadline)
                if problem:
                    return problem
            time.sleep(shot.delay_s)
            run = processes[0]
            if run.poll() is not None:
                return ("" if number else
                        f"the run ended (exit {run.returncode}) before {shot.describe()}")
            if shot.group:
                os.killpg(run.pid, shot.signum)
            else:
                run.send_signal(shot.signum)
        return ""


def _wait(process: subprocess.Popen[bytes], deadline: float) -> int | None:
    """The exit status, or ``None`` if it had to be killed at ``deadline``."""
    try:
        return process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


def _content(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
