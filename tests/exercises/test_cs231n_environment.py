"""What CS231n learners' repositories lack around their code is never their mistake:
``future``'s past.builtins (2016-2017 files import xrange from it) and the course's Cython
extension im2col_cython (never committed) get stand-ins; code the course gave (its masked
sigmoid, its probability-domain softmax loss) is never called wrong."""
import sys
from pathlib import Path

import numpy as np
import pytest

from verigrad.exercises import files
from verigrad.exercises.environment import StandIns

from .checks import run

TREE = Path(__file__).resolve().parent / "fixtures" / "cs231n_2017"


def test_a_2017_file_with_xrange_from_past_runs_as_it_ran_and_says_so():
    payload = files.check_file(TREE / "cs231n" / "rnn_layers.py")
    verdicts = {r["name"]: r["verdict"] for r in payload["results"]}
    assert verdicts == dict.fromkeys(("sigmoid", "rnn_step_forward", "rnn_step_backward",
                                      "rnn_forward", "rnn_backward"), "ok"), payload
    assert files.exit_code(payload) == 0
    assert any("pip install future" in note and "not a mistake" in note
               for note in payload["notes"])


@pytest.fixture
def stand_ins(monkeypatch):
    monkeypatch.syspath_prepend(str(TREE))
    finder = StandIns()
    finder.install()
    yield finder
    sys.meta_path.remove(finder)
    for name in [m for m in sys.modules if m.split(".")[0] in ("cs231n", "past")]:
        del sys.modules[name]


def _im2col_loops(x, fh, fw, pad, stride):
    """The extension's loops, index for index (its row is c·fh·fw + i·fh + j)."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    HH, WW = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    cols = np.zeros((C * fh * fw, N * HH * WW))
    for c in range(C):
        for yy in range(HH):
            for xx in range(WW):
                for i in range(fh):
                    for j in range(fw):
                        for n in range(N):
                            cols[c * fw * fh + i * fh + j, yy * WW * N + xx * N + n] = \
                                xp[n, c, stride * yy + i, stride * xx + j]
    return cols


@pytest.mark.parametrize("pad, stride", [(0, 1), (1, 2)])
def test_the_im2col_stand_in_is_the_extension_and_col2im_its_adjoint(stand_ins, pad, stride):
    from cs231n import fast_layers
    from cs231n.im2col_cython import col2im_cython, im2col_cython

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 5))
    cols = im2col_cython(x, 3, 3, pad, stride)
    np.testing.assert_array_equal(cols, _im2col_loops(x, 3, 3, pad, stride))
    c = rng.standard_normal(cols.shape)
    back = col2im_cython(c, 2, 3, 5, 5, 3, 3, pad, stride)
    assert back.shape == x.shape
    assert np.isclose(np.sum(cols * c), np.sum(x * back))  # <Ax, c> = <x, Aᵀc>
    # the 6-d form of the course's conv_backward_strides: dx of a convolution by its
    # adjoint, against central differences of Σ dout·conv(x)
    w, dout = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(
        (2, 4, (5 + 2 * pad - 3) // stride + 1, (5 + 2 * pad - 3) // stride + 1))
    dx = fast_layers.conv_backward_dx(dout, w, x.shape, pad, stride)

    def objective(x):
        cols = _im2col_loops(x, 3, 3, pad, stride)
        out = w.reshape(4, -1).dot(cols)  # (F, HH·WW·N), columns (y, x, n)
        return np.sum(out.reshape(4, dout.shape[2], dout.shape[3], 2).transpose(3, 0, 1, 2)
                      * dout)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (objective(x + step) - objective(x - step)) / 2e-6
    np.testing.assert_allclose(dx, numeric, atol=1e-6)
    assert any("im2col_cython is not built" in note for note in stand_ins.notes())


def test_the_courses_own_probability_domain_softmax_loss_is_right_on_large_scores():
    def softmax_loss(x, y):  # CS231n 2016's given layers.py
        probs = np.exp(x - np.max(x, axis=1, keepdims=True))
        probs /= np.sum(probs, axis=1, keepdims=True)
        N = x.shape[0]
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        dx = probs.copy()
        dx[np.arange(N), y] -= 1
        return loss, dx / N

    def unshifted(x, y):
        with np.errstate(over="ignore", invalid="ignore"):
            probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
        N = x.shape[0]
        dx = probs.copy()
        dx[np.arange(N), y] -= 1
        return -np.sum(np.log(probs[np.arange(N), y])) / N, dx / N

    assert run({"softmax_loss": softmax_loss})["softmax_loss"].ok is True
    assert run({"softmax_loss": unshifted})["softmax_loss"].ok is False


def test_a_sequence_backward_that_calls_a_wrong_step_backward_is_not_called_wrong(tmp_path):
    path = tmp_path / "rnn_layers.py"
    source = (TREE / "cs231n" / "rnn_layers.py").read_text().replace(
        "from past.builtins import xrange\n", "xrange = range\n")
    path.write_text(source.replace("da = dnext_h * (1 - next_h ** 2)",  # tanh applied twice
                                   "da = dnext_h * (1 - np.tanh(next_h) ** 2)"))
    results = {r["name"]: r for r in files.check_file(path)["results"]}
    assert results["rnn_step_backward"]["verdict"] == "WRONG"
    assert results["rnn_backward"]["verdict"] == "cannot check"
    assert "calls your rnn_step_backward, which is wrong" in \
        results["rnn_backward"]["findings"][0]["message"]
    assert results["rnn_forward"]["ok"] is True
