"""How a backend finds the weights of an estimator, and TinyMS networks used directly."""

from __future__ import annotations

import numpy as np
import pytest

from sedna_conformance.backends import MSBackend, TinyMSBackend
from sedna_conformance.backends.tinyms_compat import import_tinyms
from sedna_conformance.fixtures.networks import LeNet5

pytestmark = pytest.mark.slow


class KerasStyle:
    """An estimator with its own get_weights/set_weights (the Keras convention)."""

    def __init__(self) -> None:
        self.weights = [np.zeros((2, 2), np.float32), np.ones(3, np.float32)]
        self.network = LeNet5()  # present, but the Keras convention comes first

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.asarray(w, np.float32) for w in weights]


class WithNetwork:
    def __init__(self) -> None:
        self.network = LeNet5()


def test_a_cell_estimator_is_its_own_network():
    net = LeNet5()
    backend = MSBackend(estimator=net)
    assert len(backend.get_weights()) == len(net.parameters_dict())


def test_the_keras_convention_comes_before_the_network_attribute(tmp_path):
    backend = MSBackend(estimator=KerasStyle(), model_save_path=str(tmp_path))
    assert backend.get_weights() == [[[0.0, 0.0], [0.0, 0.0]], [1.0, 1.0, 1.0]]
    backend.set_weights([[[1, 2], [3, 4]], [5, 6, 7]])
    assert backend.estimator.weights[0].tolist() == [[1, 2], [3, 4]]
    path = backend.save()
    backend.set_weights([[[0, 0], [0, 0]], [0, 0, 0]])
    backend.load(path)
    assert backend.get_weights()[1] == [5.0, 6.0, 7.0]


def test_the_network_attribute_is_used_last():
    holder = WithNetwork()
    backend = MSBackend(estimator=holder)
    assert len(backend.get_weights()) == len(holder.network.parameters_dict())


def test_no_network_is_a_clear_error():
    class Opaque:
        def predict(self, data):
            return data

    with pytest.raises(TypeError, match="attribute 'network'"):
        MSBackend(estimator=Opaque()).get_weights()


def test_a_cell_instance_is_never_called(splits):
    class Loud(LeNet5):
        calls = 0

        def __call__(self, *args, **kwargs):
            if not args:
                raise AssertionError("the backend called the estimator instance")
            return super().__call__(*args, **kwargs)

    backend = MSBackend(estimator=Loud(), mode="pynative")
    backend.train(splits.train, epochs=1)
    assert backend.predict(splits.test.x[:3]).shape == (3, 3)


@pytest.mark.parametrize("form", ["layer", "model", "compiled model"])
def test_tinyms_backend_drives_tinyms_networks_directly(form, splits, tmp_path):
    model_module = import_tinyms("tinyms.model")
    net = model_module.LeNet(class_num=3, channel_num=3)
    estimator = net
    if form != "layer":
        estimator = model_module.Model(net)
    if form == "compiled model":
        losses = import_tinyms("tinyms.losses")
        optimizers = import_tinyms("tinyms.optimizers")
        estimator.compile(loss_fn=losses.SoftmaxCrossEntropyWithLogits(sparse=True,
                                                                       reduction="mean"),
                          optimizer=optimizers.Adam(net.trainable_params(), learning_rate=0.005))
    backend = TinyMSBackend(estimator=estimator, model_save_path=str(tmp_path), mode="pynative")
    before = backend.evaluate(splits.train)["accuracy"]
    backend.train(splits.train, epochs=3, learning_rate=0.005)
    assert backend.evaluate(splits.train)["accuracy"] > max(before, 0.8)
    path = backend.save()
    fresh = TinyMSBackend(estimator=model_module.LeNet(class_num=3, channel_num=3))
    fresh.load(path)
    assert np.array_equal(fresh.predict(splits.test.x), backend.predict(splits.test.x))
