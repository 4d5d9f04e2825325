"""Sequential: parameters, save/load, reproducibility, fit variants and input errors."""
import importlib.util

import numpy as np
import pytest
from numerics import numeric_gradient, relative_error

import verigrad as vg


def blobs(m=200, seed=0, dtype=np.float32):
    """Three Gaussian clusters in 4-D: an easy, data-free classification problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    centres = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], dtype=float)
    X = (centres[y] + 0.5 * rng.standard_normal((m, 4))).T
    return np.asarray(X, dtype=dtype), y


def small_model(**kwargs):
    return vg.Sequential([vg.Dense(4, 8), vg.ReLU(), vg.Dropout(0.2), vg.Dense(8, 3)],
                         loss=vg.SoftmaxCrossEntropy(), **kwargs)


def test_params_are_named_live_and_writable():
    model = small_model()
    assert list(model.params) == ["W1", "b1", "W2", "b2"]
    assert model.params["W1"].shape == (8, 4) and model.params["b2"].shape == (3, 1)
    assert model.params["W1"] is model.layers[0].params["W"]
    X, _ = blobs(5)
    model.params["W2"] = np.zeros((3, 8))
    model.params["b2"][...] = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(model.forward(X), np.tile([[1.0], [2.0], [3.0]], 5))
    with pytest.raises(ValueError, match=r"params\['W2'\] has shape \(3, 8\), got \(8, 3\)"):
        model.params["W2"] = np.zeros((8, 3))


def test_cost_and_grads_of_the_whole_model_match_central_differences():
    model = small_model(dtype="float64", l2=0.1)
    X, y = blobs(6, dtype=np.float64)
    cost, grads = model.cost_and_grads(X, y)
    assert list(grads) == ["dW1", "db1", "dW2", "db2"]
    for name, p in model.params.items():
        numeric = numeric_gradient(lambda: model.cost(X, y), p)
        assert relative_error(grads[f"d{name}"], numeric) < 1e-7, name


def test_cost_and_grads_returns_copies():
    model = small_model(dtype="float64")
    X, y = blobs(6, dtype=np.float64)
    _, first = model.cost_and_grads(X, y)
    saved = first["dW1"].copy()
    model.cost_and_grads(X[:, :3], y[:3])
    np.testing.assert_array_equal(first["dW1"], saved)


def test_same_seed_same_model_and_training_different_seed_differs():
    X, y = blobs()

    def run(model_seed, fit_seed):
        model = small_model(seed=model_seed)
        history = model.fit(X, y, epochs=3, batch_size=16, seed=fit_seed, verbose=0)
        return model, history

    a, ha = run(0, 0)
    b, hb = run(0, 0)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert ha.step_cost == hb.step_cost
    c, hc = run(0, 1)  # other shuffling and dropout masks
    assert hc.step_cost != ha.step_cost
    assert not np.array_equal(small_model(seed=1).params["W1"], small_model(seed=0).params["W1"])


def test_explicit_layer_seed_wins_over_model_seed():
    a = vg.Sequential([vg.Dense(4, 3, seed=7)], loss=vg.MSE(), seed=0)
    b = vg.Sequential([vg.Dense(4, 3, seed=7)], loss=vg.MSE(), seed=1)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])


def test_save_and_load_predict_bit_identically(tmp_path):
    X, y = blobs()
    model = vg.Sequential([vg.Dense(4, 8), vg.LeakyReLU(0.2), vg.Dense(8, 6), vg.Tanh(),
                           vg.Dropout(0.1), vg.Dense(6, 5), vg.Sigmoid(), vg.Dense(5, 3)],
                          loss=vg.SoftmaxCrossEntropy(), l2=0.01)
    model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = vg.load(path)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    for k in model.params:
        assert loaded.params[k].dtype == np.float32
        np.testing.assert_array_equal(loaded.params[k], model.params[k])
    with np.load(path, allow_pickle=False) as raw:  # the file needs no pickle
        assert set(raw.files) == {"__architecture__", *model.params}


def test_custom_layer_subclass_trains_saves_and_loads(tmp_path):
    class Scale(vg.Layer):
        """A = s ⊙ Z with a learned per-unit scale s (n, 1): ds = Σ_columns dA ⊙ Z."""

        def __init__(self, n):
            super().__init__()
            self.n = n
            self.params = {"s": np.ones((n, 1))}
            self.grads = {"s": np.zeros((n, 1))}

        def forward(self, Z, training=False):
            self.Z = Z
            return self.params["s"] * Z

        def backward(self, dA):
            self.grads["s"] = np.sum(dA * self.Z, axis=1, keepdims=True)
            return self.params["s"] * dA

        def get_config(self):
            return {"n": self.n}

    model = vg.Sequential([vg.Dense(4, 5), vg.Tanh(), Scale(5), vg.Dense(5, 3)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    assert list(model.params) == ["W1", "b1", "s2", "W3", "b3"]
    X, y = blobs(8, dtype=np.float64)
    _, grads = model.cost_and_grads(X, y)
    numeric = numeric_gradient(lambda: model.cost(X, y), model.params["s2"])
    assert relative_error(grads["ds2"], numeric) < 1e-7
    before = model.params["s2"].copy()
    model.fit(X, y, epochs=2, batch_size=4, optimizer=vg.SGD(0.5), verbose=0)
    assert not np.array_equal(before, model.params["s2"])
    model.save(tmp_path / "custom.npz")
    loaded = vg.load(tmp_path / "custom.npz", custom_layers={"Scale": Scale})
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("batch_size", [200, 16, 1])
def test_full_mini_and_per_example_batches_learn(batch_size):
    X, y = blobs()
    model = small_model()
    lr = 0.01 if batch_size == 1 else 0.05
    history = model.fit(X, y, epochs=10 if batch_size > 1 else 2, batch_size=batch_size,
                        optimizer=vg.SGD(lr, momentum=0.9), verbose=0)
    assert history.steps_per_epoch == -(-200 // batch_size)
    assert len(history.step_cost) == history.steps_per_epoch * history.epochs
    assert history.cost[-1] < history.cost[0]
    assert model.evaluate(X, y)["accuracy"] > 0.95


def test_history_fields_and_json_round_trip(tmp_path):
    X, y = blobs()
    model = small_model()
    history = model.fit(X, y, epochs=4, batch_size=50, validation_data=blobs(60, seed=1),
                        optimizer=vg.Adam(0.01, schedule=vg.StepDecay(2, 0.5)), verbose=0)
    assert history.epochs == 4 and len(history.val_accuracy) == 4
    assert history.lr == [0.01, 0.01, 0.005, 0.005]
    # The epoch cost is the size-weighted mean of that epoch's mini-batch costs.
    assert history.cost[0] == pytest.approx(np.mean(history.step_cost[:4]))
    history.save(tmp_path / "h.json")
    assert vg.History.load(tmp_path / "h.json").to_dict() == history.to_dict()


def test_evaluate_matches_cost_and_a_hand_count():
    X, y = blobs(300)
    model = small_model(l2=0.5)
    result = model.evaluate(X, y)
    assert result["cost"] == pytest.approx(model.cost(X, y), rel=1e-6)
    assert result["accuracy"] == np.mean(model.forward(X).argmax(axis=0) == y)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=0), 1, rtol=1e-6)


def test_callbacks_see_every_step_and_can_stop_training():
    class StopAtFive(vg.Callback):
        def __init__(self):
            self.steps = []

        def on_step_end(self, model, step, cost):
            self.steps.append(step)
            if step == 5:
                model.stop_training = True

    X, y = blobs()
    cb = StopAtFive()
    history = small_model().fit(X, y, epochs=3, batch_size=10, callbacks=[cb], verbose=0)
    assert cb.steps == [1, 2, 3, 4, 5] and history.epochs == 1


def test_callback_hooks_run_in_order_and_on_backward_end_sees_the_gradients():
    """on_backward_end comes after backprop and before the update: the layers hold the
    gradient of the step's cost at the parameters it was computed with, and
    model.activations the step's forward pass; on_step_end sees the update done."""
    class Spy(vg.Callback):
        def __init__(self):
            self.calls = []

        def on_train_begin(self, model, history):
            self.calls.append("train_begin")

        def on_epoch_begin(self, model, epoch):
            self.calls.append(f"epoch_begin {epoch}")

        def on_step_begin(self, model, step):
            self.calls.append(f"step_begin {step}")
            self.before = {k: v.copy() for k, v in model.params.items()}

        def on_backward_end(self, model, step, cost):
            self.calls.append(f"backward_end {step}")
            assert all(np.array_equal(model.params[k], v) for k, v in self.before.items())
            X = model.activations[0]
            assert model.activations[-1].shape == (3, X.shape[-1])
            grads = {f"d{name}": array.copy() for name, array in model.gradients().items()}
            check = model.astype("float64")
            _, expected = check.cost_and_grads(X.astype(np.float64), self.labels(X))
            for name, g in expected.items():
                np.testing.assert_allclose(grads[name], g, rtol=1e-4, atol=1e-6)

        def on_step_end(self, model, step, cost):
            self.calls.append(f"step_end {step}")
            assert not np.array_equal(model.params["W1"], self.before["W1"])

        def on_epoch_end(self, model, epoch, history):
            self.calls.append(f"epoch_end {epoch}")

        def on_train_end(self, model, history):
            self.calls.append("train_end")

    X, y = blobs(20)
    spy = Spy()
    columns = {X[:, j].tobytes(): y[j] for j in range(20)}
    spy.labels = lambda Xb: np.array([columns[Xb[:, j].tobytes()] for j in range(Xb.shape[1])])
    model = vg.Sequential([vg.Dense(4, 8), vg.ReLU(), vg.Dense(8, 3)],
                          loss=vg.SoftmaxCrossEntropy())
    model.fit(X, y, epochs=2, batch_size=10, optimizer=vg.SGD(0.1), callbacks=[spy], verbose=0)
    step = ["step_begin {0}", "backward_end {0}", "step_end {0}"]
    assert spy.calls == ["train_begin", "epoch_begin 0",
                         *(c.format(k) for k in (1, 2) for c in step), "epoch_end 0",
                         "epoch_begin 1", *(c.format(k) for k in (3, 4) for c in step),
                         "epoch_end 1", "train_end"]


