"""What one backend call costs on the bundled profiles: the framework's floor.

Run: ``python benchmarks/framework_costs.py`` (inside the tox environment) prints a JSON
object: for each profile (the default ones on MobileNetV2-mini, the full-size MobileNetV2
variants, graph mode), the median seconds of each operation the clauses repeat (building
an estimator, predicting, a quick and a full training, a second quick training of the same
estimator, reading and writing weights and checkpoints). ``benchmarks/performance.py``
runs it to explain where a conformance run's time goes.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _median(operation: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rss_mib() -> float:
    """Resident memory of this process now (Linux), in MiB."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _kept_mib(operation: Callable[[], Any], times: int = 20) -> float:
    """Resident memory that ``operation`` leaves behind per call, after garbage collection:
    what a process accumulates over a run (MindSpore keeps each compiled optimizer).
    """
    operation()
    gc.collect()
    start = _rss_mib()
    for _ in range(times):
        operation()
    gc.collect()
    return (_rss_mib() - start) / times


def measure(profile: Any, repeats: int = 3) -> dict[str, float]:
    """Median seconds per operation for ``profile``'s backend and estimator."""
    splits = profile.datasets()
    folder = tempfile.mkdtemp(prefix="framework-costs-")

    def new_backend() -> Any:
        return profile.backend(estimator=profile.estimator(), model_save_path=folder,
                               **dict(profile.options))

    quick = dict(profile.quick_train_kwargs)
    backend = new_backend()
    backend.predict(splits.test.x[:16])  # first call: compilation in graph mode
    trained = new_backend()
    trained.train(splits.train, **quick)
    costs = {
        "new backend (build the network)": _median(new_backend, repeats),
        "first predict of a new backend (16 samples)":
            _median(lambda: new_backend().predict(splits.test.x[:16]), repeats),
        "predict 16 samples": _median(lambda: backend.predict(splits.test.x[:16]), repeats),
        "predict 96 samples": _median(lambda: backend.predict(splits.test.x), repeats),
        "quick training of a new backend (one step of 128, with validation)":
            _median(lambda: new_backend().train(splits.train, splits.valid, **quick),
                    repeats),
        "quick training again (the same backend)":
            _median(lambda: trained.train(splits.train, splits.valid, **quick),
                    repeats),
        "full training (the estimator's defaults)":
            _median(lambda: new_backend().train(splits.train), 1),
        "get_weights (JSON-safe nested lists)": _median(backend.get_weights, repeats),
    }
    costs["memory kept per new backend trained (MiB, not seconds)"] = _kept_mib(
        lambda: new_backend().train(splits.train, **quick))
    weights = backend.get_weights()
    path = backend.save()
    costs["set_weights"] = _median(lambda: backend.set_weights(weights), repeats)
    costs["save"] = _median(backend.save, repeats)
    costs["load"] = _median(lambda: backend.load(model_url=path), repeats)
    return costs


#: The profiles measured, by name.
PROFILES = ("mindspore", "tinyms", "mindspore-mobilenetv2", "tinyms-mobilenetv2",
            "mindspore-graph")


def main() -> None:
    """Measure the bundled profiles, configured as a serial run; print JSON."""
    from sedna_conformance.harness import get_profile

    print(json.dumps({name: measure(get_profile(name)) for name in PROFILES}))


if __name__ == "__main__":
    main()
