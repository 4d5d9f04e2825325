"""Conv2D, the pooling layers and Flatten: central differences, the loop reference, shapes,
bad input, save/load and gradcheck on a conv net (float64 throughout)."""
import numpy as np
import pytest
from numerics import numeric_gradient, relative_error

import verigrad as vg
from verigrad.layers import loops

# (C, H, W, m, F, kernel, stride, padding): odd sizes, strides 1-3, padding 0-2, kernels
# 1-5, non-square images and kernels, one example.
CONV_CASES = [
    (2, 7, 6, 3, 3, (3, 2), (2, 1), (1, 0)),
    (1, 5, 6, 1, 2, 5, 1, 2),
    (3, 8, 5, 2, 2, 1, 3, 2),
    (2, 9, 7, 2, 4, (4, 5), (3, 2), (0, 2)),
    (2, 6, 6, 1, 1, 3, 1, "same"),
]
# (C, H, W, m, kernel, stride): windows side by side, overlapping, ragged edges, 1×1.
POOL_CASES = [
    (2, 6, 8, 3, 2, None),
    (3, 7, 7, 2, 3, 2),
    (1, 5, 9, 1, (2, 3), (1, 2)),
    (2, 4, 5, 2, 1, 1),
    (2, 9, 6, 2, (3, 2), 3),
]


def conv_from(case, seed=0):
    C, H, W, m, F, kernel, stride, padding = case
    rng = np.random.default_rng(seed)
    layer = vg.Conv2D(C, F, kernel, stride=stride, padding=padding, seed=seed)
    layer.params["b"][...] = rng.standard_normal((F, 1))
    return layer, rng.standard_normal((C, H, W, m))


def check_layer_gradients(layer, A_prev, seed=1):
    """Every gradient of J = Σ G ⊙ layer(A_prev), for a random G, against central
    differences: dJ/dA_prev and dJ/d(each parameter)."""
    G = np.random.default_rng(seed).standard_normal(layer.forward(A_prev, True).shape)

    def cost():
        return float(np.sum(layer.forward(A_prev, True) * G))

    layer.forward(A_prev, True)
    dA_prev = layer.backward(G)
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    assert relative_error(dA_prev, numeric_gradient(cost, A_prev)) < 1e-8
    for name, p in layer.params.items():
        assert relative_error(analytic[name], numeric_gradient(cost, p)) < 1e-8, name


def assert_equals_loops(layer, A_prev):
    """The layer's forward and every gradient equal the loop reference's."""
    W, b = layer.params["W"], layer.params["b"]
    Z = layer.forward(A_prev, True)
    np.testing.assert_allclose(Z, loops.convolve(A_prev, W, b, layer.stride, layer.padding),
                               rtol=1e-12, atol=1e-12)
    dZ = np.random.default_rng(4).standard_normal(Z.shape)
    dA_prev = layer.backward(dZ)
    expected = loops.convolve_grads(A_prev, W, dZ, layer.stride, layer.padding)
    for ours, theirs in zip((dA_prev, layer.grads["W"], layer.grads["b"]), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_gradients_equal_central_differences(case):
    layer, A_prev = conv_from(case)
    check_layer_gradients(layer, A_prev)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind", [vg.MaxPool2D, vg.AvgPool2D])
def test_pool_gradients_equal_central_differences(kind, case):
    C, H, W, m, kernel, stride = case
    # Distinct values at least 1e-3 apart: no max changes within the ±1e-6 steps.
    A_prev = np.random.default_rng(2).permutation(C * H * W * m).reshape(C, H, W, m) * 1e-3
    check_layer_gradients(kind(kernel, stride), A_prev)


def test_flatten_and_global_pool_gradients_equal_central_differences():
    A_prev = np.random.default_rng(3).standard_normal((3, 4, 5, 2))
    check_layer_gradients(vg.Flatten(), A_prev)
    check_layer_gradients(vg.GlobalAvgPool2D(), A_prev)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_equals_the_loop_reference(case, backend):
    if backend == "numba":
        pytest.importorskip("numba", reason="the compiled im2col and col2im need numba")
    layer, A_prev = conv_from(case)
    layer.backend = backend
    assert_equals_loops(layer, A_prev)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind, mode, backend", [(vg.MaxPool2D, "max", "numpy"),
                                                 (vg.MaxPool2D, "max", "numba"),
                                                 (vg.AvgPool2D, "average", None)])
