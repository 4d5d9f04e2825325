"""Normalization layers: central differences, the graph-by-graph reference, gradcheck on
models with batch statistics, running statistics in a training loop, and bad input.
(PyTorch's numbers are in test_normalization_torch.py.)"""
import numpy as np
import pytest
from numerics import numeric_gradient, relative_error

import verigrad as vg

# (layer factory, input shape): odd shapes, channels first, the example axis last
CASES = {
    "batchnorm": (lambda: vg.BatchNorm(3), (3, 5)),
    "batchnorm-m2": (lambda: vg.BatchNorm(4), (4, 2)),
    "batchnorm2d": (lambda: vg.BatchNorm2D(2), (2, 3, 1, 4)),
    "layernorm": (lambda: vg.LayerNorm(5), (5, 3)),
    "layernorm-m1": (lambda: vg.LayerNorm(3), (3, 1)),
    "groupnorm-dense": (lambda: vg.GroupNorm(2, 6), (6, 3)),
    "groupnorm-images": (lambda: vg.GroupNorm(3, 6), (6, 2, 3, 2)),
}


def with_random_affine(layer, rng):
    for p in layer.params.values():
        p[...] = rng.standard_normal(p.shape)
    return layer


def layer_and_input(case, seed=0):
    make, shape = CASES[case]
    rng = np.random.default_rng(seed)
    layer = with_random_affine(make(), rng)
    X = 2 * rng.standard_normal(shape) + 0.5
    G = rng.standard_normal(shape)
    return layer, X, G, rng


def probe(layer, X, G, training):
    """J = Σ G ⊙ layer(X) has dJ/d(output) = G; running statistics restored after each call
    (they do not enter a training-mode output, and must not drift between evaluations)."""
    saved = {k: v.copy() for k, v in layer.state.items()}

    def J():
        out = float(np.sum(G * layer.forward(X, training)))
        for k, v in saved.items():
            layer.state[k][...] = v
        return out
    return J


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_gradient_equals_central_differences(case, training):
    layer, X, G, _ = layer_and_input(case)
    if layer.state:  # evaluation uses running statistics: make them something non-trivial
        layer.state["running_mean"][...] = 0.3
        layer.state["running_var"][...] = 2.5
    J = probe(layer, X, G, training)
    J()
    dX = layer.backward(G)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    assert_matches(dX, numeric_gradient(J, X), "dX")
    for name, p in layer.params.items():
        assert grads[name].shape == p.shape
        assert_matches(grads[name], numeric_gradient(J, p), name)


def assert_matches(analytic, numeric, name):
    """Relative error below 1e-8, or (for a gradient that is almost 0, as dX of batch norm
    with m = 2, where x̂ = ±1 whatever the input) every entry within 1e-9 of the numeric."""
    assert (relative_error(analytic, numeric) < 1e-8
            or np.abs(analytic - numeric).max() < 1e-9), name


@pytest.mark.parametrize("case", sorted(CASES))
def test_folded_backward_equals_the_graph_walked_node_by_node(case):
    layer, X, G, _ = layer_and_input(case, seed=3)
    layer.forward(X, training=True)
    dX = layer.backward(G)
    ref_dX, ref_dgamma, ref_dbeta = layer._backward_by_graph(G)
    np.testing.assert_allclose(dX, ref_dX, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], ref_dgamma, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.grads["beta"], ref_dbeta, rtol=1e-12, atol=1e-13)


def test_batch_statistics_output_is_standardised_and_couples_the_examples():
    layer = vg.BatchNorm(3)
    X = np.random.default_rng(0).standard_normal((3, 8)) * [[1.0], [10.0], [0.1]] + 5
    Y = layer.forward(X, training=True)
    np.testing.assert_allclose(Y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=1), 1 / (1 + 1e-5 / X.var(axis=1)), rtol=1e-12)
    # the gradient of example 0's output reaches every other example of the batch
    G = np.zeros_like(X)
    G[:, 0] = 1.0
    layer.params["gamma"][...] = 1.0
    layer.forward(X, training=True)
    dX = layer.backward(G * X)  # any dJ/dY that is not constant along the batch
    assert np.all(dX[:, 1:] != 0)


