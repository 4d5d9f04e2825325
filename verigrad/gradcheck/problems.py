"""Two of the kinds of problem the gradient check runs on, behind one interface
(``Problem``, which ``pairs.LayerProblem`` implements too): a learner's own
``cost(params)`` and ``grads(params)`` functions (``FunctionProblem``), and a ``Sequential``
model (``ModelProblem``).
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Protocol, TypeVar, cast, runtime_checkable

import numpy as np

from ..layers import Dense, Layer
from ..model import Sequential
from .engine import noise_floor
from .findings import (
    MISSING_GRADIENT,
    MUTATION,
    PATTERN_RTOL,
    Diagnosis,
    mutation_diagnosis,
    nan_cost_diagnosis,
    nondeterministic_diagnosis,
)
from .report import join

# Seed for re-seeding np.random before each call of a learner's random cost (dropout on).
#: the seed NumPy's global generator gets before each call once dropout is frozen
FREEZE_SEED = 1234

_T = TypeVar("_T")


@runtime_checkable
class Problem(Protocol):
    """What the engine needs of the thing it checks.

    Before the numeric loop: ``names`` (parameters in layer order), their ``shapes``, the
    ``analytic`` gradients and what the learner calls them (``grad_names``: dW1, ...), the
    ``cost`` J at the point checked and what it is called (``objective``), whether examples
    are columns (``columns``: the advice may give the dense formulas), the batch size
    ``m`` (None when unknown), the ``diagnoses`` already found and ``blocked`` (True when
    the loop cannot run)."""

    names: list[str]
    shapes: dict[str, tuple[int, ...]]
    analytic: dict[str, np.ndarray]
    grad_names: dict[str, str]
    cost: float
    objective: str
    columns: bool
    m: int | None
    diagnoses: list
    blocked: bool

    def entries(self, name: str, index: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
        """Central differences of parameter ``name`` at the flat indices ``index``, and
        which of them stepped across a kink."""

    def direction(self, name: str, d: np.ndarray, eps: float) -> tuple[float, np.ndarray, bool]:
        """J(θ + εd) − J(θ − εd), the step taken (up + down), and whether it crossed a
        kink."""

    def zero_reason(self, name: str) -> str | None:
        """Why the true gradient of ``name`` is zero by construction (a bias right before a
        batch norm), or None."""

    def layer_key(self, name: str) -> int | None:
        """The layer number k of parameter ``name`` (None when the names carry none)."""

    def layer_label(self, k: int) -> str:
        """How messages name layer k."""

    def param_formula(self, k: int) -> str:
        """Where to look when layer k's parameter gradients alone are wrong."""

    def output_step(self, k: int) -> str:
        """Where to look when the output layer k is wrong."""

    def activation_step(self, k: int) -> str:
        """Where to look when layer k is the first wrong one below a right one."""


def promote(array: np.ndarray, name: str) -> np.ndarray:
    """A float64 copy of a float array; float32/float16 with a warning naming it ``name``,
    as the learner would (``params['W1']``). The pairs promote their inputs with it too."""
    if array.dtype != np.float64:
        warnings.warn(f"{name} has dtype {array.dtype}; the gradient check promotes it to "
                      f"float64, since float32 rounding (about 1e-7) would swamp its "
                      f"tolerance", stacklevel=4)
    return np.array(array, dtype=np.float64)


class BatchCost(Protocol):
    """A cost that can also evaluate many points in one call, as ``verigrad check``'s
    stand-in for a learner's cost in another process does (one message for many points):
    ``cost.many(params, name, flat, values, before_each)`` returns the cost at each point k
    (params with ``params[name]``'s flat entry ``flat[k]`` set to ``values[k]``, nothing
    else changed), in order, with ``before_each()`` run before each evaluation as before each
    call of ``cost``; or None, and each point is then evaluated by a call of ``cost``. The
    results must be those of the calls: a cost whose evaluations change their params or
    raise answers None."""

    def __call__(self, params: dict[str, np.ndarray]) -> Any: ...

    def many(self, params: dict[str, np.ndarray], name: str, flat: np.ndarray,
             values: np.ndarray, before_each: Callable[[], None]) -> list[Any] | None: ...


