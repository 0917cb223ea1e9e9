"""Sedna's incremental-learning loop with MobileNetV2, on the MindSpore or TinyMS backend.

    python examples/incremental_learning/run.py --backend mindspore   # or tinyms; --quick

Everything goes through ``set_backend`` and the backend API, as Sedna's job does:
base training on the "old" distribution, evaluation on the shifted "new" one,
incremental training (``fine_tune=True``, from the saved base checkpoint) on a little
new data, evaluation of both candidates on the new data and choice of the better one,
deployment (save, then load into a fresh backend, as the inference worker does) and
inference on a few samples. Prints a table per round, writes ``results.json`` and an
accuracy plot (``accuracy.png``) into ``--output``.

``--model-url s3://bucket/demo`` keeps the models in object storage (Sedna's
``S3_ENDPOINT_URL``, ``ACCESS_KEY_ID``, ``SECRET_ACCESS_KEY``); ``--local-s3`` starts a
local S3 server on 127.0.0.1 for the run and keeps them there.

``--through-sedna`` runs the same loop through upstream KubeEdge Sedna's own
``IncrementalLearning`` job (its ``train``, ``evaluate`` and ``inference``), after
``install_into_sedna()``; upstream comes from ``SEDNA_SOURCE`` (a kubeedge/sedna checkout)
with its dependencies importable (see docs/tinyms-guide.md, "Using TinyMS in Sedna jobs").
Outside Kubernetes each job's report to its local controller fails and is logged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)  # run from a checkout without installing

#: Sizes and epochs of the full run and of --quick (CI).
SETTINGS = {
    "full": {"n_train": 256, "n_test": 192, "n_incremental": 64, "base_epochs": 8,
             "incremental_epochs": 8},
    "quick": {"n_train": 128, "n_test": 48, "n_incremental": 48, "base_epochs": 5,
              "incremental_epochs": 5},
}
ESTIMATORS = {"mindspore": "MobileNetV2MS", "tinyms": "MobileNetV2TinyMS"}


@dataclass
class Round:
    """One row of the table: a model and its accuracy on the old and new test data."""

    model: str
    url: str
    accuracy_old: float
    accuracy_new: float
    seconds: float


def _job_backend(estimator: type, **config: str) -> Any:
    """What every Sedna worker does: ``set_backend`` with the job's config."""
    from sedna_conformance.backends import set_backend

    return set_backend(estimator=estimator, config=config)


def _evaluate(estimator: type, url: str, old: Any, new: Any) -> tuple[float, float]:
    """Sedna's evaluation step: ``evaluate(data=..., model_path=url)`` per test set."""
    evaluator = _job_backend(estimator, model_url=os.path.dirname(url))
    evaluator.model_save_path = url
    scores = [evaluator.evaluate(data=data, model_path=url)["accuracy"] for data in (old, new)]
    return float(scores[0]), float(scores[1])


class SednaJobs:
    """The same steps through upstream's ``IncrementalLearning``: one job per worker, its
    model location set as the job's config would set it.
    """

    def __init__(self, estimator: type) -> None:
        from sedna_conformance.backends import install_into_sedna
        from sedna_conformance.fixtures.upstream import upstream_sedna

        upstream_sedna("sedna.core.incremental_learning")  # from SEDNA_SOURCE, checked
        install_into_sedna()
        self.estimator = estimator

    def job(self, model_url: str, model_save_path: str | None = None) -> Any:
        from sedna.core.incremental_learning import IncrementalLearning

        job = IncrementalLearning(estimator=self.estimator)
        job.config.model_url = model_url
        job.estimator.model_save_path = model_save_path or model_url
        return job

    def train(self, folder: str, data: Any, valid: Any, epochs: int,
              base_url: str | None = None) -> str:
        os.makedirs(folder, exist_ok=True)
        job = self.job(folder, base_url)
        job.train(train_data=data, valid_data=valid, epochs=epochs)
        return str(job.model_path)

    def evaluate(self, url: str, old: Any, new: Any) -> tuple[float, float]:
        os.environ["MODEL_URLS"] = url
        job = self.job(url)
        scores = [job.evaluate(data=data)[0]["metrics"]["accuracy"] for data in (old, new)]
        return float(scores[0]), float(scores[1])

    def infer(self, url: str, sample: Any) -> Any:
        result, _, _ = self.job(url).inference(sample)
        return result


