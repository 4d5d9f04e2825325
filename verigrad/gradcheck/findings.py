"""What a failed gradient check means: the finding kinds, and how each one is recognised.

A gradient check compares the analytic gradient ``a`` (from backprop) with the numeric one
``n`` (from central differences). When they disagree, the way they disagree usually names
the bug. Each ``Finding`` has a ``kind`` (a registered ``Kind``: ``scale``, ``sign``,
``transpose``, ``sum_axis``, ``mask``, ``shape``, ``mutation``, ``nondeterministic``, ``nan``,
``mismatch``, ``exception``; ``kinds`` describes each), the parameter it concerns (None for
the whole check) and a message written for the learner: what is wrong and where to look.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from ..validation import looks_like_rand
from .kinds import (
    EXCEPTION,  # noqa: F401  (vg.findings.EXCEPTION, like the other kinds)
    GRADCHECK,
    MASK,
    MISMATCH,
    MISSING_GRADIENT,  # noqa: F401  (reported by pairs; vg.findings names every kind)
    MUTATION,
    NAN,
    NONDETERMINISTIC,
    SCALE,
    SHAPE,
    SIGN,
    SUM_AXIS,
    TRANSPOSE,
    Kind,
    registered_kinds,
)

#: the gradient check's own kinds, in the order of their registration in ``kinds``
KINDS = registered_kinds(GRADCHECK)

# A pattern (a constant factor, a transpose, ...) is accepted when it explains the analytic
# gradient to this relative precision: far looser than the numeric gradient's own error
# (about 1e-9), far tighter than what a different formula produces.
PATTERN_RTOL = 1e-5


@dataclass(frozen=True)
class Diagnosis:
    """A finding before it is written out: ``head`` says what is wrong with this parameter,
    ``why`` (shared by every parameter with the same cause) the likely mistake and fix."""

    kind: Kind
    param: str | None
    head: str
    why: str

    if TYPE_CHECKING:  # the generated __init__, which also takes a kind's name
        def __init__(self, kind: Kind | str, param: str | None, head: str, why: str) -> None: ...

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))


def explain(diagnoses: Iterable[Diagnosis]) -> list[Finding]:
    """Findings from diagnoses, giving each cause in full once and referring back to it."""
    findings: list[Finding] = []
    first: dict[tuple[Kind, str], str | None] = {}
    for d in diagnoses:
        earlier = first.setdefault((d.kind, d.why), d.param)
        if earlier != d.param and d.why:
            message = f"{d.head}: the same cause as for {earlier} above."
        else:
            message = f"{d.head}{d.why}"
        findings.append(Finding(d.kind, d.param, message))
    return findings


@dataclass(frozen=True)
class Finding:
    """One diagnosis: ``kind`` (a registered ``Kind``, equal to its string), ``param`` (a
    parameter name, or None when it concerns the whole check) and ``message`` (what is wrong
    and how to fix it). ``kind`` may be given as the kind's name; a name that is not
    registered (``kinds.register_kind``) is a ValueError, so that every finding verigrad
    reports is one the documentation describes."""

    kind: Kind
    param: str | None
    message: str

    if TYPE_CHECKING:  # the kind's name is accepted too: __post_init__ makes it the Kind
        def __init__(self, kind: Kind | str, param: str | None,
                     message: str) -> None: ...

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))

    def __str__(self) -> str:
        where = f" {self.param}" if self.param else ""
        return f"[{self.kind}]{where}: {self.message}"


@dataclass(frozen=True)
class Comparison:
    """The analytic and numeric gradient of one parameter, as the diagnosis needs them.

    name, shape: the parameter; grad_name: what the learner calls its gradient (``dW1``).
    analytic: the whole analytic gradient as returned (it may have the wrong shape).
    index: the flat indices of the entries compared (all of them in a full check).
    a, n: analytic and numeric values at those entries (kinks removed).
    total: the numeric sum of every entry (the slope along all-ones), or None.
    floor: the numeric gradient's rounding noise; differences below it are not errors.
    m: the batch size when known (it names a missing 1/m).
    zero_reason: why the true gradient is zero by construction (a bias followed by a batch
    norm), when it is; None otherwise.
    columns: whether the arrays keep the examples in columns, as the course's dense layers
    do (db summed over axis 1): the advice then speaks of np.sum(dZ).
    localised: whether the report goes on to say where in backprop to look (a parameter of
    a numbered layer); a single layer's check has nothing below to point to.
    error: the estimated error of each entry of n, where it was measured (None: within the
    floor); an entry judged with a coarser step, where the step eps is noise, has a larger
    one, and the patterns allow for it.
    """

    name: str
    shape: tuple[int, ...]
    grad_name: str
    analytic: np.ndarray
    index: np.ndarray
    a: np.ndarray | None
    n: np.ndarray
    floor: float
    total: float | None = None
    m: int | None = None
    zero_reason: str | None = None
    columns: bool = True
    localised: bool = True
    error: np.ndarray | None = None

    def slack(self, factor: float = 1.0) -> float | np.ndarray:
        """What a difference from ``factor`` × n may be without being a mistake: the
        rounding floor, plus the estimated error of factor × n where it was measured (three
        times over: an error estimated from three steps may be low by a fraction)."""
        return self.floor if self.error is None else self.floor + 3 * abs(factor) * self.error


def relative_error(a: np.ndarray, n: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖), the course's measure; 0 when both are exactly zero."""
    denominator = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - n) / denominator)


