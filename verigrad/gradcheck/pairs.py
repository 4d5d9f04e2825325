"""A learner's forward/backward pair as a gradient-check problem.

    out, cache = forward(*inputs, **kwargs)          # or out1, out2, ..., cache
    grads = backward(dout, cache)                    # or backward(dout1, dout2, cache)

The pair is checked through the scalar J = Σₖ ⟨doutₖ, outₖ⟩, with the upstream gradients
doutₖ drawn at random (seeded) for the outputs that backward receives one for. The gradient
of J with respect to an input is exactly what backward must return for it, so the engine
compares backward's result with central differences of J, computed by calling the learner's
own forward: correct code written differently from a textbook is never rejected.

Inputs: float arrays are differentiated; a dict of arrays (the course's ``parameters``) is
differentiated in the entries whose gradient backward returns (``dWax`` for ``Wax``) or
that the caller says it must return (``expected``, the exercise catalogue's declaration);
its other float entries are listed in the report as not checked, and an expected gradient
that backward does not return is a ``missing_gradient`` finding. Every other input
(integer indices, labels, ``hparameters``, ``bn_param``, numbers, strings) is
passed as given, in a fresh copy for every call. backward returns the gradients as a tuple
in the order of the float array inputs, one array (when there is one such input), or a dict
keyed ``d`` + name (``dxt``, ``da_prev``, ``dWf``).

``check_pair`` runs such a check and returns the report with the ``LayerProblem`` it ran
(``vg.check_layer`` and the exercise catalogue use it); ``learner_frame`` and
``exception_diagnosis`` say where in the learner's code an exception was raised.
"""
from __future__ import annotations

import ast
import copy
import inspect
import os
import traceback
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import numpy as np

from .engine import check_settings, run
from .findings import EXCEPTION, MISSING_GRADIENT, MUTATION, Diagnosis, mutation_diagnosis
from .problems import FREEZE_SEED, FunctionProblem, promote
from .report import GradcheckReport

_PACKAGE = str(Path(__file__).resolve().parent.parent)


class LearnerError(Exception):
    """The learner's forward or backward raised ``error`` (the check cannot go on)."""

    def __init__(self, role: str, error: Exception) -> None:
        super().__init__(f"{role} raised {type(error).__name__}: {error}")
        self.role, self.error = role, error


def learner_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of error's traceback in the learner's code (outside verigrad and
    NumPy), or None.

    The contract for an exception raised in another process (the learner's, in ``verigrad
    check``: ``verigrad.wire.rebuild_error``): it carries ``learner_frames``, the frames of
    its traceback there in the learner's files, and ``learner_compared``, what a failed
    ``assert`` compared (``compared``, evaluated there); its own traceback, in this
    process, is never read."""
    remote = getattr(error, "learner_frames", None)
    if remote is not None:
        return remote[-1] if remote else None
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(_PACKAGE) and "/numpy/" not in f.filename]
    return frames[-1] if frames else None


def _shown(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it (as the learner
    would type it), else as it is."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def exception_diagnosis(role: str, error: BaseException) -> Diagnosis:
    """The finding for an exception raised in the learner's code, with their file and line
    (and, for a failed ``assert`` that compares shapes, the values it compared)."""
    frame, where = learner_frame(error), ""
    if frame:
        where = f" at {_shown(frame.filename)}, line {frame.lineno}"
        if frame.line:
            where += f": `{frame.line.strip()}`"
            if isinstance(error, AssertionError):
                where += compared(error, frame.line)
    said = f": {error}" if str(error) else ""
    return Diagnosis(EXCEPTION, None, f"{role} raised {type(error).__name__}{said}{where}",
                     ". No gradient could be checked.")


def compared(error: BaseException, line: str) -> str:
    """' (it compared (3, 4) with (3, 5))' for a failed ``assert a == b`` (a shape check,
    as the notebooks' templates write them), evaluated in the learner's failing frame;
    '' when the line is no such comparison or its sides cannot be evaluated again."""
    if getattr(error, "learner_frames", None) is not None:  # evaluated where it was raised
        return str(getattr(error, "learner_compared", ""))
    try:
        test = ast.parse(line.strip()).body[0].test  # type: ignore[attr-defined]
    except (SyntaxError, IndexError, AttributeError):
        return ""
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return ""
    tb = cast(TracebackType, error.__traceback__)  # raised in the learner's frame: it has one
    while tb.tb_next is not None:
        tb = tb.tb_next
    scope = tb.tb_frame
    try:
        sides = [eval(compile(ast.Expression(side), "<assert>", "eval"),  # noqa: S307
                      scope.f_globals, dict(scope.f_locals))
                 for side in (test.left, test.comparators[0])]
    except Exception:  # noqa: BLE001 -- the learner's expression; nothing to add then
        return ""
    if all(isinstance(side, tuple) for side in sides):
        return f" (it compared the shape {sides[0]} with {sides[1]})"
    return ""


def _arrays_in(value: object) -> list[np.ndarray]:
    """Every NumPy array inside value (tuples, lists and dicts followed), in a fixed order."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, Mapping):
        return [a for v in value.values() for a in _arrays_in(v)]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays_in(v)]
    return []


