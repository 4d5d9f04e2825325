"""Training curves as an inline SVG: cost on the left, accuracy on the right, drawn with
nothing but strings, so that a notebook shows them without matplotlib and the page stays
self-contained.

The x axis counts epochs. The cost of each mini-batch is a thin line (averaged in bins when
there are more steps than the panel has room for), the epoch means are dots at the middle
of their epoch (they average it), and the validation values are squares at the end of
their epoch (they are measured there). Spikes of the per-step cost (``History.spikes``) are
red rings. Text, axes and frames use the page's own colour (``currentColor``), and the two
series colours read on light and dark backgrounds alike.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..callbacks import History

TRAIN, VALIDATION, SPIKE = "#3b82f6", "#f59e0b", "#ef4444"
WIDTH, HEIGHT = 300, 190
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 22, 30
LEGEND = 14
MAX_POINTS = 300

#: (kind: "line", "dots" or "squares", colour, x, y) of one series in a panel
Series = tuple[str, str, np.ndarray, np.ndarray]


def curves_svg(history: History, title: str | None = None, spikes: bool = True) -> str:
    """Both panels of ``history`` (a ``History``, possibly mid-epoch) as one <svg> string;
    spikes=False leaves out the spike search (for redraws in the middle of an epoch)."""
    per_epoch = history.steps_per_epoch or 1
    steps = np.asarray(history.step_cost, dtype=np.float64)
    x_end = max(len(history.cost), math.ceil(len(steps) / per_epoch), 1)
    found = history.spikes() if spikes and len(steps) >= 4 else []
    panels = [_panel("cost", x_end, _cost_series(history, steps, per_epoch),
                     [(s["step"] / per_epoch, s["value"]) for s in found])]
    if any(a is not None for a in history.accuracy):
        panels.append(_panel("accuracy", x_end, _accuracy_series(history), []))
    width, height = WIDTH * len(panels), HEIGHT + LEGEND
    body = "".join(f'<g transform="translate({WIDTH * i},0)">{p}</g>'
                   for i, p in enumerate(panels))
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" '
            f'style="color: inherit">{label}{body}{_legend(history, bool(found))}</svg>')


def _cost_series(history: History, steps: np.ndarray, per_epoch: int) -> list[Series]:
    series: list[Series] = []
    if len(steps):
        x = (np.arange(len(steps)) + 1) / per_epoch
        x, y = _binned(x, steps)
        series.append(("line", TRAIN, x, y))
    n = len(history.cost)
    if n:
        series.append(("dots", TRAIN, np.arange(n) + 0.5, np.asarray(history.cost, float)))
    if history.val_cost:
        series.append(("squares", VALIDATION, np.arange(len(history.val_cost)) + 1.0,
                       np.asarray(history.val_cost, float)))
    return series


def _accuracy_series(history: History) -> list[Series]:
    series: list[Series] = []
    acc = [a for a in history.accuracy if a is not None]
    if acc:
        series.append(("dots", TRAIN, np.arange(len(acc)) + 0.5, np.asarray(acc, float)))
    val = [a for a in history.val_accuracy if a is not None]
    if val:
        series.append(("squares", VALIDATION, np.arange(len(val)) + 1.0, np.asarray(val, float)))
    return series


def _binned(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_POINTS points: the means of equal runs of consecutive steps."""
    if len(y) <= MAX_POINTS:
        return x, y
    edges = np.linspace(0, len(y), MAX_POINTS + 1).astype(int)
    return (np.add.reduceat(x, edges[:-1]) / np.diff(edges),
            np.add.reduceat(y, edges[:-1]) / np.diff(edges))


def _panel(name: str, x_end: int, series: list[Series],
           spikes: list[tuple[float, float]]) -> str:
    """One panel: frame, ticks, the series and the spike rings, in panel coordinates."""
    finite = [y[np.isfinite(y)] for *_, y in series]
    ys = np.concatenate(finite) if finite else np.array([])
    if name == "cost" and len(ys):
        # a few huge steps would flatten the rest: the scale ends at the 99th percentile
        # or the largest epoch value, and taller points sit on the top edge
        epoch_values = np.concatenate([y for kind, _, _, y in series if kind != "line"] or
                                      [np.array([])])
        epoch_values = epoch_values[np.isfinite(epoch_values)]
        high = max(np.percentile(ys, 99), epoch_values.max() if len(epoch_values) else -np.inf)
        low = ys.min()
    elif len(ys):
        low, high = ys.min(), ys.max()
    else:
        low, high = 0.0, 1.0
    if not high > low:
        low, high = low - 0.5 * (abs(low) or 1), high + 0.5 * (abs(high) or 1)
    pad = 0.05 * (high - low)
    low, high = low - pad, high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: np.ndarray | float) -> np.ndarray:
        return LEFT + plot_w * np.asarray(x, float) / x_end

    def py(y: np.ndarray | float) -> np.ndarray:
        y = np.clip(np.asarray(y, float), low, high)
        return TOP + plot_h * (high - y) / (high - low)

    parts = [f'<text x="{LEFT}" y="{TOP - 8}" fill="currentColor" font-weight="bold">'
             f'{name}</text>',
             f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
             f'stroke="currentColor" stroke-opacity="0.4"/>']
    for value in np.linspace(low + pad, high - pad, 3):
        parts.append(f'<text x="{LEFT - 4}" y="{py(value) + 3:.1f}" text-anchor="end" '
                     f'fill="currentColor">{value:.3g}</text>')
    for epoch in _ticks(x_end):
        parts.append(f'<text x="{px(epoch):.1f}" y="{TOP + plot_h + 13}" text-anchor="middle" '
                     f'fill="currentColor">{epoch}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle" '
                 f'fill="currentColor" fill-opacity="0.7">epoch</text>')
    for kind, colour, x, y in series:
        keep = np.isfinite(y)
        xs, ys_ = px(x[keep]), py(y[keep])
        if kind == "line":
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys_))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-opacity="0.45" stroke-width="1"/>')
        else:
            if len(xs) > 1:
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys_))
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                             f'stroke-width="1.5"/>')
            for a, b in zip(xs, ys_):
                parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}"/>'
                             if kind == "dots" else
                             f'<rect x="{a - 2.5:.1f}" y="{b - 2.5:.1f}" width="5" height="5" '
                             f'fill="{colour}"/>')
    for at, value in spikes:
        parts.append(f'<circle class="spike" cx="{px(at):.1f}" cy="{py(value):.1f}" r="5" '
                     f'fill="none" stroke="{SPIKE}" stroke-width="1.5"><title>spike: cost '
                     f'{value:.4g}</title></circle>')
    return "".join(parts)


def _ticks(x_end: int) -> list[int]:
    """Whole epochs to label, at most about 8."""
    step = max(1, math.ceil(x_end / 8))
    return list(range(0, x_end + 1, step))


def _legend(history: History, spikes: bool) -> str:
    items = [(TRAIN, "training: each step (line), epoch mean (dots)")]
    if history.val_cost:
        items.append((VALIDATION, "validation, end of epoch"))
    if spikes:
        items.append((SPIKE, "spike"))
    x, out = LEFT, []
    for colour, text in items:
        out.append(f'<rect x="{x}" y="{HEIGHT + 2}" width="8" height="8" fill="{colour}"/>'
                   f'<text x="{x + 11}" y="{HEIGHT + 10}" fill="currentColor" '
                   f'fill-opacity="0.8">{text}</text>')
        x += 24 + 5 * len(text)
    return "".join(out)


def _escape(text: object) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
