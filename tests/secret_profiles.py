"""Profiles for tests/test_secrets.py: a backend whose remote calls fail with an error
quoting the credentials it was given (and any ``SEDNA_PROBE_TOKEN``), so that the
remote clauses fail while secrets are in their locals, messages and captured output.

Each value it is given is also appended to the file named by ``SEDNA_TEST_SEEN`` (the
test learns the local S3 server's credentials, made inside the run, from there).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from sedna_conformance.backends.base import BackendBase
from sedna_conformance.harness.contract.profile import Profile

_NAMES = ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SEDNA_PROBE_TOKEN")


def _leak() -> None:
    values = [os.environ.get(name, "") for name in _NAMES]
    seen = os.environ.get("SEDNA_TEST_SEEN")
    if seen:
        with open(seen, "a", encoding="utf-8") as handle:
            handle.write("".join(f"{v}\n" for v in values if v))
    print("the worker's credentials:", *values, flush=True)  # captured output
    raise PermissionError("refused with " + " ".join(values))


class LeakyBackend(BackendBase):
    """BackendBase whose every ``s3://`` call fails, quoting its credentials."""

    def save(self, model_url: str = "", model_name: str | None = None) -> str:
        if str(model_url).startswith("s3://"):
            _leak()
        return super().save(model_url=model_url, model_name=model_name)

    def load(self, model_url: str = "", model_name: str | None = None, **kwargs: Any) -> None:
        if str(model_url).startswith("s3://"):
            _leak()
        super().load(model_url, model_name, **kwargs)


def leaky() -> Profile:
    """The scikit-learn profile on :class:`LeakyBackend`."""
    from sedna_conformance.fixtures.profiles import sklearn_profile

    return dataclasses.replace(sklearn_profile(), name="leaky", backend=LeakyBackend,
                               backend_type=None, set_backend=None)
