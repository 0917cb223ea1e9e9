"""Credentials never reach the terminal, ``junit.xml`` or a report, whatever pytest options
are given: real runs of the ``remote.*`` clauses on a backend whose every ``s3://`` call
fails quoting its credentials (:mod:`tests.secret_profiles`), with ``-l`` (locals),
``-rA`` (captured output of every test) and live DEBUG logging (botocore logs requests
and the local server's key creation), against the local S3 server (credentials made
inside the run) and against an "own" endpoint (credentials from the environment) under
``--isolate``.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from sedna_conformance.harness.plugin.redaction import MASK, redact, register, secret_values

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = pathlib.Path(sys.executable).with_name("sedna-conformance")
OPTIONS = ("--clause", "remote.*", "-l", "-rA", "--log-cli-level=DEBUG")


def _run(folder: pathlib.Path, *extra: str, env: dict[str, str]) -> tuple[str, list[str]]:
    """The leaky profile's remote clauses; all the run printed and wrote, and every
    credential its backend was given (refused ones, which the clauses make up, left out).
    """
    seen = folder / "seen"
    done = subprocess.run([str(SCRIPT), "run", "--profile", "tests.secret_profiles:leaky",
                           *OPTIONS, *extra, "--report-dir", str(folder / "reports")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env, "PYTHONPATH": str(ROOT),
                               "SEDNA_TEST_SEEN": str(seen)})
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]  # the leaky backend fails remote clauses
    written = sorted((folder / "reports").iterdir())
    assert {p.name for p in written} >= {"conformance.json", "conformance.md",
                                         "conformance.html", "junit.xml"}
    text = output + "".join(p.read_text(errors="replace") for p in written if p.is_file())
    secrets = {v for v in seen.read_text().splitlines() if not v.startswith("wrong-")}
    return text, sorted(secrets)


def _assert_hidden(text: str, secrets: list[str]) -> None:
    assert secrets, "the backend saw no credentials: the run proves nothing"
    for secret in secrets:
        shown = {secret[i:i + 10] for i in range(len(secret) - 9)} & {
            text[i:i + 10] for i in range(len(text) - 9)}
        assert not shown, f"part of a credential shows: {sorted(shown)[:3]}"
    # the locals were printed (so -l was in force), with the values masked
    assert f"'ACCESS_KEY_ID': '{MASK}'" in text and f"'SECRET_ACCESS_KEY': '{MASK}'" in text


@pytest.fixture(scope="module")
def token() -> str:
    return "tok-" + os.urandom(16).hex()


def test_the_local_servers_credentials_never_show(tmp_path, token):
    pytest.importorskip("moto")
    text, secrets = _run(tmp_path, env={"SEDNA_PROBE_TOKEN": token})
    assert token in secrets  # the environment's token reached the worker and its message
    _assert_hidden(text, secrets)
    assert "reproduce: sedna-conformance run --profile tests.secret_profiles:leaky" in text


def test_credentials_from_the_environment_never_show_under_isolate(tmp_path, token):
    pytest.importorskip("moto")
    from sedna_conformance.harness.processes.servers import local_s3

    with local_s3() as server:
        env = {"ACCESS_KEY_ID": server.access_key, "SECRET_ACCESS_KEY": server.secret_key,
               "SEDNA_PROBE_TOKEN": token}
        text, secrets = _run(tmp_path, "--isolate", "--s3-endpoint", server.endpoint,
                             "--s3-bucket", server.bucket, env=env)
    assert {server.access_key, server.secret_key, token} <= set(secrets)
    _assert_hidden(text, secrets)
    assert (f"--isolate --s3-endpoint {server.endpoint} --s3-bucket {server.bucket}  "
            "# profile leaky, seed 0, credentials from ACCESS_KEY_ID and SECRET_ACCESS_KEY"
            in text)


# -- redact itself ----------------------------------------------------------------------
def test_secret_values_come_from_secret_names_and_registrations(monkeypatch):
    monkeypatch.setenv("ACCESS_KEY_ID", "AKIAEXAMPLE0001")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "token-value-0002")
    monkeypatch.setenv("DB_PASSWORD", "short")  # under 8 characters: masks nothing
    monkeypatch.setenv("TOKENIZER", "not-a-secret-0003")
    register("registered-0004")
    values = secret_values()
    assert {"AKIAEXAMPLE0001", "token-value-0002", "registered-0004"} <= set(values)
    assert "short" not in values and "not-a-secret-0003" not in values


@pytest.mark.parametrize("text, expected", [
    ("key abcdefghij12 here", f"key {MASK} here"),
    ("{'x': 'abcdefgh...ij12'}", f"{{'x': '{MASK}...{MASK}'}}"),  # saferepr cut it in two
    ("{'SECRET_ACCESS_KEY': 'made-up'}", f"{{'SECRET_ACCESS_KEY': '{MASK}'}}"),
    ("aws_secret_access_key = 'made-up'", f"aws_secret_access_key = '{MASK}'"),
    ("GITHUB_TOKEN=made-up rest", f"GITHUB_TOKEN={MASK} rest"),
    ("<SecretAccessKey>a/b+c</SecretAccessKey>", f"<SecretAccessKey>{MASK}</SecretAccessKey>"),
    ("Credential=AKIA0000/20250101/us-east-1", f"Credential={MASK}/20250101/us-east-1"),
    ("ACCESS_KEY_ID: <ACCESS_KEY_ID>, max_tokens=5", "ACCESS_KEY_ID: <ACCESS_KEY_ID>, "
                                                      "max_tokens=5"),
])
def test_redact(text, expected):
    assert redact(text, ["abcdefghij12"]) == expected
