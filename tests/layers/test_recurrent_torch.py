"""Recurrent layers, Embedding and the sequence loss against PyTorch autograd in float64:
outputs, final states and every gradient at 1e-10.

PyTorch packs a layer's gate blocks into weight_ih (G·n_a, n_x) and weight_hh (G·n_a, n_a),
in the order i, f, g, o for the LSTM and r, z, n for the GRU, with two biases per block.
The course's blocks act on [a⟨t−1⟩; x⟨t⟩], so each one is [weight_hh block, weight_ih block]
and its bias is the sum of the two. PyTorch's GRU update gate z weighs the old state, the
course's Γu the candidate: Γu = 1 − z, so Wu and bu are the negated z blocks.
"""
import numpy as np
import pytest

import verigrad as vg

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle: pip install torch==2.13.0")

TOL = dict(rtol=1e-10, atol=1e-12)
# PyTorch's block index of each course gate, and the sign that maps it
BLOCKS = {"RNN": {}, "LSTM": {"i": (0, 1), "f": (1, 1), "c": (2, 1), "o": (3, 1)},
          "GRU": {"r": (0, 1), "u": (1, -1), "c": (2, 1)}}


def torch_layer(kind, n_x, n_a, seed):
    torch.manual_seed(seed)
    module = getattr(torch.nn, kind)(n_x, n_a, dtype=torch.float64)
    with torch.no_grad():
        for p in module.parameters():  # larger than the default, so every path matters
            p.uniform_(-0.8, 0.8)
    return module


def course_params(kind, module):
    """The course's named blocks for a PyTorch layer's packed weights (as NumPy)."""
    W_ih, W_hh = module.weight_ih_l0.detach().numpy(), module.weight_hh_l0.detach().numpy()
    b_ih, b_hh = module.bias_ih_l0.detach().numpy(), module.bias_hh_l0.detach().numpy()
    return _to_course(kind, W_ih, W_hh, b_ih, b_hh, module.hidden_size)


def course_grads(kind, module):
    """The gradients of the course's blocks, from PyTorch's: a block's bias gradient is that
    of either bias (both enter the same sum), except the GRU's reset-gated hidden bias."""
    g = [p.grad.numpy() for p in (module.weight_ih_l0, module.weight_hh_l0,
                                  module.bias_ih_l0, module.bias_hh_l0)]
    return _to_course(kind, *g, module.hidden_size, grads=True)


def _to_course(kind, W_ih, W_hh, b_ih, b_hh, n_a, grads=False):
    if kind == "RNN":
        return {"Waa": W_hh, "Wax": W_ih, "ba": (b_ih if grads else b_ih + b_hh)[:, None]}
    out = {}
    for gate, (k, sign) in BLOCKS[kind].items():
        rows = slice(k * n_a, (k + 1) * n_a)
        out[f"W{gate}"] = sign * np.concatenate([W_hh[rows], W_ih[rows]], axis=1)
        b = b_ih[rows] if grads or (kind == "GRU" and gate == "c") else b_ih[rows] + b_hh[rows]
        out[f"b{gate}"] = sign * b[:, None]
    if kind == "GRU":
        out["bca"] = b_hh[2 * n_a:][:, None]
    return out


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("shape", [(3, 2, 1, 1), (2, 5, 4, 3), (4, 3, 7, 2)],
                         ids=lambda s: "n_x={}-n_a={}-T={}-m={}".format(*s))
def test_layer_equals_torch(kind, shape):
    n_x, n_a, T, m = shape
    module = torch_layer(kind, n_x, n_a, seed=T)
    layer = getattr(vg, kind)(n_x, n_a)
    for name, value in course_params(kind, module).items():
        layer.params[name][...] = value
    rng = np.random.default_rng(T)
    X = rng.standard_normal((n_x, T, m))
    states = [rng.standard_normal((n_a, m)) for _ in layer.STATES]
    R = rng.standard_normal((n_a, T, m))

    # PyTorch's layout: (T, m, n_x) in, (T, m, n_a) out, states (1, m, n_a)
    X_t = torch.tensor(X.transpose(1, 2, 0), requires_grad=True)
    states_t = [torch.tensor(s.T[None], requires_grad=True) for s in states]
    out_t, final_t = module(X_t, tuple(states_t) if kind == "LSTM" else states_t[0])
    (out_t * torch.tensor(R.transpose(1, 2, 0))).sum().backward()

    A = layer.forward(X, initial_state=tuple(states) if kind == "LSTM" else states[0])
    dX = layer.backward(R)
    np.testing.assert_allclose(A, out_t.detach().numpy().transpose(2, 0, 1), **TOL)
    finals = layer.final_state if kind == "LSTM" else (layer.final_state,)
    finals_t = final_t if kind == "LSTM" else (final_t,)
    for ours, theirs in zip(finals, finals_t):
        np.testing.assert_allclose(ours, theirs.detach().numpy()[0].T, **TOL)
    np.testing.assert_allclose(dX, X_t.grad.numpy().transpose(2, 0, 1), **TOL)
    d_states = layer.d_initial_state if kind == "LSTM" else (layer.d_initial_state,)
    for ours, theirs in zip(d_states, states_t):
        np.testing.assert_allclose(ours, theirs.grad.numpy()[0].T, **TOL)
    expected = course_grads(kind, module)
    assert set(expected) == set(layer.grads)
    for name, grad in expected.items():
        np.testing.assert_allclose(layer.grads[name], grad, **TOL, err_msg=name)


