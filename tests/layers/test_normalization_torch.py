"""Normalization layers against PyTorch in float64: forward, every gradient and the running
statistics over several training steps, then evaluation mode; and a Dense → BatchNorm →
ReLU → Dense network with each loss against autograd."""
import numpy as np
import pytest

import verigrad as vg

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle: pip install torch==2.13.0")
F = torch.nn.functional


def to_torch(X):
    """(C, ..., m) → (m, C, ...): PyTorch puts the example axis first."""
    return torch.tensor(np.moveaxis(X, -1, 0).copy(), requires_grad=True)


def from_torch(T):
    return np.moveaxis(T.detach().numpy(), 0, -1)


# (ours, theirs, one-example shape, batch sizes of the steps)
PAIRS = {
    "BatchNorm1d": (lambda: vg.BatchNorm(5, momentum=0.3, eps=1e-3),
                    lambda: torch.nn.BatchNorm1d(5, momentum=0.3, eps=1e-3), (5,), [7, 2, 11]),
    "BatchNorm2d": (lambda: vg.BatchNorm2D(3), lambda: torch.nn.BatchNorm2d(3), (3, 4, 5),
                    [2, 1, 3]),
    "LayerNorm": (lambda: vg.LayerNorm(6), lambda: torch.nn.LayerNorm(6), (6,), [4, 1, 3]),
    "GroupNorm": (lambda: vg.GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4), (4, 3, 2),
                  [3, 1, 2]),
}


def close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_training_steps_then_evaluation_equal_torch(name):
    make_ours, make_theirs, shape, batches = PAIRS[name]
    ours, theirs = make_ours(), make_theirs().double()
    rng = np.random.default_rng(0)
    with torch.no_grad():  # a learned scale and shift away from 1 and 0
        theirs.weight.copy_(torch.from_numpy(rng.standard_normal(theirs.weight.shape)))
        theirs.bias.copy_(torch.from_numpy(rng.standard_normal(theirs.bias.shape)))
    ours.params["gamma"][...] = theirs.weight.detach().numpy().reshape(-1, 1)
    ours.params["beta"][...] = theirs.bias.detach().numpy().reshape(-1, 1)

    for training, sizes in ((True, batches), (False, [3, 1])):
        theirs.train(training)
        for step, m in enumerate(sizes):
            what = f"{'training' if training else 'evaluation'} step {step + 1}"
            X = 3 * rng.standard_normal((*shape, m)) - 1
            G = rng.standard_normal(X.shape)
            Xt = to_torch(X)
            Yt = theirs(Xt)
            Yt.backward(to_torch(G))
            close(ours.forward(X, training), from_torch(Yt), f"{what}: output")
            close(ours.backward(G), from_torch(Xt.grad), f"{what}: dX")
            close(ours.grads["gamma"].ravel(), theirs.weight.grad.numpy(), f"{what}: dgamma")
            close(ours.grads["beta"].ravel(), theirs.bias.grad.numpy(), f"{what}: dbeta")
            theirs.zero_grad()
            if ours.state:
                close(ours.state["running_mean"].ravel(), theirs.running_mean.numpy(),
                      f"{what}: running mean")
                close(ours.state["running_var"].ravel(), theirs.running_var.numpy(),
                      f"{what}: running variance")


# ---- a network: Dense → BatchNorm → ReLU → Dense, each loss --------------------------------

N_IN, HIDDEN, N_OUT, M = 5, 7, 3, 9
L2 = 0.2


def torch_cost(loss, params, X, Y):
    A = torch.from_numpy(X)
    Z1 = params["W1"] @ A + params["b1"]
    mu = Z1.mean(dim=1, keepdim=True)
    var = Z1.var(dim=1, unbiased=False, keepdim=True)
    A1 = torch.relu(params["gamma2"] * (Z1 - mu) / torch.sqrt(var + 1e-5) + params["beta2"])
    Z = params["W3"] @ A1 + params["b3"]
    if isinstance(loss, vg.SoftmaxCrossEntropy):
        data = F.cross_entropy(Z.T, torch.from_numpy(Y))
    elif isinstance(loss, vg.BinaryCrossEntropy):
        data = F.binary_cross_entropy_with_logits(Z, torch.from_numpy(Y), reduction="sum") / M
    else:
        data = 0.5 * torch.sum((Z - torch.from_numpy(Y)) ** 2) / M
    return data + L2 / (2 * M) * (torch.sum(params["W1"] ** 2) + torch.sum(params["W3"] ** 2))


