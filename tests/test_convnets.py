"""The cnn presets and MNIST as images."""
import numpy as np
import pytest

import verigrad as vg


def test_lenet5_preset_layers_and_parameter_count():
    model = vg.cnn()
    assert sum(p.size for p in model.params.values()) == 61_706
    assert [tuple(p.shape) for name, p in model.params.items() if name[0] == "W"] == [
        (6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (10, 84)]
    assert model.input_shape == (1, 28, 28) and model.output_shape == (10,)


def test_two_conv_preset_layers_dropout_and_parameter_count():
    model = vg.cnn("two-conv")
    assert sum(p.size for p in model.params.values()) == 1_199_882
    assert [l.rate for l in model.layers if isinstance(l, vg.Dropout)] == [0.25, 0.5]
    assert not any(isinstance(l, vg.Dropout) for l in vg.cnn("two-conv", dropout=(0, 0)).layers)


def test_presets_follow_the_image_shape_and_classes():
    model = vg.cnn(input_shape=(3, 32, 32), n_classes=4)
    assert model.params["W1"].shape == (6, 3, 5, 5)
    assert model.params["W3"].shape == (120, 16 * 6 * 6)
    assert model.output_shape == (4,)
    with pytest.raises(ValueError, match=r"lenet5 preset does not fit images of shape "
                                         r"\(1, 8, 8\).*larger than the padded input"):
        vg.cnn(input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"preset must be one of"):
        vg.cnn("resnet")


def test_example_major_images_are_gathered_into_batches_example_by_example():
    from verigrad.train import _batches
    X = np.moveaxis(np.arange(5 * 2 * 3 * 4.0).reshape(5, 2, 3, 4), 0, -1)
    Y = np.arange(5)
    order = np.array([3, 0, 4, 1, 2])
    batches = list(_batches(X, Y, order, 2))
    assert [Yb.tolist() for _, Yb in batches] == [[3, 0], [4, 1], [2]]
    for Xb, Yb in batches:
        np.testing.assert_array_equal(Xb, X[..., Yb])
        assert np.moveaxis(Xb, -1, 0).flags.c_contiguous


def test_mnist_as_images_holds_the_same_pixels(data_dir):
    X, Y, X_test, _ = vg.data.load_mnist(data_dir / "mnist", images=True)
    flat = vg.data.load_mnist(data_dir / "mnist")[0]
    assert X.shape == (1, 28, 28, 60000) and X_test.shape == (1, 28, 28, 10000)
    np.testing.assert_array_equal(X[0, :, :, 7], flat[:, 7].reshape(28, 28))


def test_lenet5_learns_a_mnist_subset(data_dir):
    """4,000 training images, 3 epochs: 94.35% on the last 2,000 test images (seed 0)."""
    X, Y, X_test, Y_test = vg.data.load_mnist(data_dir / "mnist", images=True)
    model = vg.cnn(seed=0)
    model.fit(X[..., :4000], Y[:4000], epochs=3, batch_size=64, verbose=0, seed=0)
    assert model.evaluate(X_test[..., -2000:], Y_test[-2000:])["accuracy"] >= 0.93


def test_evaluation_slices_shrink_with_the_largest_activation(monkeypatch):
    # LeNet-5's largest output is 6·28·28 = 4,704 entries per example, the two-conv net's
    # 32·26·26 = 21,632 ... 64·24·24 = 36,864: slices stay under 2^24 entries.
    assert vg.cnn()._eval_chunk == 2**24 // 4704 == 3566
    assert vg.cnn("two-conv")._eval_chunk == 2**24 // 36864
    assert vg.mlp([784, 256, 10])._eval_chunk == 8192
    model = vg.cnn(input_shape=(1, 12, 12), dtype="float64")
    X = np.random.default_rng(0).random((1, 12, 12, 7))
    whole = model.predict_proba(X)
    monkeypatch.setattr("verigrad.model._EVAL_ENTRIES", 6 * 12 * 12 * 2)
    assert model._eval_chunk == 2
    np.testing.assert_allclose(model.predict_proba(X), whole, rtol=1e-12)


def test_monitor_and_guard_report_conv_layers_by_name():
    rng = np.random.default_rng(0)
    X = rng.random((1, 16, 16, 64)).astype(np.float32)
    Y = rng.integers(0, 3, 64)
    model = vg.cnn(input_shape=(1, 16, 16), n_classes=3)
    monitor = vg.diagnostics.Monitor(verbose=0)
    model.fit(X, Y, epochs=1, batch_size=32, verbose=0, callbacks=[monitor])
    conv = [r for r in monitor.records if "Conv2D" in r["name"]]
    assert [r["name"] for r in conv] == ["layer 1 (Conv2D W1, b1) → ReLU",
                                         "layer 2 (Conv2D W2, b2) → ReLU"]
    assert all(r["dead"] is not None and r["grad_norm"] > 0 for r in conv)

    model = vg.cnn(input_shape=(1, 16, 16), n_classes=3)
    with pytest.warns(vg.TrainingWarning, match=r"layer 1 \(Conv2D W1, b1\): pre-activations "
                                                 r"reach"), \
            pytest.raises(vg.TrainingDiverged) as diverged:
        model.fit(X * 255, Y, epochs=5, batch_size=32, verbose=0, optimizer=vg.SGD(1e3))
    assert diverged.value.step == 3
