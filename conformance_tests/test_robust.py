"""robust.*: bad input gets a clear error and loses nothing."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from hypothesis import given, note

from sedna_conformance.harness.contract.strategies import (
    FEATURE_FAULTS,
    LABEL_FAULTS,
    bad_features,
    bad_samples,
)
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause

_ALL_FAULTS = [*FEATURE_FAULTS, *LABEL_FAULTS]


def _files(folder: str) -> dict[str, tuple[int, int]]:
    listing = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            info = os.stat(path)
            listing[os.path.relpath(path, folder)] = (info.st_size, info.st_mtime_ns)
    return listing


def _bad_input(c: ClauseRun, method: str, fault: str, x: np.ndarray, y: np.ndarray) -> Any:
    """The strategy for ``fault`` in what ``method`` takes: features, or labelled data in
    the profile's own data class.
    """
    if method == "predict":
        return bad_features(fault, x)
    classes = int(np.max(c.labels("train"))) + 1
    return bad_samples(fault, x, y, classes, like=c.data.test)


def _refuses(c: ClauseRun, call: Any, argument: str, bad: Any) -> None:
    __tracebackhide__ = True
    note(f"input: {bad.label}")
    try:
        call(bad.value)
    except (ValueError, TypeError) as error:
        c.expect(argument in str(error),
                 f"{type(error).__name__}({str(error)[:120]!r}) for {bad.label}",
                 f"a message naming {argument!r}")
        return
    except Exception as error:
        c.fail(f"{type(error).__name__}: {str(error)[:160]} for {bad.label}",
               f"ValueError or TypeError naming {argument!r}")
    c.fail(f"no error for {bad.label}", f"ValueError or TypeError naming {argument!r}")


def _check_rejects(c: ClauseRun, method: str, argument: str, faults: list[str]) -> None:
    backend = c.backend(trained=True)
    call = getattr(backend, method)
    if method == "train":  # as Sedna calls it; only train_data is malformed
        def call(data: Any) -> Any:
            return backend.train(data, valid_data=c.data.valid, **c.train_kwargs())
    x, y = c.features(8), c.labels(n=8)
    for fault in faults:
        strategy = _bad_input(c, method, fault, x, y)

        @c.settings

        @given(bad=strategy)
        def check(bad: Any) -> None:
            _refuses(c, call, argument, bad)

        check()


def _check_changes_nothing(c: ClauseRun, method: str, faults: list[str]) -> None:
    """A trained model loaded in memory, a *different* (untrained) checkpoint at
    model_save_path, fine_tune on: a refused call must not bring in the checkpoint.
    """
    folder = c.new_folder("models")
    checkpoint = c.backend(label="untrained").save(folder + os.sep)
    trained = c.backend(trained=True, label="trained").save()
    backend = c.backend(fine_tune=True, model_save_path=checkpoint)
    backend.load(model_url=trained)
    backend.model_save_path = checkpoint  # as Sedna's jobs point a backend at a model URL
    before = c.state(backend), _files(folder)
    x, y = c.features(8), c.labels(n=8)
    for fault in faults:
        strategy = _bad_input(c, method, fault, x, y)

        @c.settings

        @given(bad=strategy)
        def check(bad: Any) -> None:
            note(f"input: {bad.label}")
            try:
                getattr(backend, method)(bad.value)
            except Exception:
                pass
            after = c.state(backend), _files(folder)
            c.expect(before[0].same(after[0]), f"the model changed after a refused "
                     f"{method}({bad.label}): {before[0].difference(after[0])}",
                     "an unchanged model")
            c.expect(before[1] == after[1], f"files changed after a refused {method}"
                     f"({bad.label}): {sorted(set(before[1]) ^ set(after[1]))}",
                     "unchanged files")

        check()


@clause("robust.train-rejects-bad-input")
def test_train_rejects_bad_input(conformance: ClauseRun) -> None:
    _check_rejects(conformance, "train", "train_data", _ALL_FAULTS)


@clause("robust.train-bad-input-changes-nothing")
def test_train_bad_input_changes_nothing(conformance: ClauseRun) -> None:
    _check_changes_nothing(conformance, "train", _ALL_FAULTS)


@clause("robust.predict-rejects-bad-input")
def test_predict_rejects_bad_input(conformance: ClauseRun) -> None:
    _check_rejects(conformance, "predict", "data", list(FEATURE_FAULTS))


@clause("robust.predict-bad-input-changes-nothing")
def test_predict_bad_input_changes_nothing(conformance: ClauseRun) -> None:
    _check_changes_nothing(conformance, "predict", list(FEATURE_FAULTS))


@clause("robust.evaluate-rejects-bad-input")
def test_evaluate_rejects_bad_input(conformance: ClauseRun) -> None:
    _check_rejects(conformance, "evaluate", "data", _ALL_FAULTS)


@clause("robust.evaluate-bad-input-changes-nothing")
def test_evaluate_bad_input_changes_nothing(conformance: ClauseRun) -> None:
    _check_changes_nothing(conformance, "evaluate", _ALL_FAULTS)


@clause("robust.float64")
def test_float64(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    x = c.features().astype(np.float32)
    if c.profile.capabilities.accepts_float64:
        out64 = c.array(backend.predict(x.astype(np.float64)))
        out32 = c.array(backend.predict(x))
        tol = c.profile.tolerances
        c.expect(np.allclose(out64, out32, atol=tol.batch_atol, rtol=tol.batch_rtol),
                 f"float64 predictions differ from float32 by up to "
                 f"{np.abs(out64 - out32).max():.3g}", "the same predictions (cast)")
    else:
        error = c.expect_raises(TypeError, backend.predict, x.astype(np.float64))
        c.expect("data" in str(error), f"message {str(error)!r}", "it names 'data'")
