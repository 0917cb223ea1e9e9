"""Profiles that attack the harness, for the attack catalogue of ``benchmarks/reliability.py``.

:func:`hostile_profile` is the numpy reference profile with :class:`HostileBackend`, which
does what ``SEDNA_ATTACK_FAULT`` says in the method ``SEDNA_ATTACK_METHOD`` names
(``predict`` unless set; ``__init__`` for the constructor). It strikes once per run unless
``SEDNA_ATTACK_ONCE=0``: the first call, across the run's processes, claims the file
``SEDNA_TEST_MARKER`` (as :mod:`tests.interrupt_profiles` does) and writes its pid there.
The other functions are profile mistakes a user can make, each a bad input.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sedna_conformance.harness import Profile
from sedna_conformance.harness.contract.profile import Capabilities, Tolerances
from sedna_conformance.harness.starter.backend import NumpyBackend
from sedna_conformance.harness.starter.profile import reference_profile

#: The name of :func:`hostile_profile`.
HOSTILE = "hostile"
#: A 20 MB exception message.
HUGE = 20_000_000


def _claim() -> bool:
    """Whether this call strikes (the first of the run, unless every call should)."""
    if os.environ.get("SEDNA_ATTACK_ONCE", "1") == "0":
        return True
    try:
        descriptor = os.open(os.environ["SEDNA_TEST_MARKER"], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.write(descriptor, str(os.getpid()).encode())
    os.close(descriptor)
    return True


class _BadStr(Exception):
    """An exception that cannot be printed."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ of this exception raises")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ of this exception raises")


def _raises(error: Callable[[], BaseException]) -> Callable[[], None]:
    """A fault that raises what ``error`` makes (made when it strikes)."""
    def strike() -> None:
        raise error()
    return strike


#: A file name that is not UTF-8, as ``os.fsdecode`` gives it (lone surrogates).
_NOT_UTF8 = os.fsdecode(b"model-\xff\xfe.ckpt")


def _secret() -> str:
    return os.environ.get("SECRET_ACCESS_KEY", "")


def _raise_holding_secret() -> None:
    secret_access_key = _secret()  # a local that pytest's --showlocals would print
    raise ValueError(f"the backend failed ({len(secret_access_key)} characters in hand)")


def _print_secrets() -> None:
    print(f"ACCESS_KEY_ID={os.environ.get('ACCESS_KEY_ID')} SECRET_ACCESS_KEY={_secret()}")
    print(f"SECRET_ACCESS_KEY={_secret()}", file=sys.stderr)
    raise ValueError("the backend failed after printing its credentials")


def _close_stdio() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.close(1)
    os.close(2)


def _ignore_signals_and_sleep() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)


def _grandchild_and_sleep() -> None:
    subprocess.Popen(["sleep", "300"])  # never waited for: the run must end it
    time.sleep(600)


#: What each fault does when it strikes (those that change a return value are in the methods).
FAULTS: dict[str, Callable[[], None]] = {
    "segfault": lambda: print(ctypes.string_at(0)),
    "abort": os.abort,
    "exit-0": lambda: os._exit(0),
    "exit-3": lambda: os._exit(3),
    "system-exit": lambda: sys.exit(0),
    "keyboard": _raises(lambda: KeyboardInterrupt("raised by the backend")),
    "memory-error": _raises(lambda: MemoryError("raised by the backend")),
    "sleep": lambda: time.sleep(600),
    "spin": lambda: print(re.match(r"(a+)+$", "a" * 64 + "b")),  # holds the GIL for hours
    "ignore-signals": _ignore_signals_and_sleep,
    "grandchild": _grandchild_and_sleep,
    "chdir": lambda: os.chdir(tempfile.mkdtemp(prefix="attack-elsewhere-")),
    "close-stdio": _close_stdio,
    "huge-message": _raises(lambda: ValueError("x" * HUGE)),
    "control-bytes": _raises(lambda: ValueError(
        "colour \x1b[31mred\x1b[0m, clear \x1b[2J, NUL \x00, bell \x07, backspace \x08 end")),
    "surrogate": _raises(lambda: ValueError(f"cannot read {_NOT_UTF8}")),
    "markup": _raises(lambda: ValueError(
        "</code></pre><script>alert(1)</script> | a | b |\n```\n# heading\n<img src=x>")),
    "unprintable": _raises(_BadStr),
    "secret-message": _raises(lambda: ValueError(
        f"access denied for key {os.environ.get('ACCESS_KEY_ID')}:{_secret()}")),
    "secret-local": _raise_holding_secret,
    "secret-print": _print_secrets,
}
#: Faults that change what a method returns instead.
RESULTS = {"nan-metrics": math.nan, "inf-metrics": math.inf}


