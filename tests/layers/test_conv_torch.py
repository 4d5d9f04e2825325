"""Conv2D, MaxPool2D, AvgPool2D and conv nets against PyTorch, in float64.

PyTorch's batches are (m, C, H, W); ours keep the example axis last, (C, H, W, m), so the
tests move axes with ``np.moveaxis(X, 0, -1)`` and back. Kernels (F, C, kh, kw) and the
flattening order are the same in both.
"""
import numpy as np
import pytest
from test_conv import CONV_CASES, POOL_CASES, conv_from, lenet_like

import verigrad as vg

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle: pip install torch==2.13.0")
F = torch.nn.functional


def to_torch(A, grad=False):
    """(C, H, W, m) -> a (m, C, H, W) tensor."""
    return torch.tensor(np.moveaxis(A, -1, 0), requires_grad=grad)


def from_torch(T):
    return np.moveaxis(T.detach().numpy(), 0, -1)


def close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_and_every_gradient_equal_torch(case):
    layer, A_prev = conv_from(case)
    padding = "same" if case[-1] == "same" else layer.padding
    X = to_torch(A_prev, grad=True)
    W = torch.tensor(layer.params["W"], requires_grad=True)
    b = torch.tensor(layer.params["b"][:, 0], requires_grad=True)
    Z_t = F.conv2d(X, W, b, stride=layer.stride, padding=padding)
    Z = layer.forward(A_prev, training=True)
    close(Z, from_torch(Z_t), "Z")
    dZ = np.random.default_rng(9).standard_normal(Z.shape)
    Z_t.backward(to_torch(dZ))
    close(layer.backward(dZ), from_torch(X.grad), "dA_prev")
    close(layer.grads["W"], W.grad.numpy(), "dW")
    close(layer.grads["b"][:, 0], b.grad.numpy(), "db")


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind, torch_pool", [(vg.MaxPool2D, F.max_pool2d),
                                              (vg.AvgPool2D, F.avg_pool2d)])
def test_pool_forward_and_gradient_equal_torch(kind, torch_pool, case):
    C, H, W, m, kernel, stride = case
    rng = np.random.default_rng(10)
    # Whole numbers from a small range: many ties, broken as PyTorch breaks them.
    A_prev = rng.integers(0, 4, (C, H, W, m)).astype(np.float64)
    layer = kind(kernel, stride)
    X = to_torch(A_prev, grad=True)
    A_t = torch_pool(X, layer.kernel_size, layer.stride)
    A = layer.forward(A_prev, training=True)
    close(A, from_torch(A_t), "A")
    dA = rng.standard_normal(A.shape)
    A_t.backward(to_torch(dA))
    close(layer.backward(dA), from_torch(X.grad), "dA_prev")


LOSSES = {
    "softmax": vg.SoftmaxCrossEntropy,
    "binary": vg.BinaryCrossEntropy,
    "mse": vg.MSE,
}


def torch_cost(X, Y, params, loss, pool):
    """lenet_like's cost in torch ops, from the same parameters."""
    t_pool = F.max_pool2d if pool is vg.MaxPool2D else F.avg_pool2d
    A = t_pool(torch.relu(F.conv2d(X, params["W1"], params["b1"][:, 0], padding=1)), 2)
    A = torch.tanh(F.conv2d(A, params["W2"], params["b2"][:, 0], stride=(1, 2)))
    A = t_pool(A, 2, 1).flatten(1)
    Z = A @ params["W3"].T + params["b3"][:, 0]           # (m, n_out)
    m = X.shape[0]
    Y = torch.from_numpy(Y)
    if loss == "softmax":
        return F.cross_entropy(Z, Y)
    if loss == "binary":
        return F.binary_cross_entropy_with_logits(Z, Y.T, reduction="sum") / m
    return 0.5 * torch.sum((Z - Y.T) ** 2) / m


def problem(loss, pool=vg.MaxPool2D, m=5):
    model = lenet_like(LOSSES[loss](), pool=pool)
    rng = np.random.default_rng(11)
    for name in model.params:
        if name.startswith("b"):
            model.params[name] = 0.1 * rng.standard_normal(model.params[name].shape)
    X = rng.standard_normal((2, 11, 10, m))
    Y = {"softmax": rng.integers(0, 3, m),
         "binary": rng.integers(0, 2, (3, m)).astype(np.float64),
         "mse": rng.standard_normal((3, m))}[loss]
    return model, X, Y


@pytest.mark.parametrize("loss, pool", [("softmax", vg.MaxPool2D), ("binary", vg.MaxPool2D),
                                        ("mse", vg.MaxPool2D), ("softmax", vg.AvgPool2D)])
def test_conv_net_cost_and_gradients_equal_torch_autograd(loss, pool):
    model, X, Y = problem(loss, pool)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    cost_t = torch_cost(to_torch(X), Y, params, loss, pool)
    cost_t.backward()
    cost, grads = model.cost_and_grads(X, Y)
    assert cost == pytest.approx(cost_t.item(), rel=1e-12)
    for name, p in params.items():
        close(grads["d" + name], p.grad.numpy(), "d" + name)


def test_adam_steps_on_a_conv_net_equal_torch_optim():
    model, X, Y = problem("softmax")
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    theirs = torch.optim.Adam(params.values(), lr=0.01, betas=(0.8, 0.99), eps=1e-7)
    ours = vg.Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-7, backend="numpy")
    X_t = to_torch(X)
    for step in range(5):
        _, grads = model.cost_and_grads(X, Y)
        ours.step(model.params, {k[1:]: g for k, g in grads.items()})
        theirs.zero_grad()
        torch_cost(X_t, Y, params, "softmax", vg.MaxPool2D).backward()
        theirs.step()
        for k, p in params.items():
            np.testing.assert_allclose(model.params[k], p.detach().numpy(), rtol=1e-10,
                                       atol=1e-13, err_msg=f"step {step + 1} {k}")
