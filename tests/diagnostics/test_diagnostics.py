"""The NaN/inf guard, its precursor warnings, the Monitor's warnings, spikes and overfitting:
each warning fires on a case built to have the problem and stays silent on healthy runs."""
import warnings

import numpy as np
import pytest

import verigrad as vg
from verigrad.diagnostics import (
    Monitor,
    TrainingWarning,
    check_overfitting,
    confusion_matrix,
    describe_spikes,
    most_confident_mistakes,
)


def recorded(run):
    """Run ``run()`` with NumPy set to warn on every floating-point error (its default for
    overflow) and return (its result or exception, every warning issued, in order)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            result = run()
        except vg.TrainingDiverged as err:
            result = err
    return result, caught


def messages(caught, category=TrainingWarning):
    return [str(w.message) for w in caught if issubclass(w.category, category)]


def learner_data(m=1900):
    """A forum learner's problem: 2 features, 2 classes, divided by the maximum and multiplied by 10
    (so in [0, 10]), labels one-hot in a (2, m) float array."""
    X, y = vg.data.make_moons(m, noise=0.2, seed=2)
    X = (X - X.min(axis=1, keepdims=True)) / X.max() * 10
    return X.astype(np.float32), y, np.eye(2, dtype=np.float32)[y].T.copy()


def rand_init(model, seed=1):
    """The thread's initialize_parameters: every W and b from np.random.rand, i.e. U[0, 1)."""
    rng = np.random.default_rng(seed)
    for name in model.params:
        model.params[name] = rng.random(model.params[name].shape)
    return model


# ---- a forum learner's 2-3-2 network ------------------------------------------------------

def test_learner_2_3_2_network_is_flagged_before_any_numpy_warning():
    """The thread's backward pass uses dZ2 = A2 − Y, the gradient of sigmoid + cross-entropy
    (BinaryCrossEntropy on one-hot targets), summed over the 1900 examples instead of
    averaged: its lr 0.1 is lr 190 on verigrad's mean cost; every step sees the full batch.
    verigrad's stable sigmoid never overflows, so NumPy stays silent; the guard's warnings
    name the causes at step 1 and the layer whose pre-activations explode at step 2. Like
    the learner's run, this one stays stuck near chance with its ReLUs dead."""
    X, y, Y = learner_data()
    model = rand_init(vg.Sequential([vg.Dense(2, 3), vg.ReLU(), vg.Dense(3, 2)],
                                    loss=vg.BinaryCrossEntropy()))
    monitor = Monitor(verbose=0)
    history, caught = recorded(lambda: model.fit(X, Y, epochs=30, batch_size=1900,
                                                  optimizer=vg.SGD(190), callbacks=[monitor],
                                                  verbose=0))
    assert caught and issubclass(caught[0].category, TrainingWarning)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    found = messages(caught)
    assert any(m.startswith("the inputs are not scaled") for m in found)
    assert any(m.startswith("W1 holds only values in [0, 1)") for m in found)
    assert any(m.startswith("W2 holds only values in [0, 1)") for m in found)
    exploding = [m for m in found if "pre-activations reach" in m]
    assert exploding[0].startswith("layer 1 (Dense W1, b1)") and "at step 2" in exploding[0]
    assert any("of the ReLU units are dead" in m for m in monitor.warnings)
    assert history.accuracy[-1] < 0.6


