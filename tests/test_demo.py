"""The incremental-learning demo on scikit-learn's digits: its data and hard-example
mining, and --quick runs on both backends.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sedna_conformance.fixtures.digits import DIGIT_SHAPE, digit_splits, load_digit_images
from tests.conformance_run import ROOT

DEMO = os.path.join(ROOT, "examples", "incremental_learning", "run.py")


def _demo_module():
    spec = importlib.util.spec_from_file_location("incremental_learning_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_digits_are_upsampled_to_the_networks_input_and_split_disjointly():
    images = load_digit_images()
    assert images.x.shape == (1797, *DIGIT_SHAPE) and images.x.dtype == np.float32
    assert images.x.min() == -1.0 and images.x.max() == 1.0
    splits = digit_splits(300, 50, 150, 150, seed=0)
    old = np.concatenate([splits.old_train.x, splits.old_valid.x, splits.old_test.x])
    new = -np.concatenate([splits.new_pool.x, splits.new_test.x])  # inverted back
    keys = {a.tobytes() for a in np.concatenate([old, new])[:, 0, ::4, ::4]}
    assert len(keys) >= 795, "a digit is in two splits"  # load_digits holds a few twins
    assert np.array_equal(splits.new_test.x, digit_splits(300, 50, 150, 150, seed=0).new_test.x)


def test_digit_splits_refuse_more_digits_than_there_are():
    with pytest.raises(ValueError, match=r"^n_train \+ n_valid \+ 2\*n_test \+ n_pool must be "
                                         r"at most 1797, got 1800$"):
        digit_splits(900, 100, 300, 200)
    with pytest.raises(ValueError, match=r"^n_pool must be a positive integer, got 0$"):
        digit_splits(10, 10, 10, 0)


def test_hard_examples_are_the_least_confident_predictions():
    logits = np.array([[9.0, 0, 0], [1, 1, 1], [3, 0, 0], [1, 1.1, 0.9]])
    assert _demo_module().hard_examples(logits, 2).tolist() == [1, 3]


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "storage"), [("mindspore", ()), ("tinyms", ("--local-s3",))])
def test_incremental_round_learns_new_digits_and_keeps_old_ones(backend, storage, tmp_path):
    """TinyMS keeps its models in a local S3 server (started by the demo on 127.0.0.1)."""
    done = subprocess.run(
        [sys.executable, DEMO, "--backend", backend, "--quick", "--output", str(tmp_path),
         *storage],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "GLOG_v": "3"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    base, incremental = results["rounds"]
    # A quick run measures base 0.913 old / 0.040 new, incremental 0.927 / 0.787.
    assert base["accuracy_old"] > 0.85, results  # learnt the old digits
    assert base["accuracy_old"] > base["accuracy_new"] + 0.5, results  # the shift hurts
    assert incremental["accuracy_new"] > base["accuracy_new"] + 0.4, results  # new learnt
    assert incremental["accuracy_old"] > base["accuracy_old"] - 0.05, results  # old kept
    assert results["deployed"] == "incremental"
    assert results["n_hard"] == 100 and len(incremental["predictions_new"]) == 150
    assert (tmp_path / "accuracy.png").stat().st_size > 0
    assert "| incremental |" in done.stdout
    if storage:
        assert [r["url"] for r in results["rounds"]] == [
            "s3://sedna-conformance/demo/base/base.ckpt",
            "s3://sedna-conformance/demo/incremental/incremental.ckpt"]
        assert not os.path.exists(tmp_path / "base"), "models were kept on local files"


def test_through_sedna_refuses_object_storage_options(tmp_path):
    done = subprocess.run([sys.executable, DEMO, "--through-sedna", "--local-s3"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        "--through-sedna keeps the models in --output: drop --model-url and --local-s3")
