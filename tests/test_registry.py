"""set_backend: Sedna's selection rules, our two backends, and third-party entry points."""

from __future__ import annotations

import sys
import textwrap
import warnings

import pytest

from sedna_conformance.backends import BackendBase, MSBackend, TinyMSBackend, set_backend
from sedna_conformance.fixtures.estimators import LeNet5MS


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("BACKEND_TYPE", "DEVICE_CATEGORY", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("backend_type", "expected"), [
    ("tinyms", TinyMSBackend), ("TINYMS", TinyMSBackend), ("TinyMS", TinyMSBackend),
    ("MINDSPORE", MSBackend), ("mindspore", MSBackend),
])
def test_backend_type_variable_selects_the_backend(monkeypatch, backend_type, expected):
    monkeypatch.setenv("BACKEND_TYPE", backend_type)
    assert type(set_backend(LeNet5MS)) is expected


def test_config_backend_type_when_the_variable_is_unset():
    assert type(set_backend(LeNet5MS, {"backend_type": "tinyms"})) is TinyMSBackend


def test_the_variable_wins_over_config(monkeypatch):
    monkeypatch.setenv("BACKEND_TYPE", "MINDSPORE")
    assert type(set_backend(LeNet5MS, {"backend_type": "tinyms"})) is MSBackend


def test_unknown_type_warns_and_falls_back():
    with pytest.warns(UserWarning, match="PADDLE Not Support yet, use itself"):
        backend = set_backend(LeNet5MS, {"backend_type": "paddle"})
    assert type(backend) is BackendBase


def test_no_estimator_gives_none():
    assert set_backend(None, {"backend_type": "tinyms"}) is None


def test_config_reaches_the_backend(monkeypatch):
    monkeypatch.setenv("BACKEND_TYPE", "MINDSPORE")
    backend = set_backend(LeNet5MS, {"base_model_url": "/models/base", "model_url": "/models/out",
                                     "model_name": "m.ckpt"})
    assert backend.model_save_path == "/models/base"
    assert backend.model_name == "m.ckpt"
    assert backend.options["model_save_url"] == "/models/out"
    assert set_backend(LeNet5MS, {"backend_type": "mindspore",
                                  "model_url": "/models/out"}).model_save_path == "/models/out"


def test_cuda_visible_devices_sets_use_cuda(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert set_backend(LeNet5MS, {"backend_type": "x"}).use_cuda is True


def test_third_party_entry_point_resolves(tmp_path, monkeypatch):
    """A real distribution on sys.path registering a backend: no edit to our code."""
    (tmp_path / "thirdparty_backend.py").write_text(textwrap.dedent("""
        from sedna_conformance.backends import BackendBase

        class PaddleBackend(BackendBase):
            framework = "paddle"
    """))
    dist = tmp_path / "thirdparty_backend-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-backend\n"
                                   "Version: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[sedna_conformance.backends]\npaddle = thirdparty_backend:PaddleBackend\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BACKEND_TYPE", "Paddle")
    backend = set_backend(LeNet5MS)
    assert type(backend).__name__ == "PaddleBackend"
    assert backend.framework == "paddle"
    sys.modules.pop("thirdparty_backend", None)
