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


def test_noisy_entries_are_judged_with_coarser_steps_and_name_the_missing_one_over_m():
    report = vg.check_backprop(*_saturated_problem(20)[:3])
    assert {(f.kind, f.param) for f in report.findings} == {
        ("scale", name) for name in ("W1", "b1", "W2", "b2")}
    assert "20 × the true gradient" in report.findings[0].message
    assert report.unreliable == 0
    assert (report["W1"].coarse, report["b1"].coarse, report["W2"].coarse,
            report["b2"].coarse) == (6, 3, 3, 1)
    assert report["W2"].checked == 6 and 1e-5 < report["W1"].coarse_step <= 0.1
    notes = " ".join(report.notes())
    assert "log(1 − A)" in notes and "Coarser steps" in notes and "step 0.01" in notes
    assert "not judged" not in str(report)


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


def _forum_learner(seed, m=20, bug=True):
    """The forum's 2-3-2 learner on one weight draw: inputs up to 10 and np.random.rand
    weights drive the output sigmoid towards 1, the cost takes np.log(1 - A2), and dW1 has
    no 1/m when ``bug`` (every other gradient is right)."""
    rng = np.random.RandomState(seed)
    X, Y = rng.rand(2, m) * 10, (rng.rand(2, m) < 0.5).astype(float)
    params = {"W1": rng.rand(3, 2), "b1": rng.rand(3, 1), "W2": rng.rand(2, 3),
              "b2": rng.rand(2, 1)}

    def forward(p):
        Z1 = np.dot(p["W1"], X) + p["b1"]
        A1 = np.maximum(Z1, 0)
        A2 = 1 / (1 + np.exp(-(np.dot(p["W2"], A1) + p["b2"])))
        return Z1, A1, A2

    def cost(p):
        A2 = forward(p)[2]
        return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m

    def grads(p):
        Z1, A1, A2 = forward(p)
        dZ2 = A2 - Y
        dZ1 = np.dot(p["W2"].T, dZ2) * (Z1 > 0)
        return {"dW1": np.dot(dZ1, X.T) / (1 if bug else m),  # the bug: no 1/m
                "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
                "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}

    return cost, grads, params, forward(params)[2]


# weight draws whose output sigmoid comes within 1e-6 to 1e-14 of 1: the fine step's
# central differences of W1 are noise on each (on 62 and 71, differences at three fine
# steps agree on a wrong value, and two coarse ones agree by chance)
SATURATED_DRAWS = (1, 3, 4, 7, 8, 11, 14, 16, 19, 62, 71)


def test_coarser_steps_name_the_missing_one_over_m_on_w1_on_every_draw():
    for seed in SATURATED_DRAWS:
        cost, grads, params, A2 = _forum_learner(seed)
        assert 1e-14 < np.min(1 - A2) < 1e-6
        report = vg.check_backprop(cost, grads, params)
        assert {(f.kind, f.param) for f in report.findings} == {("scale", "W1")}, (seed, report)
        assert "dW1 is 20 × the true gradient" in report.findings[0].message
        assert report["W1"].coarse > 0, seed  # judged with coarser steps, not left out
        assert "Coarser steps" in str(report)
        assert all(report[name].ok or report[name].note == "unreliable"
                   for name in ("b1", "W2", "b2")), (seed, report)


def test_the_same_learner_corrected_is_never_called_wrong():
    for seed in SATURATED_DRAWS:
        cost, grads, params, _ = _forum_learner(seed, bug=False)
        report = vg.check_backprop(cost, grads, params)
        assert report.findings == [], (seed, report)
        assert all(p.ok or p.note == "unreliable" for p in report.params), (seed, report)
        assert all(p.coarse == 0 for p in report.params)
