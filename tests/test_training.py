"""End-to-end: short training runs on real data reach stated accuracies."""
import numpy as np
import pytest

import verigrad as vg


def test_mnist_subset_reaches_91_percent(data_dir):
    """784-64-10 ReLU, Adam 1e-3, batch 64, 3 epochs on the first 10,000 training images:
    about 92.5% on the 10,000 test images (seeds 0-2 gave 92.2-92.6%)."""
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(data_dir / "mnist")
    model = vg.mlp([784, 64, 10])
    history = model.fit(X_train[:, :10000], Y_train[:10000], epochs=3, batch_size=64,
                        optimizer=vg.Adam(1e-3), seed=0, verbose=0)
    assert history.cost[2] < history.cost[0]
    assert model.evaluate(X_test, Y_test)["accuracy"] >= 0.91


def test_per_example_gradient_descent_learns_xor():
    """The classic 2-2-1 problem that a linear model cannot solve, trained one example at a
    time with plain SGD (batch_size=1)."""
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    model = vg.Sequential([vg.Dense(2, 8), vg.Tanh(), vg.Dense(8, 1)],
                          loss=vg.BinaryCrossEntropy(), dtype="float64", seed=1)
    model.fit(X, y, epochs=400, batch_size=1, optimizer=vg.SGD(0.3), verbose=0)
    np.testing.assert_array_equal(model.predict(X), y)
