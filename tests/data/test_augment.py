"""RandomShift moves each image by a whole number of pixels drawn uniformly from
-max_shift..max_shift (zeros shifted in), and fit(augment=...) applies it to every training
mini-batch and nothing else."""
import numpy as np
import pytest

import verigrad as vg
from verigrad.data import RandomShift


def shifted(image, dy, dx):
    """image (C, H, W) moved dy rows down and dx columns right, zeros shifted in: the
    docstring's formula, entry by entry."""
    C, H, W = image.shape
    out = np.zeros_like(image)
    for i in range(H):
        for j in range(W):
            if 0 <= i - dy < H and 0 <= j - dx < W:
                out[:, i, j] = image[:, i - dy, j - dx]
    return out


def test_each_image_is_moved_by_one_shift_and_every_shift_is_drawn_alike():
    rng = np.random.default_rng(0)
    X = rng.random((2, 7, 9, 2000)).astype(np.float32) + 1  # no zeros: every shift differs
    before = X.copy()
    out = RandomShift(2)(X, np.random.default_rng(1))
    assert out.shape == X.shape and out.dtype == np.float32
    assert np.array_equal(X, before)
    # stored example by example, as fit stores image batches
    assert np.moveaxis(out, -1, 0).flags.c_contiguous
    counts = {}
    for k in range(0, 2000, 7):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(out[..., k], shifted(X[..., k], dy, dx))]
        assert len(found) == 1, (k, found)
        counts[found[0]] = counts.get(found[0], 0) + 1
    assert len(counts) == 25
    # 286 examples over 25 shifts: about 11 each; a bias to some shifts would show here
    assert max(counts.values()) <= 25 and min(counts.values()) >= 3, counts


def test_the_same_generator_state_gives_the_same_shifts():
    X = np.random.default_rng(0).random((1, 6, 6, 50))
    first = RandomShift(1)(X, np.random.default_rng(5))
    assert np.array_equal(first, RandomShift(1)(X, np.random.default_rng(5)))
    assert not np.array_equal(first, RandomShift(1)(X, np.random.default_rng(6)))


@pytest.mark.parametrize("make, message", [
    (lambda: RandomShift(0), "RandomShift max_shift must be a positive integer"),
    (lambda: RandomShift(2.5), "RandomShift max_shift must be a positive integer"),
    (lambda: RandomShift(2)(np.zeros((784, 10)), np.random.default_rng()),
     r"RandomShift takes a batch of images \(C, H, W, m\), got an array of shape \(784, 10\)"),
    (lambda: RandomShift(5)(np.zeros((1, 5, 8, 3)), np.random.default_rng()),
     "max_shift=5 must be smaller than the images' height and width, got images of 5×8"),
])
def test_bad_settings_and_inputs_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def small_cnn():
    return vg.Sequential([vg.Conv2D(1, 2, 3), vg.ReLU(), vg.Flatten(), vg.Dense(2 * 6 * 6, 3)],
                         loss=vg.SoftmaxCrossEntropy(), input_shape=(1, 8, 8), seed=0)


def data(m=40):
    rng = np.random.default_rng(0)
    return rng.random((1, 8, 8, m)).astype(np.float32), rng.integers(0, 3, m)


def test_fit_augments_every_training_batch_and_nothing_else():
    X, y = data()
    seen = []

    def spy(Xb, rng):
        seen.append(Xb.shape)
        return RandomShift(1)(Xb, rng)

    model = small_cnn()
    model.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=0, augment=spy,
              validation_data=data(10))
    assert seen == [(1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 8)] * 2
    # the run is reproducible, and the shifts change what is learnt
    again, plain = small_cnn(), small_cnn()
    again.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=0, augment=RandomShift(1))
    plain.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=0)
    assert all(np.array_equal(again.params[k], model.params[k]) for k in model.params)
    assert not np.allclose(plain.params["W1"], model.params["W1"])


def test_fit_names_an_augment_that_is_not_a_function_or_changes_the_shape_or_dtype():
    X, y = data()
    with pytest.raises(TypeError, match="augment must be a function"):
        small_cnn().fit(X, y, verbose=0, augment="shift")
    with pytest.raises(ValueError, match=r"augment must return a batch of the shape it is "
                                         r"given, \(1, 8, 8, 32\); .* returned \(1, 8, 8\)"):
        small_cnn().fit(X, y, verbose=0, augment=lambda Xb, rng: Xb[..., 0])
    with pytest.raises(ValueError, match="augment must return a batch of the dtype it is "
                                         "given, float32; .* returned float64"):
        small_cnn().fit(X, y, verbose=0, augment=lambda Xb, rng: Xb.astype(np.float64))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("layout", ["columns", "examples"])
def test_an_augmenter_that_works_in_place_leaves_the_callers_data_alone(shuffle, layout):
    """Without shuffling a mini-batch is a view of X; an augmenter that adds noise in
    place would otherwise change the caller's training set for good."""
    X = np.random.default_rng(0).standard_normal((3, 10)).astype(np.float32)
    X = np.asfortranarray(X) if layout == "examples" else X
    y = np.arange(10) % 2
    original = X.copy()

    def noise_in_place(Xb, rng):
        Xb += 1.0
        return Xb

    model = vg.mlp([3, 4, 2])
    model.fit(X, y, epochs=2, batch_size=4, shuffle=shuffle, augment=noise_in_place,
              verbose=0)
    np.testing.assert_array_equal(X, original)
