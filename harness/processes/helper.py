"""Child processes of the clauses: ``python -m sedna_conformance.harness.processes.helper ...``.

``save-loop`` (the crash clauses): the child rebuilds the profile from its ``--profile``
spec, builds the backend on a fresh estimator, loads into it (with the backend's own
``load``: these clauses rest on ``load.round-trip``) the trained model the parent saved
with the backend's ``save``, prints ``ready`` and saves in a loop, so the parent can kill
it part-way (SIGKILL) or run two at once.

``remote`` (the ``remote.*`` clauses): the child, started with a worker's S3 settings in
its environment as Sedna starts each worker, runs save/load steps on remote URLs and
prints ``result {json}``: each step's error and the model and files after it.

``save-once`` (``ckpt.read-only-folder`` as root): the same backend saves once, and the
child prints one line ``result {json}``: the exception type (``null`` if none), its
message, whether it is a ``PermissionError``, and the files left in the folder. Root ignores
file modes, so :func:`save_once` starts that child without root's override: on Linux it
stays root but gives up every capability (the files it needs are root's own, so it still
reads them as their owner); elsewhere it runs as the user ``nobody``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sedna_conformance.harness.processes.zygote import Child, Zygote

__all__ = ["main", "refused_writing", "remote_steps", "save_once"]

_RESULT = "result "


def refused_writing(folder: str) -> bool:
    """Whether this process is refused creating a file in ``folder`` (made read-only): true
    for an ordinary user, false for root with its permission override. A file it could
    create is removed again.
    """
    probe = os.path.join(folder, f".sedna-probe-{os.getpid()}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except PermissionError:
        return True
    os.remove(probe)
    return False


def _drop_capabilities() -> None:
    """Linux: give up every capability of this process for good (effective, permitted,
    inheritable, ambient; the bounding set too where allowed, so no exec regains them).
    Its uid stays, so it still reads and writes its own files, as their owner: a uid-0
    process without ``CAP_DAC_OVERRIDE`` is bound by file modes like any user. Capabilities
    are per thread: call it before anything starts a thread.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, pr_cap_ambient, pr_cap_ambient_clear_all = 24, 47, 4
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as handle:
        last = int(handle.read())
    for cap in range(last + 1):  # needs CAP_SETPCAP; best effort, only exec'd children care
        libc.prctl(pr_capbset_drop, *map(ctypes.c_ulong, (cap, 0, 0, 0)))
    libc.prctl(pr_cap_ambient, *map(ctypes.c_ulong, (pr_cap_ambient_clear_all, 0, 0, 0)))
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}, all zero
    if libc.capset(header, data) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"capset: {os.strerror(error)}")


def _profile(args: argparse.Namespace) -> Any:
    from sedna_conformance.harness.discovery import load_profiles

    return next(p for p in load_profiles(args.profile) if p.name == args.name)


def _backend(args: argparse.Namespace, fine_tune: bool) -> Any:
    """The profile's backend on a fresh estimator, holding the model at ``--weights-from``
    (a file the backend's own ``save`` wrote).
    """
    profile = _profile(args)
    backend = profile.backend(estimator=profile.estimator(), fine_tune=fine_tune,
                              model_save_path=args.folder, model_name=args.model_name,
                              **dict(profile.options))
    backend.load(model_url=args.weights_from)
    # Some backends (upstream BackendBase) move model_save_path to the file they loaded;
    # point it back where this child saves, as Sedna's jobs set it before their calls.
    backend.model_save_path = args.folder
    return backend


def _save_once(args: argparse.Namespace) -> dict[str, Any]:
    if args.drop_capabilities:
        try:
            _drop_capabilities()
        except OSError as error:
            return {"unenforced": f"it could not give up root's capabilities ({error})"}
    if not refused_writing(args.folder):
        return {"unenforced": f"it could still create a file in the read-only folder "
                              f"(uid {os.geteuid()})"}
    backend = _backend(args, fine_tune=True)
    print("ready", flush=True)
    report: dict[str, Any] = {"error": None, "message": "", "permission_error": False}
    try:
        report["returned"] = repr(backend.save())
    except Exception as error:
        report.update(error=type(error).__name__, message=str(error)[:500],
                      permission_error=isinstance(error, PermissionError))
    report["left"] = sorted(os.listdir(args.folder))
    return report


