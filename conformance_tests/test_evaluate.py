"""evaluate.*: the metrics Sedna's evaluation workers report."""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

from sedna_conformance.conformance_tests.helpers import expect_pure
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


@clause("evaluate.metrics-dict")
def test_metrics_dict(conformance: ClauseRun) -> None:
    c = conformance
    metrics = c.backend(trained=True).evaluate(c.data.test)
    c.expect(isinstance(metrics, dict) and metrics, f"{type(metrics).__name__} {metrics!r}",
             "a non-empty dict")
    bad = {k: v for k, v in metrics.items()
           if not isinstance(k, str) or isinstance(v, bool)
           or not isinstance(v, numbers.Real) or not math.isfinite(v)}
    c.expect(not bad, f"entries that are not str -> finite number: {bad!r}",
             "str keys and finite numbers")
    try:
        json.dumps(metrics)
    except (TypeError, ValueError) as error:
        types = {k: type(v).__name__ for k, v in metrics.items()}
        c.fail(f"json.dumps refuses it ({error}); value types {types}",
               "plain Python numbers")


@clause("evaluate.accuracy-range")
def test_accuracy_range(conformance: ClauseRun) -> None:
    c = conformance
    metrics = c.backend(trained=True).evaluate(c.data.test)
    key = c.accuracy_key
    value = metrics.get(key)
    c.expect(value is not None, f"no {key!r} among {sorted(metrics)}",
             f"an accuracy under {key!r} (the profile's accuracy_key)")
    c.expect(0.0 <= value <= 1.0, f"{key}={value}", "a value in [0, 1]")


@clause("evaluate.agrees-with-predict")
def test_agrees_with_predict(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    reported = backend.evaluate(c.data.test)[c.accuracy_key]
    computed = c.accuracy(backend.predict(c.x()), c.data.test.y)
    c.expect(math.isclose(reported, computed, abs_tol=1e-6),
             f"evaluate accuracy {reported:.4f}, predict arg-max accuracy {computed:.4f}",
             "equal")


@clause("evaluate.pure")
def test_pure(conformance: ClauseRun) -> None:
    c = conformance

    def evaluate_twice(backend: Any) -> Any:
        backend.evaluate(c.data.incremental_test)
        backend.evaluate(c.data.test)

    expect_pure(c, c.backend(trained=True), "evaluate", evaluate_twice)


@clause("evaluate.model-path")
def test_model_path(conformance: ClauseRun) -> None:
    c = conformance
    trained = c.backend(trained=True, label="trained")
    checkpoint = trained.save()
    expected = trained.evaluate(c.data.test)
    fresh = c.backend(label="fresh")
    own = fresh.evaluate(c.data.test)
    scored = fresh.evaluate(c.data.test, model_path=checkpoint)
    key = c.accuracy_key
    c.expect(math.isclose(scored[key], expected[key], abs_tol=1e-6),
             f"accuracy {scored[key]:.4f} with model_path (in-memory model: {own[key]:.4f})",
             f"the checkpoint's accuracy {expected[key]:.4f}")
