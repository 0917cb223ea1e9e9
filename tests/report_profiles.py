"""Profiles whose backends say hostile things, for ``tests/test_report_files.py``
(importable as ``tests.report_profiles:NAME``).

The template's NumPy backend, with an ``evaluate`` that raises a message holding terminal
escapes, NUL, a carriage return, a lone surrogate (a non-UTF-8 file name's byte),
Markdown and HTML, its first line padded to ``SEDNA_TEST_MESSAGE_SIZE`` characters; or a
``train`` that reports a NaN loss; or an ``evaluate`` that waits to be released.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from sedna_conformance.harness import Profile
from sedna_conformance.harness.starter import NumpyBackend, reference_profile

#: The first line of every hostile message (the part most clauses quote).
HOSTILE = ("\x1b[2J\x1b[31mOWNED\x00 | pipe | `tick` <script>alert(1)</script> file "
           "\udcff.ckpt ")
#: Its other lines.
HOSTILE_REST = "\r\n```\n## heading\n"
#: A profile name holding what Markdown tables and headings act on.
HOSTILE_NAME = "hostile|`name`<b>"


def hostile_message() -> str:
    """:data:`HOSTILE`, its first line padded with ``x`` to ``SEDNA_TEST_MESSAGE_SIZE``
    characters, then :data:`HOSTILE_REST`.
    """
    size = int(os.environ.get("SEDNA_TEST_MESSAGE_SIZE", "0"))
    return HOSTILE + "x" * max(0, size - len(HOSTILE)) + HOSTILE_REST


class HostileEvaluate(NumpyBackend):
    """Raises :func:`hostile_message` from ``evaluate``."""

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        raise RuntimeError(hostile_message())


class NanLoss(NumpyBackend):
    """Reports its training loss as NaN (a diverged run's metric, passed on as is)."""

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
        result = super().train(train_data, valid_data, **kwargs)
        return {**result, "loss": float("nan")}


class Waiting(NumpyBackend):
    """``evaluate`` writes its pid to ``SEDNA_TEST_STARTED``, then waits (at most a minute)
    for the file ``SEDNA_TEST_RELEASE`` to exist: a run that stays in progress until told.
    """

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        Path(os.environ["SEDNA_TEST_STARTED"]).write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not os.path.exists(os.environ["SEDNA_TEST_RELEASE"]):
            if time.monotonic() > deadline:
                raise TimeoutError("SEDNA_TEST_RELEASE never appeared")
            time.sleep(0.05)
        return super().evaluate(data, model_path, **kwargs)


def waiting() -> Profile:
    """The template profile with :class:`Waiting`."""
    return dataclasses.replace(reference_profile(), name="waiting", backend=Waiting)


def hostile() -> Profile:
    """The template profile named :data:`HOSTILE_NAME`, its ``evaluate`` raising."""
    return dataclasses.replace(reference_profile(), name=HOSTILE_NAME, backend=HostileEvaluate)


def nan_loss() -> Profile:
    """The template profile with :class:`NanLoss`."""
    return dataclasses.replace(reference_profile(), name="nan-loss", backend=NanLoss)
