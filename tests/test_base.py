"""BackendBase: Sedna's constructor, naming and delegation, with upstream's bugs fixed."""

from __future__ import annotations

import os
import stat

import pytest

from sedna_conformance.backends import BackendBase


class Recorder:
    """A plain estimator that records its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def train(self, train_data, valid_data=None, *, epochs=1, **kw):
        self.calls.append(("train", {"epochs": epochs, **kw}))
        return {"loss": 0.5}

    def predict(self, data, *, threshold=0.5):
        self.calls.append(("predict", threshold))
        return [threshold]

    def evaluate(self, data, **kw):
        return {"accuracy": 1.0}

    def save(self, path):
        with open(path + ".bin", "w") as handle:  # like MindSpore, appends its own suffix
            handle.write("model")

    def load(self, model_url):
        self.calls.append(("load", model_url))


class RecorderBackend(BackendBase):
    framework = "mindspore"

    def _written_candidates(self, path):
        return [path, path + ".bin"]


def test_constructor_sets_sedna_attributes():
    backend = BackendBase(Recorder, fine_tune=False, model_save_path="/x", model_name="m.pkl",
                          use_cuda=True, model_save_url="s3://bucket/m")
    assert backend.framework == ""
    assert backend.fine_tune is False
    assert backend.use_cuda is True and backend.use_npu is False
    assert backend.model_save_path == "/x"
    assert backend.default_name == "m.pkl"
    assert backend.has_load is False
    assert backend.options == {"model_save_url": "s3://bucket/m"}


@pytest.mark.parametrize(("framework", "fine_tune", "expected"), [
    ("mindspore", True, "model_finetune_mindspore.ckpt"),
    ("mindspore", False, "modelmindspore.ckpt"),
    ("tinyms", True, "model_finetune_tinyms.ckpt"),
    ("pytorch", True, "model_finetune_pytorch.pth"),
    ("keras", False, "modelkeras.pb"),
    ("", True, "model_finetune_.pkl"),
])
def test_model_name_follows_sednas_rule(framework, fine_tune, expected):
    backend = type("B", (BackendBase,), {"framework": framework})(Recorder, fine_tune=fine_tune)
    assert backend.model_name == expected


def test_explicit_model_name_wins():
    assert BackendBase(Recorder, model_name="mine.ckpt").model_name == "mine.ckpt"


def test_parse_kwargs_forwards_keyword_only_and_any_catch_all():
    def positional(a, b=1): ...
    def keyword_only(a, *, b=1): ...
    def catch_all(a, **kw): ...

    assert BackendBase.parse_kwargs(positional, b=2, c=3) == {"b": 2}
    assert BackendBase.parse_kwargs(keyword_only, b=2, c=3) == {"b": 2}
    assert BackendBase.parse_kwargs(catch_all, b=2, c=3) == {"b": 2, "c": 3}


def test_train_forwards_accepted_kwargs_and_drops_the_rest():
    backend = BackendBase(Recorder())
    assert backend.train([1], epochs=3, extra="kept", nonsense=1) == {"loss": 0.5}
    assert backend.estimator.calls[-1] == ("train", {"epochs": 3, "extra": "kept",
                                                     "nonsense": 1})
    assert backend.has_load is True
    backend.predict([1], threshold=0.9, unknown=True)
    assert backend.estimator.calls[-1] == ("predict", 0.9)


def test_fit_only_estimator_trains():
    class FitOnly:
        def fit(self, x, y=None):
            self.fitted = True

    backend = BackendBase(FitOnly())
    backend.train([1], [0])
    assert backend.estimator.fitted is True


def test_class_estimator_is_instantiated_and_instance_never_called():
    class Callable:
        def __call__(self, *args):
            raise AssertionError("a callable estimator instance must never be called")

        def train(self, data):
            return "trained"

    instance = Callable()
    backend = BackendBase(instance)
    assert backend.train([1]) == "trained"
    assert backend.estimator is instance
    class_backend = BackendBase(Recorder)
    class_backend.train([1])
    assert isinstance(class_backend.estimator, Recorder)


def test_load_of_missing_model_raises_naming_the_path(tmp_path):
    backend = BackendBase(Recorder(), model_save_path=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        backend.load()
    assert backend.has_load is False
    assert backend.estimator.calls == []


def test_save_returns_the_file_actually_written(tmp_path):
    backend = RecorderBackend(Recorder(), model_save_path=str(tmp_path / "new" / "dir"))
    path = backend.save(model_name="task-1.model")
    assert path == str(tmp_path / "new" / "dir" / "task-1.model.bin")
    assert os.path.isfile(path)


def test_has_load_does_not_stop_a_second_load(tmp_path):
    first, second = tmp_path / "a.pkl", tmp_path / "b.pkl"
    first.write_text("a")
    second.write_text("b")
    backend = BackendBase(Recorder())
    backend.load(str(first))
    backend.load(str(second))
    assert backend.estimator.calls == [("load", str(first)), ("load", str(second))]


def test_default_model_save_path_is_private_and_unique():
    one, two = BackendBase(Recorder()), BackendBase(Recorder())
    assert one.model_save_path != two.model_save_path
    assert os.path.dirname(one.model_save_path) != one.model_save_path
    assert one.model_save_path not in ("/tmp", "/tmp/")
    assert stat.S_IMODE(os.stat(one.model_save_path).st_mode) == 0o700


def test_model_info_reports_format_url_and_metrics():
    info = BackendBase(Recorder()).model_info("/out/models/m.ckpt", relpath="/out",
                                              result={"accuracy": 0.9})
    assert info == [{"format": "ckpt", "url": "models/m.ckpt", "metrics": {"accuracy": 0.9}}]


def test_an_unsupported_remote_scheme_is_refused_clearly():
    with pytest.raises(ValueError, match=r"model_url 'gs://b/m\.ckpt' has an unsupported"):
        BackendBase(Recorder()).load("gs://b/m.ckpt")


def test_weights_are_not_implemented_in_the_base():
    with pytest.raises(NotImplementedError):
        BackendBase(Recorder()).get_weights()
    with pytest.raises(NotImplementedError):
        BackendBase(Recorder()).set_weights([])


class Counter:
    """An estimator whose whole model is one number, saved as text."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def train(self, train_data, valid_data=None, **kw):
        if train_data is None:
            raise ValueError("train_data is required")
        self.value += 1.0

    def predict(self, data, **kw):
        return [self.value] * len(data)

    def save(self, path):
        with open(path, "w") as handle:
            handle.write(repr(self.value))

    def load(self, model_url):
        with open(model_url) as handle:
            self.value = float(handle.read())


def test_fine_tune_starts_from_the_model_at_model_save_path(tmp_path):
    checkpoint = tmp_path / "base.pkl"
    checkpoint.write_text("10.0")
    tuned = BackendBase(Counter(), fine_tune=True, model_save_path=str(checkpoint))
    tuned.train([1])
    assert tuned.predict([0]) == [11.0]
    fresh = BackendBase(Counter(), fine_tune=False, model_save_path=str(checkpoint))
    fresh.train([1])
    assert fresh.predict([0]) == [1.0]


def test_a_failed_fine_tune_leaves_the_model_as_it_was(tmp_path):
    checkpoint = tmp_path / "base.pkl"
    checkpoint.write_text("10.0")
    backend = BackendBase(Counter(3.0), fine_tune=True, model_save_path=str(checkpoint))
    with pytest.raises(ValueError, match="train_data"):
        backend.train(None)
    assert backend.predict([0]) == [3.0] and checkpoint.read_text() == "10.0"


def test_load_weights_reads_model_save_path_and_model_name(tmp_path):
    (tmp_path / "m.pkl").write_text("7.0")
    backend = BackendBase(Counter(), model_save_path=str(tmp_path), model_name="m.pkl")
    backend.load_weights()
    assert backend.predict([0]) == [7.0]
