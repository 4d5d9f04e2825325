"""The training loop behind ``Sequential.fit`` (its hooks, ``Callback``, and what it returns,
``History``, are in ``verigrad.callbacks``).

Each epoch shuffles the m examples, cuts them into mini-batches and, per batch, runs forward
and backward propagation and one optimizer step; the guard watches the numerics on the way
(see ``verigrad.diagnostics.guard``).
"""
from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .callbacks import Callback, History
from .losses import Loss
from .optim import Adam, Optimizer
from .parallel import SlicedSteps
from .validation import check_positive_int, check_seed

if TYPE_CHECKING:
    from .diagnostics import TrainingDiverged
    from .model import Sequential

#: ``fit``'s augment: (X_batch, rng) -> X_batch of the same shape and dtype
Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


class LastGoodWeights(Callback):
    """Keeps a copy of the model's arrays at the start of training and at the end of every
    epoch: the parameters, and every layer's ``state`` (batch norm's running statistics,
    which a diverging step turns NaN as surely as the weights), and of the ``History``:
    what a ``TrainingDiverged`` hands back (see ``restore``)."""

    def on_train_begin(self, model: Sequential, history: History) -> None:
        self.history, self.epochs = history, 0
        self.weights = {name: value.copy() for name, value in model.params.items()}
        self.state = {name: value.copy() for name, value in model.state.items()}

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        # the guard has checked the parameters for NaN and inf before this hook runs
        for kept, live in ((self.weights, model.params), (self.state, model.state)):
            for name, value in live.items():
                kept[name][...] = value
        self.epochs = epoch + 1

    def restore(self, model: Sequential, err: TrainingDiverged) -> None:
        """Put the kept parameters and state back into ``model`` and attach them and the
        history to ``err`` (``weights``, ``state``, ``history``), saying so in its
        message."""
        for kept, live in ((self.weights, model.params), (self.state, model.state)):
            for name, value in kept.items():
                live[name] = value
        err.history, err.weights, err.state = self.history, self.weights, self.state
        when = f"the end of epoch {self.epochs}" if self.epochs else "before training"
        err.args = (f"{err.args[0]}. The model holds its weights of {when} again; the "
                    f"exception's .weights, .state and .history keep them and the epochs "
                    f"finished.",)


def fit(model: Sequential, X: np.ndarray, Y: np.ndarray, epochs: int = 10, batch_size: int = 32,
        optimizer: Optimizer | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None, seed: int | None = None,
        shuffle: bool = True, callbacks: Sequence[Callback] = (), verbose: int = 1,
        numpy_warnings: bool = True, augment: Augment | None = None,
        threads: int = 1) -> History:
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
    rng = model.rng if seed is None else np.random.default_rng(seed)
    model.set_rng(rng)
    m = X.shape[-1]
    history = History(batch_size, math.ceil(m / batch_size))
    numerics: Callable[[], contextlib.AbstractContextManager[Any]] = (
        contextlib.nullcontext if numpy_warnings else functools.partial(np.errstate, all="ignore"))
    steps = SlicedSteps(model, threads, rng)
    _check_order(model, shuffle)
    model.optimizer, model.stop_training = optimizer, False
    _notify(callbacks, "on_train_begin", model, history)
    with steps:
        step = 0
        for epoch in range(epochs):
            optimizer.set_epoch(epoch)
            _notify(callbacks, "on_epoch_begin", model, epoch)
            order = rng.permutation(m) if shuffle else None
            epoch_mean = _EpochMean(model.require_loss())
            progress = _progress(history.steps_per_epoch, f"epoch {epoch + 1}/{epochs}", verbose)
            with progress as bar:
                for Xb, Yb in _batches(X, Y, order, batch_size):
                    step += 1
                    if augment is not None:
                        Xb = _augmented(augment, Xb, X, rng)
                    _notify(callbacks, "on_step_begin", model, step)
                    with numerics():
                        cost, Z = steps.cost_and_backward(Xb, Yb)
                        _notify(callbacks, "on_backward_end", model, step, cost)
                        optimizer.step(model.params, model.gradients())
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


def _check_settings(model: Sequential, X: np.ndarray, Y: np.ndarray, epochs: int,
                    batch_size: int, optimizer: Optimizer | None,
                    validation_data: tuple[np.ndarray, np.ndarray] | None
                    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, int,
                               int, Optimizer]:
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


