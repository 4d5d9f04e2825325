"""A model made without ``input_shape`` is built by its first batch, as Keras builds a
model on its first call; an explicit ``input_shape`` is still checked at construction."""
import numpy as np
import pytest

import verigrad as vg


def lenet_like(**kwargs):
    return vg.Sequential([vg.Conv2D(1, 2, 3, padding=1), vg.ReLU(), vg.MaxPool2D(2),
                          vg.Flatten(), vg.Dense(2 * 3 * 3, 4)],
                         loss=vg.SoftmaxCrossEntropy(), dtype="float64", seed=0, **kwargs)


def data(m=5, size=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, size, size, m)), rng.integers(0, 4, m)


def test_conv_flatten_dense_without_input_shape_is_built_by_the_first_batch():
    model = lenet_like()
    assert not model.built and model.input_shape == (1, None, None)
    assert "?" in model.summary()
    X, Y = data()
    Z = model.forward(X)
    assert model.built and model.input_shape == (1, 6, 6) and model.output_shape == (4,)
    # the same as a model told its input shape up front, with the same weights
    explicit = lenet_like(input_shape=(1, 6, 6))
    np.testing.assert_array_equal(explicit.forward(X), Z)
    assert "?" not in model.summary()


def test_the_first_batch_fixes_the_sizes_and_a_later_one_of_another_size_is_refused():
    model = lenet_like()
    model.forward(data(size=6)[0])
    with pytest.raises(ValueError, match=r"X has shape \(1, 8, 8, 5\).*\(1, 6, 6, m\)"):
        model.forward(data(size=8)[0])


def test_a_first_batch_that_does_not_fit_is_refused_by_the_layer_that_cannot_take_it():
    model = lenet_like()
    with pytest.raises(ValueError, match="layer 4 .*Dense"):
        model.forward(data(size=8)[0])  # Flatten gives 2·4·4 = 32 features, Dense takes 18
    assert not model.built  # a later batch of the right size still builds it
    model.forward(data(size=6)[0])
    assert model.built


def test_channels_are_still_checked_before_the_first_batch():
    with pytest.raises(ValueError, match=r"expects \(1, \?, \?, m\)"):
        lenet_like().forward(np.zeros((3, 6, 6, 2)))


def test_explicit_input_shape_keeps_checking_everything_at_construction():
    with pytest.raises(ValueError, match="needs every size of its input to be known"):
        lenet_like(input_shape=(1, None, None))


def test_a_lazily_built_model_trains_saves_and_loads(tmp_path):
    model = lenet_like()
    X, Y = data(m=16)
    history = model.fit(X, Y, epochs=3, batch_size=8, optimizer=vg.Adam(1e-2), verbose=0)
    assert history.cost[-1] < history.cost[0]
    model.save(tmp_path / "m.npz")
    again = vg.load(tmp_path / "m.npz")
    assert again.built and again.input_shape == (1, 6, 6)
    np.testing.assert_array_equal(again.forward(X), model.forward(X))


def test_an_unbuilt_model_saves_and_loads_unbuilt(tmp_path):
    model = lenet_like()
    model.save(tmp_path / "m.npz")
    again = vg.load(tmp_path / "m.npz")
    assert not again.built
    X, _ = data()
    np.testing.assert_array_equal(again.forward(X), model.forward(X))


def test_a_model_whose_layers_declare_no_shape_is_built_by_its_first_batch():
    model = vg.Sequential([vg.ReLU(), vg.Tanh()], dtype="float64")
    assert not model.built and model.input_shape is None
    X = np.linspace(-1, 1, 12).reshape(3, 4)
    np.testing.assert_allclose(model.forward(X), np.tanh(np.maximum(X, 0)))
    assert model.input_shape == (3,) and model.output_shape == (3,)


def test_the_softmax_twice_check_runs_when_the_model_is_built():
    model = vg.Sequential([vg.Conv2D(1, 2, 3), vg.Flatten(), vg.Softmax()],
                          loss=vg.SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match="squashed twice"):
        model.forward(np.zeros((1, 4, 4, 2), np.float32))
