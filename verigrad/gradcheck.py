"""Gradient checking, and a backprop debugger that names the bug.

    report = vg.gradcheck(model, X, Y)                # any Sequential, custom layers included
    report = vg.check_backprop(cost, grads, params)   # your own functions
    print(report)          # parameter, shape, relative error, worst entry, verdict
    report.ok              # True when every gradient is right
    report.params          # one ParamCheck per parameter, in layer order
    report.findings        # Finding(kind, param, message): what is wrong and how to fix it

The numeric gradient of each entry θ is the central difference

    n = (J(θ + ε) − J(θ − ε)) / 2ε

and each parameter is judged by the course's relative error ‖a − n‖ / (‖a‖ + ‖n‖) between
the analytic gradient a (backprop) and n. The check always computes in float64.

Modes: ``full`` compares every entry (2 cost evaluations per entry); ``sample`` compares
``samples`` entries per array (half at random, half where |a| is largest); ``fast`` compares
one random directional derivative per array, (J(θ + εd) − J(θ − εd)) / 2ε against a·d for
d ~ N(0, 1) (2 cost evaluations per array), and samples entries only in arrays that fail, to
name the bug. The default is ``full`` up to FULL_CHECK_LIMIT parameters and ``fast`` above.
"""
import re
import textwrap
import warnings
from collections.abc import Mapping

import numpy as np

from .findings import (MISMATCH, MUTATION, PATTERN_RTOL, Comparison, Diagnosis, diagnose,
                       diagnose_shape, explain, is_bias, mutation_diagnosis, nan_cost_diagnosis,
                       nondeterministic_diagnosis, relative_error)
from .layers import Dense, Dropout, Layer, LeakyReLU, ReLU
from .model import Sequential
from .validation import check_positive_int

#: the default mode is "full" up to this many parameters, "fast" above
FULL_CHECK_LIMIT = 20_000
MODES = ("full", "sample", "fast")

_U = np.finfo(np.float64).eps
# A cost of size |J| is computed with a rounding error of a few u·|J|; divided by the step
# 2ε it gives the numeric gradient's noise. Differences below this many times u·|J|/ε are
# rounding, not mistakes (measured: at most about 1·u·|J|/ε on MNIST networks).
_NOISE = 20
# Seed for re-seeding np.random before each call of a learner's random cost (dropout on).
_FREEZE_SEED = 1234
# Directions redrawn when a directional step crosses a ReLU kink.
_DIRECTION_TRIES = 3


class ParamCheck:
    """The check of one parameter.

    name, shape; rel_error: ‖a − n‖ / (‖a‖ + ‖n‖) over the entries compared (in fast mode,
    of the directional derivative); ok; worst_index, analytic, numeric: the entry with the
    largest |a − n| and its two values (None when no entry was compared); checked: how many
    entries were compared ("direction" in fast mode); kinks: entries left out because their
    step crossed a ReLU kink; note: why the verdict is what it is, when that needs saying.
    """

    def __init__(self, name, shape, rel_error, ok, worst_index=None, analytic=None,
                 numeric=None, checked=0, kinks=0, note=""):
        self.name, self.shape, self.rel_error, self.ok = name, tuple(shape), rel_error, ok
        self.worst_index, self.analytic, self.numeric = worst_index, analytic, numeric
        self.checked, self.kinks, self.note = checked, kinks, note

    def __repr__(self):
        return (f"ParamCheck({self.name!r}, shape={self.shape}, rel_error={self.rel_error:.3g}, "
                f"ok={self.ok}, worst_index={self.worst_index})")


