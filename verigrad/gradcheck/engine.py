"""The gradient check's loop: modes, the noise floor of central differences, and the
comparison of each parameter's analytic gradient with its numeric one.

Modes: ``full`` compares every entry (2 cost evaluations per entry); ``sample`` compares
``samples`` entries per array (half at random, half where |a| is largest); ``fast`` compares
one random directional derivative per array, (J(θ + εd) − J(θ − εd)) / 2ε against a·d for
d ~ N(0, 1) (2 cost evaluations per array), and samples entries only in arrays that fail, to
name the bug. The default is ``full`` up to FULL_CHECK_LIMIT parameters and ``fast`` above.

A problem (``problems``) supplies the cost, the analytic gradients and the numeric
differences; ``run`` turns them into a ``GradcheckReport``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..validation import check_positive_int
from .findings import (
    MISMATCH,
    MISSING_GRADIENT,
    Comparison,
    Diagnosis,
    diagnose,
    diagnose_shape,
    explain,
    is_bias,
    relative_error,
)
from .report import GradcheckReport, ParamCheck, localise

if TYPE_CHECKING:
    from .problems import Problem

#: the default mode is "full" up to this many parameters, "fast" above
FULL_CHECK_LIMIT = 20_000
MODES = ("full", "sample", "fast")

_U = np.finfo(np.float64).eps
# A cost of size |J| is computed with a rounding error of a few u·|J|; divided by the step
# 2ε it gives the numeric gradient's noise. Differences below this many times u·|J|/ε are
# rounding, not mistakes (measured: at most about 1·u·|J|/ε on MNIST networks).
_NOISE = 20
# Directions redrawn when a directional step crosses a ReLU kink.
_DIRECTION_TRIES = 3
# The second, smaller step that tests whether a central difference can be trusted: its
# rounding noise is _FINER times that of the step eps, its truncation error smaller.
_FINER = 10
# Where the step eps is noise, the central difference with the step eps·10**_COARSE
# (1e-2 for eps = 1e-6) judges the entry, its error bounded by its neighbours a step of
# ten finer and coarser (1e-3 and 1e-1).
_COARSE = 4
# A coarse estimate judges an entry only where the analytic value is this many times its
# error away from it: it then shows a pattern whose size dwarfs the estimate's error. An
# entry that agrees within a few times its measured error is not a mistake (_SLACK).
_FAR = 100
_SLACK = 10
# and only for a relative difference of a formula's size (above _PATTERN_SIZE), with an
# estimate of relative error below _PRECISION (the findings give a factor as precisely)
_PATTERN_SIZE = 1e-3
_PRECISION = 1e-2


def noise_floor(cost: float, eps: float, precision: np.dtype | type = np.float64) -> float:
    """The rounding noise of a central difference with step ``eps`` of a cost of size
    |cost| computed in ``precision``: a difference between analytic and numeric gradients
    below it is not an error (the problems use it too, to tell a kink from noise)."""
    return _NOISE * float(np.finfo(precision).eps) * abs(cost) / eps


def judged_settings(precision: np.dtype | type, eps: float, tol: float) -> tuple[float, float]:
    """(eps, tol) for code that computes in ``precision``. float64 keeps the caller's. A
    lower precision (float32: unit roundoff u = 1.2e-7) rounds the cost to u·|J|, so a
    step of 1e-6 measures only rounding: the step becomes at least u^(1/3) (float32:
    4.9e-3, where truncation and rounding errors balance) and the tolerance at least
    1e4·u (float32: 1.2e-3; at most 0.05), far below what a wrong formula gives (1e-2 and
    more) and far above what float32 rounding of a right one gives (1e-6 to 1e-4)."""
    if np.dtype(precision) == np.float64:
        return eps, tol
    u = float(np.finfo(precision).eps)
    return max(eps, u ** (1 / 3)), max(tol, min(1e4 * u, 0.05))


def check_settings(mode: str | None, eps: float, tol: float, samples: int) -> None:
    """Raise a ValueError naming the argument unless the check's settings are valid."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} or None (pick by size), got {mode!r}")
    for name, value in (("eps", eps), ("tol", tol)):
        if not (isinstance(value, (int, float, np.floating)) and 0 < value < 1):
            raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    check_positive_int(samples, "samples")


