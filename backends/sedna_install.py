"""Make an installed upstream KubeEdge Sedna build this project's backends.

Sedna's jobs (``IncrementalLearning``, ``FederatedLearning``, ``LifelongLearning``, ...)
build their backend with upstream's ``sedna.backend.set_backend``, which knows no
``TINYMS`` and only a stub ``MSBackend``. :func:`install_into_sedna` makes every place
upstream looks the function up resolve ``TINYMS`` to :class:`TinyMSBackend` and
``MINDSPORE`` to this project's complete :class:`MSBackend`; ``TORCH`` (``TorchBackend``)
and ``KERAS`` (``KerasBackend``) only when the caller asks for them by name
(``install_into_sedna(types=("TINYMS", "MINDSPORE", "TORCH"))``): replacing upstream's
own backend for a framework is the user's choice. Every other type is left to upstream
exactly as before. It is idempotent, and :func:`uninstall_from_sedna` undoes it.

Upstream binds ``set_backend`` by name in several modules (``sedna.core.base``, the
task-learning algorithms, lifelong learning's knowledge management, unseen-task
processing), so each loaded module's binding is replaced, and ``sedna.backend`` itself,
so modules imported later bind the new one. Multi-edge inference's
``PluggableModel._set_backend`` copies upstream's type switch instead of calling it; it is
wrapped too when that module imports.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["AVAILABLE_TYPES", "OUR_TYPES", "install_into_sedna", "installed",
           "uninstall_from_sedna"]

#: The backend types this project resolves inside Sedna by default; all others stay
#: upstream's.
OUR_TYPES = ("TINYMS", "MINDSPORE")
#: Every type :func:`install_into_sedna` can take over (``TORCH`` and ``KERAS`` on request).
AVAILABLE_TYPES = ("TINYMS", "MINDSPORE", "TORCH", "KERAS")
_TYPES = "__sedna_conformance_types__"
_ORIGINAL = "__sedna_conformance_original__"
_PLUGINS = "sedna.core.multi_edge_inference.plugins"


def _requested_type(config: Any) -> str:
    """The backend type as upstream reads it: ``BACKEND_TYPE``, else ``config``'s."""
    fallback = config.get("backend_type", "UNKNOWN") if config is not None else "UNKNOWN"
    return str(os.getenv("BACKEND_TYPE", fallback)).upper()


def _upstream_backend_module() -> Any:
    """``sedna.backend``, checked to be KubeEdge Sedna's."""
    try:
        module = importlib.import_module("sedna.backend")
        base = importlib.import_module("sedna.backend.base")
    except ImportError as error:
        found = sys.modules.get("sedna")
        where = getattr(found, "__file__", None)
        raise ImportError(
            "install_into_sedna() needs KubeEdge Sedna's Python SDK (the package providing "
            "sedna.backend.set_backend and sedna.backend.base.BackendBase)"
            + (f"; the 'sedna' imported from {where} is not it (the PyPI package named "
               "'sedna' is an unrelated maths package)" if where else "")
            + f": {error}") from error
    if not (callable(getattr(module, "set_backend", None))
            and isinstance(getattr(base, "BackendBase", None), type)):
        raise ImportError(f"install_into_sedna() needs KubeEdge Sedna's sedna.backend with "
                          f"set_backend and BackendBase; {module.__file__} has neither")
    return module


def _wrap_set_backend(original: Callable[..., Any],
                      types: tuple[str, ...]) -> Callable[..., Any]:
    from sedna_conformance.backends.registry import set_backend as ours

    def set_backend(estimator: Any = None, config: Any = None) -> Any:
        if estimator is not None and _requested_type(config) in types:
            return ours(estimator=estimator, config=config)
        return original(estimator=estimator, config=config)

    set_backend.__doc__ = (f"Upstream's set_backend, with {', '.join(types)} built by "
                           "sedna_conformance.backends (install_into_sedna).")
    setattr(set_backend, _ORIGINAL, original)
    setattr(set_backend, _TYPES, types)
    return set_backend


