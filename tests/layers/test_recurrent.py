"""RNN, LSTM and GRU: backpropagation through time against float64 central differences on
odd shapes (T = 1, m = 1, n_a ≠ n_x), truncated BPTT, the per-step gradient norms, save/load
and the bad-input errors. The PyTorch comparisons are in test_recurrent_torch.py."""
import warnings

import numpy as np
import pytest
from numerics import numeric_gradient

import verigrad as vg

LAYERS = {"RNN": vg.RNN, "LSTM": vg.LSTM, "GRU": vg.GRU}
# (n_x, n_a, T, m): one step, one example, and a longer odd batch
SHAPES = [(3, 2, 1, 1), (2, 5, 4, 3), (4, 3, 6, 1)]


def make_layer(kind, n_x, n_a, return_sequences=True, seed=0):
    layer = LAYERS[kind](n_x, n_a, return_sequences=return_sequences, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for p in layer.params.values():  # biases away from zero, weights large enough to matter
        p[...] = 0.7 * rng.standard_normal(p.shape)
    return layer


def initial_states(layer, m, rng):
    states = tuple(0.5 * rng.standard_normal((layer.n_a, m)) for _ in layer.STATES)
    return states[0] if len(states) == 1 else states


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "n_x={}-n_a={}-T={}-m={}".format(*s))
@pytest.mark.parametrize("return_sequences", [True, False])
def test_gradients_equal_central_differences(kind, shape, return_sequences):
    n_x, n_a, T, m = shape
    rng = np.random.default_rng(5)
    layer = make_layer(kind, n_x, n_a, return_sequences)
    X = rng.standard_normal((n_x, T, m))
    state0 = initial_states(layer, m, rng)
    R = rng.standard_normal((n_a, T, m) if return_sequences else (n_a, m))

    def cost():
        return float(np.sum(R * layer.forward(X, initial_state=state0)))

    cost()
    dX = layer.backward(R)
    analytic = dict(layer.grads, X=dX)
    d_state = layer.d_initial_state
    wrt = dict(layer.params, X=X)
    for name, array in wrt.items():
        np.testing.assert_allclose(analytic[name], numeric_gradient(cost, array), rtol=1e-6,
                                   atol=1e-9, err_msg=name)
    for k, s in enumerate((state0,) if kind != "LSTM" else state0):
        got = d_state if kind != "LSTM" else d_state[k]
        np.testing.assert_allclose(got, numeric_gradient(cost, s), rtol=1e-6, atol=1e-9,
                                   err_msg=layer.STATES[k])


@pytest.mark.parametrize("kind", LAYERS)
def test_a_gradient_on_the_final_state_flows_back_like_the_outputs(kind):
    # J = Σ R·H + Σ S·final_state: what a cell step whose c⟨t⟩ goes on needs
    n_x, n_a, T, m = 3, 2, 3, 2
    rng = np.random.default_rng(7)
    layer = make_layer(kind, n_x, n_a)
    X = rng.standard_normal((n_x, T, m))
    state0 = initial_states(layer, m, rng)
    R = rng.standard_normal((n_a, T, m))
    S = initial_states(layer, m, rng)

    def cost():
        H = layer.forward(X, initial_state=state0)
        final = layer.final_state if kind == "LSTM" else (layer.final_state,)
        return float(np.sum(R * H) + sum(np.sum(s * f) for s, f in
                                         zip(S if kind == "LSTM" else (S,), final)))

    cost()
    dX = layer.backward(R, d_final_state=S)
    for name, array in dict(layer.params, X=X).items():
        np.testing.assert_allclose(dict(layer.grads, X=dX)[name],
                                   numeric_gradient(cost, array), rtol=1e-6, atol=1e-9,
                                   err_msg=name)
    with pytest.raises(ValueError, match="d_final_state"):
        layer.forward(X)
        layer.backward(R, d_final_state=(np.zeros((n_a, m + 1)),) * len(layer.STATES))


@pytest.mark.parametrize("kind", LAYERS)
def test_backward_leaves_its_argument_alone(kind):
    rng = np.random.default_rng(0)
    layer = make_layer(kind, 2, 3)
    layer.forward(rng.standard_normal((2, 4, 2)))
    dA = rng.standard_normal((3, 4, 2))
    kept = dA.copy()
    layer.backward(dA)
    np.testing.assert_array_equal(dA, kept)


