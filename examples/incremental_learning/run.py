"""Sedna's incremental-learning loop with MobileNetV2 on real images (scikit-learn's
handwritten digits), on the MindSpore or TinyMS backend.

    python examples/incremental_learning/run.py --backend mindspore   # or tinyms; --quick

Everything goes through ``set_backend`` and the backend API, as Sedna's job does:
base training on the *old* digits; evaluation on old and *new* ones (inverted contrast,
what a deployed camera with another exposure meets); the deployed base model's inference
on unlabelled new digits, whose least confident predictions are the hard examples
(labelled, as Sedna's annotation step does); incremental training (``fine_tune=True``,
from the saved base checkpoint via ``base_model_url``) on the accumulated data set, old
samples plus new hard examples; evaluation of both candidates on old and new data and
choice of the better; deployment (save, then load into a fresh backend, as the inference
worker does) and inference on a few samples. Prints a table per round, writes
``results.json`` and an accuracy plot (``accuracy.png``) into ``--output``.

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

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)  # run from a checkout without installing

#: Data sizes and epochs of the full run and of --quick (CI). ``n_pool`` new digits reach
#: the deployed model; its ``n_hard`` least confident become the new training samples.
SETTINGS = {
    "full": {"n_train": 750, "n_valid": 100, "n_test": 300, "n_pool": 300, "n_hard": 200,
             "base_epochs": 8, "incremental_epochs": 5},
    "quick": {"n_train": 300, "n_valid": 50, "n_test": 150, "n_pool": 150, "n_hard": 100,
              "base_epochs": 5, "incremental_epochs": 4},
}
ESTIMATORS = {"mindspore": "DigitsMobileNetV2MS", "tinyms": "DigitsMobileNetV2TinyMS"}
SEED = 0


@dataclass
class Round:
    """One row of the table: a model and its accuracy on the old and new test data."""

    model: str
    url: str
    accuracy_old: float
    accuracy_new: float
    seconds: float

    @property
    def score(self) -> float:
        """What the model choice compares: the mean accuracy on old and new data."""
        return (self.accuracy_old + self.accuracy_new) / 2


def _estimator(backend: str) -> type:
    from sedna_conformance.fixtures import digits

    os.environ["BACKEND_TYPE"] = backend.upper()
    return getattr(digits, ESTIMATORS[backend])  # type: ignore[no-any-return]


def _splits(quick: bool) -> tuple[dict[str, int], Any]:
    from sedna_conformance.fixtures.digits import digit_splits

    settings = SETTINGS["quick" if quick else "full"]
    return settings, digit_splits(settings["n_train"], settings["n_valid"],
                                  settings["n_test"], settings["n_pool"], seed=SEED)


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


def _deployed(estimator: type, url: str) -> Any:
    """The inference worker's backend: a fresh one that loads the model at ``url``."""
    server = _job_backend(estimator, model_url=os.path.dirname(url))
    server.load(url)
    return server


def _predictions(estimator: type, url: str, *datasets: Any) -> list[list[int]]:
    """The classes the deployed model at ``url`` predicts for each data set."""
    server = _deployed(estimator, url)
    return [server.predict(d.x, kwargs={"request": "demo"}).argmax(axis=1).tolist()
            for d in datasets]


