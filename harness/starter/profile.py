"""The template's conformance profile, registered as ``numpy-reference``.

Run it with ``sedna-conformance run --profile numpy-reference``. It names no
``set_backend`` (there is none for NumPy), so the ``set_backend`` clauses are skipped.
"""

from __future__ import annotations

import os

from sedna_conformance.harness.contract.profile import Capabilities, Profile
from sedna_conformance.harness.discovery import offered
from sedna_conformance.harness.starter.backend import NumpyBackend
from sedna_conformance.harness.starter.data import make_splits
from sedna_conformance.harness.starter.estimator import SoftmaxRegression

__all__ = ["reference_profile"]


def _foreign_checkpoint(folder: str) -> str:
    """A well-formed checkpoint of another shape, which ``load`` must refuse."""
    return SoftmaxRegression(feature_shape=(3, 2, 2)).save(os.path.join(folder, "small.npz"))


def _no_gpu() -> bool:
    """NumPy sees no GPU."""
    return False


def _on_cpu(backend: object) -> str:
    """NumPy arrays live on the CPU."""
    return "cpu"


@offered()
def reference_profile() -> Profile:
    """``NumpyBackend`` driving ``SoftmaxRegression`` on the template's own data."""
    return Profile(name="numpy-reference", backend=NumpyBackend, estimator=SoftmaxRegression,
                   datasets=make_splits, architecture="softmax-regression",
                   quick_train_kwargs={"epochs": 1, "learning_rate": 0.01},
                   foreign_checkpoint=_foreign_checkpoint,
                   # The template reads and writes local files only; a backend Sedna
                   # deploys should also take s3:// and http(s):// model URLs.
                   capabilities=Capabilities(remote_urls=False),
                   gpu_visible=_no_gpu, model_device=_on_cpu)
