"""Time one MobileNetV2 train/save/load round on each bundled backend.

Run: ``python benchmarks/round_trip.py`` (inside the tox environment). Prints one
line per backend: training (default settings, graph mode), save, load into a new
backend, and the training accuracy reached.

``--s3``: instead, the save/load round trip through a local S3 server on 127.0.0.1
(``save(model_url="s3://...")``, then ``load`` of it into a fresh backend), median of 5.
"""

from __future__ import annotations

import os
import statistics
import sys
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


def main_s3() -> None:
    """The round trip through the local S3 server."""
    from sedna_conformance.harness.processes.servers import local_s3

    splits = make_splits()
    with local_s3() as server:
        os.environ.update(server.environment())
        for backend_class, estimator in ((MSBackend, MobileNetV2MS),
                                         (TinyMSBackend, MobileNetV2TinyMS)):
            backend = backend_class(estimator=estimator, model_save_path=tempfile.mkdtemp())
            backend.train(splits.train, epochs=1)
            saves, loads = [], []
            for attempt in range(5):
                url = server.url(f"bench/{backend_class.__name__}/{attempt}/model.ckpt")
                start = time.perf_counter()
                backend.save(model_url=url)
                saves.append(time.perf_counter() - start)
                fresh = backend_class(estimator=estimator, model_save_path=tempfile.mkdtemp())
                start = time.perf_counter()
                fresh.load(model_url=url)
                loads.append(time.perf_counter() - start)
            same = np.array_equal(fresh.predict(splits.test.x), backend.predict(splits.test.x))
            size = server._client.head_object(Bucket=server.bucket, Key=url.split("/", 3)[3])
            print(f"{backend_class.__name__:14} S3 save {statistics.median(saves):5.3f} s  "
                  f"load {statistics.median(loads):5.3f} s  ({size['ContentLength']} bytes; "
                  f"median of 5)  bit-identical after load: {same}")


if __name__ == "__main__":
    main_s3() if "--s3" in sys.argv[1:] else main()
