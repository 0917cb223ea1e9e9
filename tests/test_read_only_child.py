"""``ckpt.read-only-folder`` as root: the save runs in a child that file modes bind
(:func:`sedna_conformance.harness.processes.helper.save_once`), and never judges a backend
when the child could still write into the read-only folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from sedna_conformance.harness.processes import helper as child
from sedna_conformance.harness.processes.zygote import Zygote
from sedna_conformance.harness.starter.estimator import SoftmaxRegression

_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def read_only(tmp_path):
    """A reference checkpoint and an empty read-only folder (mode r-x for its owner)."""
    weights = SoftmaxRegression().save(str(tmp_path / "model.npz"))
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    yield weights, str(folder)
    folder.chmod(0o700)


def _child(weights: str, folder: str, *extra: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "sedna_conformance.harness.processes.helper", "save-once",
                           "--profile", "numpy-reference", "--name", "numpy-reference",
                           "--weights-from", weights, "--folder", folder, *extra],
                          capture_output=True, text=True, timeout=300, check=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("result ")][-1]
    return json.loads(line.removeprefix("result "))


def test_refused_writing_matches_the_process(read_only):
    _, folder = read_only
    assert child.refused_writing(folder) is not _ROOT
    assert os.listdir(folder) == []


def test_save_once_reports_the_permission_error(read_only):
    weights, folder = read_only
    calls: list[str] = []
    report = child.Helpers(Zygote(), "numpy-reference", "numpy-reference", calls).save_once(
        weights, folder)
    if report.skip:
        pytest.skip(report.skip)
    assert report.error == "PermissionError" and report.permission_error, report
    assert report.left == () and os.listdir(folder) == []
    assert calls and calls[0].startswith("child process (") and "save-once" in calls[0]


@pytest.mark.skipif(not _ROOT or sys.platform != "linux", reason="root on Linux only")
def test_a_child_keeping_roots_override_judges_nothing(read_only):
    weights, folder = read_only
    assert _child(weights, folder) == {
        "unenforced": f"it could still create a file in the read-only folder (uid {os.geteuid()})"}
    assert os.listdir(folder) == []
    report = _child(weights, folder, "--drop-capabilities")
    assert report["permission_error"] and report["left"] == []


@pytest.mark.skipif(not _ROOT, reason="the user 'nobody' route is taken as root only")
def test_the_nobody_route_runs_or_says_why(read_only, monkeypatch):
    """Where capabilities cannot be dropped (not Linux), the child runs as ``nobody``: here
    it either saves and is refused, or the clause is skipped with one sentence naming what
    ``nobody`` cannot read.
    """
    weights, folder = read_only
    monkeypatch.setattr(child.sys, "platform", "darwin")
    report = child.Helpers(Zygote(), "numpy-reference", "numpy-reference", []).save_once(
        weights, folder)
    if report.skip:
        assert report.skip.startswith("as root, the unprivileged user 'nobody' cannot read ")
        assert "is closed to it" in report.skip and report.skip.count(". ") == 0
    else:
        assert report.permission_error and report.left == (), report


def test_blocked_for_walks_every_folder():
    base = tempfile.mkdtemp()
    try:
        os.chmod(base, 0o755)
        closed = os.path.join(base, "closed")
        os.makedirs(os.path.join(closed, "inner"), mode=0o755)
        target = os.path.join(closed, "inner", "file")
        with open(target, "w") as handle:
            handle.write("x")
        os.chmod(target, 0o644)
        owner = os.stat(target).st_uid
        other = 65534 if owner != 65534 else 65533
        assert child._blocked_for(target, owner, os.getgid()) is None
        if child._blocked_for(base, other, other) is None:  # /tmp open to everyone
            assert child._blocked_for(target, other, other) is None
            os.chmod(closed, 0o700)
            assert child._blocked_for(target, other, other) == closed
            assert child._blocked_for(target, owner, os.getgid()) is None
            os.chmod(target, 0o600)
            os.chmod(closed, 0o755)
            assert child._blocked_for(target, other, other) == target
    finally:
        shutil.rmtree(base)