def _agree(a: np.ndarray, b: np.ndarray, floor: float | np.ndarray) -> np.ndarray:
    return np.abs(a - b) <= floor + PATTERN_RTOL * (np.abs(a) + np.abs(b))


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def is_bias(name: str, shape: tuple[int, ...]) -> bool:
    """Biases are named b… (b1, b_out) or are column/row vectors of a layer."""
    return bool(re.match(r"[bB]", name)) or (len(shape) == 2 and 1 in shape) or len(shape) == 1


# ---- gradients of the wrong shape -------------------------------------------------------


def diagnose_shape(c: Comparison) -> Diagnosis:
    """The diagnosis of a gradient whose shape differs from its parameter's."""
    a, shape, g, name = c.analytic, c.shape, c.grad_name, c.name
    size = int(np.prod(shape))
    if a.size == 1 and size > 1 and is_bias(name, shape):
        value = float(a.reshape(()))
        head = f"{g} is a single number, {_fmt(value)}, where {name} is a {shape} array"
        if c.total is not None:
            head += _compared_with_total(value, c.total, g, c.floor)
        return Diagnosis(SUM_AXIS, name, head, _sum_axis_why(c))
    head = f"{g} has shape {a.shape} but {name} has shape {shape}"
    if a.size == size and c.n is not None and len(c.n) and len(shape) == 2:
        flipped = a.shape == shape[::-1]
        values = (a.T if flipped else a).reshape(-1)[c.index]
        if relative_error(values, c.n) <= PATTERN_RTOL:
            head += f" (its values are right once {'transposed' if flipped else 'reshaped'})"
    if len(shape) == 2 and a.shape == shape[::-1]:
        why = (": it is transposed: the product that forms it has its two factors in the "
               "wrong order. Look at the line that computes it.")
    elif len(shape) == 2 and shape[1] == 1 and a.shape == (shape[0],):
        why = (": the sum over the examples dropped the axis it summed, so the gradient is "
               "a flat vector where the bias is a column. Look at the sum that forms it.")
    elif len(shape) == 2 and shape[1] == 1 and a.ndim == 2 and a.shape[0] == 1:
        why = (": it was summed over axis=0, the units of each example, instead of over the "
               "examples of each unit. Look at the axis of the sum that forms it.")
    else:
        why = ": each gradient must have the shape of its parameter."
    return Diagnosis(SHAPE, name, head, why)


def _sum_axis_why(c: Comparison) -> str:
    if c.columns:
        return (". np.sum(dZ) with no axis adds over the units as well as over the examples, "
                "so every unit gets the same number. Look at the axis of the sum that forms "
                "it.")
    return (". A sum over every axis adds over the units as well as over the examples, so "
            "every unit gets the same number. Sum over the examples' axis only, keeping one "
            "entry per unit.")


def _compared_with_total(value: float, total: float, g: str, floor: float) -> str:
    if _agree(np.array(value), np.array(total), floor):
        return f": the total of the correct {g} over all its entries"
    ratio = value / total if total else 0.0
    if round(ratio) >= 2 and abs(ratio - round(ratio)) <= 1e-3 * abs(ratio):
        return (f": {round(ratio)} × the total of the correct {g} ({_fmt(total)}), so a 1/m "
                f"is missing too")
    return f" (the correct {g} adds up to {_fmt(total)})"


# ---- gradients of the right shape ---------------------------------------------------------


