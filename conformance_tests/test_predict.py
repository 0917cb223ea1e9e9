"""predict.*: shape, values, determinism, batching and purity of predictions."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

from sedna_conformance.conformance_tests.helpers import expect_pure
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


@clause("predict.one-row-per-sample")
def test_one_row_per_sample(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    largest = len(c.data.test)

    def one(batch_size: int) -> Any:
        out = backend.predict(c.x(batch_size))
        c.expect(len(out) == batch_size, f"{len(out)} output rows for {batch_size} samples",
                 f"{batch_size} rows")

    for batch_size in (1, 2, 3, largest):
        one(batch_size)

    @c.settings

    @given(batch_size=st.integers(1, largest))
    def check(batch_size: int) -> None:
        note(f"batch_size={batch_size}")
        one(batch_size)

    check()


@clause("predict.finite")
def test_finite(conformance: ClauseRun) -> None:
    c = conformance
    out = c.backend(trained=True).predict(c.x())
    try:
        values = np.asarray(c.array(out), dtype=np.float64)
    except (TypeError, ValueError) as error:
        c.fail(f"non-numeric output ({error})", "numbers")
    bad = int((~np.isfinite(values)).sum())
    c.expect(bad == 0, f"{bad} non-finite values of {values.size}", "all finite")


@clause("predict.deterministic")
def test_deterministic(conformance: ClauseRun) -> None:
    c = conformance
    outputs = [c.array(c.backend(trained=True, label=name).predict(c.x()))
               for name in ("first", "second")]
    c.expect(np.array_equal(outputs[0], outputs[1]),
             f"outputs differ by up to {np.abs(outputs[0] - outputs[1]).max():.3g}",
             "identical outputs for the same model and input")


@clause("predict.batch-invariant")
def test_batch_invariant(conformance: ClauseRun) -> None:
    c = conformance
    backend, whole = c.trained_predictions()
    tol = c.profile.tolerances
    n = len(whole)

    @c.settings

    @given(cuts=st.lists(st.integers(1, n - 1), max_size=4, unique=True).map(sorted))
    def check(cuts: list[int]) -> None:
        note(f"batches split at {cuts}")
        x = c.x()
        parts = [c.array(backend.predict(copy.deepcopy(x[a:b]))) for a, b in
                 zip([0, *cuts], [*cuts, n], strict=True)]
        batched = np.concatenate(parts)
        c.expect(np.allclose(batched, whole, atol=tol.batch_atol, rtol=tol.batch_rtol),
                 f"outputs differ by up to {np.abs(batched - whole).max():.3g} when split at "
                 f"{cuts}", f"within atol={tol.batch_atol}, rtol={tol.batch_rtol}")

    check()


@clause("predict.pure")
def test_pure(conformance: ClauseRun) -> None:
    c = conformance

    def predict_other_batches(backend: Any) -> None:
        for n in (1, 5, len(c.data.test)):
            backend.predict(c.x(n, split="incremental_test"))

    expect_pure(c, c.backend(trained=True), "predict", predict_other_batches)


@clause("predict.input-untouched")
def test_input_untouched(conformance: ClauseRun) -> None:
    c = conformance
    x = c.x()
    original = c.array(copy.deepcopy(x)).copy()
    c.backend(trained=True).predict(x)
    now = c.array(x)
    c.expect(now.shape == original.shape and np.array_equal(now, original),
             f"the input changed (by up to {np.abs(now - original).max():.3g})"
             if now.shape == original.shape else f"the input's shape changed to {now.shape}",
             "unchanged input")


@clause("predict.extra-kwargs")
def test_extra_kwargs(conformance: ClauseRun) -> None:
    c = conformance
    backend, plain = c.trained_predictions()
    tol = c.profile.tolerances
    for kwargs in ({"kwargs": {"request_id": 7}}, {"an_unknown_option": True}):
        out = c.array(backend.predict(c.x(), **kwargs))
        c.expect(np.allclose(out, plain, atol=tol.batch_atol, rtol=tol.batch_rtol),
                 f"different output with {kwargs}", "the same output as without them")
