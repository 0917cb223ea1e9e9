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

from sedna_conformance.harness.clauses import Clause
from sedna_conformance.harness.failure import ClauseFailure, format_failure
from sedna_conformance.harness.instruments import PROBE_SIZE, Instrument, State
from sedna_conformance.harness.profile import Profile
from sedna_conformance.harness.trace import CallLog, Traced, describe

if TYPE_CHECKING:
    from sedna_conformance.harness.run import ConformanceRun

__all__ = ["ClauseRun", "accuracy"]


def accuracy(outputs: Any, labels: np.ndarray) -> float:
    """Share of rows of ``outputs`` whose arg-max is the label."""
    return float((np.asarray(outputs).argmax(axis=1) == np.asarray(labels)).mean())


class ClauseRun:
    """One clause on one profile: builds backends, records calls, states failures."""

    def __init__(self, run: ConformanceRun, profile: Profile, clause: Clause,
                 folder: str) -> None:
        self.run = run
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
        return self.run.hypothesis_settings

    def partner(self, profile: Profile) -> ClauseRun:
        """The same clause on another profile of the run, sharing this one's call log."""
        other = ClauseRun(self.run, profile, self.clause, self.path(profile.name))
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
        return self.profile.subset(getattr(self.data, split), rows)

    @property
    def instrument(self) -> Instrument:
        """How this profile's model state is read (:mod:`sedna_conformance.harness.instruments`)."""
        return self.cache.instrument

    def state(self, backend: Any) -> State:
        """The model state of ``backend`` now, read with the profile's instrument."""
        return self.instrument.read(backend, self.x(PROBE_SIZE))

    def x(self, n: int | None = None, split: str = "test") -> np.ndarray:
        """A fresh copy of the first ``n`` features of ``split``."""
        return np.array(getattr(self.data, split).x[:n], copy=True)

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
            return self.cache.trained_estimator() if trained else self.profile.estimator()

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
        backend = self.profile.backend(estimator=estimator, fine_tune=fine_tune,
                                       model_save_path=model_save_path,
                                       model_name=model_name, **options)
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
        return (f"{self.run.reproduce(self.profile, self.clause.id)}\n"
                f"backend: {backend}; data: {shapes}\n{self.log.summary()}")

    def fail(self, observed: str, expected: str) -> None:
        """Fail this clause: ``observed …, expected …`` in the fixed shape."""
        __tracebackhide__ = True
        raise ClauseFailure(format_failure(self.clause, observed, expected, self.reproduction()))

    def expect(self, ok: Any, observed: str, expected: str) -> None:
        """Fail unless ``ok``."""
        __tracebackhide__ = True
        if not ok:
            self.fail(observed, expected)

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
