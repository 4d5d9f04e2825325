"""Issue 26, "silent wrong verdicts of the checkers": each verdict is the truth about the
learner's code. A forgotten or misnamed gradient is never passed over, correct float32 code
is judged with float32's tolerance, a correct dropout layer or stateful LSTM model is OK, a
layer's own eps/tol/seed reach it, and a WRONG verdict always comes with its finding."""
import numpy as np
import pytest

import verigrad as vg
from verigrad.exercises import EXERCISES, Result
from verigrad.gradcheck import GradcheckReport, ParamCheck
from verigrad.layers import LSTM, Dense
from verigrad.losses import SoftmaxCrossEntropy

from . import learners_recurrent as recurrent
from .checks import run


def kinds(report):
    return {(f.kind, f.param) for f in report.findings}


def affine_forward(x, p):
    return x @ p["w"] + p["b"], (x, p)


def affine_inputs():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 4)), {"w": rng.standard_normal((4, 2)),
                                         "b": rng.standard_normal(2)}


# ---- a backward that forgets a gradient ------------------------------------------------------


def test_a_course_rnn_cell_backward_without_dba_is_wrong_with_a_missing_gradient():
    def no_dba(da_next, cache):
        grads = recurrent.rnn_cell_backward(da_next, cache)
        del grads["dba"]
        return grads

    result = run({**recurrent.CORRECT, "rnn_cell_backward": no_dba})["rnn_cell_backward"]
    assert result.ok is False
    assert ("missing_gradient", "ba") in {(f.kind, f.param) for f in result.findings}


def test_every_backward_exercise_declares_the_gradients_it_returns():
    backward = [e for e in EXERCISES if e.name.endswith("_backward") and e.name[0].islower()
                and e.name != "L_model_backward"]
    assert len(backward) >= 20
    undeclared = [(e.name, e.course) for e in backward if not e.gradients]
    assert not undeclared, undeclared
    assert all(all(g.startswith("d") for g in e.gradients) for e in backward)


def test_check_layer_names_a_misnamed_dict_gradient_and_lists_what_it_did_not_check():
    def misnamed(dout, cache):
        x, p = cache
        return {"dx": dout @ p["w"].T, "dw": x.T @ dout, "d_b": dout.sum(0)}

    report = vg.check_layer(affine_forward, misnamed, *affine_inputs())
    assert not report.ok and ("missing_gradient", None) in kinds(report)
    assert "'d_b', which names no input" in str(report)

    def no_db(dout, cache):
        x, p = cache
        return {"dx": dout @ p["w"].T, "dw": x.T @ dout}

    report = vg.check_layer(affine_forward, no_db, *affine_inputs())
    # nothing says b's gradient must be returned, but it is never passed over in silence
    assert "Not checked: p['b']" in str(report)


def test_check_backprop_names_a_forgotten_gradient():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}

    def cost(p):
        return float(np.sum(p["W1"] ** 2) + np.sum(p["b1"]))

    report = vg.check_backprop(cost, lambda p: {"dW1": 2 * p["W1"]}, params)
    assert not report.ok and kinds(report) == {("missing_gradient", "b1")}


# ---- precision ------------------------------------------------------------------------------


def test_correct_float32_code_is_judged_with_float32s_tolerance_and_says_so():
    def forward(x, w):
        return np.tanh(x.astype(np.float32) @ w.astype(np.float32)), (x, w)

    def backward(dout, cache):
        x, w = (a.astype(np.float32) for a in cache)
        dz = dout.astype(np.float32) * (1 - np.tanh(x @ w) ** 2)
        return dz @ w.T, x.T @ dz

    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)) * 0.5
    report = vg.check_layer(forward, backward, x, w)
    assert report.ok, report
    assert report.precision == "float32" and "computes in float32" in str(report)

    def wrong(dout, cache):
        dx, dw = backward(dout, cache)
        return dx, 2 * dw

    report = vg.check_layer(forward, wrong, x, w)
    assert kinds(report) == {("scale", "w")}