# ---- the check itself, the same for models and functions ---------------------------------


def run(problem: Problem, mode: str | None, eps: float, tol: float, samples: int,
        seed: int | None) -> GradcheckReport:
    precision = np.dtype(getattr(problem, "precision", np.float64))
    eps, tol = judged_settings(precision, eps, tol)
    remarks = tuple(getattr(problem, "remarks", ()))
    n_total = sum(int(np.prod(problem.shapes[name])) for name in problem.names)
    mode = mode or ("full" if n_total <= FULL_CHECK_LIMIT else "fast")
    diagnoses = list(problem.diagnoses)
    rows: list[ParamCheck] = []
    if problem.blocked:
        for name in problem.names:
            rows.append(ParamCheck(name, problem.shapes[name], float("nan"), False,
                                   note="not checked"))
        return GradcheckReport(rows, explain(diagnoses), mode, eps, tol, problem.cost,
                               objective=problem.objective, remarks=remarks,
                               precision=precision.name)
    rng = np.random.default_rng(seed)
    floor = noise_floor(problem.cost, eps, precision)
    # a gradient backward did not return is its finding already: the comparison of the
    # zeros put in its place would only repeat it
    missing = {d.param for d in diagnoses if d.kind == MISSING_GRADIENT}
    for name in problem.names:
        row, diagnosis = _check_param(problem, name, mode, eps, tol, samples, rng, floor)
        if name in missing:
            row, diagnosis = replace(row, ok=False, note="not returned"), None
        rows.append(row)
        if diagnosis:
            diagnoses.append(diagnosis)
    first, location = localise(problem, rows)
    return GradcheckReport(rows, explain(diagnoses), mode, eps, tol, problem.cost, first,
                           location, objective=problem.objective, remarks=remarks,
                           precision=precision.name)