def test_regression_and_binary_models_train():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (2, 300)).astype(np.float32)
    target = (np.sin(3 * X[0]) + X[1] ** 2).astype(np.float32)
    reg = vg.mlp([2, 32, 1], activation="tanh", loss=vg.MSE())
    reg.fit(X, target, epochs=200, batch_size=300, optimizer=vg.Adam(0.02), verbose=0)
    assert reg.evaluate(X, target)["cost"] < 0.01
    labels = (X[0] * X[1] > 0).astype(np.int64)  # XOR of the signs
    clf = vg.mlp([2, 16, 1], loss=vg.BinaryCrossEntropy())
    clf.fit(X, labels, epochs=300, batch_size=300, optimizer=vg.Adam(0.05), verbose=0)
    assert clf.evaluate(X, labels)["accuracy"] > 0.95


def test_divergence_stops_training_naming_the_layer():
    rng = np.random.default_rng(0)
    X = (1000 * rng.standard_normal((3, 64)))  # inputs not scaled
    Y = rng.standard_normal((1, 64))
    model = vg.Sequential([vg.Dense(3, 4), vg.ReLU(), vg.Dense(4, 1)], loss=vg.MSE(),
                          dtype="float64")
    with pytest.warns(vg.TrainingWarning, match="not scaled"), \
            pytest.raises(vg.TrainingDiverged) as err:
        model.fit(X, Y, epochs=20, batch_size=64, optimizer=vg.SGD(0.1), verbose=0)
    assert err.value.step is not None and err.value.step <= 20
    assert "Dense" in err.value.layer
    assert "learning rate" in str(err.value)


