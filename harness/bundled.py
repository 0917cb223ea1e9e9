"""The bundled profiles: our MindSpore and TinyMS backends on the MobileNetV2 fixtures."""

from __future__ import annotations

from collections.abc import Callable

from harness.profile import Profile

__all__ = ["PROFILES"]


def mindspore_profile() -> Profile:
    """``MSBackend`` with ``fixtures.estimators.MobileNetV2MS``, graph mode (Sedna's default)."""
    from backends.mindspore_backend import MSBackend
    from fixtures.datasets import make_splits
    from fixtures.estimators import MobileNetV2MS, foreign_checkpoint

    return Profile(name="mindspore", backend=MSBackend, estimator=MobileNetV2MS,
                   datasets=make_splits, backend_type="MINDSPORE",
                   options={"mode": "graph"}, architecture="mobilenetv2",
                   requires_modules=("mindspore",), foreign_checkpoint=foreign_checkpoint)


def tinyms_profile() -> Profile:
    """``TinyMSBackend`` with ``fixtures.estimators.MobileNetV2TinyMS``, PyNative mode."""
    from backends.tinyms_backend import TinyMSBackend
    from fixtures.datasets import make_splits
    from fixtures.estimators import MobileNetV2TinyMS, foreign_checkpoint

    return Profile(name="tinyms", backend=TinyMSBackend, estimator=MobileNetV2TinyMS,
                   datasets=make_splits, backend_type="TINYMS",
                   options={"mode": "pynative"}, architecture="mobilenetv2",
                   requires_modules=("mindspore", "tinyms"), foreign_checkpoint=foreign_checkpoint)


PROFILES: dict[str, Callable[[], Profile]] = {
    "mindspore": mindspore_profile,
    "tinyms": tinyms_profile,
}
