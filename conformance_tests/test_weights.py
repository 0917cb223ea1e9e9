"""weights.*: get_weights/set_weights as Sedna's federated learning uses them."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

from sedna_conformance.conformance_tests.helpers import (
    arrays,
    expect_refused,
    first_difference,
    same_weights,
    shapes,
    weights_of,
)
from sedna_conformance.harness.contract.facts import nested_lists
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


@clause("weights.stable")
def test_stable(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    first, second = weights_of(c, backend), weights_of(c, backend)
    c.expect(len(first) == len(second) and shapes(first) == shapes(second)
             and same_weights(first, second), first_difference(first, second),
             "the same count, shapes, order and values on every call")


@clause("weights.copies")
def test_copies(conformance: ClauseRun) -> None:
    c = conformance
    backend, before = c.trained_predictions()
    weights = weights_of(c, backend)
    reference = arrays(weights)
    for i, w in enumerate(weights):
        if isinstance(w, np.ndarray):
            w += 1.0
        else:
            weights[i] = np.asarray(w) + 1.0
    modified = arrays(weights)
    later = weights_of(c, backend)
    c.expect(same_weights(later, reference),
             "changing the returned weights changed the model "
             f"({first_difference(later, reference)})",
             "the model unchanged")
    tol = c.profile.tolerances
    c.expect(np.allclose(c.array(backend.predict(c.x())), before, atol=tol.batch_atol,
                         rtol=tol.batch_rtol),
             "changing the returned weights changed predictions", "unchanged predictions")
    c.expect(later is not weights and same_weights(weights, modified),
             "a later get_weights() call changed the list returned earlier",
             "each call to return its own copy")


def _perturbed(weight: Any, noise: Any, integer: bool) -> Any:
    """``weight`` plus ``noise``, in what the weight can hold exactly: an ``integer`` one
    (a batch count such as PyTorch's ``num_batches_tracked``) moves by whole numbers.
    """
    if integer:
        return weight + np.round(noise)
    return (weight + noise).astype(np.float32)


@clause("weights.round-trip")
def test_round_trip(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    given_weights = weights_of(c, backend)
    original = arrays(given_weights)
    integer = [np.issubdtype(np.asarray(c.profile.as_array(w)).dtype, np.integer)
               for w in given_weights]

    @c.settings

    @given(seed=st.integers(0, 2**16), scale=st.sampled_from([0.0, 1e-3, 0.1, 1.0]))
    def check(seed: int, scale: float) -> None:
        note(f"perturbation: seed={seed}, scale={scale}")
        rng = np.random.default_rng(seed)
        perturbed = [_perturbed(w, scale * rng.standard_normal(w.shape), whole)
                     for w, whole in zip(original, integer, strict=True)]
        backend.set_weights(nested_lists(perturbed))
        got = weights_of(c, backend)
        c.expect(same_weights(got, perturbed), first_difference(got, perturbed),
                 "exactly the weights set")

    check()


@clause("weights.json-transport")
def test_json_transport(conformance: ClauseRun) -> None:
    c = conformance
    sender = c.backend(trained=True, label="client")
    weights = weights_of(c, sender)
    try:
        wire = json.dumps(weights)
    except (TypeError, ValueError) as error:
        c.fail(f"json.dumps(get_weights()) fails: {error}", "JSON-serialisable weights")
    receiver = c.backend(label="server")
    receiver.set_weights(json.loads(wire))
    got = weights_of(c, receiver)
    c.expect(same_weights(got, weights), first_difference(got, weights),
             "exactly the weights sent")


@clause("weights.transfer")
def test_transfer(conformance: ClauseRun) -> None:
    c = conformance
    source = c.backend(trained=True, label="source")
    target = c.backend(label="target")
    target.set_weights(weights_of(c, source))
    a, b = c.array(target.predict(c.x())), c.array(source.predict(c.x()))
    c.expect(np.array_equal(a, b), f"predictions differ by up to {np.abs(a - b).max():.3g}",
             "the source's predictions")


def _rejects(c: ClauseRun, backend: Any, bad: Any, what: str) -> None:
    expect_refused(c, backend, f"set_weights({what})", (ValueError,), backend.set_weights, bad)


@clause("weights.wrong-count")
def test_wrong_count(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    other = arrays(weights_of(c, c.backend(label="other")))
    _rejects(c, backend, nested_lists(other[:-1]), "one array too few")
    _rejects(c, backend, [*nested_lists(other), [0.0]], "one array too many")


@clause("weights.wrong-shape")
def test_wrong_shape(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    other = arrays(weights_of(c, c.backend(label="other")))
    bad = [*nested_lists(other[:-1]), np.zeros(other[-1].size + 1).tolist()]
    _rejects(c, backend, bad, "a wrongly shaped last array")


@clause("weights.fedavg")
def test_fedavg(conformance: ClauseRun) -> None:
    c = conformance
    one = arrays(weights_of(c, c.backend(trained=True, label="client_a")))
    two = arrays(weights_of(c, c.backend(label="client_b")))
    mean = [np.mean([a, b], axis=0) for a, b in zip(one, two, strict=True)]
    server = c.backend(label="server")
    server.set_weights(mean)
    got = arrays(weights_of(c, server))
    worst = max(float(np.abs(g - m).max()) for g, m in zip(got, mean, strict=True))
    c.expect(shapes(got) == shapes(mean) and all(
        np.allclose(g, m, rtol=1e-6, atol=1e-7) for g, m in zip(got, mean, strict=True)),
        f"weights read back differ from the mean by up to {worst:.3g}",
        "the averaged weights back (to float32 rounding)")