def diagnose(c: Comparison) -> Diagnosis | None:
    """The diagnosis of one parameter whose check failed, or None if it passes.

    The patterns are tried from the most specific to the least: a non-finite value, a
    bias summed over every axis, a sign flip, a constant factor, a transpose, a mask.
    """
    a, n, g, name = cast(np.ndarray, c.a), c.n, c.grad_name, c.name
    if not (np.isfinite(a).all() and np.isfinite(n).all()):
        return _nan_diagnosis(c)
    if a.size == 0 or np.all(np.abs(a - n) <= c.slack()) or relative_error(a, n) == 0:
        return None
    bias = _sum_axis(c)
    if bias:
        return bias
    if not np.any(np.abs(n) > c.slack()):
        return Diagnosis(MISMATCH, name, (
            f"the true gradient of {name} is zero on every entry checked, but {g} is not "
            f"(largest {_fmt(float(np.max(np.abs(a))))})"), c.zero_reason or (
            f": the cost does not change when {name} changes. Does the cost read a global "
            f"variable instead of the parameter in the params it is given?"))
    if not np.any(np.abs(a) > c.floor):
        return Diagnosis(MISMATCH, name, (
            f"{g} is zero on every entry checked, but the true gradient is not (largest "
            f"{_fmt(float(np.max(np.abs(n))))})"), (
            ": the gradient is never computed, or computed and not returned under its key."))
    # least squares, each entry weighted by its precision: coarse estimates count for less
    weight = 1.0 if c.error is None else 1 / (c.floor + c.error) ** 2
    scale = _within_precision(float(np.sum(weight * a * n) / np.sum(weight * n * n)), c)
    if np.all(_agree(a, scale * n, c.slack(scale))):
        if abs(scale + 1) < 1e-3:
            return Diagnosis(SIGN, name, (
                f"{g} has the opposite sign of the true gradient on every entry"), (
                ": the error term is reversed (target minus prediction where the derivative "
                "of the cost is prediction minus target); with the wrong sign, gradient "
                "descent climbs the cost. Look at the output layer's error term."))
        if abs(scale - 1) > 1e-3:
            return Diagnosis(SCALE, name,
                             f"{g} is {_fmt(scale)} × the true gradient on every entry",
                             _scale_why(scale, c.m))
    transposed = _transpose(c)
    if transposed:
        return transposed
    masked = _mask(c)
    if masked:
        return masked
    return _mismatch(c)


def _within_precision(scale: float, c: Comparison) -> float:
    """The factor as precisely as the numeric estimates give it: a whole number k (or 1/k,
    ±) when it lies within their relative error of one; the factor itself otherwise."""
    if c.error is None or scale == 0:
        return scale
    precision = float(np.max(c.error / np.maximum(np.abs(c.n), c.floor)))
    whole = round(abs(scale)) if abs(scale) >= 1 else round(1 / abs(scale))
    near = np.sign(scale) * (whole if abs(scale) >= 1 else 1 / whole)
    return float(near) if abs(scale - near) <= precision * abs(scale) else scale


def _nan_diagnosis(c: Comparison) -> Diagnosis:
    bad_a, bad_n = int(np.sum(~np.isfinite(cast(np.ndarray, c.a)))), int(np.sum(~np.isfinite(c.n)))
    parts = []
    if bad_a:
        parts.append(f"{c.grad_name} has {bad_a} NaN or inf entries")
    if bad_n:
        parts.append(f"the cost is NaN or inf near {bad_n} of the entries of {c.name}")
    return Diagnosis(NAN, c.name, "; ".join(parts), (
        ": an overflow in exp, a log of 0 or a division by 0 on the way. Scale the inputs, "
        "initialise the weights small and compute sigmoid and softmax stably."))


def _sum_axis(c: Comparison) -> Diagnosis | None:
    """A bias gradient with every entry equal to the total of the true one."""
    a, shape = c.analytic, c.shape
    if c.total is None or a.size < 2 or not is_bias(c.name, shape):
        return None
    value = float(a.reshape(-1)[0])
    if not np.all(a == value) or np.all(_agree(c.n, np.full_like(c.n, c.n[0]), c.slack(2))):
        return None
    if not _agree(np.array(value), np.array(c.total), c.floor):
        return None
    return Diagnosis(SUM_AXIS, c.name, (
        f"every entry of {c.grad_name} is {_fmt(value)}: the total of the correct "
        f"{c.grad_name} over all its entries"), _sum_axis_why(c))


