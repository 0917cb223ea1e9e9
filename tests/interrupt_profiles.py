"""Profiles whose backend misbehaves once, for the interruption and isolation tests.

The first ``predict`` of a run after ``SEDNA_TEST_AFTER`` calls in its process (default
0; across processes, the first to create the file named by ``SEDNA_TEST_MARKER`` wins) writes its process id to that file and then does what
``SEDNA_TEST_MODE`` says: ``sleep`` (a long sleep), ``spin`` (a regular expression that
holds the GIL for hours), ``keyboard`` (raise ``KeyboardInterrupt``) or ``journal`` (write
a forged "passed" line and a line of garbage into its isolated child's journal, then
predict as usual). With ``SEDNA_TEST_MINDSPORE=1`` the profile starts MindSpore's runtime
when loaded, which installs MindSpore's own SIGINT handler.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Any

from sedna_conformance.harness import Profile
from sedna_conformance.harness.starter.backend import NumpyBackend
from sedna_conformance.harness.starter.profile import reference_profile

__all__ = ["misbehaving_profile"]


_CALLS = [0]


def _first() -> bool:
    """Whether this is the run's first call past ``SEDNA_TEST_AFTER`` (it claims the
    marker file).
    """
    _CALLS[0] += 1
    if _CALLS[0] <= int(os.environ.get("SEDNA_TEST_AFTER", "0")):
        return False
    try:
        descriptor = os.open(os.environ["SEDNA_TEST_MARKER"], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.write(descriptor, str(os.getpid()).encode())
    os.close(descriptor)
    return True


def _forge_journal() -> None:
    path = sys.argv[sys.argv.index("--sedna-child-journal") + 1]
    forged = {"event": "report", "nodeid": "x", "report": {"outcome": "passed"}}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(forged) + "\n" + "not json at all\n")


class MisbehavingBackend(NumpyBackend):
    """``NumpyBackend`` whose first ``predict`` of the run misbehaves (see the module)."""

    def predict(self, data: Any, **kwargs: Any) -> Any:
        if _first():
            mode = os.environ["SEDNA_TEST_MODE"]
            if mode == "sleep":
                time.sleep(600)
            elif mode == "spin":
                re.match(r"(a+)+$", "a" * 64 + "b")
            elif mode == "keyboard":
                raise KeyboardInterrupt("raised by the backend")
            elif mode == "journal":
                _forge_journal()
        return super().predict(data, **kwargs)


def misbehaving_profile() -> Profile:
    """The numpy reference profile with :class:`MisbehavingBackend`."""
    if os.environ.get("SEDNA_TEST_MINDSPORE") == "1":
        import mindspore
        import numpy as np

        mindspore.Tensor(np.ones(2, np.float32)).asnumpy()  # starts the runtime
    import dataclasses

    return dataclasses.replace(reference_profile(), name="misbehaving",
                               backend=MisbehavingBackend)