def _is_float_array(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _positional_names(function: Callable[..., Any], count: int) -> list[str]:
    """Names for ``count`` positional arguments of ``function`` (x, w, b; or input1...)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = []
    for i in range(count):
        if i < len(parameters) and parameters[i].kind in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            names.append(parameters[i].name)
        else:
            names.append(f"input{i + 1}")
    return names


def upstream_count(backward: Callable[..., Any], kwargs: Mapping[str, Any]) -> int:
    """How many upstream gradients backward takes: its required positional parameters,
    less the cache and those given by keyword."""
    try:
        parameters = inspect.signature(backward).parameters.values()
    except (TypeError, ValueError):
        return 1
    required = [p for p in parameters
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is p.empty and p.name not in kwargs]
    return max(len(required) - 1, 1)


def _accepted(function: Callable[..., Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments function accepts (all of them when it takes **kwargs)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return dict(kwargs)
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return dict(kwargs)
    return {k: v for k, v in kwargs.items() if k in parameters}


class LayerProblem(FunctionProblem):
    """forward(*inputs, **kwargs) and backward(dout..., cache) as cost(params) and
    grads(params), params being the float arrays among the inputs (float64 copies).

    factors: name -> a number the analytic gradient is multiplied by before the comparison
    (the course's linear_backward divides dW and db by m but not dA_prev: a factor m puts
    all three on the scale of J).

    Besides the ``problems.Problem`` interface, what a caller may read once it has been
    checked: ``douts`` (the upstream gradients drawn), ``analytic`` (name -> backward's
    gradient, times its factor) and ``error`` (the exception the learner's code raised, or
    None).
    """

    objective = "J = Σ⟨dout, out⟩"
    columns = False  # any layout: the advice stays general
    random_by_design = True  # a dropout layer draws its mask in forward
    slots: list[tuple[str, Any]]  # per input: ("array", name), ("dict", members), ("const", v)
    work_names: list[str]
    side_effects: list[Diagnosis]
    error: BaseException | None
    in_dict: set[str]
    douts: list[np.ndarray]

    def __init__(self, forward: Callable[..., tuple], backward: Callable[..., Any],
                 inputs: Collection[Any], kwargs: Mapping[str, Any], seed: int | None = 0,
                 factors: Mapping[str, float] | None = None,
                 expected: Iterable[str] | None = None) -> None:
        if not callable(forward) or not callable(backward):
            raise TypeError("forward and backward must be functions: "
                            "check_layer(forward, backward, *inputs)")
        self.forward, self.backward = forward, backward
        self.kwargs = dict(kwargs)
        self.backward_kwargs = _accepted(backward, kwargs)
        self.factors = dict(factors or {})
        self.n_upstream = upstream_count(backward, self.backward_kwargs)
        self.labels = _positional_names(forward, len(inputs))
        self.slots, self.work_names = [], []
        params: dict[str, np.ndarray] = {}
        for label, value in zip(self.labels, inputs):
            if _is_float_array(value):
                params[label] = promote(value, label)
                self.slots.append(("array", label))
                self.work_names.append(label)
            elif isinstance(value, Mapping) and any(_is_float_array(v) for v in value.values()):
                self.slots.append(("dict", {k: (promote(v, f"{label}[{k!r}]")
                                                if _is_float_array(v) else copy.deepcopy(v))
                                            for k, v in value.items()}))
            else:
                self.slots.append(("const", copy.deepcopy(value)))
        self.side_effects, self._first, self.error = [], True, None
        self.in_dict, self.returned = set(), []
        self.output_precision = np.dtype(np.float64)
        expected = {str(k).lower() for k in expected or ()}
        try:
            outputs, cache = self._run_forward({k: v.copy() for k, v in params.items()})
            rng = np.random.default_rng(seed)
            self.douts = [rng.standard_normal(np.shape(out))
                          for out in outputs[:self.n_upstream]]
            result = self._run_backward(cache)
        except LearnerError as error:
            self._fail(params, error)
            return
        # dict members are differentiated where backward returns their gradient or must;
        # the others are said to be not checked, never passed over in silence
        returned = {str(k).lower() for k in result} if isinstance(result, Mapping) else set()
        self.returned = [str(k) for k in result] if isinstance(result, Mapping) else []
        unchecked = []
        for (kind, members), label in zip(self.slots, self.labels):
            if kind == "dict":
                for key, value in members.items():
                    wanted = ("d" + str(key)).lower()
                    if _is_float_array(value) and (wanted in returned or wanted in expected):
                        params[key] = value
                        self.work_names.append(key)
                    elif _is_float_array(value):
                        unchecked.append(f"{label}[{key!r}]")
        remarks = [] if not unchecked else [
            f"Not checked: {', '.join(unchecked)}, whose gradient backward does not return "
            f"(a dict input's arrays are checked where backward returns d + their name)."]
        inputs = {n.lower() for n in self.labels} | {
            str(k).lower() for kind, members in self.slots if kind == "dict" for k in members}
        stray = [k for k in self.returned
                 if k.lower() not in inputs and k.lower()[1:] not in inputs]
        misnamed = [] if not (stray and unchecked) else [Diagnosis(MISSING_GRADIENT, None, (
            f"backward returned {', '.join(map(repr, stray))}, which names no input, and no "
            f"gradient for {', '.join(unchecked)}"), (
            ": a misnamed key (d_b, grad_b) is never compared with anything; key each "
            "gradient d + the name of its input"))]
        if not params:
            raise TypeError("none of the inputs is a float array (or a dict of them whose "
                            "gradient backward returns): there is nothing to differentiate")
        self.in_dict = {key for kind, members in self.slots if kind == "dict"
                        for key in members if key in params}
        try:
            cost = _BatchedLayerCost(self) if callable(getattr(forward, "map", None)) else \
                self._cost_of
            super().__init__(cost, self._grads_of, params, None)
        except LearnerError as error:
            self._fail(params, error)
            return
        self.names = list(self.work_names)
        self.diagnoses += self.side_effects + misnamed
        self.remarks += remarks
        if self.output_precision != np.float64:
            self.precision = self.output_precision

    def _fail(self, params: Mapping[str, np.ndarray], error: LearnerError) -> None:
        """The learner's code raised: nothing can be checked; the finding says where."""
        self.names = list(self.work_names)
        self.shapes = {name: params[name].shape for name in self.names}
        self.grad_names = {name: "d" + name for name in self.names}
        self.analytic, self.m, self.cost, self.blocked = {}, None, float("nan"), True
        self.diagnoses = [exception_diagnosis(error.role, error.error)]
        self.error = error.error

    # the learner's calls

    def _arguments(self, params: Mapping[str, np.ndarray]) -> list[Any]:
        args: list[Any] = []
        for kind, value in self.slots:
            if kind == "array":
                args.append(params[value])
            elif kind == "dict":
                args.append({k: params[k] if k in params else copy.deepcopy(v)
                             for k, v in value.items()})
            else:
                args.append(copy.deepcopy(value))
        return args

    def _run_forward(self, params: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], Any]:
        try:
            result = self.forward(*self._arguments(params), **self.kwargs)
        except Exception as error:
            raise LearnerError("forward", error) from error
        return self._forward_outputs(result)

    def _many_costs(self, params: dict[str, np.ndarray], name: str, flat: np.ndarray,
                    values: np.ndarray) -> list[float] | None:
        """``BatchCost.many`` for a forward that lives in another process and offers
        ``map(calls, seed=None, outputs_only=False)`` (the learner's, in ``verigrad
        check``: ``exercises.remote.RemoteFunction``): every point in one message. map
        returns each call's result, reseeding NumPy's global generator with ``seed`` before
        each call when given (what ``_before_call`` does here), with ``outputs_only`` the
        cache (a tuple's last element) left out as None. None when a call raises: each
        point is then evaluated alone, and the error reported as one call reports it."""
        calls = []
        for k, value in zip(flat, values):
            moved = params[name].copy()
            moved.flat[k] = value
            calls.append((tuple(self._arguments({**params, name: moved})), self.kwargs))
        try:
            seed = FREEZE_SEED if self.frozen else None
            results = cast(Any, self.forward).map(calls, seed=seed, outputs_only=True)
            return [self._weighted(self._forward_outputs(r)[0]) for r in results]
        except Exception:  # noqa: BLE001 -- one call at a time says what went wrong
            return None

    def _weighted(self, outputs: list[np.ndarray]) -> float:
        """J = Σ⟨dout, out⟩."""
        return sum(float(np.vdot(d, np.asarray(out, dtype=np.float64)))
                   for d, out in zip(self.douts, outputs))

    def _forward_outputs(self, result: Any) -> tuple[list[np.ndarray], Any]:
        """(outputs, cache) of what forward returned, checked."""
        if not isinstance(result, tuple) or len(result) < 2:
            raise TypeError(f"forward must return (out, cache) or (out1, ..., cache); it "
                            f"returned {type(result).__name__}")
        outputs = [np.asarray(out, dtype=np.float64) if not isinstance(out, np.ndarray)
                   else out for out in result[:-1]]
        if self._first:
            # the precision the learner's forward computes in: its lowest float output's
            lower = [o.dtype for o in outputs if o.dtype.kind == "f" and o.dtype.itemsize < 8]
            if lower:
                self.output_precision = min(lower, key=lambda d: d.itemsize)
        if len(outputs) < self.n_upstream:
            raise TypeError(f"backward takes {self.n_upstream} upstream gradients, but forward "
                            f"returned {len(outputs)} output(s) before the cache")
        return outputs, result[-1]

    def _run_backward(self, cache: Any) -> Any:
        douts = [d.copy() for d in self.douts]
        watched = [a.copy() for a in _arrays_in(cache)] if self._first else None
        try:
            result = self.backward(*douts, cache, **self.backward_kwargs)
        except Exception as error:
            raise LearnerError("backward", error) from error
        if self._first:
            self._first = False
            for i, (before, after) in enumerate(zip(self.douts, douts)):
                if not np.array_equal(before, after):
                    label = "dout" if len(douts) == 1 else f"upstream gradient {i + 1}"
                    self.side_effects.append(Diagnosis(MUTATION, None, (
                        f"backward changed its {label} in place"), (
                        ": a derivative written into the array it receives (dx = dout; "
                        "dx[x <= 0] = 0 changes dout too). Copy it first: "
                        "dx = dout.copy(), or dx = dout * (x > 0).")))
            watched = cast("list[np.ndarray]", watched)  # taken on the first call
            now = _arrays_in(cache)
            if len(now) == len(watched) and any(
                    a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)
                    for a, b in zip(watched, now)):
                self.side_effects.append(Diagnosis(MUTATION, None, (
                    "backward changed an array of the cache in place"), (
                    ": a second backward from the same cache would see changed values. "
                    "Compute new arrays instead of +=, -= or x[...] = on cached ones.")))
        return result

    def _cost_of(self, params: Mapping[str, np.ndarray]) -> float:
        outputs, _ = self._run_forward(params)
        return self._weighted(outputs)

    def _grads_of(self, params: Mapping[str, np.ndarray]) -> Any:
        _, cache = self._run_forward(params)
        return self._run_backward(cache)

    def _mutations(self, caller: str) -> list[Diagnosis]:
        role = "forward" if caller.startswith("cost") else "forward or backward"
        found: list[Diagnosis] = []
        for key, before in self.pristine.items():
            after = self.work.get(key)
            if isinstance(after, np.ndarray) and np.array_equal(after, before, equal_nan=True):
                continue
            array = (f"its input {key}" if key not in self.in_dict else
                     f"the array {key!r} of a dict input")
            found.append(mutation_diagnosis(key, role, before,
                                            after if isinstance(after, np.ndarray) else None,
                                            array=array))
        self._restore()
        return found

    def _parse(self, result: object) -> dict[str, np.ndarray]:
        """The analytic gradients by input name; an input whose gradient is missing from a
        dict gets zeros (named "not returned"), so that a true gradient there shows."""
        names = self.work_names
        top = [n for n in names if n not in self.in_dict]
        found: dict[str, tuple[Any, str]] = {}
        if isinstance(result, Mapping):
            lower = {str(k).lower(): k for k in result}
            for name in names:
                key = lower.get(("d" + name).lower(), lower.get(name.lower()))
                if key is not None:
                    found[name] = (result[key], str(key))
        elif isinstance(result, (tuple, list)):
            arrays = list(result)
            if len(arrays) != len(top):
                raise ValueError(f"backward returned {len(arrays)} gradients, but forward has "
                                 f"{len(top)} float array inputs ({', '.join(top)}): return one "
                                 f"gradient per float input, in their order, or a dict keyed "
                                 f"d + name")
            found = {name: (value, "d" + name) for name, value in zip(top, arrays)}
        elif isinstance(result, np.ndarray) or np.isscalar(result):
            found = {top[0]: (result, "d" + top[0])} if top else {}
        else:
            raise TypeError(f"backward must return the input gradients as a tuple, an array or "
                            f"a dict keyed d + name; it returned {type(result).__name__}")
        out: dict[str, np.ndarray] = {}
        for name in names:
            if name not in found:
                out[name] = np.zeros(self.work[name].shape)
                self.grad_names[name] = f"d{name} (not returned)"
                self.missing.add(name)
                continue
            value, key = found[name]
            try:
                out[name] = np.array(value, dtype=np.float64) * self.factors.get(name, 1)
            except (TypeError, ValueError):
                raise TypeError(f"backward's gradient {key!r} is not an array of numbers "
                                f"({type(value).__name__})") from None
            self.grad_names[name] = key
        return out

    # description: a single layer has no layers to localise

    def layer_key(self, name: str) -> int | None:
        return None