@pytest.mark.parametrize("kind", LAYERS)
def test_output_is_the_hidden_state_and_final_state_is_the_last_one(kind):
    rng = np.random.default_rng(1)
    layer = make_layer(kind, 3, 4)
    X = rng.standard_normal((3, 5, 2))
    A = layer.forward(X)
    a_T = layer.final_state[0] if kind == "LSTM" else layer.final_state
    np.testing.assert_array_equal(A[:, -1], a_T)
    last = make_layer(kind, 3, 4, return_sequences=False)
    np.testing.assert_array_equal(last.forward(X), a_T)
    # one step at a time from the carried state gives the same sequence
    state = None
    for t in range(5):
        step = layer.forward(X[:, t:t + 1], initial_state=state)
        np.testing.assert_allclose(step[:, 0], A[:, t], rtol=1e-12, atol=1e-14)
        state = layer.final_state


def test_rnn_step_is_the_course_formula():
    rng = np.random.default_rng(2)
    layer = make_layer("RNN", 3, 2)
    X, a0 = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 4))
    A = layer.forward(X, initial_state=a0)
    p = layer.params
    a1 = np.tanh(p["Waa"] @ a0 + p["Wax"] @ X[:, 0] + p["ba"])
    a2 = np.tanh(p["Waa"] @ a1 + p["Wax"] @ X[:, 1] + p["ba"])
    np.testing.assert_allclose(A, np.stack([a1, a2], axis=1), rtol=1e-13)


def test_lstm_step_is_the_course_formula():
    rng = np.random.default_rng(3)
    layer = make_layer("LSTM", 3, 2)
    X = rng.standard_normal((3, 1, 4))
    a0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    A = layer.forward(X, initial_state=(a0, c0))
    p = layer.params
    concat = np.concatenate([a0, X[:, 0]])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    f, i = sig(p["Wf"] @ concat + p["bf"]), sig(p["Wi"] @ concat + p["bi"])
    cc, o = np.tanh(p["Wc"] @ concat + p["bc"]), sig(p["Wo"] @ concat + p["bo"])
    c = f * c0 + i * cc
    np.testing.assert_allclose(layer.final_state[1], c, rtol=1e-13)
    np.testing.assert_allclose(A[:, 0], o * np.tanh(c), rtol=1e-13)


@pytest.mark.parametrize("kind", LAYERS)
def test_state_gradient_norms_are_the_gradients_reaching_each_state(kind):
    """‖dJ/da⟨t⟩‖ is that of the output's own gradient at t plus the gradient with respect to
    the initial state of the rest of the sequence, started from a⟨t⟩."""
    rng = np.random.default_rng(4)
    layer = make_layer(kind, 2, 3)
    X, R = rng.standard_normal((2, 5, 3)), rng.standard_normal((3, 5, 3))
    states = []
    for t in range(1, 5):
        layer.forward(X[:, :t])
        states.append(layer.final_state)
    layer.forward(X)
    layer.backward(R)
    norms = layer.state_gradient_norms()
    assert norms.shape == (5,)
    np.testing.assert_allclose(norms[-1], np.linalg.norm(R[:, -1]), rtol=1e-12)
    for t in range(1, 5):
        layer.forward(X[:, t:], initial_state=states[t - 1])
        layer.backward(R[:, t:])
        d = layer.d_initial_state[0] if kind == "LSTM" else layer.d_initial_state
        # a⟨t⟩ is also the output at t: its own gradient joins the one from later steps
        np.testing.assert_allclose(norms[t - 1], np.linalg.norm(d + R[:, t - 1]), rtol=1e-12)