def test_embedding_equals_torch_with_repeated_indices():
    rng = np.random.default_rng(0)
    layer = vg.Embedding(5, 3)
    ids = np.array([[0, 2, 2], [2, 4, 0], [2, 2, 1], [0, 2, 3]])  # token 2 six times
    module = torch.nn.Embedding(5, 3, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.params["W"].T))
    dA = rng.standard_normal((3, *ids.shape))
    out_t = module(torch.tensor(ids.T))  # PyTorch: (m, T) ids -> (m, T, n)
    (out_t * torch.tensor(dA.transpose(2, 1, 0))).sum().backward()
    out = layer.forward(ids)
    assert layer.backward(dA) is None
    np.testing.assert_allclose(out, out_t.detach().numpy().transpose(2, 1, 0), **TOL)
    np.testing.assert_allclose(layer.grads["W"], module.weight.grad.numpy().T, **TOL)
    # token 2's gradient is the sum over its six places, which plain fancy-index += misses
    np.testing.assert_allclose(layer.grads["W"][:, 2], dA[:, ids == 2].sum(axis=1), **TOL)


def test_sequence_loss_equals_torch_cross_entropy_with_padding():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((4, 3, 5))
    Y = rng.integers(0, 4, size=(3, 5))
    Y[1:, 0] = -1
    Z_t = torch.tensor(Z, requires_grad=True)
    # PyTorch takes (N, C) logits: one row per (t, example)
    cost_t = torch.nn.functional.cross_entropy(Z_t.reshape(4, -1).T, torch.tensor(Y.ravel()),
                                               ignore_index=-1)
    cost_t.backward()
    loss = vg.SequenceSoftmaxCrossEntropy()
    np.testing.assert_allclose(loss.forward(Z, Y), cost_t.item(), **TOL)
    np.testing.assert_allclose(loss.backward(), Z_t.grad.numpy(), **TOL)
    # an explicit mask does the same as the −1 labels
    mask = Y >= 0
    np.testing.assert_allclose(loss.forward(Z, np.where(mask, Y, 2), mask=mask),
                               cost_t.item(), **TOL)


class CharModel(torch.nn.Module):
    def __init__(self, vocab, n_e, n_a):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, n_e, dtype=torch.float64)
        self.lstm = torch.nn.LSTM(n_e, n_a, dtype=torch.float64)
        self.out = torch.nn.Linear(n_a, vocab, dtype=torch.float64)

    def forward(self, ids):  # ids (T, m)
        A, _ = self.lstm(self.embed(ids))
        return self.out(A)  # (T, m, vocab)


def test_embedding_lstm_dense_model_equals_torch_autograd():
    """Embedding → LSTM → time-distributed Dense → sequence softmax cross-entropy, with
    padding, L2, and gradient clipping by global norm over every layer's gradients."""
    vocab, n_e, n_a, T, m, l2 = 7, 3, 5, 6, 4, 0.2
    torch.manual_seed(0)
    net = CharModel(vocab, n_e, n_a)
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.6, 0.6)
    model = vg.Sequential([vg.Embedding(vocab, n_e), vg.LSTM(n_e, n_a), vg.Dense(n_a, vocab)],
                          loss=vg.SequenceSoftmaxCrossEntropy(), l2=l2, dtype="float64")
    model.params["W1"] = net.embed.weight.detach().numpy().T
    for name, value in course_params("LSTM", net.lstm).items():
        model.params[name + "2"] = value
    model.params["W3"] = net.out.weight.detach().numpy()
    model.params["b3"] = net.out.bias.detach().numpy()[:, None]

    rng = np.random.default_rng(2)
    ids = rng.integers(0, vocab, size=(T, m))
    Y = rng.integers(0, vocab, size=(T, m))
    Y[-2:, 1] = -1  # a shorter sequence, padded
    logits = net(torch.tensor(ids))
    cost_t = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab),
                                               torch.tensor(Y.ravel()), ignore_index=-1)
    weights = [net.embed.weight, net.lstm.weight_ih_l0, net.lstm.weight_hh_l0, net.out.weight]
    cost_t = cost_t + l2 / (2 * m) * sum((w * w).sum() for w in weights)
    cost_t.backward()

    cost, grads = model.cost_and_grads(ids, Y)
    np.testing.assert_allclose(cost, cost_t.item(), **TOL)
    np.testing.assert_allclose(model.forward(ids), logits.detach().numpy().transpose(2, 0, 1),
                               **TOL)
    expected = {"dW1": net.embed.weight.grad.numpy().T,
                "dW3": net.out.weight.grad.numpy(), "db3": net.out.bias.grad.numpy()[:, None]}
    expected.update({f"d{k}2": v for k, v in course_grads("LSTM", net.lstm).items()})
    assert set(expected) == set(grads)
    for name, grad in expected.items():
        np.testing.assert_allclose(grads[name], grad, **TOL, err_msg=name)

    # clipping scales every gradient, the LSTM's included, by one factor from the global norm
    norm = np.sqrt(sum(np.sum(g * g) for g in expected.values()))
    before = {name: p.copy() for name, p in model.params.items()}
    vg.SGD(lr=1.0, clip_norm=0.05).step(model.params, {k[1:]: g for k, g in grads.items()})
    for name, grad in expected.items():
        np.testing.assert_allclose(before[name[1:]] - model.params[name[1:]],
                                   grad * 0.05 / (norm + 1e-6), **TOL, err_msg=name)