class _BatchedLayerCost:
    """A LayerProblem's cost (``BatchCost``) when its forward evaluates many calls in one
    message (``LayerProblem._many_costs``)."""

    def __init__(self, problem: LayerProblem) -> None:
        self.problem = problem

    def __call__(self, params: dict[str, np.ndarray]) -> float:
        return self.problem._cost_of(params)

    def many(self, params: dict[str, np.ndarray], name: str, flat: np.ndarray,
             values: np.ndarray, before_each: Callable[[], None]) -> list[Any] | None:
        return self.problem._many_costs(params, name, flat, values)


def check_pair(forward: Callable[..., tuple], backward: Callable[..., Any], inputs: Sequence,
               kwargs: Mapping[str, Any], *, eps: float = 1e-6, tol: float = 1e-7,
               seed: int | None = 0, factors: Mapping[str, float] | None = None,
               m: int | None = None, columns: bool = False,
               expected: Iterable[str] | None = None
               ) -> tuple[GradcheckReport, LayerProblem]:
    """``vg.check_layer``'s check with its arguments as a tuple and a dict, and the exercise
    catalogue's extras: factors (name -> number the analytic gradient is multiplied by), m
    (the batch size, which names a missing 1/m) and columns (the examples are columns, so
    the advice may give the dense formulas) and expected (the gradient keys backward must
    return, ``dba``: one it leaves out is a ``missing_gradient`` finding). Returns the
    report and the ``LayerProblem`` checked (its ``douts``, ``analytic`` and ``error``).
    np.random's state is restored."""
    check_settings(None, eps, tol, 10)
    saved = np.random.get_state()
    try:
        problem = LayerProblem(forward, backward, inputs, kwargs, seed, factors, expected)
        if not problem.blocked:
            problem.m, problem.columns = m, columns
        try:
            return run(problem, None, eps, tol, 10, seed), problem
        except LearnerError as error:  # raised only at some of the points evaluated
            problem._fail(problem.pristine, error)
            return run(problem, None, eps, tol, 10, seed), problem
    finally:
        np.random.set_state(saved)
