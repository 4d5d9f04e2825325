"""vg.check_layer on a forward/backward pair written with PyTorch tensors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import verigrad as vg  # noqa: E402


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(0)


def tanh_forward(x):
    out = torch.tanh(x)
    return out, (x, out)


def tanh_backward_wrong(dout, cache):
    x, out = cache
    return (1 - x ** 2) * dout


def test_a_correct_torch_pair_passes_and_gets_float64():
    seen = []

    def forward(x, w, b):
        seen.append(x.dtype)
        return affine_forward(x, w, b)

    g = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(s, generator=g) for s in ((4, 3), (3, 5), (5,)))
    report = vg.check_layer(forward, affine_backward, x, w, b)
    assert report.ok, report
    assert set(seen) == {torch.float64}
    assert x.dtype == torch.float32   # the learner's tensors are left as they were


def test_wrong_torch_pairs_are_named():
    g = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(s, generator=g) for s in ((4, 3), (3, 5), (5,)))

    def no_mean(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        return dx, dw * 4, db

    report = vg.check_layer(affine_forward, no_mean, x, w, b)
    assert not report.ok and [f.kind for f in report.findings] == ["scale"]
    report = vg.check_layer(tanh_forward, tanh_backward_wrong, torch.randn(6, 4, generator=g))
    assert not report.ok
    assert np.isfinite(report.params[0].rel_error)
