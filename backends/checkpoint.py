"""MindSpore checkpoint files, written atomically and read with integrity checks.

Files are MindSpore's protobuf ``.ckpt`` format with a CRC (``crc_check=True``), so a
flipped byte is detected on load, and no pickle is ever read. A save writes a
temporary file beside the target and renames it into place, so a crash mid-save
leaves the previous file intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sedna_conformance.backends.weights import WeightsAccess

__all__ = ["CHECKPOINT_SUFFIX", "checkpoint_file", "load_into", "read_checkpoint",
           "write_checkpoint"]

CHECKPOINT_SUFFIX = ".ckpt"


def checkpoint_file(path: str) -> str:
    """``path`` with MindSpore's ``.ckpt`` suffix appended if it lacks it."""
    return path if path.endswith(CHECKPOINT_SUFFIX) else path + CHECKPOINT_SUFFIX


def write_checkpoint(path: str, names: Sequence[str], arrays: Sequence[np.ndarray]) -> str:
    """Write ``names``/``arrays`` to ``checkpoint_file(path)`` atomically; return that path."""
    import mindspore
    from mindspore import Tensor

    final = checkpoint_file(os.fspath(path))
    folder = os.path.dirname(final) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=CHECKPOINT_SUFFIX, dir=folder)
    os.close(fd)
    try:
        entries = [{"name": n, "data": Tensor(np.ascontiguousarray(a))}
                   for n, a in zip(names, arrays, strict=True)]
        mindspore.save_checkpoint(entries, tmp, crc_check=True)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return final


def read_checkpoint(path: str) -> dict[str, np.ndarray]:
    """Read a checkpoint into ``{name: array}``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for anything that
    is not an intact MindSpore checkpoint (empty, truncated, corrupted, foreign).
    """
    import mindspore

    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    if not path.endswith(CHECKPOINT_SUFFIX):
        raise ValueError(f"model file {path!r} must be a MindSpore checkpoint ending in "
                         f"{CHECKPOINT_SUFFIX!r}")
    try:
        params = mindspore.load_checkpoint(path, crc_check=True)
    except (ValueError, RuntimeError, TypeError, OSError) as exc:
        raise ValueError(f"model file {path!r} is not an intact MindSpore checkpoint: "
                         f"{exc}") from None
    return {name: np.array(p.asnumpy(), copy=True) for name, p in params.items()}


def load_into(weights: WeightsAccess, path: str, *, allow_extra: bool = False) -> None:
    """Read the checkpoint at ``path`` and write it into ``weights``, all or nothing
    (:func:`~sedna_conformance.backends.weights.assign_stored`).
    """
    from sedna_conformance.backends.weights import assign_stored

    assign_stored(weights, read_checkpoint(path), f"checkpoint {path!r}",
                  allow_extra=allow_extra)
