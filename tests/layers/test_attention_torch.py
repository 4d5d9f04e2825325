"""Attention, the transformer block and GELU against PyTorch autograd in float64: outputs and
every gradient at 1e-10.

PyTorch works on (m, T, d) (batch_first=True), verigrad on (d, T, m): X.transpose(2, 1, 0)
maps one onto the other. ``torch.nn.MultiheadAttention`` packs the three input projections
into in_proj_weight = [Wq; Wk; Wv] and in_proj_bias = [bq; bk; bv]; out_proj is (Wo, bo).
PyTorch's key_padding_mask is True where a key is ignored: the negation of key_mask.
"""
import numpy as np
import pytest

import verigrad as vg

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle: pip install torch==2.13.0")

TOL = dict(rtol=1e-10, atol=1e-12)


def randomize(layer, rng):
    """Parameters well away from their initial values, so every path matters."""
    for p in layer.params.values():
        p[...] = rng.uniform(-0.8, 0.8, p.shape)


def as_torch(X, grad=False):
    return torch.tensor(X.transpose(2, 1, 0), dtype=torch.float64, requires_grad=grad)


def from_torch(t):
    return t.detach().numpy().transpose(2, 1, 0)


def attention_state(P, prefix=""):
    return {f"{prefix}in_proj_weight": np.concatenate([P["Wq"], P["Wk"], P["Wv"]]),
            f"{prefix}in_proj_bias": np.concatenate([P["bq"], P["bk"], P["bv"]])[:, 0],
            f"{prefix}out_proj.weight": P["Wo"], f"{prefix}out_proj.bias": P["bo"][:, 0]}


def block_state(P):
    """PyTorch's TransformerEncoderLayer state for a TransformerBlock's parameters (the
    mapping the block's docstring gives)."""
    return {**attention_state(P, "self_attn."),
            "linear1.weight": P["Wup"], "linear1.bias": P["bup"][:, 0],
            "linear2.weight": P["Wdown"], "linear2.bias": P["bdown"][:, 0],
            "norm1.weight": P["gamma_attn"][:, 0], "norm1.bias": P["beta_attn"][:, 0],
            "norm2.weight": P["gamma_ffn"][:, 0], "norm2.bias": P["beta_ffn"][:, 0]}


def check_grads(module, state_of_grads, mapping):
    named = dict(module.named_parameters())
    for name, expected in mapping(state_of_grads).items():
        np.testing.assert_allclose(expected, named[name].grad.numpy(), err_msg=name, **TOL)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padding", [None, "lengths", "key_mask"])
@pytest.mark.parametrize("shape", [(8, 2, 5, 3), (6, 3, 1, 2), (4, 1, 7, 1)],
                         ids=lambda s: "d={}-h={}-T={}-m={}".format(*s))
def test_multi_head_attention_equals_torch(causal, padding, shape):
    d, h, T, m = shape
    rng = np.random.default_rng(T)
    layer = vg.MultiHeadAttention(d, h, causal=causal)
    randomize(layer, rng)
    X, R = rng.standard_normal((d, T, m)), rng.standard_normal((d, T, m))
    lengths = rng.integers(1, T + 1, m)
    keep = np.arange(T)[:, None] < lengths[None, :]
    kwargs = {None: {}, "lengths": {"lengths": lengths}, "key_mask": {"key_mask": keep}}[padding]
    Y = layer.forward(X, training=True, **kwargs)
    dX = layer.backward(R)

    module = torch.nn.MultiheadAttention(d, h, batch_first=True, dtype=torch.float64)
    module.load_state_dict({k: torch.tensor(v) for k, v in attention_state(layer.params).items()})
    X_t = as_torch(X, grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    pad = torch.tensor(~keep.T) if padding else None
    if pad is not None:
        pad = torch.zeros(pad.shape, dtype=torch.float64).masked_fill(pad, -torch.inf)
    out, _ = module(X_t, X_t, X_t, attn_mask=mask if causal else None, key_padding_mask=pad,
                    need_weights=False)
    (out * as_torch(R)).sum().backward()

    np.testing.assert_allclose(Y, from_torch(out), **TOL)
    np.testing.assert_allclose(dX, from_torch(X_t.grad), **TOL)
    check_grads(module, layer.grads, attention_state)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("shape", [(8, 2, 12, 5, 3), (4, 4, 6, 1, 2)],
                         ids=lambda s: "d={}-h={}-ff={}-T={}-m={}".format(*s))
def test_transformer_block_equals_torch_encoder_layer(causal, shape):
    d, h, f, T, m = shape
    rng = np.random.default_rng(d + T)
    block = vg.TransformerBlock(d, h, f, causal=causal)
    randomize(block, rng)
    X, R = rng.standard_normal((d, T, m)), rng.standard_normal((d, T, m))
    Y = block.forward(X, training=True)
    dX = block.backward(R)

    module = torch.nn.TransformerEncoderLayer(d, h, f, dropout=0, activation="gelu",
                                              batch_first=True, norm_first=True,
                                              dtype=torch.float64)
    module.load_state_dict({k: torch.tensor(v) for k, v in block_state(block.params).items()})
    X_t = as_torch(X, grad=True)
    mask = (torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
            if causal else None)
    out = module(X_t, src_mask=mask, is_causal=causal)
    (out * as_torch(R)).sum().backward()

    np.testing.assert_allclose(Y, from_torch(out), **TOL)
    np.testing.assert_allclose(dX, from_torch(X_t.grad), **TOL)
    check_grads(module, block.grads, block_state)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_equals_torch(approximate):
    Z = np.linspace(-9, 9, 301).reshape(7, 43)
    dA = np.random.default_rng(0).standard_normal(Z.shape)
    layer = vg.GELU(approximate)
    A, dZ = layer.forward(Z), layer.backward(dA)
    Z_t = torch.tensor(Z, requires_grad=True)
    A_t = torch.nn.GELU(approximate=approximate)(Z_t)
    (A_t * torch.tensor(dA)).sum().backward()
    np.testing.assert_allclose(A, A_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(dZ, Z_t.grad.numpy(), **TOL)


def test_layer_norm_over_the_features_of_sequences_equals_torch():
    rng = np.random.default_rng(3)
    layer = vg.LayerNorm(5)
    randomize(layer, rng)
    X, R = 3 * rng.standard_normal((5, 4, 3)) + 1, rng.standard_normal((5, 4, 3))
    Y, dX = layer.forward(X), layer.backward(R)
    module = torch.nn.LayerNorm(5, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.params["gamma"][:, 0]))
        module.bias.copy_(torch.tensor(layer.params["beta"][:, 0]))
    X_t = as_torch(X, grad=True)
    out = module(X_t)
    (out * as_torch(R)).sum().backward()
    np.testing.assert_allclose(Y, from_torch(out), **TOL)
    np.testing.assert_allclose(dX, from_torch(X_t.grad), **TOL)
    np.testing.assert_allclose(layer.grads["gamma"][:, 0], module.weight.grad.numpy(), **TOL)
