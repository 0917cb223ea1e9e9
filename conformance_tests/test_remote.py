"""remote.*: model URLs in object storage, as Sedna's deployments keep models.

Each clause runs the backend in a child process started with a worker's S3 settings in its
environment, as Sedna starts each worker (a client built once per process, as upstream's
is, is then judged fairly), against the run's S3 server (``s3_server``) and plain HTTP
servers on 127.0.0.1. Messages quote what the backend printed with the credentials
blanked out, so a report never carries them.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause
from sedna_conformance.harness.processes.helper import RemoteRun
from sedna_conformance.harness.processes.servers import (
    S3Server,
    closed_port,
    cutting_proxy,
    http_folder,
)


def _prefix(c: ClauseRun) -> str:
    """A key prefix of this clause run's own."""
    return f"{c.profile.name}/{c.clause.id}/{os.urandom(4).hex()}"


def _run(c: ClauseRun, server: S3Server, steps: list[dict[str, str]],
         **changes: str) -> RemoteRun:
    """The child's report of ``steps`` (see :class:`RemoteRun`), with the credentials of
    ``server`` (and ``changes``) in its environment.
    """
    __tracebackhide__ = True
    environment = server.environment(**changes)
    trained = c.trained_file()
    with c.framework_time():  # the child imports the framework and runs the backend
        report = c.helpers.remote_steps(trained, c.new_folder(f"worker-{os.urandom(3).hex()}"),
                                        steps, environment)
    if report.crashed:
        c.fail(f"the worker child crashed: {_blank(report.crashed, environment)}",
               "a child reporting its steps")
    return report


def _backend_file(c: ClauseRun) -> str:
    """The trained model, saved by the backend itself (in its own format and name)."""
    return str(c.backend(trained=True, label="saver").save())


def _blank(text: str, environment: dict[str, str]) -> str:
    """``text`` with every credential of ``environment`` replaced by its variable's name."""
    for name in ("SECRET_ACCESS_KEY", "ACCESS_KEY_ID"):
        if environment.get(name):
            text = text.replace(environment[name], f"<{name}>")
    return text


def _said(step: dict[str, Any], environment: dict[str, str]) -> str:
    if step["error"] is None:
        return f"{step['op']}({step['url']!r}) raised nothing"
    return f"{step['op']}({step['url']!r}) raised {step['error']}: " \
           f"{_blank(step['message'], environment)[:300]}"


def _expect_same_model(c: ClauseRun, loaded: dict[str, Any], report: RemoteRun,
                       source: str, environment: dict[str, str]) -> None:
    """The fresh backend of step ``loaded`` loaded and predicts as the trained model."""
    __tracebackhide__ = True
    c.expect(loaded["error"] is None, _said(loaded, environment), "a fresh backend loading it")
    c.expect(loaded["model"] == report.model,
             f"the fresh backend predicts differently from {source}",
             "bit-identical predictions")


def _expect_clear_error(c: ClauseRun, step: dict[str, Any], report: RemoteRun,
                        environment: dict[str, str], kind: str = "Exception") -> None:
    """The step raised ``kind`` naming its URL, and left the model and files alone."""
    __tracebackhide__ = True
    said = _said(step, environment)
    c.expect(step["error"] is not None and kind in step["kinds"], said,
             f"{kind} naming {step['url']!r}")
    c.expect(step["url"] in step["message"], said, f"a message naming {step['url']!r}")
    c.expect(step["model"] == step["before"], f"after {said}, the model predicts differently",
             "the model as it was")
    c.expect(step["files"] == report.files, f"after {said}, the model folder changed "
             f"from {sorted(report.files)} to {sorted(step['files'])}",
             "the model's files as they were")