def test_guard_stops_the_rand_init_times_10_network_naming_the_layer():
    """The same network with linear outputs and the half squared error of the thread's
    answer, 0.5·Σ(A − Y)²: the squared error feeds back into ever larger weights and
    overflows at step 9. The guard stops there, names the layer and the step, gives the
    largest pre-activation and blames the inputs and the rand init it saw at step 1."""
    X, y, Y = learner_data()
    model = rand_init(vg.Sequential([vg.Dense(2, 3), vg.ReLU(), vg.Dense(3, 2)], loss=vg.MSE()))
    err, caught = recorded(lambda: model.fit(X, Y, epochs=50, batch_size=1900,
                                              optimizer=vg.SGD(190), verbose=0))
    assert isinstance(err, vg.TrainingDiverged)
    assert err.step == 9
    assert err.layer == "the loss (MSE()) of the output of layer 2 (Dense W2, b2)"
    assert err.max_abs_preactivation > 1e15
    text = str(err)
    assert text.startswith("training diverged at step 9: the cost is inf")
    assert "inputs not scaled" in text and "np.random.rand" in text and "lr = 190" in text
    assert issubclass(caught[0].category, TrainingWarning)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_inputs_times_1000_with_mse_and_sgd_diverge_and_are_caught():
    """Unscaled inputs (×1000), MSE, plain SGD: without the guard the run turns to NaN amid
    NumPy overflow warnings; with it, training stops at the first non-finite cost."""
    rng = np.random.default_rng(0)
    X = (rng.random((100, 1000)) * 1000).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 1000)].T.copy()

    def train(guard):
        model = vg.mlp([100, 64, 10], loss=vg.MSE(), seed=0)
        return model.fit(X, Y, epochs=2, batch_size=100, optimizer=vg.SGD(0.01), verbose=0,
                         guard=guard)

    history, caught = recorded(lambda: train(False))
    assert np.isnan(history.step_cost[-1])
    assert any("overflow" in m for m in messages(caught, RuntimeWarning))

    err, caught = recorded(lambda: train(True))
    assert isinstance(err, vg.TrainingDiverged) and err.step <= 5
    assert err.layer == "the loss (MSE()) of the output of layer 2 (Dense W2, b2)"
    assert messages(caught)[0].startswith("the inputs are not scaled: their root mean square")
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_an_update_that_overflows_is_reported_at_its_own_step():
    """The cost of step 1 is finite, but its update (lr 1e39) makes the weights infinite:
    the guard reports step 1 and the parameter, whether step 2 sees it or the epoch ends."""
    X, y = vg.data.make_blobs(200, centers=2, seed=0)
    for epochs, batch_size in ((1, 200), (3, 100)):
        model = vg.mlp([2, 8, 2], seed=0)
        def train(model=model, epochs=epochs, batch_size=batch_size):
            return model.fit(X, y, epochs=epochs, batch_size=batch_size,
                             optimizer=vg.SGD(1e39), verbose=0)

        err, caught = recorded(train)
        assert isinstance(err, vg.TrainingDiverged) and err.step == 1
        assert "the update of step 1 made W1 of layer 1 (Dense W1, b1) non-finite" in str(err)
        assert err.layer == "layer 1 (Dense W1, b1)"
        assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_non_finite_parameters_before_training_are_an_error():
    X, y = vg.data.make_blobs(100, centers=2)
    model = vg.mlp([2, 4, 2])
    model.params["b2"][1] = np.inf
    with pytest.raises(ValueError, match=r"^b2 of layer 2 \(Dense W2, b2\) holds NaN or inf"):
        model.fit(X, y, epochs=1, verbose=0)


