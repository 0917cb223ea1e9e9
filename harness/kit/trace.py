"""A recording proxy around a backend: every call is logged (for reproduction notes),
timed (to tell the backend's time from the harness's), and what it raises is remembered
(to tell the backend's exceptions from the harness's own).
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
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a framework's tensor
        return f"<{type(value).__name__} {value.dtype} {tuple(value.shape)}>"
    if hasattr(value, "x") and hasattr(value, "y"):
        return f"<{type(value).__name__} x={describe(value.x)} y={describe(value.y)}>"
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
    raised: list[BaseException] = field(default_factory=list)
    """Exceptions that left a traced call: the backend's (or the code it called)."""

    def from_backend(self, error: BaseException) -> bool:
        """Whether ``error``, or an exception it was raised from, left a traced call."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            if any(current is e for e in self.raised):
                return True
            seen.add(id(current))
            current = current.__cause__ or current.__context__
        return False

    def call(self, label: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, logged, timed and with its exception remembered, as
        for a traced backend method (for what the author supplies besides the backend,
        such as ``set_backend``).
        """
        shown = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
        self.calls.append(f"{label}({', '.join(shown)})")
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        except BaseException as error:
            self.raised.append(error)
            raise
        finally:
            self.backend_s += time.perf_counter() - start

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
        try:
            value = getattr(self._backend, name)
        except AttributeError as error:  # a method the backend lacks is the backend's
            self._log.raised.append(error)
            raise
        if name.startswith("_") or not callable(value) or isinstance(value, type):
            return value
        log, label = self._log, self._label

        def call(*args: Any, **kwargs: Any) -> Any:
            return log.call(f"{label}.{name}", value, *args, **kwargs)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._backend, name, value)
