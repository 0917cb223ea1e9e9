"""The zygote that forks the clauses' child processes (``harness/processes/zygote.py``): children
run in their own folder, can be killed, and a zygote that cannot preload falls back to
fresh interpreters.
"""

from __future__ import annotations

import os
import sys

import pytest

from sedna_conformance.harness.processes.zygote import Zygote
from sedna_conformance.harness.starter.estimator import SoftmaxRegression

LINUX = pytest.mark.skipif(sys.platform != "linux", reason="children are forked on Linux only")


def _save_loop(folder: str, weights: str, times: int) -> list[str]:
    return ["save-loop", "--profile", "numpy-reference", "--name", "numpy-reference",
            "--weights-from", weights, "--folder", folder, "--model-name", "m.npz",
            "--times", str(times)]


@pytest.fixture
def weights(tmp_path) -> str:
    return SoftmaxRegression().save(str(tmp_path / "model.npz"))


@LINUX
def test_a_forked_child_saves_in_its_folder(tmp_path, weights):
    zygote = Zygote(["numpy"])
    try:
        assert zygote.forking
        out, err = zygote.run(_save_loop(str(tmp_path / "models"), weights, 3), cwd=str(tmp_path))
    finally:
        zygote.close()
    assert out.split() == ["ready", "done"], err
    assert os.path.isfile(tmp_path / "models" / "m.npz")


@LINUX
def test_a_forked_child_runs_in_its_folder_until_killed(tmp_path, weights):
    """Its working folder is the one asked for (its environment is checked by the
    ``remote.*`` clauses, whose credentials reach only their own child).
    """
    zygote = Zygote()
    try:
        child = zygote.start(_save_loop(str(tmp_path / "models"), weights, 10**6),
                             cwd=str(tmp_path))
        assert child.stdout.readline().strip() == "ready"
        assert os.readlink(f"/proc/{child.pid}/cwd") == str(tmp_path)
        child.kill()
        child.communicate(timeout=60)
        assert not child.alive()
    finally:
        zygote.close()


def test_a_zygote_that_cannot_preload_starts_fresh_interpreters(tmp_path, weights):
    zygote = Zygote(["sedna_conformance_no_such_module"])
    try:
        assert not zygote.forking
        out, err = zygote.run(_save_loop(str(tmp_path), weights, 1))
    finally:
        zygote.close()
    assert out.split() == ["ready", "done"], err


@LINUX
def test_children_start_afresh_once_the_zygote_has_ended(tmp_path, weights):
    zygote = Zygote()
    try:
        assert zygote.forking
        assert zygote._process is not None
        zygote._process.kill()
        zygote._process.wait()
        out, err = zygote.run(_save_loop(str(tmp_path), weights, 1))
        assert out.split() == ["ready", "done"], err
        assert not zygote.forking
    finally:
        zygote.close()