def test_saturating_hidden_layer_is_flagged_at_step_1():
    X, y = vg.data.make_circles(400, seed=0)
    model = vg.Sequential([vg.Dense(2, 16), vg.Tanh(), vg.Dense(16, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    model.params["W1"] = model.params["W1"] * 100
    _, caught = recorded(lambda: model.fit(X, y, epochs=1, verbose=0))
    found = [m for m in messages(caught) if "pre-activations reach" in m]
    assert len(found) == 1 and found[0].startswith("layer 1 (Dense W1, b1): pre-activations reach")
    assert "of its Tanh (|Z| ≤ 30)" in found[0] and "at step 1" in found[0]


# ---- healthy runs stay silent ----------------------------------------------------------

def test_healthy_toy_run_gives_no_warning():
    X, y = vg.data.make_moons(1000, noise=0.2, seed=0)
    model = vg.mlp([2, 16, 16, 2], seed=0)
    monitor = Monitor(verbose=0)
    history, caught = recorded(lambda: model.fit(X, y, epochs=40, batch_size=32,
                                                  optimizer=vg.Adam(1e-2), callbacks=[monitor],
                                                  validation_data=(X, y), verbose=0))
    assert history.accuracy[-1] > 0.95
    assert caught == [] and monitor.warnings == []
    assert history.spikes() == []
    assert check_overfitting(history) is None


def test_healthy_mnist_run_gives_no_warning(data_dir):
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(data_dir / "mnist")
    model = vg.mlp([784, 128, 64, 10], dropout=0.2, seed=0)
    monitor = Monitor(verbose=0)
    history, caught = recorded(lambda: model.fit(
        X_train[:, :8000], Y_train[:8000], epochs=2, batch_size=128, callbacks=[monitor],
        validation_data=(X_test[:, :2000], Y_test[:2000]), verbose=0))
    assert history.val_accuracy[-1] > 0.85
    assert caught == [] and monitor.warnings == []
    layers = {r["layer"] for r in monitor.records}
    assert layers == {1, 2, 3} and len(monitor.records) == 6
    first = monitor.records[0]
    assert 0 <= first["dead"] < 0.1 and first["saturated"] is None
    assert 1e-4 < first["update_ratio"] < 1e-1


# ---- the Monitor ----------------------------------------------------------------------

def test_monitor_statistics_match_a_hand_computation():
    """One full-batch SGD step: the recorded numbers are those computed from the weights
    before the step and the gradient, by hand."""
    X, y = vg.data.make_blobs(64, centers=2, seed=3, dtype="float64")
    model = vg.Sequential([vg.Dense(2, 5), vg.ReLU(), vg.Dense(5, 4), vg.Sigmoid(),
                           vg.Dense(4, 2)], loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    before = {k: v.copy() for k, v in model.params.items()}
    _, grads = model.cost_and_grads(X, y, training=True)
    monitor = Monitor(verbose=0)
    model.fit(X, y, epochs=1, batch_size=64, optimizer=vg.SGD(0.1), shuffle=False,
              callbacks=[monitor], verbose=0)
    Z1 = before["W1"] @ X + before["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = before["W2"] @ A1 + before["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    relu, sig, out = monitor.records
    assert relu["act_mean"] == pytest.approx(A1.mean())
    assert relu["act_std"] == pytest.approx(A1.std())
    assert relu["dead"] == pytest.approx(np.mean((Z1 <= 0).all(axis=1)))
    assert relu["max_abs_z"] == pytest.approx(np.abs(Z1).max())
    assert relu["grad_norm"] == pytest.approx(np.linalg.norm(grads["dW1"]))
    assert relu["update_ratio"] == pytest.approx(0.1 * np.linalg.norm(grads["dW1"]) /
                                                 np.linalg.norm(before["W1"]))
    assert sig["act_mean"] == pytest.approx(A2.mean())
    assert sig["saturated"] == pytest.approx(np.mean(np.abs(Z2) > 4.6))
    assert sig["dead"] is None and out["dead"] is None and out["saturated"] is None
    assert out["grad_norm"] == pytest.approx(np.linalg.norm(grads["dW3"]))


def test_dead_relus_are_flagged():
    X, y = vg.data.make_moons(500, seed=0)
    model = vg.mlp([2, 32, 2], seed=0)
    model.params["b1"] = np.full((32, 1), -20.0)
    monitor = Monitor(verbose=0)
    _, caught = recorded(lambda: model.fit(X, y, epochs=2, callbacks=[monitor], verbose=0))
    assert monitor.records[0]["dead"] == 1.0
    dead = [m for m in monitor.warnings if "dead" in m]
    assert len(dead) == 1 and dead[0].startswith("layer 1 (Dense W1, b1) → ReLU: 100% of the ReLU")
    assert "Fix:" in dead[0] and dead[0] in messages(caught)


def test_saturated_sigmoid_units_are_flagged():
    X, y = vg.data.make_moons(500, seed=0)
    model = vg.Sequential([vg.Dense(2, 16), vg.Sigmoid(), vg.Dense(16, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    model.params["W1"] = model.params["W1"] * 20
    monitor = Monitor(verbose=0)
    recorded(lambda: model.fit(X, y, epochs=1, callbacks=[monitor], verbose=0))
    assert monitor.records[0]["saturated"] > 0.5
    assert any("of the outputs are saturated" in m for m in monitor.warnings)


def test_vanishing_gradients_in_a_deep_sigmoid_stack_are_flagged():
    X, y = vg.data.make_circles(256, seed=0)
    layers = [vg.Dense(2, 16, init="normal"), vg.Sigmoid()]
    for _ in range(5):
        layers += [vg.Dense(16, 16, init="normal"), vg.Sigmoid()]
    model = vg.Sequential(layers + [vg.Dense(16, 2, init="normal")],
                          loss=vg.SoftmaxCrossEntropy())
    monitor = Monitor(verbose=0)
    recorded(lambda: model.fit(X, y, epochs=1, callbacks=[monitor], verbose=0))
    found = [m for m in monitor.warnings if m.startswith("vanishing gradients")]
    assert len(found) == 1 and "layer 1 (Dense W1, b1) → Sigmoid" in found[0]


def test_gradients_growing_with_a_learning_rate_too_large_are_flagged():
    """Least squares with full-batch SGD at lr 3 on unit-variance inputs: every step
    overshoots and doubles the error (factor 1 − 3·1 = −2), so ‖dW‖ grows about 2× a step."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 512))
    X /= X.std(axis=1, keepdims=True)
    Y = (np.array([[1.0, -2.0]]) @ X).astype(np.float32)
    model = vg.Sequential([vg.Dense(2, 1)], loss=vg.MSE())
    monitor = Monitor(verbose=0)
    recorded(lambda: model.fit(X.astype(np.float32), Y, epochs=10, batch_size=512,
                               optimizer=vg.SGD(3.0), callbacks=[monitor], verbose=0))
    norms = [r["grad_norm"] for r in monitor.records]
    assert norms[-1] / norms[0] > 100
    assert any("exploding gradients" in m for m in monitor.warnings)
    assert any("each step changes W by" in m and "too large" in m for m in monitor.warnings)


def test_gradients_growing_while_the_cost_falls_are_not_called_exploding():
    """A deep linear network started near 0 sits on a saddle: its first layer's gradient
    grows 10,000-fold over the epochs as it leaves, while the cost falls every epoch."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 512)).astype(np.float32)
    Y = np.array([[1.0, -2.0]], dtype=np.float32) @ X
    model = vg.Sequential([vg.Dense(2, 4, init="normal"), vg.Dense(4, 4, init="normal"),
                           vg.Dense(4, 4, init="normal"), vg.Dense(4, 1, init="normal")],
                          loss=vg.MSE())
    monitor = Monitor(verbose=0)
    history, _ = recorded(lambda: model.fit(X, Y, epochs=8, batch_size=64,
                                            optimizer=vg.Adam(3e-3), callbacks=[monitor],
                                            verbose=0))
    norms = [r["grad_norm"] for r in monitor.records if r["layer"] == 1]
    assert norms[-1] / norms[0] > 1000 and np.all(np.diff(history.cost) < 0)
    assert not any("exploding" in m for m in monitor.warnings)


def test_learning_rate_too_small_is_flagged():
    X, y = vg.data.make_moons(500, seed=0)
    model = vg.mlp([2, 16, 2], seed=0)
    monitor = Monitor(verbose=0)
    recorded(lambda: model.fit(X, y, epochs=1, optimizer=vg.SGD(1e-7), callbacks=[monitor],
                               verbose=0))
    assert all(r["update_ratio"] < 1e-5 for r in monitor.records)
    assert any("barely learns" in m for m in monitor.warnings)


def test_monitor_samples_few_steps_and_prints_a_table(capsys):
    X, y = vg.data.make_moons(640, seed=0)
    monitor = Monitor(samples=3, verbose=1)
    vg.mlp([2, 8, 2]).fit(X, y, epochs=2, batch_size=32, callbacks=[monitor], verbose=0)
    assert monitor._sampled == {0, 10, 19}
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["epoch", "layer", "act", "mean"]
    assert len(lines) == 1 + 2 * 2 and lines[1].startswith("    1  layer 1 (Dense W1, b1) → ReLU")
    with pytest.raises(ValueError, match="samples must be a positive integer"):
        Monitor(samples=0)


# ---- spikes ------------------------------------------------------------------------------

def spiky_curve(n=400, spikes=(50, 120, 300), seed=0):
    rng = np.random.default_rng(seed)
    cost = (2.0 * np.exp(-np.arange(n) / 80) + 0.1) * (1 + 0.01 * rng.standard_normal(n))
    cost[list(spikes)] *= 1.5
    return cost


def history_of(cost, steps_per_epoch, lr=None):
    history = vg.History(batch_size=32, steps_per_epoch=steps_per_epoch)
    history.step_cost = list(cost)
    epochs = len(cost) // steps_per_epoch
    history.lr = [0.1] * epochs if lr is None else lr
    history.cost = [float(np.mean(cost[e * steps_per_epoch:(e + 1) * steps_per_epoch]))
                    for e in range(epochs)]
    return history


def test_spikes_are_found_on_a_synthetic_curve():
    found = history_of(spiky_curve(), 1).spikes()
    assert [s["step"] for s in found] == [51, 121, 301]
    assert all(s["cause"] == "learning rate" for s in found)
    cost = spiky_curve()
    for s in found:
        i = s["step"] - 1
        assert s["value"] == cost[i] and s["trend"] == np.median(cost[i - 10:i])
        assert s["size"] == pytest.approx(cost[i] / np.median(cost[i - 10:i]) - 1)
    assert history_of(spiky_curve(spikes=()), 1).spikes() == []


def test_spike_causes_mini_batch_noise_and_schedule_step():
    noisy = history_of(spiky_curve(), 10).spikes()
    assert [(s["step"], s["epoch"], s["cause"]) for s in noisy] == [
        (51, 6, "mini-batch noise"), (121, 13, "mini-batch noise"), (301, 31, "mini-batch noise")]
    lr = [0.1] * 30 + [0.3] * 10  # raised at the start of epoch 31 (step 301)
    scheduled = history_of(spiky_curve(), 10, lr).spikes()
    assert [s["cause"] for s in scheduled] == ["mini-batch noise", "mini-batch noise",
                                               "schedule step"]
    report = describe_spikes(history_of(spiky_curve(), 10, lr))
    assert report.splitlines()[0] == "3 spikes in the cost curve:"
    assert "2 from mini-batch noise:" in report and "1 from schedule step:" in report
    assert "step 301: cost" in report


def test_full_batch_training_with_a_large_learning_rate_spikes():
    """A forum learner's situation: full-batch gradient descent on a ReLU network whose cost jumps
    up now and then; the jumps are put down to the learning rate."""
    X, y = vg.data.make_spirals(500, seed=0)
    model = vg.mlp([2, 32, 32, 2], seed=0)
    history = model.fit(X, y, epochs=100, batch_size=500, optimizer=vg.SGD(2.0), verbose=0)
    found = history.spikes()
    assert found and all(s["cause"] == "learning rate" for s in found)
    costs = np.array(history.cost)
    for s in found:
        before = costs[max(0, s["epoch"] - 11):s["epoch"] - 1]
        assert costs[s["epoch"] - 1] > 1.1 * np.median(before)


# ---- overfitting -------------------------------------------------------------------------

def test_overfitting_warning_fires_on_memorised_noise_only():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 200)).astype(np.float32)
    y = rng.integers(0, 2, 200)
    X_val, y_val = rng.standard_normal((20, 200)).astype(np.float32), rng.integers(0, 2, 200)
    model = vg.mlp([20, 128, 2], seed=0)
    history = model.fit(X, y, epochs=150, batch_size=50, optimizer=vg.Adam(1e-2),
                        validation_data=(X_val, y_val), verbose=0)
    text = check_overfitting(history, train_accuracy=model.evaluate(X, y)["accuracy"])
    assert text.startswith("overfitting: training accuracy 100.00% is ")
    assert "the validation cost rose from" in text and "Fix:" in text


def test_overfitting_rules_on_constructed_histories():
    history = vg.History(batch_size=32, steps_per_epoch=10)
    history.cost = [1.0, 0.6, 0.4, 0.3, 0.25, 0.2, 0.18]
    history.val_cost = [1.0, 0.7, 0.5, 0.55, 0.6, 0.62, 0.65]
    history.accuracy = [None] * 7  # regression: the cost rule alone
    history.val_accuracy = [None] * 7
    text = check_overfitting(history)
    assert "rose from 0.5 (epoch 3) to 0.6233 (mean of the last 3 epochs)" in text
    history.accuracy, history.val_accuracy = [0.9] * 7, [0.92] * 7  # validation ahead
    assert check_overfitting(history) is None
    assert check_overfitting(history, train_accuracy=0.99).startswith(
        "overfitting: training accuracy 99.00% is 7.0% above the validation accuracy 92.00%;")
    assert check_overfitting(history, train_accuracy=0.94).startswith(
        "overfitting: the validation cost rose from 0.5")  # accuracies 2% apart: cost rule only
    history.val_cost[-3:] = [0.52, 0.5, 0.53]  # noise, under 10% above the minimum
    assert check_overfitting(history, train_accuracy=0.95) is None


# ---- confusion matrix and mistakes -------------------------------------------------------

def test_confusion_matrix_and_most_confident_mistakes():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 2, 2])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred),
                                  [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    proba = np.array([[0.9, 0.2, 0.1, 0.3, 0.6, 0.1, 0.2],
                      [0.05, 0.7, 0.8, 0.6, 0.1, 0.1, 0.1],
                      [0.05, 0.1, 0.1, 0.1, 0.3, 0.8, 0.7]])
    np.testing.assert_array_equal(most_confident_mistakes(proba, y_true), [1, 4])
    with pytest.raises(ValueError, match="label vectors of one shape"):
        confusion_matrix(y_true, y_pred[:3])


@pytest.mark.parametrize("scale, kind", [(0.5, "vanish"), (1.5, "explode")])
def test_monitor_says_when_gradients_vanish_or_explode_through_time(scale, kind):
    """a⟨t⟩ = tanh(Waa·a⟨t−1⟩ + ...) near 0 passes the gradient back times Waa = scale·I per
    step: 0.5²⁹ ≈ 2e-9 vanishes, 1.5²⁹ ≈ 1e5 explodes over 30 steps."""
    rnn = vg.RNN(2, 4, return_sequences=False)
    model = vg.Sequential([rnn, vg.Dense(4, 3)], loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    model.params["Waa1"] = scale * np.eye(4)
    rng = np.random.default_rng(0)
    X, y = 1e-12 * rng.standard_normal((2, 30, 16)), rng.integers(0, 3, 16)
    monitor = Monitor(verbose=0)
    with pytest.warns(vg.TrainingWarning, match=f"gradients {kind} through time"):
        model.fit(X, y, epochs=1, batch_size=16, verbose=0, callbacks=[monitor],
                  optimizer=vg.SGD(1e-9))
    record = monitor.time_records[0]
    assert record["ratio"] == pytest.approx(scale ** 29, rel=1e-3)
    # ‖dJ/da⟨t⟩‖ is scale^(T − t) times ‖dJ/da⟨T⟩‖ at every step on the way back
    np.testing.assert_allclose(record["norms"], record["last"] * scale ** np.arange(29, -1, -1),
                               rtol=1e-3)
    assert "‖dJ/da⟨1⟩‖" in monitor.table()