@pytest.mark.parametrize("kind", LAYERS)
def test_truncated_bptt_carries_the_state_between_batches(kind):
    rng = np.random.default_rng(6)
    whole = make_layer(kind, 2, 3)
    chunked = LAYERS[kind](2, 3, stateful=True)
    for name in whole.params:
        chunked.params[name][...] = whole.params[name]
    X = rng.standard_normal((2, 6, 4))
    expected = whole.forward(X)
    first = chunked.forward(X[:, :3], training=True).copy()
    carried = chunked.final_state
    # evaluation neither uses nor replaces the carried state
    np.testing.assert_allclose(chunked.forward(X[:, 3:]), whole.forward(X[:, 3:]), rtol=1e-13)
    second = chunked.forward(X[:, 3:], training=True)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-12)
    # gradients stop at the boundary: the second chunk's are those of a fresh start from there
    R = rng.standard_normal((3, 3, 4))
    chunked.backward(R)
    whole.forward(X[:, 3:], initial_state=carried)
    whole.backward(R)
    for name in whole.grads:
        np.testing.assert_allclose(chunked.grads[name], whole.grads[name], rtol=1e-12)
    chunked.reset_state()
    np.testing.assert_allclose(chunked.forward(X[:, :3], training=True), first, rtol=1e-13)
    # a batch of another size starts from zeros
    np.testing.assert_allclose(chunked.forward(X[:, :3, :2], training=True), first[..., :2],
                               rtol=1e-13)


@pytest.mark.parametrize("kind", LAYERS)
def test_model_numbers_the_course_names(kind):
    model = vg.Sequential([vg.Embedding(7, 3), LAYERS[kind](3, 4), vg.Dense(4, 7)],
                          loss=vg.SequenceSoftmaxCrossEntropy(), dtype="float64")
    names = {"RNN": ["Waa2", "Wax2", "ba2"],
             "LSTM": ["Wf2", "Wi2", "Wc2", "Wo2", "bf2", "bi2", "bc2", "bo2"],
             "GRU": ["Wu2", "Wr2", "Wc2", "bu2", "br2", "bc2", "bca2"]}[kind]
    assert list(model.params) == ["W1", *names, "W3", "b3"]
    assert model.input_shape == (None,) and model.output_shape == (7, None)


def sequence_model(kind="LSTM", return_sequences=True, seed=0):
    layers = [vg.Embedding(6, 3), LAYERS[kind](3, 5, return_sequences=return_sequences),
              vg.Dense(5, 6)]
    return vg.Sequential(layers, loss=vg.SequenceSoftmaxCrossEntropy(), dtype="float64",
                         seed=seed)


@pytest.mark.parametrize("kind", LAYERS)
def test_save_and_load_round_trip(kind, tmp_path):
    model = sequence_model(kind)
    ids = np.random.default_rng(0).integers(0, 6, size=(4, 3))
    model.fit(ids, np.roll(ids, -1, axis=0), epochs=2, batch_size=2, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = vg.load(tmp_path / "m.npz")
    assert repr(loaded.layers) == repr(model.layers)
    np.testing.assert_array_equal(loaded.predict_proba(ids), model.predict_proba(ids))


def test_model_gradients_equal_central_differences_with_padding():
    model = sequence_model("GRU")
    rng = np.random.default_rng(8)
    ids = rng.integers(0, 6, size=(3, 2))
    Y = rng.integers(0, 6, size=(3, 2))
    Y[2, 1] = -1  # padding
    _, grads = model.cost_and_grads(ids, Y)
    for name, p in model.params.items():
        numeric = numeric_gradient(lambda: model.cost(ids, Y), p)
        np.testing.assert_allclose(grads["d" + name], numeric, rtol=1e-6, atol=1e-9,
                                   err_msg=name)


def test_training_lowers_the_cost_of_a_learnable_sequence():
    """Predicting the next token of a repeating pattern is learnable: the cost falls."""
    ids = np.tile(np.arange(6), 4)[:, None] + np.zeros((1, 8), dtype=int)
    ids = (ids + np.arange(8)) % 6
    X, Y = ids[:-1], ids[1:]
    model = sequence_model("LSTM")
    history = model.fit(X, Y, epochs=40, batch_size=8, verbose=0,
                        optimizer=vg.Adam(0.05))
    assert history.cost[-1] < 0.1 * history.cost[0]
    assert model.evaluate(X, Y)["accuracy"] == 1.0


@pytest.mark.parametrize("kind", LAYERS)
def test_bad_inputs_are_named(kind):
    layer = LAYERS[kind](3, 4)
    with pytest.raises(ValueError, match=r"batch-first .*transpose\(2, 1, 0\)"):
        layer.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="add \\[..., None\\]"):
        layer.forward(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="T = 0"):
        layer.forward(np.zeros((3, 0, 2)))
    with pytest.raises(TypeError, match="Embedding"):
        layer.forward(np.zeros((3, 2, 2), dtype=int))
    with pytest.raises(ValueError, match=r"\(n_a, m\) = \(4, 2\), got \(4, 3\)"):
        bad = np.zeros((4, 3))
        layer.forward(np.zeros((3, 2, 2)), initial_state=(bad, bad) if kind == "LSTM" else bad)
    with pytest.raises(ValueError, match="T = 0"):
        vg.Sequential([layer], input_shape=(3, None), dtype="float64").forward(np.zeros((3, 0, 2)))
    with pytest.raises(ValueError, match=r"\(n_x, T, m\) = \(3, T, m\).*\(5, \?, m\)"):
        vg.Sequential([vg.Embedding(4, 5), layer])
    with pytest.raises(ValueError, match="n_a must be a positive integer"):
        LAYERS[kind](3, 0)
    with pytest.raises(RuntimeError, match="has not run backward"):
        layer.state_gradient_norms()


