"""The training loop behind ``Sequential.fit``, its ``Callback`` hooks and the ``History``
it returns.

Each epoch shuffles the m examples, cuts them into mini-batches and, per batch, runs forward
and backward propagation and one optimizer step; the guard watches the numerics on the way
(see ``verigrad.diagnostics.guard``).
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import PathLike, write_text
from .optim import Adam, Optimizer
from .parallel import SlicedSteps
from .validation import check_number, check_positive_int, check_seed

if TYPE_CHECKING:
    from .model import Sequential


class History:
    """What ``fit`` measured.

    Per epoch: ``cost`` and ``accuracy`` (means over the epoch's mini-batches, dropout on),
    ``val_cost`` and ``val_accuracy`` (on ``validation_data`` at the end of the epoch, dropout
    off), ``lr`` and ``seconds``. Per step: ``step_cost``, the cost of each mini-batch."""

    FIELDS = ("cost", "accuracy", "val_cost", "val_accuracy", "lr", "seconds")

    def __init__(self, batch_size: int | None = None, steps_per_epoch: int | None = None):
        self.batch_size, self.steps_per_epoch = batch_size, steps_per_epoch
        for field in self.FIELDS:
            setattr(self, field, [])
        self.step_cost = []

    @property
    def epochs(self):
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
    def from_dict(cls, data):
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
    def load(cls, path):
        """Read a history written by ``save``; a file that does not hold one is a
        ValueError naming it."""
        try:
            with open(path, encoding="utf-8") as f:
                return cls.from_dict(json.load(f))
        except (ValueError, UnicodeDecodeError) as err:
            raise ValueError(f"{path} is not a training history written by verigrad: {err}"
                             ) from None

    def __repr__(self):
        last = {f: getattr(self, f)[-1] for f in ("cost", "accuracy", "val_cost", "val_accuracy")
                if getattr(self, f) and getattr(self, f)[-1] is not None}
        return f"History(epochs={self.epochs}, last={last})"

    def _repr_html_(self):
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


class LastGoodWeights(Callback):
    """Keeps a copy of the weights at the start of training and at the end of every epoch,
    and of the ``History``: what a ``TrainingDiverged`` hands back (see ``restore``)."""

    def on_train_begin(self, model: Sequential, history: History) -> None:
        self.history, self.epochs = history, 0
        self.weights = {name: value.copy() for name, value in model.params.items()}

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        # the guard has checked the parameters for NaN and inf before this hook runs
        for name, value in model.params.items():
            self.weights[name][...] = value
        self.epochs = epoch + 1

    def restore(self, model, err):
        """Put the kept weights back into ``model`` and attach them and the history to
        ``err``, saying so in its message."""
        for name, value in self.weights.items():
            model.params[name] = value
        err.history, err.weights = self.history, self.weights
        when = f"the end of epoch {self.epochs}" if self.epochs else "before training"
        err.args = (f"{err.args[0]}. The model holds its weights of {when} again; the "
                    f"exception's .weights and .history keep them and the epochs finished.",)


def fit(model, X, Y, epochs=10, batch_size=32, optimizer=None, validation_data=None,
        seed=None, shuffle=True, callbacks=(), verbose=1, numpy_warnings=True, augment=None,
        threads=1):
    """Train ``model`` with mini-batch gradient descent and return a ``History``: the loop
    behind ``Sequential.fit``, whose docstring explains the arguments. numpy_warnings=False
    silences NumPy's floating-point warnings inside each step (the guard reports the same
    events with their cause)."""
    X, Y, validation_data, epochs, batch_size, optimizer = _check_settings(
        model, X, Y, epochs, batch_size, optimizer, validation_data)
    callbacks = _check_flags(seed, shuffle, verbose, callbacks)
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be a function (X_batch, rng) -> X_batch such as "
                        f"vg.data.RandomShift(2), or None, got {augment!r:.60}")
    rng = model._rng if seed is None else np.random.default_rng(seed)
    model.set_rng(rng)
    m = X.shape[-1]
    history = History(batch_size, math.ceil(m / batch_size))
    numerics = contextlib.nullcontext if numpy_warnings else functools.partial(np.errstate,
                                                                               all="ignore")
    steps = SlicedSteps(model, threads, rng)
    model.optimizer, model.stop_training = optimizer, False
    _notify(callbacks, "on_train_begin", model, history)
    with steps:
        step = 0
        for epoch in range(epochs):
            optimizer.set_epoch(epoch)
            _notify(callbacks, "on_epoch_begin", model, epoch)
            order = rng.permutation(m) if shuffle else None
            epoch_mean = _EpochMean(model.loss)
            progress = _progress(history.steps_per_epoch, f"epoch {epoch + 1}/{epochs}", verbose)
            with progress as bar:
                for Xb, Yb in _batches(X, Y, order, batch_size):
                    step += 1
                    if augment is not None:
                        Xb = _augmented(augment, Xb, rng)
                    _notify(callbacks, "on_step_begin", model, step)
                    with numerics():
                        cost, Z = steps.cost_and_backprop(Xb, Yb)
                        _notify(callbacks, "on_backward_end", model, step, cost)
                        optimizer.step(model.params, model._grads())
                    history.step_cost.append(cost)
                    epoch_mean.add(cost, Z, Yb)
                    _notify(callbacks, "on_step_end", model, step, cost)
                    bar.update(1)
                    if model.stop_training:
                        break
                history.cost.append(epoch_mean.cost())
                history.accuracy.append(epoch_mean.accuracy())
                history.lr.append(optimizer.lr)
                history.seconds.append(epoch_mean.seconds())
                if validation_data is not None:
                    with numerics():  # weights gone non-finite: the guard says so next
                        val = model.evaluate(*validation_data)
                    history.val_cost.append(val["cost"])
                    history.val_accuracy.append(val["accuracy"])
                bar.set_postfix_str(_epoch_summary(history), refresh=True)
            _notify(callbacks, "on_epoch_end", model, epoch, history)
            if model.stop_training:
                break
    _notify(callbacks, "on_train_end", model, history)
    return history


def _check_settings(model, X, Y, epochs, batch_size, optimizer, validation_data):
    """The checked (X, Y, validation_data, epochs, batch_size, optimizer) of a ``fit`` call;
    errors name the argument. Float data in another precision is cast to the model's dtype
    here, once for the whole run."""
    X, Y = model.check_data(X, Y)
    if validation_data is not None:
        if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
            raise TypeError("validation_data must be a tuple (X_val, Y_val)")
        validation_data = model.check_data(*validation_data,
                                           names=("validation_data[0]", "validation_data[1]"))
    epochs = check_positive_int(epochs, "epochs")
    batch_size = min(check_positive_int(batch_size, "batch_size"), X.shape[-1])
    optimizer = Adam(1e-3) if optimizer is None else optimizer
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a verigrad Optimizer, got {type(optimizer).__name__}")
    optimizer.check_schedule(epochs)
    return X, Y, validation_data, epochs, batch_size, optimizer


def _check_flags(seed, shuffle, verbose, callbacks):
    """Check the remaining arguments of ``fit``; returns the callbacks as a list."""
    check_seed(seed, "seed")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if verbose not in (0, 1):
        raise ValueError(f"verbose must be 0 (silent) or 1 (progress bars), got {verbose!r}")
    return check_callbacks(callbacks)


def check_callbacks(callbacks):
    """``callbacks`` (a sequence of Callback objects, or None) as a list."""
    if isinstance(callbacks, Callback) or not all(isinstance(cb, Callback)
                                                  for cb in callbacks or ()):
        raise TypeError(f"callbacks must be a list of verigrad Callback objects, got "
                        f"{callbacks!r:.60}")
    return list(callbacks or ())


def _notify(callbacks, hook, *args):
    for callback in callbacks:
        getattr(callback, hook)(*args)


class _EpochMean:
    """The running means of one epoch: cost and accuracy weighted by batch size, and the
    time since it began."""

    def __init__(self, loss):
        self.loss, self.start = loss, time.perf_counter()
        self.seen, self.total, self.correct = 0, 0.0, 0.0

    def add(self, cost, Z, Y):
        k = Z.shape[-1]
        self.seen += k
        self.total += cost * k
        if self.loss.classifier:
            self.correct += self.loss.accuracy(Z, Y) * k

    def cost(self):
        return self.total / self.seen

    def accuracy(self):
        return self.correct / self.seen if self.loss.classifier else None

    def seconds(self):
        return time.perf_counter() - self.start


def _augmented(augment, Xb, rng):
    """augment(Xb, rng), which must keep the batch's shape and dtype."""
    out = augment(Xb, rng)
    if getattr(out, "shape", None) != Xb.shape:
        raise ValueError(f"augment must return a batch of the shape it is given, {Xb.shape}; "
                         f"{augment!r:.60} returned {np.shape(out)}")
    if out.dtype != Xb.dtype:
        raise ValueError(f"augment must return a batch of the dtype it is given, {Xb.dtype}; "
                         f"{augment!r:.60} returned {out.dtype}")
    return out


