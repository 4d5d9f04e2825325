"""check_pair, the contract the exercise catalogue builds on: the report of a pair's check
with the LayerProblem it ran, whose douts, analytic gradients and error the catalogue reads."""
import numpy as np

from verigrad.gradcheck import LayerProblem, check_pair


def scale_forward(x, w):
    return x * w, (x, w)


def scale_backward(dout, cache):
    x, w = cache
    return dout * w, 2 * (dout * x).sum(axis=0)  # dw twice too large


def failing_backward(dout, cache):
    raise IndexError("tuple index out of range")


def test_check_pair_returns_the_report_and_the_problem_checked():
    x, w = np.linspace(-1, 1, 6).reshape(3, 2), np.array([0.5, -2.0])
    state = np.random.get_state()[1].copy()
    report, problem = check_pair(scale_forward, scale_backward, (x, w), {}, seed=3, m=3)
    assert np.array_equal(np.random.get_state()[1], state)
    assert isinstance(problem, LayerProblem) and problem.error is None and problem.m == 3
    assert [(f.kind, f.param) for f in report.findings] == [("scale", "w")]
    (dout,) = problem.douts
    assert dout.shape == (3, 2)
    np.testing.assert_allclose(problem.analytic["w"], 2 * (dout * x).sum(axis=0))
    np.testing.assert_allclose(problem.analytic["x"], dout * w)

    report, problem = check_pair(scale_forward, failing_backward, (x, w), {})
    assert isinstance(problem.error, IndexError) and problem.blocked
    assert [f.kind for f in report.findings] == ["exception"] and not report.ok
