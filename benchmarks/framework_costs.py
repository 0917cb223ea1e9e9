"""What one backend call costs on the bundled MobileNetV2 profiles: the framework's floor.

Run: ``python benchmarks/framework_costs.py`` (inside the tox environment) prints a JSON
object: for each backend and mode, the median seconds of each operation the clauses
repeat (building an estimator, predicting, a quick and a full training, reading and
writing weights and checkpoints). ``benchmarks/performance.py`` runs it to explain
where a conformance run's time goes.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sedna_conformance.fixtures.profiles import QUICK_TRAINING


def _median(operation: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(backend_class: type, estimator: type, mode: str, repeats: int = 3) -> dict[str, float]:
    """Median seconds per operation for ``backend_class`` on ``estimator`` in ``mode``."""
    from sedna_conformance.fixtures import make_splits

    splits = make_splits()
    folder = tempfile.mkdtemp(prefix="framework-costs-")

    def new_backend() -> Any:
        return backend_class(estimator=estimator(), model_save_path=folder, mode=mode)

    backend = new_backend()
    backend.predict(splits.test.x[:16])  # first call: compilation in graph mode
    costs = {
        "new backend (build MobileNetV2)": _median(new_backend, repeats),
        "first predict of a new backend (16 samples)":
            _median(lambda: new_backend().predict(splits.test.x[:16]), repeats),
        "predict 16 samples": _median(lambda: backend.predict(splits.test.x[:16]), repeats),
        "predict 96 samples": _median(lambda: backend.predict(splits.test.x), repeats),
        "quick training (1 epoch of 128, batches of 64, with validation)":
            _median(lambda: new_backend().train(splits.train, splits.valid, **QUICK_TRAINING),
                    repeats),
        "full training (5 epochs of 128, batches of 16)":
            _median(lambda: new_backend().train(splits.train), 1),
        "get_weights (JSON-safe nested lists)": _median(backend.get_weights, repeats),
    }
    weights = backend.get_weights()
    path = backend.save()
    costs["set_weights"] = _median(lambda: backend.set_weights(weights), repeats)
    costs["save"] = _median(backend.save, repeats)
    costs["load"] = _median(lambda: backend.load(model_url=path), repeats)
    return costs


def main() -> None:
    """Measure both bundled backends in both modes, configured as a serial run; print JSON."""
    from sedna_conformance.backends import MSBackend, TinyMSBackend
    from sedna_conformance.fixtures.estimators import MobileNetV2MS, MobileNetV2TinyMS
    from sedna_conformance.fixtures.profiles import share_cores_with_mindspore

    share_cores_with_mindspore()

    results = {}
    for label, backend_class, estimator, mode in (
            ("MSBackend, PyNative", MSBackend, MobileNetV2MS, "pynative"),
            ("TinyMSBackend, PyNative", TinyMSBackend, MobileNetV2TinyMS, "pynative"),
            ("MSBackend, graph", MSBackend, MobileNetV2MS, "graph")):
        results[label] = measure(backend_class, estimator, mode)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
