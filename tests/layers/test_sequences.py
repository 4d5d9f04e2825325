"""The other pieces of a sequence model: Embedding, Dense over every time step, and the
sequence softmax cross-entropy (closed forms and bad inputs; PyTorch comparisons are in
test_recurrent_torch.py)."""
import numpy as np
import pytest

import verigrad as vg


def test_embedding_looks_up_columns_and_accumulates_repeats():
    layer = vg.Embedding(4, 2)
    W = layer.params["W"]
    ids = np.array([[3, 3], [0, 3]])
    np.testing.assert_array_equal(layer.forward(ids), W[:, ids])
    dA = np.arange(8.0).reshape(2, 2, 2)
    layer.backward(dA)
    # token 3 sits at (0, 0), (0, 1) and (1, 1); token 0 at (1, 0); tokens 1 and 2 nowhere
    expected = np.zeros_like(W)
    expected[:, 3] = dA[:, 0, 0] + dA[:, 0, 1] + dA[:, 1, 1]
    expected[:, 0] = dA[:, 1, 0]
    np.testing.assert_array_equal(layer.grads["W"], expected)


def test_embedding_bad_inputs_are_named():
    layer = vg.Embedding(5, 3)
    with pytest.raises(IndexError, match=r"token id 5 at \[1, 0\].*\[0, 4\]"):
        layer.forward(np.array([[1, 2], [5, 0]]))
    with pytest.raises(IndexError, match="token id -1"):
        layer.forward(np.array([[1, -1]]))
    with pytest.raises(TypeError, match="astype"):
        layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(T, m\)"):
        layer.forward(np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="T = 0"):
        layer.forward(np.zeros((0, 3), dtype=int))
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        vg.Embedding(0, 3)
    model = vg.Sequential([layer, vg.LSTM(3, 2)], dtype="float64")
    with pytest.raises(TypeError, match="integer indices"):
        model.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"2-D with shape \(\?, m\)"):
        model.forward(np.zeros((4, 2, 1), dtype=int))


def test_dense_on_a_sequence_acts_on_every_time_step():
    rng = np.random.default_rng(0)
    layer = vg.Dense(3, 2)
    A = rng.standard_normal((3, 4, 5))
    Z = layer.forward(A)
    assert Z.shape == (2, 4, 5)
    for t in range(4):
        np.testing.assert_allclose(Z[:, t], layer.params["W"] @ A[:, t] + layer.params["b"],
                                   rtol=1e-13)
    dZ = rng.standard_normal(Z.shape)
    dA = layer.backward(dZ)
    np.testing.assert_allclose(layer.grads["W"], np.einsum("otm,itm->oi", dZ, A), rtol=1e-12)
    np.testing.assert_allclose(layer.grads["b"][:, 0], dZ.sum(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(dA, np.einsum("oi,otm->itm", layer.params["W"], dZ), rtol=1e-12)
    assert layer.output_shape((3, None)) == (2, None)
    with pytest.raises(ValueError, match="Flatten"):
        layer.output_shape((3, 4, 4))


def test_sequence_loss_is_the_mean_per_counted_token():
    Z = np.zeros((4, 2, 3))  # uniform predictions: −log(1/4) per token
    Y = np.array([[0, 1, -1], [2, -1, -1]])
    loss = vg.SequenceSoftmaxCrossEntropy()
    assert loss.forward(Z, Y) == pytest.approx(np.log(4), rel=1e-15)
    dZ = loss.backward()
    # (P − one_hot)/N with N = 3 counted tokens, zero at the padding
    assert dZ[0, 0, 0] == pytest.approx((0.25 - 1) / 3) and dZ[1, 0, 0] == pytest.approx(0.25 / 3)
    np.testing.assert_array_equal(dZ[:, Y < 0], 0)
    Z[1, 0, 1] = 10.0  # right at (0, 1); the padded position predicts nothing counted
    assert loss.accuracy(Z, Y) == pytest.approx(2 / 3)  # class 0 wins the ties at argmax
    assert loss.forward(Z, np.full((2, 3), -1)) == 0.0
    np.testing.assert_array_equal(loss.backward(), 0)


def test_sequence_loss_bad_targets_are_named():
    model = vg.Sequential([vg.Embedding(5, 3), vg.RNN(3, 2), vg.Dense(2, 5)],
                          loss=vg.SequenceSoftmaxCrossEntropy(), dtype="float64")
    ids = np.zeros((4, 2), dtype=int)
    with pytest.raises(ValueError, match=r"\(T, m\)"):
        model.cost(ids, np.zeros(2, dtype=int))
    with pytest.raises(TypeError, match="integers"):
        model.cost(ids, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"labels from 0 to 5.*\[0, 4\]"):
        model.cost(ids, np.array([[0, 5]] * 4))
    with pytest.raises(ValueError, match="expected the labels"):
        vg.SequenceSoftmaxCrossEntropy().forward(np.zeros((5, 4, 2)), ids, mask=np.ones((4, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_by_tanh_is_the_sigmoid_within_an_ulp_of_a_half(dtype):
    Z = np.linspace(-40, 40, 2001).astype(dtype)
    ulp = np.finfo(dtype).eps / 2
    np.testing.assert_allclose(vg.functional.sigmoid_by_tanh(Z), vg.functional.sigmoid(Z),
                               rtol=0, atol=2 * ulp)
    out = Z.copy()
    assert vg.functional.sigmoid_by_tanh(out, out=out) is out and out.dtype == dtype
    np.testing.assert_array_equal(out, vg.functional.sigmoid_by_tanh(Z))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gate_derivatives_written_into_out_equal_the_closed_forms(dtype):
    A = np.array([[-0.9, -0.25, 0.0], [0.3, 0.75, 1.0]], dtype)
    for derivative, closed_form in [(vg.functional.sigmoid_derivative, A * (1 - A)),
                                    (vg.functional.tanh_derivative, 1 - A ** 2)]:
        out = np.full_like(A, np.nan)
        assert derivative(A, out=out) is out and out.dtype == dtype
        np.testing.assert_array_equal(out, closed_form)
        np.testing.assert_array_equal(derivative(A), closed_form)