def hard_examples(logits: np.ndarray, n_hard: int) -> np.ndarray:
    """Indices of the ``n_hard`` least confident predictions (highest softmax entropy,
    the measure of Sedna's ``CrossEntropyFilter``), in ascending order.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    entropy = -(probs * np.log(np.clip(probs, 1e-12, None))).sum(axis=1)
    return np.sort(np.argsort(-entropy, kind="stable")[:n_hard])


def accumulate(old: Any, pool: Any, hard: np.ndarray) -> Any:
    """Sedna's incremental data set: the old training samples plus the new hard examples
    (labelled by the annotator: here the pool's own labels).
    """
    from sedna_conformance.fixtures.datasets import ArrayDataset

    return ArrayDataset(np.concatenate([old.x, pool.x[hard]]),
                        np.concatenate([old.y, pool.y[hard]]),
                        f"{len(old)} old samples + {len(hard)} new hard examples")


def run(backend: str, quick: bool, output: str, through_sedna: bool = False,
        model_url: str | None = None) -> dict[str, Any]:
    """The whole loop; returns what ``results.json`` holds. With ``model_url`` (a folder
    URL such as ``s3://bucket/demo``) the models are kept there instead of ``output``.
    """
    if through_sedna:
        return run_through_sedna(backend, quick, output)
    from tqdm import tqdm

    estimator = _estimator(backend)
    settings, data = _splits(quick)
    os.makedirs(output, exist_ok=True)
    store = model_url.rstrip("/") if model_url else output
    rounds: list[Round] = []
    steps = tqdm(total=5, desc=f"{backend}: incremental learning", unit="step")

    steps.set_postfix_str("base training on the old data")
    started = time.perf_counter()
    trainer = _job_backend(estimator, model_url=os.path.join(output, "base"),
                           model_name="base.ckpt")
    trainer.train(train_data=data.old_train, valid_data=data.old_valid,
                  epochs=settings["base_epochs"])
    base_url = trainer.save(f"{store}/base/base.ckpt")
    rounds.append(Round("base", base_url,
                        *_evaluate(estimator, base_url, data.old_test, data.new_test),
                        time.perf_counter() - started))
    steps.update()

    steps.set_postfix_str("mining hard examples among new data")
    hard = hard_examples(_deployed(estimator, base_url).predict(data.new_pool.x),
                         settings["n_hard"])
    steps.update()

    steps.set_postfix_str("incremental training on old + hard new data")
    started = time.perf_counter()
    incremental = _job_backend(estimator, base_model_url=base_url,
                               model_url=os.path.join(output, "incremental"),
                               model_name="base.ckpt")
    incremental.train(train_data=accumulate(data.old_train, data.new_pool, hard),
                      valid_data=None, epochs=settings["incremental_epochs"])
    new_url = incremental.save(f"{store}/incremental/incremental.ckpt")
    rounds.append(Round("incremental", new_url,
                        *_evaluate(estimator, new_url, data.old_test, data.new_test),
                        time.perf_counter() - started))
    steps.update()

    steps.set_postfix_str("choosing the better model on old and new data")
    best = max(rounds, key=lambda r: r.score)
    steps.update()

    steps.set_postfix_str("deploying and predicting")
    predictions = {r.model: _predictions(estimator, r.url, data.old_test, data.new_test)
                   for r in rounds}
    steps.update()
    steps.close()
    return _results(backend, quick, rounds, best, predictions, data, len(hard),
                    model_url=model_url)


def _results(backend: str, quick: bool, rounds: list[Round], best: Round,
             predictions: dict[str, list[list[int]]], data: Any, n_hard: int,
             **extra: Any) -> dict[str, Any]:
    """What ``results.json`` holds; ``predicted``/``truth``: 8 new test digits."""
    deployed = predictions[best.model][1]
    return {"backend": backend, "quick": quick, **extra, "seed": SEED,
            "rounds": [{**asdict(r), "predictions_old": predictions[r.model][0],
                        "predictions_new": predictions[r.model][1]} for r in rounds],
            "n_old_train": len(data.old_train), "n_hard": n_hard,
            "deployed": best.model, "predicted": deployed[:8],
            "truth": data.new_test.y[:8].tolist()}


def run_through_sedna(backend: str, quick: bool, output: str) -> dict[str, Any]:
    """The loop through upstream's ``IncrementalLearning`` job."""
    settings, data = _splits(quick)
    estimator = _estimator(backend)
    os.environ.setdefault("MODEL_URL", os.path.join(output, "base"))
    jobs = SednaJobs(estimator)
    started = time.perf_counter()
    base_url = jobs.train(os.path.join(output, "base"), data.old_train, data.old_valid,
                          settings["base_epochs"])
    rounds = [Round("base", base_url, *jobs.evaluate(base_url, data.old_test, data.new_test),
                    time.perf_counter() - started)]
    hard = hard_examples(jobs.infer(base_url, data.new_pool.x), settings["n_hard"])
    started = time.perf_counter()
    url = jobs.train(os.path.join(output, "incremental"),
                     accumulate(data.old_train, data.new_pool, hard), None,
                     settings["incremental_epochs"], base_url)
    rounds.append(Round("incremental", url, *jobs.evaluate(url, data.old_test, data.new_test),
                        time.perf_counter() - started))
    best = max(rounds, key=lambda r: r.score)
    predictions = {r.model: [jobs.infer(r.url, d.x).argmax(axis=1).tolist()
                             for d in (data.old_test, data.new_test)] for r in rounds}
    return _results(backend, quick, rounds, best, predictions, data, len(hard),
                    through_sedna=True)


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
        return np.asarray(result)


def table(results: dict[str, Any]) -> str:
    """The per-round table, in Markdown."""
    lines = ["| round | accuracy on old data | accuracy on new data | time (s) |",
             "|---|---|---|---|"]
    for r in results["rounds"]:
        lines.append(f"| {r['model']} | {r['accuracy_old']:.3f} | {r['accuracy_new']:.3f} | "
                     f"{r['seconds']:.1f} |")
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], path: str) -> None:
    """Accuracy on old and new data per round, one panel per run, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, panels = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.2), squeeze=False)
    for axes, results in zip(panels[0], runs, strict=True):
        names = [r["model"] for r in results["rounds"]]
        for key, label in (("accuracy_old", "old digits"),
                           ("accuracy_new", "new digits (inverted)")):
            axes.plot(names, [r[key] for r in results["rounds"]], marker="o", label=label)
        axes.set_ylim(0, 1.05)
        axes.set_ylabel("accuracy")
        axes.set_title(f"{results['backend']}")
        axes.legend(loc="lower right")
    figure.suptitle("MobileNetV2 incremental learning on digits")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=sorted(ESTIMATORS), default="mindspore")
    parser.add_argument("--quick", action="store_true", help="less data, fewer epochs (CI)")
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
    if args.through_sedna and (args.model_url or args.local_s3):
        parser.error("--through-sedna keeps the models in --output: drop --model-url and "
                     "--local-s3")
    results = run_from_arguments(args)
    print("\n" + table(results))
    print(f"\ndeployed: {results['deployed']}; predictions on 8 new digits "
          f"{results['predicted']} (truth {results['truth']})")
    plot([results], os.path.join(args.output, "accuracy.png"))
    with open(os.path.join(args.output, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    print(f"total {results['total_seconds']} s; wrote {args.output}/results.json and "
          "accuracy.png")
    return 0


def run_from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """:func:`run` with the parsed options (a local S3 server for ``--local-s3``), timed."""
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
    return results


if __name__ == "__main__":
    sys.exit(main())
