"""``Profile``: what a backend author provides to run the suite against a backend.

A profile names the backend class, how to build an estimator and the data, and
what the backend can and cannot do. Try your own class against our fixtures with
``dataclasses.replace(harness.get_profile("mindspore"), name="mine", backend=MyBackend)``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

__all__ = ["PROFILE_ENTRY_POINT_GROUP", "Capabilities", "Profile", "Tolerances",
           "bundled_profile_names", "get_profile", "load_profile", "load_profiles"]

PROFILE_ENTRY_POINT_GROUP = "sedna_conformance.profiles"


def capability(sentence: str, default: bool = True) -> Any:
    """A capability flag; ``sentence`` says in plain words what it means."""
    return field(default=default, metadata={"sentence": sentence})


@dataclass(frozen=True)
class Capabilities:
    """What the backend under test can do. A clause that needs a capability the profile
    lacks is skipped, and the skip prints the capability's sentence.
    """

    deterministic_training: bool = capability(
        "Training twice from the same weights with the same seed gives the same weights.")
    registered_backend_type: bool = capability(
        "`set_backend` can build the backend from the profile's `backend_type`.")
    enforced_permissions: bool = capability(
        "File permissions are enforced for this process (not root), so a read-only folder "
        "really is read-only.", default=True)
    accepts_float64: bool = capability(
        "Float64 features are accepted and cast; without it they are refused with TypeError.")

    @classmethod
    def sentence(cls, name: str) -> str:
        """The one-sentence description of capability ``name``."""
        return str({f.name: f.metadata["sentence"] for f in dataclasses.fields(cls)}[name])

    @classmethod
    def names(cls) -> list[str]:
        """Every capability name."""
        return [f.name for f in dataclasses.fields(cls)]


@dataclass(frozen=True)
class Tolerances:
    """Numeric tolerances of the clauses that compare numbers."""

    accuracy_threshold: float = 0.9
    """``train.learns``: minimum accuracy on the training split after training."""
    batch_atol: float = 1e-5
    """``predict.batch-invariant``: absolute tolerance between batchings."""
    batch_rtol: float = 1e-4
    """``predict.batch-invariant``: relative tolerance between batchings."""


@dataclass(frozen=True)
class Profile:
    """A backend under test, with the estimator and data it is checked on.

    ``backend`` is called as ``backend(estimator=..., fine_tune=..., model_save_path=...,
    model_name=..., **options)``. ``estimator`` is a class (or zero-argument factory)
    giving a fresh Sedna-style estimator with ``train``/``predict``/``evaluate``/
    ``save``/``load``. ``datasets`` returns an object with ``train``, ``valid``,
    ``test``, ``incremental_train`` and ``incremental_test`` (each with ``x``, ``y``
    and ``len()``). ``expected_failures`` maps clause ids or globs to the reason.
    """

    name: str
    backend: type
    estimator: Callable[[], Any]
    datasets: Callable[[], Any]
    backend_type: str | None = None
    set_backend: Callable[..., Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    train_kwargs: Mapping[str, Any] = field(default_factory=dict)
    quick_train_kwargs: Mapping[str, Any] = field(default_factory=lambda: {"epochs": 1})
    tolerances: Tolerances = field(default_factory=Tolerances)
    capabilities: Capabilities = field(default_factory=Capabilities)
    expected_failures: Mapping[str, str] = field(default_factory=dict)
    architecture: str = ""
    requires_modules: tuple[str, ...] = ()
    seed: int = 0
    isolate: bool = False
    """Run this profile's clauses in a worker process even without ``--isolate``, for
    backends that may crash or hang the interpreter (see :mod:`harness.isolation`)."""
    foreign_checkpoint: Callable[[str], str] | None = None
    """Writes, into the given folder, a well-formed checkpoint of another architecture and
    returns its path (for ``ckpt.refuses-corrupt``); ``None`` skips that variant."""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"Profile.name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.backend, type):
            raise TypeError(f"Profile.backend must be a backend class, got {self.backend!r}")
        for attr in ("estimator", "datasets"):
            if not callable(getattr(self, attr)):
                raise TypeError(f"Profile.{attr} must be callable (a class or factory)")

    def resolved_set_backend(self) -> Callable[..., Any]:
        """The ``set_backend`` under test (ours unless the profile names one)."""
        if self.set_backend is not None:
            return self.set_backend
        from backends.registry import set_backend

        return set_backend

    def expected_failure(self, clause_id: str) -> str | None:
        """The declared reason ``clause_id`` fails for this profile, if any."""
        for pattern, reason in self.expected_failures.items():
            if fnmatch.fnmatchcase(clause_id, pattern):
                return reason
        return None

    def available(self) -> bool:
        """Whether every module in ``requires_modules`` can be imported here."""
        return all(importlib.util.find_spec(m) is not None for m in self.requires_modules)


def _bundled(variants: bool = True) -> dict[str, Callable[[], Profile]]:
    from harness import bundled

    return {**bundled.PROFILES, **(bundled.VARIANTS if variants else {})}


def bundled_profile_names(variants: bool = False) -> list[str]:
    """Names of the profiles shipped with the harness: those of the default run, and
    with ``variants=True`` also those run only when named (e.g. ``mindspore-graph``).
    """
    return list(_bundled(variants))


def get_profile(name: str) -> Profile:
    """A bundled profile, or one registered under ``sedna_conformance.profiles``."""
    bundled = _bundled()
    if name in bundled:
        return bundled[name]()
    for entry_point in metadata.entry_points(group=PROFILE_ENTRY_POINT_GROUP):
        if entry_point.name == name:
            return _as_profile(entry_point.load(), f"entry point {name!r}")
    known = sorted(bundled) + sorted(
        ep.name for ep in metadata.entry_points(group=PROFILE_ENTRY_POINT_GROUP))
    raise KeyError(f"no profile named {name!r}; known profiles: {known}; or pass "
                   "'module:attribute'")


def _as_profile(value: Any, source: str) -> Profile:
    if callable(value) and not isinstance(value, Profile):
        value = value()
    if not isinstance(value, Profile):
        raise TypeError(f"{source} must be a harness.Profile or a function returning one, "
                        f"got {type(value).__name__}")
    return value


def load_profiles(spec: str) -> list[Profile]:
    """Resolve ``--profile``: a bundled/entry-point name, or ``module:attribute`` holding a
    profile, a list of profiles, or a function returning either (called once).
    """
    if ":" not in spec:
        return [get_profile(spec)]
    module_name, _, attr = spec.partition(":")
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


def load_profile(spec: str) -> Profile:
    """Resolve ``--profile`` to exactly one profile (see :func:`load_profiles`)."""
    profiles = load_profiles(spec)
    if len(profiles) != 1:
        raise ValueError(f"--profile {spec} gives {len(profiles)} profiles, expected one")
    return profiles[0]
