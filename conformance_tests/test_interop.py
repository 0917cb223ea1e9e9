"""interop.*: profiles that declare the same architecture exchange models exactly.

The clause on profile P checks P as the source and every other profile of the run with
P's ``architecture`` tag as the target; run both profiles to check both directions.
"""

from __future__ import annotations

import numpy as np
import pytest

from sedna_conformance.conformance_tests.helpers import first_difference, same_weights
from sedna_conformance.harness.collection import clause


def _targets(c):
    """``(name, fresh backend)`` of every other profile of the run with this architecture."""
    partners = c.run.partners(c.profile)
    if not partners:
        tag = c.profile.architecture
        pytest.skip(f"no other profile in this run declares architecture {tag!r}"
                    if tag else f"profile {c.profile.name!r} declares no architecture tag")
    return [(p.name, c.partner(p).backend(label=f"target_{p.name}")) for p in partners]


@clause("interop.checkpoint")
def test_checkpoint(conformance):
    c = conformance
    source = c.backend(trained=True, label="source")
    path = source.save()
    x = c.x()
    want = np.asarray(source.predict(x))
    for name, target in _targets(c):
        try:
            target.load(path)
        except Exception as error:
            c.fail(f"{name} cannot load this backend's checkpoint: "
                   f"{type(error).__name__}: {str(error)[:200]}", "it loads")
        got = np.asarray(target.predict(x))
        c.expect(got.shape == want.shape and np.array_equal(got, want),
                 f"{name} predicts differently from the loaded checkpoint (up "
                 f"to {np.abs(got - want).max() if got.shape == want.shape else 'n/a'})",
                 "bit-identical predictions")


@clause("interop.weights")
def test_weights(conformance):
    c = conformance
    weights = c.backend(trained=True, label="source").get_weights()
    for name, target in _targets(c):
        try:
            target.set_weights(weights)
        except Exception as error:
            c.fail(f"{name}.set_weights(this backend's weights) raised "
                   f"{type(error).__name__}: {str(error)[:200]}", "the weights set")
        got = target.get_weights()
        c.expect(same_weights(got, weights), f"{name} holds other weights: "
                 f"{first_difference(got, weights)}", "exactly this backend's weights")
