"""set_backend.*: how Sedna's workers pick and build a backend."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

from sedna_conformance.harness.contract.names import qualified
from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause

_VARIABLES = ("BACKEND_TYPE", "DEVICE_CATEGORY", "CUDA_VISIBLE_DEVICES")


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set exactly ``values`` among Sedna's variables; restore everything after."""
    saved = {name: os.environ.get(name) for name in _VARIABLES}
    try:
        for name in _VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(values)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Records(logging.Handler):
    """Collects WARNING and worse log records from every logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def logged_warnings() -> Iterator[list[str]]:
    """Warnings logged (through ``logging``, by any logger, propagating or not) while open."""
    handler = _Records()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _type(c: ClauseRun) -> str:
    """The profile's backend type (these clauses are skipped for a profile without one)."""
    assert c.profile.backend_type is not None
    return c.profile.backend_type


def build(c: ClauseRun, config: Any = None, **variables: str) -> tuple[Any, list[str]]:
    """``set_backend(estimator, config)`` with exactly ``variables`` among Sedna's; the
    backend and every warning issued (Python warnings and logged ones).
    """
    with environment(**variables), warnings.catch_warnings(record=True) as caught, \
            logged_warnings() as logged:
        warnings.simplefilter("always")
        backend = c.log.call(f"set_backend[{variables}]", c.profile.set_backend,
                             c.profile.estimator, config)
    return backend, [str(w.message) for w in caught] + logged


def expect_profile_backend(c: ClauseRun, backend: Any, how: str) -> None:
    c.expect(type(backend) is c.profile.backend,
             f"{how} gave {qualified(type(backend))}", qualified(c.profile.backend))


@clause("set_backend.env-any-case")
def test_env_any_case(conformance: ClauseRun) -> None:
    c = conformance
    name = _type(c)
    for spelling in (name.upper(), name.lower(), name.title()):
        backend, _ = build(c, BACKEND_TYPE=spelling)
        expect_profile_backend(c, backend, f"BACKEND_TYPE={spelling!r}")


@clause("set_backend.config-type")
def test_config_type(conformance: ClauseRun) -> None:
    c = conformance
    backend, _ = build(c, {"backend_type": _type(c).lower()})
    expect_profile_backend(c, backend, "config backend_type with BACKEND_TYPE unset")


@clause("set_backend.env-wins")
def test_env_wins(conformance: ClauseRun) -> None:
    c = conformance
    backend, _ = build(c, {"backend_type": "SOMETHING_ELSE"},
                       BACKEND_TYPE=_type(c))
    expect_profile_backend(c, backend, "BACKEND_TYPE with a different config backend_type")


@clause("set_backend.unknown-falls-back")
def test_unknown_falls_back(conformance: ClauseRun) -> None:
    c = conformance
    backend, warned = build(c, {"backend_type": "no-such-framework"})
    kind = type(backend)
    c.expect(backend is not None and getattr(backend, "framework", None) == ""
             and callable(getattr(backend, "predict", None)),
             f"{qualified(kind)} (framework={getattr(backend, 'framework', None)!r}) for an "
             "unknown type", "the generic backend (framework '')")
    held = getattr(backend, "estimator", None)
    c.expect(held is c.profile.estimator or isinstance(held, c.profile.estimator)
             if isinstance(c.profile.estimator, type) else held is not None,
             f"the fallback holds estimator={held!r}", "the estimator given to set_backend")
    c.expect(bool(warned), "no warning (neither warnings.warn nor a logged warning)",
             "a warning that the type is not supported")


@clause("set_backend.none-estimator")
def test_none_estimator(conformance: ClauseRun) -> None:
    c = conformance
    result = c.log.call("set_backend", c.profile.set_backend, None, {"backend_type": "x"})
    c.expect(result is None, f"{result!r}", "None")


@clause("set_backend.config-reaches-backend")
def test_config_reaches_backend(conformance: ClauseRun) -> None:
    c = conformance
    base, out = c.new_folder("base"), c.new_folder("out")
    name = "m" + c.suffix
    backend, _ = build(c, {"base_model_url": base, "model_url": out, "model_name": name},
                       BACKEND_TYPE=_type(c))
    c.expect(backend.model_save_path == base and backend.model_name == name,
             f"model_save_path={backend.model_save_path!r}, model_name={backend.model_name!r}",
             f"model_save_path={base!r} (base_model_url), model_name={name!r}")
    backend, _ = build(c, {"model_url": out}, BACKEND_TYPE=_type(c))
    c.expect(backend.model_save_path == out,
             f"model_save_path={backend.model_save_path!r} with only model_url",
             f"{out!r} (model_url)")


@clause("set_backend.cuda-sets-use-cuda")
def test_cuda_sets_use_cuda(conformance: ClauseRun) -> None:
    c = conformance
    for visible, expected in (({"CUDA_VISIBLE_DEVICES": "0"}, True), ({}, False)):
        backend, _ = build(c, {"backend_type": _type(c)}, **visible)
        got = getattr(backend, "use_cuda", None)
        c.expect(got is expected, f"use_cuda={got!r} on {qualified(type(backend))} with "
                 f"CUDA_VISIBLE_DEVICES {'set' if visible else 'unset'}", repr(expected))
