"""pytest's own usage errors in one line, for the command line's ``pytest.main``."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

__all__ = ["OneLineUsage"]


class OneLineUsage:
    """A plugin for ``pytest.main``: pytest's own usage errors (an unknown option, ``-n abc``)
    become one line naming the argument, without pytest's usage banner.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_parse(self) -> Generator[None, Any, Any]:
        try:
            return (yield)
        except pytest.UsageError as error:
            lines = [line for line in str(error).splitlines() if ": error: " in line]
            if not lines:
                raise
            raise pytest.UsageError(
                "sedna-conformance run: " + lines[-1].split(": error: ", 1)[1]) from None