def test_a_float32_cost_is_not_blamed_on_log_1_minus_a():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((3, 8)), (rng.random((1, 8)) < 0.5).astype(float)
    params = {"W": rng.standard_normal((1, 3)) * 0.1, "b": np.zeros((1, 1))}

    def cost(p):
        A = 1 / (1 + np.exp(-(p["W"] @ X + p["b"]).astype(np.float32)))
        return np.float32(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))

    def grads(p):
        A = 1 / (1 + np.exp(-(p["W"] @ X + p["b"])))
        return {"dW": (A - Y) @ X.T / 8, "db": np.sum(A - Y, axis=1, keepdims=True) / 8}

    report = vg.check_backprop(cost, grads, params)
    assert report.ok and report.precision == "float32", report
    assert "log(1 − A)" not in str(report)


# ---- no false alarm, and the layer's own keywords --------------------------------------------


def test_a_correct_dropout_layer_is_ok():
    def dropout_forward(x, p=0.5):
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, mask

    report = vg.check_layer(dropout_forward, lambda dout, mask: dout * mask,
                            np.random.default_rng(3).standard_normal((3, 4)))
    assert report.ok and not report.findings and "Result: OK" in str(report)


def test_a_correct_stateful_lstm_model_is_ok():
    model = vg.Sequential([LSTM(3, 4, stateful=True, return_sequences=False), Dense(4, 2)],
                          loss=SoftmaxCrossEntropy())
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((3, 5, 6)), rng.integers(0, 2, 6)
    model.fit(X, Y, epochs=1, batch_size=6, verbose=0, shuffle=False)  # a state is carried
    report = vg.gradcheck(model, X, Y)
    assert report.ok and not report.findings, report


def test_a_layers_own_eps_tol_and_seed_reach_its_forward():
    seen = {}

    def forward(x, eps=1e-5, tol=0.0, seed=None):
        seen.update(eps=eps, tol=tol, seed=seed)
        return x / np.sqrt(x ** 2 + eps), (x, eps)

    def backward(dout, cache):
        x, eps = cache
        return dout * eps / (x ** 2 + eps) ** 1.5

    x = np.random.default_rng(5).standard_normal((3, 4))
    report = vg.check_layer(forward, backward, x, eps=0.5, tol=0.25, seed=7)
    assert seen == {"eps": 0.5, "tol": 0.25, "seed": 7}
    assert report.ok and report.eps == 1e-6 and report.tol == 1e-7
    report = vg.check_layer(forward, backward, x, eps=0.5, check_eps=1e-5, check_tol=1e-6)
    assert report.ok and (report.eps, report.tol) == (1e-5, 1e-6)


# ---- a WRONG verdict always has its finding; clear errors ------------------------------------


def test_a_wrong_verdict_without_a_finding_cannot_be_built():
    row = ParamCheck("W", (2, 2), 0.5, False)
    with pytest.raises(ValueError, match="without a finding"):
        GradcheckReport([row], [], "full", 1e-6, 1e-7, 1.0)
    with pytest.raises(ValueError, match="without a finding"):
        Result("linear_backward", "course", False, [])


def test_a_cost_returning_none_and_zero_examples_are_clear_errors():
    with pytest.raises(TypeError, match="returned None"):
        vg.check_backprop(lambda p: None, lambda p: {"dW": p["W"]}, {"W": np.ones(2)})
    with pytest.raises(ValueError, match="0 examples"):
        vg.gradcheck(vg.mlp([3, 4, 2], dtype="float64"), np.zeros((3, 0)), np.zeros(0, int))


def test_a_correct_float32_forward_is_ok_and_a_wrong_one_shows_the_digits_that_differ():
    def linear_forward(A, W, b):
        Z = W.astype(np.float32) @ A.astype(np.float32) + b.astype(np.float32)
        return Z, (A, W, b)

    def off(A, W, b):
        Z, cache = linear_forward(A, W, b)
        return Z * np.float32(1.01), cache

    assert run({"linear_forward": linear_forward})["linear_forward"].ok is True
    result = run({"linear_forward": off})["linear_forward"]
    assert result.ok is False and "compared in float32" in result.findings[0].message
