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


def _register_task_definition() -> str:
    """A task definition for image data, registered the way Sedna users extend lifelong
    learning (upstream's default groups ``pandas`` columns): the first half of the
    samples came from camera ``a``, the second from camera ``b``."""
    from sedna.algorithms.seen_task_learning.artifact import Task
    from sedna.common.class_factory import ClassFactory, ClassType
    from sedna.datasources import BaseDataSource

    class TaskDefinitionByCamera:
        def __init__(self, **kwargs: Any) -> None:
            self.cameras = ("a", "b")

        def __call__(self, samples: Any, **kwargs: Any) -> tuple[list[Any], Any, Any]:
            half = len(samples.x) // 2
            tasks = []
            for camera, rows in zip(self.cameras, (slice(0, half), slice(half, None)),
                                    strict=True):
                part = BaseDataSource(data_type=samples.data_type)
                part.x, part.y = samples.x[rows], samples.y[rows]
                tasks.append(Task(entry=f"camera-{camera}", samples=part, meta_attr=camera))
            return tasks, {"cameras": self.cameras}, samples

    ClassFactory.register_cls(TaskDefinitionByCamera, ClassType.STP)
    return TaskDefinitionByCamera.__name__


def lifelong(folder: str) -> dict[str, Any]:
    """Lifelong learning's cloud ``train()`` without a knowledge base: one model per task,
    saved by the backend ``set_backend`` builds, moved into ``OUTPUT_URL``, listed in the
    task index. Each listed model is then loaded into a fresh backend to predict."""
    from sedna.backend import set_backend
    from sedna.common.config import BaseConfig
    from sedna.common.file_ops import FileOps
    from sedna.core.lifelong_learning import LifelongLearning
    from sedna.datasources import BaseDataSource

    from sedna_conformance.fixtures.datasets import make_splits

    splits = make_splits()
    train_data = BaseDataSource(data_type="train")
    train_data.x, train_data.y = splits.train.x, splits.train.y
    job = LifelongLearning(_estimator(),
                           task_definition={"method": _register_task_definition()})
    sent = _reports(job)
    try:
        job.train(train_data, **QUICK)
        raised = None
    except Exception as error:  # recorded (upstream's stub MSBackend raises here)
        raised = f"{type(error).__name__}: {error}"
    index = os.path.join(os.environ["OUTPUT_URL"], "index.pkl")
    groups = FileOps.load(index)["seen_task"]["task_groups"] if os.path.isfile(index) else []
    models, outputs = {}, []
    for group in groups:
        path = group.model.model
        models[group.entry] = {"path": path, "exists": os.path.isfile(path),
                               "bytes": os.path.getsize(path) if os.path.isfile(path) else 0,
                               "samples": len(group.samples)}
    if raised is None:
        untrained = np.asarray(set_backend(estimator=_estimator(), config=BaseConfig())
                               .predict(splits.test.x))
        for group in groups:
            fresh = set_backend(estimator=_estimator(), config=BaseConfig())
            fresh.load(group.model.model)
            outputs.append(np.asarray(fresh.predict(splits.test.x)))
            models[group.entry]["trained"] = not np.array_equal(outputs[-1], untrained)
    return {"backend": type(set_backend(estimator=_estimator())).__name__,
            "raised": raised, "reports": sent, "models": models,
            "tasks_differ": len(outputs) == 2 and not np.array_equal(*outputs)}


STEPS = {"train": train, "evaluate": evaluate, "infer": infer, "federated": federated,
         "lifelong": lifelong}


def main() -> int:
    step, folder = sys.argv[1], sys.argv[2]
    if os.environ.get("SEDNA_CONFORMANCE_INSTALL", "1") == "1":
        from sedna_conformance.backends import install_into_sedna

        install_into_sedna()
    print("result " + json.dumps(STEPS[step](folder), default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
