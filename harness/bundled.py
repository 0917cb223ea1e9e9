"""The bundled profiles: our MindSpore and TinyMS backends on the MobileNetV2 fixtures.

Both run in PyNative mode: on these tiny images graph compilation buys nothing and would
cost about a second per new network (three per training). Graph mode, Sedna's default,
is covered by the ``mindspore-graph`` variant, which is not in the default run: select
it with ``--profile mindspore-graph``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.profile import Profile

__all__ = ["PROFILES", "VARIANTS"]

#: Quick trainings (one epoch) in batches of 64: two steps over the 128 training samples.
QUICK_TRAINING: dict[str, Any] = {"epochs": 1, "batch_size": 64}


def mindspore_profile(mode: str = "pynative", name: str = "mindspore") -> Profile:
    """``MSBackend`` with ``fixtures.estimators.MobileNetV2MS`` in ``mode``."""
    from backends.mindspore_backend import MSBackend
    from fixtures.datasets import make_splits
    from fixtures.estimators import MobileNetV2MS, foreign_checkpoint

    return Profile(name=name, backend=MSBackend, estimator=MobileNetV2MS,
                   datasets=make_splits, backend_type="MINDSPORE",
                   options={"mode": mode}, architecture="mobilenetv2",
                   quick_train_kwargs=QUICK_TRAINING,
                   requires_modules=("mindspore",), foreign_checkpoint=foreign_checkpoint)


def mindspore_graph_profile() -> Profile:
    """The ``mindspore`` profile in graph mode (Sedna's default mode)."""
    return mindspore_profile(mode="graph", name="mindspore-graph")


def tinyms_profile() -> Profile:
    """``TinyMSBackend`` with ``fixtures.estimators.MobileNetV2TinyMS``, PyNative mode."""
    from backends.tinyms_backend import TinyMSBackend
    from fixtures.datasets import make_splits
    from fixtures.estimators import MobileNetV2TinyMS, foreign_checkpoint

    return Profile(name="tinyms", backend=TinyMSBackend, estimator=MobileNetV2TinyMS,
                   datasets=make_splits, backend_type="TINYMS",
                   options={"mode": "pynative"}, architecture="mobilenetv2",
                   quick_train_kwargs=QUICK_TRAINING,
                   requires_modules=("mindspore", "tinyms"), foreign_checkpoint=foreign_checkpoint)


#: The default run: every one of these whose framework imports.
PROFILES: dict[str, Callable[[], Profile]] = {
    "mindspore": mindspore_profile,
    "tinyms": tinyms_profile,
}

#: Bundled profiles run only when named with ``--profile``.
VARIANTS: dict[str, Callable[[], Profile]] = {
    "mindspore-graph": mindspore_graph_profile,
}
