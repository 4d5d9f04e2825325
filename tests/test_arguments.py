"""Bad arguments to the public API: a clear error naming the argument, never a silently
wrong result. Hypothesis draws values outside each argument's range (NaN, inf, zero,
negative, wrong type) for the constructors and functions a learner calls."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verigrad as vg

NON_FINITE = st.sampled_from([float("nan"), float("inf"), float("-inf")])
WRONG_TYPE = st.sampled_from(["0.1", None, [0.1], True])
FINITE = {"allow_nan": False, "allow_infinity": False}


def below(limit, inclusive=True):
    """Finite floats below ``limit`` (or at it, when the limit itself is not allowed)."""
    return st.floats(max_value=limit, exclude_max=not inclusive, **FINITE)


def above(limit, inclusive=True):
    return st.floats(min_value=limit, exclude_min=not inclusive, **FINITE)


BAD_INT = st.integers(max_value=0) | st.sampled_from([1.5, "3", None, True])
rng = np.random.default_rng(0)
X, y = rng.standard_normal((4, 12)).astype(np.float32), rng.integers(0, 3, 12)

# (what is called, the argument's name in the message, values it must refuse)
CASES = [
    (lambda v: vg.SGD(lr=v), "lr", below(0) | NON_FINITE | WRONG_TYPE),
    (lambda v: vg.Adam(lr=v), "lr", below(0) | NON_FINITE),
    (lambda v: vg.Adam(eps=v), "eps", below(0) | NON_FINITE),
    (lambda v: vg.RMSProp(eps=v), "eps", below(0) | NON_FINITE),
    (lambda v: vg.SGD(clip_norm=v), "clip_norm", below(0) | NON_FINITE),
    (lambda v: vg.SGD(momentum=v), "momentum", below(0, False) | above(1) | NON_FINITE),
    (lambda v: vg.StepDecay(2, gamma=v), "gamma", below(0) | above(1, False) | NON_FINITE),
    (lambda v: vg.StepDecay(v), "step_size", BAD_INT),
    (lambda v: vg.ExponentialDecay(v), "gamma", below(0) | above(1, False) | NON_FINITE),
    (lambda v: vg.CosineDecay(5, min_factor=v), "min_factor",
     below(0, False) | above(1, False) | NON_FINITE),
    (lambda v: vg.CosineDecay(v), "total_epochs", BAD_INT),
    (lambda v: vg.Dropout(v), "rate", below(0, False) | above(1) | NON_FINITE),
    (lambda v: vg.LeakyReLU(v), "alpha", below(0, False) | above(1) | NON_FINITE),
    (lambda v: vg.Dense(v, 3), "n_in", BAD_INT),
    (lambda v: vg.Sequential([vg.Dense(4, 3)], l2=v), "l2", below(0, False) | NON_FINITE),
    (lambda v: vg.Sequential([vg.Dense(4, 3)], seed=v), "seed",
     st.integers(max_value=-1) | st.sampled_from([1.5, "7"])),
    (lambda v: vg.mlp([4, 3]).fit(X, y, epochs=v, verbose=0), "epochs", BAD_INT),
    (lambda v: vg.mlp([4, 3]).fit(X, y, batch_size=v, verbose=0), "batch_size", BAD_INT),
    (lambda v: vg.mlp([4, 3]).fit(X, y, seed=v, verbose=0), "seed",
     st.integers(max_value=-1) | st.sampled_from([1.5, "7"])),
    (lambda v: vg.mlp([4, 3]).fit(X, y, shuffle=v, verbose=0), "shuffle",
     st.sampled_from(["no", 0, None])),
    (lambda v: vg.mlp([4, 3]).fit(X, y, verbose=v), "verbose", st.integers(min_value=2)),
    (lambda v: vg.mlp([4, 3]).fit(X, y, callbacks=v, verbose=0), "callbacks",
     st.sampled_from([[print], ["monitor"], [1]])),
    (lambda v: vg.CBOW(alpha=v), "alpha", below(0) | NON_FINITE | WRONG_TYPE),
    (lambda v: vg.CBOW(alpha=0.01, min_alpha=v), "min_alpha", below(0) | above(0.01, False)),
    (lambda v: vg.CBOW(sample=v), "sample", below(0, False) | above(1) | NON_FINITE),
    (lambda v: vg.CBOW(seed=v), "seed", st.integers(max_value=-1) | st.sampled_from([1.5])),
    (lambda v: vg.CBOW(vector_size=v), "vector_size", BAD_INT),
    (lambda v: vg.data.make_moons(20, noise=v), "noise", below(0, False) | NON_FINITE),
    (lambda v: vg.BatchNorm(3, eps=v), "eps", below(0) | NON_FINITE),
    (lambda v: vg.gradcheck(vg.mlp([4, 3], dtype="float64"), X.astype(np.float64), y, seed=v),
     "seed", st.integers(max_value=-1) | st.sampled_from([1.5, "7"])),
    (lambda v: vg.History().spikes(window=v), "window", BAD_INT),
    (lambda v: vg.History().spikes(threshold=v), "threshold", below(0, False) | NON_FINITE),
    (lambda v: vg.diagnostics.confusion_matrix(y, y, n_classes=v), "n_classes",
     st.integers(max_value=0) | st.sampled_from([1.5, "3", True])),  # None: from the labels
    (lambda v: vg.diagnostics.confusion_matrix(np.array([v, 0]), np.array([0, 0]),
                                               n_classes=2), "y_true",
     st.integers(max_value=-1) | st.integers(min_value=2)),
    (lambda v: vg.mlp([4, 3]).params.__setitem__("W1", np.full((3, 4), v)), "W1",
     st.sampled_from([1j, True, None, "a"])),
]


@settings(max_examples=120, deadline=None, derandomize=True)
@given(st.sampled_from(CASES).flatmap(lambda case: st.tuples(st.just(case), case[2])))
def test_an_argument_out_of_range_is_a_clear_error_naming_it(drawn):
    (call, name, _), value = drawn
    with pytest.raises((ValueError, TypeError)) as err:
        call(value)
    assert name in str(err.value), (name, value, str(err.value))


def test_the_same_layer_object_in_two_places_is_refused():
    relu, dense = vg.ReLU(), vg.Dense(5, 5)
    with pytest.raises(ValueError, match=r"layers\[3\] is the same ReLU object as layers\[1\]"):
        vg.Sequential([vg.Dense(4, 5), relu, vg.Dense(5, 5), relu, vg.Dense(5, 3)])
    with pytest.raises(ValueError, match="caches its input for backward"):
        vg.Sequential([vg.Dense(4, 5), dense, vg.ReLU(), dense])


def test_a_schedule_that_reaches_a_zero_rate_is_refused_before_the_first_step():
    model = vg.mlp([4, 3])
    before = model.params["W1"].copy()
    with pytest.raises(ValueError, match="learning rate of 0.0 in epoch 4"):
        model.fit(X, y, epochs=4, optimizer=vg.SGD(0.1, schedule=vg.CosineDecay(3)), verbose=0)
    np.testing.assert_array_equal(model.params["W1"], before)
    with pytest.raises(ValueError, match="-0.05"):
        vg.mlp([4, 3]).fit(X, y, epochs=1, verbose=0,
                           optimizer=vg.SGD(0.1, schedule=lambda epoch: -0.5))


def test_advice_for_inputs_and_targets_that_do_not_fit():
    binary = vg.Sequential([vg.Dense(4, 1)], loss=vg.BinaryCrossEntropy())
    with pytest.raises(TypeError) as err:
        binary.fit(X, (y > 0).astype(np.float32), verbose=0)
    assert "(1, 12)" in str(err.value) and "(2, 12)" not in str(err.value)
    # the advice works
    binary.fit(X, (y > 0).astype(np.float32).reshape(1, -1), epochs=1, verbose=0)


def test_after_a_divergence_the_finished_epochs_and_last_good_weights_are_kept():
    model = vg.mlp([4, 8, 3])

    class BlowUp(vg.Callback):
        def on_step_end(self, model, step, cost):
            if step == 7:
                model.params["W1"][0, 0] = np.inf

    kept = {}

    class Keep(vg.Callback):
        def on_epoch_end(self, model, epoch, history):
            kept.update({k: v.copy() for k, v in model.params.items()})

    with pytest.raises(vg.TrainingDiverged) as err:
        model.fit(X, y, epochs=5, batch_size=4, callbacks=[Keep(), BlowUp()], verbose=0)
    assert err.value.history.epochs == 2 and len(err.value.history.step_cost) == 7
    assert "end of epoch 2" in str(err.value)
    for name, value in kept.items():
        np.testing.assert_array_equal(model.params[name], value)
        np.testing.assert_array_equal(err.value.weights[name], value)


class BlowUpAtStep7(vg.Callback):
    def on_step_end(self, model, step, cost):
        if step == 7:
            model.params["W1"][...] = np.inf


def test_after_a_divergence_every_layers_state_is_restored_too(tmp_path):
    """Batch norm's running statistics turn NaN in the step that diverges; they go back to
    the end of the last finished epoch with the weights, so predictions stay finite and
    the model saves and loads again."""
    model = vg.mlp([4, 8, 3], batch_norm=True)
    kept = {}

    class Keep(vg.Callback):
        def on_epoch_end(self, model, epoch, history):
            kept.update({k: v.copy() for k, v in model.state.items()})

    with pytest.raises(vg.TrainingDiverged) as err:
        model.fit(X, y, epochs=5, batch_size=4, callbacks=[Keep(), BlowUpAtStep7()],
                  verbose=0)
    assert kept and set(kept) == set(model.state) == set(err.value.state)
    for name, value in kept.items():
        np.testing.assert_array_equal(model.state[name], value)
        np.testing.assert_array_equal(err.value.state[name], value)
    assert np.isfinite(model.predict_proba(X)).all()
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(vg.load(tmp_path / "m.npz").predict(X), model.predict(X))


def test_a_running_statistic_that_overflows_stops_training_at_the_epoch_end():
    """Training-mode batch norm normalises with the batch's own statistics, so an input of
    1e25 trains with finite costs while its float32 running variance overflows to inf;
    the model would predict NaN from then on."""
    model = vg.mlp([4, 8, 3], batch_norm=True)
    with pytest.raises(vg.TrainingDiverged, match="running_var") as err:
        model.fit(X * 1e25, y, epochs=3, batch_size=4, verbose=0)
    assert np.isfinite(model.predict_proba(X)).all()
    assert "before training" in str(err.value)


def test_a_layer_taken_from_a_trained_model_keeps_its_weights():
    """Building a second model on a trained model's layers shares them; drawing their
    weights again would silently undo the training of the first model too."""
    trained = vg.mlp([4, 8, 3])
    trained.fit(X, y, epochs=3, verbose=0)
    before = {name: value.copy() for name, value in trained.params.items()}
    extended = vg.Sequential(trained.layers[:-1] + [vg.Dense(8, 3)],
                             loss=vg.SoftmaxCrossEntropy())
    for name, value in before.items():
        np.testing.assert_array_equal(trained.params[name], value)
    np.testing.assert_array_equal(extended.params["W1"], before["W1"])
    extended.fit(X, y, epochs=1, verbose=0)   # the shared first layer is not the first
    trained.fit(X, y, epochs=1, verbose=0)    # trainable one in both: backward runs in each
    with pytest.raises(ValueError, match="astype"):
        vg.Sequential(trained.layers, loss=vg.SoftmaxCrossEntropy(), dtype="float64")
