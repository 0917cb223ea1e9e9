"""Tiny, seeded, learnable image data for the template backend (pure NumPy).

What it holds: float32 images ``x`` of shape ``(N, 3, 8, 8)`` and int32 labels ``y`` of
shape ``(N,)`` in ``{0, 1, 2}``, classes balanced, order shuffled. Class ``k`` has two
cues under Gaussian pixel noise: a *colour* (channel ``k`` raised) and a *pattern*
(horizontal, vertical or diagonal stripes). The **shifted** distribution, used by the
incremental splits, keeps the pattern but moves the colour to channel ``(k + 1) mod 3``,
so a model trained on the base data is misled until it trains on some shifted data.

:func:`make_splits` gives ``train`` (128), ``valid`` (48), ``test`` (96),
``incremental_train`` (48) and ``incremental_test`` (96), each seeded differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IMAGE_SHAPE", "NUM_CLASSES", "Samples", "Splits", "make_samples", "make_splits"]

NUM_CLASSES = 3
IMAGE_SHAPE = (3, 8, 8)


@dataclass(frozen=True)
class Samples:
    """Labelled samples, shaped like Sedna's ``BaseDataSource``: ``x``, ``y``, ``len()``."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Splits:
    """Base ``train``/``valid``/``test``; shifted ``incremental_train``/``incremental_test``."""

    train: Samples
    valid: Samples
    test: Samples
    incremental_train: Samples
    incremental_test: Samples


def make_samples(n: int, seed: int, shifted: bool = False, noise: float = 0.5) -> Samples:
    """``n`` samples drawn with ``seed``, from the shifted distribution if ``shifted``."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % NUM_CLASSES).astype(np.int32)
    rows, cols = np.mgrid[0:IMAGE_SHAPE[1], 0:IMAGE_SHAPE[2]]
    patterns = np.sign(np.sin(np.pi / 2 * np.stack([rows, cols, rows + cols]) + 0.5))
    colour = np.eye(NUM_CLASSES)[(y + 1) % NUM_CLASSES if shifted else y]
    x = (colour[:, :, None, None] + 0.5 * patterns[y][:, None]
         + rng.normal(0.0, noise, (n, *IMAGE_SHAPE)))
    return Samples(x.astype(np.float32), y)


def make_splits(seed: int = 0) -> Splits:
    """The five splits described in the module docstring, disjointly seeded from ``seed``."""
    return Splits(train=make_samples(128, seed), valid=make_samples(48, seed + 1),
                  test=make_samples(96, seed + 2),
                  incremental_train=make_samples(48, seed + 3, shifted=True),
                  incremental_test=make_samples(96, seed + 4, shifted=True))
