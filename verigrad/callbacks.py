"""``Callback``, the hooks ``fit`` calls while it trains, and ``History``, what it measured.

They live apart from the training loop (``verigrad.train``) so that the callbacks built on
them (the guard, the Monitor, ``LivePlot``, the scikit-learn wrapper's early stopping) do not
import the loop that calls them.
"""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import PathLike, write_text
from .validation import check_number, check_positive_int

if TYPE_CHECKING:
    from .model import Sequential


class History:
    """What ``fit`` measured.

    Per epoch: ``cost`` and ``accuracy`` (means over the epoch's mini-batches, dropout on),
    ``val_cost`` and ``val_accuracy`` (on ``validation_data`` at the end of the epoch, dropout
    off), ``lr`` and ``seconds``. Per step: ``step_cost``, the cost of each mini-batch."""

    FIELDS = ("cost", "accuracy", "val_cost", "val_accuracy", "lr", "seconds")
    cost: list[float]
    accuracy: list[float | None]
    val_cost: list[float]
    val_accuracy: list[float | None]
    lr: list[float]
    seconds: list[float]

    def __init__(self, batch_size: int | None = None, steps_per_epoch: int | None = None):
        self.batch_size, self.steps_per_epoch = batch_size, steps_per_epoch
        for field in self.FIELDS:
            setattr(self, field, [])
        self.step_cost: list[float] = []

    @property
    def epochs(self) -> int:
        return len(self.cost)

    def spikes(self, window: int = 10, threshold: float = 5.0, min_rise: float = 0.1,
               span: int = 100) -> list[dict[str, Any]]:
        """Jumps of the per-step cost well above its running trend, with their likely cause.

        The trend of step i is the median cost of the ``window`` steps before it (of all the
        steps before it, for the first ones; the first three steps are not judged). Step i is a
        spike when its cost is more than ``min_rise`` (10%) above the trend and, in mini-batch
        runs, log(cost/trend) also exceeds ``threshold`` times the step-to-step noise of the
        log cost around it (σ from the median absolute deviation of its differences over the
        ``span`` steps centred on i, or over the whole run if shorter: neither the trend nor a
        few spikes move it much). Full-batch descent (one step per epoch) has no sampling
        noise, so there every such rise counts. Consecutive spiking steps make one spike,
        reported at its highest point.

        Returns a list of dicts: ``step`` and ``epoch`` (from 1), ``value``, ``trend``,
        ``size`` (value/trend − 1) and ``cause``:
          "schedule step"     the learning rate changed at most ``window`` steps before;
          "learning rate"     full-batch descent (one step per epoch) has no sampling noise,
                              so a jump means the step overshot the minimum;
          "mini-batch noise"  otherwise: a batch harder than the others.
        """
        window, span = check_positive_int(window, "window"), check_positive_int(span, "span")
        for name, value in (("threshold", threshold), ("min_rise", min_rise)):
            check_number(value, name, lambda v: v >= 0, "a finite number ≥ 0")
        windows = np.lib.stride_tricks.sliding_window_view
        cost = np.maximum(np.asarray(self.step_cost, dtype=np.float64), 1e-300)
        first, n = 3, len(cost)
        if n <= first:
            return []
        early = [np.median(cost[:i]) for i in range(first, min(window, n))]
        late = np.median(windows(cost[:-1], window), axis=1) if n > window else []
        trend = np.concatenate([early, late])
        rise = np.log(cost[first:] / trend)
        per_epoch = self.steps_per_epoch or 1
        noise = 0.0
        if per_epoch > 1:
            diffs = windows(np.diff(np.log(cost)), min(span, n - 1))
            spread = np.median(np.abs(diffs - np.median(diffs, axis=1, keepdims=True)), axis=1)
            centred = np.clip(np.arange(first, n) - span // 2, 0, len(spread) - 1)
            noise = 1.4826 * spread[centred] / math.sqrt(2)
        flagged = np.flatnonzero((rise > threshold * noise) & (rise > math.log1p(min_rise)))
        found = []
        runs = np.split(flagged, np.flatnonzero(np.diff(flagged) > 1) + 1) if flagged.size else []
        for run in runs:
            k = run[np.argmax(rise[run])]
            i = k + first  # index into step_cost
            epoch = i // per_epoch
            changed = 0 < epoch < len(self.lr) and self.lr[epoch] != self.lr[epoch - 1]
            cause = ("schedule step" if changed and i - epoch * per_epoch < window else
                     "learning rate" if per_epoch == 1 else "mini-batch noise")
            found.append({"step": int(i) + 1, "epoch": int(epoch) + 1, "value": float(cost[i]),
                          "trend": float(trend[k]), "size": float(cost[i] / trend[k] - 1),
                          "cause": cause})
        return found

    def to_dict(self) -> dict[str, Any]:
        out = {field: getattr(self, field) for field in self.FIELDS}
        out.update(step_cost=self.step_cost, batch_size=self.batch_size,
                   steps_per_epoch=self.steps_per_epoch)
        return out

    def save(self, path: PathLike) -> None:
        """Write the history to ``path`` as JSON (atomically: whole or not at all)."""
        write_text(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def from_dict(cls, data: object) -> History:
        """The History that ``to_dict`` described; ValueError naming the field when ``data``
        is not such a record (lists of numbers, one entry per epoch)."""
        if not isinstance(data, dict):
            raise ValueError(f"a history is a JSON object, not {type(data).__name__}")
        history = cls(data.get("batch_size"), data.get("steps_per_epoch"))
        for field in cls.FIELDS + ("step_cost",):
            values = data.get(field, [])
            optional = field in ("accuracy", "val_accuracy")
            if not isinstance(values, list) or not all(
                    (v is None and optional) or
                    (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
                raise ValueError(f"{field!r} must be a list of numbers, got {values!r:.60}")
            setattr(history, field, values)
        epochs = len(history.cost)
        for field in ("accuracy", "lr", "seconds", "val_cost", "val_accuracy"):
            if len(getattr(history, field)) not in (epochs, 0):
                raise ValueError(f"{field!r} has {len(getattr(history, field))} entries for "
                                 f"{epochs} epochs")
        return history

    @classmethod
    def load(cls, path: PathLike) -> History:
        """Read a history written by ``save``; a file that does not hold one is a
        ValueError naming it."""
        try:
            with open(path, encoding="utf-8") as f:
                return cls.from_dict(json.load(f))
        except (ValueError, UnicodeDecodeError) as err:
            raise ValueError(f"{path} is not a training history written by verigrad: {err}"
                             ) from None

    def __repr__(self) -> str:
        last = {f: getattr(self, f)[-1] for f in ("cost", "accuracy", "val_cost", "val_accuracy")
                if getattr(self, f) and getattr(self, f)[-1] is not None}
        return f"History(epochs={self.epochs}, last={last})"

    def _repr_html_(self) -> str:
        from .display.html import history_html
        return history_html(self)


class Callback:
    """Hooks into ``fit``: subclass and override the ones you need. Set
    ``model.stop_training = True`` in any hook to stop after the current step.

    ======================================  =============================================
    hook                                    when it runs, and what the model holds then
    ======================================  =============================================
    ``on_train_begin(model, history)``      before the first step; ``model.optimizer`` is
                                            the optimizer of this run
    ``on_epoch_begin(model, epoch)``        before the epoch's first step (epoch from 0)
    ``on_step_begin(model, step)``          before the step's forward pass (step from 1)
    ``on_backward_end(model, step, cost)``  after backprop, before the update: the layers
                                            hold this step's gradients (``grads``), the
                                            parameters are those the cost was computed
                                            with, ``model.activations`` the forward pass
                                            (of the first slice with ``threads`` > 1)
    ``on_step_end(model, step, cost)``      after the update; ``model.activations`` and
                                            the gradients are still this step's
    ``on_epoch_end(model, epoch, history)``  after the epoch's validation; ``history``
                                            holds the epoch's means
    ``on_train_end(model, history)``        after the last epoch (not after an exception)
    ======================================  =============================================

    ``fit`` runs the NaN guard (``verigrad.diagnostics.guard.Guard``) as the first callback
    unless ``guard=False``.
    """

    def on_train_begin(self, model: Sequential, history: History) -> None:
        pass

    def on_epoch_begin(self, model: Sequential, epoch: int) -> None:
        pass

    def on_step_begin(self, model: Sequential, step: int) -> None:
        pass

    def on_backward_end(self, model: Sequential, step: int, cost: float) -> None:
        pass

    def on_step_end(self, model: Sequential, step: int, cost: float) -> None:
        pass

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        pass

    def on_train_end(self, model: Sequential, history: History) -> None:
        pass
