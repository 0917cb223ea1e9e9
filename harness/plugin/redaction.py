"""Redaction: credentials never reach the terminal, ``junit.xml`` or a report, whatever
pytest options are given (``-l``/``--showlocals`` prints a clause's local variables, the
S3 settings of a worker among them).

The secret values are those of the environment variables named ``ACCESS_KEY_ID`` or
``SECRET_ACCESS_KEY`` or ending with ``SECRET``, ``SECRET_KEY``, ``TOKEN`` or
``PASSWORD`` (``AWS_SECRET_ACCESS_KEY``, ``GITHUB_TOKEN``, ...), and those registered with
:func:`register` (the credentials of the S3 server the harness starts). Every clause
test's report is redacted where it is made and again when it is logged (one replayed from
an xdist worker or an isolated child, or made by the isolation supervisor), before the
terminal, ``junit.xml`` or the reports read it: each secret value in its text (traceback,
locals, captured output and logs, the clause's message) becomes ``***``, and what pytest
prints of it gets control bytes escaped and each piece capped. Live logging
(``--log-cli-level``, ``--log-file``) is redacted too. Output a backend writes straight to
the terminal with capturing off (``-s``) is not the suite's to change.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Generator
from typing import Any

import pytest

from sedna_conformance.harness.contract.text import display
from sedna_conformance.harness.plugin.collection import MARKER, parse_test_id

__all__ = ["MASK", "Redaction", "redact", "register", "secret_values"]

#: What a secret value is replaced with.
MASK = "***"
#: Environment variables whose values are secret: these names, and names ending so.
SECRET_NAMES = ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY")
SECRET_SUFFIXES = ("SECRET", "SECRET_KEY", "TOKEN", "PASSWORD")
#: Shorter values are not masked: they would mask unrelated text and guard nothing.
MIN_LENGTH = 8
_PART = 4  # the shortest part of a secret masked where a repr cut it ("abcd...")

_registered: set[str] = set()


def register(*values: str) -> None:
    """Treat ``values`` as secrets from now on, in this process."""
    _registered.update(v for v in values if isinstance(v, str))


def secret_values() -> list[str]:
    """The secret values known now, longest first."""
    found = set(_registered)
    for name, value in os.environ.items():
        if name.upper().endswith(SECRET_NAMES + SECRET_SUFFIXES):
            found.add(value)
    return sorted((v for v in found if len(v) >= MIN_LENGTH), key=len, reverse=True)


_ENDINGS = "|".join(SECRET_NAMES + SECRET_SUFFIXES)
#: A secret's name in any spelling: ``SECRET_ACCESS_KEY``, ``aws_secret_access_key``,
#: ``SecretAccessKey``, ``AccessKeyId``, ``password``, ...
_NAME = (r"\w*?(?:access[_-]?key[_-]?id|secret[_-]?access[_-]?key|secret[_-]?key|secret"
         r"|token|password)")
#: Where a value is given to a secret's name, the value being the group ``value``:
_GIVEN = [
    # 'SECRET_ACCESS_KEY': '...', password = "..." (a dict or a local, as -l prints them)
    re.compile(rf"(?P<head>\b{_NAME}['\"]?\s*[:=]\s*(?P<quote>['\"]))(?P<value>[^'\"\n]+)"
               rf"(?P=quote)", re.IGNORECASE),
    # GITHUB_TOKEN=... (an environment listing)
    re.compile(rf"(?P<head>\b[A-Z0-9_]*(?:{_ENDINGS})=)(?P<value>[^\s'\"]+)"),
    # <SecretAccessKey>...</SecretAccessKey> (an S3 or IAM response, as botocore logs it)
    re.compile(rf"(?P<head><(?P<tag>{_NAME})>)(?P<value>[^<]+)(?=</(?P=tag)>)", re.IGNORECASE),
    # Credential=<access key id>/... (a signed request's Authorization header)
    re.compile(r"(?P<head>\bCredential=)(?P<value>[A-Za-z0-9]+)(?=/)"),
]


def _mask_given(match: re.Match[str]) -> str:
    quote = match.groupdict().get("quote") or ""
    return f"{match['head']}{MASK}{quote}"


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with each secret value replaced by :data:`MASK` (also a secret's part
    next to the ``...`` where pytest's ``saferepr`` shortened a long value), and so is
    any value given to a secret's name (:data:`SECRET_NAMES`, :data:`SECRET_SUFFIXES`, in
    any spelling), known or not.
    """
    for secret in secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
        if "..." in text:
            for size in range(len(secret) - 1, _PART - 1, -1):
                text = text.replace(secret[:size] + "...", MASK + "...")
                text = text.replace("..." + secret[-size:], "..." + MASK)
    for pattern in _GIVEN:
        text = pattern.sub(_mask_given, text)
    return text


