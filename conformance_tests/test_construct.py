"""construct.*: building a backend as Sedna does."""

from __future__ import annotations

from typing import Any

import numpy as np

from sedna_conformance.harness.contract.facts import default_model_name
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


def expect_predictions(c: ClauseRun, backend: Any, n: int) -> None:
    """Fail unless ``backend`` predicts ``n`` samples into something with a length. How many
    rows is ``predict.one-row-per-sample``'s business, not construction's.
    """
    __tracebackhide__ = True
    out = backend.predict(c.x(n))
    c.expect(out is not None and hasattr(out, "__len__"),
             f"predict returned {type(out).__name__}", "an array of predictions")


@clause("construct.accepts-class")
def test_accepts_class(conformance: ClauseRun) -> None:
    c = conformance
    c.estimator()  # the profile's factory works (a failure is the profile's, not the backend's)
    factory = c.profile.estimator
    estimator_class = factory if isinstance(factory, type) else \
        type("EstimatorClass", (), {"__new__": lambda cls: factory()})
    expect_predictions(c, c.backend(estimator=estimator_class), 4)


@clause("construct.accepts-instance")
def test_accepts_instance(conformance: ClauseRun) -> None:
    c = conformance
    x = c.x(8)
    trained = c.array(c.backend(trained=True, label="trained").predict(x))
    fresh = c.backend(label="fresh")
    expect_predictions(c, fresh, 8)
    out = c.array(fresh.predict(x))
    c.expect(out.shape != trained.shape or not np.array_equal(out, trained),
             "a backend on a trained estimator instance predicts exactly like one on a "
             "fresh instance", "the trained instance's own predictions")


@clause("construct.never-calls-instance")
def test_never_calls_instance(conformance: ClauseRun) -> None:
    c = conformance
    estimator = c.estimator()
    calls = []
    spy = type(type(estimator).__name__, (type(estimator),),
               {"__call__": lambda self, *a, **k: calls.append(a)})
    estimator.__class__ = spy
    backend = c.backend(estimator=estimator)
    expect_predictions(c, backend, 4)
    c.expect(not calls, f"the estimator instance was called {len(calls)} time(s)",
             "it is never called")


@clause("construct.framework-name")
def test_framework_name(conformance: ClauseRun) -> None:
    c = conformance
    framework = c.backend().framework
    c.expect(isinstance(framework, str) and framework and framework == framework.lower(),
             f"framework={framework!r}", "a non-empty lowercase string")


@clause("construct.model-name-rule")
def test_model_name_rule(conformance: ClauseRun) -> None:
    c = conformance
    for fine_tune in (True, False):
        backend = c.backend(fine_tune=fine_tune)
        expected = default_model_name(backend.framework, fine_tune)
        c.expect(backend.model_name == expected,
                 f"model_name={backend.model_name!r} with fine_tune={fine_tune}", repr(expected))


@clause("construct.explicit-name-wins")
def test_explicit_name_wins(conformance: ClauseRun) -> None:
    c = conformance
    name = f"explicit-name{c.suffix}"
    backend = c.backend(model_name=name)
    c.expect(backend.model_name == name, f"model_name={backend.model_name!r}", repr(name))


@clause("construct.unknown-kwargs")
def test_unknown_kwargs(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(model_save_url="s3://bucket/model", an_option_nobody_knows=42)
    expect_predictions(c, backend, 2)


@clause("construct.isolation")
def test_isolation(conformance: ClauseRun) -> None:
    c = conformance
    first = c.backend(trained=True, label="first")
    before = c.array(first.predict(c.x()))
    second = c.backend(label="second")
    second.predict(c.x())
    after = c.array(first.predict(c.x()))
    c.expect(np.array_equal(before, after),
             f"first backend's predictions changed by up to {np.abs(before - after).max():.3g}"
             if before.shape == after.shape else "first backend's output shape changed",
             "identical predictions")
