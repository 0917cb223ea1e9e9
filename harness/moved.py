"""Where the harness's modules went when they were grouped into layer folders (contract 1.5,
December 2026): the old paths still import, with a ``DeprecationWarning`` naming the new
one, until they are removed in a later release. ``harness.contract`` and
``harness.processes`` are now the folders; the facts ``harness.contract`` held are
re-exported there.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import CodeType, ModuleType

__all__ = ["MOVED", "install"]

_PACKAGE = "sedna_conformance.harness"

#: The folder each module moved into, under its old name.
_INTO = {
    "contract": ("clauses", "profile", "results", "strategies", "arrays", "errors", "text",
                 "names", "exit_codes", "schema_check", "instruments"),
    "processes": ("zygote", "temp_folder", "s3_server"),
    "kit": ("clause_run", "trace", "failure", "profile_cache"),
    "plugin": ("collection", "outcomes", "scheduling", "interruption", "redaction"),
    "report": ("merge",),
    "starter": tuple(f"template.{name}" for name in ("backend", "data", "estimator", "profile")),
}
#: Old module (under ``sedna_conformance.harness``) -> where it is now.
MOVED = {
    **{old: f"{folder}.{old.removeprefix('template.')}" for folder, olds in _INTO.items()
       for old in olds},
    "child": "processes.helper", "storage": "processes.servers", "run": "kit.run_state",
    "reporting": "plugin.session_end", "isolation": "plugin.isolated_runs",
    "reports": "report.renderers", "report_files": "report.files", "template": "starter",
}


def _new(fullname: str) -> str | None:
    """Where the module at the old path ``fullname`` is now (``None``: it did not move)."""
    old = fullname.removeprefix(_PACKAGE + ".")
    return f"{_PACKAGE}.{MOVED[old]}" if fullname != old and old in MOVED else None


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old path as the module now at the new one."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, self) if _new(fullname) else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = _new(spec.name)
        assert new is not None
        warnings.warn(f"{spec.name} is deprecated: import {new}", DeprecationWarning,
                      stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """The module at the new path has run already."""

    def get_code(self, fullname: str) -> CodeType | None:
        """The new module's code, for ``python -m`` with an old path."""
        new = _new(fullname)
        assert new is not None
        warnings.warn(f"{fullname} is deprecated: run {new}", DeprecationWarning, stacklevel=2)
        spec = importlib.util.find_spec(new)
        loader = spec.loader if spec is not None else None
        return loader.get_code(new) if isinstance(loader, importlib.abc.InspectLoader) else None


def install() -> None:
    """Let the old paths import (once per process)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
