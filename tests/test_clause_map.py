"""Each clause is one hop from its id: its body in ``conformance_tests/`` is named after it
(``ckpt.interrupted-save`` -> ``test_interrupted_save``) and there is exactly one; its
mutant is ``tests/mutants.py``'s ``MUTANTS[id]`` (checked by the mutant zoo).
"""

from __future__ import annotations

import ast
import pathlib

from sedna_conformance.harness import CLAUSES

BODIES = pathlib.Path(__file__).resolve().parents[1] / "conformance_tests"


def _bodies() -> list[tuple[str, str, str]]:
    """(file, clause id, function name) of every ``@clause(...)`` body."""
    found = []
    for path in sorted(BODIES.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                found += [(path.name, d.args[0].value, node.name) for d in node.decorator_list
                          if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "clause"]
    return found


def test_each_clause_has_one_body_named_after_it():
    bodies = _bodies()
    assert sorted(cid for _, cid, _ in bodies) == sorted(CLAUSES)
    misnamed = [f"{file}: {name} is the body of {cid}" for file, cid, name in bodies
                if name != "test_" + cid.split(".", 1)[1].replace("-", "_")]
    assert misnamed == []


def test_each_body_is_in_its_group_file():
    grouped = {"load": "save_load", "save": "save_load", "ckpt": "checkpoint"}
    strays = [f"{file}: {cid}" for file, cid, _ in _bodies()
              if not file.startswith("test_" + grouped.get(cid.split(".")[0],
                                                           cid.split(".")[0]))]
    assert strays == []
