"""verigrad against PyTorch autograd and torch.optim, in float64.

The networks have three hidden layers, L2 and dropout with a fixed mask; torch computes the
same function from the same weights, and every forward value, gradient and optimizer step
must agree to 1e-10.
"""
import importlib.util

import numpy as np
import pytest

import verigrad as vg

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle: pip install torch==2.13.0")
F = torch.nn.functional

ACTIVATIONS = {
    "relu": (vg.ReLU, torch.relu),
    "leaky_relu": (lambda: vg.LeakyReLU(0.05), lambda z: F.leaky_relu(z, 0.05)),
    "sigmoid": (vg.Sigmoid, torch.sigmoid),
    "tanh": (vg.Tanh, torch.tanh),
}
SIZES = [7, 6, 5, 4, 3]  # n_in, three hidden layers, n_out
M = 9
L2 = 0.3


def build(activations, loss, seed=0):
    """A 7-6-5-4-3 network, dropout after the second hidden layer, masks fixed."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-2], SIZES[1:-1])):
        layers += [vg.Dense(n_in, n_out), ACTIVATIONS[activations[i]][0]()]
        if i == 1:
            layers.append(vg.Dropout(0.4))
    layers.append(vg.Dense(SIZES[-2], SIZES[-1]))
    model = vg.Sequential(layers, loss=loss, l2=L2, dtype="float64", seed=seed)
    rng = np.random.default_rng(seed + 100)
    for name in model.params:
        if name.startswith("b"):
            model.params[name] = 0.1 * rng.standard_normal(model.params[name].shape)
    dropout = next(l for l in model.layers if isinstance(l, vg.Dropout))
    dropout.mask = (rng.random((SIZES[2], M)) >= 0.4) / 0.6
    dropout.keep_random_draws()
    return model, dropout.mask


def torch_cost(model, mask, activations, X, Y, params):
    """The same cost written with torch ops: Z[l] = W A + b, dropout mask, fused loss, L2."""
    A = torch.from_numpy(X)
    n_dense = len(SIZES) - 1
    for l in range(1, n_dense + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        if l == n_dense:
            break
        A = ACTIVATIONS[activations[l - 1]][1](Z)
        if l == 2:
            A = A * torch.from_numpy(mask)
    m = X.shape[1]
    if isinstance(model.loss, vg.SoftmaxCrossEntropy):
        data = F.cross_entropy(Z.T, torch.from_numpy(Y))
    elif isinstance(model.loss, vg.BinaryCrossEntropy):
        data = F.binary_cross_entropy_with_logits(Z, torch.from_numpy(Y), reduction="sum") / m
    else:
        data = 0.5 * torch.sum((Z - torch.from_numpy(Y)) ** 2) / m
    l2 = sum(torch.sum(params[f"W{l}"] ** 2) for l in range(1, n_dense + 1))
    return Z, data + L2 / (2 * m) * l2


def data_for(loss, rng):
    X = rng.standard_normal((SIZES[0], M))
    if isinstance(loss, vg.SoftmaxCrossEntropy):
        return X, rng.integers(0, SIZES[-1], M)
    if isinstance(loss, vg.BinaryCrossEntropy):
        return X, rng.integers(0, 2, (SIZES[-1], M)).astype(np.float64)
    return X, rng.standard_normal((SIZES[-1], M))


def torch_params(model):
    return {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}


CASES = [(["relu"] * 3, vg.SoftmaxCrossEntropy()),
         (["leaky_relu"] * 3, vg.SoftmaxCrossEntropy()),
         (["sigmoid"] * 3, vg.BinaryCrossEntropy()),
         (["tanh"] * 3, vg.MSE()),
         (["relu", "tanh", "sigmoid"], vg.MSE()),
         (["sigmoid", "leaky_relu", "relu"], vg.BinaryCrossEntropy())]


@pytest.mark.parametrize("activations,loss", CASES,
                         ids=["-".join(a) + "/" + type(l).__name__ for a, l in CASES])
def test_forward_and_every_gradient_equal_torch_autograd(activations, loss):
    model, mask = build(activations, loss)
    X, Y = data_for(loss, np.random.default_rng(1))
    cost, grads = model.cost_and_grads(X, Y, training=True)
    logits = model.forward(X, training=True)

    params = torch_params(model)
    Z, t_cost = torch_cost(model, mask, activations, X, Y, params)
    t_cost.backward()

    np.testing.assert_allclose(logits, Z.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert cost == pytest.approx(t_cost.item(), rel=1e-10)
    assert list(grads) == [f"d{k}" for k in params]
    for name, p in params.items():
        np.testing.assert_allclose(grads[f"d{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


OPTIMIZERS = {
    "sgd": (lambda **kw: vg.SGD(0.1, **kw), lambda p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (lambda **kw: vg.SGD(0.1, momentum=0.9, **kw),
                 lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "nesterov": (lambda **kw: vg.SGD(0.1, momentum=0.8, nesterov=True, **kw),
                 lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True)),
    "rmsprop": (lambda **kw: vg.RMSProp(0.01, beta=0.95, eps=1e-7, **kw),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.95, eps=1e-7)),
    "adam": (lambda **kw: vg.Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-7, **kw),
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-7)),
}


BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="numba not installed (verigrad[fast])"))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_five_optimizer_steps_equal_torch_optim(name, backend):
    activations, loss = ["tanh", "relu", "sigmoid"], vg.SoftmaxCrossEntropy()
    model, mask = build(activations, loss, seed=3)
    X, Y = data_for(loss, np.random.default_rng(4))
    params = torch_params(model)
    ours = OPTIMIZERS[name][0](backend=backend)
    theirs = OPTIMIZERS[name][1](list(params.values()))
    for step in range(5):
        _, grads = model.cost_and_grads(X, Y, training=True)
        ours.step(model.params, {k[1:]: g for k, g in grads.items()})
        theirs.zero_grad()
        torch_cost(model, mask, activations, X, Y, params)[1].backward()
        theirs.step()
        for k, p in params.items():
            np.testing.assert_allclose(model.params[k], p.detach().numpy(), rtol=1e-10,
                                       atol=1e-13, err_msg=f"{name} step {step + 1} {k}")


def test_gradient_clipping_equals_torch_clip_grad_norm():
    rng = np.random.default_rng(0)
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal((4, 1))}
    t_grads = [torch.tensor(g) for g in grads.values()]
    params = {k: np.zeros_like(g) for k, g in grads.items()}
    t_params = [torch.zeros_like(g, requires_grad=True) for g in t_grads]
    for p, g in zip(t_params, t_grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_norm_(t_params, max_norm=0.5)
    vg.SGD(1.0, clip_norm=0.5).step(params, grads)
    for p, t in zip(params.values(), t_params):
        np.testing.assert_allclose(-p, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("ours,theirs", [
    (vg.StepDecay(3, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    (vg.ExponentialDecay(0.8), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.8)),
    (vg.CosineDecay(10), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10)),
], ids=["step", "exponential", "cosine"])
def test_schedules_equal_torch_lr_schedulers(ours, theirs):
    optimizer = vg.SGD(0.2, schedule=ours)
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler = theirs(t_opt)
    for epoch in range(10):
        optimizer.set_epoch(epoch)
        assert optimizer.lr == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-12)
        t_opt.step()
        scheduler.step()
