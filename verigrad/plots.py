"""Pictures of a training run (matplotlib is an optional extra: ``pip install verigrad[plot]``).

Each function draws on its own ``matplotlib.figure.Figure`` and writes it to a file: no
pyplot, so the backend and the figures of a notebook or a script are left as they were. Each
file is written whole or not at all (a temporary file, then a rename).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from ._files import PathLike, atomic_write

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    from .callbacks import History
    from .diagnostics import Monitor
    from .model import Sequential


def require_matplotlib() -> ModuleType:
    """The matplotlib module, or an ImportError that says how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'verigrad[plot]'") from None
    return matplotlib


def figure(**kwargs: Any) -> Figure:
    """A new Figure laid out by the constrained layout engine, outside pyplot."""
    require_matplotlib()
    from matplotlib.figure import Figure
    return Figure(layout="constrained", **kwargs)


def _colors() -> Any:
    from matplotlib import colormaps
    return cast("ListedColormap", colormaps["tab10"]).colors  # a list of RGB triples


def plot_history(history: History, path: PathLike, title: str | None = None,
                 mark_spikes: bool = True) -> PathLike:
    """Cost and accuracy per epoch, train against validation, saved as a PNG at ``path``.

    The training figures are means over an epoch's mini-batches, so they are drawn at the
    middle of their epoch; validation is measured at the end of each epoch. The left panel
    also shows each mini-batch's cost (faint), so the noise of mini-batch training is visible,
    and marks the spikes of ``history.spikes()`` (red triangles, labelled with their cause)."""
    has_accuracy = any(a is not None for a in history.accuracy)
    fig = figure(figsize=(11 if has_accuracy else 6, 4))
    axes = fig.subplots(1, 2 if has_accuracy else 1, squeeze=False)
    from matplotlib.ticker import MaxNLocator
    ax = axes[0, 0]
    epochs = range(1, history.epochs + 1)
    middles = [e - 0.5 for e in epochs]
    per_epoch = history.steps_per_epoch or 1
    if history.step_cost and per_epoch > 1:
        steps = [(i + 1) / per_epoch for i in range(len(history.step_cost))]
        ax.plot(steps, history.step_cost, color="tab:blue", alpha=0.2, lw=0.6,
                label="mini-batch cost")
    size = 3 if history.epochs > 30 else 6
    ax.plot(middles, history.cost, "o-", color="tab:blue", label="train (epoch mean)", ms=size)
    if mark_spikes:
        _mark_spikes(ax, history.spikes(), per_epoch)
    if history.val_cost:
        ax.plot(epochs, history.val_cost, "s-", color="tab:orange", label="validation", ms=size)
    ax.set(xlabel="epoch", ylabel="cost", title="cost")
    ax.legend()
    ax.grid(alpha=0.3)
    if has_accuracy:
        ax = axes[0, 1]
        ax.plot(middles, history.accuracy, "o-", color="tab:blue", label="train (epoch mean)",
                ms=size)
        if history.val_accuracy:
            ax.plot(epochs, history.val_accuracy, "s-", color="tab:orange", label="validation",
                    ms=size)
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        ax.legend()
        ax.grid(alpha=0.3)
    for ax in axes.flat:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _save(fig, path, title)


def _mark_spikes(ax: Axes, spikes: list[dict[str, Any]], per_epoch: int) -> None:
    """Red triangles on the cost curve where ``History.spikes()`` found a jump."""
    for cause in dict.fromkeys(s["cause"] for s in spikes):
        chosen = [s for s in spikes if s["cause"] == cause]
        # In a full-batch run the step's cost is the epoch's, drawn mid-epoch.
        x = [s["epoch"] - 0.5 if per_epoch == 1 else s["step"] / per_epoch for s in chosen]
        ax.plot(x, [s["value"] for s in chosen], "v", color="red", ms=9, mfc="none", mew=1.5,
                label=f"spike: {cause} ({len(chosen)})")


