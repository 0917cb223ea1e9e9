"""What Sedna's jobs do around a backend, rebuilt from the contract (§4) for the clauses.

``model_info`` is the record the incremental-learning job reports for a trained model;
``fedavg`` is federated learning's aggregation (position-wise, weighted by sample count).
Authors can call them to drive their backend the way the jobs do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from backends.weights import as_nested_lists, gc_paused

__all__ = ["fedavg", "model_info", "wire"]


def model_info(model: str, result: Any = None) -> list[dict[str, Any]]:
    """The job's model record: ``[{"format", "url", "metrics"}]`` for the file ``model``."""
    return [{"format": os.path.splitext(model)[1].lstrip("."),
             "url": os.path.realpath(model), "metrics": result}]


def wire(weights: Any) -> Any:
    """Weights as they arrive after the websocket: ``json.loads(json.dumps(weights))``."""
    with gc_paused():  # parsing builds ~10^5 lists; see backends.weights.gc_paused
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
    return as_nested_lists(averaged)