@clause("remote.round-trip")
def test_round_trip(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    key = f"{_prefix(c)}/{{model_name}}"
    report = _run(c, s3_server, [{"op": "save", "url": s3_server.url(key)},
                                 {"op": "fresh-load", "url": s3_server.url(key)}])
    saved, loaded = report.steps
    env = s3_server.environment()
    c.expect(saved["error"] is None and saved.get("returned") == saved["url"],
             _said(saved, env) if saved["error"] else f"save returned {saved['returned']!r}",
             f"the URL {saved['url']!r}")
    stored = saved["url"].removeprefix(f"s3://{s3_server.bucket}/")
    c.expect(s3_server.exists(stored), f"no object under {stored!r} after the save",
             "the uploaded model")
    _expect_same_model(c, loaded, report, "the saved model", env)


@clause("remote.missing-object")
def test_missing_object(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    report = _run(c, s3_server, [{"op": "load", "url": s3_server.url(
        f"{_prefix(c)}/missing/{{model_name}}")}])
    _expect_clear_error(c, report.steps[0], report, s3_server.environment(),
                        "FileNotFoundError")


@clause("remote.bad-credentials")
def test_bad_credentials(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    prefix = _prefix(c)
    saved = _backend_file(c)
    stored = s3_server.put(f"{prefix}/stored/{os.path.basename(saved)}", saved)
    wrong = {"SECRET_ACCESS_KEY": "wrong-" + os.urandom(12).hex()}
    report = _run(c, s3_server, [{"op": "save", "url": s3_server.url(f"{prefix}/new/m")},
                                 {"op": "load", "url": stored}], **wrong)
    environment = s3_server.environment(**wrong)
    for step in report.steps:
        _expect_clear_error(c, step, report, environment)
    c.expect(not s3_server.keys(f"{prefix}/new/"),
             f"objects {s3_server.keys(f'{prefix}/new/')} after a refused save",
             "nothing uploaded")


@clause("remote.endpoint-down")
def test_endpoint_down(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    prefix = _prefix(c)
    down = {"S3_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
    report = _run(c, s3_server, [{"op": "save", "url": s3_server.url(f"{prefix}/m")},
                                 {"op": "load", "url": s3_server.url(f"{prefix}/m")}], **down)
    for step in report.steps:
        _expect_clear_error(c, step, report, s3_server.environment(**down))


@clause("remote.http-download")
def test_http_download(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    served = c.new_folder("served")
    saved = _backend_file(c)
    shutil.copyfile(saved, os.path.join(served, os.path.basename(saved)))
    with http_folder(served) as base:
        report = _run(c, s3_server, [{"op": "fresh-load",
                                      "url": f"{base}/{os.path.basename(saved)}"}])
    _expect_same_model(c, report.steps[0], report, "the model served",
                       s3_server.environment())


@clause("remote.interrupted-upload")
def test_interrupted_upload(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    if not s3_server.endpoint.startswith("http://"):
        pytest.skip(f"the cutting proxy speaks plain HTTP, and the S3 endpoint "
                    f"{s3_server.endpoint} is not: run this clause against the local server")
    prefix = _prefix(c)
    # Half the model, and at most 1 MiB: a client uploading in parts (5 MiB and more) is
    # cut in its first part.
    limit = max(1, min(os.path.getsize(_backend_file(c)) // 2, 1 << 20))
    with cutting_proxy(s3_server.endpoint, limit) as proxy:
        report = _run(c, s3_server, [{"op": "save", "url": s3_server.url(f"{prefix}/m")}],
                      S3_ENDPOINT_URL=proxy)
    step = report.steps[0]
    said = _said(step, s3_server.environment())
    c.expect(step["error"] is not None and step["url"] in step["message"], said,
             f"an error naming {step['url']!r} (the connection was cut after {limit} bytes)")
    c.expect(not s3_server.exists(f"{prefix}/m"), f"{said}, and left an object under the key",
             "no object under the final key")


@clause("remote.no-secret-echo")
def test_no_secret_echo(conformance: ClauseRun, s3_server: S3Server) -> None:
    c = conformance
    prefix = _prefix(c)
    url = s3_server.url(f"{prefix}/{{model_name}}")
    wrong = {"SECRET_ACCESS_KEY": "wrong-" + os.urandom(12).hex()}
    runs = [("accepted", s3_server.environment(), _run(c, s3_server, [
                {"op": "save", "url": url}, {"op": "fresh-load", "url": url},
                {"op": "load", "url": s3_server.url(f"{prefix}/missing/m")}])),
            ("refused", s3_server.environment(**wrong), _run(c, s3_server, [
                {"op": "save", "url": url}, {"op": "load", "url": url}], **wrong))]
    secrets = {"ACCESS_KEY_ID": s3_server.access_key,
               "SECRET_ACCESS_KEY": s3_server.secret_key,
               "the refused SECRET_ACCESS_KEY": wrong["SECRET_ACCESS_KEY"]}
    for credentials, _, report in runs:
        texts = {"the output and logs": report.output}
        texts.update({f"the error of {s['op']} or its traceback":
                      (s.get("message") or "") + (s.get("trace") or "")
                      for s in report.steps})
        for where, text in texts.items():
            shown = [name for name, value in secrets.items() if value and value in text]
            c.expect(not shown, f"{' and '.join(shown)} in {where} (credentials {credentials}; "
                     "the value is not repeated here)", "no credential in any output")