def test_mlp_builder():
    model = vg.mlp([5, 7, 6, 2], activation="tanh", dropout=0.3)
    kinds = [type(l).__name__ for l in model.layers]
    assert kinds == ["Dense", "Tanh", "Dropout", "Dense", "Tanh", "Dropout", "Dense"]
    assert model.layers[0].init == "xavier" and isinstance(model.loss, vg.SoftmaxCrossEntropy)
    with pytest.raises(ValueError, match="activation must be one of"):
        vg.mlp([3, 2], activation="swish")


def test_float64_copy_for_gradient_checks():
    model = small_model()
    copy = model.astype("float64")
    assert copy.params["W1"].dtype == np.float64 and model.params["W1"].dtype == np.float32
    np.testing.assert_array_equal(copy.params["W1"], model.params["W1"])
    copy.params["W1"][0, 0] += 1
    assert copy.params["W1"][0, 0] != model.params["W1"][0, 0]


# ---- bad input -----------------------------------------------------------------------

def test_layer_size_mismatch_names_the_layer():
    with pytest.raises(ValueError, match=r"layer 2 .*expects n_in=5 .* gives 8"):
        vg.Sequential([vg.Dense(4, 8), vg.ReLU(), vg.Dense(5, 3)])


def test_fused_output_activation_is_refused():
    with pytest.raises(ValueError, match="remove the final Softmax"):
        vg.Sequential([vg.Dense(4, 3), vg.Softmax()], loss=vg.SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match="remove the final Sigmoid"):
        vg.Sequential([vg.Dense(4, 1), vg.Sigmoid()], loss=vg.BinaryCrossEntropy())


