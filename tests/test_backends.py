"""MSBackend and TinyMSBackend on the MobileNetV2 fixture: the foundation's acceptance."""

from __future__ import annotations

import json
import os
import shutil

import mindspore
import numpy as np
import pytest

from sedna_conformance.backends import MSBackend, TinyMSBackend
from sedna_conformance.fixtures.estimators import LeNet5MS, LeNet5TinyMS

pytestmark = pytest.mark.slow


def trainable(backend) -> list[np.ndarray]:
    return [p.asnumpy().copy() for p in backend._runner.network.trainable_params()]


def test_framework_names():
    assert MSBackend.framework == "mindspore"
    assert TinyMSBackend.framework == "tinyms"


def test_training_reaches_the_accuracy_threshold(trained, splits):
    untrained = trained.backend_class(estimator=trained.estimator_class)
    before = untrained.evaluate(splits.train)["accuracy"]
    after = trained.backend.evaluate(splits.train)["accuracy"]
    assert after >= 0.9, f"train accuracy {after:.3f} < 0.9"
    assert after > before
    json.dumps(trained.metrics)


def test_save_then_load_in_a_new_backend_is_bit_identical(trained, splits, tmp_path):
    fresh = trained.backend_class(estimator=trained.estimator_class, model_save_path=str(tmp_path))
    fresh.load(trained.checkpoint)
    assert np.array_equal(fresh.predict(splits.test.x), trained.backend.predict(splits.test.x))


def test_json_weight_transport_is_exact(trained, splits):
    fresh = trained.backend_class(estimator=trained.estimator_class)
    weights = trained.backend.get_weights()
    fresh.set_weights(json.loads(json.dumps(weights)))
    assert fresh.get_weights() == weights
    assert np.array_equal(fresh.predict(splits.test.x), trained.backend.predict(splits.test.x))


@pytest.mark.parametrize("collector_on", [True, False])
def test_get_weights_leaves_the_garbage_collector_as_it_was(trained, collector_on):
    import gc

    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        weights = trained.backend.get_weights()
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()
    assert isinstance(weights[0], list) and np.shape(weights[0]) == np.shape(
        trained.backend.get_weights()[0])


@pytest.mark.parametrize("fine_tune", [True, False])
def test_fine_tune_starts_from_the_checkpoint(trained, splits, tmp_path, fine_tune):
    backend = trained.backend_class(estimator=trained.estimator_class, fine_tune=fine_tune,
                                    model_save_path=str(tmp_path))
    shutil.copy(trained.checkpoint, tmp_path / backend.model_name)
    initial = trainable(backend)
    backend.train(splits.incremental_train, epochs=1, learning_rate=0.0)
    start = trainable(backend)  # lr 0: the trainable weights are where training started
    checkpoint = trainable(trained.backend)
    expected, other = (checkpoint, initial) if fine_tune else (initial, checkpoint)
    assert all(np.array_equal(a, b) for a, b in zip(start, expected, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(start, other, strict=True))


def test_load_of_a_missing_path_raises_and_changes_nothing(trained, tmp_path):
    before = trained.backend.get_weights()
    missing = str(tmp_path / "nope.ckpt")
    with pytest.raises(FileNotFoundError, match=r"nope\.ckpt"):
        trained.backend.load(missing)
    assert trained.backend.get_weights() == before


@pytest.mark.parametrize("broken", ["one too few", "wrong shape", "not numbers", "a string"])
def test_wrong_weights_raise_value_error_and_change_nothing(trained, broken):
    weights = trained.backend.get_weights()
    if broken == "one too few":
        bad = weights[:-1]
    elif broken == "wrong shape":
        bad = [*weights[:-1], np.asarray(weights[-1])[:-1].tolist()]
    elif broken == "not numbers":
        bad = [*weights[:-1], "x"]
    else:
        bad = "weights"
    with pytest.raises(ValueError, match="weights"):
        trained.backend.set_weights(bad)
    assert trained.backend.get_weights() == weights


def test_save_returns_the_file_written_for_any_name(trained, tmp_path):
    path = trained.backend.save(str(tmp_path) + os.sep, model_name="task-1.model")
    assert path == str(tmp_path / "task-1.model.ckpt") and os.path.isfile(path)
    fresh = trained.backend_class(estimator=trained.estimator_class)
    fresh.load(path)
    assert fresh.get_weights() == trained.backend.get_weights()


def test_evaluate_with_model_path_scores_that_checkpoint(trained, splits):
    fresh = trained.backend_class(estimator=trained.estimator_class)
    own = fresh.get_weights()
    scores = fresh.evaluate(splits.test, model_path=trained.checkpoint)
    assert scores == trained.backend.evaluate(splits.test)
    assert fresh.get_weights() == own


def test_train_without_data_is_a_clear_type_error(trained):
    with pytest.raises(TypeError, match="train_data"):
        trained.backend.train()
    with pytest.raises(TypeError, match="train_data is required"):
        trained.backend.train(None)


@pytest.mark.parametrize("backend_class", [MSBackend, TinyMSBackend])
def test_train_without_data_passes_through_to_an_estimator_that_needs_none(backend_class):
    """Sedna's lifelong learning wraps its task-processing objects in a backend and calls
    ``train()`` with no data; such an estimator gets the call, any other a TypeError."""

    class TaskProcessing:
        def train(self):
            return {}, {"extractor": None, "task_groups": []}

    result = backend_class(estimator=TaskProcessing()).train()
    assert result == ({}, {"extractor": None, "task_groups": []})


def test_constructing_a_backend_leaves_the_global_mode_alone(splits):
    mindspore.set_context(mode=mindspore.PYNATIVE_MODE)
    backend = MSBackend(estimator=LeNet5MS, mode="graph")
    assert mindspore.get_context("mode") == mindspore.PYNATIVE_MODE
    backend.predict(splits.test.x[:4])
    assert mindspore.get_context("mode") == mindspore.PYNATIVE_MODE
    with pytest.raises(ValueError, match="mode must be one of"):
        MSBackend(estimator=LeNet5MS, mode="eager")


def test_both_backends_live_in_one_process_without_interfering(splits):
    first = MSBackend(estimator=LeNet5MS, mode="graph")
    first.train(splits.train, epochs=1)
    expected = first.predict(splits.test.x)
    second = TinyMSBackend(estimator=LeNet5TinyMS, mode="pynative")
    second.train(splits.train, epochs=1)
    assert second.predict(splits.test.x).shape == expected.shape
    assert np.array_equal(first.predict(splits.test.x), expected)


def test_same_seed_trains_to_the_same_weights(splits):
    runs = []
    for _ in range(2):
        backend = MSBackend(estimator=LeNet5MS, fine_tune=False)
        backend.train(splits.train, epochs=1, seed=7)
        runs.append(backend.get_weights())
    assert runs[0] == runs[1]


def test_a_checkpoint_moves_between_the_backends(trained, splits):
    other_class = TinyMSBackend if trained.backend_class is MSBackend else MSBackend
    from tests.conftest import backend_and_estimator

    _, other_estimator = backend_and_estimator(other_class.framework)
    other = other_class(estimator=other_estimator)
    other.load(trained.checkpoint)
    assert np.array_equal(other.predict(splits.test.x), trained.backend.predict(splits.test.x))
