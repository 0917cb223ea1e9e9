"""One step of an upstream Sedna job per process, as Sedna's worker pods run them.

``python -m tests.sedna_job_steps STEP FOLDER`` with upstream's ``lib`` on ``PYTHONPATH``
and the job's environment (``BACKEND_TYPE``, ``MODEL_URL``, ...) set by the caller
(``tests/test_sedna_jobs_integration.py``). Each step calls :func:`install_into_sedna`,
runs upstream's own job class on the MobileNetV2 fixtures, and prints one line
``result {json}`` of what it observed. Sedna reads its configuration from the environment
at import, so each step is its own process, like each worker.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np

QUICK = {"epochs": 1, "batch_size": 64}


def _estimator() -> Any:
    from sedna_conformance.fixtures.estimators import MobileNetV2MS, MobileNetV2TinyMS

    return MobileNetV2TinyMS if os.environ["BACKEND_TYPE"] == "TINYMS" else MobileNetV2MS


def _reports(job: Any) -> list[dict[str, Any]]:
    """Record what the job reports to its local controller (the send itself still runs,
    and fails: no controller listens)."""
    sent: list[dict[str, Any]] = []
    original = job.report_task_info

    def report(task_info: Any, status: Any, results: Any = None, kind: str = "train") -> Any:
        sent.append({"status": status, "results": results, "kind": kind})
        return original(task_info, status, results, kind)

    job.report_task_info = report
    return sent


def train(folder: str) -> dict[str, Any]:
    """The incremental-learning train worker: train, save, report the model."""
    from sedna.core.incremental_learning import IncrementalLearning

    from sedna_conformance.fixtures.datasets import make_splits

    splits = make_splits()
    job = IncrementalLearning(estimator=_estimator())
    sent = _reports(job)
    untrained = job.estimator.save(os.path.join(folder, "untrained.ckpt"))
    job.train(train_data=splits.train, valid_data=splits.valid, **QUICK)
    np.save(os.path.join(folder, "trained.npy"), np.asarray(job.estimator.predict(splits.test.x)))
    return {"backend": type(job.estimator).__name__, "reports": sent, "untrained": untrained,
            "metrics": job.estimator.evaluate(splits.test)}


def evaluate(folder: str) -> dict[str, Any]:
    """The incremental-learning eval worker: metrics of each candidate in ``MODEL_URLS``."""
    from sedna.core.incremental_learning import IncrementalLearning

    from sedna_conformance.fixtures.datasets import make_splits

    job = IncrementalLearning(estimator=_estimator())
    return {"backend": type(job.estimator).__name__,
            "results": job.evaluate(data=make_splits().test)}


def infer(folder: str) -> dict[str, Any]:
    """A fresh inference worker: load the deployed model (``MODEL_URL``) and predict."""
    from sedna.core.incremental_learning import IncrementalLearning

    from sedna_conformance.fixtures.datasets import make_splits

    job = IncrementalLearning(estimator=_estimator())
    out, _, _ = job.inference(make_splits().test.x)
    trained = np.load(os.path.join(folder, "trained.npy"))
    return {"backend": type(job.estimator).__name__, "loaded": bool(job.estimator.has_load),
            "same_as_trained": bool(np.array_equal(np.asarray(out), trained))}


def federated(folder: str) -> dict[str, Any]:
    """Federated learning's client side: two clients built as ``FederatedLearning`` builds
    them (``set_backend`` with the job's config), each trains on its half and sends
    ``get_weights()`` as JSON; upstream's own FedAvg aggregates; both set the result.
    """
    from sedna.algorithms.aggregation.aggregation import AggClient, FedAvg
    from sedna.backend import set_backend
    from sedna.common.config import BaseConfig

    from sedna_conformance.fixtures.datasets import make_splits

    splits = make_splits()
    half = len(splits.train) // 2
    shards = [(splits.train.x[:half], splits.train.y[:half]),
              (splits.train.x[half:], splits.train.y[half:])]
    clients, sent = [], []
    for x, y in shards:
        client = set_backend(estimator=_estimator(), config=BaseConfig())
        client.train(train_data=(x, y), **QUICK)
        sent.append(json.loads(json.dumps(client.get_weights())))
        clients.append(client)
    aggregated = []
    for weights, (x, _) in zip(sent, shards, strict=True):
        aggregated.append(AggClient())
        aggregated[-1].num_samples, aggregated[-1].weights = len(x), weights
    average = FedAvg().aggregate(aggregated)
    for client in clients:
        client.set_weights(average)
    outputs = [np.asarray(c.predict(splits.test.x)) for c in clients]
    got = [np.asarray(w, dtype=np.float64) for w in clients[0].get_weights()]
    return {"backend": type(clients[0]).__name__, "arrays": len(sent[0]),
            "clients_agree": bool(np.array_equal(*outputs)),
            "holds_average": all(np.allclose(g, np.asarray(a, dtype=np.float64), atol=1e-6)
                                 for g, a in zip(got, average, strict=True))}


STEPS = {"train": train, "evaluate": evaluate, "infer": infer, "federated": federated}


def main() -> int:
    step, folder = sys.argv[1], sys.argv[2]
    if os.environ.get("SEDNA_CONFORMANCE_INSTALL", "1") == "1":
        from sedna_conformance.backends import install_into_sedna

        install_into_sedna()
    print("result " + json.dumps(STEPS[step](folder), default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
