"""A learner's own activations, defined here outside the package, get what a built-in gets:
Monitor statistics, guard limits and kink handling in gradcheck, all from the facts the
layer declares (nothing in verigrad knows these classes)."""
import warnings

import numpy as np
import pytest

import verigrad as vg
from verigrad.diagnostics import Monitor


class Swish(vg.Layer):
    """A = Z·σ(Z);  dZ = dA · (σ(Z) + Z·σ(Z)·(1 − σ(Z))). Smooth: no kinks."""

    elementwise = True
    useful_limit = 1e3

    def activation(self, Z):
        return Z / (1 + np.exp(-Z))

    def forward(self, Z, training=False):
        self.Z = Z
        return self.activation(Z)

    def backward(self, dA):
        s = 1 / (1 + np.exp(-self.Z))
        return dA * (s + self.Z * s * (1 - s))


class HardTanh(vg.Layer):
    """A = clip(Z, −1, 1);  dZ = dA where |Z| < 1, else 0. Kinks at ±1."""

    elementwise = True
    kinks = (-1.0, 1.0)
    saturation_limit = 1.0
    useful_limit = 5.0
    zero_gradient_below = -1.0

    def activation(self, Z):
        return np.clip(Z, -1, 1)

    def forward(self, Z, training=False):
        self.Z = Z
        return self.activation(Z)

    def backward(self, dA):
        return dA * (np.abs(self.Z) < 1)


def model_with_both(seed=0):
    return vg.Sequential([vg.Dense(2, 6), HardTanh(), vg.Dense(6, 5), Swish(), vg.Dense(5, 2)],
                         loss=vg.SoftmaxCrossEntropy(), dtype="float64", seed=seed)


def test_the_monitor_measures_custom_activations_from_their_declared_facts():
    X, y = vg.data.make_blobs(64, centers=2, seed=3, dtype="float64")
    model = model_with_both()
    model.params["W1"] = model.params["W1"] * 3  # some units past ±1
    model.params["b1"][0] = -1000  # and one below −1 for every example: dead
    before = {k: v.copy() for k, v in model.params.items()}
    monitor = Monitor(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vg.TrainingWarning)  # it does saturate
        model.fit(X, y, epochs=1, batch_size=64, optimizer=vg.SGD(0.1), shuffle=False,
                  callbacks=[monitor], verbose=0, guard=False)
    Z1 = before["W1"] @ X + before["b1"]
    A1 = np.clip(Z1, -1, 1)
    Z2 = before["W2"] @ A1 + before["b2"]
    A2 = Z2 / (1 + np.exp(-Z2))
    hard, swish, out = monitor.records
    assert hard["name"] == "layer 1 (Dense W1, b1) → HardTanh"
    assert hard["act_mean"] == pytest.approx(A1.mean())
    assert hard["act_std"] == pytest.approx(A1.std())
    assert 0 < hard["saturated"] == pytest.approx(np.mean(np.abs(Z1) > 1))
    assert hard["dead"] == np.mean((Z1 <= -1).all(axis=1)) == 1 / 6
    assert swish["name"] == "layer 2 (Dense W2, b2) → Swish"
    assert swish["act_mean"] == pytest.approx(A2.mean())
    assert swish["dead"] is None and swish["saturated"] is None


def test_the_guard_warns_at_the_useful_limit_a_custom_activation_declares():
    X, y = vg.data.make_blobs(64, centers=2, seed=3, dtype="float64")
    model = model_with_both()
    model.params["W1"] = model.params["W1"] * 50
    largest = float(np.abs(model.params["W1"] @ X + model.params["b1"]).max())
    assert largest > 5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, epochs=1, batch_size=64, verbose=0)
    found = [str(w.message) for w in caught if issubclass(w.category, vg.TrainingWarning)]
    assert len(found) == 1
    assert found[0].startswith(f"layer 1 (Dense W1, b1): pre-activations reach |Z| = "
                               f"{largest:.3g} at step 1, far outside the useful range of its "
                               f"HardTanh (|Z| ≤ 5)")


def kinked_case(activation):
    """A network whose first pre-activation Z1[0, 0] sits 1e-7 above the kink at 1, closer
    than the check's step: moving b1[0] by ±1e-6 takes it across."""
    X = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.4]])
    y = np.array([0, 1, 0])
    model = vg.Sequential([vg.Dense(2, 3), activation, vg.Dense(3, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64", seed=1)
    model.params["b1"][0, 0] += 1 + 1e-7 - (model.params["W1"] @ X + model.params["b1"])[0, 0]
    return model, X, y


def test_gradcheck_leaves_out_entries_at_a_declared_kink():
    model, X, y = kinked_case(HardTanh())
    report = vg.gradcheck(model, X, y)
    assert report.ok, str(report)
    assert report["b1"].kinks == 1 and report["b1"].unreliable == 0
    assert "sit at a kink" in str(report)


def test_without_the_declaration_the_same_kink_is_not_recognised():
    """The control: a HardTanh that declares no kinks leaves the check to guess, and it takes
    the entry for numeric noise, so the kink found above comes from the declared fact."""
    undeclared = type("UndeclaredHardTanh", (HardTanh,), {"kinks": ()})
    model, X, y = kinked_case(undeclared())
    report = vg.gradcheck(model, X, y)
    assert report.kinks == 0 and report["b1"].unreliable == 1


def test_a_model_of_custom_activations_passes_gradcheck():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((2, 9)), rng.integers(0, 2, 9)
    report = vg.gradcheck(model_with_both(), X, y)
    assert report.ok, str(report)


def test_a_convolution_is_watched_and_measured_per_channel_like_a_dense_layer():
    """The guard and the Monitor read any parameterised layer: a convolution whose weights
    are 100× too large is named the course's way, and its dead units are channels (every
    position of every example at or below 0)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((1, 6, 6, 16)), rng.integers(0, 2, 16)
    model = vg.Sequential([vg.Conv2D(1, 3, 3), vg.ReLU(), vg.Flatten(), vg.Dense(48, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64", seed=0,
                          input_shape=(1, 6, 6))
    model.params["W1"] = model.params["W1"] * 1e4
    model.params["b1"][2] = -1e9  # channel 2 below 0 everywhere: dead
    model.forward(X)
    Z1 = model.activations[1]  # the convolution's output before the step
    monitor = Monitor(verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, epochs=1, batch_size=16, optimizer=vg.SGD(1e-12), callbacks=[monitor],
                  verbose=0)
    found = [str(w.message) for w in caught if issubclass(w.category, vg.TrainingWarning)]
    assert any(m.startswith("layer 1 (Conv2D W1, b1): pre-activations reach") for m in found)
    conv = monitor.records[0]
    assert conv["name"] == "layer 1 (Conv2D W1, b1) → ReLU"
    assert conv["dead"] == pytest.approx(np.mean((Z1 <= 0).reshape(3, -1).all(axis=1)))
    assert conv["dead"] >= 1 / 3
