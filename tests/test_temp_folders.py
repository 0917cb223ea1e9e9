"""A run leaves nothing behind: no ``sedna-*`` folder in the temporary folder (the
profile caches, the backends' default model folders, the children's files) and no
``.hypothesis/`` in the working folder, also when it is interrupted. Real runs of the
console script in a fresh working folder, with ``TMPDIR`` pointed at a fresh folder.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

SCRIPT = pathlib.Path(sys.executable).with_name("sedna-conformance")

#: A profile whose backend leaves a default model folder behind, as Sedna's BackendBase
#: does when given no model_save_path, and says where the temporary folder is; with
#: SEDNA_TEST_HANG set, its training then hangs, waiting to be interrupted.
HANGING = """
import dataclasses, os, tempfile, time
from sedna_conformance.harness.starter import reference_profile
from sedna_conformance.harness.starter.backend import NumpyBackend


class Backend(NumpyBackend):
    def train(self, *args, **kwargs):
        tempfile.mkdtemp(prefix="sedna-model-")
        hang = os.environ.get("SEDNA_TEST_HANG")
        if hang:
            with open(hang, "w") as handle:
                handle.write(tempfile.gettempdir())
            time.sleep(120)
        return super().train(*args, **kwargs)


PROFILE = dataclasses.replace(reference_profile(), name="leaving", backend=Backend)
"""


def _folders(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, dict[str, str]]:
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    (work / "leaving_profile.py").write_text(HANGING)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SEDNA_TEST_HANG")}
    return work, temp, {**env, "TMPDIR": str(temp)}


def _left(work: pathlib.Path, temp: pathlib.Path) -> list[str]:
    """What the run left: sedna-* in the temporary folder, .hypothesis in the working one."""
    return ([p.name for p in temp.iterdir() if p.name.startswith("sedna-")]
            + [p.name for p in work.iterdir() if p.name == ".hypothesis"])


@pytest.mark.parametrize("isolate", [(), ("--isolate",)], ids=["in-process", "isolated"])
def test_a_run_leaves_nothing_behind(tmp_path, isolate):
    work, temp, env = _folders(tmp_path)
    done = subprocess.run([str(SCRIPT), "run", "--profile", "leaving_profile:PROFILE",
                           *isolate, "--report-dir", str(tmp_path / "reports")],
                          cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "68 passed" in done.stdout  # properties ran (hypothesis), children were started
    assert _left(work, temp) == []
    # Python's own bytecode cache of the profile module may stay (PYTHONDONTWRITEBYTECODE)
    assert sorted(p.name for p in work.iterdir() if p.name != "__pycache__") == [
        "leaving_profile.py"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_nothing_behind(tmp_path, signum):
    work, temp, env = _folders(tmp_path)
    hanging = tmp_path / "hanging"
    process = subprocess.Popen([str(SCRIPT), "run", "--profile", "leaving_profile:PROFILE",
                                "--report-dir", str(tmp_path / "reports")],
                               cwd=work, env={**env, "SEDNA_TEST_HANG": str(hanging)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while not hanging.exists() or not hanging.read_text():
            assert process.poll() is None, process.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the backend never started training"
            time.sleep(0.05)
        run_temp = pathlib.Path(hanging.read_text())
        assert run_temp.parent == temp and run_temp.name.startswith("sedna-run-")
        assert any(p.name.startswith("sedna-") for p in temp.iterdir())  # things to remove
        process.send_signal(signum)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0, output[-3000:]
    assert _left(work, temp) == [], output[-3000:]
