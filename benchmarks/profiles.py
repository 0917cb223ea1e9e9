"""Profile lists for the scaling scenarios of ``benchmarks/performance.py``."""

from __future__ import annotations

import dataclasses

from sedna_conformance.harness import Profile, get_profile


def one() -> list[Profile]:
    """The bundled MindSpore profile alone."""
    return [get_profile("mindspore")]


def two() -> list[Profile]:
    """Both bundled profiles."""
    return [get_profile("mindspore"), get_profile("tinyms")]


def four() -> list[Profile]:
    """Both bundled profiles, and each again under a new name (its own cache and model)."""
    return two() + [dataclasses.replace(p, name=f"{p.name}-copy") for p in two()]
