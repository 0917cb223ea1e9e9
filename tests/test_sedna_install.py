"""install_into_sedna() on a stand-in ``sedna`` package shaped like upstream's (no upstream
code needed): every binding replaced, other types left alone, idempotent, undone, and a
clear error for a ``sedna`` that is not KubeEdge's."""

from __future__ import annotations

import sys
import textwrap

import pytest

from sedna_conformance.backends import install_into_sedna, uninstall_from_sedna
from sedna_conformance.backends.sedna_install import installed

UPSTREAM_LIKE = {
    "sedna/__init__.py": "",
    "sedna/backend/__init__.py": """
        def set_backend(estimator=None, config=None):
            return ("upstream", estimator, config)
    """,
    "sedna/backend/base.py": "class BackendBase:\n    pass\n",
    "sedna/core/__init__.py": "",
    "sedna/core/base.py": "from sedna.backend import set_backend\n",
}


@pytest.fixture
def fake_sedna(tmp_path, monkeypatch):
    for name, text in UPSTREAM_LIKE.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "sedna" or n.startswith("sedna.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delenv("BACKEND_TYPE", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("DEVICE_CATEGORY", "CPU")
    import sedna.core.base

    yield sedna.core.base
    uninstall_from_sedna()


class Estimator:
    def predict(self, data):
        return data


def test_our_types_resolve_everywhere_and_others_stay_upstreams(fake_sedna, monkeypatch):
    import sedna.backend

    changed = install_into_sedna()
    assert {"sedna.backend", "sedna.core.base"} <= set(changed) and installed()
    for module in (sedna.backend, fake_sedna):
        monkeypatch.setenv("BACKEND_TYPE", "tinyms")
        assert type(module.set_backend(Estimator(), {"model_url": "/m"})).__name__ == \
            "TinyMSBackend"
        monkeypatch.setenv("BACKEND_TYPE", "MINDSPORE")
        built = module.set_backend(Estimator(), {"model_url": "/m", "model_name": "n.ckpt"})
        assert type(built).__module__ == "sedna_conformance.backends.mindspore_backend"
        assert (built.model_save_path, built.model_name) == ("/m", "n.ckpt")
        monkeypatch.setenv("BACKEND_TYPE", "TORCH")
        assert module.set_backend("e", {"x": 1}) == ("upstream", "e", {"x": 1})


def test_install_is_idempotent_and_undone(fake_sedna):
    import sedna.backend

    original = sedna.backend.set_backend
    install_into_sedna()
    wrapped = sedna.backend.set_backend
    install_into_sedna()
    assert sedna.backend.set_backend is wrapped and fake_sedna.set_backend is wrapped
    assert set(uninstall_from_sedna()) >= {"sedna.backend", "sedna.core.base"}
    assert sedna.backend.set_backend is original and fake_sedna.set_backend is original
    assert not installed() and uninstall_from_sedna() == []


def test_a_sedna_that_is_not_kubeedges_is_refused(tmp_path, monkeypatch):
    (tmp_path / "sedna").mkdir()
    (tmp_path / "sedna" / "__init__.py").write_text("def solve(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "sedna" or n.startswith("sedna.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=r"KubeEdge Sedna.*unrelated maths package"):
        install_into_sedna()


def test_set_backend_takes_anything_with_get(monkeypatch):
    from sedna_conformance.backends import set_backend

    class Config:  # like upstream's BaseConfig: attributes behind .get, not a dict
        def get(self, item, default=""):
            return {"backend_type": "MINDSPORE", "model_url": "/m"}.get(item) or default

    monkeypatch.delenv("BACKEND_TYPE", raising=False)
    assert set_backend(Estimator(), Config()).model_save_path == "/m"
    with pytest.raises(TypeError, match=r"config must have \.get"):
        set_backend(Estimator(), ["backend_type", "MINDSPORE"])


def test_torch_and_keras_only_on_request(fake_sedna, monkeypatch):
    import importlib.util

    import sedna.backend

    original = sedna.backend.set_backend
    with pytest.raises(ValueError, match=r"types must name one or more of .*TORCH.*'JAX'"):
        install_into_sedna(types=("TORCH", "JAX"))
    assert sedna.backend.set_backend is original and not installed()
    install_into_sedna(types=("torch",))
    monkeypatch.setenv("BACKEND_TYPE", "TINYMS")  # not asked for: upstream's
    assert sedna.backend.set_backend("e", {}) == ("upstream", "e", {})
    monkeypatch.setenv("BACKEND_TYPE", "TORCH")
    if importlib.util.find_spec("torch") is None:
        with pytest.raises(ImportError, match="torch"):
            sedna.backend.set_backend(Estimator(), {"model_url": "/m"})
    else:
        assert type(sedna.backend.set_backend(Estimator(), {"model_url": "/m"})).__name__ \
            == "TorchBackend"
    install_into_sedna()  # another choice replaces the first
    assert sedna.backend.set_backend("e", {}) == ("upstream", "e", {})
