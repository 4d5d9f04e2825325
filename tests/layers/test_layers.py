"""Every layer's backward against float64 central differences, on several shapes.

For a layer f and a fixed random G, the scalar J = Σ G ⊙ f(X) has dJ/d(output) = G, so
``backward(G)`` must return dJ/dX and fill dJ/dparams exactly as central differences of J.
"""
import numpy as np
import pytest
from numerics import numeric_gradient, relative_error

import verigrad as vg

SHAPES = [(1, 1), (3, 1), (1, 5), (4, 7), (7, 3)]  # (n, m): batch size 1 and odd shapes

ACTIVATIONS = [vg.ReLU, lambda: vg.LeakyReLU(0.1), vg.Sigmoid, vg.Tanh, vg.Softmax,
               lambda: vg.Dropout(0.4)]


def away_from_kinks(rng, shape):
    """Normal draws nudged at least 1e-3 away from 0, where ReLU is not differentiable."""
    X = rng.standard_normal(shape)
    return np.where(np.abs(X) < 1e-3, 1e-3 * np.sign(X) + 1e-3 * (X == 0), X)


def check_layer(layer, X, rng):
    Y = layer.forward(X, training=True)
    G = rng.standard_normal(Y.shape)
    dX = layer.backward(G)

    def J():
        return float(np.sum(G * layer.forward(X, training=True)))

    assert relative_error(dX, numeric_gradient(J, X)) < 1e-7
    for name, p in layer.params.items():
        layer.forward(X, training=True)
        layer.backward(G)
        analytic = layer.grads[name].copy()
        assert analytic.shape == p.shape
        assert relative_error(analytic, numeric_gradient(J, p)) < 1e-7, name


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("make", ACTIVATIONS, ids=["relu", "leaky", "sigmoid", "tanh",
                                                  "softmax", "dropout"])
def test_activation_backward_matches_central_differences(make, shape):
    rng = np.random.default_rng(sum(shape))
    layer = make()
    if isinstance(layer, vg.Dropout):
        layer.set_rng(np.random.default_rng(3))
        layer.keep_random_draws()
    check_layer(layer, away_from_kinks(rng, shape), rng)


@pytest.mark.parametrize("n_in,n_out,m", [(1, 1, 1), (3, 2, 1), (5, 4, 7), (2, 9, 3)])
@pytest.mark.parametrize("init", vg.Dense.INITS)
def test_dense_backward_matches_central_differences(n_in, n_out, m, init):
    rng = np.random.default_rng(n_in * 100 + n_out * 10 + m)
    layer = vg.Dense(n_in, n_out, init=init, seed=1)
    layer.params["b"][...] = rng.standard_normal((n_out, 1))
    check_layer(layer, rng.standard_normal((n_in, m)), rng)


def test_dense_gradients_closed_form():
    layer = vg.Dense(2, 2, seed=0)
    layer.params["W"][...] = [[1.0, 2.0], [3.0, 4.0]]
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    np.testing.assert_array_equal(layer.forward(X), [[1, 2, 0], [3, 4, 2]])
    dZ = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 0.0]])
    dX = layer.backward(dZ)
    np.testing.assert_array_equal(layer.grads["W"], dZ @ X.T)
    np.testing.assert_array_equal(layer.grads["b"], [[3.0], [2.0]])  # summed over examples
    np.testing.assert_array_equal(dX, [[1, 7, 1], [2, 10, 2]])


def test_backward_does_not_modify_its_arguments():
    rng = np.random.default_rng(0)
    for layer in [vg.ReLU(), vg.LeakyReLU(), vg.Sigmoid(), vg.Tanh(), vg.Softmax(),
                  vg.Dropout(0.5), vg.Dense(4, 4, seed=0)]:
        X = rng.standard_normal((4, 5))
        X_before = X.copy()
        layer.forward(X, training=True)
        G = rng.standard_normal((4, 5))
        G_before = G.copy()
        layer.backward(G)
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(G, G_before)


