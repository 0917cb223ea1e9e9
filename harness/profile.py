"""``Profile``: what a backend author provides to run the suite against a backend.

A profile names the backend class, how to build an estimator and the data, and what the
backend can and cannot do. The template (:mod:`sedna_conformance.harness.template`) is a
complete one to start from.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sedna_conformance.harness.clauses import match

__all__ = ["Capabilities", "Profile", "Tolerances", "take_rows"]


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
    has_set_backend: bool = capability(
        "The profile names the `set_backend` Sedna's workers build this backend with "
        "(upstream's, or the author's own); without one the `set_backend` clauses are skipped, "
        "never run against another implementation.")
    registered_backend_type: bool = capability(
        "`set_backend` can build the backend from the profile's `backend_type`.")
    enforced_permissions: bool = capability(
        "The backend's storage honours file permissions, so a folder made read-only stays "
        "read-only to it (as root, the clause saves in a child without root's override).")
    remote_urls: bool = capability(
        "The backend saves to `s3://` URLs and loads from `s3://` and `http(s)://` URLs, with "
        "Sedna's S3 settings (`S3_ENDPOINT_URL`, `ACCESS_KEY_ID`, `SECRET_ACCESS_KEY`), as "
        "models are kept in Sedna's deployments.")
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


def take_rows(split: Any, rows: slice) -> Any:
    """A shallow copy of ``split`` holding only ``rows`` of its ``x`` and ``y`` (through
    ``dataclasses.replace`` for a frozen dataclass).
    """
    x, y = split.x[rows], split.y[rows]
    part = copy.copy(split)
    try:
        part.x, part.y = x, y
    except (AttributeError, TypeError):  # frozen dataclasses raise a subclass of these
        if not dataclasses.is_dataclass(split):
            raise TypeError(f"the default Profile.subset cannot set x and y on a "
                            f"{type(split).__name__}: give the profile a `subset` function "
                            "returning the given rows of a split") from None
        return dataclasses.replace(split, x=x, y=y)  # type: ignore[type-var]
    return part


@dataclass(frozen=True)
class Profile:
    """A backend under test, with the estimator and data it is checked on.

    ``backend`` is called as ``backend(estimator=..., fine_tune=..., model_save_path=...,
    model_name=..., **options)``. ``estimator`` is a class (or zero-argument factory)
    giving a fresh Sedna-style estimator with ``train``/``predict``/``evaluate``/
    ``save``/``load``. ``datasets`` returns an object with ``train``, ``valid``,
    ``test``, ``incremental_train`` and ``incremental_test`` (each with ``x``, ``y``
    and ``len()``). ``set_backend`` is the function Sedna's workers build the backend with
    (upstream's, or the author's own) and ``backend_type`` the type it knows the backend by;
    without both, the ``set_backend`` clauses are skipped. ``expected_failures`` maps clause
    ids or globs to the reason; each must match at least one clause id.
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
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    """Clause ids or globs that do not apply to this backend, with the reason: they report
    ``skipped`` with it, and block nothing."""
    architecture: str = ""
    seed: int = 0
    isolate: bool = False
    """Run this profile's clauses in a child process even without ``--isolate``, for backends
    that may crash or hang the interpreter (see :mod:`sedna_conformance.harness.isolation`)."""
    subset: Callable[[Any, slice], Any] = field(default=take_rows)
    """Returns the given rows of one of the profile's splits, in the profile's own data
    class (``sedna.federated-learning`` trains clients on halves). The default,
    :func:`take_rows`, copies the split object and slices its ``x`` and ``y``."""
    preload: tuple[str, ...] = ()
    """Modules the clauses' child processes may start with already imported (``module``,
    or ``module:function`` to also call it): on Linux each child is forked from one process
    of the run that imported them once, instead of importing its framework anew (about
    1 s for MindSpore), started when the profile's first clause runs. List frameworks;
    never a module that reads environment variables (Sedna's S3 settings) when imported, as
    a child's environment is set after the fork."""
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
        for attr in ("expected_failures", "not_applicable"):
            unmatched = [p for p in getattr(self, attr) if not match(p)]
            if unmatched:
                raise ValueError(f"Profile.{attr} of {self.name!r}: {unmatched} match no "
                                 "clause id; use ids or globs that `sedna-conformance list` "
                                 "prints, e.g. 'weights.*'")

    def expected_failure(self, clause_id: str) -> str | None:
        """The declared reason ``clause_id`` fails for this profile, if any."""
        return _declared(self.expected_failures, clause_id)

    def not_applicable_reason(self, clause_id: str) -> str | None:
        """The declared reason ``clause_id`` does not apply to this profile, if any."""
        return _declared(self.not_applicable, clause_id)


def _declared(patterns: Mapping[str, str], clause_id: str) -> str | None:
    for pattern, reason in patterns.items():
        if fnmatch.fnmatchcase(clause_id, pattern):
            return reason
    return None