def test_pool_equals_the_loop_reference(kind, mode, case, backend):
    if backend == "numba":
        pytest.importorskip("numba", reason="the compiled max-pool backward needs numba")
    C, H, W, m, kernel, stride = case
    rng = np.random.default_rng(5)
    # Small integers: plenty of ties, which both must break the same way.
    A_prev = rng.integers(0, 3, (C, H, W, m)).astype(np.float64)
    layer = kind(kernel, stride)
    if backend:
        layer.backend = backend
    A = layer.forward(A_prev)
    np.testing.assert_allclose(A, loops.pool(A_prev, layer.kernel_size, layer.stride, mode),
                               rtol=1e-13)
    dA = rng.standard_normal(A.shape)
    np.testing.assert_allclose(layer.backward(dA), loops.pool_grads(
        A_prev, dA, layer.kernel_size, layer.stride, mode), rtol=1e-12, atol=1e-15)


def test_max_pool_tie_sends_the_whole_gradient_to_the_first_entry():
    A_prev = np.zeros((1, 2, 2, 1))
    A_prev[0, 0, 1, 0] = A_prev[0, 1, 0, 0] = 5.0
    layer = vg.MaxPool2D(2)
    layer.forward(A_prev)
    dA_prev = layer.backward(np.full((1, 1, 1, 1), 3.0))
    assert dA_prev[0, :, :, 0].tolist() == [[0.0, 3.0], [0.0, 0.0]]


def test_max_pool_kink_distance_is_the_gap_to_the_window_max():
    A_prev = np.array([[1.0, 4.0], [3.5, 2.0]]).reshape(1, 2, 2, 1)
    distance = vg.MaxPool2D(2).kink_distance(A_prev)
    assert distance[0, :, :, 0].tolist() == [[3.0, 0.5], [0.5, 2.0]]
    tied = np.array([[1.0, 4.0], [4.0, 2.0]]).reshape(1, 2, 2, 1)
    assert vg.MaxPool2D(2).kink_distance(tied)[0, 0, 1, 0] == 0.0


def test_output_shapes_follow_the_window_formula():
    assert vg.Conv2D(3, 8, 5, stride=2, padding=1).output_shape((3, 32, 31)) == (8, 15, 15)
    assert vg.Conv2D(1, 4, (3, 5), padding="same").output_shape((1, 9, 10)) == (4, 9, 10)
    assert vg.Conv2D(3, 8, 3).output_shape((3, None, 12)) == (8, None, 10)
    assert vg.MaxPool2D(3, 2).output_shape((5, 7, 8)) == (5, 3, 3)
    assert vg.AvgPool2D((2, 3)).output_shape((5, 7, 8)) == (5, 3, 2)
    assert vg.Flatten().output_shape((16, 5, 5)) == (400,)
    assert vg.GlobalAvgPool2D().output_shape((16, 5, 5)) == (16,)
    layer = vg.Conv2D(2, 3, 3, stride=2, padding=1)
    assert layer.forward(np.zeros((2, 7, 8, 4))).shape == (3, 4, 4, 4)


def lenet_like(loss, dtype="float64", seed=0, pool=vg.MaxPool2D):
    """conv → ReLU → pool → conv → ReLU → pool → flatten → dense on 2×11×10 images."""
    return vg.Sequential([
        vg.Conv2D(2, 3, 3, padding=1), vg.ReLU(), pool(2),
        vg.Conv2D(3, 4, (2, 3), stride=(1, 2)), vg.Tanh(), pool(2, 1),
        vg.Flatten(), vg.Dense(4 * 3 * 1, 3)], loss=loss, dtype=dtype, seed=seed,
        input_shape=(2, 11, 10))