def test_lstm_initial_state_needs_both_states():
    with pytest.raises(ValueError, match=r"initial_state must be \(a0, c0\)"):
        vg.LSTM(2, 3).forward(np.zeros((2, 1, 1)), initial_state=np.zeros((3, 1)))


class OnePathRNN(vg.RNN):
    """The classic BPTT mistake: the gradient from step t + 1 is not added to the one from
    the output at t."""

    def _run_backward(self, dH):
        dZ = dH * (1 - self._H[1:] ** 2)  # time-major, like dH
        return dZ, dZ, (self._W_a.T @ dZ[0],)


@pytest.mark.parametrize("mode", ["sample", "fast"])
def test_gradcheck_passes_recurrent_models_and_names_a_broken_layer(mode):
    rng = np.random.default_rng(9)
    ids, Y = rng.integers(0, 6, size=(7, 3)), rng.integers(0, 6, size=(7, 3))
    layers = [vg.Embedding(6, 3), vg.LSTM(3, 4), vg.GRU(4, 3), vg.RNN(3, 4), vg.Dense(4, 6)]
    model = vg.Sequential(layers, loss=vg.SequenceSoftmaxCrossEntropy())
    assert vg.gradcheck(model, ids, Y, mode=mode).ok
    broken = vg.Sequential([vg.Embedding(6, 3), OnePathRNN(3, 4), vg.Dense(4, 6)],
                           loss=vg.SequenceSoftmaxCrossEntropy())
    report = vg.gradcheck(broken, ids, Y, mode=mode)
    assert not report.ok and not report["Waa2"].ok and report["W3"].ok
    assert report.first_wrong_layer == 2  # numbered like its parameters: Waa2


def test_guard_checks_sequence_models_without_false_alarms():
    model = sequence_model("LSTM")
    ids = np.random.default_rng(0).integers(0, 6, size=(5, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", vg.TrainingWarning)  # token ids are not "unscaled inputs"
        model.fit(ids, ids, epochs=1, batch_size=2, verbose=0)
    model.params["Wf2"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"Wf2 of layer 2 \(LSTM.*NaN or inf before training"):
        model.fit(ids, ids, epochs=1, verbose=0)
    model.params["Wf2"][0, 0] = 0.0
    with pytest.warns(vg.TrainingWarning, match=r"layer 3 \(Dense.*pre-activations reach"):
        model.fit(ids, ids, epochs=2, batch_size=2, verbose=0, optimizer=vg.SGD(1e30))


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_a_stateful_layer_refuses_shuffled_batches(kind):
    """Shuffled windows are unrelated: a state carried from one into the next is noise."""
    model = vg.Sequential([LAYERS[kind](2, 3, stateful=True), vg.Dense(3, 2)],
                          loss=vg.SequenceSoftmaxCrossEntropy())
    X = np.random.default_rng(0).standard_normal((2, 5, 8))
    Y = np.zeros((5, 8), dtype=np.int64)
    with pytest.raises(ValueError, match=r"shuffle=True.*layer 1 \(" + kind + ".*shuffle=False"):
        model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert not LAYERS[kind](2, 3).continues_batches
