"""``LivePlot``: training curves that redraw in place while ``fit`` runs in Jupyter.

    model.fit(X, Y, epochs=10, validation_data=(X_val, Y_val), live=True)
    model.fit(X, Y, epochs=10, verbose=0, callbacks=[vg.LivePlot(every=50)])

In a Jupyter kernel the callback shows one output (a display handle) and replaces its
content: after every epoch, and inside an epoch after every ``every`` steps, or, by default,
once ``interval`` seconds have passed since the last drawing. Outside a kernel (a script, a
terminal, IPython in a terminal) it does nothing, and ``fit(..., live=True)`` keeps the
progress bar instead.

Each drawing is an SVG string (``verigrad.display.svg``): no matplotlib, no figure to close.
The spike search runs at the ends of epochs only, so a drawing inside an epoch costs the
same whatever the length of the run (the per-step line is binned to 300 points).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..callbacks import Callback
from .html import block, paragraph, summary_line
from .svg import curves_svg

if TYPE_CHECKING:
    from ..callbacks import History
    from ..model import Sequential


def notebook_display() -> tuple[Callable[..., Any], Callable[[str], Any]] | None:
    """IPython's ``display`` and ``HTML`` when running in a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    return display, HTML


class LivePlot(Callback):
    """Redraws cost and accuracy in place during ``fit``, in Jupyter only.

    every: redraw inside an epoch after every ``every`` steps (None: by time, see
        ``interval``). Every epoch's end is drawn in any case.
    interval: with every=None, the least number of seconds between two drawings inside
        an epoch. A drawing takes milliseconds in a kernel (building the SVG and sending
        it), so once a second costs a few percent of training at most (measured by
        benchmarks/live_plot_overhead.py, docs/jupyter.md); with ``every``, choose k steps
        that take a second or more.
    title: shown above the curves.

    ``active`` says whether it draws (True only in a Jupyter kernel); ``drawings`` counts
    the drawings of the last ``fit``.
    """

    def __init__(self, every: int | None = None, interval: float = 1.0,
                 title: str = "Training"):
        if every is not None and not (isinstance(every, int) and every > 0):
            raise ValueError(f"every must be a positive int or None, got {every!r}")
        if not interval >= 0:
            raise ValueError(f"interval must be ≥ 0 seconds, got {interval!r}")
        self.every, self.interval, self.title = every, interval, title
        self._display = notebook_display()
        self.drawings = 0

    @property
    def active(self) -> bool:
        return self._display is not None

    def on_train_begin(self, model: Sequential, history: History) -> None:
        self._history, self.drawings = history, 0
        self._handle: Any = None  # IPython's DisplayHandle
        self._epoch, self._step_in_epoch = 0, 0
        if self._display is not None:  # self.active
            display, HTML = self._display
            self._handle = display(HTML(self._html("starting")), display_id=True)
            self._last = time.perf_counter()

    def on_epoch_begin(self, model: Sequential, epoch: int) -> None:
        self._epoch, self._step_in_epoch = epoch, 0

    def on_step_end(self, model: Sequential, step: int, cost: float) -> None:
        if not self.active:
            return
        self._step_in_epoch += 1
        due = (self._step_in_epoch % self.every == 0 if self.every is not None else
               time.perf_counter() - self._last >= self.interval)
        if due and self._step_in_epoch < (self._history.steps_per_epoch or 1):
            self._draw(f"epoch {self._epoch + 1}, step {self._step_in_epoch}/"
                       f"{self._history.steps_per_epoch}, cost {cost:.4g}", spikes=False)

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        if self.active:
            self._draw(summary_line(history))

    def _draw(self, status: str, spikes: bool = True) -> None:
        assert self._display is not None  # only an active LivePlot draws
        HTML = self._display[1]
        self._handle.update(HTML(self._html(status, spikes)))
        self.drawings += 1
        self._last = time.perf_counter()

    def _html(self, status: str, spikes: bool = True) -> str:
        parts = [paragraph(status)]
        if self._history.step_cost:
            parts.append(curves_svg(self._history, spikes=spikes))
        return block(self.title, *parts)
