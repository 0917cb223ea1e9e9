"""The suite's child processes run with the working folder off ``sys.path`` (``python
-P``): a ``numpy.py`` in the folder a user runs from is never imported in place of
NumPy. They still find a profile whose module lives in that folder, through the search
path their parent hands them (appended, absolute), even after the backend changed the
current folder. Real runs of the console script, from such a folder.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from sedna_conformance.harness.discovery import (
    SEARCH_PATH_VARIABLE,
    child_search_path,
)

SCRIPT = pathlib.Path(sys.executable).with_name("sedna-conformance")

#: Imported instead of NumPy, it leaves a mark and breaks the process that imported it.
SHADOW = """
import os
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "SHADOWED"), "a") as f:
    f.write(f"{os.getpid()}\\n")
raise ImportError("the working folder's numpy.py was imported")
"""

#: A profile in the working folder whose backend changes the current folder.
WANDERING = """
import dataclasses, os, tempfile
from sedna_conformance.harness.starter import reference_profile
from sedna_conformance.harness.starter.backend import NumpyBackend


class WanderingBackend(NumpyBackend):
    def __init__(self, *args, **kwargs):
        os.chdir(tempfile.mkdtemp(prefix="elsewhere-"))
        super().__init__(*args, **kwargs)


PROFILE = dataclasses.replace(reference_profile(), name="wandering", backend=WanderingBackend)
"""


#: The same profile, staying where it was started.
STAYING = """
import dataclasses
from sedna_conformance.harness.starter import reference_profile

PROFILE = dataclasses.replace(reference_profile(), name="staying")
"""


@pytest.fixture
def folder(tmp_path):
    """A user's working folder holding ``numpy.py`` and their profiles."""
    (tmp_path / "numpy.py").write_text(SHADOW)
    (tmp_path / "staying_profile.py").write_text(STAYING)
    (tmp_path / "wandering_profile.py").write_text(WANDERING)
    return tmp_path


@pytest.mark.parametrize("isolate", [(), ("--isolate",)], ids=["in-process", "isolated"])
@pytest.mark.parametrize("profile", ["staying", "wandering"])
def test_children_ignore_the_working_folder_and_find_the_profile_anyway(folder, profile,
                                                                        isolate):
    """``ckpt.*`` start children (save loops killed part-way, a save in a read-only folder)
    that rebuild the profile from its spec, in the current folder of the run (the user's,
    or where the wandering backend went); under ``--isolate`` every clause runs in a
    child pytest process too.
    """
    done = subprocess.run([str(SCRIPT), "run", "--profile", f"{profile}_profile:PROFILE",
                           "--clause", "ckpt.*", *isolate, "--report-dir",
                           str(folder / "reports")],
                          cwd=folder, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    output = done.stdout + done.stderr
    assert not (folder / "SHADOWED").exists(), output[-3000:]
    assert done.returncode == 0, output[-3000:]
    report = json.loads((folder / "reports" / "conformance.json").read_text())
    statuses = {c: r["status"] for c, r in report["profiles"][profile]["clauses"].items()
                if c.startswith("ckpt.")}
    assert set(statuses.values()) == {"passed"}, statuses
    assert "No module named" not in output


def test_a_child_appends_its_parents_path_and_puts_no_folder_first(folder):
    """What ``extend_search_path`` does at a child's start, in a real ``python -P`` child
    whose current folder is elsewhere.
    """
    given = child_search_path()[SEARCH_PATH_VARIABLE].split(os.pathsep)
    assert all(os.path.isabs(entry) for entry in given)
    code = ("import json, sys\n"
            "before = list(sys.path)\n"
            "from sedna_conformance.harness.discovery import extend_search_path\n"
            "extend_search_path()\n"
            "print(json.dumps([before, sys.path]))\n")
    done = subprocess.run([sys.executable, "-P", "-c", code], cwd=folder, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, SEARCH_PATH_VARIABLE: os.pathsep.join(
                              [*given, str(folder)])})
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = json.loads(done.stdout)
    assert after[:len(before)] == before  # nothing in front of the child's own path
    assert str(folder) in after and str(folder) not in before
    assert "" not in after and os.getcwd() not in before
