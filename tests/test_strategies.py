"""The malformed-input strategies produce really invalid input, whatever the data's rank."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from sedna_conformance.harness.strategies import bad_features


@pytest.mark.parametrize("shape", [(8, 5), (8, 3, 4, 4)], ids=["tabular", "images"])
def test_wrong_rank_never_gives_the_valid_shape(shape):
    x = np.zeros(shape, np.float32)

    @settings(max_examples=20, derandomize=True, deadline=None, database=None)
    @given(bad_features("wrong-rank", x))
    def check(bad):
        assert np.ndim(bad.value) != x.ndim, bad.label

    check()