def test_conv_net_shapes_and_bit_identical_save_load(tmp_path):
    model = lenet_like(vg.SoftmaxCrossEntropy(), dtype="float32")
    assert [tuple(p.shape) for p in model.params.values()] == [
        (3, 2, 3, 3), (3, 1), (4, 3, 2, 3), (4, 1), (3, 12), (3, 1)]
    X = np.random.default_rng(6).random((2, 11, 10, 5)).astype(np.float32)
    model.fit(X, np.arange(5) % 3, epochs=2, batch_size=2, verbose=0)
    model.save(tmp_path / "conv.npz")
    loaded = vg.load(tmp_path / "conv.npz")
    assert repr(loaded.layers) == repr(model.layers)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_gradcheck_passes_on_a_conv_net_with_relu_zeros_and_max_pool_ties():
    model = lenet_like(vg.SoftmaxCrossEntropy())
    rng = np.random.default_rng(7)
    # Whole-number pixels: ties in many pooling windows, and pre-activations that are
    # exactly 0 after zeroing the first conv's weights on one channel.
    X = rng.integers(0, 3, (2, 11, 10, 4)).astype(np.float64)
    model.params["W1"][0] = 0.0
    report = vg.gradcheck(model, X, rng.integers(0, 3, 4), mode="full")
    assert report.ok, report
    conv = vg.Sequential([vg.Conv2D(1, 2, 3), vg.ReLU(), vg.MaxPool2D(2), vg.Flatten(),
                          vg.Dense(8, 2)], loss=vg.SoftmaxCrossEntropy(), dtype="float64",
                         input_shape=(1, 6, 6))
    assert vg.gradcheck(conv, rng.random((1, 6, 6, 3)), rng.integers(0, 2, 3)).ok


def test_gradcheck_names_a_wrong_conv_backward():
    class OffByOnePercent(vg.Conv2D):
        """dW 1% too large."""

        def backward(self, dZ):
            dA_prev = super().backward(dZ)
            self.grads["W"] *= 1.01
            return dA_prev

    model = vg.Sequential([OffByOnePercent(1, 2, 3, stride=2), vg.ReLU(), vg.Flatten(),
                           vg.Dense(18, 2)], loss=vg.SoftmaxCrossEntropy(), dtype="float64",
                          input_shape=(1, 7, 7))
    rng = np.random.default_rng(8)
    report = vg.gradcheck(model, rng.random((1, 7, 7, 3)), rng.integers(0, 2, 3))
    assert not report.ok
    assert [p.name for p in report.params if not p.ok] == ["W1"]


# ---- bad input ---------------------------------------------------------------------------

def test_examples_first_batch_is_named_with_its_transpose():
    layer = vg.Conv2D(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2D.*\(3, H, W, m\).*\(5, 3, 8, 8\).*"
                                         r"np.moveaxis\(X, 0, -1\)"):
        layer.forward(np.zeros((5, 3, 8, 8)))
    model = vg.Sequential([vg.Conv2D(3, 4, 3), vg.Flatten(), vg.Dense(4 * 6 * 6, 2)],
                          loss=vg.SoftmaxCrossEntropy(), input_shape=(3, 8, 8))
    with pytest.raises(ValueError, match=r"\(3, 8, 8, m\).*np.moveaxis\(X, 0, -1\)"):
        model.predict(np.zeros((5, 3, 8, 8), np.float32))


def test_channel_mismatch_names_both_counts():
    with pytest.raises(ValueError, match=r"layer 2 .*Conv2D\(in_channels=4.*4 channels.*"
                                         r"\(6, 12, 12, m\) \(6 channels\)"):
        vg.Sequential([vg.Conv2D(1, 6, 5), vg.ReLU(), vg.Conv2D(4, 8, 3)],
                      input_shape=(1, 16, 16))
    with pytest.raises(ValueError, match=r"channels look last.*np.moveaxis\(X, -1, 0\)"):
        vg.Conv2D(3, 4, 3).output_shape((28, 28, 3))
    with pytest.raises(ValueError, match=r"expects a batch of images.*\(784, 10\)"):
        vg.Conv2D(1, 4, 3).forward(np.zeros((784, 10)))