def _check_param(problem: Problem, name: str, mode: str, eps: float, tol: float, samples: int,
                 rng: np.random.Generator, floor: float
                 ) -> tuple[ParamCheck, Diagnosis | None]:
    shape, a_full = problem.shapes[name], problem.analytic[name]
    size = int(np.prod(shape))
    right_shape = a_full.shape == shape
    directional = None
    if mode == "fast" and right_shape:
        directional = _directional(problem, name, eps, tol, rng, floor)
        if directional is not None and directional[1]:
            return ParamCheck(name, shape, directional[0], True, checked="direction"), None
    if mode == "full":
        index = np.arange(size)
    else:
        index = _pick(a_full if right_shape else None, size, samples, rng)
    numeric, kinks = problem.entries(name, index, eps)
    keep = ~kinks
    n, index_kept = numeric[keep], index[keep]
    total = _numeric_total(problem, name, a_full, numeric, mode, eps)
    a = a_full.reshape(-1)[index_kept] if right_shape else None
    comparison = Comparison(name, tuple(shape), problem.grad_names[name], a_full, index_kept, a,
                            n, floor, total, problem.m, problem.zero_reason(name),
                            problem.columns, problem.layer_key(name) is not None)
    checked = "direction" if directional else int(keep.sum())
    if not right_shape:
        return (ParamCheck(name, shape, float("nan"), False, checked=checked,
                           kinks=int(kinks.sum()), note="wrong shape"),
                diagnose_shape(comparison))
    a = cast(np.ndarray, a)  # right-shaped from here on
    finite = bool(np.isfinite(a).all() and np.isfinite(n).all())
    ok = finite and _agree(a, n, tol, floor)
    noise: Any  # each entry's noise, then the largest
    unjudged, noise, coarse = np.zeros(len(n), bool), 0.0, (0, 0.0)
    if finite and not ok:
        shaky, noise, error = _unreliable(problem, name, index_kept, n, eps, tol, floor)
        noise = float(noise[shaky].max()) if shaky.any() else 0.0
        unjudged = shaky.copy()
        if shaky.any():
            # the cost loses precision near this parameter: a central difference may also
            # be flat where a term of the cost cannot change at the step eps (1 − A moving
            # by less than its last digit), and the estimates at eps/10, eps and 10·eps then
            # agree on a wrong value. Every entry that disagrees is tried at coarse steps too.
            agreeing = ((np.abs(a - n) <= np.fmax(floor, tol * (np.abs(a) + np.abs(n))))
                        | (np.abs(a - n) <= floor + _SLACK * error))
            suspect = shaky | ~agreeing
            estimate, bound = _coarser(problem, name, index_kept[suspect], eps)
            # a steady entry that the coarse step confirms keeps its finer estimate
            confirmed = ~shaky[suspect] & (np.abs(n[suspect] - estimate)
                                           <= floor + _SLACK * bound)
            suspect[np.flatnonzero(suspect)[confirmed]] = False
            estimate, bound = estimate[~confirmed], bound[~confirmed]
            gap = np.abs(a[suspect] - estimate)
            decisive = ((gap > floor + _FAR * bound)
                        & (gap > _PATTERN_SIZE * (np.abs(a[suspect]) + np.abs(estimate)))
                        & (bound <= _PRECISION * np.abs(estimate)))
            rescued = np.flatnonzero(suspect)[decisive]
            n, error = n.copy(), error.copy()
            n[rescued], error[rescued] = estimate[decisive], bound[decisive]
            unjudged = suspect.copy()
            unjudged[rescued] = False
            if decisive.any():
                coarse = (int(decisive.sum()), eps * float(_FINER) ** _COARSE)
        if unjudged.all():
            return (ParamCheck(name, shape, float("nan"), False, checked=0,
                               kinks=int(kinks.sum()), note="unreliable",
                               unreliable=int(unjudged.sum()), noise=noise), None)
        a, n, index_kept = a[~unjudged], n[~unjudged], index_kept[~unjudged]
        error = error[~unjudged]
        comparison = replace(comparison, a=a, n=n, index=index_kept, error=error)
        ok = _agree(a, n, tol, floor) or bool(np.all(np.abs(a - n) <= floor + _SLACK * error))
        if not directional:
            checked = len(n)
    rel = relative_error(a, n)
    note = "" if not ok or rel <= tol else "below rounding noise"
    if directional:
        rel, ok, note = directional[0], False, f"{a.size} entries sampled"
    worst: dict[str, Any] = dict(worst_index=None)
    if a.size:
        w = int(np.nanargmax(np.where(np.isnan(a - n), np.inf, np.abs(a - n))))
        worst = dict(worst_index=tuple(int(i) for i in np.unravel_index(index_kept[w], shape)),
                     analytic=float(a[w]), numeric=float(n[w]))
    row = ParamCheck(name, shape, rel, ok, checked=checked, kinks=int(kinks.sum()), note=note,
                     unreliable=int(unjudged.sum()), noise=noise, coarse=coarse[0],
                     coarse_step=coarse[1], **worst)
    if ok:
        return row, None
    diagnosis = diagnose(comparison)
    if diagnosis is None:
        diagnosis = Diagnosis(MISMATCH, name, (
            f"{problem.grad_names[name]} fails the directional check (relative error "
            f"{rel:.2g}) although the {a.size} entries sampled agree"),
            ": only a few entries are wrong. Run mode='full' to find them.")
    return row, diagnosis


def _agree(a: np.ndarray, n: np.ndarray, tol: float, floor: float) -> bool:
    """The analytic gradient matches: relative error within tol, or every difference below
    the numeric gradient's rounding noise."""
    return bool(relative_error(a, n) <= tol or np.all(np.abs(a - n) <= floor))


