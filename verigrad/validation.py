"""Input checks that fail early with a message naming the argument, the expected and the
actual shape or dtype. Nothing is converted silently: a wrong input is an error."""
import numpy as np


def check_inputs(X, n_in, dtype, name="X"):
    """X must be a finite (n_in, m) array of the model's dtype, one column per example."""
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape (n_features, m), "
                        f"got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n_features, m) = ({n_in}, m), "
                         f"got shape {X.shape}")
    if X.shape[0] != n_in:
        hint = (f"; it looks transposed: pass {name}.T (one column per example)"
                if X.shape[1] == n_in else "")
        raise ValueError(f"{name} has shape {X.shape}, but the first layer expects "
                         f"({n_in}, m): {n_in} features in rows{hint}")
    if X.dtype != dtype:
        raise TypeError(f"{name} has dtype {X.dtype}, but the model computes in {dtype}: pass "
                        f"{name}.astype(np.{dtype}) or build the model with dtype='{X.dtype}'"
                        if X.dtype.kind == "f" else
                        f"{name} has dtype {X.dtype}, but the model computes in {dtype}: "
                        f"convert and scale it first, e.g. {name}.astype(np.{dtype}) / 255 "
                        f"for 8-bit images")
    # One float64 sum is finite exactly when no entry is NaN or inf (barring overflow of
    # the sum itself), and costs no 1-byte-per-entry mask: scan entry by entry only then.
    if np.isfinite(np.sum(X, dtype=np.float64)):
        return
    finite = np.isfinite(X)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(f"{name} contains NaN or inf (first at {name}[{row}, {col}] = "
                         f"{X[row, col]}); clean or impute the data before training")


def check_targets(loss, Y, n_out, m, name="Y"):
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


def check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