def plot_decision_boundary(model: Sequential, X: np.ndarray, y: np.ndarray, path: PathLike,
                           history: History | None = None, title: str | None = None,
                           resolution: int = 300) -> PathLike:
    """The classes a 2-input model predicts over the plane, with the points (X (2, m),
    labels y), saved as a PNG; with ``history``, the cost curve beside it.

    Each region is coloured by its predicted class, paler where the model is less sure
    (the probability of that class); the black line is where the prediction changes."""
    require_matplotlib()
    import numpy as np
    from matplotlib.colors import ListedColormap
    if X.shape[0] != 2:
        raise ValueError(f"X must have 2 rows (features) to draw a boundary, got shape {X.shape}")
    (x0, x1), (y0, y1) = [(float(v.min()), float(v.max())) for v in X]
    pad_x, pad_y = 0.1 * (x1 - x0) + 1e-3, 0.1 * (y1 - y0) + 1e-3
    gx, gy = np.meshgrid(np.linspace(x0 - pad_x, x1 + pad_x, resolution),
                         np.linspace(y0 - pad_y, y1 + pad_y, resolution))
    grid = np.stack([gx.ravel(), gy.ravel()]).astype(model.dtype)
    proba = model.predict_proba(grid)
    if proba.shape[0] == 1:
        proba = np.concatenate([1 - proba, proba])
    label, confidence = proba.argmax(axis=0), proba.max(axis=0)
    k = proba.shape[0]
    colors = _colors()[:max(k, 2)]
    fig = figure(figsize=(11, 4.8) if history is not None else (5.5, 4.8))
    axes = fig.subplots(1, 2 if history is not None else 1, squeeze=False)
    ax = axes[0, 0]
    rgb = np.array(colors)[label]
    strength = ((confidence - 1 / k) / (1 - 1 / k))[:, None]
    shade = 1 - 0.45 * strength * (1 - rgb)  # white where unsure, pale class colour where sure
    ax.imshow(shade.reshape(resolution, resolution, 3), origin="lower", aspect="auto",
              extent=(gx.min(), gx.max(), gy.min(), gy.max()), interpolation="bilinear")
    ax.contour(gx, gy, label.reshape(gx.shape), levels=np.arange(k) + 0.5, colors="black",
               linewidths=1)
    ax.scatter(X[0], X[1], c=y, cmap=ListedColormap(colors), s=7, edgecolors="none",
               vmin=-0.5, vmax=len(colors) - 0.5)
    accuracy = float(np.mean(model.predict(X) == y))
    ax.set(xlabel="x₁", ylabel="x₂", title=f"decision boundary ({accuracy:.1%} of these points)")
    if history is not None:
        ax = axes[0, 1]
        ax.plot(range(1, history.epochs + 1), history.cost, color="tab:blue", label="train")
        if history.val_cost:
            ax.plot(range(1, history.epochs + 1), history.val_cost, color="tab:orange",
                    label="validation")
        ax.set(xlabel="epoch", ylabel="cost", title="cost", yscale="log")
        ax.legend()
        ax.grid(alpha=0.3)
    return _save(fig, path, title)


def plot_confusion_matrix(counts: np.ndarray, path: PathLike,
                          labels: Sequence[str] | None = None,
                          title: str | None = None) -> PathLike:
    """A confusion matrix ``counts`` (rows: true class, columns: predicted) as a PNG; cells
    are shaded by the fraction of their row and show the count."""
    import numpy as np
    k = counts.shape[0]
    labels = [str(i) for i in range(k)] if labels is None else list(labels)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig = figure(figsize=(7.5, 6.5))
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), labels, rotation=45 if max(map(len, labels)) > 2 else 0,
                  ha="right" if max(map(len, labels)) > 2 else "center")
    ax.set_yticks(range(k), labels)
    ax.set(xlabel="predicted", ylabel="true")
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    return _save(fig, path, title)