def _wrap_plugin_method(original: Callable[..., Any],
                        types: tuple[str, ...]) -> Callable[..., Any]:
    from sedna_conformance.backends.registry import set_backend as ours

    def _set_backend(self: Any) -> Any:
        if _requested_type(self.config) not in types:
            return original(self)
        return ours(estimator=self, config=self.config)  # the plugin is its own estimator

    setattr(_set_backend, _ORIGINAL, original)
    return _set_backend


def _checked_types(types: Any) -> tuple[str, ...]:
    """``types`` as upper-case names, each one this project can build."""
    if isinstance(types, str) or not all(isinstance(t, str) for t in types):
        raise TypeError(f"types must be a sequence of backend type names such as "
                        f"{OUR_TYPES!r}, got {types!r}")
    wanted = tuple(dict.fromkeys(t.upper() for t in types))
    unknown = [t for t in wanted if t not in AVAILABLE_TYPES]
    if unknown or not wanted:
        raise ValueError(f"types must name one or more of {', '.join(AVAILABLE_TYPES)}; got "
                         f"{list(types)!r}")
    return wanted


def installed() -> bool:
    """Whether :func:`install_into_sedna` is in effect."""
    module = sys.modules.get("sedna.backend")
    return module is not None and hasattr(getattr(module, "set_backend", None), _ORIGINAL)


def _rebind(old: Any, new: Any) -> list[str]:
    """Replace ``set_backend`` bound to ``old`` by ``new`` in every loaded sedna module."""
    changed = []
    for name, module in list(sys.modules.items()):
        if (name == "sedna" or name.startswith("sedna.")) and \
                getattr(module, "set_backend", None) is old:
            vars(module)["set_backend"] = new  # the module's own binding
            changed.append(name)
    return changed


def install_into_sedna(types: Any = OUR_TYPES) -> list[str]:
    """Make upstream Sedna build the backend ``types`` (default ``TINYMS`` and
    ``MINDSPORE``; ``TORCH`` and ``KERAS`` only when named) with this project's backends.

    Returns the modules whose ``set_backend`` now resolves them. Calling it again with
    other ``types`` replaces the earlier choice. Raises ``ValueError`` for a type this
    project has no backend for, and ``ImportError`` naming what it expected if the
    importable ``sedna`` is not KubeEdge Sedna; either way nothing is changed.
    """
    wanted = _checked_types(types)
    module = _upstream_backend_module()
    current = module.set_backend
    if hasattr(current, _ORIGINAL) and getattr(current, _TYPES, None) == wanted:
        return _rebind(getattr(current, _ORIGINAL), current)  # modules loaded since
    if hasattr(current, _ORIGINAL):
        uninstall_from_sedna()
        current = module.set_backend
    changed = _rebind(current, _wrap_set_backend(current, wanted))
    try:
        importlib.import_module(_PLUGINS)
    except ImportError:  # its package needs extra dependencies (kafka, ...): the plugins
        pass             # module itself may still have loaded, and be imported later
    plugins = sys.modules.get(_PLUGINS)
    if plugins is None:
        return changed
    model = plugins.PluggableModel
    if not hasattr(model._set_backend, _ORIGINAL):
        model._set_backend = _wrap_plugin_method(model._set_backend, wanted)
        changed.append(f"{_PLUGINS}.PluggableModel._set_backend")
    return changed


def uninstall_from_sedna() -> list[str]:
    """Undo :func:`install_into_sedna`; returns the modules restored."""
    module = sys.modules.get("sedna.backend")
    current = getattr(module, "set_backend", None)
    if not hasattr(current, _ORIGINAL):
        return []
    restored = _rebind(current, getattr(current, _ORIGINAL))
    plugins = sys.modules.get(_PLUGINS)
    method = getattr(getattr(plugins, "PluggableModel", None), "_set_backend", None)
    if plugins is not None and hasattr(method, _ORIGINAL):
        plugins.PluggableModel._set_backend = getattr(method, _ORIGINAL)
        restored.append(f"{_PLUGINS}.PluggableModel._set_backend")
    return restored
