"""ckpt.*: checkpoints are trustworthy, even on flaky disks and with hostile files."""

from __future__ import annotations

import os
import pickle
import random
import signal
import stat
import time
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from sedna_conformance.conformance_tests.helpers import expect_refused
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause
from sedna_conformance.harness.processes.zygote import Child


def _refused_and_unchanged(c: ClauseRun, backend: Any, path: str, what: str) -> None:
    __tracebackhide__ = True
    expect_refused(c, backend, f"loading {what}", (ValueError,), backend.load, model_url=path)


@clause("ckpt.refuses-corrupt")
def test_refuses_corrupt(conformance: ClauseRun) -> None:
    c = conformance
    good = c.backend(trained=True, label="writer").save()
    data = open(good, "rb").read()
    backend = c.backend(trained=True)
    suffix = os.path.splitext(good)[1]
    variants = {"a truncated checkpoint": data[: len(data) // 2], "an empty file": b"",
                "random bytes": os.urandom(len(data))}
    for what, content in variants.items():
        path = c.path(f"corrupt-{len(content)}{suffix}")
        with open(path, "wb") as handle:
            handle.write(content)
        _refused_and_unchanged(c, backend, path, what)
    if c.profile.foreign_checkpoint is not None:
        foreign = c.hook("foreign_checkpoint(folder)", c.profile.foreign_checkpoint,
                         c.new_folder("foreign"))
        _refused_and_unchanged(c, backend, foreign, "a checkpoint of another architecture")


@clause("ckpt.flipped-byte")
def test_flipped_byte(conformance: ClauseRun) -> None:
    c = conformance
    writer = c.backend(trained=True, label="writer")
    good = writer.save()
    expected = c.state(writer)
    data = open(good, "rb").read()
    reader = c.backend(label="reader")
    suffix = os.path.splitext(good)[1]

    def check(position: int, bit: int) -> None:
        flipped = bytearray(data)
        flipped[position] ^= 1 << bit
        path = c.path(f"flipped-{position}-{bit}{suffix}")
        with open(path, "wb") as handle:
            handle.write(bytes(flipped))
        try:
            reader.load(model_url=path)
        except Exception:
            return
        got = c.state(reader)
        c.expect(got.same(expected),
                 f"byte {position} (bit {bit}) flipped: loaded without error, "
                 f"{got.difference(expected)}",
                 "an error (or, for a byte that carries no data, the exact model)")

    for position in (len(data) // 3, len(data) // 2, len(data) - 8):
        check(position, 0)

    @c.settings

    @given(position=st.integers(0, len(data) - 1), bit=st.integers(0, 7))
    def draw(position: int, bit: int) -> None:
        note(f"flip bit {bit} of byte {position} of {len(data)}")
        check(position, bit)

    draw()


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


@clause("ckpt.no-pickle-execution")
def test_no_pickle_execution(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    marker = c.path("PWNED")
    good = c.backend(label="writer").save()
    path = c.path("payload" + os.path.splitext(good)[1])
    with open(path, "wb") as handle:
        pickle.dump(_Payload(marker), handle)
    try:
        backend.load(model_url=path)
    except Exception:
        pass
    c.expect(not os.path.exists(marker), "loading the pickle payload created the marker file",
             "no code executed")


def _loads_as_one_of(c: ClauseRun, path: str, candidates: dict[str, Any], what: str) -> None:
    __tracebackhide__ = True
    reader = c.backend(label="reader")
    try:
        reader.load(model_url=path)
    except Exception as error:
        c.fail(f"{what}: the file at the final path does not load "
               f"({type(error).__name__}: {str(error)[:120]})", "a complete checkpoint")
    got = c.state(reader)
    c.expect(any(got.same(w) for w in candidates.values()),
             f"{what}: the file holds none of {sorted(candidates)}", "one complete checkpoint")


def _stop(pid: int) -> bool:
    """SIGSTOP ``pid`` and wait (up to 50 ms) until it has really stopped; False when the
    child has already ended (a saver that has finished its loop).
    """
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] in (b"T", b"t"):
                    return True
        except (OSError, IndexError):  # no /proc (not Linux), or the child is gone
            time.sleep(0.001)
            return True
    return True


def _kill_mid_save(child: Child, path: str, seed: int, budget_s: float = 0.6,
                   most: int = 1000) -> str:
    """Freeze the saving child at random moments (SIGSTOP) and look at the final path while
    it cannot move: the first time the file there is missing, empty or smaller than it has
    been, a save is caught part-way, and the child is killed (SIGKILL) right there. A saver
    that writes in place is caught in the act whenever a freeze lands in its window; an
    atomic one never shows such a file, and is killed when the budget is spent.
    """
    rng, largest = random.Random(seed), os.stat(path).st_size
    deadline, freezes = time.monotonic() + budget_s, 0
    try:
        while freezes < most and time.monotonic() < deadline and child.alive():
            time.sleep(rng.uniform(0.0, 0.001))
            if not _stop(child.pid):
                break
            freezes += 1
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                size = -1
            if size < largest:
                return (f"killed during a save, at freeze {freezes}, with "
                        f"{'no file' if size < 0 else f'{size} of {largest} bytes'} at the "
                        "final path")
            largest = size
            child.kill(signal.SIGCONT)
        ended = "" if child.alive() else " (it had finished its saves by itself)"
        return f"killed after {freezes} freezes, none of which found a save part-way{ended}"
    finally:
        child.kill(signal.SIGKILL)


@clause("ckpt.interrupted-save")
def test_interrupted_save(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("models")
    name = "m" + c.suffix
    previous = c.backend(label="previous", model_save_path=folder, model_name=name)
    path = previous.save()
    c.expect(isinstance(path, str) and os.path.isfile(path),
             f"save() returned {path!r}, which is not a file", "the path of the file written")
    trained_file = c.trained_file()
    trained_state = c.state(c.backend(trained=True, label="trained"))
    with c.framework_time():  # the child imports the framework and saves in a loop
        child = c.helpers.save_loop(trained_file, folder, name, 100000)
        ready = child.stdout.readline().strip()
        if ready != "ready":
            child.kill()
            error = child.communicate(timeout=60)[1][-300:]
            c.fail(f"the saving child did not start: {error}", "a child saving in a loop")
        how = _kill_mid_save(child, path, c.profile.seed)
        c.log.calls.append(f"SIGKILL: {how}")
        child.communicate(timeout=60)
    c.expect(os.path.isfile(path), f"no file at {path!r} after the child was {how}",
             "the checkpoint")
    _loads_as_one_of(c, path, {"the previous checkpoint": c.state(previous),
                               "a completed save": trained_state},
                     f"after SIGKILL ({how})")


@clause("ckpt.name-escape")
def test_name_escape(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("inside")
    backend = c.backend(trained=True, model_save_path=folder)
    outside = c.path("escaped")
    for name in ("../escaped" + c.suffix, os.path.abspath(outside) + c.suffix,
                 "bad\x00name" + c.suffix):
        error = c.expect_raises(ValueError, backend.save, model_name=name)
        c.expect("model_name" in str(error), f"message {str(error)!r} for {name!r}",
                 "it names model_name")
    written = sorted(p for p in os.listdir(c.folder) if p.startswith("escaped"))
    c.expect(not written and not os.listdir(folder), f"files written: {written}",
             "nothing written")


def _modes_bind_this_process(c: ClauseRun) -> bool:
    """Whether this process is refused writing into a read-only folder (not so as root)."""
    from sedna_conformance.harness.processes.helper import refused_writing

    probe = c.new_folder("probe")
    os.chmod(probe, stat.S_IRUSR | stat.S_IXUSR)
    try:
        return refused_writing(probe)
    finally:
        os.chmod(probe, stat.S_IRWXU)


def _save_in_child(c: ClauseRun, folder: str) -> list[str]:
    """The save into the read-only ``folder`` in a child that file modes bind (this process
    is root), judged as ``expect_raises(PermissionError)`` would; the files the child saw left.
    """
    __tracebackhide__ = True
    import pytest

    trained = c.trained_file()
    with c.framework_time():  # the child imports the framework, loads the model, saves once
        report = c.helpers.save_once(trained, folder)
    if report.skip:
        pytest.skip(f"{report.skip}; run the suite as a normal user to judge this clause")
    if report.crashed:
        c.fail(f"the saving child {'died saving' if report.started else 'did not start'}: "
               f"{report.crashed}", "a child reporting its save")
    raised = f"{report.error}: {report.message}" if report.error else "no exception"
    c.log.calls.append(f"backend.save() in that child -> "
                       f"{raised if report.error else report.returned}")
    c.expect(report.permission_error, raised, "PermissionError")
    return list(report.left)


@clause("ckpt.read-only-folder")
def test_read_only_folder(conformance: ClauseRun) -> None:
    c = conformance
    in_process = _modes_bind_this_process(c)  # as root: a child without root's override
    folder = c.new_folder("read-only")
    backend = c.backend(trained=True, model_save_path=folder) if in_process else None
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        if backend is not None:
            c.expect_raises(PermissionError, backend.save)
            seen: list[str] = []
        else:
            seen = _save_in_child(c, folder)
    finally:
        os.chmod(folder, stat.S_IRWXU)
    left = sorted(set(seen) | set(os.listdir(folder)))
    c.expect(not left, f"left {left}", "no partial file")


@clause("ckpt.concurrent-saves")
def test_concurrent_saves(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("models")
    trained_file, name = c.trained_file(), "m" + c.suffix
    with c.framework_time():  # the children import the framework and save
        children = [c.helpers.save_loop(trained_file, folder, name, 200, wait_go=True)
                    for _ in range(2)]
        for child in children:  # both ready, then both go at once
            ready = child.stdout.readline().strip()
            c.expect(ready == "ready", f"a saving child did not start: {ready!r}", "'ready'")
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            out, err = child.communicate(timeout=600)
            c.expect(out.strip() == "done", f"a saving child failed: {err[-300:]}",
                     "'done' after its saves")
    path = os.path.join(folder, name)
    trained = c.state(c.backend(trained=True, label="trained"))
    _loads_as_one_of(c, path, {"the saved model": trained}, "after two concurrent savers")