def test_layernorm_standardises_each_example_and_ignores_the_rest_of_the_batch():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 4)) * 3 + 2
    layer = vg.LayerNorm(6)
    Y = layer.forward(X, training=True)
    np.testing.assert_allclose(Y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(layer.forward(X[:, :1], training=True), Y[:, :1], rtol=1e-12)
    np.testing.assert_array_equal(layer.forward(X, training=False), Y)
    assert layer.state == {}


def test_running_statistics_follow_the_momentum_rule_with_the_unbiased_variance():
    rng = np.random.default_rng(2)
    layer = vg.BatchNorm(2, momentum=0.25)
    mean, var = np.zeros((2, 1)), np.ones((2, 1))
    for _ in range(4):
        X = rng.standard_normal((2, 5)) * 3 - 1
        layer.forward(X, training=True)
        mean = 0.75 * mean + 0.25 * X.mean(axis=1, keepdims=True)
        var = 0.75 * var + 0.25 * X.var(axis=1, ddof=1, keepdims=True)
    np.testing.assert_allclose(layer.state["running_mean"], mean, rtol=1e-14)
    np.testing.assert_allclose(layer.state["running_var"], var, rtol=1e-14)
    before = {k: v.copy() for k, v in layer.state.items()}
    Y = layer.forward(X, training=False)  # evaluation reads the running statistics only
    for k, v in before.items():
        np.testing.assert_array_equal(layer.state[k], v)
    np.testing.assert_allclose(Y, layer.params["gamma"] * (X - mean) / np.sqrt(var + 1e-5)
                               + layer.params["beta"], rtol=1e-13)


def test_evaluation_works_for_a_single_example_and_matches_the_batch():
    layer = vg.BatchNorm2D(2)
    rng = np.random.default_rng(3)
    layer.forward(rng.standard_normal((2, 3, 3, 6)), training=True)
    X = rng.standard_normal((2, 3, 3, 4))
    batch = layer.forward(X, training=False)
    np.testing.assert_allclose(layer.forward(X[..., 2:3], training=False), batch[..., 2:3],
                               rtol=1e-14)


# ---- inside a model -----------------------------------------------------------------------


def bn_model(dtype="float64", seed=0, n_in=4, hidden=6, n_out=3, layer=vg.BatchNorm):
    return vg.Sequential([vg.Dense(n_in, hidden), layer(hidden), vg.ReLU(),
                          vg.Dense(hidden, n_out)],
                         loss=vg.SoftmaxCrossEntropy(), dtype=dtype, seed=seed)


def test_model_names_gamma_and_beta_and_keeps_running_statistics_out_of_params():
    model = bn_model()
    assert list(model.params) == ["W1", "b1", "gamma2", "beta2", "W3", "b3"]
    assert model.params["gamma2"].shape == (6, 1)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 10)), rng.integers(0, 3, 10)
    _, grads = model.cost_and_grads(X, Y, training=True)
    assert list(grads) == ["dW1", "db1", "dgamma2", "dbeta2", "dW3", "db3"]


def test_fit_updates_running_statistics_but_the_optimizer_never_touches_them():
    model = bn_model(dtype="float32")
    bn = model.layers[1]
    assert bn.state["running_mean"].dtype == np.float32  # the model casts state too
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((4, 40)).astype(np.float32), rng.integers(0, 3, 40)

    class RecordState(vg.Callback):
        """Each step: one momentum update from that step's batch, and nothing else."""

        def on_step_begin(self, model, step):
            self.before = bn.state["running_var"].copy()
            self.W, self.b = model.params["W1"].copy(), model.params["b1"].copy()
            self.steps = getattr(self, "steps", 0) + 1

        def on_step_end(self, model, step, cost):
            Z = (self.W @ model.layers[0].A_prev + self.b).astype(np.float64)
            var = Z.var(axis=1, ddof=1, keepdims=True)
            np.testing.assert_allclose(bn.state["running_var"],
                                       0.9 * self.before + 0.1 * var, rtol=1e-5)

    record = RecordState()
    model.fit(X, Y, epochs=2, batch_size=10, optimizer=vg.SGD(0.5), verbose=0,
              callbacks=[record])
    assert record.steps == 8
    assert not np.allclose(bn.state["running_mean"], 0)
    assert model.astype("float64").layers[1].state["running_var"].dtype == np.float64


@pytest.mark.parametrize("mode", ["full", "sample", "fast"])
def test_gradcheck_passes_on_a_batchnorm_model(mode):
    model = bn_model()
    rng = np.random.default_rng(4)
    for name in model.params:  # keep γ away from 1 and β from 0, to catch missing factors
        model.params[name] = model.params[name] + 0.3 * rng.standard_normal(
            model.params[name].shape)
    X, Y = rng.standard_normal((4, 7)), rng.integers(0, 3, 7)
    report = vg.gradcheck(model, X, Y, mode=mode, samples=6)
    assert report.ok, str(report)


