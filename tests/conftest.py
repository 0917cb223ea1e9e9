"""Shared fixtures: the data splits and one trained MobileNetV2 backend per framework."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from sedna_conformance.fixtures import DataSplits, make_splits

os.environ.setdefault("GLOG_v", "3")  # keep MindSpore's C++ log quiet


@dataclass
class Trained:
    """A backend trained on ``splits.train`` and the checkpoint it saved."""

    backend: Any
    checkpoint: str
    backend_class: type
    estimator_class: type
    metrics: Any


FRAMEWORKS = ["mindspore", "tinyms"]


def backend_and_estimator(framework: str) -> tuple[type, type]:
    from sedna_conformance.backends import MSBackend, TinyMSBackend
    from sedna_conformance.fixtures.estimators import MobileNetV2MS, MobileNetV2TinyMS

    if framework == "mindspore":
        return MSBackend, MobileNetV2MS
    return TinyMSBackend, MobileNetV2TinyMS


@pytest.fixture(scope="session")
def splits() -> DataSplits:
    """Base train/valid/test and shifted splits, seed 0 (see fixtures/datasets.py)."""
    return make_splits()


@pytest.fixture(scope="session", params=FRAMEWORKS)
def trained(request: pytest.FixtureRequest, splits: DataSplits,
            tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A MobileNetV2 backend of each framework, trained once per session, then saved."""
    backend_class, estimator_class = backend_and_estimator(request.param)
    folder = tmp_path_factory.mktemp(f"trained-{request.param}")
    backend = backend_class(estimator=estimator_class, model_save_path=str(folder))
    metrics = backend.train(splits.train, splits.valid)
    return Trained(backend, backend.save(), backend_class, estimator_class, metrics)