class FunctionProblem:
    """cost(params) and grads(params), evaluated on a float64 copy of params."""

    objective = "cost J"
    columns = True  # examples in columns: the advice may give the dense formulas
    # A whole cost that changes between calls has dropout left on in a gradient check, a
    # mistake; a single layer that draws a mask (a dropout layer) is meant to (LayerProblem)
    random_by_design = False
    m: int | None
    diagnoses: list[Diagnosis]
    cost: float
    analytic: dict[str, np.ndarray]
    grad_names: dict[str, str]
    remarks: list[str]
    missing: set[str]

    def __init__(self, cost: Callable[[dict[str, np.ndarray]], Any],
                 grads: Callable[[dict[str, np.ndarray]], Any], params: Mapping[str, np.ndarray],
                 order: Sequence[str] | None) -> None:
        if not callable(cost) or not callable(grads):
            raise TypeError("cost and grads must be functions of params: "
                            "check_backprop(cost, grads, params)")
        if not isinstance(params, Mapping) or not params:
            raise TypeError(f"params must be a non-empty dict of NumPy arrays (name -> array), "
                            f"got {type(params).__name__}")
        self.work: dict[str, np.ndarray] = {}
        for key, value in params.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"params[{key!r}] must be a NumPy array, "
                                f"got {type(value).__name__}")
            if value.dtype.kind != "f":
                raise TypeError(f"params[{key!r}] has dtype {value.dtype}; parameters must be "
                                f"floating point: pass {key}.astype(np.float64)")
            if value.size == 0:
                raise ValueError(f"params[{key!r}] has no entries (shape {value.shape}): "
                                 f"there is nothing to check (0 examples or 0 units?)")
            self.work[key] = promote(value, f"params[{key!r}]")
        self.cost_fn, self.grads_fn, self.order = cost, grads, order
        self.pristine = {k: v.copy() for k, v in self.work.items()}
        self.shapes = {k: v.shape for k, v in self.work.items()}
        self.names = _layer_order(list(self.work))
        self.m, self.diagnoses, self.blocked = None, [], False
        self.copy_for_cost, self.frozen = False, False
        self.analytic, self.grad_names = {}, {}
        # what the learner's code computes in (the dtype of its cost), and what the reader
        # should know that is not a mistake
        self.precision, self.remarks = np.dtype(np.float64), []
        # the gradients grads did not return (by parameter name), and the keys it returned
        self.missing, self.returned = set(), list(getattr(self, "returned", ()))
        self._prepare()
        self.diagnoses += self.missing_diagnoses()

    # calls of the learner's functions

    def _before_call(self) -> None:
        """What precedes every call of the learner's functions: dropout frozen, once found."""
        if self.frozen:
            np.random.seed(FREEZE_SEED)

    def _call(self, function: Callable[[dict[str, np.ndarray]], Any], copy: bool = False) -> Any:
        params = {k: v.copy() for k, v in self.work.items()} if copy else self.work
        self._before_call()
        return function(params)

    def _cost(self) -> float:
        return self._cost_value(self._call(self.cost_fn, self.copy_for_cost))

    def _cost_value(self, value: Any) -> float:
        if value is None:
            raise TypeError("cost(params) returned None: it must return the cost, one "
                            "number (a missing return statement?)")
        dtype = getattr(value, "dtype", None)
        if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
            self.precision = np.dtype(dtype)
        try:
            return float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise TypeError(f"cost(params) must return one number, got "
                            f"{type(value).__name__}"
                            f"{getattr(value, 'shape', '')}") from None

    def _mutations(self, caller: str) -> list[Diagnosis]:
        """Findings for every array ``caller`` changed; the working copy is restored."""
        found: list[Diagnosis] = []
        for key, before in self.pristine.items():
            after = self.work.get(key)
            if not isinstance(after, np.ndarray):
                found.append(mutation_diagnosis(key, caller, before, None))
            elif not np.array_equal(after, before, equal_nan=True):
                found.append(mutation_diagnosis(key, caller, before, after))
        self._restore()
        return found

    def _prepare(self) -> None:
        errors: set[str] = set()
        with np.errstate(all="call", call=lambda kind, flag: errors.add(kind)):
            self._first_calls(errors)

    def _first_calls(self, errors: set[str]) -> None:
        """Cost, mutation, determinism, gradients: everything before the numeric loop."""
        first: Any  # two costs, and further down two gradients, of repeated calls
        second: Any
        again: Any
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
            if self.random_by_design and not _differ(first, second):
                self.remarks.append(random_remark(self.cost, again))
            else:
                self.diagnoses.append(nondeterministic_diagnosis(
                    "cost(params)", self.cost, again, not _differ(first, second)))
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

    def _restore(self) -> None:
        self.work = {k: v.copy() for k, v in self.pristine.items()}

    def _parse(self, result: object) -> dict[str, np.ndarray]:
        """The analytic gradients by parameter name, as float64 arrays of their own shape."""
        if isinstance(result, Mapping):
            found: dict[str, tuple[Any, str]] = {}
            lower = {str(k).lower(): k for k in result}
            self.returned = [str(k) for k in result]
            for name in self.names:
                for key in ("d" + name, lower.get(("d" + name).lower()), name,
                            lower.get(name.lower())):
                    if key is not None and key in result:
                        found[name] = (result[key], str(key))
                        break
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
        out: dict[str, np.ndarray] = {}
        for name in self.names:
            if name not in found:  # zeros, so that a true gradient there still shows
                out[name] = np.zeros(self.shapes[name])
                self.grad_names[name] = f"d{name} (not returned)"
                self.missing.add(name)
        for name, (value, key) in found.items():
            try:
                out[name] = np.array(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"grads(params)[{key!r}] is not an array of numbers "
                                f"({type(value).__name__})") from None
            self.grad_names[name] = key
        return out

    def missing_diagnoses(self) -> list[Diagnosis]:
        """A missing_gradient finding for each parameter whose gradient grads (or backward)
        did not return (a dict without its key), naming what it returned instead."""
        known = {("d" + n).lower() for n in self.names} | {n.lower() for n in self.names}
        stray = [k for k in self.returned if k.lower() not in known]
        found: list[Diagnosis] = []
        for name in self.names:
            if name not in self.missing:
                continue
            instead = (f"; it returned {', '.join(map(repr, stray))}, which names no "
                       f"parameter" if stray else
                       f"; it returned {', '.join(map(repr, self.returned)) or 'nothing'}")
            found.append(Diagnosis(MISSING_GRADIENT, name, (
                f"no gradient d{name} was returned for {name}{instead}"), (
                ": every parameter needs its gradient, keyed d + its name; a forgotten or "
                "misnamed key leaves that gradient unchecked")))
        return found

    # numeric gradients

    def entries(self, name: str, index: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
        p = self.work[name]
        a = self.analytic[name]
        numeric = np.empty(len(index))
        kinks = np.zeros(len(index), bool)
        batch = self._batched(name, index, eps)
        for i, flat in enumerate(index):
            pos = np.unravel_index(flat, p.shape)
            up, down, j_up, j_down = batch[i] if batch is not None else _both_ways(
                p, pos, eps, lambda step: self._cost())
            numeric[i] = (j_up - j_down) / (up + down)
            if a.shape == p.shape:
                kinks[i] = self._at_kink(cast(float, a[pos]), numeric[i], (j_up - self.cost) / up,
                                         (self.cost - j_down) / down, eps)
        return numeric, kinks

    def _batched(self, name: str, index: np.ndarray,
                 eps: float) -> list[tuple[float, float, float, float]] | None:
        """The central differences' evaluations of ``entries`` at once, when the cost can
        evaluate many points in one call (``BatchCost``): for each entry (step up, step
        down, J up, J down), as ``_both_ways`` gives them one call at a time; None when it
        cannot."""
        many = getattr(self.cost_fn, "many", None)
        if not callable(many):
            return None
        p = self.work[name]
        start = np.ravel(p)[index]
        high, low = (start + eps).astype(p.dtype), (start - eps).astype(p.dtype)
        values = np.empty(2 * len(index), p.dtype)
        values[0::2], values[1::2] = high, low
        costs = many(self.work, name, np.repeat(index, 2), values, self._before_call)
        if costs is None:
            return None
        J = [self._cost_value(c) for c in costs]
        return [(high[i] - start[i], start[i] - low[i], J[2 * i], J[2 * i + 1])
                for i in range(len(index))]

    def direction(self, name: str, d: np.ndarray, eps: float) -> tuple[float, np.ndarray, bool]:
        p = self.work[name]
        up, down, j_up, j_down = _both_ways(p, ..., eps * d, lambda step: self._cost())
        a = self.analytic[name]
        kink = False
        if a.shape == p.shape:
            analytic = float(np.vdot(a, (up + down) / 2)) / eps
            kink = self._at_kink(analytic, (j_up - j_down) / (2 * eps),
                                 (j_up - self.cost) / eps, (self.cost - j_down) / eps, eps)
        return j_up - j_down, up + down, kink

    def _at_kink(self, a: float, n: float, right: float, left: float, eps: float) -> bool:
        """At a kink the central difference n averages two different one-sided slopes, and
        the analytic gradient takes one of them: it matches one far better than n."""
        floor = noise_floor(self.cost, eps, self.precision)
        if abs(a - n) <= floor + PATTERN_RTOL * (abs(a) + abs(n)):
            return False
        best = min(abs(a - right), abs(a - left))
        return bool(best <= 2 * floor + 1e-3 * abs(a) and abs(right - left) > 10 * best + 2 * floor)

    # description

    def zero_reason(self, name: str) -> str | None:
        """Why the true gradient of ``name`` is zero by construction, or None."""
        return None

    def layer_key(self, name: str) -> int | None:
        match = re.search(r"(\d+)$", name)
        return int(match.group(1)) if match else None

    def layer_label(self, k: int) -> str:
        return f"layer {k} ({', '.join(n for n in self.names if self.layer_key(n) == k)})"

    def param_formula(self, k: int) -> str:
        return (f"For layer {k}: look at how dW{k} and db{k} are formed from dZ{k} and "
                f"{_previous(k)} (the 1/m, the order of the product, the axis of the sum).")

    def output_step(self, k: int) -> str:
        return (f"The mistake is at the start of backprop, in the output layer: look at "
                f"dZ{k}, the output's error term (prediction against target), then at dW{k} "
                f"and db{k}.")

    def activation_step(self, k: int) -> str:
        return (f"So the mistake is in the backward step from layer {k + 1} into layer {k}: "
                f"look at dA{k}, the gradient passed down through W{k + 1}, and at dZ{k}: "
                f"the derivative of layer {k}'s activation and the array it is computed from.")


def random_remark(first: float, second: float) -> str:
    """The note for a pair whose forward draws random numbers (a dropout layer's mask)."""
    return (f"The forward draws random numbers (it gave {first:.12g} and then {second:.12g} "
            f"for the same inputs), as a dropout layer's mask does: np.random was re-seeded "
            f"before every call, so every evaluation used the same draws and backward is "
            f"judged with the mask its own forward drew.")


def _previous(k: int) -> str:
    return "X" if k == 1 else f"A{k - 1}"


def _both_ways(p: np.ndarray, where: Any, change: float | np.ndarray,
               evaluate: Callable[..., _T]) -> tuple[Any, Any, _T, _T]:
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


def _layer_order(names: list[str]) -> list[str]:
    """Parameter names in layer order: by their trailing number when all have one."""
    numbers = [re.search(r"(\d+)$", n) for n in names]
    if not all(numbers):
        return names
    return [n for _, _, n in sorted((int(cast(re.Match, m).group(1)), i, n)
                                    for i, (m, n) in enumerate(zip(numbers, names)))]


def _differ(x: float, y: float) -> bool:
    """Two evaluations of the same cost differ (beyond rounding; NaN equals NaN)."""
    if np.isnan(x) and np.isnan(y) or x == y:
        return False
    return not abs(x - y) <= 4 * np.finfo(np.float64).eps * max(abs(x), abs(y))


# ---- a Sequential model ------------------------------------------------------------------


class ModelProblem:
    """A float64 copy of a Sequential with its randomness frozen, and the cost of a training
    step as a function of one parameter at a time. It uses the model's public interface
    only, and asks each layer where its derivative has kinks (``kink_distance``)."""

    objective = "cost J"
    columns = True  # examples in columns: the advice may give the dense formulas

    diagnoses: list[Diagnosis]
    inputs: list[np.ndarray]

    def __init__(self, model: Sequential, X: np.ndarray, Y: np.ndarray, seed: int) -> None:
        if not isinstance(model, Sequential):
            raise TypeError(f"model must be a verigrad Sequential, got {type(model).__name__}")
        if isinstance(X, np.ndarray) and X.dtype.kind == "f":
            X = promote(X, "X")
        if isinstance(Y, np.ndarray) and Y.dtype.kind == "f":
            Y = promote(Y, "Y")
        work = model.astype("float64")
        work.check_data(X, Y)
        if np.shape(X)[-1] == 0:
            raise ValueError(f"X has 0 examples (shape {np.shape(X)}): a gradient check needs "
                             f"at least one example, one column of X")
        self.model, self.X, self.Y, self.m = work, X, Y, X.shape[-1]
        # Dropout masks are drawn in the next training pass and kept; other layers that draw
        # random numbers get the same generator again before each evaluation.
        work.freeze_randomness(seed)
        self.names = list(work.params)
        self.shapes = {n: work.params[n].shape for n in self.names}
        self.grad_names = {n: "d" + n for n in self.names}
        self.diagnoses, self.blocked = [], False

        before = {n: work.params[n].copy() for n in self.names}
        X_before = X.copy()
        errors: set[str] = set()
        with np.errstate(all="call", call=lambda kind, flag: errors.add(kind)):
            cost, grads = work.cost_and_grads(X, Y, training=True)
        for n in self.names:
            if not np.array_equal(work.params[n], before[n], equal_nan=True):
                self.diagnoses.append(mutation_diagnosis(
                    n, f"the forward or backward of {work.layer_label(work.locate(n)[0])}",
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
        work.reseed()
        for layer in work.layers:
            A = layer.forward(A, True)
            self.inputs.append(np.array(A, copy=True))
        # How far each layer's input is from a kink of its derivative (None: smooth)
        self.kinks = [layer.kink_distance(A) for layer, A in zip(work.layers, self.inputs)]
        self.cost = self.loss_of(A)
        again = self._cost_from(0, X)[0]
        if not np.isfinite(self.cost):
            self.diagnoses.append(nan_cost_diagnosis(self.cost, errors, dict(work.params)))
            self.blocked = True
        elif _differ(self.cost, again) or _differ(self.cost, cost):
            self.diagnoses.append(nondeterministic_diagnosis("the model's cost", self.cost, again,
                                                          False, model=True))
            self.blocked = True

    def loss_of(self, Z: np.ndarray) -> float:
        return self.model.cost_from_logits(Z, self.Y)

    def _cost_from(self, start: int, A: np.ndarray) -> tuple[float, bool]:
        """J when layer ``start`` receives A, and whether any layer's input on the way
        moved across a kink of its derivative (farther than its distance to the kink)."""
        self.model.reseed(start)
        crossed = False
        for j in range(start, len(self.model.layers)):
            distance = self.kinks[j]
            if distance is not None and not crossed:
                crossed = bool(np.any(np.abs(A - self.inputs[j]) > distance))
            A = self.model.layers[j].forward(A, True)
        return self.loss_of(A), crossed

    def _evaluate(self, i: int, layer: Layer, step: np.ndarray | None = None,
                  key: str | None = None, pos: Any = None) -> tuple[float, bool]:
        """J after a parameter of layer i changed. For a Dense layer and one entry, its
        output changes in a single row by step·A_prev[j] (W[r, j]) or step (b[r]): computed
        directly, which is exact and saves the matrix product."""
        if step is not None:
            Z = self.inputs[i + 1].copy()
            Z[pos[0]] += step * self.inputs[i][pos[1]] if key == "W" else step
            return self._cost_from(i + 1, Z)
        A = self.inputs[i] if type(layer) is Dense else self.inputs[i].copy()
        return self._cost_from(i, A)

    def entries(self, name: str, index: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
        i, key = self.model.locate(name)
        layer = self.model.layers[i]
        p = layer.params[key]
        direct = type(layer) is Dense and key in ("W", "b")
        numeric = np.empty(len(index))
        kinks = np.zeros(len(index), bool)
        for e, flat in enumerate(index):
            pos = np.unravel_index(flat, p.shape)
            up, down, (j_up, crossed_up), (j_down, crossed_down) = _both_ways(
                p, pos, eps,
                lambda step, pos=pos: self._evaluate(i, layer, step if direct else None, key, pos))
            numeric[e] = (j_up - j_down) / (up + down)
            kinks[e] = crossed_up or crossed_down
        return numeric, kinks

    def direction(self, name: str, d: np.ndarray, eps: float) -> tuple[float, np.ndarray, bool]:
        i, key = self.model.locate(name)
        layer = self.model.layers[i]
        p = layer.params[key]
        up, down, (j_up, crossed_up), (j_down, crossed_down) = _both_ways(
            p, ..., eps * d, lambda step: self._evaluate(i, layer))
        return j_up - j_down, up + down, crossed_up or crossed_down

    # description

    def zero_reason(self, name: str) -> str | None:
        i, key = self.model.locate(name)
        after = self.model.layers[i + 1] if i + 1 < len(self.model.layers) else None
        if key.startswith("b") and after is not None and after.normalizes == "batch":
            return (f": the {type(after).__name__} right after {self.model.layer_label(i)} "
                    f"subtracts each feature's batch mean, so a constant added to {name} "
                    f"cancels out and the true gradient is 0 by construction. A nonzero "
                    f"d{name} means the gradient {type(after).__name__}.backward passes down "
                    f"does not sum to 0 over the batch: look at its path through the batch "
                    f"mean μ.")
        return None

    def layer_key(self, name: str) -> int | None:
        return self.model.layer_number(self.model.locate(name)[0])

    def _index(self, k: int) -> int:
        return self.model.parameterised[k - 1]

    def _kind(self, i: int) -> str:
        return type(self.model.layers[i]).__name__

    def layer_label(self, k: int) -> str:
        return self.model.layer_label(self._index(k))

    def param_formula(self, k: int) -> str:
        return (f"Look at the parameter gradients that {self._kind(self._index(k))}.backward "
                f"stores in self.grads.")

    def output_step(self, k: int) -> str:
        i = self._index(k)
        after = [self.model.layer_label(j) for j in range(i + 1, len(self.model.layers))]
        through = f", and the backward of {join(after)} between it and the loss" if after else ""
        return f"The mistake is at the start of backprop: in {self._kind(i)}.backward{through}."

    def activation_step(self, k: int) -> str:
        i = self._index(k)
        upper = self.model.parameterised[k]
        between = range(i + 1, upper)
        if not between:
            above = self.model.layers[upper]
            formula = " (dA_prev = Wᵀ·dZ)" if "W" in above.params else ""
            return (f"So the mistake is in the gradient that {self._kind(upper)}.backward "
                    f"passes down{formula} or in {self._kind(i)}.backward.")
        custom = [self.model.layer_label(j) for j in between
                  if not type(self.model.layers[j]).__module__.startswith("verigrad.")]
        return (f"So the mistake is in the backward step through "
                f"{join(self.model.layer_label(j) for j in between)}, the activation between "
                f"them: dZ = dA · g′(Z)" +
                (f"; {join(custom)} is a custom layer: check its backward." if custom else "."))