def _strikes(method: str) -> str | None:
    """The fault to do now in ``method``, if any."""
    fault = os.environ.get("SEDNA_ATTACK_FAULT", "")
    if not fault or os.environ.get("SEDNA_ATTACK_METHOD", "predict") != method:
        return None
    if fault not in FAULTS and fault not in RESULTS:
        raise LookupError(f"SEDNA_ATTACK_FAULT={fault!r}: no such fault")
    return fault if _claim() else None


def _strike(method: str) -> str | None:
    """Do the fault ``method`` should do now; returns a result-changing fault to apply."""
    fault = _strikes(method)
    if fault in FAULTS:
        FAULTS[fault]()
        return None
    return fault


class HostileBackend(NumpyBackend):
    """``NumpyBackend`` that does the fault of ``SEDNA_ATTACK_FAULT`` (see the module)."""

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        _strike("__init__")
        super().__init__(estimator, fine_tune, **kwargs)

    def train(self, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
        fault = _strike("train")
        result = super().train(train_data, valid_data, **kwargs)
        return {"loss": RESULTS[fault]} if fault else result

    def predict(self, data: Any, **kwargs: Any) -> Any:
        _strike("predict")
        return super().predict(data, **kwargs)

    def evaluate(self, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        fault = _strike("evaluate")
        result = super().evaluate(data, model_path, **kwargs)
        return {**result, "accuracy": RESULTS[fault], "loss": RESULTS[fault]} if fault else result

    def save(self, model_url: str = "", model_name: str | None = None) -> str:
        _strike("save")
        return super().save(model_url, model_name)


def hostile_profile() -> Profile:
    """The numpy reference profile with :class:`HostileBackend`."""
    return dataclasses.replace(reference_profile(), name=HOSTILE, backend=HostileBackend)


def remote_profile() -> Profile:
    """:func:`hostile_profile` claiming S3 support it lacks: the ``remote.*`` clauses run
    (with credentials in their environment) and fail.
    """
    return dataclasses.replace(hostile_profile(), capabilities=Capabilities(remote_urls=True))


#: A profile name holding Markdown and HTML syntax (and no '/').
MARKUP_NAME = "evil|name <img src=x onerror=alert(1)> *b* `c`"


def markup_name_profile() -> Profile:
    """A profile whose name holds Markdown and HTML syntax."""
    return dataclasses.replace(hostile_profile(), name=MARKUP_NAME)


def slash_name_profile() -> Profile:
    """A profile whose name holds '/' (it cannot name a folder)."""
    return dataclasses.replace(reference_profile(), name="team/backend")


# -- profile mistakes (bad inputs) ----------------------------------------------------------

def _reference(**changes: Any) -> Profile:
    return dataclasses.replace(reference_profile(), **changes)


def negative_tolerance() -> Profile:
    return _reference(tolerances=Tolerances(batch_atol=-1.0))


def threshold_above_one() -> Profile:
    return _reference(tolerances=Tolerances(accuracy_threshold=2.0))


def nan_tolerance() -> Profile:
    return _reference(tolerances=Tolerances(batch_rtol=math.nan))


def preload_string() -> Profile:
    return _reference(preload="numpy")


def duplicate_names() -> list[Profile]:
    return [reference_profile(), reference_profile()]


def empty_name() -> Profile:
    return _reference(name="")


def unmatched_expected_failure() -> Profile:
    return _reference(expected_failures={"no.such-clause": "a clause that does not exist"})


def backend_not_a_class() -> Profile:
    return _reference(backend=lambda **kwargs: NumpyBackend(**kwargs))


def isolated() -> Profile:
    return _reference(name="isolated", isolate=True)


def returns_none() -> None:
    return None


def raises_when_called() -> Profile:
    raise RuntimeError("the profile factory failed")


def mixed_list() -> list[Any]:
    return [reference_profile(), "not a profile"]


#: Not a profile at all.
NOT_A_PROFILE = 42
