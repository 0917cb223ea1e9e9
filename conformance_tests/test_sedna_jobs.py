"""sedna.*: the backend driven exactly as Sedna's jobs drive it, one scenario per job.

Each scenario states which step failed: ``step N (what the job does): observed …``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from sedna_conformance.conformance_tests.helpers import shapes, weights_of
from sedna_conformance.harness.contract.facts import fedavg, model_info, wire
from sedna_conformance.harness.contract.names import qualified
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.kit.trace import Traced
from sedna_conformance.harness.plugin.collection import clause


def _json(value: Any) -> str | Exception:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        return error


def _deployed(c: ClauseRun, name: str = "base") -> str:
    """The trained base model saved by the backend, as a job finds it at a model URL."""
    folder = c.new_folder(f"deployed-{os.urandom(2).hex()}")
    return c.backend(trained=True, label="trainer").save(os.path.join(folder, name + c.suffix))


def incremental_learning_steps(c: ClauseRun, backend: Any, base_url: str) -> Any:
    """The incremental-learning job on ``backend`` (which may fine-tune from ``base_url``)."""
    data = c.data
    result = backend.train(train_data=data.incremental_train, valid_data=data.valid,
                           **c.train_kwargs())
    out_dir = c.new_folder(f"output-{os.urandom(2).hex()}")
    new_url = backend.save(os.path.join(out_dir, "model" + c.suffix))
    c.expect(isinstance(new_url, str) and os.path.isfile(new_url),
             f"step 2 (save(path) positional) returned {new_url!r}",
             "the path of a file that exists")
    info = model_info(new_url, result=result)
    text = _json(info)
    c.expect(isinstance(text, str) and set(json.loads(text)[0]) == {"format", "url", "metrics"},
             f"step 3 (model_info(path, result=train result) as JSON) failed: {text}",
             "a JSON record with format, url and metrics")
    evaluator = c.backend(label="evaluator")
    reported = {}
    for label, url in (("base", base_url), ("new", new_url)):
        evaluator.model_save_path = url
        metrics = evaluator.evaluate(data=data.incremental_test, model_path=url)
        c.expect(isinstance(_json(metrics), str) and c.accuracy_key in metrics,
                 f"step 4 (evaluate(data=, model_path={label} model)) returned {metrics!r}",
                 "JSON metrics with an accuracy")
        reader = c.backend(label=f"{label}_reader")
        reader.load(model_url=url)
        own = c.accuracy(reader.predict(data.incremental_test.x), data.incremental_test.y)
        reported[label] = float(metrics[c.accuracy_key])
        c.expect(abs(reported[label] - own) <= 1e-6,
                 f"step 4: evaluate reported accuracy {reported[label]:.4f} for the {label} "
                 f"model, whose own predictions score {own:.4f}",
                 "each candidate model's own metrics")
    server = c.backend(label="inference")
    server.load(base_url)
    x = c.x(8, split="incremental_test")
    server.predict(x, kwargs={"request_id": 1})
    server.load(new_url)
    updated = c.array(server.predict(x, kwargs={"request_id": 2}))
    newest = c.backend(label="newest")
    newest.load(model_url=new_url)
    expected = c.array(newest.predict(x))
    c.expect(updated.shape == expected.shape and np.array_equal(updated, expected),
             "step 5 (hot update: load(newer url), then predict(x, kwargs=...)) predicts "
             "with the older model", "the newer model's predictions")
    return new_url


@clause("sedna.incremental-learning")
def test_incremental_learning(conformance: ClauseRun) -> None:
    c = conformance
    incremental_learning_steps(c, c.backend(trained=True, fine_tune=False), _deployed(c))


@clause("sedna.inference")
def test_inference(conformance: ClauseRun) -> None:
    c = conformance
    url = _deployed(c)
    trainer = c.backend(trained=True, label="trainer")
    worker = c.backend(label="worker")
    worker.load(url)
    batch = c.x(5)
    for x in (batch, batch[:1]):
        got = c.array(worker.predict(x, kwargs={"request_id": 7}))
        want = c.array(trainer.predict(x))
        c.expect(got.shape == want.shape and np.array_equal(got, want),
                 f"predict(x of {len(x)}, kwargs={{...}}) after load(url) gave "
                 f"shape {got.shape}, max difference "
                 f"{np.abs(got - want).max() if got.shape == want.shape else 'n/a'}",
                 "the trainer's predictions")


@clause("sedna.federated-learning")
def test_federated_learning(conformance: ClauseRun) -> None:
    c = conformance
    half = len(c.data.train) // 2
    shards = (c.subset("train", slice(None, half)), c.subset("train", slice(half, None)))
    start = weights_of(c, c.backend(trained=True, label="server"))
    clients = [c.backend(label=f"client_{i}") for i in range(2)]
    sent = []
    for i, (client, shard) in enumerate(zip(clients, shards, strict=True)):
        client.set_weights(wire(start))
        client.train(train_data=shard, valid_data=None, **c.train_kwargs())
        sent.append(wire(weights_of(c, client)))
        got_shapes, start_shapes = shapes(sent[-1]), shapes(start)
        c.expect(got_shapes == start_shapes,
                 f"step 2: client {i}'s weights after training have shapes "
                 f"{got_shapes[:3]}... where it started from {start_shapes[:3]}...",
                 "the same count, order and shapes as before training")
    union_x, union_y = c.data.train.x, c.labels("train")
    alone = [c.accuracy(client.predict(union_x), union_y) for client in clients]
    average = fedavg(sent, [len(s) for s in shards])
    for i, client in enumerate(clients):
        try:
            client.set_weights(wire(average))
        except Exception as error:
            c.fail(f"step 3: set_weights(FedAvg) on client {i} raised "
                   f"{type(error).__name__}: {str(error)[:160]}", "the aggregated weights set")
    first, second = (c.array(client.predict(union_x)) for client in clients)
    c.expect(np.array_equal(first, second),
             f"step 4: the clients predict differently after aggregation (up to "
             f"{np.abs(first - second).max():.3g})", "identical predictions")
    together = c.accuracy(first, union_y)
    c.expect(together >= min(alone),
             f"step 4: aggregated accuracy {together:.3f} on the union, clients alone "
             f"{alone[0]:.3f} and {alone[1]:.3f}", "at least the worse client's accuracy")


@clause("sedna.multi-task")
def test_multi_task(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("tasks")
    tasks = [c.backend(trained=True, model_save_path=folder, label="task_1"),
             c.backend(model_save_path=folder, label="task_2")]
    written = [t.save(model_name=f"task-{i + 1}.{ext}")
               for i, (t, ext) in enumerate(zip(tasks, ("model", "weights"), strict=True))]
    c.expect(len(set(written)) == 2 and all(os.path.isfile(p) for p in written),
             f"save(model_name='task-1.model' / 'task-2.weights') returned {written}",
             "two different files that exist")
    x = c.x(6)
    for i, (task, path) in enumerate(zip(tasks, written, strict=True)):
        reader = c.backend(label=f"reader_{i + 1}")
        reader.load(path)
        got, want = c.array(reader.predict(x)), c.array(task.predict(x))
        c.expect(np.array_equal(got, want),
                 f"load({path!r}) gives other predictions than task {i + 1}'s model",
                 f"task {i + 1}'s model")


@clause("sedna.lifelong-no-data")
def test_lifelong_no_data(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    before = c.state(backend)
    error = c.expect_raises(TypeError, backend.train)
    c.expect("train_data" in str(error), f"TypeError without naming train_data: {error}",
             "a TypeError naming train_data")
    c.expect_unchanged(before, backend, "train()")


@clause("sedna.set-backend-job")
def test_set_backend_job(conformance: ClauseRun) -> None:
    c = conformance
    base_url = _deployed(c)
    output = c.new_folder("job-output")
    config = {"base_model_url": base_url, "model_url": output,
              "model_name": os.path.basename(base_url)}
    previous = os.environ.get("BACKEND_TYPE")
    os.environ["BACKEND_TYPE"] = c.profile.backend_type or ""
    try:
        backend = c.log.call("backend = set_backend", c.profile.set_backend,
                             estimator=c.profile.estimator, config=config)
    finally:
        if previous is None:
            os.environ.pop("BACKEND_TYPE", None)
        else:
            os.environ["BACKEND_TYPE"] = previous
    c.log.calls.append(f"  (with BACKEND_TYPE={c.profile.backend_type!r})")
    c.expect(isinstance(backend, c.profile.backend),
             f"set_backend built a {qualified(type(backend))}", qualified(c.profile.backend))
    backend = Traced(backend, c.log, "job")
    direct = c.backend(model_save_path=os.path.dirname(base_url),
                       model_name=os.path.basename(base_url), label="direct")
    direct.train(train_data=c.data.incremental_train, valid_data=c.data.valid,
                 **c.train_kwargs())
    backend.train(train_data=c.data.incremental_train, valid_data=c.data.valid,
                  **c.train_kwargs())
    got, expected = c.state(backend), c.state(direct)
    c.expect(got.same(expected),
             "training through set_backend did not start from base_model_url "
             f"({got.difference(expected)} vs a backend fine-tuning from it directly)",
             "the same model as fine-tuning from the base model")
    path = backend.save(os.path.join(output, "model" + c.suffix))
    c.expect(isinstance(path, str) and os.path.isfile(path),
             f"save(path) through set_backend returned {path!r}", "an existing file")
    metrics = backend.evaluate(data=c.data.incremental_test, model_path=path)
    c.expect(isinstance(_json(metrics), str) and c.accuracy_key in metrics,
             f"evaluate(data=, model_path=) through set_backend returned {metrics!r}",
             "JSON metrics with an accuracy")
