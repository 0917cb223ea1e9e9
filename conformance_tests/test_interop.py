"""interop.*: profiles that declare the same architecture exchange models exactly.

The clause on profile P checks P as the source and every other profile of the run with
P's ``architecture`` tag as the target; run both profiles to check both directions.
A target that refuses P's model is first asked to take its own: if it cannot, the
target is the broken side, and P's row is not failed for it (the target's own
``load.round-trip`` or ``weights.round-trip`` says what to fix).
"""

from __future__ import annotations

import numpy as np
import pytest

from sedna_conformance.conformance_tests.helpers import first_difference, same_weights, weights_of
from sedna_conformance.harness.collection import clause


def _targets(c):
    """``(name, clause run, fresh backend)`` of every other profile of the run with this
    architecture.
    """
    partners = c.run.partners(c.profile)
    if not partners:
        tag = c.profile.architecture
        pytest.skip(f"no other profile in this run declares architecture {tag!r}"
                    if tag else f"profile {c.profile.name!r} declares no architecture tag")
    return [(p.name, c.partner(p), c.partner(p).backend(label=f"target_{p.name}"))
            for p in partners]


def _refuses_its_own(call, *args) -> str:
    """Why the target refuses its own model (it is then the broken side), or ``""``."""
    try:
        call(*args)
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:120]}"
    return ""


def _skip_if_all_broken(judged, broken):
    if broken and not judged:
        pytest.skip("cannot be judged: every partner refuses even its own model ("
                    + "; ".join(broken) + ")")


@clause("interop.checkpoint")
def test_checkpoint(conformance):
    c = conformance
    targets = _targets(c)
    source = c.backend(trained=True, label="source")
    path = source.save()
    x = c.x()
    want = np.asarray(source.predict(x))
    judged, broken = [], []
    for name, partner, target in targets:
        try:
            target.load(path)
        except Exception as error:
            own = partner.backend(trained=True, label=f"own_{name}").save()
            why = _refuses_its_own(partner.backend(label=f"check_{name}").load, own)
            if why:
                broken.append(f"{name} cannot load its own checkpoint: {why}")
                continue
            c.fail(f"{name} loads its own checkpoints but not this backend's: "
                   f"{type(error).__name__}: {str(error)[:200]}", "it loads")
        judged.append(name)
        got = np.asarray(target.predict(x))
        c.expect(got.shape == want.shape and np.array_equal(got, want),
                 f"{name} predicts differently from the loaded checkpoint (up "
                 f"to {np.abs(got - want).max() if got.shape == want.shape else 'n/a'})",
                 "bit-identical predictions")
    _skip_if_all_broken(judged, broken)


@clause("interop.weights")
def test_weights(conformance):
    c = conformance
    targets = _targets(c)
    weights = weights_of(c, c.backend(trained=True, label="source"))
    judged, broken = [], []
    for name, partner, target in targets:
        try:
            target.set_weights(weights)
        except Exception as error:
            own = partner.backend(trained=True, label=f"own_{name}").get_weights()
            why = _refuses_its_own(partner.backend(label=f"check_{name}").set_weights, own)
            if why:
                broken.append(f"{name}.set_weights refuses its own weights: {why}")
                continue
            c.fail(f"{name} takes its own weights but this backend's raise "
                   f"{type(error).__name__}: {str(error)[:200]}", "the weights set")
        judged.append(name)
        got = target.get_weights()
        c.expect(same_weights(got, weights), f"{name} holds other weights: "
                 f"{first_difference(got, weights)}", "exactly this backend's weights")
    _skip_if_all_broken(judged, broken)
