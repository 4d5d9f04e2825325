"""Losses: closed-form values, gradients against central differences, stability."""
import numpy as np
import pytest
from numerics import numeric_gradient, relative_error

import verigrad as vg


def targets(loss, rng, n, m):
    if isinstance(loss, vg.SoftmaxCrossEntropy):
        return rng.integers(0, n, m)
    if isinstance(loss, vg.BinaryCrossEntropy):
        return rng.random((n, m))
    return rng.standard_normal((n, m))


@pytest.mark.parametrize("n,m", [(1, 1), (3, 1), (4, 7), (10, 33)])
@pytest.mark.parametrize("loss", [vg.SoftmaxCrossEntropy(), vg.BinaryCrossEntropy(), vg.MSE()],
                         ids=["softmax_ce", "bce", "mse"])
def test_loss_gradient_matches_central_differences(loss, n, m):
    if isinstance(loss, vg.SoftmaxCrossEntropy) and n == 1:
        n = 2
    rng = np.random.default_rng(n * m)
    Z = 3 * rng.standard_normal((n, m))
    Y = targets(loss, rng, n, m)
    loss.forward(Z, Y)
    analytic = loss.backward()
    numeric = numeric_gradient(lambda: loss.forward(Z, Y), Z)
    assert relative_error(analytic, numeric) < 1e-7


def test_softmax_cross_entropy_closed_form():
    loss = vg.SoftmaxCrossEntropy()
    # Equal logits: every class has probability 1/C, so the cost is log C.
    assert loss.forward(np.zeros((10, 4)), np.array([0, 3, 9, 2])) == pytest.approx(np.log(10))
    Z = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    expected = -np.mean([2 - np.log(np.exp(2) + np.exp(1) + 1), 3 - np.log(2 + np.exp(3))])
    assert loss.forward(Z, np.array([0, 2])) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(loss.backward()[:, 0],
                               (np.exp([2, 1, 0]) / np.exp([2, 1, 0]).sum() - [1, 0, 0]) / 2)


def test_one_hot_and_integer_labels_agree():
    rng = np.random.default_rng(0)
    Z, y = rng.standard_normal((5, 8)), rng.integers(0, 5, 8)
    loss = vg.SoftmaxCrossEntropy()
    a = loss.forward(Z, y)
    grad_a = loss.backward()
    b = loss.forward(Z, np.eye(5)[:, y])
    assert a == pytest.approx(b, rel=1e-14)
    np.testing.assert_allclose(grad_a, loss.backward(), rtol=1e-14)


def test_binary_cross_entropy_closed_form_and_labels():
    loss = vg.BinaryCrossEntropy()
    assert loss.forward(np.zeros((1, 3)), np.array([0, 1, 1])) == pytest.approx(np.log(2))
    z, y = 1.5, 0.0
    assert loss.forward(np.array([[z]]), np.array([[y]])) == pytest.approx(np.log1p(np.exp(z)))
    np.testing.assert_allclose(loss.backward(), [[1 / (1 + np.exp(-z))]])
    np.testing.assert_array_equal(loss.predict(np.array([[-1.0, 2.0]])), [0, 1])


def test_mse_is_half_mean_squared_error():
    loss = vg.MSE()
    Z = np.array([[1.0, 2.0, 3.0]])
    assert loss.forward(Z, np.array([1.0, 0.0, 1.0])) == pytest.approx(0.5 * (0 + 4 + 4) / 3)
    np.testing.assert_allclose(loss.backward(), [[0.0, 2 / 3, 2 / 3]])
    assert loss.accuracy(Z, Z) is None


@pytest.mark.parametrize("loss", [vg.SoftmaxCrossEntropy(), vg.BinaryCrossEntropy()],
                         ids=["softmax_ce", "bce"])
def test_extreme_logits_give_exact_finite_costs_without_warnings(loss):
    Z = np.array([[1e4, -1e4], [-1e4, 1e4]])
    Y = (np.array([1, 0]) if isinstance(loss, vg.SoftmaxCrossEntropy) else
         np.array([[0.0, 1.0], [1.0, 0.0]]))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        cost = loss.forward(Z, Y)
        grad = loss.backward()
    # Every prediction is confidently wrong: by a logit margin of 2e4 per example (softmax),
    # or by 1e4 on each of two outputs (sigmoid). The exact cost is 2e4 in both cases, not
    # the −log(1e-9) ≈ 20.7 that a clipped log would report.
    assert cost == pytest.approx(2e4)
    assert np.isfinite(grad).all()


@pytest.mark.parametrize("loss,n_out,Y", [
    (vg.SoftmaxCrossEntropy(), 3, np.array([0, 1])),
    (vg.SoftmaxCrossEntropy(), 3, np.eye(3)[:, :2]),
    (vg.BinaryCrossEntropy(), 1, np.array([0, 1])),
    (vg.MSE(), 1, np.array([[0.5, 1.5]])),
], ids=["labels", "one_hot_float64", "bce_int_labels", "mse_float64_targets"])
def test_float32_logits_give_float32_gradients(loss, n_out, Y):
    loss.forward(np.zeros((n_out, 2), np.float32), Y)
    assert loss.backward().dtype == np.float32


def test_target_errors_name_the_problem():
    loss = vg.SoftmaxCrossEntropy()
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        loss.check_targets(np.array([0, 3]), 3, 2)
    with pytest.raises(TypeError, match="integer dtype"):
        loss.check_targets(np.array([0.0, 1.0]), 3, 2)
    with pytest.raises(ValueError, match="one-hot"):
        loss.check_targets(np.array([[1.0, 0.5], [0.0, 0.0]]), 2, 2)
    with pytest.raises(ValueError, match="only fits a model with 1 output"):
        vg.BinaryCrossEntropy().check_targets(np.array([0, 1]), 2, 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vg.BinaryCrossEntropy().check_targets(np.array([[2.0, 0.0]]), 1, 2)
    with pytest.raises(ValueError, match="NaN"):
        vg.MSE().check_targets(np.array([[np.nan, 0.0]]), 1, 2)


@pytest.mark.parametrize("loss, Y", [
    (vg.SequenceSoftmaxCrossEntropy(), np.array([[0, 1, -2], [2, -1, 1]])),
    (vg.SequenceSoftmaxCrossEntropy(), np.array([[0, 1, 3], [2, -1, 1]])),
    (vg.SoftmaxCrossEntropy(), np.array([0, -1, 2])),
    (vg.SoftmaxCrossEntropy(), np.array([0, 3, 2])),
], ids=["sequence_minus_2", "sequence_too_large", "minus_1", "too_large"])
def test_a_label_outside_the_classes_is_refused_by_the_loss_itself(loss, Y):
    """Called directly, as a learner's own loop does: a −2 (or −1 outside the sequence
    loss's padding) would index the last classes from the end."""
    Z = np.zeros((3, *Y.shape))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        loss.forward(Z, Y)
