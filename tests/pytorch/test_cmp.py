"""vg.cmp on a makemore-style MLP: every verdict and kind, in float32 and float64."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import verigrad as vg  # noqa: E402
from verigrad.pytorch import graph  # noqa: E402

N = 32


def judge(name, dt, t, v=None):
    """vg.cmp, told the loss of the forward pass v (two fixtures record two graphs)."""
    return vg.cmp(name, dt, t, show=False, loss=None if v is None else v["loss"])


@pytest.mark.parametrize("fixture", ["mlp32", "mlp64"])
def test_correct_gradients_are_exact_or_rounding(fixture, request):
    v = request.getfixturevalue(fixture)
    wrong = {}
    for name, dt in v["d"].items():
        dt = dt.view(v[name].shape) if name in ("bnmeani",) else dt
        result = judge(name, dt, v[name], v)
        if not result.ok:
            wrong[name] = result.summary
        assert result.verdict in ("exact", "rounding", "wrong")
    assert wrong == {}
    result = judge("hpreact", v["d"]["hpreact"], v["hpreact"])
    assert result.verdict == "rounding" and str(v["hpreact"].dtype)[6:] in result.message


def test_bnmeani_without_keepdim_is_a_shape_only_broadcasting_hides(mlp32):
    result = judge("bnmeani", mlp32["d"]["bnmeani"], mlp32["bnmeani"])
    assert (result.kind, result.ok, result.approximate) == ("shape", False, True)
    assert "dimension 0" in result.message and "keepdim=True" in result.message
    assert "values are right" in result.message


def test_printed_line_is_makemores(mlp32, capsys):
    vg.cmp("W2", mlp32["d"]["W2"], mlp32["W2"])
    first, second = capsys.readouterr().out.splitlines()
    assert first == f"{'W2':15s} | exact: True  | approximate: True  | maxdiff: 0.0"
    assert second.strip().startswith("| verigrad: exact")


def _assert_kind(result, kind, *words):
    assert not result.ok and result.verdict == "wrong"
    assert result.kind == kind, result.summary
    for word in words:
        assert word in result.message, result.message


@pytest.mark.parametrize("fixture", ["mlp32", "mlp64"])
def test_each_kind_is_named(fixture, request):
    v = request.getfixturevalue(fixture)
    d = v["d"]
    _assert_kind(judge("counts", v["counts_sum_inv"] * d["probs"], v["counts"], v),
                 "second_path", "SumBackward")
    _assert_kind(judge("bndiff", v["bnvar_inv"] * d["bnraw"], v["bndiff"], v),
                 "second_path", "PowBackward")
    _assert_kind(judge("hpreact", (1.0 - v["hpreact"] ** 2) * d["h"], v["hpreact"], v),
                 "tanh_derivative")
    dC = torch.zeros_like(v["C"])
    Xb = v["Xb"]
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            dC[Xb[k, j]] = d["emb"][k, j]
    _assert_kind(judge("C", dC, v["C"], v), "accumulate", "read once")
    bessel = (1.0 / N) * torch.ones_like(v["bndiff2"]) * d["bnvar"]
    _assert_kind(judge("bndiff2", bessel, v["bndiff2"]), "scale", "(n−1)/n with n = 32")
    _assert_kind(judge("W2", d["W2"] * N, v["W2"]), "scale", "1/n is missing", "n = 32")
    _assert_kind(judge("h", -d["h"], v["h"]), "sign")
    _assert_kind(judge("W1", d["W1"].T, v["W1"]), "transpose")
    _assert_kind(judge("b2", d["logits"].sum(), v["b2"]), "sum_axis")
    _assert_kind(judge("bnbias", d["hpreact"], v["bnbias"]), "shape", "not summed over "
                 "dimension 0", "would be right")
    _assert_kind(judge("b1", d["b1"].view(1, -1), v["b1"]), "shape", "extra dimension 0")
    _assert_kind(judge("bngain", d["bngain"].sum(1, keepdim=True).expand(N, 1) * 0 +
                       (v["bnraw"] * d["hpreact"]).sum(1, keepdim=True), v["bngain"]),
                 "shape", "dimension 1 where it should sum over dimension 0")
    noisy = d["W1"] + 1e-2 * torch.randn(d["W1"].shape, dtype=d["W1"].dtype,
                                         generator=torch.Generator().manual_seed(1))
    _assert_kind(judge("W1", noisy, v["W1"]), "mismatch", "relative error")
    square = d["W2"][:16, :16]
    _assert_kind(judge("sq", square.T.contiguous(), square), "transpose", "square")


def test_missing_path_needs_the_graph(mlp32):
    """Without the loss (the graph freed, or not recorded) a missing path is a mismatch,
    never a wrong kind."""
    v, d = mlp32, mlp32["d"]
    saved = graph._last_loss
    graph._last_loss = None
    try:
        result = judge("counts", v["counts_sum_inv"] * d["probs"], v["counts"])
    finally:
        graph._last_loss = saved
    _assert_kind(result, "mismatch")
    assert judge("counts", v["counts_sum_inv"] * d["probs"], v["counts"],
                 v).kind == "second_path"


def test_the_extra_backward_pass_leaves_grads_as_they_were(mlp32):
    before = {k: mlp32[k].grad.clone() for k in ("bndiff2", "h", "counts", "logprobs")}
    judge("counts", mlp32["counts_sum_inv"] * mlp32["d"]["probs"], mlp32["counts"], mlp32)
    for k, grad in before.items():
        assert torch.equal(mlp32[k].grad, grad), k


def test_odd_input_is_described_not_raised(mlp32):
    W1, dW1 = mlp32["W1"], mlp32["d"]["W1"]
    cases = [
        (judge("x", None, W1), "dt is None"),
        (judge("x", "abc", W1), "not numbers"),
        (judge("x", dW1, mlp32["Xb"]), "does not require grad"),
        (judge("x", dW1, torch.zeros(3, requires_grad=True)), ".grad is None"),
        (judge("x", dW1, (W1 * 2).detach().requires_grad_()), ".grad is None"),
        (judge("x", dW1, object()), "t is an object (dtype object), not numbers"),
    ]
    for result, words in cases:
        assert result.verdict == "unchecked" and not result.ok, result.summary
        assert words in result.message, result.message
        assert np.isnan(result.maxdiff)
    other = judge("W1", dW1.double(), W1)
    assert other.ok and "torch.float64 and t.grad torch.float32" in other.message
    arrays = judge("W1", dW1.numpy(), W1.grad.numpy())
    assert arrays.ok and arrays.verdict == "rounding"
    assert judge("W1", dW1.numpy() * 2, W1.grad.numpy()).kind == "scale"
    assert judge("W1", W1.grad.tolist(), W1.grad.tolist()).verdict == "exact"


def test_no_torch_needed_for_arrays():
    import subprocess
    import sys
    code = ("import sys, numpy as np, verigrad as vg; a = np.arange(6.).reshape(2, 3);"
            "r = vg.cmp('a', a * 3, a, show=False); assert r.kind == 'scale', r;"
            "assert 'torch' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