def _scale_why(c: float, m: int | None) -> str:
    def near(x: float) -> bool:
        return abs(c - x) <= 1e-3 * abs(x)

    if m and m > 1 and near(m):
        return (f": exactly m = {m}, the number of examples, so a 1/m is missing. The cost is "
                f"a mean over the examples, so every gradient carries a 1/m (put it once into "
                f"dZ of the output layer, or into each dW and db).")
    if m and m > 1 and near(1 / m):
        return (f": exactly 1/m with m = {m}, so the 1/m is applied twice (once in dZ and "
                f"again in dW or db); keep only one.")
    if near(2):
        return (". A factor of 2 usually means the ½ of a squared error: the gradient was "
                "derived for a cost without the ½ while the cost has it. Compare the "
                "gradient's formula with the cost's.")
    if near(0.5):
        return (": half the slope. Either the cost has no ½ while the gradient was derived "
                "for a cost with the ½ of a squared error, or the gradient comes from a "
                "hand-written numerical gradient that shallow-copied its parameters "
                "(dict.copy() shares the arrays): θ+ε was still in place when it computed θ−ε "
                "from it, so it took (J(θ+ε) − J(θ))/2ε. Against a correct gradient its "
                "relative difference is 1/3, the classic 'difference = 0.3333'. Look at how "
                "it copies the parameters and whether it puts θ back after each entry.")
    whole = round(c) if c >= 1 else round(1 / c)
    if whole >= 3 and near(whole if c >= 1 else 1 / whole):
        if c >= 1:
            return (f", a whole number: if the batch has {whole} examples, a 1/m is missing "
                    f"(the cost is a mean, so every gradient carries a 1/m).")
        return (f", 1/{whole}: if the batch has {whole} examples, the 1/m is applied twice "
                f"(once in dZ and again in dW or db).")
    return (": a constant factor, such as a learning rate, keep_prob or 1/m applied to the "
            "gradient (or missing from it). Look for the line that multiplies or divides it "
            "by a constant.")


def _transpose(c: Comparison) -> Diagnosis | None:
    a, shape = c.analytic, c.shape
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2 or a.shape != shape:
        return None
    if not np.all(_agree(a.T.reshape(-1)[c.index], c.n, c.slack())):
        return None
    return Diagnosis(TRANSPOSE, c.name, (
        f"{c.grad_name} equals the transpose of the true gradient; {c.name} is square "
        f"{shape}, so the shapes could not reveal it"), (
        ": the product that forms it has its two factors in the wrong order. Look at the "
        "line that computes it."))


def _mask(c: Comparison) -> Diagnosis | None:
    a, n, floor = cast(np.ndarray, c.a), c.n, c.floor
    a_zero, n_zero = np.abs(a) <= floor, np.abs(n) <= c.slack()
    agree = _agree(a, n, c.slack())
    zero_a = ~agree & a_zero & ~n_zero
    zero_n = ~agree & n_zero & ~a_zero
    if not np.all(agree | zero_a | zero_n) or not (zero_a.any() or zero_n.any()):
        return None
    parts = []
    if zero_a.any():
        parts.append(f"zero on {int(zero_a.sum())} entries where the true gradient is not")
    if zero_n.any():
        parts.append(f"non-zero on {int(zero_n.sum())} where the true gradient is zero")
    agreed = int(np.sum(agree & ~a_zero))
    head = (f"{c.grad_name} is {' and '.join(parts)}" +
            (f"; it agrees on the other {agreed} non-zero entries" if agreed else ""))
    return Diagnosis(MASK, c.name, head, (
        ": an activation-derivative mask taken from the wrong array, such as relu(dA), which "
        "zeros entries by the sign of the gradient instead of by the sign of the "
        "pre-activation. Look at the line that applies the activation's derivative."))


def _mismatch(c: Comparison) -> Diagnosis:
    a, n = cast(np.ndarray, c.a), c.n
    worst = int(np.argmax(np.abs(a - n)))
    where = [int(i) for i in np.unravel_index(c.index[worst], c.shape)]
    rel = relative_error(a, n)
    head = (f"{c.grad_name} is wrong (relative error {rel:.2g}; worst at {where}: analytic "
            f"{_fmt(a[worst])} vs numeric {_fmt(n[worst])})")
    if rel < 1e-4:
        return Diagnosis(MISMATCH, c.name, head, (
            ", but only slightly, as from float32 arithmetic somewhere in the cost or the "
            "gradients (check the dtype of X and of every cache) or a non-smooth point of the "
            "cost."))
    return Diagnosis(MISMATCH, c.name, head, (
        " with no simple pattern (not a constant factor, a sign, a transpose or a mask): a "
        "wrong formula in its backward step." + (" See where below." if c.localised else "")))


