"""interop.*: profiles that declare the same architecture exchange models exactly.

The clause on profile P checks P as the source and every other profile of the run with
P's ``architecture`` tag as the target; run both profiles to check both directions.
Each target is first asked to take back its own model: one that cannot (it raises, or
silently keeps another model) is the broken side and does not judge P (its own
``load.round-trip`` or ``weights.round-trip`` says what to fix); with no sound target the
clause is ``blocked``, naming each target and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from sedna_conformance.conformance_tests.helpers import first_difference, same_weights, weights_of
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


def _partners(c: ClauseRun) -> list[tuple[str, ClauseRun]]:
    """The clause runs of every other profile of the run with this architecture."""
    partners = c.partners()
    if not partners:
        tag = c.profile.architecture
        pytest.skip(f"no other profile in this run declares architecture {tag!r}"
                    if tag else f"profile {c.profile.name!r} declares no architecture tag")
    return [(p.profile.name, p) for p in partners]


def _broken(name: str, check: Callable[[], str]) -> str:
    """Why partner ``name`` fails ``check`` on its own models (it is then the broken side,
    and cannot judge this backend), or ``""``. Nothing the partner raises escapes.
    """
    try:
        why = check()
    except Exception as error:
        why = f"{type(error).__name__}: {str(error)[:120]}"
    return f"{name}: {why}" if why else ""


def _judge(c: ClauseRun, partners: list[tuple[str, ClauseRun]],
           sound: Callable[[ClauseRun], str],
           judge: Callable[[str, ClauseRun], tuple[str, str] | None]) -> None:
    """Judge this backend against every partner; one that rejects it is first checked
    with its own model (``sound``): a broken partner judges nothing, and with no sound
    partner left the clause is blocked.
    """
    broken, judged = [], 0
    for name, partner in partners:
        problem = judge(name, partner)
        if problem is None:
            judged += 1
            continue
        why = _broken(name, functools.partial(sound, partner))
        if not why:
            c.fail(*problem)
        broken.append(why)
    if not judged:
        c.blocked("every partner of the same architecture that rejects this backend's model "
                  "also fails with its own, so none can judge it (" + "; ".join(broken) + ")")


def _same(got: Any, want: Any) -> bool:
    return got.shape == want.shape and np.array_equal(got, want)


@clause("interop.checkpoint")
def test_checkpoint(conformance: ClauseRun) -> None:
    c = conformance
    partners = _partners(c)
    source = c.backend(trained=True, label="source")
    path = source.save()
    x = c.x()
    want = c.array(source.predict(x))

    def sound(partner: ClauseRun) -> str:
        """The partner loads its own checkpoint, with its own predictions."""
        mine = partner.backend(trained=True, label="own")
        reader = partner.backend(label="own_reader")
        reader.load(mine.save())
        probe = partner.x()
        if not _same(partner.array(reader.predict(probe)), partner.array(mine.predict(probe))):
            return "loading its own checkpoint does not give its own predictions"
        return ""

    def judge(name: str, partner: ClauseRun) -> tuple[str, str] | None:
        """``None`` if ``name`` takes the checkpoint exactly, else the failure."""
        try:
            target = partner.backend(label=f"target_{name}")
            target.load(path)
            got = partner.array(target.predict(x))
        except Exception as error:
            return (f"{name} does not load this backend's checkpoint: "
                    f"{type(error).__name__}: {str(error)[:200]}", "it loads")
        if _same(got, want):
            return None
        return (f"{name} predicts differently from the loaded checkpoint (up to "
                f"{np.abs(got - want).max() if got.shape == want.shape else 'n/a'})",
                "bit-identical predictions")

    _judge(c, partners, sound, judge)


@clause("interop.weights")
def test_weights(conformance: ClauseRun) -> None:
    c = conformance
    partners = _partners(c)
    weights = weights_of(c, c.backend(trained=True, label="source"))

    def sound(partner: ClauseRun) -> str:
        """The partner takes its own weights back exactly."""
        mine = partner.backend(trained=True, label="own").get_weights()
        reader = partner.backend(label="own_reader")
        reader.set_weights(mine)
        if not same_weights(reader.get_weights(), mine):
            return "set_weights of its own weights does not give them back"
        return ""

    def judge(name: str, partner: ClauseRun) -> tuple[str, str] | None:
        """``None`` if ``name`` holds exactly these weights after set_weights, else the
        failure.
        """
        try:
            target = partner.backend(label=f"target_{name}")
            target.set_weights(weights)
            got = target.get_weights()
            if same_weights(got, weights):
                return None
            return (f"{name} holds other weights: {first_difference(got, weights)}",
                    "exactly this backend's weights")
        except Exception as error:
            return (f"{name} does not take this backend's weights back: "
                    f"{type(error).__name__}: {str(error)[:200]}", "the weights set")

    _judge(c, partners, sound, judge)
