"""vg.check_layer: any hand-written forward/backward pair, checked through
J = Σ⟨dout, out⟩ against central differences of the learner's own forward."""
import os

import numpy as np
import pytest

import verigrad as vg


def dense_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def dense_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def _dense_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)


def kinds(report):
    return {(f.kind, f.param) for f in report.findings}


def test_a_correct_pair_passes_and_the_callers_arrays_are_untouched():
    inputs = _dense_inputs()
    before = [a.copy() for a in inputs]
    report = vg.check_layer(dense_forward, dense_backward, *inputs)
    assert report.ok, str(report)
    assert [p.name for p in report.params] == ["x", "w", "b"]
    assert all(p.rel_error < 1e-8 for p in report.params)
    assert "J = Σ⟨dout, out⟩" in str(report)
    assert all(np.array_equal(a, b) for a, b in zip(inputs, before))


def test_the_objective_is_the_sum_of_dout_times_out_with_seeded_dout():
    x, w, b = _dense_inputs()
    first = vg.check_layer(dense_forward, dense_backward, x, w, b, seed=3)
    again = vg.check_layer(dense_forward, dense_backward, x, w, b, seed=3)
    other = vg.check_layer(dense_forward, dense_backward, x, w, b, seed=4)
    dout = np.random.default_rng(3).standard_normal((4, 5))
    assert first.cost == again.cost == pytest.approx(np.vdot(dout, dense_forward(x, w, b)[0]))
    assert other.cost != first.cost


def test_wrong_gradients_get_the_finding_kinds_of_check_backprop():
    def backward(dout, cache):
        dx, dw, db = dense_backward(dout, cache)
        return -dx, dw / 4, db[None, :]

    report = vg.check_layer(dense_forward, backward, *_dense_inputs())
    assert kinds(report) == {("sign", "x"), ("scale", "w"), ("shape", "b")}


def cell_forward(x, h, c, parameters):
    """Two outputs before the cache (an LSTM-like cell), and a third, y, that backward gets
    no upstream gradient for."""
    z = parameters["Wx"] @ x + parameters["Wh"] @ h + parameters["b"]
    c_next = c * np.tanh(z)
    h_next = np.tanh(c_next)
    y = parameters["Wy"] @ h_next
    return h_next, c_next, y, (x, h, c, z, c_next, h_next, parameters)


def cell_backward(dh_next, dc_next, cache, derivative_of_tanh=lambda z: 1 - np.tanh(z) ** 2):
    x, h, c, z, c_next, h_next, parameters = cache
    dc = dc_next + dh_next * (1 - h_next ** 2)
    dz = dc * c * derivative_of_tanh(z)
    return {"dx": parameters["Wx"].T @ dz, "dh": parameters["Wh"].T @ dz,
            "dc": dc * np.tanh(z), "dWx": dz @ x.T, "dWh": dz @ h.T,
            "db": dz.sum(axis=1, keepdims=True)}


def _cell_inputs(seed=1):
    rng = np.random.default_rng(seed)
    n_x, n_a, m = 3, 4, 5
    parameters = {"Wx": rng.standard_normal((n_a, n_x)), "Wh": rng.standard_normal((n_a, n_a)),
                  "b": rng.standard_normal((n_a, 1)), "Wy": rng.standard_normal((2, n_a))}
    return (rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m)),
            rng.standard_normal((n_a, m)), parameters)


def test_two_upstream_gradients_and_a_dict_of_parameters_keyed_by_name():
    inputs = _cell_inputs()
    report = vg.check_layer(cell_forward, cell_backward, *inputs)
    assert report.ok, str(report)
    # Wy gets no gradient from backward (y has no upstream gradient) and is not checked
    assert [p.name for p in report.params] == ["x", "h", "c", "Wx", "Wh", "b"]


def test_a_wrong_entry_inside_the_parameters_dict_is_named():
    def backward(dh_next, dc_next, cache):
        grads = cell_backward(dh_next, dc_next, cache)
        grads["dWh"] = grads["dWh"].T
        return grads

    report = vg.check_layer(cell_forward, backward, *_cell_inputs())
    assert kinds(report) == {("transpose", "Wh")}


def test_a_missing_gradient_of_a_top_level_input_is_reported():
    def backward(dh_next, dc_next, cache):
        grads = cell_backward(dh_next, dc_next, cache)
        del grads["dc"]
        return grads

    report = vg.check_layer(cell_forward, backward, *_cell_inputs())
    assert kinds(report) == {("missing_gradient", "c")}
    assert "no gradient dc" in str(report) and report["c"].note == "not returned"


def embedding_forward(x, W):
    return W[x], (x, W)


def embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW


def embedding_backward_lossy(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] += dout  # repeated indices: only one of the updates survives
    return dW


def test_integer_inputs_are_passed_as_they_are_and_not_differentiated():
    x = np.array([[0, 3, 3], [1, 0, 2]])
    W = np.random.default_rng(0).standard_normal((5, 4))
    report = vg.check_layer(embedding_forward, embedding_backward, x, W)
    assert report.ok and [p.name for p in report.params] == ["W"]
    lossy = vg.check_layer(embedding_forward, embedding_backward_lossy, x, W)
    assert not lossy.ok and lossy["W"].worst_index[0] in (0, 3)


def pool_forward(A, hparameters, mode="max"):
    f, s = hparameters["f"], hparameters["stride"]
    windows = np.stack([A[:, i * s:i * s + f] for i in range((A.shape[1] - f) // s + 1)], axis=1)
    out = windows.max(axis=2) if mode == "max" else windows.mean(axis=2)
    return out, (A, hparameters)


def pool_backward(dout, cache, mode="max"):
    A, hparameters = cache
    f, s = hparameters["f"], hparameters["stride"]
    dA = np.zeros_like(A)
    for i in range(dout.shape[1]):
        window = A[:, i * s:i * s + f]
        if mode == "max":
            share = window == window.max(axis=1, keepdims=True)
        else:
            share = np.full(window.shape, 1 / f)
        dA[:, i * s:i * s + f] += share * dout[:, i:i + 1]
    return dA


def test_settings_dicts_and_keyword_arguments_reach_both_functions():
    A = np.random.default_rng(2).standard_normal((3, 7))
    hparameters = {"f": 3, "stride": 2}
    for mode in ("max", "average"):
        report = vg.check_layer(pool_forward, pool_backward, A, hparameters, mode=mode)
        assert report.ok, str(report)
    assert hparameters == {"f": 3, "stride": 2}


def test_changing_dout_an_input_or_the_cache_is_a_mutation():
    x = np.random.default_rng(3).standard_normal((3, 4))

    def relu_forward(x):
        return np.maximum(0, x), x

    def relu_backward_into_dout(dout, cache):
        dx = dout
        dx[cache <= 0] = 0
        return dx

    def relu_forward_in_place(x):
        np.maximum(x, 0, out=x)
        return x, x

    def relu_backward_into_cache(dout, cache):
        cache[cache < 0] = 0
        return dout * (cache > 0)

    for forward, backward in ((relu_forward, relu_backward_into_dout),
                              (relu_forward_in_place, relu_backward_into_cache),
                              (relu_forward, relu_backward_into_cache)):
        before = x.copy()
        report = vg.check_layer(forward, backward, x)
        assert ("mutation", None) in kinds(report) or ("mutation", "x") in kinds(report), \
            str(report)
        assert not report.ok
        assert np.array_equal(x, before)


def test_an_exception_in_the_learners_code_names_its_file_and_line():
    def broken_backward(dout, cache):
        x, w, b = cache
        return np.dot(dout, w), w, b  # the line the finding names

    report = vg.check_layer(dense_forward, broken_backward, *_dense_inputs())
    assert kinds(report) == {("exception", None)}
    message = report.findings[0].message
    line = broken_backward.__code__.co_firstlineno + 2
    assert "ValueError" in message and f"at {os.path.relpath(__file__)}, line {line}:" in message
    assert "np.dot(dout, w)" in message
    assert "NOT CHECKED" in str(report)


def test_dropout_that_draws_from_np_random_is_checked_with_one_frozen_mask():
    def dropout_forward(x, keep_prob):
        mask = np.random.rand(*x.shape) < keep_prob
        return x * mask / keep_prob, mask

    def dropout_backward(dout, mask, keep_prob):
        return dout * mask / keep_prob

    state = np.random.get_state()
    x = np.random.default_rng(4).standard_normal((4, 6))
    report = vg.check_layer(dropout_forward, dropout_backward, x, keep_prob=0.7)
    # a correct dropout layer is OK: its random mask is by design, a remark, not a finding
    assert report.ok and not report.findings, report
    assert "draws random numbers" in str(report) and "Result: OK" in str(report)
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_a_backward_returning_the_wrong_number_of_gradients_is_an_error():
    with pytest.raises(ValueError, match="3 float array inputs"):
        vg.check_layer(dense_forward, lambda dout, cache: dense_backward(dout, cache)[:2],
                       *_dense_inputs())
    with pytest.raises(TypeError, match=r"\(out, cache\)"):
        vg.check_layer(lambda x: x * 2, lambda dout, cache: dout * 2, np.ones(3))