@pytest.mark.parametrize("X,error,pattern", [
    (np.zeros((5, 4), np.float32), ValueError, r"shape \(5, 4\).*expects \(4, m\).*pass X\.T"),
    (np.zeros((3, 10), np.float32), ValueError, r"shape \(3, 10\).*expects \(4, m\)"),
    (np.zeros(4, np.float32), ValueError, "must be 2-D"),
    (np.zeros((4, 10), np.uint8), TypeError,
     r"X has dtype uint8, but the model computes in float32: convert and scale it first, "
     r"e\.g\. X\.astype\(np\.float32\) / 255 for 8-bit images"),
    (np.zeros((4, 10), np.int64), TypeError, "dtype int64.*convert and scale"),
    ([[0.0] * 10] * 4, TypeError, "NumPy array"),
    (np.where(np.eye(4, 10) > 0, np.nan, 0).astype(np.float32), ValueError,
     r"NaN or inf .*X\[0, 0\]"),
], ids=["transposed", "wrong_rows", "1d", "uint8", "int64", "list", "nan"])
def test_bad_inputs_name_the_argument_and_shapes(X, error, pattern):
    model = small_model()
    with pytest.raises(error, match=pattern):
        model.fit(X, np.zeros(np.shape(X)[-1], np.int64), verbose=0)


