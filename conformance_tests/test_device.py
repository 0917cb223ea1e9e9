"""device.*: ``use_cuda`` puts the model on the GPU where there is one, and falls back to
the CPU, saying so, where there is none. The profile tells the harness what the framework
sees (``gpu_visible``) and where a model lives (``model_device``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from sedna_conformance.conformance_tests.test_set_backend import logged_warnings
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


def _gpu_visible(c: ClauseRun) -> bool:
    return bool(c.hook("gpu_visible()", c.profile.gpu_visible))


def _device(c: ClauseRun, backend: Any) -> str:
    return str(c.hook("model_device(backend)", c.profile.model_device, backend.wrapped)).lower()


@clause("device.cpu-fallback")
def test_cpu_fallback(conformance: ClauseRun) -> None:
    c = conformance
    if _gpu_visible(c):
        pytest.skip("a GPU is visible to the framework here: the fallback is judged on "
                    "machines without one (device.gpu-placement is judged here)")
    with warnings.catch_warnings(record=True) as caught, logged_warnings() as logged:
        warnings.simplefilter("always")
        backend = c.backend(trained=True, use_cuda=True, label="cuda")
        out = c.array(backend.predict(c.x()))
        backend.train(train_data=c.data.train, valid_data=c.data.valid, **c.train_kwargs())
        backend.predict(c.x())
    said = [str(w.message) for w in caught] + logged
    c.expect(any("cuda" in m.lower() or "gpu" in m.lower() for m in said),
             f"no warning naming use_cuda or the GPU (warnings: {[m[:80] for m in said]})",
             "a warning that the model runs on the CPU")
    where = _device(c, backend)
    c.expect(where == "cpu", f"model_device={where!r} after training", "'cpu'")
    plain = c.array(c.backend(trained=True, label="plain").predict(c.x()))
    c.expect(out.shape == plain.shape and np.array_equal(out, plain),
             "use_cuda=True predicts differently from use_cuda=False on the CPU",
             "the same predictions")


@clause("device.gpu-placement")
def test_gpu_placement(conformance: ClauseRun) -> None:
    c = conformance
    if not _gpu_visible(c):
        pytest.skip("no GPU is visible to the framework here (the profile's gpu_visible "
                    "says so): judged on a machine with one")
    backend = c.backend(trained=True, use_cuda=True)
    backend.train(train_data=c.data.train, valid_data=c.data.valid, **c.train_kwargs())
    after_train = _device(c, backend)
    out = c.array(backend.predict(c.x()))
    after_predict = _device(c, backend)
    c.expect(after_train == after_predict == "gpu",
             f"model_device={after_train!r} after train, {after_predict!r} after predict",
             "'gpu' both times")
    c.expect(len(out) == len(c.x()), f"{len(out)} output rows", f"{len(c.x())} rows")
