"""The check notices when its own central differences are noise (a cost that loses
precision) and judges the gradient on the entries it can trust."""
import numpy as np

import verigrad as vg


def _saturated_problem(scale):
    """A 2-3-2 network whose second sigmoid output is within 1e-12 of 1 for some examples,
    with the cost computed as log(1 − A2); the gradients are ``scale`` × the true ones."""
    rng = np.random.RandomState(2057)
    X, Y = rng.rand(2, 20) * 10, (rng.rand(2, 20) < 0.5).astype(float)
    params = {"W1": rng.rand(3, 2), "b1": rng.rand(3, 1), "W2": rng.rand(2, 3),
              "b2": rng.rand(2, 1)}

    def forward(p):
        Z1 = p["W1"] @ X + p["b1"]
        A2 = 1 / (1 + np.exp(-(p["W2"] @ np.maximum(Z1, 0) + p["b2"])))
        return Z1, A2

    def cost(p):
        A2 = forward(p)[1]
        return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / 20

    def grads(p):
        Z1, A2 = forward(p)
        dZ2 = scale * (A2 - Y) / 20
        dZ1 = (p["W2"].T @ dZ2) * (Z1 > 0)
        return {"dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True),
                "dW2": dZ2 @ np.maximum(Z1, 0).T, "db2": dZ2.sum(axis=1, keepdims=True)}

    return cost, grads, params, forward(params)[1], Y


def test_the_cost_is_saturated_as_described():
    _, _, _, A2, Y = _saturated_problem(1)
    assert 1e-13 < np.min((1 - A2)[Y == 0]) < 1e-11


def test_noisy_entries_are_left_out_and_the_reliable_ones_name_the_missing_one_over_m():
    report = vg.check_backprop(*_saturated_problem(20)[:3])
    assert {(f.kind, f.param) for f in report.findings} == {("scale", "W2"), ("scale", "b2")}
    assert "20 × the true gradient" in report.findings[0].message
    assert report["W1"].note == report["b1"].note == "unreliable"
    assert report["W2"].unreliable == 3 and report["W2"].checked == 3
    assert report.unreliable == 6 + 3 + 3 + 1
    text = str(report)
    assert "log(1 − A)" in text and "not judged" in text
    assert "The layers below are right" not in text


def test_a_correct_backprop_with_a_noisy_cost_is_not_called_wrong():
    report = vg.check_backprop(*_saturated_problem(1)[:3])
    assert report.findings == [] and not report.ok
    assert report["W2"].ok and report["b2"].ok
    assert "Result: NOT CHECKED: 2 of 4 gradients not judged" in str(report)


def test_a_smooth_cost_never_pays_for_the_second_step():
    calls = []
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 4))}
    X = rng.standard_normal((4, 5))

    def cost(p):
        calls.append(1)
        return float(np.sum(np.tanh(p["W"] @ X)))

    def grads(p):
        return {"dW": (1 - np.tanh(p["W"] @ X) ** 2) @ X.T}

    report = vg.check_backprop(cost, grads, params)
    assert report.ok and report.unreliable == 0
    assert len(calls) == 2 + 2 * 12  # two first calls, then two per entry
