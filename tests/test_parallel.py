"""fit(threads=N): each mini-batch split into slices computed at once on N threads.

The step must equal the one-thread step (the gradient of a mean is the weighted mean of the
slices' gradients, the L2 term added once), the slices must really run on other threads
with one BLAS thread each, and what cannot be split must be refused by name.
"""
import sys
import threading
import warnings

import numpy as np
import pytest

import verigrad as vg
from verigrad.parallel import SlicedSteps

threadpoolctl = pytest.importorskip("threadpoolctl")


def _images(m, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((1, 9, 8, m)), rng.integers(0, 3, m)


def _small_cnn(l2=0.0, dropout=0.0):
    layers = [vg.Conv2D(1, 3, 3, padding=1), vg.ReLU(), vg.MaxPool2D(2), vg.Flatten(),
              vg.Dense(3 * 4 * 4, 5), vg.ReLU()]
    if dropout:
        layers.append(vg.Dropout(dropout))
    layers.append(vg.Dense(5, 3))
    return vg.Sequential(layers, loss=vg.SoftmaxCrossEntropy(), l2=l2, dtype="float64",
                         seed=3, input_shape=(1, 9, 8))


def _small_gpt(dropout=0.0):
    return vg.gpt(7, d_model=8, num_heads=2, num_layers=2, block_size=6, dropout=dropout,
                  learned_positions=True, l2=0.2, dtype="float64", seed=3)


def _windows(m, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 7, (6, m)), rng.integers(0, 7, (6, m))


@pytest.mark.parametrize("threads, m, batch_size", [(2, 12, 12), (3, 11, 11), (2, 7, 3),
                                                   (4, 3, 3)])
def test_a_split_step_equals_the_whole_batch_step(threads, m, batch_size):
    # uneven slices (11 over 3 threads, a last batch of 1, more threads than examples),
    # with the L2 term: after the same SGD steps both models hold the same weights
    X, Y = _images(m)
    one, split = _small_cnn(l2=0.3), _small_cnn(l2=0.3)
    h_one = one.fit(X, Y, epochs=2, batch_size=batch_size, optimizer=vg.SGD(0.5), seed=1,
                    verbose=0)
    h_split = split.fit(X, Y, epochs=2, batch_size=batch_size, optimizer=vg.SGD(0.5), seed=1,
                        verbose=0, threads=threads)
    np.testing.assert_allclose(h_split.step_cost, h_one.step_cost, rtol=1e-12)
    np.testing.assert_allclose(h_split.accuracy, h_one.accuracy, rtol=0, atol=0)
    for name, value in one.params.items():
        np.testing.assert_allclose(split.params[name], value, rtol=1e-11, atol=1e-13,
                                   err_msg=name)


def test_the_split_gradient_is_the_batch_gradient_before_any_update():
    X, Y = _images(10, seed=4)
    model = _small_cnn(l2=0.1)
    cost, expected = model.cost_and_grads(X, Y)
    seen = {}

    class Grab(vg.Callback):
        def on_backward_end(self, model, step, cost):
            seen.update({f"d{k}": g.copy() for k, g in model.gradients().items()})
            seen["cost"] = cost
            model.stop_training = True

    model.fit(X, Y, epochs=1, batch_size=10, shuffle=False, verbose=0, threads=3,
              callbacks=[Grab()])
    assert seen["cost"] == pytest.approx(cost, rel=1e-12)
    for name, grad in expected.items():
        np.testing.assert_allclose(seen[name], grad, rtol=1e-11, atol=1e-14, err_msg=name)


def test_the_slices_run_on_other_threads_with_one_blas_thread_each():
    seen = []

    class Spy(vg.Layer):
        def forward(self, A_prev, training=False):
            if training:
                blas = threadpoolctl.threadpool_info()
                seen.append((threading.current_thread().name, A_prev.shape[-1],
                             {lib["num_threads"] for lib in blas if lib["user_api"] == "blas"}))
            return A_prev

        def backward(self, dA):
            return dA

    model = vg.Sequential([vg.Dense(4, 6), Spy(), vg.ReLU(), vg.Dense(6, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    X = np.random.default_rng(0).standard_normal((4, 8))
    model.fit(X, np.arange(8) % 2, epochs=1, batch_size=8, verbose=0, threads=2)
    names = sorted(name for name, _, _ in seen)
    assert names[0] == "MainThread" and names[1].startswith("verigrad-slice")
    assert [size for _, size, _ in seen] == [4, 4]
    assert all(threads <= {1} for _, _, threads in seen)


@pytest.mark.parametrize("net", ["cnn", "gpt"])
def test_dropout_runs_are_reproducible_for_a_thread_count(net):
    # the GPT's dropouts sit inside its blocks (and on the attention weights)
    X, Y = _images(16) if net == "cnn" else _windows(16)
    runs = []
    for _ in range(2):
        model = _small_cnn(dropout=0.5) if net == "cnn" else _small_gpt(dropout=0.3)
        model.fit(X, Y, epochs=2, batch_size=8, seed=5, verbose=0, threads=2)
        runs.append(model.params["W2"].copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_an_error_in_a_slice_reaches_the_caller():
    class Fails(vg.Layer):
        def forward(self, A_prev, training=False):
            if threading.current_thread().name != "MainThread":
                raise RuntimeError("slice failed")
            return A_prev

        def backward(self, dA):
            return dA

    model = vg.Sequential([vg.Dense(3, 2), Fails()], loss=vg.MSE())
    X = np.ones((3, 4))
    with pytest.raises(RuntimeError, match="slice failed"):
        model.fit(X, np.ones((2, 4)), epochs=1, batch_size=4, verbose=0, threads=2)


@pytest.mark.parametrize("make_layer", [lambda: vg.BatchNorm(4),
                                        lambda: vg.RNN(4, 4, return_sequences=False,
                                                       stateful=True)])
def test_layers_that_need_the_whole_batch_are_refused_by_name(make_layer):
    layer = make_layer()
    shape = (4,) if isinstance(layer, vg.BatchNorm) else (4, 3)
    model = vg.Sequential([layer], loss=vg.MSE(), input_shape=shape)
    X = np.zeros((*shape, 6))
    Y = np.zeros((4, 6))
    with pytest.raises(ValueError, match=rf"threads=2.*layer 0 \({type(layer).__name__}.*"
                                         r"threads=1"):
        model.fit(X, Y, epochs=1, verbose=0, threads=2)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_threads_must_be_a_positive_int(threads):
    model = _small_cnn()
    X, Y = _images(4)
    with pytest.raises((TypeError, ValueError), match="threads"):
        model.fit(X, Y, epochs=1, verbose=0, threads=threads)


def test_threads_without_threadpoolctl_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    X, Y = _images(4)
    with pytest.raises(ImportError, match=r"threadpoolctl.*verigrad\[fast\]"):
        _small_cnn().fit(X, Y, epochs=1, verbose=0, threads=2)
    # one thread needs nothing more
    _small_cnn().fit(X, Y, epochs=1, verbose=0, threads=1)


def test_a_replica_shares_the_parameters_and_nothing_else():
    model = _small_cnn()
    X, Y = _images(6)
    model.cost_and_grads(X, Y)
    replica = model.replica()
    for layer, copy in zip(model.layers, replica.layers):
        for name in layer.params:
            assert copy.params[name] is layer.params[name]
            assert copy.grads[name] is not layer.grads[name]
        for name, value in vars(layer).items():
            if isinstance(value, np.ndarray) and not any(value is p for p in
                                                         layer.params.values()):
                assert not np.shares_memory(value, vars(copy)[name]), name
    assert replica.loss is not model.loss


def test_the_slices_keep_the_callers_floating_point_settings():
    # the guard silences NumPy's overflow warnings inside a step; a slice on another thread
    # must be silenced too (np.errstate lives in the calling thread's context)
    class Overflows(vg.Layer):
        def forward(self, A_prev, training=False):
            np.float64(1e308) * np.array([10.0])
            return A_prev

        def backward(self, dA):
            return dA

    model = vg.Sequential([vg.Dense(3, 2), Overflows()], loss=vg.MSE())
    X = np.ones((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, np.ones((2, 4)), epochs=1, batch_size=4, verbose=0, threads=2)


@pytest.mark.parametrize("m, threads, sizes", [(128, 2, [64, 64]), (11, 3, [3, 4, 4]),
                                               (3, 4, [1, 1, 1]), (1, 2, [1])])
def test_batch_slices_cover_the_batch_evenly(m, threads, sizes):
    from verigrad.parallel import batch_slices
    parts = batch_slices(m, threads)
    assert [p.stop - p.start for p in parts] == sizes
    assert parts[0].start == 0 and parts[-1].stop == m
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))


@pytest.mark.parametrize("threads, m, batch_size", [(2, 8, 8), (3, 7, 7), (2, 5, 3)])
def test_a_split_gpt_step_equals_the_whole_batch_step(threads, m, batch_size):
    # the transformer blocks' parts are bound to the blocks' arrays: a replica's parts must
    # read the shared parameters and fill their own gradients. SGD, not Adam: dJ/dbk is 0
    # (a constant added to every key leaves the softmax unchanged) and Adam would scale its
    # rounding noise up to a step
    X, Y = _windows(m)
    one, split = _small_gpt(), _small_gpt()
    h_one = one.fit(X, Y, epochs=2, batch_size=batch_size, optimizer=vg.SGD(0.5), seed=1,
                    verbose=0)
    h_split = split.fit(X, Y, epochs=2, batch_size=batch_size, optimizer=vg.SGD(0.5),
                        seed=1, verbose=0, threads=threads)
    np.testing.assert_allclose(h_split.step_cost, h_one.step_cost, rtol=1e-12)
    for name, value in one.params.items():
        np.testing.assert_allclose(split.params[name], value, rtol=1e-11, atol=1e-13,
                                   err_msg=name)


def test_padded_sequences_weigh_each_slice_by_its_counted_tokens():
    # the loss is a mean over the counted tokens, N in all: a slice holding most of the
    # padding weighs N_k/N, not m_k/m
    X, Y = _windows(8, seed=2)
    Y[2:, :3] = -1
    one, split = _small_gpt(), _small_gpt()
    cost, expected = one.cost_and_grads(X, Y)
    with SlicedSteps(split, 2, np.random.default_rng(0)) as steps:
        split_cost, _ = steps.cost_and_backward(X, Y)
    assert split_cost == pytest.approx(cost, rel=1e-12)
    for name, grad in expected.items():
        np.testing.assert_allclose(split.gradients()[name[1:]], grad, rtol=1e-10, atol=1e-14,
                                   err_msg=name)


def test_a_transformer_block_replica_shares_its_parts_parameters_only():
    model = _small_gpt()
    X, Y = _windows(4)
    model.cost_and_grads(X, Y)
    block = model.layers[2]
    copy = block.replica()
    copy.forward(X[None, :, :2].repeat(8, axis=0) * 0.1, training=True)
    for (part, names), (twin, _) in zip(block.parts, copy.parts):
        for theirs, ours in names.items():
            assert twin.params[theirs] is block.params[ours] is part.params[theirs]
            assert twin.grads[theirs] is copy.grads[ours]
            assert not np.shares_memory(twin.grads[theirs], part.grads[theirs])
        for name, value in vars(part).items():
            if isinstance(value, np.ndarray) and not any(value is p for p in
                                                         part.params.values()):
                assert not np.shares_memory(value, vars(twin)[name]), name
