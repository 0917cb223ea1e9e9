"""Profiles used by the meta-tests (importable as ``tests.profiles:NAME``)."""

from __future__ import annotations

import dataclasses

from harness import Profile, get_profile


def lenet5_pynative() -> Profile:
    """Our MSBackend on LeNet5 in PyNative mode: the fast base of the mutant zoo."""
    from fixtures.estimators import LeNet5MS

    return dataclasses.replace(get_profile("mindspore"), name="lenet5", estimator=LeNet5MS,
                               options={"mode": "pynative"}, architecture="lenet5")
