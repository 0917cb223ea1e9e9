"""``ClauseRun``: what one clause run on one profile works with: fresh (traced) backends,
copies of the cached model and data, the hypothesis settings of its properties, and
:meth:`ClauseRun.expect`, which fails in the fixed message shape.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from sedna_conformance.harness.contract.clauses import Clause
from sedna_conformance.harness.contract.errors import SetupError
from sedna_conformance.harness.contract.facts import MODEL_SUFFIXES
from sedna_conformance.harness.contract.instruments import PROBE_SIZE, Instrument, State
from sedna_conformance.harness.contract.profile import Profile
from sedna_conformance.harness.kit.failure import Blocked, ClauseFailure, format_failure
from sedna_conformance.harness.kit.trace import CallLog, Traced, describe
from sedna_conformance.harness.processes.helper import Helpers

if TYPE_CHECKING:
    from sedna_conformance.harness.kit.run_state import ConformanceRun

__all__ = ["ClauseRun"]


class ClauseRun:
    """One clause on one profile: builds backends, records calls, states failures."""

    def __init__(self, run: ConformanceRun, profile: Profile, clause: Clause,
                 folder: str) -> None:
        self._run = run
        self.profile = profile
        self.clause = clause
        self.folder = folder
        self.log = CallLog()
        self.cache = run.cache(profile)
        self._data: Any = None

    @property
    def settings(self) -> Any:
        """Hypothesis settings for the clause's properties: decorate each ``@given`` with
        ``@c.settings`` (``--conformance-hypothesis`` chooses how many inputs they try).
        """
        return self._run.hypothesis_settings

    def partners(self) -> list[ClauseRun]:
        """The same clause on every other profile of the run with this one's architecture
        tag (see :meth:`partner`).
        """
        return [self.partner(other) for other in self._run.partners(self.profile)]

    @property
    def helpers(self) -> Helpers:
        """The helper processes of this profile (forked from its zygote; commands logged)."""
        return Helpers(self._run.zygote(self.profile), self._run.spec_of(self.profile),
                       self.profile.name, self.log.calls)

    def partner(self, profile: Profile) -> ClauseRun:
        """The same clause on another profile of the run, sharing this one's call log."""
        other = ClauseRun(self._run, profile, self.clause, self.path(profile.name))
        other.log = self.log  # one call log: the reproduction note shows both sides
        return other

    # -- material ---------------------------------------------------------------------
    @property
    def data(self) -> Any:
        """A private deep copy of the profile's splits."""
        if self._data is None:
            self._data = copy.deepcopy(self.cache.splits)
        return self._data

    def subset(self, split: str, rows: slice) -> Any:
        """Rows ``rows`` of ``split``, made by the profile's ``subset`` hook (never by
        constructing the profile's data class).
        """
        try:
            return self.profile.subset(getattr(self.data, split), rows)
        except Exception as error:
            raise SetupError(self.profile.name, f"subset({split}, {rows})",
                             f"raised {type(error).__name__}: {str(error)[:200]}",
                             "make Profile.subset return those rows of the split") from error

    def hook(self, step: str, func: Any, *args: Any) -> Any:
        """``func(*args)``, a function the profile supplies: what it raises is the
        profile's error (a :class:`SetupError` naming ``step``), never the backend's.
        """
        try:
            return func(*args)
        except Exception as error:
            raise SetupError(self.profile.name, step,
                             f"raised {type(error).__name__}: {str(error)[:200]}",
                             f"make Profile.{step.split('(')[0]} work") from error

    def array(self, value: Any) -> np.ndarray:
        """``value`` (the profile's data, or a backend's output) as a NumPy array, through
        the profile's ``as_array`` hook.
        """
        return np.asarray(self.profile.as_array(value))

    def labels(self, split: str = "test", n: int | None = None) -> np.ndarray:
        """A NumPy copy of the first ``n`` labels of ``split``."""
        return np.array(self.array(getattr(self.data, split).y[:n]), copy=True)

    def accuracy(self, outputs: Any, labels: Any) -> float:
        """Share of rows of ``outputs`` whose arg-max is the label."""
        return float((self.array(outputs).argmax(axis=1) == self.array(labels)).mean())

    @property
    def accuracy_key(self) -> str:
        """The key of the accuracy in ``evaluate``'s metrics (the profile's)."""
        return self.profile.accuracy_key

    @property
    def suffix(self) -> str:
        """Sedna's model-file suffix for the backend's framework (``.pkl`` if unknown)."""
        return MODEL_SUFFIXES.get(self.cache.framework, ".pkl")

    @property
    def instrument(self) -> Instrument:
        """How this profile's model state is read
        (:mod:`sedna_conformance.harness.contract.instruments`).
        """
        return self.cache.instrument

    def state(self, backend: Any) -> State:
        """The model state of ``backend`` now, read with the profile's instrument."""
        return self.instrument.read(backend, self.x(PROBE_SIZE), self.profile.as_array)

    def x(self, n: int | None = None, split: str = "test") -> Any:
        """A fresh copy of the first ``n`` features of ``split``, in the profile's own type."""
        features = getattr(self.data, split).x
        part = features if n is None else features[:n]
        return np.array(part, copy=True) if isinstance(part, np.ndarray) else copy.deepcopy(part)

    def features(self, n: int | None = None, split: str = "test") -> np.ndarray:
        """A fresh NumPy copy of the first ``n`` features of ``split`` (for clauses about
        NumPy input itself, such as float64 casting and malformed arrays).
        """
        return np.array(self.array(self.x(n, split)), copy=True)

    def path(self, *parts: str) -> str:
        """A path inside this clause's private folder (not created)."""
        return os.path.join(self.folder, *parts)

    def new_folder(self, name: str) -> str:
        """A new empty folder inside this clause's private folder."""
        target = self.path(name)
        os.makedirs(target, exist_ok=False)
        return target

    def estimator(self, trained: bool = False) -> Any:
        """A fresh estimator from the profile, with the trained base weights if asked.

        Its time (building the network, the base model's one training, loading it) is
        framework work, so it counts in ``log.backend_s``, not as harness overhead.
        """
        with self.framework_time():
            return self.cache.trained_estimator() if trained else self.cache.estimator()

    def trained_file(self) -> str:
        """A checkpoint of the trained base model, written by the backend under test's own
        ``save`` (for child processes, which load it with the backend's ``load``).
        """
        return str(self.backend(trained=True, label="trained_file").save())

    @contextlib.contextmanager
    def framework_time(self) -> Iterator[None]:
        """Count the body's time as backend/framework work (``log.backend_s``): for work
        the backend does outside a traced call, such as a child process running it.
        """
        start = time.perf_counter()
        try:
            yield
        finally:
            self.log.backend_s += time.perf_counter() - start

    def backend(self, estimator: Any = None, *, trained: bool = False, fine_tune: bool = True,
                model_save_path: str | None = None, model_name: str | None = None,
                label: str = "backend", **extra: Any) -> Any:
        """A new backend of the profile (traced), on a fresh or given estimator."""
        if estimator is None:
            estimator = self.estimator(trained)
        if model_save_path is None:
            model_save_path = self.new_folder(f"{label}-{len(self.log.calls)}-"
                                              f"{os.urandom(3).hex()}")
        options = {**dict(self.profile.options), **extra}
        self.log.calls.append(
            f"{label} = {self.profile.backend.__name__}(estimator={type(estimator).__name__}"
            f"{'(trained)' if trained else ''}, fine_tune={fine_tune}, "
            f"model_save_path={model_save_path!r}, model_name={model_name!r}"
            + "".join(f", {k}={v!r}" for k, v in options.items()) + ")")
        start = time.perf_counter()
        try:
            backend = self.profile.backend(estimator=estimator, fine_tune=fine_tune,
                                           model_save_path=model_save_path,
                                           model_name=model_name, **options)
        except BaseException as error:
            self.log.raised.append(error)
            raise
        finally:
            self.log.backend_s += time.perf_counter() - start
        return Traced(backend, self.log, label)

    def train_kwargs(self, quick: bool = True, **extra: Any) -> dict[str, Any]:
        """The profile's training keywords (the quick ones by default) plus ``extra``."""
        base = self.profile.quick_train_kwargs if quick else self.profile.train_kwargs
        return {**dict(base), **extra}

    # -- verdicts ---------------------------------------------------------------------
    def reproduction(self) -> str:
        """The command that reruns this clause, then the backend, data and calls made."""
        shapes = ", ".join(f"{name}={describe(getattr(self.data, name))}"
                           for name in ("train", "test") if hasattr(self.data, name))
        backend = f"{self.profile.backend.__module__}.{self.profile.backend.__qualname__}"
        return (f"{self._run.reproduce(self.profile, self.clause.id)}\n"
                f"backend: {backend}; data: {shapes}\n{self.log.summary()}")

    def fail(self, observed: str, expected: str) -> None:
        """Fail this clause: ``observed …, expected …`` in the fixed shape."""
        __tracebackhide__ = True
        raise ClauseFailure(format_failure(self.clause, observed, expected, self.reproduction(),
                                           self.cache.framework))

    def blocked(self, reason: str) -> None:
        """Report this clause ``blocked``: nothing of it can be judged, for ``reason``."""
        __tracebackhide__ = True
        raise Blocked(reason)

    def expect(self, ok: Any, observed: str, expected: str) -> None:
        """Fail unless ``ok``."""
        __tracebackhide__ = True
        if not ok:
            self.fail(observed, expected)

    def expect_unchanged(self, before: State, backend: Any, what: str) -> None:
        """Fail unless ``backend``'s model is still ``before`` after ``what``."""
        __tracebackhide__ = True
        after = self.state(backend)
        self.expect(before.same(after), f"{what} changed the model: {before.difference(after)}",
                    "an unchanged model")

    def trained_predictions(self) -> tuple[Any, np.ndarray]:
        """A backend on the trained model, and its predictions on :meth:`x`."""
        backend = self.backend(trained=True)
        return backend, self.array(backend.predict(self.x()))

    def expect_raises(self, exception: type[BaseException] | tuple[type[BaseException], ...],
                      func: Any, *args: Any, **kwargs: Any) -> BaseException:
        """Call ``func`` and fail unless it raises ``exception``; return the error."""
        __tracebackhide__ = True
        names = exception.__name__ if isinstance(exception, type) else \
            " or ".join(e.__name__ for e in exception)
        try:
            func(*args, **kwargs)
        except exception as error:
            return error
        except Exception as error:
            self.fail(f"{type(error).__name__}: {error}", names)
        self.fail("no exception", names)
        raise AssertionError("unreachable")