# ---- findings about the check as a whole --------------------------------------------------


def mutation_diagnosis(name: str, caller: str, before: np.ndarray, after: np.ndarray | None,
                       array: str | None = None) -> Diagnosis:
    """``caller`` changed the parameter array ``name`` from ``before`` to ``after``; array:
    how to call that array in the message (default params['name'])."""
    head = f"{caller} changed {array or f'params[{name!r}]'} in place"
    keep = f". Leave the {'arrays' if array else 'params'} you are given as they are."
    if after is None:
        return Diagnosis(MUTATION, name, head + " (it removed it or replaced it)", keep)
    if after.shape != before.shape:
        return Diagnosis(MUTATION, name, head + f" (it now has shape {after.shape})", keep)
    change = np.abs(after - before)
    change[np.isnan(change)] = np.inf
    where = np.unravel_index(int(np.argmax(change)), change.shape)
    largest = float(change[where])
    head += (f" (largest change {largest:.3g}, at {[int(i) for i in where]}; "
             f"{int(np.sum(change > 0))} entries changed)")
    if largest <= 8 * np.finfo(np.float64).eps * max(abs(float(before[where])), 1e-300):
        return Diagnosis(MUTATION, name, head, (
            ": values perturbed and put back, not quite exactly, which is what a numerical "
            "gradient does when it adds ±ε to the caller's arrays, e.g. through a shallow "
            "copy (dict.copy() and list(params) share the arrays). Copy every array before "
            "perturbing it."))
    return Diagnosis(MUTATION, name, head, (
        ": an update (W -= α·dW) inside backprop, or an in-place operation (+=, x[...] =, a "
        "ReLU derivative that overwrites its input) on an array that is a parameter. Compute "
        "new arrays instead; verigrad gave every later call an untouched copy."))


def nondeterministic_diagnosis(what: str, first: float, second: float, frozen: bool,
                               model: bool = False) -> Diagnosis:
    """``what`` gave ``first`` and then ``second`` for the same parameters."""
    head = f"{what} gave {first:.12g} and then {second:.12g} for the same parameters"
    if model:
        return Diagnosis(NONDETERMINISTIC, None, head, (
            " although dropout was frozen: a custom layer draws random numbers that do not "
            "come from the generator its set_rng method receives. Draw them from that "
            "generator (keep it in set_rng) so that a check can repeat them; no gradient "
            "could be checked."))
    why = (": something random is on during the check, such as dropout (keep_prob < 1) or "
           "sampling. A gradient check needs the same function in every evaluation: switch "
           "dropout off for the check (keep_prob = 1) or draw the mask once and reuse it.")
    if frozen:
        return Diagnosis(NONDETERMINISTIC, None, head, why + (
            " Re-seeding np.random before every call made the calls repeatable, so the "
            "comparison below uses the same random numbers (the same mask) in every "
            "evaluation."))
    return Diagnosis(NONDETERMINISTIC, None, head, why + (
        " Re-seeding np.random did not make it repeatable (a numpy.random.Generator or "
        "another source?), so no gradient could be checked."))


def nan_cost_diagnosis(value: float, floating_errors: Iterable[str],
                       params: Mapping[str, np.ndarray]) -> Diagnosis:
    """The cost is ``value`` (NaN or inf); ``floating_errors`` are NumPy's reports."""
    head = f"the cost is {value} at the parameters given"
    if floating_errors:
        head += f" (NumPy reported: {', '.join(sorted(floating_errors))})"
    unit = [name for name, p in params.items() if p.ndim == 2 and looks_like_rand(p)]
    if unit:
        why = (f". Every entry of {', '.join(unit)} lies in [0, 1): weights drawn with "
               f"np.random.rand are all positive, so each pre-activation adds up n_prev "
               f"positive terms and grows with the inputs until exp overflows or a sigmoid "
               f"saturates to exactly 0 or 1 (and log gives -inf). Initialise with "
               f"np.random.randn(n, n_prev) * 0.01 (or * np.sqrt(2 / n_prev) for ReLU) and "
               f"scale the inputs (pixels / 255).")
    else:
        why = (". Usual causes: exp of a large pre-activation (scale the inputs, initialise "
               "the weights small, subtract the column max before a softmax's exp) or log of "
               "a prediction that is exactly 0 or 1.")
    return Diagnosis(NAN, None, head, why + " No gradient can be checked until the cost is "
                                            "finite.")