class GradcheckReport:
    """What a gradient check found. ``print(report)`` shows it as a table.

    ok: every parameter right and nothing found. params: ParamCheck per parameter, in layer
    order (``report["W1"]`` picks one). findings: the Finding list. first_wrong_layer and
    location: going backward from the output, the first layer with a wrong gradient, and a
    sentence pointing at the backward step to look at (None when all are right). mode, eps,
    tol, cost: how it was checked and the cost J at the point checked. kinks: how many
    entries were left out at a kink.
    """

    def __init__(self, params, findings, mode, eps, tol, cost, first_wrong_layer=None,
                 location=None):
        self.params, self.findings = params, findings
        self.mode, self.eps, self.tol, self.cost = mode, eps, tol, cost
        self.first_wrong_layer, self.location = first_wrong_layer, location

    @property
    def ok(self):
        return not self.findings and all(p.ok for p in self.params)

    @property
    def kinks(self):
        return sum(p.kinks for p in self.params)

    def __getitem__(self, name):
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"no parameter {name!r}; checked: {[p.name for p in self.params]}")

    def __repr__(self):
        return (f"GradcheckReport(ok={self.ok}, mode={self.mode!r}, "
                f"findings={[(f.kind, f.param) for f in self.findings]})")

    def __str__(self):
        described = {"full": "every entry", "sample": "sampled entries",
                     "fast": "one random direction per array"}[self.mode]
        lines = [f"Gradient check, mode {self.mode} ({described}), eps={self.eps:g}, "
                 f"tol={self.tol:g}, cost J = {self.cost:.6g}"]
        rows = [("parameter", "shape", "checked", "rel. error", "worst entry",
                 "analytic", "numeric", "verdict")]
        for p in self.params:
            worst = ("-" if p.worst_index is None else
                     "[" + ", ".join(map(str, p.worst_index)) + "]")
            rows.append((p.name, str(p.shape), str(p.checked),
                         "-" if np.isnan(p.rel_error) else f"{p.rel_error:.1e}", worst,
                         "-" if p.analytic is None else f"{p.analytic:.6g}",
                         "-" if p.numeric is None else f"{p.numeric:.6g}",
                         _verdict(p, self.findings)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        right = {2, 3, 5, 6}
        for r in rows:
            lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if self.findings:
            lines.append("")
            lines.append("Findings:")
            for f in self.findings:
                lines.append(textwrap.fill(str(f), 100, initial_indent="- ",
                                           subsequent_indent="  "))
        if self.location:
            lines.append("")
            lines.append(textwrap.fill("Where: " + self.location, 100, subsequent_indent="  "))
        if self.kinks:
            lines.append("")
            lines.append(textwrap.fill(
                f"{self.kinks} entries sit at a kink: their ±eps step crosses a point where the "
                f"slope jumps (a ReLU's 0), so the central difference averages two slopes; they "
                f"are left out of the verdict.", 100))
        lines.append("")
        lines.append("Result: " + self._result())
        return "\n".join(lines)

    def _result(self):
        if self.ok:
            return "OK, every gradient matches."
        findings = f"{len(self.findings)} finding{'s' if len(self.findings) != 1 else ''}"
        if all(p.note == "not checked" for p in self.params):
            return f"NOT CHECKED, see the {findings} above."
        wrong = sum(not p.ok for p in self.params)
        if not wrong:
            return f"NOT OK: every gradient matches, but see the {findings} above."
        return f"WRONG, {wrong} of {len(self.params)} gradients wrong ({findings})."


def _verdict(p, findings):
    kinds = [f.kind for f in findings if f.param == p.name]
    if p.note == "not checked":
        return p.note
    if p.ok:
        verdict = "ok"
        if p.note:
            verdict += f" ({p.note})"
    else:
        verdict = "WRONG" + (": " + ", ".join(kinds) if kinds else "")
        if p.note and not (p.note == "wrong shape" and "shape" in kinds):
            verdict += f" ({p.note})"
    if p.kinks:
        verdict += f", {p.kinks} at a kink"
    return verdict


# ---- public entry points ------------------------------------------------------------------


def check_backprop(cost, grads, params, *, order=None, mode=None, eps=1e-6, tol=1e-7,
                   samples=10, seed=0):
    """Check hand-written gradients against central differences of a hand-written cost.

    cost(params) -> float: the cost J at ``params``.
    grads(params) -> the gradient of J: a dict keyed like ``params`` (``W1``) or with a ``d``
        in front (``dW1``), other keys ignored; or a tuple/list, with ``order`` naming the
        parameter of each element (``order=["W1", "b1", "W2", "b2"]``).
    params: dict of NumPy arrays, name -> array. The check works on a deep float64 copy and
        never changes these arrays (float32 input is promoted, with a warning).

    eps: the step of the central difference. Its error has two parts: truncation, about
        ε²·J‴/6 relative, and rounding, about u·|J|/ε (u = 2.2e-16). ε = 1e-6 balances them
        for float64 costs of order 1 (1e-7, the course's value, is ten times noisier).
    tol: the largest relative error ‖a − n‖/(‖a‖ + ‖n‖) a correct gradient may show; with
        eps=1e-6 correct gradients give 1e-11 to 1e-8, wrong ones 1e-3 and more. A gradient
        whose differences are all below the rounding noise of the numeric one
        (20·u·|J|/ε) is also accepted, so that tiny gradients do not raise false alarms.
    mode: "full", "sample" or "fast" (see the module docstring); None picks by size.
    samples: entries compared per array in sample mode and in arrays that fail in fast mode.
    seed: the random entries and directions.

    Entries at a kink of the cost (where the step crosses a point at which the slope jumps,
    such as a ReLU's 0) are recognised by their one-sided slopes, one of which matches the
    analytic value, and are left out of the verdict. A cost that changes between two calls
    at the same point (dropout left on) is reported, and np.random is re-seeded before every
    call so that the check can go on; np.random's state is restored afterwards.
    """
    _check_settings(mode, eps, tol, samples)
    saved = np.random.get_state()
    try:
        problem = _FunctionProblem(cost, grads, params, order)
        return _run(problem, mode, eps, tol, samples, seed)
    finally:
        np.random.set_state(saved)


def gradcheck(model, X, Y, *, mode=None, eps=1e-6, tol=1e-7, samples=10, seed=0):
    """Check the backprop of a ``Sequential`` (custom ``Layer`` subclasses included).

    The check runs on a float64 copy of the model (the model itself is not changed) with the
    cost of a training step: dropout on, with one mask drawn once and then frozen, so that
    every evaluation sees the same function; layers that draw random numbers through
    ``set_rng`` get the same numbers in every evaluation. Entries whose ±eps step moves a
    ReLU or LeakyReLU pre-activation across 0 are reported as at a kink, not as errors.
    The findings name the layer whose backward is wrong. eps, tol, mode, samples, seed: as
    in ``check_backprop``. float32 X or Y is promoted to float64 with a warning.
    """
    _check_settings(mode, eps, tol, samples)
    return _run(_ModelProblem(model, X, Y, seed), mode, eps, tol, samples, seed)


def _check_settings(mode, eps, tol, samples):
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} or None (pick by size), got {mode!r}")
    for name, value in (("eps", eps), ("tol", tol)):
        if not (isinstance(value, (int, float, np.floating)) and 0 < value < 1):
            raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    check_positive_int(samples, "samples")


def _promote(array, name):
    """float64 copy of a float array; float32/float16 with a warning."""
    if array.dtype != np.float64:
        warnings.warn(f"{name} has dtype {array.dtype}; the gradient check promotes it to "
                      f"float64, since float32 rounding (about 1e-7) would swamp its "
                      f"tolerance", stacklevel=4)
    return np.array(array, dtype=np.float64)


# ---- the check itself, the same for models and functions ---------------------------------


def _run(problem, mode, eps, tol, samples, seed):
    n_total = sum(int(np.prod(problem.shapes[name])) for name in problem.names)
    mode = mode or ("full" if n_total <= FULL_CHECK_LIMIT else "fast")
    diagnoses = list(problem.diagnoses)
    rows = []
    if problem.blocked:
        for name in problem.names:
            rows.append(ParamCheck(name, problem.shapes[name], float("nan"), False,
                                   note="not checked"))
        return GradcheckReport(rows, explain(diagnoses), mode, eps, tol, problem.cost)
    rng = np.random.default_rng(seed)
    floor = _NOISE * _U * abs(problem.cost) / eps
    for name in problem.names:
        row, diagnosis = _check_param(problem, name, mode, eps, tol, samples, rng, floor)
        rows.append(row)
        if diagnosis:
            diagnoses.append(diagnosis)
    first, location = _localise(problem, rows)
    return GradcheckReport(rows, explain(diagnoses), mode, eps, tol, problem.cost, first,
                           location)


def _check_param(problem, name, mode, eps, tol, samples, rng, floor):
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
    comparison = Comparison(name, shape, problem.grad_names[name], a_full, index_kept, None, n,
                            floor, total, problem.m)
    checked = "direction" if directional else int(keep.sum())
    if not right_shape:
        return (ParamCheck(name, shape, float("nan"), False, checked=checked,
                           kinks=int(kinks.sum()), note="wrong shape"),
                diagnose_shape(comparison))
    a = a_full.reshape(-1)[index_kept]
    comparison.a = a
    rel = relative_error(a, n)
    finite = bool(np.isfinite(a).all() and np.isfinite(n).all())
    ok = finite and (rel <= tol or bool(np.all(np.abs(a - n) <= floor)))
    note = "" if not ok or rel <= tol else "below rounding noise"
    if directional:
        rel, ok, note = directional[0], False, f"{a.size} entries sampled"
    worst = dict(worst_index=None)
    if a.size:
        w = int(np.nanargmax(np.where(np.isnan(a - n), np.inf, np.abs(a - n))))
        worst = dict(worst_index=tuple(int(i) for i in np.unravel_index(index_kept[w], shape)),
                     analytic=float(a[w]), numeric=float(n[w]))
    row = ParamCheck(name, shape, rel, ok, checked=checked, kinks=int(kinks.sum()), note=note,
                     **worst)
    if ok:
        return row, None
    diagnosis = diagnose(comparison)
    if diagnosis is None:
        diagnosis = Diagnosis(MISMATCH, name, (
            f"{problem.grad_names[name]} fails the directional check (relative error "
            f"{rel:.2g}) although the {a.size} entries sampled agree"),
            ": only a few entries are wrong. Run mode='full' to find them.")
    return row, diagnosis


def _pick(a, size, k, rng):
    """k flat indices: half where |a| is largest (a wrong formula shows most there), half at
    random (where a mask or a missing term may hide)."""
    if size <= k:
        return np.arange(size)
    chosen = set()
    if a is not None:
        chosen.update(np.argsort(-np.abs(a.reshape(-1)), kind="stable")[:k // 2].tolist())
    rest = np.setdiff1d(np.arange(size), np.fromiter(chosen, int, len(chosen)))
    chosen.update(rng.choice(rest, k - len(chosen), replace=False).tolist())
    return np.array(sorted(chosen))


def _directional(problem, name, eps, tol, rng, floor):
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


def _numeric_total(problem, name, a, numeric, mode, eps):
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


# ---- localisation -------------------------------------------------------------------------


def _localise(problem, rows):
    """Going backward from the output, the first layer with a wrong gradient, and where in
    backprop to look for the mistake."""
    layers = {}
    for row in rows:
        key = problem.layer_key(row.name)
        if key is None:
            return None, None
        layers.setdefault(key, []).append(row)
    wrong = sorted((k for k, group in layers.items() if not all(r.ok for r in group)),
                   reverse=True)
    if not wrong:
        return None, None
    k, top = wrong[0], max(layers)
    bad = [r.name for r in layers[k] if not r.ok]
    good = [r.name for r in layers[k] if r.ok]
    below = [j for j in layers if j < k]
    above = [problem.layer_label(j) for j in sorted(layers, reverse=True) if j > k]
    if above:
        start = (f"Going backward from the output, {_join(above)} "
                 f"{'is' if len(above) == 1 else 'are'} right and {problem.layer_label(k)} is "
                 f"the first with wrong gradients. ")
    else:
        start = (f"Going backward from the output, the first wrong gradients are already those "
                 f"of the output layer, {problem.layer_label(k)}. ")
    if good:
        return k, start + (f"{_join(good)} {'is' if len(good) == 1 else 'are'} right, so the "
                           f"error signal dZ of this layer is right and the mistake is in the "
                           f"formula of {_join(problem.grad_names[n] for n in bad)} alone. "
                           + problem.param_formula(k))
    if below and not any(j in wrong for j in below):
        return k, start + ("The layers below are right, so the error signal dZ of this layer "
                           "is right and the mistake is in how its parameter gradients are "
                           "formed from it. " + problem.param_formula(k))
    if k == top:
        return k, start + problem.output_step(k) + (
            " Fix it first: the layers below may only inherit the error." if below else "")
    return k, start + problem.activation_step(k)


def _join(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---- a learner's own functions ----------------------------------------------------------


class _FunctionProblem:
    """cost(params) and grads(params), evaluated on a float64 copy of params."""

    def __init__(self, cost, grads, params, order):
        if not callable(cost) or not callable(grads):
            raise TypeError("cost and grads must be functions of params: "
                            "check_backprop(cost, grads, params)")
        if not isinstance(params, Mapping) or not params:
            raise TypeError(f"params must be a non-empty dict of NumPy arrays (name -> array), "
                            f"got {type(params).__name__}")
        self.work = {}
        for key, value in params.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"params[{key!r}] must be a NumPy array, got {type(value).__name__}")
            if value.dtype.kind != "f":
                raise TypeError(f"params[{key!r}] has dtype {value.dtype}; parameters must be "
                                f"floating point: pass {key}.astype(np.float64)")
            self.work[key] = _promote(value, f"params[{key!r}]")
        self.cost_fn, self.grads_fn, self.order = cost, grads, order
        self.pristine = {k: v.copy() for k, v in self.work.items()}
        self.shapes = {k: v.shape for k, v in self.work.items()}
        self.names = _layer_order(list(self.work))
        self.m, self.diagnoses, self.blocked = None, [], False
        self.copy_for_cost, self.frozen = False, False
        self.analytic, self.grad_names = {}, {}
        self._prepare()

    # calls of the learner's functions

    def _call(self, function, copy=False):
        params = {k: v.copy() for k, v in self.work.items()} if copy else self.work
        if self.frozen:
            np.random.seed(_FREEZE_SEED)
        return function(params)

    def _cost(self):
        value = self._call(self.cost_fn, self.copy_for_cost)
        try:
            return float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise TypeError(f"cost(params) must return one number, got "
                            f"{type(value).__name__}"
                            f"{getattr(value, 'shape', '')}") from None

    def _mutations(self, caller):
        """Findings for every array ``caller`` changed; the working copy is restored."""
        found = []
        for key, before in self.pristine.items():
            after = self.work.get(key)
            if not isinstance(after, np.ndarray):
                found.append(mutation_diagnosis(key, caller, before, None))
            elif not np.array_equal(after, before, equal_nan=True):
                found.append(mutation_diagnosis(key, caller, before, after))
        self._restore()
        return found

    def _prepare(self):
        errors = set()
        with np.errstate(all="call", call=lambda kind, flag: errors.add(kind)):
            self._first_calls(errors)

    def _first_calls(self, errors):
        """Cost, mutation, determinism, gradients: everything before the numeric loop."""
        self.cost = self._cost()
        mutated = self._mutations("cost(params)")
        self.diagnoses += mutated
        self.copy_for_cost = bool(mutated)
        if not np.isfinite(self.cost):
            self.diagnoses.append(nan_cost_diagnosis(self.cost, errors, self.pristine))
            self.blocked = True
        again = self._cost()
        if _differ(self.cost, again):
            self.frozen = True
            first, second = self._cost(), self._cost()
            self.blocked = self.blocked or _differ(first, second)
            self.diagnoses.append(nondeterministic_diagnosis("cost(params)", self.cost, again,
                                                          not _differ(first, second)))
            self.cost = first
        result = self._call(self.grads_fn)
        self.diagnoses += self._mutations("grads(params)")
        self.analytic = self._parse(result)
        if not self.frozen:
            repeat = self._parse(self._call(self.grads_fn))
            self._restore()
            changed = [k for k in self.names
                       if not np.array_equal(repeat[k], self.analytic[k], equal_nan=True)]
            if changed:
                first, second = self.analytic[changed[0]], repeat[changed[0]]
                where = np.unravel_index(int(np.argmax(np.abs(first - second))), first.shape)
                self.frozen = True
                self.analytic = self._parse(self._call(self.grads_fn))
                self._restore()
                again = self._parse(self._call(self.grads_fn))
                self._restore()
                repeatable = all(np.array_equal(again[k], self.analytic[k], equal_nan=True)
                                 for k in self.names)
                self.blocked = self.blocked or not repeatable
                self.diagnoses.append(nondeterministic_diagnosis(
                    f"grads(params) ({self.grad_names[changed[0]]}{list(map(int, where))})",
                    float(first[where]), float(second[where]), repeatable))
                self.cost = self._cost()

    def _restore(self):
        self.work = {k: v.copy() for k, v in self.pristine.items()}

    def _parse(self, result):
        """The analytic gradients by parameter name, as float64 arrays of their own shape."""
        if isinstance(result, Mapping):
            found = {}
            lower = {str(k).lower(): k for k in result}
            for name in self.names:
                for key in ("d" + name, lower.get(("d" + name).lower()), name,
                            lower.get(name.lower())):
                    if key is not None and key in result:
                        found[name] = (result[key], str(key))
                        break
                else:
                    raise KeyError(f"grads(params) returned no gradient for {name!r}: expected "
                                   f"the key 'd{name}' (or '{name}'); it returned keys "
                                   f"{sorted(map(str, result))}")
        elif isinstance(result, (tuple, list)):
            if self.order is None:
                raise ValueError(f"grads(params) returned a {type(result).__name__} of "
                                 f"{len(result)} arrays: pass order=[...] naming the parameter "
                                 f"of each, e.g. order={self.names}")
            order = [o[1:] if o not in self.work and o[1:] in self.work else o
                     for o in self.order]
            unknown = [o for o in order if o not in self.work]
            if unknown or len(order) != len(result) or set(order) != set(self.names):
                raise ValueError(f"order={list(self.order)} must name each parameter "
                                 f"{self.names} once, one per element of the "
                                 f"{len(result)} gradients grads(params) returned")
            found = {name: (value, "d" + name) for name, value in zip(order, result)}
        else:
            raise TypeError(f"grads(params) must return a dict (dW1, db1, ...) or a tuple "
                            f"with order=[...], got {type(result).__name__}")
        out = {}
        for name, (value, key) in found.items():
            try:
                out[name] = np.array(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"grads(params)[{key!r}] is not an array of numbers "
                                f"({type(value).__name__})") from None
            self.grad_names[name] = key
        return out

    # numeric gradients

    def entries(self, name, index, eps):
        p = self.work[name]
        a = self.analytic[name]
        numeric = np.empty(len(index))
        kinks = np.zeros(len(index), bool)
        for i, flat in enumerate(index):
            pos = np.unravel_index(flat, p.shape)
            up, down, j_up, j_down = _both_ways(p, pos, eps, lambda step: self._cost())
            numeric[i] = (j_up - j_down) / (up + down)
            if a.shape == p.shape:
                kinks[i] = self._at_kink(a[pos], numeric[i], (j_up - self.cost) / up,
                                         (self.cost - j_down) / down, eps)
        return numeric, kinks

    def direction(self, name, d, eps):
        p = self.work[name]
        up, down, j_up, j_down = _both_ways(p, ..., eps * d, lambda step: self._cost())
        a = self.analytic[name]
        kink = False
        if a.shape == p.shape:
            analytic = float(np.vdot(a, (up + down) / 2)) / eps
            kink = self._at_kink(analytic, (j_up - j_down) / (2 * eps),
                                 (j_up - self.cost) / eps, (self.cost - j_down) / eps, eps)
        return j_up - j_down, up + down, kink

    def _at_kink(self, a, n, right, left, eps):
        """At a kink the central difference n averages two different one-sided slopes, and
        the analytic gradient takes one of them: it matches one far better than n."""
        floor = _NOISE * _U * abs(self.cost) / eps
        if abs(a - n) <= floor + PATTERN_RTOL * (abs(a) + abs(n)):
            return False
        best = min(abs(a - right), abs(a - left))
        return bool(best <= 2 * floor + 1e-3 * abs(a) and abs(right - left) > 10 * best + 2 * floor)

    # description

    def layer_key(self, name):
        match = re.search(r"(\d+)$", name)
        return int(match.group(1)) if match else None

    def layer_label(self, k):
        return f"layer {k} ({', '.join(n for n in self.names if self.layer_key(n) == k)})"

    def param_formula(self, k):
        return (f"For layer {k}: dW{k} = (1/m)·dZ{k}·{_previous(k)}ᵀ and "
                f"db{k} = (1/m)·Σ over the examples of dZ{k} (axis=1, keepdims=True).")

    def output_step(self, k):
        return (f"The mistake is at the start of backprop, in the output layer: "
                f"dZ{k} = A{k} − Y for a sigmoid or softmax output with cross-entropy (or a "
                f"linear output with squared error), then dW{k} = (1/m)·dZ{k}·{_previous(k)}ᵀ and "
                f"db{k} = (1/m)·Σ over the examples of dZ{k}.")

    def activation_step(self, k):
        return (f"So the mistake is in the backward step from layer {k + 1} into layer {k}: "
                f"dA{k} = W{k + 1}ᵀ·dZ{k + 1}, then dZ{k} = dA{k} · g′(Z{k}). Check the "
                f"derivative of layer {k}'s activation (ReLU: Z{k} > 0; sigmoid: "
                f"A{k}·(1 − A{k}); tanh: 1 − A{k}²) and the array it multiplies.")


def _previous(k):
    return "X" if k == 1 else f"A{k - 1}"


def _both_ways(p, where, change, evaluate):
    """evaluate(step) with p[where] moved up by ``change`` and then down by it (p is put
    back after). Returns the steps up and down as taken, after rounding, and both results."""
    start = np.array(p[where], copy=True)
    p[where] = start + change
    up = p[where] - start
    at_up = evaluate(up)
    p[where] = start - change
    down = start - p[where]
    at_down = evaluate(-down)
    p[where] = start
    return up, down, at_up, at_down


def _layer_order(names):
    """Parameter names in layer order: by their trailing number when all have one."""
    numbers = [re.search(r"(\d+)$", n) for n in names]
    if not all(numbers):
        return names
    return [n for _, _, n in sorted((int(m.group(1)), i, n)
                                    for i, (m, n) in enumerate(zip(numbers, names)))]


def _differ(x, y):
    """Two evaluations of the same cost differ (beyond rounding; NaN equals NaN)."""
    if np.isnan(x) and np.isnan(y) or x == y:
        return False
    return not abs(x - y) <= 4 * _U * max(abs(x), abs(y))


def _crossed(signs_up, signs_down):
    """Whether a ReLU-type pre-activation is on different sides of 0 after the two steps."""
    return not all(np.array_equal(u, d) for u, d in zip(signs_up, signs_down))


# ---- a Sequential model ------------------------------------------------------------------


class _ModelProblem:
    """A float64 copy of a Sequential with its randomness frozen, and the cost of a training
    step as a function of one parameter at a time."""

    def __init__(self, model, X, Y, seed):
        if not isinstance(model, Sequential):
            raise TypeError(f"model must be a verigrad Sequential, got {type(model).__name__}")
        model._require_loss()
        if isinstance(X, np.ndarray) and X.dtype.kind == "f":
            X = _promote(X, "X")
        if isinstance(Y, np.ndarray) and Y.dtype.kind == "f":
            Y = _promote(Y, "Y")
        work = model.astype("float64")
        work._check_data(X, Y)
        self.model, self.X, self.Y, self.m = work, X, Y, X.shape[1]
        layers = work.layers
        seeds = np.random.SeedSequence(seed).spawn(len(layers))
        # Layers that draw random numbers get a fresh generator with the same seed before
        # each evaluation, so that they draw the same numbers every time; dropout masks,
        # drawn in one training pass, are frozen instead (cheaper, same effect).
        self.reseed = [(i, layer, s) for i, (layer, s) in enumerate(zip(layers, seeds))
                       if type(layer).set_rng is not Layer.set_rng
                       and not isinstance(layer, Dropout)]
        for layer, s in zip(layers, seeds):
            layer.set_rng(np.random.default_rng(s))
        work._forward(X, True)
        for layer in layers:
            if isinstance(layer, Dropout):
                layer.freeze()

        self.plan = [(layer, isinstance(layer, (ReLU, LeakyReLU))) for layer in layers]
        self.owner = {}
        k = 0
        for i, layer in enumerate(layers):
            if layer.params:
                k += 1
                for key in layer.params:
                    self.owner[f"{key}{k}"] = (i, key, k)
        self.names = list(work.params)
        self.shapes = {n: work.params[n].shape for n in self.names}
        self.grad_names = {n: "d" + n for n in self.names}
        self.diagnoses, self.blocked = [], False

        before = {n: work.params[n].copy() for n in self.names}
        X_before = X.copy()
        self._reseed(0)
        errors = set()
        with np.errstate(all="call", call=lambda kind, flag: errors.add(kind)):
            cost, grads = work.cost_and_grads(X, Y, training=True)
        for n in self.names:
            if not np.array_equal(work.params[n], before[n], equal_nan=True):
                i = self.owner[n][0]
                self.diagnoses.append(mutation_diagnosis(
                    n, f"layer {i} ({type(layers[i]).__name__}) forward or backward",
                    before[n], work.params[n].copy()))
                work.params[n][...] = before[n]
        if not np.array_equal(X, X_before):
            self.diagnoses.append(Diagnosis(MUTATION, None, (
                "a layer's forward or backward changed the input X in place"), (
                ": compute new arrays instead of writing into the arrays a layer receives.")))
            X[...] = X_before
        self.analytic = {n: np.asarray(grads["d" + n], dtype=np.float64) for n in self.names}

        self.inputs = [X]
        A = X
        self._reseed(0)
        for layer in layers:
            A = layer.forward(A, True)
            self.inputs.append(np.array(A, copy=True))
        self.cost = self.loss_of(A)
        again = self._cost_from(0, X)[0]
        if not np.isfinite(self.cost):
            self.diagnoses.append(nan_cost_diagnosis(self.cost, errors, dict(work.params)))
            self.blocked = True
        elif _differ(self.cost, again) or _differ(self.cost, cost):
            self.diagnoses.append(nondeterministic_diagnosis("the model's cost", self.cost, again,
                                                          False, model=True))
            self.blocked = True

    def _reseed(self, start):
        for i, layer, s in self.reseed:
            if i >= start:
                layer.set_rng(np.random.default_rng(s))

    def loss_of(self, Z):
        return self.model.loss.forward(Z, self.Y) + self.model._l2_penalty(self.m)

    def _cost_from(self, start, A):
        """J when layer ``start`` receives A, and the sign pattern of every ReLU-type
        pre-activation on the way (to recognise a step that crossed a kink)."""
        if self.reseed:
            self._reseed(start)
        signs = []
        for layer, kinked in self.plan[start:]:
            if kinked:
                signs.append(A > 0)
            A = layer.forward(A, True)
        return self.loss_of(A), signs

    def _evaluate(self, i, layer, step=None, key=None, pos=None):
        """J after a parameter of layer i changed. For a Dense layer and one entry, its
        output changes in a single row by step·A_prev[j] (W[r, j]) or step (b[r]): computed
        directly, which is exact and saves the matrix product."""
        if step is not None:
            Z = self.inputs[i + 1].copy()
            Z[pos[0]] += step * self.inputs[i][pos[1]] if key == "W" else step
            return self._cost_from(i + 1, Z)
        A = self.inputs[i] if type(layer) is Dense else self.inputs[i].copy()
        return self._cost_from(i, A)

    def entries(self, name, index, eps):
        i, key, _ = self.owner[name]
        layer = self.model.layers[i]
        p = layer.params[key]
        direct = type(layer) is Dense and key in ("W", "b")
        numeric = np.empty(len(index))
        kinks = np.zeros(len(index), bool)
        for e, flat in enumerate(index):
            pos = np.unravel_index(flat, p.shape)
            up, down, (j_up, signs_up), (j_down, signs_down) = _both_ways(
                p, pos, eps,
                lambda step: self._evaluate(i, layer, step if direct else None, key, pos))
            numeric[e] = (j_up - j_down) / (up + down)
            kinks[e] = _crossed(signs_up, signs_down)
        return numeric, kinks

    def direction(self, name, d, eps):
        i, key, _ = self.owner[name]
        layer = self.model.layers[i]
        p = layer.params[key]
        up, down, (j_up, signs_up), (j_down, signs_down) = _both_ways(
            p, ..., eps * d, lambda step: self._evaluate(i, layer))
        return j_up - j_down, up + down, _crossed(signs_up, signs_down)

    # description

    def _layer_name(self, i):
        return f"layer {i} ({type(self.model.layers[i]).__name__})"

    def layer_key(self, name):
        return self.owner[name][2]

    def _index(self, k):
        return next(i for i, key, kk in self.owner.values() if kk == k)

    def layer_label(self, k):
        names = [n for n, (_, _, kk) in self.owner.items() if kk == k]
        i = self._index(k)
        return f"layer {i} ({type(self.model.layers[i]).__name__}: {', '.join(names)})"

    def param_formula(self, k):
        i = self._index(k)
        return (f"Look at the parameter gradients that "
                f"{type(self.model.layers[i]).__name__}.backward stores in self.grads.")

    def output_step(self, k):
        i = self._index(k)
        after = [self._layer_name(j) for j in range(i + 1, len(self.model.layers))]
        through = f", and the backward of {_join(after)} between it and the loss" if after else ""
        return (f"The mistake is at the start of backprop: in "
                f"{type(self.model.layers[i]).__name__}.backward{through}.")

    def activation_step(self, k):
        i = self._index(k)
        upper = next(j for j in range(i + 1, len(self.model.layers))
                     if self.model.layers[j].params)
        between = [self._layer_name(j) for j in range(i + 1, upper)]
        if not between:
            return (f"So the mistake is in the gradient that "
                    f"{type(self.model.layers[upper]).__name__}.backward passes down (dA_prev "
                    f"= Wᵀ·dZ) or in {type(self.model.layers[i]).__name__}.backward.")
        custom = [b for b, j in zip(between, range(i + 1, upper))
                  if type(self.model.layers[j]).__module__ != Layer.__module__]
        return (f"So the mistake is in the backward step through {_join(between)}, the "
                f"activation between them: dZ = dA · g′(Z)" +
                (f"; {_join(custom)} is a custom layer: check its backward." if custom else "."))
