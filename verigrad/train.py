"""The training loop behind ``Sequential.fit``, its ``Callback`` hooks and the ``History``
it returns.

Each epoch shuffles the m examples, cuts them into mini-batches and, per batch, runs forward
and backward propagation and one optimizer step; the guard watches the numerics on the way
(see ``verigrad.diagnostics.guard``).
"""
import contextlib
import functools
import json
import math
import time

import numpy as np

from .diagnostics.guard import Guard
from .optim import Adam, Optimizer
from .validation import check_positive_int


class History:
    """What ``fit`` measured.

    Per epoch: ``cost`` and ``accuracy`` (means over the epoch's mini-batches, dropout on),
    ``val_cost`` and ``val_accuracy`` (on ``validation_data`` at the end of the epoch, dropout
    off), ``lr`` and ``seconds``. Per step: ``step_cost``, the cost of each mini-batch."""

    FIELDS = ("cost", "accuracy", "val_cost", "val_accuracy", "lr", "seconds")

    def __init__(self, batch_size=None, steps_per_epoch=None):
        self.batch_size, self.steps_per_epoch = batch_size, steps_per_epoch
        for field in self.FIELDS:
            setattr(self, field, [])
        self.step_cost = []

    @property
    def epochs(self):
        return len(self.cost)

    def spikes(self, window=10, threshold=5.0, min_rise=0.1, span=100):
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

    def to_dict(self):
        out = {field: getattr(self, field) for field in self.FIELDS}
        out.update(step_cost=self.step_cost, batch_size=self.batch_size,
                   steps_per_epoch=self.steps_per_epoch)
        return out

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)

    @classmethod
    def from_dict(cls, data):
        history = cls(data.get("batch_size"), data.get("steps_per_epoch"))
        for field in cls.FIELDS + ("step_cost",):
            setattr(history, field, list(data.get(field, [])))
        return history

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def __repr__(self):
        last = {f: getattr(self, f)[-1] for f in ("cost", "accuracy", "val_cost", "val_accuracy")
                if getattr(self, f) and getattr(self, f)[-1] is not None}
        return f"History(epochs={self.epochs}, last={last})"


class Callback:
    """Hooks into ``fit``. Override what you need; set ``model.stop_training = True`` to stop
    after the current step. ``on_step_end`` runs after the update, while the layers still
    hold that step's activations and gradients."""

    def on_train_begin(self, model, history):
        pass

    def on_epoch_begin(self, model, epoch):
        pass

    def on_step_begin(self, model, step):
        pass

    def on_step_end(self, model, step, cost):
        pass

    def on_epoch_end(self, model, epoch, history):
        pass

    def on_train_end(self, model, history):
        pass


def fit(model, X, Y, epochs=10, batch_size=32, optimizer=None, validation_data=None,
        seed=None, shuffle=True, callbacks=(), verbose=1, guard=True):
    """Train ``model`` with mini-batch gradient descent and return a ``History``: the loop
    behind ``Sequential.fit``, whose docstring explains the arguments."""
    model._check_data(X, Y)
    if validation_data is not None:
        if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
            raise TypeError("validation_data must be a tuple (X_val, Y_val)")
        model._check_data(*validation_data, names=("validation_data[0]", "validation_data[1]"))
    epochs = check_positive_int(epochs, "epochs")
    m = X.shape[-1]
    batch_size = min(check_positive_int(batch_size, "batch_size"), m)
    optimizer = Adam(1e-3) if optimizer is None else optimizer
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a verigrad Optimizer, got {type(optimizer).__name__}")

    rng = model._rng if seed is None else np.random.default_rng(seed)
    for layer, child in zip(model.layers, rng.spawn(len(model.layers))):
        layer.set_rng(child)
    steps = math.ceil(m / batch_size)
    history = History(batch_size, steps)
    watch = Guard(model, optimizer) if guard else None
    quiet = functools.partial(np.errstate, all="ignore") if guard else contextlib.nullcontext
    model.stop_training = False
    for cb in callbacks:
        cb.on_train_begin(model, history)
    step = 0
    for epoch in range(epochs):
        optimizer.set_epoch(epoch)
        for cb in callbacks:
            cb.on_epoch_begin(model, epoch)
        order = rng.permutation(m) if shuffle else None
        start, seen, cost_sum, correct = time.perf_counter(), 0, 0.0, 0.0
        bar = _progress(steps, f"epoch {epoch + 1}/{epochs}", verbose)
        for Xb, Yb in _batches(X, Y, order, batch_size):
            step += 1
            for cb in callbacks:
                cb.on_step_begin(model, step)
            with quiet():
                if watch and watch.due(step, seen == 0):
                    watch.check(Xb, step)
                cost, Z = model._cost_and_backprop(Xb, Yb, training=True)
                if watch and not math.isfinite(cost):
                    bar.close()
                    raise watch.diverged(Xb, step, cost)
                optimizer.step(model.params, model._grads())
            history.step_cost.append(cost)
            k = Xb.shape[-1]
            seen += k
            cost_sum += cost * k
            if model.loss.classifier:
                correct += model.loss.accuracy(Z, Yb) * k
            for cb in callbacks:
                cb.on_step_end(model, step, cost)
            bar.update(1)
            if model.stop_training:
                break
        if watch and not all(np.isfinite(p).all() for p in model.params.values()):
            bar.close()
            raise watch.diverged(Xb, step)
        history.cost.append(cost_sum / seen)
        history.accuracy.append(correct / seen if model.loss.classifier else None)
        history.lr.append(optimizer.lr)
        history.seconds.append(time.perf_counter() - start)
        if validation_data is not None:
            val = model.evaluate(*validation_data)
            history.val_cost.append(val["cost"])
            history.val_accuracy.append(val["accuracy"])
        bar.set_postfix_str(_epoch_summary(history), refresh=True)
        bar.close()
        for cb in callbacks:
            cb.on_epoch_end(model, epoch, history)
        if model.stop_training:
            break
    for cb in callbacks:
        cb.on_train_end(model, history)
    return history


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
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="batch", disable=not verbose, leave=True,
                dynamic_ncols=True, mininterval=0.25)


def _epoch_summary(history):
    parts = [f"cost={history.cost[-1]:.4f}"]
    if history.accuracy[-1] is not None:
        parts.append(f"acc={history.accuracy[-1]:.4f}")
    if history.val_cost:
        parts.append(f"val_cost={history.val_cost[-1]:.4f}")
        if history.val_accuracy[-1] is not None:
            parts.append(f"val_acc={history.val_accuracy[-1]:.4f}")
    return " ".join(parts)
