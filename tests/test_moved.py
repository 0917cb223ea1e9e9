"""The module paths from before the layer folders still work, with a warning naming the
new path (``harness/moved.py``), until they are removed.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from sedna_conformance.harness.moved import MOVED

OLD = "sedna_conformance.harness."


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_imports_the_module_now_elsewhere(old):
    sys.modules.pop(OLD + old, None)
    with pytest.warns(DeprecationWarning, match=f"import {OLD}{MOVED[old]}"):
        module = importlib.import_module(OLD + old)
    assert module is importlib.import_module(OLD + MOVED[old])


def test_an_old_path_runs_with_python_m():
    done = subprocess.run([sys.executable, "-m", OLD + "child", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "save-loop" in done.stdout


def test_the_old_facts_module_is_the_contract_folder():
    from sedna_conformance.harness.contract import model_info, wire
    from sedna_conformance.harness.contract.facts import model_info as moved_info

    assert model_info is moved_info and callable(wire)