def test_gradcheck_passes_on_a_conv_batchnorm2d_model():
    model = vg.Sequential([vg.Conv2D(2, 3, 3, padding=1), vg.BatchNorm2D(3), vg.ReLU(),
                           vg.MaxPool2D(2), vg.Flatten(), vg.Dense(12, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64", input_shape=(2, 4, 4))
    rng = np.random.default_rng(8)
    model.params["gamma2"] = rng.uniform(0.5, 2, (3, 1))
    model.params["beta2"] = rng.standard_normal((3, 1))
    X, Y = rng.standard_normal((2, 4, 4, 3)), rng.integers(0, 2, 3)
    for mode in ("full", "fast"):
        report = vg.gradcheck(model, X, Y, mode=mode)
        assert report.ok, str(report)


class _MeanPathLeftOut(vg.BatchNorm):
    """A classic mistake: the path through σ² kept, the one through μ left out."""

    def backward(self, dY):
        dX = super().backward(dY)
        dxhat = dY * self.params["gamma"]
        return dX + np.mean(dxhat, axis=1, keepdims=True) * self.inv_std


@pytest.mark.parametrize("mode", ["full", "sample", "fast"])
def test_gradcheck_flags_a_batchnorm_backward_missing_the_path_through_the_mean(mode):
    model = bn_model(layer=_MeanPathLeftOut)
    rng = np.random.default_rng(5)
    model.params["beta2"] = rng.standard_normal((6, 1))
    X, Y = rng.standard_normal((4, 7)), rng.integers(0, 3, 7)
    report = vg.gradcheck(model, X, Y, mode=mode, samples=6)
    assert not report.ok
    # the gradients above the batch norm are right; the ones below it (W1, b1) are wrong
    wrong = {p.name for p in report.params if not p.ok}
    assert wrong and wrong <= {"W1", "b1"}, str(report)
    assert report["W3"].ok and report["gamma2"].ok
    # b1's true gradient is 0 (the batch mean cancels it): the finding says so, and where
    assert any(f.param == "b1" and "path through the batch mean" in str(f)
               for f in report.findings), str(report)
    assert "_MeanPathLeftOut.backward passes down or" in report.location


# ---- bad input ----------------------------------------------------------------------------


def test_a_training_batch_of_one_example_is_an_error_that_says_why():
    layer = vg.BatchNorm(3)
    with pytest.raises(ValueError, match="batch of 1 example.*variance.*evaluation mode"):
        layer.forward(np.ones((3, 1)), training=True)
    with pytest.raises(ValueError, match="batch of 0 examples"):
        layer.forward(np.ones((3, 0)), training=True)
    assert layer.forward(np.ones((3, 1)), training=False).shape == (3, 1)
    model = bn_model()
    X, Y = np.random.default_rng(0).standard_normal((4, 5)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="m % batch_size == 1"):
        model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"got 1 value per channel in training mode "
                                         r"\(H·W·m\), and needs 2"):
        vg.BatchNorm2D(2).forward(np.ones((2, 1, 1, 1)), training=True)


@pytest.mark.parametrize("layer,X,message", [
    (vg.BatchNorm(4), np.ones((3, 5)),
     r"BatchNorm\(n_features=4.*expects input of shape \(4, m\), got \(3, m\).*\(3, 5\)"),
    (vg.BatchNorm(4), np.ones((4, 2, 2, 5)), "use BatchNorm2D for images"),
    (vg.BatchNorm2D(3), np.ones((3, 5)), "use BatchNorm for dense batches"),
    (vg.BatchNorm2D(3), np.ones((2, 4, 4, 5)), r"expects input of shape \(3, \?, \?, m\)"),
    (vg.LayerNorm(4), np.ones((5, 2)), r"expects input of shape \(4, m\), got \(5, m\)"),
    (vg.GroupNorm(2, 4), np.ones((6, 2)), "expects 4 channels first"),
])
def test_wrong_feature_count_names_the_expected_and_actual_shape(layer, X, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(X, training=True)


def test_a_model_with_the_wrong_feature_count_fails_at_construction():
    with pytest.raises(ValueError, match=r"layer 1 .*expects input of shape \(5, m\), got "
                                         r"\(6, m\)"):
        vg.Sequential([vg.Dense(4, 6), vg.BatchNorm(5), vg.Dense(5, 2)])


@pytest.mark.parametrize("make,message", [
    (lambda: vg.BatchNorm(0), "n_features must be a positive integer"),
    (lambda: vg.BatchNorm2D(2.5), "channels must be a positive integer"),
    (lambda: vg.BatchNorm(3, momentum=1.5), r"momentum must be a number in \[0, 1\]"),
    (lambda: vg.LayerNorm(3, eps=0), "eps must be a positive number"),
    (lambda: vg.GroupNorm(4, 6), r"channels \(6\) must be a multiple of groups \(4\)"),
])
def test_bad_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ---- saving, building, watching ----------------------------------------------------------


def test_save_and_load_keep_the_running_statistics(tmp_path):
    model = vg.mlp([4, 6, 5, 3], batch_norm=True, seed=1)
    rng = np.random.default_rng(6)
    X, Y = rng.standard_normal((4, 64)).astype(np.float32), rng.integers(0, 3, 64)
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0)
    assert list(model.state) == ["running_mean2", "running_var2", "running_mean4",
                                 "running_var4"]
    model.save(tmp_path / "bn.npz")
    with np.load(tmp_path / "bn.npz") as saved:
        np.testing.assert_array_equal(saved["running_var4"], model.state["running_var4"])
    loaded = vg.load(tmp_path / "bn.npz")
    for name, value in model.state.items():
        np.testing.assert_array_equal(loaded.state[name], value)
        assert loaded.state[name].dtype == np.float32
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # evaluation really reads them: the starting statistics (0 and 1) predict otherwise
    for name in loaded.state:
        loaded.state[name] = np.full_like(loaded.state[name], "var" in name)
    assert not np.allclose(loaded.predict_proba(X), model.predict_proba(X))


def test_mlp_puts_batch_norm_between_each_hidden_dense_layer_and_its_activation():
    model = vg.mlp([5, 4, 3, 2], activation="sigmoid", dropout=0.1, batch_norm=True)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Dense", "BatchNorm", "Sigmoid", "Dropout", "Dense", "BatchNorm", "Sigmoid",
        "Dropout", "Dense"]
    assert [layer.n_features for layer in model.layers if layer.normalizes] == [4, 3]


def test_guard_does_not_judge_the_scale_of_a_dense_output_that_batch_norm_rescales():
    """Z of 1e4 would be far outside a sigmoid's useful range, but the batch norm between
    them brings it back to unit scale in training."""
    import warnings
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((3, 32)).astype(np.float32), rng.integers(0, 2, 32)
    model = vg.Sequential([vg.Dense(3, 8), vg.BatchNorm(8), vg.Sigmoid(), vg.Dense(8, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    model.params["W1"] = model.params["W1"] * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error", vg.TrainingWarning)
        model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    plain = vg.Sequential([vg.Dense(3, 8), vg.Sigmoid(), vg.Dense(8, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    plain.params["W1"] = plain.params["W1"] * 1e4
    with pytest.warns(vg.TrainingWarning, match="pre-activations reach"):
        plain.fit(X, Y, epochs=1, batch_size=16, verbose=0)


def test_monitor_measures_the_activation_input_after_the_batch_norm():
    """One full-batch step: the Monitor's numbers are those of Z = BN(W·X + b) with the
    parameters before the step, and the batch norm's running statistics move once."""
    X, y = vg.data.make_blobs(64, centers=2, seed=3, dtype="float64")
    model = vg.Sequential([vg.Dense(2, 5), vg.BatchNorm(5), vg.Tanh(), vg.Dense(5, 2)],
                          loss=vg.SoftmaxCrossEntropy(), dtype="float64")
    model.params["gamma2"] = np.linspace(0.5, 4, 5)[:, None]
    before = {k: v.copy() for k, v in model.params.items()}
    monitor = vg.diagnostics.Monitor(verbose=0)
    model.fit(X, y, epochs=1, batch_size=64, optimizer=vg.SGD(0.1), shuffle=False,
              callbacks=[monitor], verbose=0)
    Z1 = before["W1"] @ X + before["b1"]
    Z = (before["gamma2"] * (Z1 - Z1.mean(axis=1, keepdims=True))
         / np.sqrt(Z1.var(axis=1, keepdims=True) + 1e-5) + before["beta2"])
    tanh, out = monitor.records
    assert tanh["name"] == "layer 1 (Dense W1, b1) → BatchNorm → Tanh"
    assert tanh["max_abs_z"] == pytest.approx(np.abs(Z).max(), rel=1e-12)
    assert tanh["act_mean"] == pytest.approx(np.tanh(Z).mean(), rel=1e-12)
    assert tanh["saturated"] == pytest.approx(np.mean(np.abs(Z) > 2.65))
    np.testing.assert_allclose(model.state["running_mean2"],
                               0.1 * Z1.mean(axis=1, keepdims=True), rtol=1e-12)
