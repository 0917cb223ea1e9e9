"""train.*: training, fine-tuning and the keywords passed through."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from sedna_conformance.conformance_tests.helpers import distance, first_difference, same_weights
from sedna_conformance.harness.clause_run import ClauseRun, accuracy
from sedna_conformance.harness.collection import clause


def trained_once(c: ClauseRun) -> dict[str, Any]:
    """Train one fresh backend with the profile's full settings."""
    backend = c.backend(label="backend")
    before_accuracy = accuracy(backend.predict(c.x(split="train")), c.data.train.y)
    before = backend.get_weights()
    result = backend.train(train_data=c.data.train, valid_data=c.data.valid,
                           **c.train_kwargs(quick=False))
    return {"backend": backend, "result": result, "before": before,
            "before_accuracy": before_accuracy}


@clause("train.learns")
def test_learns(conformance):
    c = conformance
    run = trained_once(c)
    after = accuracy(run["backend"].predict(c.x(split="train")), c.data.train.y)
    threshold = c.profile.tolerances.accuracy_threshold
    c.expect(after >= threshold and after > run["before_accuracy"],
             f"train accuracy {after:.3f} (untrained {run['before_accuracy']:.3f})",
             f">= {threshold} and above the untrained accuracy")


@clause("train.changes-weights")
def test_changes_weights(conformance):
    c = conformance
    backend = c.backend()
    before = backend.get_weights()
    backend.train(train_data=c.data.train, valid_data=c.data.valid, **c.train_kwargs())
    c.expect(not same_weights(before, backend.get_weights()), "identical weights after train",
             "training to change the weights")


@clause("train.result-json")
def test_result_is_json(conformance):
    c = conformance
    result = c.backend().train(train_data=c.data.train, valid_data=c.data.valid,
                               **c.train_kwargs())
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        c.fail(f"train returned {type(result).__name__} that json.dumps refuses ({error})",
               "None or a JSON-serialisable value")


@clause("train.valid-optional")
def test_valid_data_optional(conformance):
    c = conformance
    c.backend().train(c.data.train, **c.train_kwargs())


def probe_estimator(c: ClauseRun, seen: dict[str, Any]) -> Any:
    """The profile's estimator with a ``train`` that takes one keyword-only probe and no
    catch-all, recording what it received.
    """
    estimator = c.estimator()
    original = estimator.train
    quick = c.train_kwargs()

    def train(train_data: Any, valid_data: Any = None, *, probe_keyword: Any = None) -> Any:
        seen["probe_keyword"] = probe_keyword
        return original(train_data=train_data, valid_data=valid_data, **quick)

    estimator.train = train
    return estimator


@clause("train.forwards-kwargs")
def test_forwards_accepted_kwargs(conformance):
    c = conformance
    seen: dict[str, Any] = {}
    backend = c.backend(estimator=probe_estimator(c, seen))
    backend.train(train_data=c.data.train, valid_data=c.data.valid, probe_keyword="sent")
    c.expect(seen.get("probe_keyword") == "sent",
             f"estimator.train received probe_keyword={seen.get('probe_keyword')!r}",
             "'sent' (a keyword-only parameter of estimator.train)")


@clause("train.drops-unknown-kwargs")
def test_drops_unknown_kwargs(conformance):
    c = conformance
    seen: dict[str, Any] = {}
    backend = c.backend(estimator=probe_estimator(c, seen))
    backend.train(train_data=c.data.train, valid_data=c.data.valid,
                  keyword_the_estimator_lacks=1)
    c.expect("probe_keyword" in seen, "estimator.train was not called", "it is called")


@clause("train.reproducible")
def test_reproducible(conformance):
    c = conformance
    weights = []
    for label in ("first", "second"):
        backend = c.backend(label=label, fine_tune=False)
        backend.train(train_data=c.data.train, valid_data=c.data.valid,
                      **c.train_kwargs(seed=c.profile.seed))
        weights.append(backend.get_weights())
    c.expect(same_weights(*weights), first_difference(*weights), "identical weights")


def fine_tune_start(c: ClauseRun, fine_tune: bool) -> tuple[float, float]:
    """Train briefly next to a saved trained checkpoint; distances of the result to the
    checkpoint's weights and to the estimator's own initial weights.
    """
    trained = c.backend(trained=True, label="trained")
    checkpoint = trained.save()
    checkpoint_weights = trained.get_weights()
    backend = c.backend(fine_tune=fine_tune, model_save_path=checkpoint)
    initial = backend.get_weights()
    backend.train(train_data=c.data.incremental_train, valid_data=c.data.valid,
                  **c.train_kwargs())
    after = backend.get_weights()
    return distance(after, checkpoint_weights), distance(after, initial)


@clause("train.fine-tune-from-checkpoint")
def test_fine_tune_starts_from_checkpoint(conformance):
    c = conformance
    to_checkpoint, to_initial = fine_tune_start(c, fine_tune=True)
    c.expect(to_checkpoint < to_initial,
             f"weights after training {to_checkpoint:.3g} from the checkpoint's and "
             f"{to_initial:.3g} from the estimator's own",
             "closer to the checkpoint's (training started from it)")


@clause("train.no-fine-tune-ignores-checkpoint")
def test_no_fine_tune_ignores_checkpoint(conformance):
    c = conformance
    to_checkpoint, to_initial = fine_tune_start(c, fine_tune=False)
    c.expect(to_initial < to_checkpoint,
             f"weights after training {to_initial:.3g} from the estimator's own and "
             f"{to_checkpoint:.3g} from the checkpoint's",
             "closer to the estimator's own (training ignored the checkpoint)")


@clause("train.predict-after-train")
def test_predict_after_train_uses_trained_model(conformance):
    c = conformance
    stale = c.backend(label="stale")
    stale_out = np.asarray(stale.predict(c.x()))
    stale_path = stale.save()
    backend = c.backend(fine_tune=False, model_save_path=stale_path)
    backend.train(train_data=c.data.train, valid_data=c.data.valid, **c.train_kwargs())
    out = np.asarray(backend.predict(c.x()))
    c.expect(not np.array_equal(out, stale_out),
             "predict after train returned the stale checkpoint's predictions",
             "the freshly trained model's predictions")
