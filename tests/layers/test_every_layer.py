"""One test that every layer passes, as Keras's ``run_layer_test``: each built-in layer
(the registry of ``verigrad.modelfile`` lists them, so a layer exported from
``verigrad.layers`` joins by itself) and a learner's own layer.

For each: backward against float64 central differences, the output shape it declares,
a rebuild from ``get_config``, ``save`` and ``vg.load`` giving bit-identical outputs in
float32 and float64, a batch of one giving the same as that example in a larger batch, and
input of the wrong shape refused with an error naming the argument.
"""
import numpy as np
import pytest
from numerics import numeric_gradient, relative_error

import verigrad as vg
from verigrad import modelfile


class Scale(vg.Layer):
    """A learner's layer: each feature times its own learned factor, y = s ⊙ x."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.params = {"s": np.linspace(0.5, 1.5, n).reshape(n, 1)}
        self.grads = {"s": np.zeros((n, 1))}

    def forward(self, A_prev, training=False):
        self.A_prev = A_prev
        return self.params["s"] * A_prev

    def backward(self, dA):
        self.grads["s"] = np.sum(dA * self.A_prev, axis=1, keepdims=True)
        return self.params["s"] * dA

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.n,):
            raise ValueError(f"Scale({self.n}) takes ({self.n},), got {tuple(input_shape)}")
        return (self.n,)

    def get_config(self):
        return {"n": self.n}


#: constructor arguments and the shape of one input example, per layer. A layer the
#: registry lists and this table does not fails the first test: add it here.
CASES = {
    "Dense": ({"n_in": 4, "n_out": 3}, (4,)),
    "ReLU": ({}, (4,)),
    "LeakyReLU": ({"alpha": 0.1}, (4,)),
    "Sigmoid": ({}, (4,)),
    "Tanh": ({}, (4,)),
    "Softmax": ({}, (4,)),
    "Dropout": ({"rate": 0.3}, (4,)),
    "BatchNorm": ({"n_features": 4}, (4,)),
    "BatchNorm2D": ({"channels": 2}, (2, 4, 4)),
    "LayerNorm": ({"n_features": 4}, (4,)),
    "GroupNorm": ({"groups": 2, "channels": 4}, (4, 3, 3)),
    "Conv2D": ({"in_channels": 2, "out_channels": 2, "kernel_size": 2, "padding": 1},
               (2, 3, 3)),
    "MaxPool2D": ({"kernel_size": 2}, (2, 4, 4)),
    "AvgPool2D": ({"kernel_size": 2}, (2, 4, 4)),
    "GlobalAvgPool2D": ({}, (2, 3, 3)),
    "Flatten": ({}, (2, 3, 3)),
    "Embedding": ({"vocab_size": 7, "n": 3}, (5,)),
    "RNN": ({"n_x": 3, "n_a": 4}, (3, 5)),
    "LSTM": ({"n_x": 3, "n_a": 4}, (3, 5)),
    "GRU": ({"n_x": 3, "n_a": 4}, (3, 5)),
    "GELU": ({}, (4,)),
    "MultiHeadAttention": ({"d_model": 4, "num_heads": 2, "causal": True}, (4, 3)),
    "PositionalEncoding": ({"d_model": 4, "max_len": 6}, (4, 3)),
    "TransformerBlock": ({"d_model": 4, "num_heads": 2, "d_ff": 8}, (4, 3)),
    "Scale": ({"n": 4}, (4,)),
}
LAYERS = {**{cls.__name__: cls for cls in modelfile.BUILTIN_LAYERS.values()}, "Scale": Scale}


def test_every_registered_layer_has_a_case():
    missing = sorted(set(LAYERS) - set(CASES))
    assert not missing, f"add constructor arguments and an input shape to CASES for {missing}"


def inputs(layer, shape, m, rng):
    """A batch of m examples of ``shape`` that ``layer`` takes: token ids for an index
    layer, else normal draws kept 1e-3 away from 0 (ReLU's kink)."""
    if layer.input_kind == "index":
        return rng.integers(0, 7, (*shape, m))
    X = rng.standard_normal((*shape, m))
    return np.where(np.abs(X) < 1e-3, 1e-3, X)


def build(name, dtype="float64"):
    config, shape = CASES[name]
    layer = LAYERS[name](**config)
    model = vg.Sequential([layer], dtype=dtype, input_shape=shape, seed=1)
    layer.set_rng(np.random.default_rng(2))
    return model, layer, shape


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_backward_matches_central_differences_in_float64(name):
    model, layer, shape = build(name)
    rng = np.random.default_rng(0)
    X = inputs(layer, shape, 3, rng)
    layer.keep_random_draws()  # Dropout: one mask for every pass
    layer.needs_input_grad = True
    G = rng.standard_normal(layer.forward(X, training=True).shape)

    def J():
        return float(np.sum(G * layer.forward(X, training=True)))

    layer.forward(X, training=True)
    dX = layer.backward(G)
    grads = {key: g.copy() for key, g in layer.grads.items()}
    if layer.input_kind == "index":
        assert dX is None  # token ids have no gradient
    else:
        assert relative_error(dX, numeric_gradient(J, X)) < 1e-6
    for key, p in layer.params.items():
        assert grads[key].shape == p.shape
        numeric = numeric_gradient(J, p)
        # a gradient that is zero in exact arithmetic (attention's key bias: the softmax
        # ignores a shift of every score of a row) is judged by its absolute size: the
        # central difference of a flat J is then rounding alone, an ulp of J (about 4e-16
        # for J near 2) over 2·eps = 2e-6, so up to a few 1e-10
        assert (relative_error(grads[key], numeric) < 1e-6
                or np.max(np.abs(grads[key] - numeric)) < 1e-8), key


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_shape_config_save_load_and_a_batch_of_one(name, tmp_path):
    for dtype in ("float32", "float64"):
        model, layer, shape = build(name, dtype)
        rng = np.random.default_rng(3)
        X = inputs(layer, shape, 3, rng)
        if layer.input_kind != "index":
            X = X.astype(dtype)
        layer.forward(X, training=True)  # moves running statistics away from their start
        for key in model.state:
            model.state[key] = rng.random(model.state[key].shape) + 0.5
        out = model.forward(X)
        assert out.dtype == np.dtype(dtype)
        declared = layer.output_shape(shape)
        assert out.shape[-1] == 3 and len(out.shape) == len(declared) + 1
        assert all(s is None or s == k for s, k in zip(declared, out.shape))
        # a batch of one is that example of a larger batch
        np.testing.assert_allclose(model.forward(X[..., 1:2]), out[..., 1:2],
                                   rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)
        # get_config rebuilds a layer of the same shapes
        again = type(layer)(**layer.get_config())
        assert again.get_config() == layer.get_config()
        assert {k: v.shape for k, v in again.params.items()} == \
            {k: v.shape for k, v in layer.params.items()}
        assert tuple(again.output_shape(shape)) == tuple(declared)
        # save and load: the same outputs, bit for bit
        model.save(tmp_path / f"{name}-{dtype}.npz")
        loaded = vg.load(tmp_path / f"{name}-{dtype}.npz", custom_layers=[Scale])
        assert type(loaded.layers[0]) is type(layer) and loaded.dtype == model.dtype
        np.testing.assert_array_equal(loaded.forward(X), out)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_input_of_the_wrong_shape_is_refused_by_name(name):
    model, layer, shape = build(name)
    wrong = (shape[0] + 1, *shape[1:])
    X = inputs(layer, wrong, 2, np.random.default_rng(4))
    with pytest.raises(ValueError, match=r"\bX\b") as err:
        model.forward(X)
    assert str(wrong[0]) in str(err.value) or str(wrong) in str(err.value)
