"""set_backend.*: how Sedna's workers pick and build a backend."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

from sedna_conformance.harness.collection import clause

_VARIABLES = ("BACKEND_TYPE", "DEVICE_CATEGORY", "CUDA_VISIBLE_DEVICES")


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set exactly ``values`` among Sedna's variables; restore everything after."""
    saved = {name: os.environ.get(name) for name in _VARIABLES}
    try:
        for name in _VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(values)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build(c, config=None, **variables):
    set_backend = c.profile.set_backend
    with environment(**variables), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c.log.calls.append(f"set_backend(estimator, config={config!r}) with {variables}")
        backend = set_backend(c.profile.estimator, config)
    return backend, caught


def expect_profile_backend(c, backend, how):
    c.expect(type(backend) is c.profile.backend,
             f"{how} gave {type(backend).__name__}", c.profile.backend.__name__)


@clause("set_backend.env-any-case")
def test_env_any_case(conformance):
    c = conformance
    name = c.profile.backend_type
    for spelling in (name.upper(), name.lower(), name.title()):
        backend, _ = build(c, BACKEND_TYPE=spelling)
        expect_profile_backend(c, backend, f"BACKEND_TYPE={spelling!r}")


@clause("set_backend.config-type")
def test_config_type(conformance):
    c = conformance
    backend, _ = build(c, {"backend_type": c.profile.backend_type.lower()})
    expect_profile_backend(c, backend, "config backend_type with BACKEND_TYPE unset")


@clause("set_backend.env-wins")
def test_env_wins(conformance):
    c = conformance
    backend, _ = build(c, {"backend_type": "SOMETHING_ELSE"},
                       BACKEND_TYPE=c.profile.backend_type)
    expect_profile_backend(c, backend, "BACKEND_TYPE with a different config backend_type")


@clause("set_backend.unknown-falls-back")
def test_unknown_falls_back(conformance):
    c = conformance
    backend, caught = build(c, {"backend_type": "no-such-framework"})
    c.expect(type(backend).__name__ == "BackendBase",
             f"{type(backend).__name__} for an unknown type", "BackendBase")
    c.expect(any("Not Support" in str(w.message) for w in caught),
             f"warnings {[str(w.message) for w in caught]}", "a 'Not Support yet' warning")


@clause("set_backend.none-estimator")
def test_none_estimator(conformance):
    c = conformance
    result = c.profile.set_backend(None, {"backend_type": "x"})
    c.expect(result is None, f"{result!r}", "None")


@clause("set_backend.config-reaches-backend")
def test_config_reaches_backend(conformance):
    c = conformance
    base, out = c.new_folder("base"), c.new_folder("out")
    backend, _ = build(c, {"base_model_url": base, "model_url": out, "model_name": "m.ckpt"},
                       BACKEND_TYPE=c.profile.backend_type)
    c.expect(backend.model_save_path == base and backend.model_name == "m.ckpt",
             f"model_save_path={backend.model_save_path!r}, model_name={backend.model_name!r}",
             f"model_save_path={base!r} (base_model_url), model_name='m.ckpt'")
    backend, _ = build(c, {"model_url": out}, BACKEND_TYPE=c.profile.backend_type)
    c.expect(backend.model_save_path == out,
             f"model_save_path={backend.model_save_path!r} with only model_url",
             f"{out!r} (model_url)")


@clause("set_backend.cuda-sets-use-cuda")
def test_cuda_sets_use_cuda(conformance):
    c = conformance
    backend, _ = build(c, {"backend_type": "no-such-framework"}, CUDA_VISIBLE_DEVICES="0")
    c.expect(getattr(backend, "use_cuda", None) is True,
             f"use_cuda={getattr(backend, 'use_cuda', None)!r}", "True")