#: Characters of one piece of a report pytest prints (a traceback line, captured output)
#: beyond which it is cut; the clause's own message is kept whole for conformance.json.
PRINTED_LIMIT = 20_000


def _printable(text: str) -> str:
    """A piece of pytest's report as the terminal and ``junit.xml`` get it: control bytes
    escaped, valid UTF-8, cut after :data:`PRINTED_LIMIT` characters.
    """
    return display(text, PRINTED_LIMIT)


def _redacted(value: Any, secrets: list[str], printed: bool = False) -> Any:
    """``value`` (JSON-like) with every string in it redacted (and, if ``printed``, made
    :func:`_printable`).
    """
    if isinstance(value, str):
        masked = redact(value, secrets)
        return _printable(masked) if printed else masked
    if isinstance(value, dict):
        return {key: _redacted(item, secrets, printed) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, secrets, printed) for item in value]
    if isinstance(value, tuple):
        items = [_redacted(item, secrets, printed) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


class _LogFilter(logging.Filter):
    """Redacts each record's message (and traceback) before a handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = secret_values()
        message = record.getMessage()
        masked = redact(message, secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        return True


class Redaction:
    """The hooks: the harness's S3 credentials registered as they are made, clause test
    reports redacted before anything prints or writes them, live logs redacted.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Generator[None, Any, Any]:
        value = yield
        from sedna_conformance.harness.processes.servers import S3Server

        if isinstance(value, S3Server):
            register(value.access_key, value.secret_key)
        return value

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        logs = self.config.pluginmanager.get_plugin("logging-plugin")
        live = getattr(logs, "log_cli_handler", None)
        to_file = getattr(logs, "log_file_handler", None)
        for handler in (live, to_file):
            if not isinstance(handler, logging.Handler):
                continue
            if (not type(handler).__name__.endswith("NullHandler")
                    and getattr(handler, "baseFilename", "") != os.devnull):
                handler.addFilter(_LogFilter())

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield  # the outermost wrapper: after the clause's result is attached
        if item.get_closest_marker(MARKER) is not None:
            self.redact_report(report)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if parse_test_id(report.nodeid) is not None:
            self.redact_report(report)

    def redact_report(self, report: pytest.TestReport) -> None:
        """Mask every secret value in ``report``, in place (through its serialized form,
        so that every part of it is reached, the clause's result included), and make what
        pytest prints of it printable (control bytes escaped, each piece capped).
        """
        secrets = secret_values()
        hook = self.config.hook
        data = hook.pytest_report_to_serializable(config=self.config, report=report)
        if not isinstance(data, dict):
            return
        # What pytest prints is also made printable; the clause's result (key
        # "conformance") only redacted: the report renderers sanitise and cap it.
        masked = {key: _redacted(value, secrets, printed=key != "conformance")
                  for key, value in data.items()}
        if masked == data:
            return
        rebuilt = hook.pytest_report_from_serializable(config=self.config, data=masked)
        if rebuilt is not None:
            vars(report).update(vars(rebuilt))
