"""TorchBackend: checkpoints, weights, fine-tuning, devices and set_backend (needs torch)."""

from __future__ import annotations

import json
import os
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sedna_conformance.backends.registry import set_backend  # noqa: E402
from sedna_conformance.backends.torch_backend import (  # noqa: E402
    TorchBackend,
    TorchEstimator,
    read_torch_checkpoint,
)
from sedna_conformance.fixtures.datasets import make_small_splits  # noqa: E402
from sedna_conformance.fixtures.torch_profile import SmallCNNTorch, small_cnn  # noqa: E402

QUICK = {"epochs": 1, "batch_size": 64}


@pytest.fixture(scope="module")
def splits():
    return make_small_splits()


def trained(folder, splits, **kwargs):
    backend = TorchBackend(SmallCNNTorch, model_save_path=str(folder), **kwargs)
    backend.train(splits.train, **QUICK)
    return backend


def test_saves_under_exactly_the_name_asked_for(tmp_path, splits):
    backend = trained(tmp_path, splits)
    assert backend.save() == str(tmp_path / "model_finetune_pytorch.pth")
    assert backend.save(str(tmp_path / "model.pb")) == str(tmp_path / "model.pb")
    assert sorted(os.listdir(tmp_path)) == ["model.pb", "model_finetune_pytorch.pth"]


def test_round_trip_into_a_new_backend(tmp_path, splits):
    backend = trained(tmp_path, splits)
    path = backend.save()
    other = TorchBackend(SmallCNNTorch, model_save_path=str(tmp_path))
    other.load(path)
    np.testing.assert_array_equal(other.predict(splits.test), backend.predict(splits.test))


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_damaged_checkpoint_is_refused_and_changes_nothing(tmp_path, splits, damage):
    backend = trained(tmp_path, splits)
    path = backend.save()
    data = bytearray(open(path, "rb").read())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    broken = tmp_path / "broken.pth"
    broken.write_bytes(bytes(data[: len(data) // 2] if damage == "truncate" else
                             b"" if damage == "empty" else data))
    before = backend.get_weights()
    with pytest.raises(ValueError, match=r"broken\.pth"):
        backend.load(str(broken))
    assert backend.get_weights() == before


def test_pickled_code_never_runs(tmp_path, splits):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as handle:
        pickle.dump(Payload(), handle)
    with pytest.raises(ValueError, match="not an intact PyTorch checkpoint"):
        read_torch_checkpoint(str(evil))
    assert not marker.exists()


def test_plain_state_dict_loads(tmp_path, splits):
    backend = trained(tmp_path, splits)
    network = small_cnn(seed=3)
    torch.save(network.state_dict(), tmp_path / "plain.pth")
    backend.load(str(tmp_path / "plain.pth"))
    expected = TorchEstimator(network).predict(splits.test)
    np.testing.assert_allclose(backend.predict(splits.test), expected, atol=1e-6)


def test_weights_survive_json_exactly(tmp_path, splits):
    backend = trained(tmp_path, splits)
    sent = json.loads(json.dumps(backend.get_weights()))
    other = TorchBackend(SmallCNNTorch, model_save_path=str(tmp_path / "other"))
    other.set_weights(sent)
    assert other.get_weights() == backend.get_weights()
    np.testing.assert_array_equal(other.predict(splits.test), backend.predict(splits.test))


def test_wrong_weights_are_refused_whole(tmp_path, splits):
    backend = trained(tmp_path, splits)
    before = backend.get_weights()
    wrong = [*before[:-1], [0.0]]
    with pytest.raises(ValueError, match=r"weights\[\d+\].*must have shape"):
        backend.set_weights(wrong)
    assert backend.get_weights() == before


def test_fine_tunes_from_model_save_path(tmp_path, splits):
    first = trained(tmp_path, splits)
    first.save()
    second = TorchBackend(SmallCNNTorch(seed=7), model_save_path=str(tmp_path))
    second.train(splits.train, epochs=1, batch_size=64, learning_rate=1e-9)
    def parameters(backend):  # learned ones: batch-norm statistics move with any training
        return np.concatenate([p.detach().numpy().ravel()
                               for p in backend.estimator.network.parameters()])

    np.testing.assert_allclose(parameters(second), parameters(first), atol=1e-5)


def test_failed_train_keeps_the_weights(tmp_path, splits):
    backend = trained(tmp_path, splits)
    before = backend.get_weights()
    with pytest.raises(ValueError, match="epochs"):
        backend.train(splits.train, epochs=0)
    assert backend.get_weights() == before


def test_a_bare_module_is_wrapped_not_called(tmp_path, splits):
    backend = TorchBackend(small_cnn(), model_save_path=str(tmp_path))
    assert isinstance(backend.estimator, torch.nn.Module)
    backend.train(splits.train, **QUICK)
    assert backend.predict(splits.test).shape == (len(splits.test), 3)


def test_cpu_unless_cuda_is_asked_for_and_there(tmp_path):
    assert TorchBackend(SmallCNNTorch, model_save_path=str(tmp_path)).device.type == "cpu"
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: the warning path is for machines without one")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend = TorchBackend(SmallCNNTorch, model_save_path=str(tmp_path), use_cuda=True)
    assert backend.device.type == "cpu"
    assert any("sees no GPU" in str(w.message) for w in caught)


def test_set_backend_builds_it_for_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKEND_TYPE", "TORCH")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    backend = set_backend(SmallCNNTorch, {"model_url": str(tmp_path)})
    assert type(backend) is TorchBackend
    assert backend.model_save_path == str(tmp_path)
