"""Profiles used by the meta-tests (importable as ``tests.profiles:NAME``)."""

from __future__ import annotations

import dataclasses

from harness import Profile, get_profile


def lenet5_pynative() -> Profile:
    """Our MSBackend on LeNet5 in PyNative mode: the fast base of the mutant zoo."""
    from fixtures.estimators import LeNet5MS

    return dataclasses.replace(get_profile("mindspore"), name="lenet5", estimator=LeNet5MS,
                               options={"mode": "pynative"}, architecture="lenet5")


def zoo_base() -> Profile:
    """Our MSBackend driving the NumPy softmax estimator: the fast base of the mutant zoo.

    MSBackend reads its weights through the Keras convention and writes real MindSpore
    checkpoints, so every backend behaviour is MindSpore's, while training takes
    milliseconds.
    """
    from backends import MSBackend
    from fixtures.datasets import make_splits
    from fixtures.estimators import foreign_checkpoint
    from tests.reference_backend import SoftmaxRegression

    return Profile(name="zoo-base", backend=MSBackend, estimator=SoftmaxRegression,
                   datasets=make_splits, backend_type="MINDSPORE",
                   options={"mode": "pynative"}, architecture="softmax-regression",
                   quick_train_kwargs={"epochs": 1, "learning_rate": 0.01},
                   requires_modules=("mindspore",), foreign_checkpoint=foreign_checkpoint)