def _batches(X, Y, order, batch_size):
    """Mini-batches (X_b, Y_b) of X (..., m) and Y, taking the examples in ``order`` (None:
    as they are). When each example is one contiguous block of memory (a column-contiguous
    (n, m) X, images stored example by example), gathering examples copies whole blocks,
    and every X_b comes out stored the same way."""
    m = X.shape[-1]
    by_example = np.moveaxis(X, -1, 0)
    for start in range(0, m, batch_size):
        if order is None:
            yield X[..., start:start + batch_size], Y[..., start:start + batch_size]
            continue
        idx = order[start:start + batch_size]
        yield (np.moveaxis(by_example[idx], 0, -1) if by_example.flags.c_contiguous
               else X[..., idx]), Y[..., idx]


def _progress(total, desc, verbose):
    if not verbose:
        # tqdm.auto is not imported for nothing: in Jupyter without ipywidgets its import
        # alone prints a warning under the cell
        from tqdm import tqdm
        return tqdm(total=total, disable=True)
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True,
                mininterval=0.25)


def _epoch_summary(history):
    parts = [f"cost={history.cost[-1]:.4f}"]
    if history.accuracy[-1] is not None:
        parts.append(f"acc={history.accuracy[-1]:.4f}")
    if history.val_cost:
        parts.append(f"val_cost={history.val_cost[-1]:.4f}")
        if history.val_accuracy[-1] is not None:
            parts.append(f"val_acc={history.val_accuracy[-1]:.4f}")
    return " ".join(parts)
