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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

from sedna_conformance.harness.contract.profile import Profile

__all__ = [
    "PROFILE_ENTRY_POINT_GROUP",
    "SEARCH_PATH_VARIABLE",
    "Offer",
    "ProfileError",
    "check_spec",
    "child_search_path",
    "default_profile_specs",
    "extend_search_path",
    "get_profile",
    "load_profiles",
    "no_default_profile_message",
    "offered",
    "offers",
    "specs_to_run",
]

PROFILE_ENTRY_POINT_GROUP = "sedna_conformance.profiles"
#: The environment variable handing a child the parent's module search path (absolute
#: folders, ``os.pathsep``-joined), which the child appends to its own.
SEARCH_PATH_VARIABLE = "SEDNA_CONFORMANCE_PATH"
#: The working folder when the harness was imported (before any backend could ``chdir``).
_START_FOLDER = os.getcwd()

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


class ProfileError(LookupError):
    """A profile cannot be loaded: its ``str()`` is one line saying which step and why."""


def _loading(step: str, call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)``, where anything raised (``sys.exit`` too) is a :class:`ProfileError`
    naming ``step`` and the exception in one line; a ``TypeError`` or ``ValueError`` from
    a ``Profile``'s own checks is said as it is.
    """
    try:
        return call(*args)
    except (TypeError, ValueError) as error:
        if str(error).startswith(("Profile.", "Tolerances.", "Capabilities.")):
            raise ProfileError(_one_line(error)) from error
        raise ProfileError(f"{step} raised {_described(error)}") from error
    except SystemExit as error:
        raise ProfileError(f"{step} called sys.exit({error.code!r})") from None
    except Exception as error:
        raise ProfileError(f"{step} raised {_described(error)}") from error


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 500 else text[:497] + "..."


def _described(error: BaseException) -> str:
    text = _one_line(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


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


def child_search_path() -> dict[str, str]:
    """The environment variables to give any child process of the run, so that it can
    import what this process can (a profile's module in the user's working folder):
    this process's ``sys.path`` as absolute paths (``""`` read as the folder the harness
    started in, not the current one, which a backend may have changed). The child appends
    them with :func:`extend_search_path`; started with ``-P``, it puts no folder of its
    own in front of them.
    """
    folders = [os.path.join(_START_FOLDER, entry) if not os.path.isabs(entry) else entry
               for entry in sys.path if isinstance(entry, str)]
    kept = [f for f in dict.fromkeys(os.path.normpath(f) for f in folders) if os.path.exists(f)]
    return {SEARCH_PATH_VARIABLE: os.pathsep.join(kept)}


def extend_search_path() -> None:
    """In a child process, first thing: append to ``sys.path`` the folders its parent gave
    in :data:`SEARCH_PATH_VARIABLE` that it lacks. Appended, they shadow nothing the child
    finds itself, and being absolute they do not depend on its working folder.
    """
    for folder in os.environ.get(SEARCH_PATH_VARIABLE, "").split(os.pathsep):
        if os.path.isabs(folder) and folder not in sys.path:
            sys.path.append(folder)


def default_profile_specs() -> tuple[list[str], list[Offer]]:
    """The names the default run checks (offered by default and available here), and the
    default offers left out because their framework is missing.
    """
    defaults = [offer for offer in offers().values() if offer.default]
    return ([o.name for o in defaults if o.available()],
            [o for o in defaults if not o.available()])


def no_default_profile_message(missing: list[Offer]) -> str:
    """One line: no bundled framework imports here, and what to do about it."""
    needs = "; ".join(offer.missing() for offer in missing) or "none is registered"
    return (f"no bundled profile can run here ({needs}): install one, or name a profile "
            "(sedna-conformance run --profile NAME|module:attribute, or pytest "
            "--conformance-profile ...; e.g. numpy-reference)")


def specs_to_run(given: Sequence[str]) -> tuple[list[str], list[Offer]]:
    """The profile specs a run checks: ``given``, or else every default offer that can run
    here, with the default offers left out for a missing framework; ``LookupError`` (one
    line) when there is none.
    """
    if given:
        return list(given), []
    specs, missing = default_profile_specs()
    if not specs:
        raise LookupError(no_default_profile_message(missing))
    return specs, missing


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
        value = _loading(f"calling {source}", value)
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
    if not module_name or not attr:
        raise ProfileError(f"expected a registered name or module:attribute, got {spec!r}")
    _cwd_importable()
    try:
        found = importlib.util.find_spec(module_name.partition(".")[0])
    except (ImportError, ValueError):  # a relative name, or one that is no module name
        found = None
    if found is None:
        raise ProfileError(f"no module named {module_name!r} (from the current folder or "
                           "sys.path)")
    module = _loading(f"importing module {module_name!r}", importlib.import_module,
                      module_name)
    try:
        value = getattr(module, attr)
    except AttributeError:
        raise ProfileError(f"module {module_name!r} has no attribute {attr!r} "
                           f"(from --profile {spec})") from None
    if callable(value) and not isinstance(value, Profile):
        value = _loading(f"calling {spec}", value)
    if isinstance(value, list | tuple):
        return [_as_profile(v, spec) for v in value]
    return [_as_profile(value, spec)]
