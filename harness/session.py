"""What one clause run works with: fresh backends, copies of cached models and data,
and :meth:`ClauseRun.expect`, which fails in the fixed message shape.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.checks import ClauseFailure, format_failure
from harness.clauses import Clause
from harness.profile import Profile
from harness.trace import CallLog, Traced, describe

__all__ = ["ClauseRun", "ProfileCache", "accuracy"]


def accuracy(outputs: Any, labels: np.ndarray) -> float:
    """Share of rows of ``outputs`` whose arg-max is the label."""
    return float((np.asarray(outputs).argmax(axis=1) == np.asarray(labels)).mean())


@dataclass
class ProfileCache:
    """Per-profile work done once per session: the data and a trained base model.

    The base model is trained through the *estimator* (``train`` then ``save``), never
    through the backend under test, so a broken backend cannot spoil other clauses.
    """

    profile: Profile
    folder: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="sedna-cache-"))
    _splits: Any = None
    _checkpoint: str | None = None

    @property
    def splits(self) -> Any:
        """The profile's data splits (callers get copies through ClauseRun.data)."""
        if self._splits is None:
            self._splits = self.profile.datasets()
        return self._splits

    def checkpoint(self) -> str:
        """The trained base model's file, written by the estimator's own ``save``."""
        if self._checkpoint is None:
            estimator = self.profile.estimator()
            estimator.train(train_data=self.splits.train, valid_data=None,
                            **dict(self.profile.train_kwargs))
            target = os.path.join(self.folder, "base", "model")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            written = estimator.save(target)
            if not (isinstance(written, str) and os.path.isfile(written)):
                found = sorted(glob.glob(target + "*"))
                if not found:
                    raise RuntimeError(f"estimator.save({target!r}) wrote no file")
                written = found[0]
            self._checkpoint = written
        return self._checkpoint

    def trained_estimator(self) -> Any:
        """A fresh estimator holding the trained base model's weights."""
        estimator = self.profile.estimator()
        estimator.load(model_url=self.checkpoint())
        return estimator


_CACHES: dict[str, ProfileCache] = {}
#: profile name -> the ``--profile`` spec it came from (for child processes).
PROFILE_SPECS: dict[str, str] = {}


@functools.cache
def share_cores_with_mindspore() -> None:
    """Once per process, before a MindSpore profile's first clause: run PyNative
    synchronously, with this process's share of the cores as MindSpore's kernel threads.

    On tiny models MindSpore's asynchronous dispatch and a thread pool sized for the whole
    machine cost more than they save, and with ``-n 2`` two such pools fight over the
    same cores: a quick training and five predictions take 3.9 s alone and 7.5 s each
    side by side by default, 3.1 s and 4.8 s this way (2-core machine, MobileNetV2).
    """
    import mindspore

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mindspore.set_context(pynative_synchronize=True,
                          runtime_num_threads=max(1, (cores or 1) // max(1, workers)))


def cache_for(profile: Profile) -> ProfileCache:
    """The session cache of ``profile`` (keyed by name, rebuilt if the profile changed)."""
    if "mindspore" in profile.requires_modules:
        share_cores_with_mindspore()
    cached = _CACHES.get(profile.name)
    if cached is None or cached.profile is not profile:
        cached = _CACHES[profile.name] = ProfileCache(profile)
    return cached


class ClauseRun:
    """One clause on one profile: builds backends, records calls, states failures."""

    def __init__(self, profile: Profile, clause: Clause, folder: str) -> None:
        self.profile = profile
        self.clause = clause
        self.folder = folder
        self.log = CallLog()
        self.cache = cache_for(profile)
        self._data: Any = None
        self.shared: dict[str, Any] = {}

    # -- material ---------------------------------------------------------------------
    @property
    def data(self) -> Any:
        """A private deep copy of the profile's splits."""
        if self._data is None:
            self._data = copy.deepcopy(self.cache.splits)
        return self._data

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
        """Profile, seed, data shapes and the calls made: enough to replay the failure."""
        shapes = ", ".join(f"{name}={describe(getattr(self.data, name))}"
                           for name in ("train", "test") if hasattr(self.data, name))
        return (f"reproduce: profile={self.profile.name} seed={self.profile.seed} "
                f"backend={self.profile.backend.__module__}.{self.profile.backend.__qualname__}"
                f" data: {shapes}\n{self.log.summary()}")

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