def test_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"kernel's height 5 is larger than the padded "
                                         r"input's 4 \(input shape \(1, 2, 9, m\), padding 1\)"):
        vg.Conv2D(1, 2, 5, padding=1).output_shape((1, 2, 9))
    with pytest.raises(ValueError, match=r"MaxPool2D.*width 3 .*padded input's 2"):
        vg.Sequential([vg.MaxPool2D(3), vg.Flatten()], input_shape=(1, 6, 2))


def test_dense_input_to_a_conv_layer_and_images_into_dense():
    with pytest.raises(ValueError, match=r"images \(1, H, W, m\).*\(784, m\)"):
        vg.Sequential([vg.Conv2D(1, 2, 3)], input_shape=(784,))
    with pytest.raises(ValueError, match=r"Flatten\(\)"):
        vg.Sequential([vg.Conv2D(1, 2, 3), vg.Dense(2 * 26 * 26, 2)], input_shape=(1, 28, 28))
    # without input_shape the first batch builds the model, and a size that does not fit
    # is refused then, by the layer that cannot take it
    model = vg.Sequential([vg.Conv2D(1, 2, 3), vg.Flatten(), vg.Dense(8, 2)])
    with pytest.raises(ValueError, match=r"layer 2 .*Dense"):
        model.forward(np.zeros((1, 28, 28, 1), np.float32))


@pytest.mark.parametrize("kwargs, message", [
    ({"kernel_size": 0}, r"kernel_size must be an integer ≥ 1 .*got 0"),
    ({"kernel_size": (3, 3, 3)}, r"kernel_size .*pair.*\(3, 3, 3\)"),
    ({"kernel_size": 3, "stride": 0}, r"stride must be an integer ≥ 1.*got 0"),
    ({"kernel_size": 3, "padding": -1}, r"padding must be an integer ≥ 0.*got -1"),
    ({"kernel_size": 2, "padding": "same"}, r"padding='same' needs stride 1 and an odd kernel"),
    ({"kernel_size": 3, "stride": 2, "padding": "same"}, r"padding='same' needs stride 1"),
    ({"kernel_size": 3, "init": "zeros"}, r"Conv2D init must be one of"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        vg.Conv2D(2, 3, **kwargs)


@pytest.fixture
def block(monkeypatch):
    """Sets conv._BLOCK (columns per block) for one test, its cached blocks cleared."""
    from verigrad.layers import conv

    def set_block(columns):
        monkeypatch.setattr(conv, "_BLOCK", columns)
        conv.row_blocks.cache_clear()

    yield set_block
    conv.row_blocks.cache_clear()


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("columns", [1, 14, 40])
@pytest.mark.parametrize("case", CONV_CASES[:4])
def test_products_in_row_blocks_equal_the_loop_reference(case, columns, backend, block):
    # one output row per block, several rows with a shorter last block, or all at once
    if backend == "numba":
        pytest.importorskip("numba", reason="the compiled im2col and col2im need numba")
    block(columns)
    layer, A_prev = conv_from(case)
    layer.backend = backend
    assert_equals_loops(layer, A_prev)


def test_row_blocks_hold_about_block_columns_and_not_many_more_entries():
    from verigrad.layers import conv
    # LeNet-5's first layer at 64 examples: rows of 28·64 columns of 25 entries, 2 a block
    assert conv.row_blocks(28, 1792, 25)[:2] == (slice(0, 2), slice(2, 4))
    # the two-conv net's second: 288 entries a column, so one row of 24·64 columns a block
    assert len(conv.row_blocks(24, 1536, 288)) == 24
    # a last, shorter block
    assert conv.row_blocks(5, 2048, 1)[-1] == slice(4, 5)


def test_only_one_block_of_x_col_is_kept(block):
    from verigrad.layers import conv
    block(10)
    layer = vg.Conv2D(2, 3, 3, padding=1)
    A_prev = np.random.default_rng(0).standard_normal((2, 9, 5, 4))
    Z = layer.forward(A_prev, training=True)
    layer.backward(np.ones_like(Z))
    # 10 columns are half a row of 5 pixels × 4 examples: one row per block, 9 blocks
    assert conv.row_blocks(9, 20, 18) == tuple(slice(i, i + 1) for i in range(9))
    assert layer._X_col.shape == layer._dX_col.shape == (2 * 3 * 3 * 1 * 5 * 4,)
