"""How the harness names a class in messages: by its qualified name, so that two classes
called alike (an author's ``TorchBackend`` and upstream's) are never confused.
"""

from __future__ import annotations

__all__ = ["qualified"]


def qualified(kind: type) -> str:
    """``module.QualName`` of ``kind``."""
    return f"{kind.__module__}.{kind.__qualname__}"