def test_float64_input_is_cast_once_to_the_models_dtype(monkeypatch):
    """np.random's float64 into a float32 model trains exactly as its float32 copy does;
    the cast happens once per fit (for X and for the validation data), not per step."""
    X64, y = blobs(120, dtype=np.float64)
    X64 = np.asfortranarray(X64)
    casts = []
    real = vg.model.check_inputs

    def counting(X, *args, **kwargs):
        out = real(X, *args, **kwargs)
        if out is not X:
            casts.append((X.dtype, out.dtype, out.flags.f_contiguous))
        return out

    monkeypatch.setattr(vg.model, "check_inputs", counting)
    cast_model, plain_model = small_model(), small_model()
    h_cast = cast_model.fit(X64, y, epochs=3, batch_size=16, validation_data=(X64, y), verbose=0)
    assert casts == [(np.float64, np.float32, True)] * 2
    X32 = X64.astype(np.float32)
    h_plain = plain_model.fit(X32, y, epochs=3, batch_size=16, validation_data=(X32, y),
                              verbose=0)
    assert h_cast.step_cost == h_plain.step_cost and h_cast.val_cost == h_plain.val_cost
    for name in plain_model.params:
        np.testing.assert_array_equal(cast_model.params[name], plain_model.params[name])
    out = cast_model.forward(X64)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, cast_model.forward(X32))
    np.testing.assert_array_equal(cast_model.predict(X64), cast_model.predict(X32))
    assert cast_model.evaluate(X64, y) == cast_model.evaluate(X32, y)
    # the other way too: float32 input into a float64 model
    wide = small_model(dtype="float64")
    assert wide.forward(X32).dtype == np.float64
    np.testing.assert_array_equal(wide.forward(X32), wide.forward(X32.astype(np.float64)))
    # the checks still apply to the cast array
    X64[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf .*X\[0, 0\]"):
        small_model().fit(X64, y, verbose=0)


@pytest.mark.parametrize("Y,error,pattern", [
    (np.array([0, 1, 2, 3] * 5), ValueError, r"labels from 0 to 3.*\[0, 2\]"),
    (np.array([0, 1] * 10, dtype=float), TypeError, "integer dtype"),
    (np.zeros(19, np.int64), ValueError, "19 examples .* 20 columns"),
    (np.zeros((2, 20)), ValueError, r"shape \(2, 20\), expected \(3, 20\)"),
], ids=["out_of_range", "float_labels", "count", "one_hot_rows"])
def test_bad_labels_are_explained(Y, error, pattern):
    X, _ = blobs(20)
    with pytest.raises(error, match=pattern):
        small_model().fit(X, Y, verbose=0)


def test_bad_fit_arguments():
    X, y = blobs(20)
    model = small_model()
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.fit(X, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_data\\[0\\] has shape"):
        model.fit(X, y, validation_data=(X.T, y), verbose=0)
    with pytest.raises(ValueError, match="no loss"):
        vg.Sequential([vg.Dense(4, 3)]).fit(X, y, verbose=0)
    with pytest.raises(TypeError, match="optimizer must be a verigrad Optimizer"):
        model.fit(X, y, optimizer="adam", verbose=0)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
@pytest.mark.parametrize("make", [lambda b: vg.Adam(0.01, backend=b),
                                  lambda b: vg.RMSProp(0.01, backend=b),
                                  lambda b: vg.SGD(0.1, momentum=0.9, nesterov=True, backend=b)],
                         ids=["adam", "rmsprop", "nesterov"])
def test_numba_and_numpy_optimizers_agree_in_float32(make):
    start = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    runs = {}
    for backend in ("numpy", "numba"):
        p, optimizer = start.copy(), make(backend)
        for step in range(20):
            optimizer.step({"W": p}, {"W": np.sin(p + step)})
        assert p.dtype == np.float32
        runs[backend] = p
    np.testing.assert_allclose(runs["numba"], runs["numpy"], rtol=1e-5, atol=1e-6)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of"):
        vg.Adam(backend="cuda")


def test_model_and_optimizer_pickle_after_training():
    import pickle

    X, y = blobs(40)
    model, optimizer = small_model(), vg.Adam(0.01)
    model.fit(X, y, epochs=1, batch_size=8, optimizer=optimizer, verbose=0)
    copy, opt_copy = pickle.loads(pickle.dumps((model, optimizer)))
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    assert opt_copy.t == optimizer.t


def test_a_loop_of_your_own_with_the_step_interface_trains_as_fit_does():
    """cost_and_backward, gradients() and an optimizer's step are fit's step: full-batch
    steps without shuffling give the same weights either way."""
    X, y = blobs()
    fitted, own = vg.mlp([4, 8, 3], l2=0.01), vg.mlp([4, 8, 3], l2=0.01)
    history = fitted.fit(X, y, epochs=3, batch_size=X.shape[1], shuffle=False,
                         optimizer=vg.Adam(1e-2), verbose=0)
    X, y = own.check_data(X, y)
    optimizer, costs = vg.Adam(1e-2), []
    for _ in range(3):
        cost, Z = own.cost_and_backward(X, y)
        assert Z.shape == (3, X.shape[1]) and list(own.gradients()) == list(own.params)
        optimizer.step(own.params, own.gradients())
        costs.append(cost)
    np.testing.assert_allclose(costs, history.step_cost, rtol=1e-6)
    for name in own.params:
        np.testing.assert_allclose(own.params[name], fitted.params[name], rtol=1e-5)
    # the L2 term is the only difference between the loss and the cost of a batch
    loss, _ = own.loss_and_backward(X, y)
    cost, _ = own.cost_and_backward(X, y)
    assert cost == pytest.approx(loss + own.l2_penalty(X.shape[1]))
    assert isinstance(own.rng, np.random.Generator)