def _fingerprint(backend: Any, probe: Any, as_array: Any) -> str:
    """A digest of ``backend``'s predictions on ``probe`` (equal digests: same outputs)."""
    import copy
    import hashlib

    import numpy as np

    try:
        out = np.ascontiguousarray(as_array(backend.predict(copy.deepcopy(probe))))
    except Exception as error:
        return f"predict raised {type(error).__name__}"
    return hashlib.sha256(f"{out.dtype}{out.shape}".encode() + out.tobytes()).hexdigest()


def _listing(folder: str) -> dict[str, str]:
    """Every file under ``folder``: the SHA-256 of its content by relative path (a file
    rewritten with the same bytes counts as unchanged).
    """
    import hashlib

    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, folder)] = hashlib.file_digest(
                    handle, "sha256").hexdigest()
    return found


def _remote(args: argparse.Namespace) -> dict[str, Any]:
    """Run ``--steps`` (``save``/``load`` with ``url`` on the trained backend, or
    ``fresh-load`` into a backend on a fresh estimator) with the S3 settings this process
    started with, as a Sedna worker does; report each step's outcome and the model and
    files after it (and the error's traceback, as a worker would log it). Logging is at
    INFO, Sedna's level. ``{model_name}`` in a URL is the backend's model name.
    """
    import logging
    import traceback

    from sedna_conformance.harness.contract.instruments import PROBE_SIZE

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True)  # Sedna's level
    profile = _profile(args)
    probe, read = profile.datasets().test.x[:PROBE_SIZE], profile.as_array
    backend = _backend(args, fine_tune=False)
    backend.save()  # the model's own file, which a failed remote step must leave alone
    report: dict[str, Any] = {"model": _fingerprint(backend, probe, read),
                              "files": _listing(args.folder), "steps": []}
    for number, step in enumerate(json.loads(args.steps)):
        url = step["url"].replace("{model_name}", str(backend.model_name))
        target = backend
        if step["op"] == "fresh-load":
            folder = os.path.join(args.folder + "-fresh", str(number))
            target = profile.backend(estimator=profile.estimator(), fine_tune=False,
                                     model_save_path=folder, **dict(profile.options))
        outcome: dict[str, Any] = {"op": step["op"], "url": url, "error": None,
                                   "before": _fingerprint(target, probe, read)}
        try:
            if step["op"] == "save":
                outcome["returned"] = str(backend.save(model_url=url))
            else:
                target.load(model_url=url)
        except Exception as error:
            outcome.update(error=type(error).__name__, message=str(error)[:1000],
                           kinds=[k.__name__ for k in type(error).__mro__],
                           trace="".join(traceback.format_exception(error)))
        outcome.update(model=_fingerprint(target, probe, read), files=_listing(args.folder))
        report["steps"].append(outcome)
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child."""
    from sedna_conformance.harness.discovery import extend_search_path
    from sedna_conformance.harness.processes.groups import die_with_parent

    die_with_parent()  # a child never outlives the process that started it
    extend_search_path()  # before anything imports the profile's module
    parser = argparse.ArgumentParser(prog="python -m sedna_conformance.harness.processes.helper")
    parser.add_argument("command", choices=["save-loop", "save-once", "remote"])
    parser.add_argument("--profile", required=True, help="the --profile spec")
    parser.add_argument("--name", required=True, help="the profile's name within the spec")
    parser.add_argument("--weights-from", required=True, help="checkpoint for the estimator")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--model-name", default=None)
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--wait-go", action="store_true",
                        help="after 'ready', wait for a line on stdin before saving")
    parser.add_argument("--drop-capabilities", action="store_true",
                        help="save-once: first give up every capability (Linux, as root)")
    parser.add_argument("--steps", default="[]", help="remote: the steps, as JSON")
    args = parser.parse_args(argv)

    if args.command == "remote":
        print(_RESULT + json.dumps(_remote(args)), flush=True)
        return 0
    if args.command == "save-once":
        print(_RESULT + json.dumps(_save_once(args)), flush=True)
        return 0
    if args.model_name is None:
        parser.error("save-loop needs --model-name")
    backend = _backend(args, fine_tune=False)
    print("ready", flush=True)
    if args.wait_go:
        sys.stdin.readline()
    for _ in range(args.times):
        backend.save()
    print("done", flush=True)
    return 0


# -- the parent's side of save-once ------------------------------------------------------
def _blocked_for(path: str, uid: int, gid: int) -> str | None:
    """The first of ``path`` and its folders that user ``uid`` (group ``gid``, no others)
    cannot read (or, for a folder, search), or ``None``.
    """
    import stat

    path = os.path.abspath(path)
    parts = [path]
    while os.path.dirname(parts[-1]) != parts[-1]:
        parts.append(os.path.dirname(parts[-1]))
    for part in reversed(parts):
        info = os.stat(part)
        shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
        need = (stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(info.st_mode) else 0)) << shift
        if info.st_mode & need != need:
            return part
    return None


def _as_nobody(folder: str, weights_from: str
               ) -> tuple[dict[str, Any], str, str, str] | str:
    """Popen keywords running a child as ``nobody``, its base folder, its read-only folder
    and its copy of the weights; or the one sentence saying why that cannot work here.
    """
    import pwd

    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return "as root, the clause needs the unprivileged user 'nobody', and there is none"
    import sedna_conformance.harness as harness
    from sedna_conformance.harness.processes.temp_folder import lasting_tempdir

    needed = {"the Python interpreter": os.path.realpath(sys.executable),
              "the Python interpreter's link": sys.executable,
              "the standard library": os.path.dirname(os.__file__),
              "the sedna_conformance package": os.path.dirname(harness.__file__)}
    for what, path in needed.items():
        blocked = _blocked_for(path, user.pw_uid, user.pw_gid)
        if blocked is not None:
            return (f"as root, the unprivileged user 'nobody' cannot read {what} at {path} "
                    f"({blocked} is closed to it)")
    base = tempfile.mkdtemp(prefix="sedna-read-only-", dir=lasting_tempdir())  # not the
    # run's own temporary folder, which only its owner may enter
    os.chmod(base, 0o755)
    home = os.path.join(base, "home")
    os.mkdir(home, 0o700)
    os.chown(home, user.pw_uid, user.pw_gid)
    weights = os.path.join(base, os.path.basename(weights_from))
    shutil.copyfile(weights_from, weights)
    os.chmod(weights, 0o644)
    target = os.path.join(base, os.path.basename(folder))
    os.mkdir(target, 0o500)
    os.chown(target, user.pw_uid, user.pw_gid)
    os.chmod(target, 0o500)
    env = {"HOME": home, "TMPDIR": home}  # its search path: Zygote.start adds it
    popen = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "cwd": home,
             "env": env}
    return popen, base, target, weights


@dataclass(frozen=True)
class SaveOnce:
    """What a ``save-once`` child reported, or why there is no report."""

    skip: str | None = None  # no child bound by file modes can run here: why
    crashed: str | None = None  # the child never reported: the last line of its stderr
    started: bool = False  # with ``crashed``: whether it got as far as the save
    error: str | None = None  # the exception's type name (None: the save succeeded)
    message: str = ""
    permission_error: bool = False
    returned: str | None = None  # what save() returned, as repr
    left: tuple[str, ...] = ()  # the files in the folder afterwards


@dataclass(frozen=True)
class RemoteRun:
    """What a ``remote`` child reported: the model's fingerprint and files before the steps,
    each step (op, url, error, message, kinds, trace, before, model, files), and the
    child's output (stdout and stderr: the secrets clause reads it); ``crashed`` (the last
    line of its stderr) if it never reported.
    """

    output: str
    crashed: str | None = None
    model: str = ""
    files: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Helpers:
    """Helper processes of one profile: each rebuilds it from ``spec`` (the run's
    ``--profile`` value) and ``name``, loads ``weights_from`` and works in ``folder``; each
    command is added to ``calls`` (the clause's call log).
    """

    zygote: Zygote
    spec: str
    name: str
    calls: list[str]

    def _command(self, step: str, weights_from: str, folder: str, *extra: str) -> list[str]:
        return [step, "--profile", self.spec, "--name", self.name,
                "--weights-from", weights_from, "--folder", folder, *extra]

    def save_loop(self, weights_from: str, folder: str, model_name: str, times: int,
                  wait_go: bool = False) -> Child:
        """Start a child saving ``model_name`` ``times`` times (after ``go`` if ``wait_go``)."""
        command = self._command("save-loop", weights_from, folder, "--model-name", model_name,
                                "--times", str(times), *(["--wait-go"] if wait_go else []))
        self.calls.append(f"child process ({self.zygote.describe()}): " + " ".join(command))
        return self.zygote.start(command)

    def save_once(self, weights_from: str, folder: str) -> SaveOnce:
        """See :func:`save_once`."""
        return save_once(self.zygote, self._command("save-once", weights_from, folder),
                         weights_from, folder, self.calls)

    def remote_steps(self, weights_from: str, folder: str, steps: list[dict[str, str]],
                     environment: dict[str, str]) -> RemoteRun:
        """See :func:`remote_steps`."""
        command = self._command("remote", weights_from, folder, "--steps", json.dumps(steps))
        return remote_steps(self.zygote, command, environment, self.calls)


def save_once(zygote: Zygote, command: list[str], weights_from: str, folder: str,
              calls: list[str]) -> SaveOnce:
    """One ``save`` (the ``save-once`` ``command``, loading ``weights_from``) into the
    read-only ``folder``, in a child of ``zygote`` bound by file modes; the command is added
    to ``calls``.
    """
    command = list(command)
    popen: dict[str, Any] = {"env": {}}
    base = None
    if sys.platform == "linux":
        command.append("--drop-capabilities")
    elif hasattr(os, "geteuid") and os.geteuid() == 0:
        prepared = _as_nobody(folder, weights_from)
        if isinstance(prepared, str):
            return SaveOnce(skip=prepared)
        popen, base, target, weights = prepared
        command[command.index(weights_from)] = weights
        command[command.index(folder)] = target
    else:
        return SaveOnce(skip=f"this process ignores file modes, and on {sys.platform} the "
                             "clause knows no way to start a child that does not")
    environment = popen.pop("env")
    calls.append(f"child process ({zygote.describe(popen)}): {' '.join(command)}")
    try:
        done = zygote.run(command, environment, **popen)
    finally:
        if base is not None:
            for root, dirs, _ in os.walk(base):
                for entry in dirs:
                    os.chmod(os.path.join(root, entry), 0o700)
            shutil.rmtree(base, ignore_errors=True)
    out = done[0].splitlines()
    report, tail = _reported(done)
    if report is None:
        if base is not None and "ready" not in out:  # nobody could not even build it
            return SaveOnce(skip=f"as root, the clause's child running as 'nobody' did not "
                                 f"start ({tail})")
        return SaveOnce(crashed=tail, started="ready" in out)
    if "unenforced" in report:
        return SaveOnce(skip=f"as root, the clause's child cannot be bound by file modes: "
                             f"{report['unenforced']}")
    return SaveOnce(error=report["error"], message=report["message"],
                    permission_error=report["permission_error"],
                    returned=report.get("returned"), left=tuple(report["left"]))


# -- the parent's side of remote -------------------------------------------------------
def remote_steps(zygote: Zygote, command: list[str], environment: dict[str, str],
                 calls: list[str]) -> RemoteRun:
    """Run the ``remote`` ``command`` in a child started by ``zygote`` whose
    environment has ``environment`` (Sedna's S3 variables); the command is added to
    ``calls`` (without the environment: it holds credentials).
    """
    calls.append(f"child process ({zygote.describe()}, S3 settings in its environment): "
                 + " ".join(command))
    done = zygote.run(command, environment)
    output = "\n".join(line for line in done[0].splitlines()
                       if not line.startswith(_RESULT)) + "\n" + done[1]
    report, tail = _reported(done)
    if report is None:
        return RemoteRun(output, crashed=tail)
    return RemoteRun(output, model=report["model"], files=report["files"],
                     steps=report["steps"])


def _reported(done: tuple[str, str]) -> tuple[dict[str, Any] | None, str]:
    """The child's last ``result {json}`` line, parsed (``None`` if it printed none), and
    the last line of its stderr, for saying why.
    """
    lines = [line for line in done[0].splitlines() if line.startswith(_RESULT)]
    tail = (done[1].strip().splitlines() or ["it ended without a word on stderr"])[-1][:300]
    return (json.loads(lines[-1][len(_RESULT):]) if lines else None), tail


if __name__ == "__main__":
    sys.exit(main())
