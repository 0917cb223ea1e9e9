"""Facts of Sedna's backend contract that clauses compare against, stated independently
of any backend: what upstream Sedna's ``BackendBase`` and its jobs do (kubeedge/sedna,
``lib/sedna/backend`` and ``lib/sedna/core``).

The model-name rule of ``BackendBase``; the record the incremental-learning job reports
for a trained model (:func:`model_info`); the JSON wire federated learning sends weights
through (:func:`wire`) and its aggregation (:func:`fedavg`). Authors can call them to
drive their backend the way Sedna's jobs do.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["MODEL_SUFFIXES", "default_model_name", "fedavg", "model_info", "nested_lists",
           "wire"]

#: Suffix of a default model name by ``framework`` (upstream ``BackendBase.model_name``);
#: TinyMS, as proposed upstream, writes MindSpore checkpoints. Any other framework: ``.pkl``.
MODEL_SUFFIXES: dict[str, str] = {
    "pytorch": ".pth",
    "tensorflow": ".pb",
    "keras": ".pb",
    "mindspore": ".ckpt",
    "tinyms": ".ckpt",
}


def default_model_name(framework: str, fine_tune: bool) -> str:
    """``model[_finetune_]<framework><suffix>``: a backend's name when none is given."""
    suffix = MODEL_SUFFIXES.get(framework, ".pkl")
    return f"model{'_finetune_' if fine_tune else ''}{framework}{suffix}"


def model_info(model: str, result: Any = None) -> list[dict[str, Any]]:
    """The job's model record: ``[{"format", "url", "metrics"}]`` for the file ``model``."""
    return [{"format": os.path.splitext(model)[1].lstrip("."),
             "url": os.path.realpath(model), "metrics": result}]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Building ~10^5 small lists otherwise triggers collections that walk every object
    a framework keeps alive (0.3 s instead of 0.03 s for MobileNetV2's weights).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def nested_lists(arrays: Sequence[Any]) -> list[Any]:
    """Weights as JSON-safe nested lists, the form upstream's Keras backend sends."""
    with _gc_paused():
        return [np.asarray(a).tolist() for a in arrays]


def wire(weights: Any) -> Any:
    """Weights as they arrive after the websocket: ``json.loads(json.dumps(weights))``."""
    with _gc_paused():
        return json.loads(json.dumps(weights))


def fedavg(client_weights: Sequence[Sequence[Any]], sample_counts: Sequence[int]) -> list[Any]:
    """Layer *i* of the result is the sample-weighted mean of every client's layer *i*."""
    if len(client_weights) != len(sample_counts) or not client_weights:
        raise ValueError("fedavg needs one sample count per client, and at least one client")
    total = float(sum(sample_counts))
    averaged = []
    for layer in zip(*client_weights, strict=True):
        stacked = [np.asarray(w, dtype=np.float64) * (n / total)
                   for w, n in zip(layer, sample_counts, strict=True)]
        averaged.append(np.sum(stacked, axis=0))
    return nested_lists(averaged)
