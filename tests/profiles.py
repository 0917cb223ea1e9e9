"""Profiles used by the meta-tests (importable as ``tests.profiles:NAME``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sedna_conformance.harness import Profile
from sedna_conformance.harness.starter import SoftmaxRegression


class ImageSoftmax(SoftmaxRegression):
    """The template's NumPy estimator on the bundled 3×32×32 images."""

    def __init__(self, **kwargs: Any) -> None:
        from sedna_conformance.fixtures.datasets import IMAGE_SHAPE, NUM_CLASSES

        super().__init__(num_classes=NUM_CLASSES, feature_shape=IMAGE_SHAPE, **kwargs)


def zoo_base() -> Profile:
    """Our MSBackend driving the template's NumPy estimator: the fast base of the mutant zoo.

    MSBackend reads its weights through the Keras convention and writes real MindSpore
    checkpoints, so every backend behaviour is MindSpore's, while training takes
    milliseconds.
    """
    from sedna_conformance.backends import MSBackend
    from sedna_conformance.backends.registry import set_backend
    from sedna_conformance.fixtures.datasets import make_splits
    from sedna_conformance.fixtures.estimators import foreign_checkpoint
    from sedna_conformance.fixtures.profiles import (
        mindspore_device,
        mindspore_gpu_visible,
        share_cores_with_mindspore,
    )

    share_cores_with_mindspore()
    return Profile(name="zoo-base", backend=MSBackend, estimator=ImageSoftmax,
                   preload=("mindspore", "sedna_conformance.backends.mindspore_backend"),
                   datasets=make_splits, backend_type="MINDSPORE", set_backend=set_backend,
                   options={"mode": "pynative"}, architecture="softmax-regression",
                   quick_train_kwargs={"epochs": 1, "learning_rate": 0.01},
                   foreign_checkpoint=foreign_checkpoint, gpu_visible=mindspore_gpu_visible,
                   model_device=mindspore_device)


def numpy_reference_elsewhere() -> Profile:
    """The template's profile under another name: a second core-only profile, so that two
    runs of it can be merged (``tests/test_merge.py`` names it through ``ELSEWHERE``).
    """
    from sedna_conformance.harness.starter import reference_profile

    return dataclasses.replace(reference_profile(), name="numpy-reference-elsewhere")


def numpy_bad_framework_name() -> Profile:
    """The template backend naming its framework ``NumPy`` (not lowercase): it fails
    ``construct.framework-name``, so a run with ``-x`` stops there.
    """
    from sedna_conformance.harness.starter import NumpyBackend, reference_profile

    class BadName(NumpyBackend):
        framework = "NumPy"

    return dataclasses.replace(reference_profile(), name="numpy-bad-name", backend=BadName)


def local_only_on_contract_1_3() -> Profile:
    """A local-only backend (the template's) that claims remote URLs, written against
    contract 1.3: the ``remote.*`` clauses (new in 1.4) fail, shown as new, not counted.
    """
    from sedna_conformance.harness.starter import reference_profile

    base = reference_profile()
    return dataclasses.replace(base, name="local-only", contract="1.3",
                               capabilities=dataclasses.replace(base.capabilities,
                                                                remote_urls=True))


def local_only_on_contract_1_4() -> Profile:
    """The same profile having raised ``contract`` to 1.4: the ``remote.*`` failures count."""
    return dataclasses.replace(local_only_on_contract_1_3(), contract="1.4")
