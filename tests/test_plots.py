"""Every picture is a valid PNG of the expected size that shows what it should: each file is
opened and its pixels are looked at."""
import numpy as np
import pytest

import verigrad as vg
from verigrad import plots
from verigrad.diagnostics import Monitor, confusion_matrix

plt = pytest.importorskip("matplotlib.pyplot")


def opened(path, height, width):
    """The RGB pixels of the PNG at path, after checking its signature and size."""
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    image = plt.imread(path)
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 0.05  # not blank
    return image[..., :3]


def red_pixels(image):
    return int(((image[..., 0] > 0.8) & (image[..., 1] < 0.25) & (image[..., 2] < 0.25)).sum())


def spiky_history(spikes):
    rng = np.random.default_rng(0)
    cost = (2.0 * np.exp(-np.arange(120) / 30) + 0.1) * (1 + 0.01 * rng.standard_normal(120))
    cost[list(spikes)] *= 1.6
    history = vg.History(batch_size=100, steps_per_epoch=1)
    history.step_cost, history.cost = list(cost), list(cost)
    history.accuracy = list(np.linspace(0.5, 0.95, 120))
    history.val_cost, history.val_accuracy = list(cost * 1.1), list(np.linspace(0.5, 0.9, 120))
    history.lr = [0.1] * 120
    return history


def test_history_plot_marks_spikes_in_red(tmp_path):
    spiky, smooth = spiky_history([40, 80]), spiky_history([])
    assert len(spiky.spikes()) == 2 and smooth.spikes() == []
    plots.plot_history(spiky, tmp_path / "spiky.png", title="spiky")
    plots.plot_history(smooth, tmp_path / "smooth.png")
    assert red_pixels(opened(tmp_path / "spiky.png", 400, 1100)) > 50
    assert red_pixels(opened(tmp_path / "smooth.png", 400, 1100)) == 0


def test_decision_boundary_shows_both_classes(tmp_path):
    X, y = vg.data.make_moons(400, noise=0.1, seed=0)
    model = vg.mlp([2, 16, 2], seed=0)
    history = model.fit(X, y, epochs=30, batch_size=32, optimizer=vg.Adam(1e-2), verbose=0)
    plots.plot_decision_boundary(model, X, y, tmp_path / "b.png", history=history, title="moons")
    image = opened(tmp_path / "b.png", 480, 1100)
    left = image[60:420, 60:500]  # inside the boundary panel
    blue = (left[..., 2] > left[..., 0] + 0.15).mean()
    orange = (left[..., 0] > left[..., 2] + 0.15).mean()
    assert blue > 0.2 and orange > 0.2
    plots.plot_decision_boundary(model, X, y, tmp_path / "alone.png")
    opened(tmp_path / "alone.png", 480, 550)
    with pytest.raises(ValueError, match="X must have 2 rows"):
        plots.plot_decision_boundary(model, np.zeros((3, 4)), y[:4], tmp_path / "x.png")


def test_binary_cross_entropy_model_boundary(tmp_path):
    X, y = vg.data.make_circles(300, seed=0)
    model = vg.mlp([2, 16, 1], loss=vg.BinaryCrossEntropy(), seed=0)
    model.fit(X, y, epochs=40, batch_size=32, optimizer=vg.Adam(1e-2), verbose=0)
    plots.plot_decision_boundary(model, X, y, tmp_path / "c.png")
    opened(tmp_path / "c.png", 480, 550)


def test_confusion_matrix_and_image_grid(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 500)
    counts = confusion_matrix(y, np.where(rng.random(500) < 0.8, y, (y + 1) % 10), 10)
    plots.plot_confusion_matrix(counts, tmp_path / "cm.png", title="confusion")
    opened(tmp_path / "cm.png", 650, 750)
    labels = vg.data.FASHION_CLASSES
    plots.plot_confusion_matrix(counts, tmp_path / "named.png", labels=labels)
    opened(tmp_path / "named.png", 650, 750)
    images = rng.random((784, 7))
    plots.plot_image_grid(images, [f"#{j}" for j in range(7)], tmp_path / "grid.png",
                          columns=5, title="seven")
    opened(tmp_path / "grid.png", 450, 1000)


def test_filters_and_feature_maps(tmp_path):
    """One row of panels, 1.5 × 1.6 inches each at 100 dpi, plus 0.6 inches for the colour
    bar's and title's room: six 5×5 filters and an input with six maps."""
    rng = np.random.default_rng(0)
    plots.plot_filters(rng.standard_normal((6, 1, 5, 5)), tmp_path / "filters.png", title="W")
    opened(tmp_path / "filters.png", 220, 900)
    plots.plot_feature_maps(rng.random((1, 28, 28)), rng.random((6, 24, 24)),
                            tmp_path / "maps.png", title="maps")
    opened(tmp_path / "maps.png", 220, 1050)


def test_diagnostics_figure(tmp_path):
    X, y = vg.data.make_moons(300, seed=0)
    model = vg.Sequential([vg.Dense(2, 8), vg.ReLU(), vg.Dense(8, 8), vg.Tanh(), vg.Dense(8, 2)],
                          loss=vg.SoftmaxCrossEntropy())
    monitor = Monitor(verbose=0)
    model.fit(X, y, epochs=3, callbacks=[monitor], verbose=0)
    assert monitor.plot(tmp_path / "d.png", title="moons") == tmp_path / "d.png"
    opened(tmp_path / "d.png", 750, 1400)


def test_plots_leave_the_backend_and_pyplot_alone(tmp_path):
    """A notebook's backend and figures are the learner's: drawing a file changes neither."""
    import matplotlib
    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    plots.plot_history(spiky_history([]), tmp_path / "h.png")
    plots.plot_confusion_matrix(np.eye(3, dtype=int), tmp_path / "c.png")
    assert matplotlib.get_backend() == backend and plt.get_fignums() == figures