def run(backend: str, quick: bool, output: str, through_sedna: bool = False,
        model_url: str | None = None) -> dict[str, Any]:
    """The whole loop; returns what ``results.json`` holds. With ``model_url`` (a folder
    URL such as ``s3://bucket/demo``) the models are kept there instead of ``output``.
    """
    if through_sedna:
        return run_through_sedna(backend, quick, output)
    from tqdm import tqdm

    import sedna_conformance.fixtures.estimators
    from sedna_conformance.fixtures.datasets import make_images

    settings = SETTINGS["quick" if quick else "full"]
    os.environ["BACKEND_TYPE"] = backend.upper()
    estimator = getattr(sedna_conformance.fixtures.estimators, ESTIMATORS[backend])
    old_train, old_valid = make_images(settings["n_train"], 1), make_images(48, 2)
    old_test = make_images(settings["n_test"], 3)
    new_train = make_images(settings["n_incremental"], 4, shifted=True)
    new_test = make_images(settings["n_test"], 5, shifted=True)
    os.makedirs(output, exist_ok=True)
    rounds: list[Round] = []
    steps = tqdm(total=4, desc=f"{backend}: incremental learning", unit="step")

    steps.set_postfix_str("base training on the old data")
    started = time.perf_counter()
    trainer = _job_backend(estimator, model_url=os.path.join(output, "base"),
                           model_name="base.ckpt")
    trainer.train(train_data=old_train, valid_data=old_valid,
                  epochs=settings["base_epochs"])
    store = model_url.rstrip("/") if model_url else output
    base_url = trainer.save(f"{store}/base/base.ckpt")
    seconds = time.perf_counter() - started
    rounds.append(Round("base", base_url, *_evaluate(estimator, base_url, old_test, new_test),
                        seconds))
    steps.update()

    steps.set_postfix_str("incremental training on the new data")
    started = time.perf_counter()
    incremental = _job_backend(estimator, base_model_url=base_url,
                               model_url=os.path.join(output, "incremental"),
                               model_name="base.ckpt")
    incremental.train(train_data=new_train, valid_data=None,
                      epochs=settings["incremental_epochs"])
    new_url = incremental.save(f"{store}/incremental/incremental.ckpt")
    seconds = time.perf_counter() - started
    rounds.append(Round("incremental", new_url,
                        *_evaluate(estimator, new_url, old_test, new_test), seconds))
    steps.update()

    steps.set_postfix_str("choosing the better model on the new data")
    best = max(rounds, key=lambda r: r.accuracy_new)
    steps.update()

    steps.set_postfix_str("deploying and predicting")
    server = _job_backend(estimator, model_url=os.path.join(output, "deployed"))
    server.load(best.url)
    sample = new_test.x[:8]
    predicted = server.predict(sample, kwargs={"request": "demo"}).argmax(axis=1)
    steps.update()
    steps.close()
    return {"backend": backend, "quick": quick, "model_url": model_url,
            "rounds": [asdict(r) for r in rounds],
            "deployed": best.model, "predicted": predicted.tolist(),
            "truth": new_test.y[:8].tolist()}


