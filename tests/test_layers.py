"""The harness's folders are its layers (docs/architecture.md): a module imports only from
its own layer or lower ones; the contract imports nothing else of the harness and no
pytest; only the plugin implements pytest hooks. Checked on the source, lazy imports too.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

HARNESS = pathlib.Path(__file__).resolve().parents[1] / "harness"
PACKAGE = "sedna_conformance.harness"

#: Each folder or top-level module of harness/ and its layer, lowest first (one table; the
#: architecture page shows the same order).
LAYERS = {
    "contract": 1,
    "discovery": 2, "options": 2,
    "processes": 3,
    "kit": 4, "report": 4,
    "plugin": 5,
    "starter": 6, "cli": 6, "reference_pages": 6, "__main__": 6, "moved": 6,
}


def _part(module: str) -> str:
    """The folder or top-level module a harness module belongs to."""
    return module.removeprefix(PACKAGE + ".").split(".")[0]


def _imports(source: str) -> list[tuple[int, str]]:
    """The harness modules ``source`` imports (line, module), lazy imports included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != PACKAGE else [
                f"{PACKAGE}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in names if name.startswith(PACKAGE + ".")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names
                      if alias.name.startswith(PACKAGE + ".")]
    return found


def violations(sources: dict[str, str]) -> list[str]:
    """Every import of a higher layer, every pytest import or foreign import in the
    contract, every pytest hook outside the plugin, in ``sources`` (path under harness/ ->
    text).
    """
    found = []
    for path, source in sources.items():
        parts = pathlib.PurePosixPath(path).with_suffix("").parts
        if parts == ("__init__",):
            continue  # the package's face: re-exports the public names
        mine = parts[0]
        for line, module in _imports(source):
            theirs = _part(module)
            if LAYERS[theirs] > LAYERS[mine]:
                found.append(f"{path}:{line} imports {module} (layer {LAYERS[theirs]} is "
                             f"above {mine}'s {LAYERS[mine]})")
            elif mine == "contract" and theirs != "contract":
                found.append(f"{path}:{line}: the contract imports {module}")
        tree = ast.parse(source)
        if mine == "contract" and any(
                isinstance(n, (ast.Import, ast.ImportFrom)) and "pytest" in ast.unparse(n)
                for n in ast.walk(tree)):
            found.append(f"{path}: the contract imports pytest")
        if mine != "plugin":
            found += [f"{path}:{n.lineno} implements the pytest hook {n.name}"
                      for n in ast.walk(tree)
                      if isinstance(n, ast.FunctionDef) and n.name.startswith("pytest_")]
    return found


def _sources() -> dict[str, str]:
    return {path.relative_to(HARNESS).as_posix(): path.read_text(encoding="utf-8")
            for path in HARNESS.rglob("*.py")}


def test_every_folder_and_module_has_a_layer():
    named = {p.relative_to(HARNESS).with_suffix("").parts[0] for p in HARNESS.rglob("*.py")}
    assert named - {"__init__"} == set(LAYERS)


def test_no_module_imports_a_higher_layer():
    assert violations(_sources()) == []


@pytest.mark.parametrize("path, source", [
    ("contract/profile.py", "from sedna_conformance.harness.kit.trace import Trace\n"),
    ("contract/text.py", "import pytest\n"),
    ("contract/text.py", "def f():\n    from sedna_conformance.harness.discovery import x\n"),
    ("processes/zygote.py", "from sedna_conformance.harness.plugin import RUN\n"),
    ("kit/trace.py", "from sedna_conformance.harness import cli\n"),
    ("report/files.py", "class A:\n    def pytest_configure(self, config): ...\n"),
])
def test_a_lower_layer_importing_a_higher_one_is_caught(path, source):
    assert len(violations({path: source})) == 1