def plot_image_grid(images: np.ndarray, captions: Sequence[str], path: PathLike,
                    shape: tuple[int, int] = (28, 28), columns: int = 5,
                    title: str | None = None) -> PathLike:
    """Images (n_pixels, n) as a grid of grey pictures with a caption each, saved as a PNG:
    e.g. the most confidently wrong predictions."""
    n = images.shape[1]
    fig, axes = _grid(n, columns, panel=(2, 2.25))
    for j, ax in zip(range(n), axes.flat):
        ax.imshow(images[:, j].reshape(shape), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(captions[j], fontsize=8)
    return _save(fig, path, title)


DIAGNOSTIC_PANELS = (("act_mean", "activation mean", "linear"),
                     ("act_std", "activation std", "linear"),
                     ("dead", "dead ReLUs (o), saturated sigmoid/tanh (s)", "linear"),
                     ("max_abs_z", "largest |Z|", "log"),
                     ("grad_norm", "gradient norm ‖dW‖", "log"),
                     ("update_ratio", "update ratio ‖ΔW‖/‖W‖ (aim: about 1e-3)", "log"))


def plot_diagnostics(monitor: Monitor, path: PathLike, title: str | None = None) -> PathLike:
    """The statistics of a ``diagnostics.Monitor`` per epoch, one line per layer, as a PNG."""
    fig = figure(figsize=(14, 7.5))
    from matplotlib.ticker import MaxNLocator
    axes = fig.subplots(2, 3)
    colors = _colors()
    layers = list(dict.fromkeys(r["layer"] for r in monitor.records))
    for (key, label, scale), ax in zip(DIAGNOSTIC_PANELS, axes.flat):
        for n, i in enumerate(layers):
            rows = [r for r in monitor.records if r["layer"] == i]
            color = colors[n % len(colors)]
            _plot_column(ax, rows, key, "o-", color, monitor.names[i])
            if key == "dead":
                _plot_column(ax, rows, "saturated", "s--", color, None)
        if key == "update_ratio":
            # the range where the Monitor gives no warning
            ax.axhspan(*monitor.update_ratio_range, color="tab:green", alpha=0.08)
            ax.axhline(1e-3, color="tab:green", lw=1, ls=":")
        if key == "dead":
            ax.set_ylim(-0.05, 1.05)
        ax.set(title=label, xlabel="epoch", yscale=scale)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(len(names), 4))
    return _save(fig, path, title)


def _plot_column(ax: Axes, rows: list[dict[str, Any]], key: str, style: str, color: Any,
                 label: str | None) -> None:
    points = [(r["epoch"], r[key]) for r in rows if r[key] is not None]
    if points:
        ax.plot(*zip(*points), style, color=color, ms=3, label=label)


def _grid(count: int, columns: int, panel: tuple[float, float],
          top: float = 0.0) -> tuple[Figure, np.ndarray]:
    """A figure for ``count`` pictures in rows of ``columns``, each panel ``panel`` (width,
    height) inches plus ``top`` inches for a title or colour bar, and its axes (rows,
    columns), all with their frames and ticks off."""
    rows = max(1, -(-count // columns))
    fig = figure(figsize=(panel[0] * columns, panel[1] * rows + top))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def _save(fig: Figure, path: PathLike, title: str | None) -> PathLike:
    """Title, lay out and write as PNG at 100 dpi."""
    if title:
        fig.suptitle(title)
    with atomic_write(path) as file:
        fig.savefig(file, format=Path(path).suffix[1:] or "png", dpi=100)
    return path


def plot_filters(W: np.ndarray, path: PathLike, columns: int = 8,
                 title: str | None = None) -> PathLike:
    """The kernels of a convolutional layer, W (F, C, kh, kw), one picture per filter (the
    mean over its C input channels), on one colour scale centred at 0: red weights are
    positive, blue negative."""
    import numpy as np
    kernels = np.asarray(W, dtype=np.float64).mean(axis=1)
    limit = float(np.abs(kernels).max()) or 1.0
    fig, axes = _grid(len(kernels), min(columns, len(kernels)), panel=(1.5, 1.6), top=0.6)
    for f, ax in zip(range(len(kernels)), axes.flat):
        shown = ax.imshow(kernels[f], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {f}", fontsize=8)
    fig.colorbar(shown, ax=axes, shrink=0.8)
    return _save(fig, path, title)


def plot_feature_maps(image: np.ndarray, maps: np.ndarray, path: PathLike, columns: int = 8,
                      title: str | None = None) -> PathLike:
    """One input image (C, H, W) and a layer's feature maps (F, H_out, W_out) for it, each
    map on its own scale."""
    import numpy as np
    image, maps = np.asarray(image, dtype=np.float64), np.asarray(maps, dtype=np.float64)
    panels = [("input", image.mean(axis=0), "gray_r")] + [
        (f"map {f}", maps[f], "viridis") for f in range(len(maps))]
    fig, axes = _grid(len(panels), min(columns, len(panels)), panel=(1.5, 1.6), top=0.6)
    for (caption, picture, cmap), ax in zip(panels, axes.flat):
        ax.imshow(picture, cmap=cmap)
        ax.set_title(caption, fontsize=8)
    return _save(fig, path, title)