def _check_flags(seed: int | None, shuffle: bool, verbose: int,
                 callbacks: Sequence[Callback]) -> list[Callback]:
    """Check the remaining arguments of ``fit``; returns the callbacks as a list."""
    check_seed(seed, "seed")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if verbose not in (0, 1):
        raise ValueError(f"verbose must be 0 (silent) or 1 (progress bars), got {verbose!r}")
    return check_callbacks(callbacks)


def _check_order(model: Sequential, shuffle: bool) -> None:
    """Refuse shuffle=True for a layer whose batches must continue each other."""
    ordered = [i for i, layer in enumerate(model.layers) if layer.continues_batches]
    if shuffle and ordered:
        raise ValueError(f"shuffle=True takes the batches in random order, but "
                         f"{model.layer_label(ordered[0])} is stateful: it carries each "
                         f"batch's final state into the next, across unrelated windows. "
                         f"Pass shuffle=False, with data cut into streams that continue "
                         f"from batch to batch (verigrad.data.chars.next_char_streams)")


def check_callbacks(callbacks: Sequence[Callback] | None) -> list[Callback]:
    """``callbacks`` (a sequence of Callback objects, or None) as a list."""
    if isinstance(callbacks, Callback) or not all(isinstance(cb, Callback)
                                                  for cb in callbacks or ()):
        raise TypeError(f"callbacks must be a list of verigrad Callback objects, got "
                        f"{callbacks!r:.60}")
    return list(callbacks or ())


def _notify(callbacks: Iterable[Callback], hook: str, *args: Any) -> None:
    for callback in callbacks:
        getattr(callback, hook)(*args)


class _EpochMean:
    """The running means of one epoch: cost and accuracy weighted by batch size, and the
    time since it began."""

    def __init__(self, loss: Loss):
        self.loss, self.start = loss, time.perf_counter()
        self.seen, self.total, self.correct = 0, 0.0, 0.0

    def add(self, cost: float, Z: np.ndarray, Y: np.ndarray) -> None:
        k = Z.shape[-1]
        self.seen += k
        self.total += cost * k
        if self.loss.classifier:
            accuracy = self.loss.accuracy(Z, Y)  # a float for a classifier
            if accuracy is not None:
                self.correct += accuracy * k

    def cost(self) -> float:
        return self.total / self.seen

    def accuracy(self) -> float | None:
        return self.correct / self.seen if self.loss.classifier else None

    def seconds(self) -> float:
        return time.perf_counter() - self.start


def _augmented(augment: Augment, Xb: np.ndarray, X: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """augment(Xb, rng), which must keep the batch's shape and dtype. An augmenter may work
    in place, so it gets a copy of a batch that is a view of the caller's data ``X``
    (examples taken in order)."""
    if np.may_share_memory(Xb, X):
        Xb = Xb.copy()
    out = augment(Xb, rng)
    if getattr(out, "shape", None) != Xb.shape:
        raise ValueError(f"augment must return a batch of the shape it is given, {Xb.shape}; "
                         f"{augment!r:.60} returned {np.shape(out)}")
    if out.dtype != Xb.dtype:
        raise ValueError(f"augment must return a batch of the dtype it is given, {Xb.dtype}; "
                         f"{augment!r:.60} returned {out.dtype}")
    return out


def _batches(X: np.ndarray, Y: np.ndarray, order: np.ndarray | None,
             batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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


def _progress(total: int | None, desc: str, verbose: int) -> Any:
    if not verbose:
        # tqdm.auto is not imported for nothing: in Jupyter without ipywidgets its import
        # alone prints a warning under the cell
        from tqdm import tqdm
        return tqdm(total=total, disable=True)
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True,
                mininterval=0.25)


def _epoch_summary(history: History) -> str:
    parts = [f"cost={history.cost[-1]:.4f}"]
    if history.accuracy[-1] is not None:
        parts.append(f"acc={history.accuracy[-1]:.4f}")
    if history.val_cost:
        parts.append(f"val_cost={history.val_cost[-1]:.4f}")
        if history.val_accuracy[-1] is not None:
            parts.append(f"val_acc={history.val_accuracy[-1]:.4f}")
    return " ".join(parts)
