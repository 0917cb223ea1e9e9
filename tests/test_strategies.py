"""The malformed-input strategies produce really invalid input, whatever the data's rank."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from sedna_conformance.harness.contract.strategies import (
    FEATURE_FAULTS,
    LABEL_FAULTS,
    bad_features,
    bad_samples,
    is_valid,
)


@pytest.mark.parametrize("shape", [(8, 5), (8, 3, 4, 4)], ids=["tabular", "images"])
def test_wrong_rank_never_gives_the_valid_shape(shape):
    x = np.zeros(shape, np.float32)

    @settings(max_examples=20, derandomize=True, deadline=None, database=None)
    @given(bad_features("wrong-rank", x))
    def check(bad):
        assert np.ndim(bad.value) != x.ndim, bad.label

    check()


@pytest.mark.parametrize("shape", [(8, 5), (8, 1, 4, 4), (8, 3, 4, 4)],
                         ids=["tabular", "one-channel", "images"])
@pytest.mark.parametrize("fault", sorted({*FEATURE_FAULTS, *LABEL_FAULTS}))
def test_every_draw_is_invalid_for_the_data(shape, fault):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape).astype(np.float32), np.arange(shape[0]) % 3

    @settings(max_examples=15, derandomize=True, deadline=None, database=None)
    @given(bad_samples(fault, x, y, 3))
    def check(bad):
        value = bad.value
        assert value is None or not is_valid(x, value.x, value.y, 3, True), bad.label

    check()


def test_a_draw_that_is_valid_is_discarded():
    x, y = np.zeros((4, 3), np.float32), np.zeros(4, np.int64)
    assert is_valid(x, x.copy(), y, 2, True)
    assert not is_valid(x, x[:0], y[:0], 2, True)
    assert not is_valid(x, x, np.array([0, 0, 0, 2]), 2, True)
    assert not is_valid(x, x.astype(str), y, 2, True)


def test_labelled_draws_keep_the_callers_data_class():
    class Table:
        def __init__(self, features, labels, /):
            self.x, self.y = features, labels

    x, y = np.zeros((4, 3), np.float32), np.zeros(4, np.int64)

    @settings(max_examples=5, derandomize=True, deadline=None, database=None)
    @given(bad_samples("nan", x, y, 2, like=Table(x, y)))
    def check(bad):
        assert type(bad.value) is Table

    check()