@pytest.mark.parametrize("loss", [vg.SoftmaxCrossEntropy(), vg.BinaryCrossEntropy(), vg.MSE()],
                         ids=lambda loss: type(loss).__name__)
def test_dense_batchnorm_relu_dense_equals_torch_autograd(loss):
    model = vg.Sequential([vg.Dense(N_IN, HIDDEN), vg.BatchNorm(HIDDEN), vg.ReLU(),
                           vg.Dense(HIDDEN, N_OUT)], loss=loss, l2=L2, dtype="float64")
    rng = np.random.default_rng(1)
    for name in ("b1", "gamma2", "beta2", "b3"):
        model.params[name] = rng.standard_normal(model.params[name].shape)
    X = rng.standard_normal((N_IN, M))
    Y = (rng.integers(0, N_OUT, M) if isinstance(loss, vg.SoftmaxCrossEntropy) else
         rng.integers(0, 2, (N_OUT, M)).astype(np.float64)
         if isinstance(loss, vg.BinaryCrossEntropy) else rng.standard_normal((N_OUT, M)))
    cost, grads = model.cost_and_grads(X, Y, training=True)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    t_cost = torch_cost(loss, params, X, Y)
    t_cost.backward()
    assert cost == pytest.approx(t_cost.item(), rel=1e-10)
    for name, p in params.items():
        close(grads[f"d{name}"], p.grad.numpy(), name)
    # b1 is cancelled by the batch mean that follows it: its true gradient is zero
    np.testing.assert_allclose(grads["db1"], 0, atol=1e-15)


# ---- images: Conv2D → BatchNorm2D → ReLU → MaxPool2D → Flatten → Dense ---------------------


def test_conv_batchnorm2d_relu_pool_stack_equals_torch_autograd():
    C, H, W, m, filters, n_out = 2, 6, 5, 4, 3, 3
    model = vg.Sequential([vg.Conv2D(C, filters, 3, padding=1), vg.BatchNorm2D(filters),
                           vg.ReLU(), vg.MaxPool2D(2), vg.Flatten(),
                           vg.Dense(filters * 3 * 2, n_out)],
                          loss=vg.SoftmaxCrossEntropy(), l2=L2, dtype="float64",
                          input_shape=(C, H, W))
    rng = np.random.default_rng(2)
    for name in ("b1", "gamma2", "beta2", "b3"):
        model.params[name] = rng.standard_normal(model.params[name].shape)
    X, Y = rng.standard_normal((C, H, W, m)), rng.integers(0, n_out, m)
    cost, grads = model.cost_and_grads(X, Y, training=True)

    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    Xt = torch.tensor(np.moveaxis(X, -1, 0).copy())
    Z1 = F.conv2d(Xt, params["W1"], params["b1"][:, 0], padding=1)
    A1 = F.batch_norm(Z1, None, None, params["gamma2"][:, 0], params["beta2"][:, 0],
                      training=True, eps=1e-5)
    A = F.max_pool2d(torch.relu(A1), 2).flatten(1)
    t_cost = (F.cross_entropy(A @ params["W3"].T + params["b3"][:, 0], torch.from_numpy(Y))
              + L2 / (2 * m) * (torch.sum(params["W1"] ** 2) + torch.sum(params["W3"] ** 2)))
    t_cost.backward()
    assert cost == pytest.approx(t_cost.item(), rel=1e-10)
    for name, p in params.items():
        close(grads[f"d{name}"], p.grad.numpy(), name)
