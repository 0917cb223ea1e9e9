"""train.*: training, fine-tuning and the keywords passed through."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


def trained_once(c: ClauseRun) -> dict[str, Any]:
    """Train one fresh backend with the profile's full settings."""
    backend = c.backend(label="backend")
    before_accuracy = c.accuracy(backend.predict(c.x(split="train")), c.data.train.y)
    result = backend.train(train_data=c.data.train, valid_data=c.data.valid,
                           **c.train_kwargs(quick=False))
    return {"backend": backend, "result": result, "before_accuracy": before_accuracy}


@clause("train.learns")
def test_learns(conformance: ClauseRun) -> None:
    c = conformance
    run = trained_once(c)
    after = c.accuracy(run["backend"].predict(c.x(split="train")), c.data.train.y)
    threshold = c.profile.tolerances.accuracy_threshold
    c.expect(after >= threshold and after > run["before_accuracy"],
             f"train accuracy {after:.3f} (untrained {run['before_accuracy']:.3f})",
             f">= {threshold} and above the untrained accuracy")


@clause("train.changes-weights")
def test_changes_weights(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend()
    before = c.state(backend)
    backend.train(train_data=c.data.train, valid_data=c.data.valid, **c.train_kwargs())
    c.expect(not before.same(c.state(backend)),
             f"an identical model after train ({c.instrument.describe()})",
             "training to change the model")


@clause("train.result-json")
def test_result_json(conformance: ClauseRun) -> None:
    c = conformance
    result = c.backend().train(train_data=c.data.train, valid_data=c.data.valid,
                               **c.train_kwargs())
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        c.fail(f"train returned {type(result).__name__} that json.dumps refuses ({error})",
               "None or a JSON-serialisable value")
    where = non_finite(result)
    if where is not None:
        c.fail(f"train returned a value with a number JSON cannot hold ({where}): json.dumps "
               "writes it as NaN or Infinity, which JSON parsers refuse",
               "finite numbers only: report a metric that could not be computed as None, or "
               "leave it out")


def non_finite(value: Any, path: str = "result") -> str | None:
    """Where in a JSON-serialisable ``value`` a NaN or infinite float is (``result['loss'] =
    nan``), or ``None`` when ``json.dumps(value, allow_nan=False)`` would accept it.
    """
    try:
        json.dumps(value, allow_nan=False)
        return None
    except ValueError:
        pass
    if isinstance(value, float):
        return f"{path} = {value!r}"
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found = non_finite(item, f"{path}[{key!r}]")
        if found:
            return found
    return f"{path} (a non-finite number)"


@clause("train.valid-optional")
def test_valid_optional(conformance: ClauseRun) -> None:
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
def test_forwards_kwargs(conformance: ClauseRun) -> None:
    c = conformance
    seen: dict[str, Any] = {}
    backend = c.backend(estimator=probe_estimator(c, seen))
    backend.train(train_data=c.data.train, valid_data=c.data.valid, probe_keyword="sent")
    c.expect(seen.get("probe_keyword") == "sent",
             f"estimator.train received probe_keyword={seen.get('probe_keyword')!r}",
             "'sent' (a keyword-only parameter of estimator.train)")


@clause("train.drops-unknown-kwargs")
def test_drops_unknown_kwargs(conformance: ClauseRun) -> None:
    c = conformance
    seen: dict[str, Any] = {}
    backend = c.backend(estimator=probe_estimator(c, seen))
    backend.train(train_data=c.data.train, valid_data=c.data.valid,
                  keyword_the_estimator_lacks=1)
    c.expect("probe_keyword" in seen, "estimator.train was not called", "it is called")


@clause("train.reproducible")
def test_reproducible(conformance: ClauseRun) -> None:
    c = conformance
    states, initial = [], None
    for label in ("first", "second"):
        backend = c.backend(label=label, fine_tune=False)
        initial = initial or c.state(backend)
        backend.train(train_data=c.data.train, valid_data=c.data.valid,
                      **c.train_kwargs(seed=c.profile.seed))
        states.append(c.state(backend))
    assert initial is not None
    c.expect(not initial.same(states[0]), f"training left the model as it was "
             f"({c.instrument.describe()})", "two trainings that change the model")
    c.expect(states[0].same(states[1]), states[0].difference(states[1]), "identical models")


def fine_tune_start(c: ClauseRun, fine_tune: bool) -> tuple[float, float]:
    """Train briefly next to a saved trained checkpoint; distances of the result to the
    same training started from the checkpoint, and started from the estimator's own model.

    Comparing end points of the same training (not the result with the start points)
    keeps the verdict clear when one epoch moves the model far, as predictions often do.
    Both references start from files loaded into fresh backends (``load.round-trip`` is a
    prerequisite); the estimator's own model is saved by an observer backend first, as
    reading the backend under test could itself load the checkpoint (Sedna's backends load
    ``model_save_path`` on their first predict).
    """
    checkpoint = c.backend(trained=True, label="trained").save()
    estimator = c.estimator()
    own = c.backend(estimator, fine_tune=False, label="observer").save()
    backend = c.backend(estimator, fine_tune=fine_tune, model_save_path=checkpoint)
    backend.train(train_data=c.data.incremental_train, valid_data=c.data.valid,
                  **c.train_kwargs())
    after = c.state(backend)
    ends = []
    for label, start in (("from_checkpoint", checkpoint), ("from_own", own)):
        reference = c.backend(fine_tune=False, label=label)
        reference.load(model_url=start)
        reference.train(train_data=c.data.incremental_train, valid_data=c.data.valid,
                        **c.train_kwargs())
        ends.append(after.distance(c.state(reference)))
    return ends[0], ends[1]


def _expect_start(c: ClauseRun, fine_tune: bool) -> None:
    """Fail unless training with ``fine_tune`` ends closer to a training started where it
    should start (the checkpoint, or the estimator's own model) than to one from the other.
    """
    to_checkpoint, to_initial = fine_tune_start(c, fine_tune=fine_tune)
    starts = {"the checkpoint": to_checkpoint, "the estimator's own model": to_initial}
    want, other = sorted(starts, key=lambda start: (start == "the checkpoint") != fine_tune)
    c.expect(starts[want] < starts[other],
             f"a trained model {starts[want]:.3g} from the same training started at {want} "
             f"and {starts[other]:.3g} from it started at {other} ({c.instrument.describe()})",
             f"closer to training from {want}")


@clause("train.fine-tune-from-checkpoint")
def test_fine_tune_from_checkpoint(conformance: ClauseRun) -> None:
    _expect_start(conformance, fine_tune=True)


@clause("train.no-fine-tune-ignores-checkpoint")
def test_no_fine_tune_ignores_checkpoint(conformance: ClauseRun) -> None:
    _expect_start(conformance, fine_tune=False)


@clause("train.predict-after-train")
def test_predict_after_train(conformance: ClauseRun) -> None:
    c = conformance
    stale = c.backend(label="stale")
    stale_out = c.array(stale.predict(c.x()))
    stale_path = stale.save()
    backend = c.backend(fine_tune=False, model_save_path=stale_path)
    backend.train(train_data=c.data.train, valid_data=c.data.valid, **c.train_kwargs())
    out = c.array(backend.predict(c.x()))
    c.expect(not np.array_equal(out, stale_out),
             "predict after train returned the stale checkpoint's predictions",
             "the freshly trained model's predictions")