def test_sigmoid_is_exact_and_silent_at_extremes():
    Z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = vg.functional.sigmoid(Z)
    np.testing.assert_allclose(A[0, 1], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-15)
    assert A[0, 0] == 0.0 and A[0, 2] == 0.5 and A[0, 4] == 1.0


def test_softmax_columns_sum_to_one_for_huge_logits():
    Z = np.array([[1000.0, -5.0], [1001.0, 5.0], [999.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = vg.functional.softmax(Z)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    e = np.exp([-1.0, 0.0, -2.0])
    np.testing.assert_allclose(A[:, 0], e / e.sum(), rtol=1e-14)


def test_relu_derivative_at_zero_is_zero_like_pytorch():
    relu = vg.ReLU()
    relu.forward(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_dropout_is_inverted_and_identity_at_evaluation():
    drop = vg.Dropout(0.25)
    drop.set_rng(np.random.default_rng(0))
    X = np.ones((200, 500))
    np.testing.assert_array_equal(drop.forward(X, training=False), X)
    A = drop.forward(X, training=True)
    assert set(np.unique(A)) == {0.0, 1 / 0.75}
    assert abs((A == 0).mean() - 0.25) < 0.01
    assert abs(A.mean() - 1.0) < 0.02


@pytest.mark.parametrize("rate", [0.05, 0.5, 0.9, 1 - 1e-12])
def test_dropout_drops_each_unit_with_probability_rate(rate):
    """The mask is drawn from raw random bits; the keep rate must still be 1 − rate (within
    4 standard errors of a binomial proportion) and the scale exactly 1/(1 − rate)."""
    drop = vg.Dropout(rate)
    drop.set_rng(np.random.default_rng(3))
    X = np.ones((1001, 999), dtype=np.float32)
    A = drop.forward(X, training=True)
    assert A.dtype == np.float32 and A.shape == X.shape
    kept = np.count_nonzero(A) / A.size
    assert abs(kept - (1 - rate)) <= 4 * np.sqrt(rate * (1 - rate) / A.size) + 1e-9
    np.testing.assert_array_equal(np.unique(A[A != 0]), np.float32(1 / (1 - rate)))


def test_dropout_freeze_reuses_the_mask():
    drop = vg.Dropout(0.5)
    drop.set_rng(np.random.default_rng(1))
    X = np.ones((6, 4))
    first = drop.forward(X, training=True)
    assert not np.array_equal(first, drop.forward(X, training=True))
    drop.keep_random_draws()
    frozen = drop.forward(X, training=True)
    np.testing.assert_array_equal(frozen, drop.forward(X, training=True))
    drop.draw_afresh()
    assert not np.array_equal(frozen, drop.forward(X, training=True))


def test_init_scales_match_their_formulas():
    n_in = 400
    for init, std in [("he", np.sqrt(2 / n_in)), ("xavier", np.sqrt(1 / n_in)),
                      ("normal", 0.01), ("uniform", 1 / np.sqrt(n_in) / np.sqrt(3))]:
        W = vg.Dense(n_in, 300, init=init, seed=0).params["W"]
        assert abs(W.std() / std - 1) < 0.02, init
        assert abs(W.mean()) < 0.05 * std
    assert np.abs(vg.Dense(n_in, 10, init="uniform", seed=0).params["W"]).max() <= 1 / np.sqrt(n_in)


def test_bad_layer_arguments_are_named():
    with pytest.raises(ValueError, match="n_out must be a positive integer"):
        vg.Dense(3, 0)
    with pytest.raises(ValueError, match="init must be one of"):
        vg.Dense(3, 2, init="zeros")
    with pytest.raises(ValueError, match="rate must be in"):
        vg.Dropout(1.0)
    with pytest.raises(ValueError, match="alpha"):
        vg.LeakyReLU(-0.1)
