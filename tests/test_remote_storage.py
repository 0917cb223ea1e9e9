"""The bundled backends' remote model URLs against the local S3 and HTTP servers: what the
``remote.*`` clauses do not pin down (URL checks, fine-tuning from a remote base model,
the servers the harness starts)."""

from __future__ import annotations

import http.server
import os
import socket
import threading

import numpy as np
import pytest

from sedna_conformance.backends import BackendBase
from sedna_conformance.fixtures.sklearn_estimator import SGDLogisticClassifier
from sedna_conformance.fixtures.tabular import make_splits
from sedna_conformance.harness.processes.servers import closed_port, http_folder, local_s3


@pytest.fixture(scope="module")
def s3():
    with local_s3() as server:
        yield server


@pytest.fixture
def worker(s3, monkeypatch):
    """Sedna's S3 variables of a worker using the local server."""
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    return s3


def _trained(folder) -> BackendBase:
    backend = BackendBase(estimator=SGDLogisticClassifier(), model_save_path=str(folder))
    backend.train(make_splits().train, epochs=3)
    return backend


@pytest.mark.parametrize("url", ["s3://", "s3:///no-bucket.json", "gs://bucket/model.json",
                                 "ftp://host/model.json"])
def test_an_unusable_url_is_a_value_error_naming_it(worker, tmp_path, url):
    backend = _trained(tmp_path)
    before = sorted(os.listdir(tmp_path))
    for call in (backend.save, backend.load):
        with pytest.raises(ValueError, match="model_url") as raised:
            call(model_url=url)
        assert url.rstrip("/") in str(raised.value)
    assert sorted(os.listdir(tmp_path)) == before


def test_http_urls_are_download_only(worker, tmp_path):
    with pytest.raises(ValueError, match="download-only"):
        _trained(tmp_path).save(model_url="http://127.0.0.1:1/model.json")


def test_a_folder_url_gets_the_model_name(worker, tmp_path):
    backend = _trained(tmp_path)
    url = backend.save(model_url=worker.url("folder/"))
    key = f"folder/{backend.model_name}"
    assert url == worker.url(key) and worker.exists(key)


def test_training_fine_tunes_from_a_remote_base_model(worker, tmp_path):
    """``base_model_url`` (``model_save_path``) in S3: training starts from that model."""
    splits = make_splits()
    trained = _trained(tmp_path / "a")
    base = trained.save(model_url=worker.url("base/model.pkl"))
    remote_start = BackendBase(estimator=SGDLogisticClassifier(), model_save_path=base)
    remote_start.train(splits.incremental_train, epochs=1)
    local_start = BackendBase(estimator=SGDLogisticClassifier(),
                              model_save_path=trained.save())
    local_start.train(splits.incremental_train, epochs=1)
    assert np.array_equal(remote_start.predict(splits.test.x), local_start.predict(splits.test.x))


def test_a_failed_download_leaves_the_local_model_file(worker, tmp_path):
    backend = _trained(tmp_path)
    path = backend.save()
    content = open(path, "rb").read()
    with http_folder(str(tmp_path)) as base:
        with pytest.raises(FileNotFoundError, match=r"absent\.pkl"):
            backend.load(model_url=f"{base}/absent.pkl")
    with pytest.raises(ConnectionError, match="could not be reached"):
        backend.load(model_url=f"http://127.0.0.1:{closed_port()}/model.pkl")
    assert open(path, "rb").read() == content
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_the_local_servers_listen_on_loopback_only(s3):
    host = s3.endpoint.split("//", 1)[1].rsplit(":", 1)[0]
    assert host == "127.0.0.1"
    assert "secret" not in repr(s3).lower() and s3.secret_key not in repr(s3)
    with socket.create_connection(("127.0.0.1", int(s3.endpoint.rsplit(":", 1)[1]))):
        pass


def test_a_mindspore_checkpoint_served_without_its_suffix_loads(tmp_path):
    """``http://host/model`` (no ``.ckpt``): kept locally as ``model.ckpt`` and loaded."""
    from sedna_conformance.backends import MSBackend
    from sedna_conformance.fixtures.estimators import LeNet5MS

    served = tmp_path / "served"
    served.mkdir()
    saved = MSBackend(estimator=LeNet5MS, model_save_path=str(tmp_path / "a")).save()
    os.replace(saved, served / "model")
    fresh = MSBackend(estimator=LeNet5MS, model_save_path=str(tmp_path / "b"))
    with http_folder(str(served)) as base:
        fresh.load(model_url=f"{base}/model")
    assert os.listdir(tmp_path / "b") == ["model.ckpt"]


class _ShortHandler(http.server.BaseHTTPRequestHandler):
    """Announces 100000 bytes, sends 5000 and closes."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"x" * 5000)

    def log_message(self, *args):
        return None


def test_a_download_cut_short_is_a_connection_error_and_changes_nothing(tmp_path):
    backend = _trained(tmp_path)
    path = backend.save()
    content = open(path, "rb").read()
    server = http.server.HTTPServer(("127.0.0.1", 0), _ShortHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{os.path.basename(path)}"
    with pytest.raises(ConnectionError, match="closed early"):
        backend.load(model_url=url)
    thread.join(timeout=10)
    server.server_close()
    assert open(path, "rb").read() == content


def test_credentials_in_a_url_are_never_echoed(tmp_path):
    backend = _trained(tmp_path)
    url = (f"http://user:hunter2@127.0.0.1:{closed_port()}/model.pkl"
           "?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=s1gnature")
    with pytest.raises(ConnectionError) as raised:
        backend.load(model_url=url)
    for secret in ("hunter2", "AKIAEXAMPLE", "s1gnature"):
        assert secret not in str(raised.value)


def test_a_model_folder_that_cannot_take_the_file_still_loads_from_a_url(worker, tmp_path):
    """An inference worker's model folder may be read-only: the model still loads, and
    the failed local copy is a warning. (A file where the folder should be blocks writing
    even for root, who ignores file modes.)"""
    url = _trained(tmp_path / "a").save(model_url=worker.url("ro/model.pkl"))
    (tmp_path / "blocker").write_text("not a folder")
    reader = BackendBase(estimator=SGDLogisticClassifier(),
                         model_save_path=str(tmp_path / "blocker" / "models"))
    with pytest.warns(UserWarning, match="keeping a copy"):
        reader.load(model_url=url)
    assert reader.has_load
