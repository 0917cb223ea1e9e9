"""``Profile``: what a backend author provides to run the suite against a backend.

A profile names the backend class, how to build an estimator and the data, and what the
backend can and cannot do. The template (:mod:`sedna_conformance.harness.starter`) is a
complete one to start from.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import importlib.util
import math
import numbers
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sedna_conformance.harness.contract.arrays import to_numpy
from sedna_conformance.harness.contract.clauses import CLAUSES, match, version_key, version_problem
from sedna_conformance.harness.contract.errors import SetupError

__all__ = ["SPLITS", "Capabilities", "Profile", "Tolerances", "check_splits", "take_rows"]

#: The data splits every profile's ``datasets`` gives.
SPLITS = ("train", "valid", "test", "incremental_train", "incremental_test")


#: What a profile name may be: it names report rows, folders and pytest ids, so no path
#: separator, control character or leading/trailing space, and not "." or "..".
_OK = r"[^/\\\x00-\x1f\x7f]"  # any character but a path separator or a control one
_NAME = re.compile(rf"(?!\.{{1,2}}$)(?!\s){_OK}{{1,100}}(?<!\s)")


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
    reports_devices: bool = capability(
        "The profile says whether a GPU is visible to its framework (`gpu_visible`) and "
        "where a backend's model lives (`model_device`); without both hooks the `device.*` "
        "clauses are skipped.")

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

    def __post_init__(self) -> None:
        for attr, expected in (("accuracy_threshold", "a fraction in [0, 1]"),
                               ("batch_atol", "a finite number >= 0"),
                               ("batch_rtol", "a finite number >= 0")):
            value = getattr(self, attr)
            number = (float(value) if isinstance(value, numbers.Real)
                      and not isinstance(value, bool) else math.nan)
            if not (math.isfinite(number) and number >= 0
                    and (attr != "accuracy_threshold" or number <= 1)):
                raise ValueError(f"Tolerances.{attr} must be {expected}, got {_kind(value)}")


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

    ``name`` names it in reports, folders and ids (no path separator or control character).
    ``backend`` is called as ``backend(estimator=..., fine_tune=..., model_save_path=...,
    model_name=..., **options)``. ``estimator`` is a class (or zero-argument factory)
    giving a fresh estimator, in whatever form the backend takes: a Sedna-style object with
    ``train(train_data=, valid_data=, **kw)`` (or ``fit``), or a bare network the backend
    trains itself; it needs no ``save``/``load`` (the harness copies a trained one through
    them where they round-trip, else with :func:`copy.deepcopy`).
    ``datasets`` returns an object with ``train``, ``valid``, ``test``,
    ``incremental_train`` and ``incremental_test`` (each with ``x``, ``y`` and ``len()``;
    ``x`` and ``y`` in any array-like form ``as_array`` reads). ``set_backend`` is the
    function Sedna's workers build the backend with (upstream's, or the author's own) and
    ``backend_type`` the type it knows the backend by; without both, the ``set_backend``
    clauses are skipped. ``expected_failures`` maps clause ids or globs to the reason; each
    must match at least one clause id.
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
    that may crash or hang the interpreter (see
    :mod:`sedna_conformance.harness.plugin.isolated_runs`)."""
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
    accuracy_key: str = "accuracy"
    """The key of the accuracy (a fraction in [0, 1]) in what ``evaluate`` returns: every
    clause that reads an accuracy reads this one (Keras reports ``acc`` or ``accuracy``)."""
    as_array: Callable[[Any], Any] = field(default=to_numpy)
    """Turns the profile's data (``x``, ``y``) and the backend's outputs into NumPy arrays,
    wherever the harness inspects values; the default,
    :func:`~sedna_conformance.harness.contract.arrays.to_numpy`, reads arrays, lists and PyTorch or
    TensorFlow tensors. What the harness passes to the backend stays in the profile's type."""
    gpu_visible: Callable[[], bool] | None = None
    """Whether a GPU is visible to the backend's framework in this process (e.g.
    ``torch.cuda.is_available``); with ``model_device``, enables the ``device.*`` clauses."""
    model_device: Callable[[Any], str] | None = None
    """Where a backend's model lives: ``"gpu"`` or ``"cpu"`` (e.g. for PyTorch,
    ``lambda b: next(b.estimator.parameters()).device.type.replace("cuda", "gpu")``)."""
    contract: str | None = None
    """The contract version this profile is written against (e.g. ``"1.3"``): clauses that
    appeared later still run and are shown as new, their verdicts not counted until it is
    raised; ``None`` follows this suite's version."""
    requires_modules: tuple[str, ...] = ()
    """Deprecated (contract 1.4): modules the profile needs; a run stops with a usage error
    naming those that do not import. Register the profile with
    ``offered(..., requires=(...))`` instead."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError("Profile.name must be 1 to 100 characters without '/', '\\', "
                             "control characters or spaces at either end, and not '.' or "
                             f"'..' (it names folders and test ids), got {self.name!r}")
        if not isinstance(self.backend, type):
            raise TypeError(f"Profile.backend must be a backend class, got {self.backend!r}")
        for attr in ("estimator", "datasets", "subset", "as_array"):
            if not callable(getattr(self, attr)):
                raise TypeError(f"Profile.{attr} must be callable, got "
                                f"{_kind(getattr(self, attr))}")
        for attr in ("set_backend", "foreign_checkpoint", "gpu_visible", "model_device"):
            value = getattr(self, attr)
            if value is not None and not callable(value):
                raise TypeError(f"Profile.{attr} must be callable or None, got {_kind(value)}")
        for attr in ("options", "train_kwargs", "quick_train_kwargs", "expected_failures",
                     "not_applicable"):
            if not isinstance(getattr(self, attr), Mapping):
                raise TypeError(f"Profile.{attr} must be a mapping (a dict), got "
                                f"{_kind(getattr(self, attr))}")
        for attr, kind in (("tolerances", Tolerances), ("capabilities", Capabilities)):
            if not isinstance(getattr(self, attr), kind):
                raise TypeError(f"Profile.{attr} must be a {kind.__name__}, got "
                                f"{_kind(getattr(self, attr))}")
        if isinstance(self.preload, str):
            raise TypeError(f"Profile.preload must be a list or tuple of module names, got "
                            f"the string {self.preload!r} (write ({self.preload!r},))")
        if not isinstance(self.preload, list | tuple) or not all(
                isinstance(m, str) and m for m in self.preload):
            raise TypeError(f"Profile.preload must be a list or tuple of module names, got "
                            f"{_kind(self.preload)}")
        for attr in ("accuracy_key", "architecture", "backend_type"):
            value = getattr(self, attr)
            if not isinstance(value, str) and not (attr == "backend_type" and value is None):
                raise TypeError(f"Profile.{attr} must be a string, got {_kind(value)}")
        if not self.accuracy_key:
            raise ValueError("Profile.accuracy_key must name the metric, e.g. 'accuracy'")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"Profile.seed must be an integer, got {_kind(self.seed)}")
        if self.contract is not None:
            problem = version_problem(self.contract) if isinstance(self.contract, str) \
                else f"expected a version string such as '1.3', got {_kind(self.contract)}"
            if problem:
                raise ValueError(f"Profile.contract: {problem}")
        if self.requires_modules:
            if isinstance(self.requires_modules, str) or not all(
                    isinstance(m, str) and m for m in self.requires_modules):
                raise TypeError("Profile.requires_modules must be a tuple of module names, "
                                f"got {_kind(self.requires_modules)}")
            warnings.warn("Profile.requires_modules is deprecated (contract 1.4): register "
                          "the profile with offered(..., requires=(...)) instead",
                          DeprecationWarning, stacklevel=3)
        for attr in ("expected_failures", "not_applicable"):
            unmatched = [p for p in getattr(self, attr) if not match(p)]
            if unmatched:
                raise ValueError(f"Profile.{attr} of {self.name!r}: {unmatched} match no "
                                 "clause id; use ids or globs that `sedna-conformance list` "
                                 "prints, e.g. 'weights.*'")

    def is_new(self, clause_id: str) -> bool:
        """Whether ``clause_id`` appeared after the contract version this profile pins."""
        return self.contract is not None and version_key(CLAUSES[clause_id].since) > \
            version_key(self.contract)

    def missing_modules(self) -> list[str]:
        """The modules of the deprecated ``requires_modules`` that do not import here."""
        return [m for m in self.requires_modules if importlib.util.find_spec(m) is None]

    def expected_failure(self, clause_id: str) -> str | None:
        """The declared reason ``clause_id`` fails for this profile, if any."""
        return _declared(self.expected_failures, clause_id)

    def not_applicable_reason(self, clause_id: str) -> str | None:
        """The declared reason ``clause_id`` does not apply to this profile, if any."""
        return _declared(self.not_applicable, clause_id)


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_splits(profile: Profile, splits: Any) -> None:
    """``SetupError`` unless ``splits`` (what ``profile.datasets()`` returned) has every
    split of :data:`SPLITS`, each non-empty, with as many labels as samples, and finite
    numbers as the profile's ``as_array`` reads them.
    """
    def bad(problem: str) -> SetupError:
        return SetupError(profile.name, "datasets()", problem,
                          f"return an object with {', '.join(SPLITS)}, each holding "
                          "non-empty, finite x and y of the same length")

    if splits is None:
        raise bad("returned None")
    for name in SPLITS:
        split = getattr(splits, name, None)
        if split is None or not hasattr(split, "x") or not hasattr(split, "y"):
            raise bad(f"its {name!r} split is {'missing' if split is None else 'without x/y'}")
        try:
            x, y = np.asarray(profile.as_array(split.x)), np.asarray(profile.as_array(split.y))
        except Exception as error:
            raise bad(f"as_array cannot read {name}.x/.y ({type(error).__name__}: "
                      f"{str(error)[:120]})") from error
        if x.ndim == 0 or len(x) == 0:
            raise bad(f"{name} holds no samples")
        if len(x) != len(y):
            raise bad(f"{name} has {len(x)} samples but {len(y)} labels")
        for part, values in (("x", x), ("y", y)):
            if values.dtype.kind not in "biuf":
                raise bad(f"{name}.{part} is not numeric (dtype {values.dtype})")
            if not np.isfinite(values).all():
                raise bad(f"{name}.{part} holds NaN or infinite values")


def _declared(patterns: Mapping[str, str], clause_id: str) -> str | None:
    for pattern, reason in patterns.items():
        if fnmatch.fnmatchcase(clause_id, pattern):
            return reason
    return None