def run_through_sedna(backend: str, quick: bool, output: str) -> dict[str, Any]:
    """The loop through upstream's ``IncrementalLearning`` job."""
    import sedna_conformance.fixtures.estimators
    from sedna_conformance.fixtures.datasets import make_images

    settings = SETTINGS["quick" if quick else "full"]
    os.environ["BACKEND_TYPE"] = backend.upper()
    os.environ.setdefault("MODEL_URL", os.path.join(output, "base"))
    jobs = SednaJobs(getattr(sedna_conformance.fixtures.estimators, ESTIMATORS[backend]))
    old_train, old_valid = make_images(settings["n_train"], 1), make_images(48, 2)
    old_test = make_images(settings["n_test"], 3)
    new_train = make_images(settings["n_incremental"], 4, shifted=True)
    new_test = make_images(settings["n_test"], 5, shifted=True)
    rounds: list[Round] = []
    for name, data, valid, base in (("base", old_train, old_valid, None),
                                    ("incremental", new_train, None, "base")):
        started = time.perf_counter()
        base_url = rounds[0].url if base else None
        url = jobs.train(os.path.join(output, name), data, valid,
                         settings[f"{name}_epochs"], base_url)
        seconds = time.perf_counter() - started
        rounds.append(Round(name, url, *jobs.evaluate(url, old_test, new_test), seconds))
    best = max(rounds, key=lambda r: r.accuracy_new)
    predicted = jobs.infer(best.url, new_test.x[:8]).argmax(axis=1)
    return {"backend": backend, "quick": quick, "through_sedna": True,
            "rounds": [asdict(r) for r in rounds], "deployed": best.model,
            "predicted": predicted.tolist(), "truth": new_test.y[:8].tolist()}


def table(results: dict[str, Any]) -> str:
    """The per-round table, in Markdown."""
    lines = ["| round | accuracy on old data | accuracy on new data | time (s) |",
             "|---|---|---|---|"]
    for r in results["rounds"]:
        lines.append(f"| {r['model']} | {r['accuracy_old']:.3f} | {r['accuracy_new']:.3f} | "
                     f"{r['seconds']:.1f} |")
    return "\n".join(lines)


def plot(results: dict[str, Any], path: str) -> None:
    """Accuracy on old and new data per round, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["model"] for r in results["rounds"]]
    figure, axes = plt.subplots(figsize=(5, 3.2))
    for key, label in (("accuracy_old", "old data"), ("accuracy_new", "new (shifted) data")):
        axes.plot(names, [r[key] for r in results["rounds"]], marker="o", label=label)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("accuracy")
    axes.set_title(f"MobileNetV2 incremental learning ({results['backend']})")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=sorted(ESTIMATORS), default="mindspore")
    parser.add_argument("--quick", action="store_true", help="small data, few epochs (CI)")
    parser.add_argument("--output", default="incremental-learning-output",
                        help="folder for models, results.json and accuracy.png")
    parser.add_argument("--through-sedna", action="store_true",
                        help="run through upstream Sedna's IncrementalLearning (SEDNA_SOURCE)")
    parser.add_argument("--model-url", metavar="URL",
                        help="keep the models in object storage, e.g. s3://bucket/demo "
                             "(S3_ENDPOINT_URL, ACCESS_KEY_ID, SECRET_ACCESS_KEY as in Sedna)")
    parser.add_argument("--local-s3", action="store_true",
                        help="start a local S3 server on 127.0.0.1 for this run (extra "
                             "[remote]) and keep the models there (default s3://"
                             "sedna-conformance/demo)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if args.local_s3:
            from sedna_conformance.harness.processes.servers import local_s3

            server = stack.enter_context(local_s3())
            os.environ.update(server.environment())
            args.model_url = args.model_url or server.url("demo")
        results = run(args.backend, args.quick, os.path.abspath(args.output),
                      args.through_sedna, args.model_url)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    print("\n" + table(results))
    print(f"\ndeployed: {results['deployed']}; predictions on 8 new samples "
          f"{results['predicted']} (truth {results['truth']})")
    plot(results, os.path.join(args.output, "accuracy.png"))
    with open(os.path.join(args.output, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    print(f"total {results['total_seconds']} s; wrote {args.output}/results.json and "
          "accuracy.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
