"""Time one MobileNetV2 train/save/load round on each bundled backend.

Run: ``python benchmarks/round_trip.py`` (inside the tox environment). Prints one
line per backend: training (default settings, graph mode), save, load into a new
backend, and the training accuracy reached.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from sedna_conformance.backends import MSBackend, TinyMSBackend
from sedna_conformance.fixtures import make_splits
from sedna_conformance.fixtures.estimators import MobileNetV2MS, MobileNetV2TinyMS


def main() -> None:
    """Measure and print."""
    splits = make_splits()
    for backend_class, estimator in ((MSBackend, MobileNetV2MS),
                                     (TinyMSBackend, MobileNetV2TinyMS)):
        for mode in ("graph", "pynative"):
            folder = tempfile.mkdtemp()
            start = time.perf_counter()
            backend = backend_class(estimator=estimator, model_save_path=folder, mode=mode)
            backend.train(splits.train)
            trained = time.perf_counter()
            path = backend.save()
            saved = time.perf_counter()
            fresh = backend_class(estimator=estimator, mode=mode)
            fresh.load(path)
            loaded = time.perf_counter()
            same = np.array_equal(fresh.predict(splits.test.x), backend.predict(splits.test.x))
            accuracy = backend.evaluate(splits.train)["accuracy"]
            print(f"{backend_class.__name__:14} {mode:8} train {trained - start:5.2f} s  "
                  f"save {saved - trained:5.3f} s  load {loaded - saved:5.3f} s  "
                  f"train accuracy {accuracy:.3f}  bit-identical after load: {same}")


if __name__ == "__main__":
    main()
