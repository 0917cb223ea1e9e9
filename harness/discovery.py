"""Finding profiles: by name among those registered under the ``sedna_conformance.profiles``
entry-point group, or as ``module:attribute``.

A package offers profiles by registering factories in that group, marked with
:func:`offered`: a profile is offered only where its framework imports, and runs by
default only if marked so. Nothing here imports a framework before asking whether it is
installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

from sedna_conformance.harness.profile import Profile

__all__ = ["PROFILE_ENTRY_POINT_GROUP", "Offer", "check_spec", "default_profile_specs",
           "get_profile", "load_profiles", "offered", "offers"]

PROFILE_ENTRY_POINT_GROUP = "sedna_conformance.profiles"

Factory = TypeVar("Factory", bound=Callable[[], Any])


def offered(*, requires: tuple[str, ...] = (), install: str = "",
            default: bool = False) -> Callable[[Factory], Factory]:
    """Mark a registered profile factory: offered only where every module in ``requires``
    imports (``install`` says how to get them), and part of the default run if ``default``.
    """
    def mark(factory: Factory) -> Factory:
        offer = {"requires": requires, "install": install, "default": default}
        factory.sedna_offer = offer  # type: ignore[attr-defined]
        return factory
    return mark


@dataclass(frozen=True)
class Offer:
    """A profile registered by name, not yet built."""

    name: str
    factory: Callable[[], Any]
    requires: tuple[str, ...] = ()
    install: str = ""
    default: bool = False

    def available(self) -> bool:
        """Whether every required module can be imported here (without importing it)."""
        return all(importlib.util.find_spec(m) is not None for m in self.requires)

    def missing(self) -> str:
        """What this offer needs that is not installed, and how to install it."""
        absent = [m for m in self.requires if importlib.util.find_spec(m) is None]
        return f"{self.name} needs {', '.join(absent)}" + (f" ({self.install})"
                                                          if self.install else "")

    def check(self) -> None:
        """``LookupError`` saying what to install, unless the profile can be built here."""
        if not self.available():
            raise LookupError(f"profile {self.name!r} is not available here: {self.missing()}")

    def build(self) -> Profile:
        """The profile (imports its framework)."""
        self.check()
        return _as_profile(self.factory, f"entry point {self.name!r}")


def _broken(name: str, error: Exception) -> Callable[[], Any]:
    def factory() -> Any:
        raise LookupError(f"the entry point of profile {name!r} does not load: "
                          f"{type(error).__name__}: {error}")
    return factory


def offers() -> dict[str, Offer]:
    """Every profile registered under :data:`PROFILE_ENTRY_POINT_GROUP`, by name (one whose
    entry point does not load is kept, and says why when it is built).
    """
    found = {}
    for entry_point in metadata.entry_points(group=PROFILE_ENTRY_POINT_GROUP):
        try:
            factory = entry_point.load()
        except Exception as error:  # another package's broken entry point: not ours to stop
            found[entry_point.name] = Offer(entry_point.name, _broken(entry_point.name, error))
            continue
        marks = getattr(factory, "sedna_offer", {})
        found[entry_point.name] = Offer(entry_point.name, factory, **marks)
    return found


def check_spec(spec: str) -> None:
    """Without importing any framework: ``LookupError`` if ``spec`` cannot name a profile here
    (an unknown or unavailable name, or a module that is not importable).
    """
    if ":" in spec:
        module = spec.partition(":")[0]
        _cwd_importable()
        try:
            found = importlib.util.find_spec(module)
        except ImportError:
            found = None
        if found is None:
            raise LookupError(f"no module named {module!r} (from the current folder or "
                              "sys.path)")
        return
    _offer(spec).check()


def _cwd_importable() -> None:
    """Let ``module:attribute`` name a module in the current folder, as ``python -m`` does
    (console scripts do not put it on ``sys.path``); appended, so it shadows nothing.
    """
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.append(os.getcwd())


def default_profile_specs() -> tuple[list[str], list[Offer]]:
    """The names the default run checks (offered by default and available here), and the
    default offers left out because their framework is missing.
    """
    defaults = [offer for offer in offers().values() if offer.default]
    return ([o.name for o in defaults if o.available()],
            [o for o in defaults if not o.available()])


def _offer(name: str) -> Offer:
    registered = offers()
    if name not in registered:
        raise LookupError(f"no profile named {name!r}; registered: {sorted(registered)}; or "
                          "pass 'module:attribute'")
    return registered[name]


def get_profile(name: str) -> Profile:
    """The profile registered as ``name``."""
    return _offer(name).build()


def _as_profile(value: Any, source: str) -> Profile:
    if callable(value) and not isinstance(value, Profile):
        value = value()
    if not isinstance(value, Profile):
        raise TypeError(f"{source} must be a sedna_conformance.harness.Profile or a function "
                        f"returning one, got {type(value).__name__}")
    return value


def load_profiles(spec: str) -> list[Profile]:
    """Resolve ``--profile``: a registered name, or ``module:attribute`` holding a profile,
    a list of profiles, or a function returning either (called once).
    """
    if ":" not in spec:
        return [get_profile(spec)]
    module_name, _, attr = spec.partition(":")
    _cwd_importable()
    module = importlib.import_module(module_name)
    try:
        value = getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"module {module_name!r} has no attribute {attr!r} "
                             f"(from --profile {spec})") from None
    if callable(value) and not isinstance(value, Profile):
        value = value()
    if isinstance(value, list | tuple):
        return [_as_profile(v, spec) for v in value]
    return [_as_profile(value, spec)]
