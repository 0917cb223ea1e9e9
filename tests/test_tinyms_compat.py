"""The TinyMS compatibility layer: only what MindSpore 2.x removed, nothing replaced."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sedna_conformance.backends import tinyms_compat

TINYMS_MODULES = ["tinyms.model", "tinyms.layers", "tinyms.losses", "tinyms.optimizers",
                  "tinyms.metrics", "tinyms.vision", "tinyms.data"]


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter (so no earlier import hides a failure)."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_tinyms_does_not_import_without_the_layer():
    result = subprocess.run([sys.executable, "-c", "import tinyms.model"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "py_transforms" in result.stderr or "c_transforms" in result.stderr


def test_every_tinyms_module_imports_after_the_layer():
    out = run_fresh(f"""
        from sedna_conformance.backends import tinyms_compat
        provided = tinyms_compat.apply()
        import importlib
        for name in {TINYMS_MODULES!r}:
            importlib.import_module(name)
        print(sorted(provided))
    """)
    assert out.strip() == str(sorted([
        "mindspore._checkparam.Rel", "mindspore._checkparam.Validator",
        "mindspore.dataset.transforms.c_transforms", "mindspore.dataset.vision.c_transforms",
        "mindspore.dataset.vision.py_transforms"]))


def test_nothing_that_exists_is_replaced():
    import mindspore._checkparam as checkparam
    import mindspore.dataset.vision as vision

    resize, check = vision.Resize, checkparam.check_value_type
    tinyms_compat.apply()
    assert tinyms_compat.apply() == tinyms_compat.apply()  # idempotent
    assert vision.Resize is resize and checkparam.check_value_type is check
    c_transforms = importlib.import_module("mindspore.dataset.vision.c_transforms")
    assert c_transforms.Resize is vision.Resize
    assert checkparam.Validator.check_value_type is checkparam.check_value_type
    assert checkparam.Rel.INC_NEITHER == checkparam.INC_NEITHER


def test_a_really_removed_api_fails_when_used_naming_it():
    vision = tinyms_compat.import_tinyms("tinyms.vision")
    with pytest.raises(tinyms_compat.RemovedInMindSpore2Error,
                       match=r"mindspore\.dataset\.vision\.c_transforms\.SoftDvppDecodeResizeJpeg"
                             r" was removed in MindSpore 2\.x"):
        vision.SoftDvppDecodeResizeJpeg((32, 32))
    import mindspore._checkparam as checkparam

    tinyms_compat.apply()
    with pytest.raises(tinyms_compat.RemovedInMindSpore2Error,
                       match=r"mindspore\._checkparam\.Validator\.check_gone"):
        checkparam.Validator.check_gone(1)


def test_tinyms_validator_works_through_the_layer():
    optimizers = tinyms_compat.import_tinyms("tinyms.optimizers.bert_optimizer")
    optimizers._check_param_value(0.9, 0.999, 1e-6, "AdamWeightDecay")
    with pytest.raises(ValueError):
        optimizers._check_param_value(1.5, 0.999, 1e-6, "AdamWeightDecay")


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["lenet5", "mobilenetv2"])
def test_tinyms_model_trains_evaluates_predicts_saves_and_loads(architecture, tmp_path):
    """TinyMS's own networks through TinyMS's own Model API, on MindSpore 2.x."""
    from mindspore import Tensor

    from sedna_conformance.fixtures import make_images

    model_module = tinyms_compat.import_tinyms("tinyms.model")
    losses = tinyms_compat.import_tinyms("tinyms.losses")
    optimizers = tinyms_compat.import_tinyms("tinyms.optimizers")
    metrics = tinyms_compat.import_tinyms("tinyms.metrics")

    def build():
        if architecture == "lenet5":
            return model_module.LeNet(class_num=3, channel_num=3)
        return model_module.MobileNetV2(class_num=3, width_mult=0.25)

    data = make_images(64, seed=0)
    net = build()
    model = model_module.Model(net)
    model.compile(loss_fn=losses.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  optimizer=optimizers.Adam(net.trainable_params(), learning_rate=0.005),
                  metrics={"accuracy": metrics.Accuracy()})
    before = [p.asnumpy().copy() for p in net.trainable_params()]
    model.train(1, data.to_mindspore(batch_size=16), dataset_sink_mode=False)
    after = [p.asnumpy() for p in net.trainable_params()]
    assert any(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))
    scores = model.eval(data.to_mindspore(batch_size=16), dataset_sink_mode=False)
    assert 0.0 <= scores["accuracy"] <= 1.0
    logits = model.predict(Tensor(data.x[:8])).asnumpy()
    assert logits.shape == (8, 3) and np.isfinite(logits).all()
    path = str(tmp_path / "tinyms.ckpt")
    model.save_checkpoint(path)
    other = model_module.Model(build())
    other.load_checkpoint(path)
    assert np.array_equal(other.predict(Tensor(data.x[:8])).asnumpy(), logits)
