"""Input checks that fail early with a message naming the argument, the expected and the
actual shape or dtype. One conversion is made instead of an error: floating-point input in
another precision (float64, which np.random and pandas give, into a float32 model) is cast
to the model's dtype, as Keras and scikit-learn do. Everything else that is wrong is an
error, integer images included (they need scaling, not just a cast)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:
    from .losses import Loss


def check_inputs(X: object, input_shape: Iterable[int | None], dtype: DTypeLike, name: str = "X",
                 kind: str = "float") -> np.ndarray:
    """X, checked, as the model computes with it: a finite float array of shape
    (*input_shape, m) (``kind`` "float"), or integer indices (``kind`` "index"), one example
    per last-axis slice. ``input_shape`` is one example's shape; None entries match any
    size. A float X of another precision is returned cast to ``dtype`` (a copy, in the same
    memory order); in the model's dtype it is returned as it is."""
    input_shape = tuple(input_shape)
    want = describe_shape(input_shape)
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape {want}, got {type(X).__name__}")
    if X.ndim != len(input_shape) + 1:
        hint = ""
        if X.ndim == len(input_shape) + 1 - 1 and len(input_shape) > 1:
            hint = "; a single example still needs the example axis: add [..., None]"
        raise ValueError(f"{name} must be {X.ndim and len(input_shape) + 1}-D with shape "
                         f"{want}, got shape {X.shape}{hint}")
    if not shape_fits(input_shape, X.shape[:-1]):
        hint = ""
        if len(input_shape) == 1 and X.shape[-1] == input_shape[0]:
            hint = f"; it looks transposed: pass {name}.T (one column per example)"
        elif shape_fits(input_shape, X.shape[1:]):
            hint = (f"; it looks like examples come first: the example axis is last, pass "
                    f"np.moveaxis({name}, 0, -1)")
        raise ValueError(f"{name} has shape {X.shape}, but the first layer expects {want}, "
                         f"the example axis last{hint}")
    if kind == "index":
        if X.dtype.kind not in "iu":
            raise TypeError(f"{name} has dtype {X.dtype}, but the first layer takes integer "
                            f"indices: pass {name}.astype(np.int64)")
        return X
    if X.dtype.kind != "f":
        raise TypeError(f"{name} has dtype {X.dtype}, but the model computes in {dtype}: "
                        f"convert and scale it first, e.g. {name}.astype(np.{dtype}) / 255 "
                        f"for 8-bit images")
    if X.dtype != dtype:
        X = X.astype(dtype)
    # One float64 sum is finite exactly when no entry is NaN or inf (barring overflow of
    # the sum itself), and costs no 1-byte-per-entry mask: scan entry by entry only then.
    if np.isfinite(np.sum(X, dtype=np.float64)):
        return X
    finite = np.isfinite(X)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{name} contains NaN or inf (first at {name}{list(where)} = "
                         f"{X[where]}); clean or impute the data before training")
    return X


def check_targets(loss: Loss, Y: object, n_out: int, m: int, name: str = "Y") -> None:
    """Y must be a NumPy array that ``loss`` accepts for n_out outputs and m examples."""
    if not isinstance(Y, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(Y).__name__}")
    if Y.ndim not in (1, 2):
        raise ValueError(f"{name} must be labels (m,) or targets (n_outputs, m), "
                         f"got shape {Y.shape}")
    if Y.shape[-1] != m:
        raise ValueError(f"{name} has {Y.shape[-1]} examples (shape {Y.shape}) but X has "
                         f"{m} columns; one label per column of X")
    loss.check_targets(Y, n_out, m, name)


def check_matrix(array: object, name: str,
                 shape: Sequence[int | str | None] = (None, None)) -> None:
    """Raise unless ``array`` is a 2-D NumPy array of numbers of ``shape``: an int fixes a
    size, None or a name such as "m" leaves it free (the name shows in the message)."""
    want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape {want}, "
                        f"got {type(array).__name__}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape {want}, got shape {array.shape}")
    if any(isinstance(w, int) and g != w for g, w in zip(array.shape, shape)):
        raise ValueError(f"{name} must have shape {want}, got {array.shape}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")


def looks_like_rand(W: np.ndarray) -> bool:
    """True for weights with the signature of ``np.random.rand``: all in [0, 1), mean ≈ ½
    (weights must be centred on 0)."""
    return W.size >= 4 and W.min() >= 0 and W.max() < 1 and W.mean() > 0.25


def check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_number(value: object, name: str, allowed: Callable[[Any], bool],
                 description: str) -> float:
    """``value`` as a float if it is a real, finite number for which ``allowed(value)``
    holds; else ValueError: "{name} must be {description}, got ...". NaN and inf never
    pass (they would make every later computation NaN without a word)."""
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not (math.isfinite(value) and allowed(value))):
        raise ValueError(f"{name} must be {description}, got {value!r}")
    return float(value)


def check_seed(seed: object, name: str) -> int | np.integer | None:
    """A seed: None (fresh randomness) or an integer ≥ 0."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ValueError(f"{name} must be an integer ≥ 0 or None, got {seed!r}")
    return seed


def describe_shape(shape: Iterable[object]) -> str:
    """(784,) -> '(784, m)'; (1, 28, 28) -> '(1, 28, 28, m)'; None dims print as '?'."""
    return "(" + ", ".join("?" if s is None else str(s) for s in (*shape, "m")) + ")"


def shape_fits(expected: Sequence[int | None], actual: Sequence[int | None]) -> bool:
    """Whether the one-example shape ``actual`` matches ``expected`` (None matches any size)."""
    return len(expected) == len(actual) and all(e is None or e == a
                                                for e, a in zip(expected, actual))
