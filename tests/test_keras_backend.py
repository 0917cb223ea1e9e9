"""KerasBackend: Sedna's `.pb` model names on Keras 3, sealed checkpoints, weights as JSON,
fine-tuning from `model_save_path`, devices, and `set_backend`."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import warnings
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from sedna_conformance.backends import keras_backend  # noqa: E402
from sedna_conformance.backends.keras_backend import (  # noqa: E402
    KerasBackend,
    KerasEstimator,
)
from sedna_conformance.backends.registry import set_backend  # noqa: E402
from sedna_conformance.fixtures.datasets import make_small_splits  # noqa: E402
from sedna_conformance.fixtures.keras_profile import (  # noqa: E402
    KerasSmallCNN,
    build_small_cnn,
    foreign_checkpoint,
    keras_profile,
    model_device,
)

QUICK = {"epochs": 1, "batch_size": 128}


@pytest.fixture(scope="module")
def data():
    return make_small_splits()


@pytest.fixture(scope="module")
def trained_file(data, tmp_path_factory):
    """A checkpoint of a trained KerasSmallCNN, written by the backend."""
    backend = KerasBackend(KerasSmallCNN, model_save_path=str(tmp_path_factory.mktemp("base")))
    backend.train(data.train, **QUICK)
    return backend.save()


def trained(trained_file, folder, **kwargs):
    backend = KerasBackend(KerasSmallCNN(), model_save_path=str(folder), **kwargs)
    backend.load(trained_file)
    return backend


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(np.asarray(x), np.asarray(y))
                                    for x, y in zip(a, b, strict=True))


def test_pb_names_are_written_and_read_exactly(data, trained_file, tmp_path):
    backend = trained(trained_file, tmp_path / "out")
    path = backend.save()
    assert path == str(tmp_path / "out" / "model_finetune_keras.pb")
    assert os.listdir(tmp_path / "out") == ["model_finetune_keras.pb"]  # no temporary left
    task = backend.save(model_name="task-1.model")
    assert task == str(tmp_path / "out" / "task-1.model") and os.path.isfile(task)
    job = backend.save(str(tmp_path / "job" / "model.pb"))
    assert job == str(tmp_path / "job" / "model.pb")
    for written in (path, task, job):
        reader = KerasBackend(KerasSmallCNN(), model_save_path=str(tmp_path / "reader"))
        reader.load(written)
        assert np.array_equal(reader.predict(data.test.x), backend.predict(data.test.x))
    # Keras's own archive: it loads as a whole model under a .keras name, in safe mode.
    assert zipfile.is_zipfile(path)
    copy = shutil.copy(path, tmp_path / "copy.keras")
    model = keras.saving.load_model(copy, safe_mode=True)
    assert same(model.get_weights(), backend.get_weights())


@pytest.mark.parametrize("damage", ["truncated", "empty", "random", "flipped-start",
                                    "flipped-middle", "flipped-seal", "pickle", "foreign",
                                    "unsealed"])
def test_damaged_checkpoints_are_refused_and_change_nothing(trained_file, tmp_path, damage):
    backend = trained(trained_file, tmp_path / "models")
    good = backend.save()
    before, files = backend.get_weights(), open(good, "rb").read()
    data = open(trained_file, "rb").read()
    bad = str(tmp_path / "bad.pb")
    marker = tmp_path / "PWNED"
    if damage == "foreign":
        bad = foreign_checkpoint(str(tmp_path))
    elif damage == "unsealed":  # a plain Keras archive: not one KerasBackend wrote
        KerasSmallCNN().model.save(str(tmp_path / "plain.keras"))
        bad = str(tmp_path / "plain.keras")
    else:
        if damage == "pickle":
            content = pickle.dumps(_Payload(str(marker)))
        elif damage.startswith("flipped"):
            flipped = bytearray(data)
            at = {"start": 10, "middle": len(data) // 2, "seal": len(data) - 3}[damage[8:]]
            flipped[at] ^= 1
            content = bytes(flipped)
        else:
            content = {"truncated": data[: len(data) // 2], "empty": b"",
                       "random": np.random.default_rng(0).bytes(len(data))}[damage]
        with open(bad, "wb") as handle:
            handle.write(content)
    with pytest.raises(ValueError, match="model file"):
        backend.load(model_url=bad)
    assert same(backend.get_weights(), before)
    assert open(good, "rb").read() == files and os.listdir(tmp_path / "models") == [
        os.path.basename(good)]
    assert not marker.exists()


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_failed_save_keeps_the_previous_file(trained_file, tmp_path, monkeypatch):
    backend = trained(trained_file, tmp_path)
    path = backend.save()
    content = open(path, "rb").read()
    monkeypatch.setattr(type(backend.keras_model()), "save",
                        lambda self, *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        backend.save()
    assert open(path, "rb").read() == content and os.listdir(tmp_path) == [
        os.path.basename(path)]


def test_weights_round_trip_through_json(data, trained_file, tmp_path):
    sender = trained(trained_file, tmp_path / "a")
    weights = json.loads(json.dumps(sender.get_weights()))
    receiver = KerasBackend(KerasSmallCNN(), model_save_path=str(tmp_path / "b"))
    receiver.set_weights(weights)
    assert same(receiver.get_weights(), sender.get_weights())
    assert np.array_equal(receiver.predict(data.test.x), sender.predict(data.test.x))
    before = receiver.get_weights()
    for bad in (weights[:-1], [*weights[:-1], [0.0, 1.0]], "weights"):
        with pytest.raises(ValueError, match="weights"):
            receiver.set_weights(bad)
    assert same(receiver.get_weights(), before)


def test_fine_tunes_from_model_save_path(data, trained_file, tmp_path):
    def after_training(fine_tune, start=None):
        backend = KerasBackend(KerasSmallCNN(), fine_tune=fine_tune,
                               model_save_path=trained_file)
        if start:
            backend.load(start)
        backend.train(data.incremental_train, **QUICK)
        return backend.get_weights()

    from_checkpoint = after_training(False, start=trained_file)
    from_scratch = after_training(False)
    assert same(after_training(True), from_checkpoint)
    assert not same(from_checkpoint, from_scratch)
    # evaluate(model_path=...) judges that file and leaves the model in memory alone
    fresh = KerasBackend(KerasSmallCNN(), fine_tune=False, model_save_path=str(tmp_path))
    before, own = fresh.get_weights(), fresh.evaluate(data.test)
    judged = fresh.evaluate(data.test, model_path=trained_file)
    assert judged == trained(trained_file, tmp_path).evaluate(data.test) and judged != own
    assert same(fresh.get_weights(), before)


def test_use_cuda_false_runs_on_the_cpu(data, tmp_path, monkeypatch):
    backend = KerasBackend(KerasSmallCNN, use_cuda=False, model_save_path=str(tmp_path))
    assert backend.device == "cpu:0" and model_device(backend) == "cpu"
    backend.train(data.train, **QUICK)
    assert model_device(backend) == "cpu"
    with pytest.warns(RuntimeWarning, match="use_cuda"):
        cuda = KerasBackend(KerasSmallCNN, use_cuda=True, model_save_path=str(tmp_path))
    assert cuda.device == "cpu:0" and model_device(cuda) == "cpu"
    # Where a GPU is visible, use_cuda=False still runs on the CPU: a model whose variables
    # live elsewhere is rebuilt there, with the same weights.
    monkeypatch.setattr(keras_backend, "gpu_visible", lambda: True)
    estimator = KerasSmallCNN()
    original, expected = estimator.model, estimator.predict(data.test.x)
    monkeypatch.setattr(keras_backend, "variables_device", lambda model: (
        "gpu" if model is original else "cpu"))
    backend = KerasBackend(estimator, use_cuda=False, model_save_path=str(tmp_path))
    assert backend.device == "cpu:0" and backend.keras_model() is not original
    assert np.array_equal(backend.predict(data.test.x), expected)
    assert KerasBackend(KerasSmallCNN, use_cuda=True, model_save_path=str(tmp_path)).device \
        == "gpu:0"


def test_set_backend_builds_keras_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKEND_TYPE", "keras")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    backend = set_backend(KerasSmallCNN, {"model_url": str(tmp_path), "model_name": "model.pb"})
    assert type(backend) is KerasBackend and backend.framework == "keras"
    assert backend.model_save_path == str(tmp_path) and backend.model_name == "model.pb"
    assert not backend.use_cuda and backend.save() == str(tmp_path / "model.pb")
    assert KerasBackend(KerasSmallCNN, fine_tune=False).model_name == "modelkeras.pb"


def test_bare_model_is_wrapped_and_never_called(data, tmp_path):
    model = build_small_cnn(seed=1)
    bare_calls = []  # upstream calls a callable estimator instance with no arguments

    def spy(self, *args, **kwargs):
        if not args and not kwargs:
            bare_calls.append(self)
        return super(type(self), self).__call__(*args, **kwargs)

    model.__class__ = type("Spy", (type(model),), {"__call__": spy})
    backend = KerasBackend(model, model_save_path=str(tmp_path))
    assert isinstance(backend._runner, KerasEstimator)
    backend.train((data.train.x, data.train.y), **QUICK)
    assert backend.predict(data.test.x).shape == (len(data.test.x), 3) and not bare_calls


def test_bad_input_is_refused_naming_it(data, tmp_path):
    backend = KerasBackend(KerasSmallCNN, model_save_path=str(tmp_path))
    before = backend.get_weights()
    with pytest.raises(TypeError, match="train_data"):
        backend.train()
    with pytest.raises(ValueError, match="train_data"):
        backend.train((data.train.x[:, :2], data.train.y))
    with pytest.raises(ValueError, match="train_data"):
        backend.train((data.train.x, data.train.y + 3))
    with pytest.raises(ValueError, match="epochs"):
        backend.train(data.train, epochs=0)
    assert same(backend.get_weights(), before) and not os.listdir(tmp_path)


def test_profile_is_complete():
    profile = keras_profile()
    assert profile.backend is KerasBackend and profile.backend_type == "KERAS"
    assert profile.gpu_visible() is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KerasBackend(profile.estimator())
