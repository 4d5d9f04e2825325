"""The optimizers' compiled path (numba) against their NumPy reference, written as the
formula: the same parameters after every step, in float64 and float32."""
import numpy as np
import pytest

import verigrad as vg

pytest.importorskip("numba")

OPTIMIZERS = {
    "momentum": lambda backend: vg.SGD(0.1, momentum=0.9, backend=backend),
    "nesterov": lambda backend: vg.SGD(0.1, momentum=0.8, nesterov=True, backend=backend),
    "rmsprop": lambda backend: vg.RMSProp(0.01, beta=0.95, eps=1e-7, backend=backend),
    "adam": lambda backend: vg.Adam(0.01, beta1=0.8, beta2=0.99, eps=1e-7, backend=backend),
}


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 1e-5)])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_compiled_update_equals_the_reference(name, dtype, rtol):
    rng = np.random.default_rng(0)
    start = {"W1": rng.standard_normal((5, 4)), "b1": rng.standard_normal((5, 1))}
    params = {backend: {k: v.astype(dtype) for k, v in start.items()}
              for backend in ("numpy", "numba")}
    optimizers = {backend: OPTIMIZERS[name](backend) for backend in params}
    for step in range(6):
        grads = {k: rng.standard_normal(v.shape).astype(dtype) for k, v in start.items()}
        for backend, optimizer in optimizers.items():
            optimizer.step(params[backend], {k: g.copy() for k, g in grads.items()})
        for k in start:
            assert params["numba"][k].dtype == dtype
            np.testing.assert_allclose(params["numba"][k], params["numpy"][k], rtol=rtol,
                                       atol=rtol * 1e-3, err_msg=f"{name} step {step + 1} {k}")


@pytest.mark.parametrize("epoch", [0, 1, 99, 100, 250, 1500])
def test_inverse_time_decay_is_keras_formula(epoch):
    # Keras: lr0 / (1 + decay_rate * step / decay_steps), floor(step / decay_steps) staircase
    assert vg.InverseTimeDecay(0.3)(epoch) == pytest.approx(1 / (1 + 0.3 * epoch))
    assert vg.InverseTimeDecay(0.3, 100)(epoch) == pytest.approx(1 / (1 + 0.3 * epoch / 100))
    assert vg.InverseTimeDecay(0.3, 100, staircase=True)(epoch) == pytest.approx(
        1 / (1 + 0.3 * (epoch // 100)))


def test_inverse_time_decay_refuses_a_negative_rate_and_a_zero_interval():
    with pytest.raises(ValueError, match="decay_rate"):
        vg.InverseTimeDecay(-0.1)
    with pytest.raises(ValueError, match="interval"):
        vg.InverseTimeDecay(0.1, 0)
