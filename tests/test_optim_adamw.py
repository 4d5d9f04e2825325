"""AdamW against torch.optim.AdamW, and the warm-up + cosine schedule against its formula."""
import math

import numpy as np
import pytest

import verigrad as vg


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_adamw_equals_torch(backend):
    torch = pytest.importorskip("torch", reason="PyTorch is the test oracle")
    rng = np.random.default_rng(0)
    params = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1))}
    t_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    # weights decay, biases do not: two parameter groups in PyTorch
    t_opt = torch.optim.AdamW([{"params": [t_params["W1"]], "weight_decay": 0.3},
                               {"params": [t_params["b1"]], "weight_decay": 0.0}],
                              lr=0.05, betas=(0.8, 0.95), eps=1e-6)
    opt = vg.AdamW(0.05, beta1=0.8, beta2=0.95, eps=1e-6, weight_decay=0.3, backend=backend)
    for _ in range(5):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        for k, g in grads.items():
            t_params[k].grad = torch.tensor(g.copy())
        t_opt.step()
        opt.step(params, grads)
    for k, v in params.items():
        np.testing.assert_allclose(v, t_params[k].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_weight_decay_shrinks_weights_without_a_gradient():
    params = {"W1": np.ones((2, 2)), "b1": np.ones((2, 1))}
    opt = vg.AdamW(0.1, weight_decay=0.5)
    opt.step(params, {k: np.zeros_like(v) for k, v in params.items()})
    np.testing.assert_allclose(params["W1"], 1 - 0.1 * 0.5)
    np.testing.assert_allclose(params["b1"], 1)


def test_warmup_cosine_sets_the_rate_of_every_step():
    schedule = vg.WarmupCosine(4, 12, min_factor=0.1)
    expected = [(s + 1) / 4 for s in range(4)] + [
        0.1 + 0.9 * (1 + math.cos(math.pi * (s - 4) / 8)) / 2 for s in range(4, 14)]
    np.testing.assert_allclose([schedule(s) for s in range(14)], expected[:13] + [0.1])
    opt = vg.SGD(2.0, schedule=schedule)
    p = {"W": np.zeros(1)}
    rates = []
    for _ in range(6):
        opt.set_epoch(0)  # an epoch boundary does not reset a per-step schedule
        before = p["W"].copy()
        opt.step(p, {"W": np.ones(1)})
        rates.append(float(before[0] - p["W"][0]))
    np.testing.assert_allclose(rates, [2.0 * f for f in expected[:6]])
    with pytest.raises(ValueError, match="total_steps .* must be larger than warmup_steps"):
        vg.WarmupCosine(10, 10)
