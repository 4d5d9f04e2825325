"""The numba fast paths of attention, GELU and LayerNorm equal their NumPy references (backend
"numpy"): outputs, every gradient and the input gradient, in float64 to rounding and in
float32 to float32's precision."""
import numpy as np
import pytest

import verigrad as vg

pytest.importorskip("numba")

D, H, T, M = 8, 2, 6, 3


def pair(make):
    """The same layer twice, one on each backend, with equal weights."""
    fast, reference = make(), make()
    fast.backend, reference.backend = "numba", "numpy"
    for name, p in fast.params.items():
        reference.params[name][...] = p
    return fast, reference


def run(layer, X, dY, **masks):
    Y = layer.forward(X, True, **masks)
    dX = layer.backward(dY)
    return Y, dX, {name: g.copy() for name, g in layer.grads.items()}


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("causal, masks", [
    (False, {}), (True, {}), (False, {"lengths": np.array([6, 2, 4])}),
    (True, {"key_mask": np.array([[1, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1],
                                  [0, 1, 0], [1, 1, 0]], bool)}),
], ids=["full", "causal", "padded", "causal-padded"])
def test_attention_kernels_equal_the_numpy_reference(dtype, tol, causal, masks):
    fast, reference = pair(lambda: vg.MultiHeadAttention(D, H, causal=causal, seed=3))
    for layer in (fast, reference):
        layer.params = {k: p.astype(dtype) for k, p in layer.params.items()}
        layer.grads = {k: g.astype(dtype) for k, g in layer.grads.items()}
    rng = np.random.default_rng(0)
    X, dY = rng.standard_normal((2, D, T, M)).astype(dtype)
    Y, dX, grads = run(fast, X, dY, **masks)
    Y_ref, dX_ref, grads_ref = run(reference, X, dY, **masks)
    assert Y.dtype == dX.dtype == np.dtype(dtype)
    np.testing.assert_allclose(Y, Y_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(dX, dX_ref, rtol=tol, atol=tol)
    for name, g in grads.items():
        assert g.dtype == np.dtype(dtype), name
        np.testing.assert_allclose(g, grads_ref[name], rtol=tol, atol=tol, err_msg=name)
    if causal:  # the kernel leaves exact zeros where a query may not look
        assert not np.triu(fast.P, k=1).any()


def test_attention_kernels_with_attention_dropout():
    fast, reference = pair(lambda: vg.MultiHeadAttention(D, H, causal=True, dropout=0.4,
                                                          seed=3))
    for layer in (fast, reference):
        layer.set_rng(np.random.default_rng(7))
    rng = np.random.default_rng(1)
    X, dY = rng.standard_normal((2, D, T, M))
    for ours, theirs in zip(run(fast, X, dY), run(reference, X, dY)):
        if isinstance(ours, dict):
            for name in ours:
                np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-14), ("float32", 1e-6)])
def test_gelu_kernels_equal_the_numpy_reference(approximate, dtype, tol):
    fast, reference = pair(lambda: vg.GELU(approximate))
    rng = np.random.default_rng(2)
    Z = (rng.standard_normal((16, 5, 4)) * 3).astype(dtype)
    dA = rng.standard_normal(Z.shape).astype(dtype)
    A, A_ref = fast.forward(Z), reference.forward(Z)
    dZ, dZ_ref = fast.backward(dA), reference.backward(dA)
    assert A.dtype == dZ.dtype == np.dtype(dtype)
    np.testing.assert_allclose(A, A_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(dZ, dZ_ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(D, T, M), (D, M)], ids=["sequences", "dense"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-5)])
def test_layer_norm_kernels_equal_the_numpy_reference(shape, dtype, tol):
    fast, reference = pair(lambda: vg.LayerNorm(D))
    rng = np.random.default_rng(4)
    for layer in (fast, reference):
        layer.params = {"gamma": (1 + rng.standard_normal((D, 1))).astype(dtype),
                        "beta": rng.standard_normal((D, 1)).astype(dtype)}
        layer.grads = {k: np.zeros_like(p) for k, p in layer.params.items()}
    reference.params = {k: p.copy() for k, p in fast.params.items()}
    X = (3 + 2 * rng.standard_normal(shape)).astype(dtype)
    dY = rng.standard_normal(shape).astype(dtype)
    Y, dX, grads = run(fast, X, dY)
    Y_ref, dX_ref, grads_ref = run(reference, X, dY)
    assert Y.dtype == dX.dtype == np.dtype(dtype)
    np.testing.assert_allclose(Y, Y_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(dX, dX_ref, rtol=tol, atol=tol)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads_ref[name], rtol=tol, atol=tol)
