"""Gradient checking: verdicts, the finding kinds, kinks, modes, inputs and the promises
(no mutation of the caller's arrays, randomness frozen, np.random restored)."""
import dataclasses
import json

import numpy as np
import pytest

import verigrad as vg
from verigrad.gradcheck.findings import KINDS, relative_error
from verigrad.gradcheck.pairs import LayerProblem
from verigrad.gradcheck.problems import FunctionProblem, ModelProblem, Problem

# ---- a small learner network written with plain functions ---------------------------------

def learner_functions(X, Y):
    """cost(params) and grads(params, change) of a ReLU-softmax network on X, Y; change
    edits the gradient dict before it is returned (to plant a bug)."""
    m = X.shape[1]

    def forward(p):
        Z1 = p["W1"] @ X + p["b1"]
        A1 = np.maximum(Z1, 0)
        Z2 = p["W2"] @ A1 + p["b2"]
        E = np.exp(Z2 - Z2.max(axis=0))
        return Z1, A1, E / E.sum(axis=0)

    def cost(p):
        return -np.sum(Y * np.log(forward(p)[2])) / m

    def grads(p, change=lambda g: g):
        Z1, A1, A2 = forward(p)
        dZ2 = (A2 - Y) / m
        dZ1 = p["W2"].T @ dZ2 * (Z1 > 0)
        g = {"dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True),
             "dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True)}
        return change(g)

    return cost, grads


def make_net(n_x=4, n_h=5, n_y=3, m=8, seed=0):
    """params, cost, grads, X, Y of a small ReLU-softmax network (one column per example)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    params = {"W1": rng.standard_normal((n_h, n_x)), "b1": rng.standard_normal((n_h, 1)) * 0.1,
              "W2": rng.standard_normal((n_y, n_h)), "b2": rng.standard_normal((n_y, 1)) * 0.1}
    return (params, *learner_functions(X, Y), X, Y)


def kinds(report):
    return {(f.kind, f.param) for f in report.findings}


def test_correct_gradients_pass_with_tiny_errors_and_a_readable_table():
    params, cost, grads, _, _ = make_net()
    report = vg.check_backprop(cost, grads, params)
    assert report.ok and report.findings == [] and report.mode == "full"
    assert [p.name for p in report.params] == ["W1", "b1", "W2", "b2"]
    for p in report.params:
        assert p.ok and p.rel_error < 1e-8 and p.checked == np.prod(p.shape)
        assert p.worst_index is not None and abs(p.analytic - p.numeric) < 1e-8
    text = str(report)
    for word in ("parameter", "shape", "rel. error", "worst entry", "verdict", "(5, 4)",
                 "Result: OK"):
        assert word in text


def test_relative_error_is_the_course_formula_and_zero_when_both_are_zero():
    a, n = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    assert relative_error(a, n) == pytest.approx(1 / (np.sqrt(5) + np.sqrt(2)))
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    # the half-slope checker's "difference = 0.3333"
    assert relative_error(a, a / 2) == pytest.approx(1 / 3)


def test_finding_kinds_are_the_documented_strings():
    assert KINDS == ("scale", "sign", "transpose", "sum_axis", "mask", "shape", "mutation",
                     "nondeterministic", "nan", "mismatch", "missing_gradient", "exception")
    assert vg.findings.SCALE == "scale" and vg.findings.SUM_AXIS == "sum_axis"


# ---- how the gradients may be returned ---------------------------------------------------

def test_grads_as_plain_keys_d_keys_or_other_case_with_extra_entries():
    params, cost, grads, _, _ = make_net()
    plain = lambda p: {k[1:]: v for k, v in grads(p).items()}
    lower = lambda p: {**{k.lower(): v for k, v in grads(p).items()}, "dZ1": np.zeros(3)}
    for g in (grads, plain, lower):
        assert vg.check_backprop(cost, g, params).ok


def test_tuple_with_order_is_matched_by_name_not_position():
    params, cost, grads, _, _ = make_net()

    def as_tuple(p):  # the Q&A thread's order: dW1, dW2, db1, db2
        g = grads(p)
        return g["dW1"], g["dW2"], g["db1"], g["db2"]

    assert vg.check_backprop(cost, as_tuple, params, order=["W1", "W2", "b1", "b2"]).ok
    assert vg.check_backprop(cost, as_tuple, params, order=["dW1", "dW2", "db1", "db2"]).ok
    swapped = vg.check_backprop(cost, as_tuple, params, order=["W1", "b1", "W2", "b2"])
    assert not swapped.ok and ("shape", "b1") in kinds(swapped)
    with pytest.raises(ValueError, match="order="):
        vg.check_backprop(cost, as_tuple, params)
    with pytest.raises(ValueError, match="must name each parameter"):
        vg.check_backprop(cost, as_tuple, params, order=["W1", "W2", "b1"])


def test_missing_gradient_and_bad_inputs_are_clear_errors():
    params, cost, grads, _, _ = make_net()
    # a forgotten gradient is the learner's mistake, named: not an error, and never ok
    report = vg.check_backprop(
        cost, lambda p: {k: v for k, v in grads(p).items() if k != "dW2"}, params)
    assert not report.ok and [(f.kind, f.param) for f in report.findings] == [
        ("missing_gradient", "W2")]
    assert "no gradient dW2" in str(report) and report["W2"].note == "not returned"
    with pytest.raises(TypeError, match="dict of NumPy arrays"):
        vg.check_backprop(cost, grads, [params["W1"]])
    with pytest.raises(TypeError, match=r"params\['W1'\] must be a NumPy array"):
        vg.check_backprop(cost, grads, {**params, "W1": params["W1"].tolist()})
    with pytest.raises(TypeError, match="integer|dtype int64"):
        vg.check_backprop(cost, grads, {**params, "b2": np.zeros((3, 1), dtype=np.int64)})
    with pytest.raises(TypeError, match="one number"):
        vg.check_backprop(lambda p: (cost(p), None), grads, params)
    with pytest.raises(ValueError, match="mode"):
        vg.check_backprop(cost, grads, params, mode="everything")
    with pytest.raises(ValueError, match="eps"):
        vg.check_backprop(cost, grads, params, eps=0)


# ---- the promises ---------------------------------------------------------------------------

def test_the_callers_arrays_are_never_changed_even_when_grads_updates_them():
    params, cost, grads, _, _ = make_net()
    before = {k: v.copy() for k, v in params.items()}

    def update_inside(p):
        g = grads(p)
        for k in p:
            p[k] -= 0.1 * g["d" + k]
        return g

    report = vg.check_backprop(cost, update_inside, params)
    assert kinds(report) == {("mutation", k) for k in params}
    assert all(p.ok for p in report.params)  # every call got an untouched copy
    for k in params:
        assert np.array_equal(params[k], before[k])
    assert "W -= α·dW" in report.findings[0].message


def test_a_cost_that_changes_its_params_is_reported_and_checked_on_copies():
    params, cost, grads, _, _ = make_net()

    def drifting_cost(p):
        value = cost(p)
        p["b1"] += 1.0
        return value

    report = vg.check_backprop(drifting_cost, grads, params)
    assert kinds(report) == {("mutation", "b1")}
    assert all(p.ok for p in report.params)


def test_values_put_back_inexactly_are_recognised_as_a_perturbing_checker():
    params, cost, grads, _, _ = make_net()

    def perturbing(p):
        p["W1"] += 1 / 3  # a numerical gradient stepping in the caller's array
        p["W1"] -= 1 / 3
        return grads(p)

    report = vg.check_backprop(cost, perturbing, params)
    assert kinds(report) == {("mutation", "W1")}
    assert "put back" in report.findings[0].message


def test_float32_params_are_promoted_with_a_warning_and_left_as_they_were():
    params, cost, grads, _, _ = make_net()
    small = {k: v.astype(np.float32) for k, v in params.items()}
    with pytest.warns(UserWarning, match="float32"):
        report = vg.check_backprop(cost, grads, small)
    assert report.ok and all(v.dtype == np.float32 for v in small.values())


def test_dropout_left_on_is_reported_frozen_and_np_random_restored():
    params, cost, grads, X, Y = make_net()
    m = X.shape[1]

    def forward(p):
        Z1 = p["W1"] @ X + p["b1"]
        D1 = np.random.rand(*Z1.shape) < 0.5
        A1 = np.maximum(Z1, 0) * D1 / 0.5
        E = np.exp(p["W2"] @ A1 + p["b2"])
        return Z1, D1, A1, E / E.sum(axis=0)

    def dropout_cost(p):
        return -np.sum(Y * np.log(forward(p)[3])) / m

    def dropout_grads(p):
        Z1, D1, A1, A2 = forward(p)
        dZ2 = (A2 - Y) / m
        dZ1 = p["W2"].T @ dZ2 * D1 / 0.5 * (Z1 > 0)
        return {"dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True), "dW2": dZ2 @ A1.T,
                "db2": dZ2.sum(axis=1, keepdims=True)}

    np.random.seed(7)
    state = np.random.get_state()
    report = vg.check_backprop(dropout_cost, dropout_grads, params)
    assert kinds(report) == {("nondeterministic", None)}
    assert all(p.ok for p in report.params)  # with one mask throughout, backprop is right
    assert "keep_prob" in report.findings[0].message and not report.ok
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2]

    unfreezable = vg.check_backprop(lambda p: cost(p) + np.random.default_rng().random(),
                                    grads, params)
    assert kinds(unfreezable) == {("nondeterministic", None)}
    assert all(p.note == "not checked" for p in unfreezable.params)


def test_random_gradients_alone_are_reported_and_checked_with_one_mask():
    params, cost, grads, _, _ = make_net()
    dropped = lambda p: grads(p, lambda g: {**g, "dW1": g["dW1"] *
                                            (np.random.rand(*g["dW1"].shape) < 0.8)})
    report = vg.check_backprop(cost, dropped, params)
    assert kinds(report) == {("nondeterministic", None), ("mask", "W1")}
    assert "grads(params) (dW1" in report.findings[0].message
    unfreezable = lambda p: grads(p, lambda g: {**g, "dW2": g["dW2"] +
                                                np.random.default_rng().random()})
    report = vg.check_backprop(cost, unfreezable, params)
    assert kinds(report) == {("nondeterministic", None)} and "did not make it" in str(report)


# ---- the kinds, one by one ----------------------------------------------------------------

def test_scale_sign_transpose_sum_axis_and_shape_are_recognised():
    params, cost, grads, X, _ = make_net(n_h=3, n_y=3)

    def change(**edits):
        return lambda p: grads(p, lambda g: {**g, **{k: f(g[k]) for k, f in edits.items()}})

    cases = {
        "scale": (change(dW1=lambda g: 8 * g), {("scale", "W1")}),
        "half": (change(dW2=lambda g: g / 2), {("scale", "W2")}),
        "sign": (change(db2=lambda g: -g), {("sign", "b2")}),
        "transpose": (change(dW2=lambda g: g.T), {("transpose", "W2")}),
        "sum_axis_scalar": (change(db1=lambda g: g.sum()), {("sum_axis", "b1")}),
        "sum_axis_broadcast": (change(db1=lambda g: np.full_like(g, g.sum())),
                               {("sum_axis", "b1")}),
        "rank_one_bias": (change(db2=lambda g: g.reshape(-1)), {("shape", "b2")}),
        "transposed_shape": (change(dW1=lambda g: g.T), {("shape", "W1")}),
        "zero": (change(dW1=lambda g: np.zeros_like(g)), {("mismatch", "W1")}),
        "noise": (change(dW1=lambda g: g + np.linspace(0, 1, g.size).reshape(g.shape)),
                  {("mismatch", "W1")}),
    }
    for name, (g, expected) in cases.items():
        report = vg.check_backprop(cost, g, params)
        assert kinds(report) == expected, name
        assert not report.ok
    report = vg.check_backprop(cost, cases["scale"][0], params)
    assert "8 × the true gradient" in report.findings[0].message
    assert "0.3333" in vg.check_backprop(cost, cases["half"][0], params).findings[0].message
    assert "transpose" in vg.check_backprop(cost, cases["transposed_shape"][0],
                                            params).findings[0].message


def test_mask_of_the_gradient_instead_of_the_pre_activation():
    """The CBOW lecture's relu(W2ᵀ(ŷ − y)) against step(z1)·W2ᵀ(ŷ − y), one example."""
    params, cost, grads, X, Y = make_net(m=1, n_h=6, seed=3)

    def relu_of_gradient(p):
        Z1 = p["W1"] @ X + p["b1"]
        E = np.exp(p["W2"] @ np.maximum(Z1, 0) + p["b2"])
        l1 = p["W2"].T @ (E / E.sum() - Y)
        return {**grads(p), "dW1": np.maximum(l1, 0) @ X.T, "db1": np.maximum(l1, 0)}

    report = vg.check_backprop(cost, relu_of_gradient, params)
    assert kinds(report) == {("mask", "W1"), ("mask", "b1")}
    assert report.first_wrong_layer == 1 and "layer 1's activation" in report.location


def test_localisation_names_the_first_wrong_layer_from_the_output():
    params, cost, grads, _, _ = make_net()
    wrong_derivative = lambda p: grads(p, lambda g: {**g, "dW1": g["dW1"] * 1.5,
                                                     "db1": g["db1"] + 0.1})
    report = vg.check_backprop(cost, wrong_derivative, params)
    assert report.first_wrong_layer == 1
    assert "layer 2 (W2, b2) is right" in report.location
    output = vg.check_backprop(cost, lambda p: grads(p, lambda g: {k: -v for k, v in g.items()}),
                               params)
    assert output.first_wrong_layer == 2 and "in the output layer: look at dZ2" in output.location
    assert vg.check_backprop(cost, grads, params).location is None


def test_a_nan_cost_is_reported_with_the_rand_weights_hint():
    params, cost, grads, _, _ = make_net()
    positive = {k: np.abs(v) % 1 for k, v in params.items()}
    report = vg.check_backprop(lambda p: cost(p) + np.log(p["b1"][0, 0] - 10), grads, positive)
    assert kinds(report) == {("nan", None)}
    assert "np.random.rand" in report.findings[0].message
    assert all(p.note == "not checked" for p in report.params)


# ---- kinks ----------------------------------------------------------------------------------

def kinked_model():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3, 6)), rng.integers(0, 2, 6)
    model = vg.Sequential([vg.Dense(3, 4), vg.ReLU(), vg.Dense(4, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64", seed=1)
    Z = model.params["W1"] @ X + model.params["b1"]
    model.params["b1"][0, 0] -= Z[0, 2] - 1e-9  # pre-activation Z1[0, 2] = 1e-9
    return model, X, y


def test_entries_whose_step_crosses_a_relu_kink_are_left_out_not_flagged():
    model, X, y = kinked_model()
    report = vg.gradcheck(model, X, y)
    assert report.ok and report.kinks == 4  # W1[0, :] and b1[0] move Z1[0, 2] across 0
    assert report["W1"].kinks == 3 and report["b1"].kinks == 1
    assert "at a kink" in str(report)
    leaky = vg.Sequential([vg.Dense(3, 4), vg.LeakyReLU(0.2), vg.Dense(4, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64", seed=1)
    for name in model.params:
        leaky.params[name] = model.params[name]
    assert vg.gradcheck(leaky, X, y).kinks == 4


def test_kinks_in_a_learners_function_are_recognised_by_their_one_sided_slopes():
    model, X, y = kinked_model()
    params = {k: np.array(v) for k, v in model.params.items()}
    cost, grads = learner_functions(X, np.eye(2)[:, y])

    report = vg.check_backprop(cost, grads, params)
    assert report.ok and report.kinks == 4


# ---- models -------------------------------------------------------------------------------

class HalfDense(vg.Dense):
    """A Dense whose weight gradient is halved: a wrong custom layer."""

    def backward(self, dZ):
        dA = super().backward(dZ)
        self.grads["W"] *= 0.5
        return dA


class UnseededNoise(vg.Layer):
    """Adds noise from the global generator, which a check cannot freeze."""

    def forward(self, A, training=False):
        return A + 0.01 * np.random.standard_normal(A.shape) if training else A

    def backward(self, dA):
        return dA


class SeededNoise(vg.Layer):
    """Multiplies by noise from the generator set_rng gives it, which a check freezes."""

    def __init__(self):
        super().__init__()
        self.rng = np.random.default_rng()

    def set_rng(self, rng):
        self.rng = rng

    def forward(self, A, training=False):
        self.factor = 1 + 0.1 * self.rng.standard_normal(A.shape) if training else 1
        return A * self.factor

    def backward(self, dA):
        return dA * self.factor


def test_model_with_dropout_l2_and_every_builtin_layer_passes_and_is_left_untouched():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 10)).astype(np.float32), rng.integers(0, 3, 10)
    model = vg.Sequential([vg.Dense(6, 5), vg.Tanh(), vg.Dropout(0.5), vg.Dense(5, 5),
                           vg.Sigmoid(), vg.Dense(5, 4), vg.LeakyReLU(0.1), vg.Dense(4, 3)],
                          loss=vg.SoftmaxCrossEntropy(), l2=0.3, seed=2)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.warns(UserWarning, match="float32"):
        report = vg.gradcheck(model, X, y)
    assert report.ok and report.mode == "full", str(report)
    assert model.dtype == np.float32 and not model.layers[2].keeps_draws
    assert all(np.array_equal(model.params[k], before[k]) for k in before)


@pytest.mark.parametrize("loss, target", [
    (vg.BinaryCrossEntropy(), lambda rng: (rng.random((2, 7)) < 0.5).astype(float)),
    (vg.MSE(), lambda rng: rng.standard_normal((2, 7)))])
def test_other_losses_pass(loss, target):
    rng = np.random.default_rng(4)
    model = vg.Sequential([vg.Dense(3, 4), vg.ReLU(), vg.Dense(4, 2)], loss=loss,
                          dtype="float64", seed=0)
    assert vg.gradcheck(model, rng.standard_normal((3, 7)), target(rng)).ok


def test_the_dense_shortcut_equals_perturbing_and_recomputing():
    """Entries of a Dense are evaluated by changing one row of its output; a subclass takes
    the general path (set the entry, run the layer); both must agree with model.cost."""
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((5, 9)), rng.integers(0, 3, 9)
    layers = lambda first: [first(5, 4), vg.Tanh(), vg.Dense(4, 3)]
    fast = vg.Sequential(layers(vg.Dense), loss=vg.SoftmaxCrossEntropy(), l2=0.2,
                         dtype="float64", seed=3)
    general = vg.Sequential(layers(type("PlainDense", (vg.Dense,), {})),
                            loss=vg.SoftmaxCrossEntropy(), l2=0.2, dtype="float64", seed=3)
    for name in ("W1", "b1"):
        size = fast.params[name].size
        a, _ = ModelProblem(fast, X, y, 0).entries(name, np.arange(size), 1e-6)
        b, _ = ModelProblem(general, X, y, 0).entries(name, np.arange(size), 1e-6)
        naive = np.empty(size)
        p = fast.params[name].reshape(-1)
        for i in range(size):
            w = p[i]
            p[i] = w + 1e-6
            up = fast.cost(X, y)
            p[i] = w - 1e-6
            naive[i] = (up - fast.cost(X, y)) / 2e-6
            p[i] = w
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(a, naive, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", ["full", "sample", "fast"])
def test_every_mode_catches_a_wrong_custom_layer_and_names_it(mode):
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((30, 12)), rng.integers(0, 4, 12)
    model = vg.Sequential([vg.Dense(30, 20), vg.ReLU(), HalfDense(20, 20), vg.Tanh(),
                           vg.Dense(20, 4)], loss=vg.SoftmaxCrossEntropy(), dtype="float64",
                          seed=4)
    report = vg.gradcheck(model, X, y, mode=mode)
    assert report.mode == mode
    assert kinds(report) == {("scale", "W2")}
    assert "0.5 × the true gradient" in report.findings[0].message
    assert "HalfDense" in report.location and report.first_wrong_layer == 2
    assert [p.ok for p in report.params] == [True, True, False, True, True, True]


def test_fast_and_sample_modes_catch_a_wrong_learner_gradient():
    params, cost, grads, _, _ = make_net(n_x=30, n_h=25, n_y=4)
    sign = lambda p: grads(p, lambda g: {**g, "dW1": -g["dW1"]})
    for mode in ("sample", "fast"):
        report = vg.check_backprop(cost, sign, params, mode=mode, samples=6)
        assert kinds(report) == {("sign", "W1")}, mode
        assert report["W1"].checked != report["W1"].shape[0] * report["W1"].shape[1]
        assert vg.check_backprop(cost, grads, params, mode=mode).ok


def test_the_default_mode_is_full_for_small_models_and_fast_for_large_ones():
    rng = np.random.default_rng(7)
    small = vg.Sequential([vg.Dense(10, 10), vg.ReLU(), vg.Dense(10, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    large = vg.Sequential([vg.Dense(200, 110), vg.ReLU(), vg.Dense(110, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    X, y = rng.standard_normal((200, 4)), rng.integers(0, 2, 4)
    assert vg.gradcheck(small, X[:10], y).mode == "full"
    report = vg.gradcheck(large, X, y)
    assert report.mode == "fast" and report.ok
    assert all(p.checked == "direction" for p in report.params)


def test_randomness_drawn_through_set_rng_is_frozen_other_randomness_is_reported():
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((4, 6)), rng.integers(0, 2, 6)

    frozen = vg.Sequential([vg.Dense(4, 3), SeededNoise(), vg.Tanh(), vg.Dense(3, 2)],
                           loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    assert vg.gradcheck(frozen, X, y).ok
    unfrozen = vg.Sequential([vg.Dense(4, 3), UnseededNoise(), vg.Dense(3, 2)],
                             loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    report = vg.gradcheck(unfrozen, X, y)
    assert kinds(report) == {("nondeterministic", None)} and "set_rng" in str(report)


def test_a_layer_that_updates_its_weights_in_backward_is_a_mutation():
    class SelfUpdating(vg.Dense):
        def backward(self, dZ):
            dA = super().backward(dZ)
            self.params["W"] -= 0.1 * self.grads["W"]
            return dA

    rng = np.random.default_rng(9)
    model = vg.Sequential([SelfUpdating(4, 3), vg.ReLU(), vg.Dense(3, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    report = vg.gradcheck(model, rng.standard_normal((4, 5)), rng.integers(0, 2, 5))
    assert kinds(report) == {("mutation", "W1")} and "SelfUpdating" in str(report)


def test_finding_kinds_are_their_documented_strings_and_findings_are_frozen():
    params, cost, grads, _, _ = make_net()
    report = vg.check_backprop(cost, lambda p: {k: -v for k, v in grads(p).items()}, params)
    finding = report.findings[0]
    assert finding.kind == "sign" and f"{finding.kind}" == "sign"
    assert json.dumps([finding.kind]) == '["sign"]'
    assert [str(kind) for kind in vg.findings.KINDS] == [
        "scale", "sign", "transpose", "sum_axis", "mask", "shape", "mutation",
        "nondeterministic", "nan", "mismatch", "missing_gradient", "exception"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "scale"
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.params[0].ok = False


def test_every_problem_kind_implements_the_declared_protocol():
    params, cost, grads, _, _ = make_net()
    rng = np.random.default_rng(0)
    model = vg.Sequential([vg.Dense(3, 4), vg.ReLU(), vg.Dense(4, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    def affine_forward(x, w):
        return x @ w, (x, w)

    def affine_backward(dout, cache):
        x, w = cache
        return dout @ w.T, x.T @ dout

    pair = LayerProblem(affine_forward, affine_backward,
                         (rng.standard_normal((2, 3)), rng.standard_normal((3, 4))), {})
    for problem in (FunctionProblem(cost, grads, params, None),
                    ModelProblem(model, rng.standard_normal((3, 5)), rng.integers(0, 2, 5), 0),
                    pair):
        assert isinstance(problem, Problem)
        assert all(hasattr(problem, name) for name in Problem.__annotations__)
