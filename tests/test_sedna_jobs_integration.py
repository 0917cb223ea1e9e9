"""Upstream Sedna's own job classes with ``BACKEND_TYPE=TINYMS`` and ``MINDSPORE``, after
``install_into_sedna()``: each step a process, as Sedna's workers (tests/sedna_job_steps.py).

Needs ``SEDNA_SOURCE`` (a kubeedge/sedna checkout: repository root or its ``lib``) and
upstream's import-time dependencies importable (``pyyaml``, ``joblib``, ``colorlog``,
``pandas``, ``tenacity``, ``websockets``, ``minio``, ``watchdog``: from the environment or
a folder on ``PYTHONPATH``). Everything is local files; the reports to the local
controller and the knowledge base point at closed ports on 127.0.0.1 and fail, the only
failures allowed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

if not os.environ.get("SEDNA_SOURCE"):
    pytest.skip("SEDNA_SOURCE is unset: set it to a checkout of kubeedge/sedna to run "
                "upstream's jobs with this project's backends", allow_module_level=True)

from sedna_conformance.fixtures.upstream import sedna_lib
from tests.conformance_run import ROOT

pytestmark = pytest.mark.slow

SUFFIX = {"TINYMS": "tinyms", "MINDSPORE": "mindspore"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed once the probe is


def step(name: str, backend_type: str, folder: str, **env: str) -> dict:
    """Run one job step in its own process; its ``result`` line as a dict."""
    path = os.pathsep.join(filter(None, [ROOT, sedna_lib(), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "PYTHONPATH": path, "BACKEND_TYPE": backend_type,
                   "MODEL_URL": os.path.join(folder, "out"), "DATA_PATH_PREFIX": folder,
                   "LC_SERVER": f"http://127.0.0.1:{_closed_port()}", "JOB_NAME": "job",
                   "WORKER_NAME": f"{name}-worker", "GLOG_v": "3", **env}
    done = subprocess.run([sys.executable, "-m", "tests.sedna_job_steps", name, folder],
                          capture_output=True, text=True, cwd=folder, env=environment,
                          timeout=900)  # in the job's folder: upstream writes relative files
    lines = [line for line in done.stdout.splitlines() if line.startswith("result ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("result "))


@pytest.fixture(scope="module", params=["TINYMS", "MINDSPORE"])
def incremental(request, tmp_path_factory):
    backend_type = request.param
    folder = str(tmp_path_factory.mktemp(f"incremental-{backend_type.lower()}"))
    os.makedirs(os.path.join(folder, "out"))
    trained = step("train", backend_type, folder)
    model = f"model_finetune_{SUFFIX[backend_type]}.ckpt"
    deployed = os.path.join(folder, "out", model)
    candidates = f"{trained['untrained']};{deployed}"
    evaluated = step("evaluate", backend_type, folder, MODEL_URLS=candidates)
    inferred = step("infer", backend_type, folder, MODEL_URL=deployed)
    return backend_type, folder, trained, evaluated, inferred


def test_train_reports_a_model_file_that_exists(incremental):
    backend_type, folder, trained, _, _ = incremental
    expected = {"TINYMS": "TinyMSBackend", "MINDSPORE": "MSBackend"}[backend_type]
    assert trained["backend"] == expected
    (report,) = [r for r in trained["reports"] if r["kind"] == "train"]
    (model,) = report["results"]
    assert model["format"] == "ckpt"
    assert os.path.isfile(os.path.join(folder, model["url"])), model
    assert set(model["metrics"]) >= {"train_accuracy", "train_loss"}


def test_evaluate_tells_the_candidates_apart(incremental):
    _, _, trained, evaluated, _ = incremental
    untrained, new = evaluated["results"]
    assert new["metrics"] == pytest.approx(trained["metrics"])
    assert untrained["metrics"] != new["metrics"]


def test_a_fresh_inference_worker_predicts_what_the_trainer_trained(incremental):
    _, _, _, _, inferred = incremental
    assert inferred["loaded"] and inferred["same_as_trained"], inferred


@pytest.mark.parametrize("backend_type", ["TINYMS", "MINDSPORE"])
def test_federated_clients_aggregate_with_upstreams_fedavg(backend_type, tmp_path):
    (tmp_path / "out").mkdir()
    result = step("federated", backend_type, str(tmp_path))
    assert result["arrays"] > 0 and result["clients_agree"] and result["holds_average"], result


def test_the_proposed_upstream_patch_resolves_tinyms_by_entry_point(tmp_path):
    """docs/sedna-set-backend.patch applied to a copy of upstream's lib (never committed):
    BACKEND_TYPE=TINYMS builds TinyMSBackend without install_into_sedna()."""
    import shutil

    shutil.copytree(sedna_lib(), tmp_path / "lib")
    patch = os.path.join(ROOT, "docs", "sedna-set-backend.patch")
    subprocess.run(["patch", "-p1", "-s", "-d", str(tmp_path), "-i", patch], check=True)
    path = os.pathsep.join(filter(None, [str(tmp_path / "lib"), os.environ.get("PYTHONPATH")]))
    code = ("from sedna.backend import set_backend\n"
            "from sedna_conformance.fixtures.estimators import MobileNetV2TinyMS\n"
            "print(type(set_backend(MobileNetV2TinyMS, {'model_url': '.'})).__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path, "BACKEND_TYPE": "TINYMS",
                               "GLOG_v": "3"}, timeout=300)
    assert done.stdout.strip().splitlines()[-1:] == ["TinyMSBackend"], done.stderr[-2000:]


def test_the_guides_sedna_jobs_example_runs(tmp_path):
    """The code of docs/tinyms-guide.md's "Using TinyMS in Sedna jobs" runs as written."""
    with open(os.path.join(ROOT, "docs", "tinyms-guide.md"), encoding="utf-8") as handle:
        section = handle.read().split("## Using TinyMS in Sedna jobs", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    path = os.pathsep.join(filter(None, [ROOT, sedna_lib(), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=600,
                          env={**os.environ, "PYTHONPATH": path, "BACKEND_TYPE": "TINYMS",
                               "MODEL_URL": str(tmp_path / "models"), "GLOG_v": "3",
                               "LC_SERVER": f"http://127.0.0.1:{_closed_port()}"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TinyMSBackend ['model_finetune_tinyms.ckpt']" in done.stdout, done.stdout[-1000:]


def test_the_demo_runs_through_upstreams_incremental_learning(tmp_path):
    """examples/incremental_learning/run.py --through-sedna: upstream's job, TinyMS backend."""
    path = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "incremental_learning", "run.py"),
         "--backend", "tinyms", "--quick", "--through-sedna", "--output", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=900,
        env={**os.environ, "PYTHONPATH": path, "GLOG_v": "3",
             "LC_SERVER": f"http://127.0.0.1:{_closed_port()}"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    base, incremental = results["rounds"]
    assert results["through_sedna"] and os.path.isfile(incremental["url"])
    assert incremental["accuracy_new"] > base["accuracy_new"], results


@pytest.mark.parametrize("backend_type", ["TINYMS", "MINDSPORE"])
def test_lifelong_learning_trains_one_model_per_task(backend_type, tmp_path):
    """Lifelong learning's cloud ``train()`` with no knowledge base (``KB_SERVER`` is a
    closed port: upstream logs each upload's failure and goes on): each task's model is
    saved by the backend, moved into ``OUTPUT_URL``, listed in the task index, and loads
    into a fresh backend that predicts differently from an untrained one."""
    (tmp_path / "out").mkdir()
    (tmp_path / "kb").mkdir()
    result = step("lifelong", backend_type, str(tmp_path), OUTPUT_URL=str(tmp_path / "kb"),
                  KB_SERVER=f"http://127.0.0.1:{_closed_port()}")
    assert result["raised"] is None, result["raised"]
    assert result["backend"] == {"TINYMS": "TinyMSBackend", "MINDSPORE": "MSBackend"}[
        backend_type]
    models = result["models"]
    assert set(models) == {"camera-a", "camera-b"}, models
    for entry, model in models.items():
        assert model["path"] == str(tmp_path / "kb" / "seen_task" / f"{entry}.model.ckpt")
        assert model["exists"] and model["trained"] and model["samples"] == 64, model
    assert result["tasks_differ"], result
    (report,) = [r for r in result["reports"] if r["kind"] == "train"]
    assert report["status"] == "completed"
    assert report["results"][0]["url"] == "kb/index.pkl"