def _unreliable(problem: Problem, name: str, index: np.ndarray, numeric: np.ndarray, eps: float,
                tol: float, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask, noise, error): the entries whose central difference cannot be trusted, the
    noise of each entry's central difference, and a bound on its error.

    A second estimate with the step eps/_FINER has _FINER times the rounding noise and less
    truncation error, so the two differ by about _FINER times the noise of the first. Where
    that noise exceeds both float64's rounding floor and what the tolerance allows, the cost
    itself loses precision there (log(1 − A) with A within 1e-12 of 1, say) and the entry
    says nothing about the gradient at this step. Two noisy estimates can agree by chance,
    so the error bound also takes the distance to a third estimate, with the step
    eps·_FINER (less noise, more truncation: an overestimate where the cost is smooth)."""
    finer, _ = problem.entries(name, index, eps / _FINER)
    coarser, _ = problem.entries(name, index, eps * _FINER)
    noise = np.abs(finer - numeric) / _FINER
    noise[~np.isfinite(noise)] = np.inf
    shaky = (noise > floor) & (noise > tol * np.abs(numeric))
    error = np.fmax(noise, np.abs(coarser - numeric))
    error[~np.isfinite(error)] = np.inf
    return shaky, noise, error


def _coarser(problem: Problem, name: str, index: np.ndarray,
             eps: float) -> tuple[np.ndarray, np.ndarray]:
    """(estimate, error) for entries whose step eps cannot be trusted: the central
    difference with the step h = eps·_FINER**_COARSE, and as its error its largest distance
    to those with the steps h/_FINER and h·_FINER (inf where any crossed a kink or is not
    finite).

    Rounding noise falls as 1/step and truncation error grows as step², so the finer
    neighbour bounds h's noise and the coarser one its truncation error; two estimates can
    agree by chance, three seldom do. Steps finer still cannot bound anything here: where a
    term of the cost cannot change at them (1 − A moving by less than its last digit),
    their estimates agree with each other on a wrong value."""
    estimates = []
    for power in (_COARSE - 1, _COARSE, _COARSE + 1):
        numeric, kinks = problem.entries(name, index, eps * float(_FINER) ** power)
        estimates.append(np.where(kinks | ~np.isfinite(numeric), np.nan, numeric))
    finer, estimate, coarser = estimates
    error = np.fmax(np.abs(estimate - finer), np.abs(estimate - coarser))
    error[np.isnan(finer) | np.isnan(estimate) | np.isnan(coarser)] = np.inf
    return estimate, error


def _pick(a: np.ndarray | None, size: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k flat indices: half where |a| is largest (a wrong formula shows most there), half at
    random (where a mask or a missing term may hide)."""
    if size <= k:
        return np.arange(size)
    chosen: set[int] = set()
    if a is not None:
        chosen.update(np.argsort(-np.abs(a.reshape(-1)), kind="stable")[:k // 2].tolist())
    rest = np.setdiff1d(np.arange(size), np.fromiter(chosen, int, len(chosen)))
    chosen.update(rng.choice(rest, k - len(chosen), replace=False).tolist())
    return np.array(sorted(chosen))


def _directional(problem: Problem, name: str, eps: float, tol: float, rng: np.random.Generator,
                 floor: float) -> tuple[float, bool] | None:
    """(rel_error, ok) of one random directional derivative, or None if every direction
    tried crossed a kink."""
    a = problem.analytic[name]
    for _ in range(_DIRECTION_TRIES):
        d = rng.standard_normal(a.shape)
        difference, step, kink = problem.direction(name, d, eps)
        if kink:
            continue
        numeric = difference / (2 * eps)
        analytic = float(np.vdot(a, step)) / (2 * eps)
        if not (np.isfinite(numeric) and np.isfinite(analytic)):
            return float("nan"), False
        rel = relative_error(np.array(analytic), np.array(numeric))
        return rel, rel <= tol or abs(analytic - numeric) <= floor
    return None


def _numeric_total(problem: Problem, name: str, a: np.ndarray, numeric: np.ndarray, mode: str,
                   eps: float) -> float | None:
    """Σ of the true gradient over every entry, needed only to recognise a bias gradient
    summed over every axis: from the full numeric gradient, or the slope along all-ones."""
    shape = problem.shapes[name]
    size = int(np.prod(shape))
    constant = a.size == 1 or (a.size > 1 and np.all(a == a.reshape(-1)[0]))
    if size < 2 or not constant or not is_bias(name, shape):
        return None
    if mode == "full":
        return float(np.sum(numeric))
    difference, step, _ = problem.direction(name, np.ones(shape), eps)
    return difference / float(np.mean(step))
