"""A recording proxy around a backend: every call is logged (for reproduction notes)
and timed (to tell the backend's time from the harness's).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallLog", "Traced", "describe"]


def describe(value: Any) -> str:
    """A short, reproducible description of an argument: shapes, not contents."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array {value.shape}>"
    if hasattr(value, "x") and hasattr(value, "y"):
        return (f"<{type(value).__name__} x={describe(np.asarray(value.x))} "
                f"y={describe(np.asarray(value.y))}>")
    if isinstance(value, list | tuple) and len(value) > 4:
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, list | tuple):
        inner = ", ".join(describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class CallLog:
    """The calls made on traced backends during one clause, and their total time."""

    calls: list[str] = field(default_factory=list)
    backend_s: float = 0.0

    def summary(self, last: int = 6) -> str:
        """The last ``last`` calls, one per line."""
        shown = self.calls[-last:]
        more = len(self.calls) - len(shown)
        lines = [f"  ({more} earlier calls)"] if more > 0 else []
        return "\n".join(lines + [f"  {c}" for c in shown]) or "  (no backend call)"


class Traced:
    """Forward everything to ``backend``; log and time its method calls."""

    def __init__(self, backend: Any, log: CallLog, label: str = "backend") -> None:
        object.__setattr__(self, "_backend", backend)
        object.__setattr__(self, "_log", log)
        object.__setattr__(self, "_label", label)

    @property
    def wrapped(self) -> Any:
        """The backend itself."""
        return object.__getattribute__(self, "_backend")

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._backend, name)
        if name.startswith("_") or not callable(value) or isinstance(value, type):
            return value
        log, label = self._log, self._label

        def call(*args: Any, **kwargs: Any) -> Any:
            shown = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
            log.calls.append(f"{label}.{name}({', '.join(shown)})")
            start = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                log.backend_s += time.perf_counter() - start

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._backend, name, value)
