"""How an exercise is checked: generated configurations, the forward against verigrad's
reference layers, the backward against central differences of the learner's own forward,
and the outputs of known wrong formulas, to say which mistake the learner's output equals.

An ``Exercise`` names the function (``conv_backward``), the course, the parameters its
signature has (to tell apart same-named exercises of two courses) and a ``check``
function: given the learner's functions by name, it returns a ``Result``.
"""
from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

import numpy as np

from ..gradcheck import (
    Finding,
    GradcheckReport,
    Kind,
    LayerProblem,
    check_backprop,
    check_pair,
    exception_diagnosis,
    learner_frame,
    register_kind,
)
from ..gradcheck.findings import EXCEPTION, MISMATCH, MUTATION
from .stubs import all_zero, source_lines

#: the origin of the catalogue's kinds in the registry (``verigrad.gradcheck.kinds``)
ORIGIN = "exercises"


def register_mistakes(mistakes: Mapping[str, tuple[str, str]]) -> dict[str, Kind]:
    """Register the finding kinds an exercise module reports, before it uses them:
    ``name -> (description, advice)``, the description saying when the finding is reported
    and the advice where its message points the learner (a place to look, not the fix).
    Returns ``name -> Kind``. A name registered before with the same texts is accepted; a
    kind already in the vocabulary (``stride``, ``scale``) is reported without registering
    it again. A module that adds exercises calls this once, at its top:

        KINDS = register_mistakes({
            "im2col_order": ("the columns of im2col are in the other order",
                             "the order of the loops that fill the columns"),
        })
    """
    return {name: register_kind(name, description, advice, origin=ORIGIN)
            for name, (description, advice) in mistakes.items()}


#: the kinds of finding the catalogue adds to those of the gradient check: kind -> (when it
#: is reported, where the message points the learner); registered below
MISTAKES = {
    "forward": ("the function's output differs from verigrad's reference on a configuration "
                "and equals none of the known wrong formulas",
                "the entry that differs most, its value and the reference's; fix the forward "
                "first, since the backward is checked against it"),
    "missing": ("a backward exercise whose forward (which builds the cache) is not defined in "
                "the file", "define the forward beside it"),
    "signature": ("a function named like an exercise whose parameters fit none of the "
                  "exercises of that name", "the parameters the exercise expects"),
    "stride": ("the output or gradient equals a loop's that reads the window at (h, w) "
               "instead of (h·stride, w·stride)",
               "where each window starts as h and w advance"),
    "accumulate": ("the gradient equals the one with each window's contribution assigned (=) "
                   "instead of added (+=), which loses overlapping windows",
                   "the lines that write into da_prev_pad, dW and db"),
    "empty_slice": ("conv_backward fails, or returns an empty dA_prev, with pad = 0",
                    "the slice that removes the padding, at pad = 0"),
    "pool_count": ("an average pool's gradient divided by the wrong count (f, or not at all)",
                   "the count that distributes dz over the window"),
    "pool_mode": ("the output or gradient equals the other pooling mode's",
                  "the branches for \"max\" and \"average\" are swapped"),
    "pad_axes": ("zero_pad pads the examples and channels too",
                 "pad only the height and width axes"),
    "bias": ("the output equals the one without the bias b", "where b enters Z"),
    "softmax_axis": ("the prediction equals a softmax over the examples instead of the "
                     "classes", "the axis of the softmax's sum"),
    "tanh_derivative": ("the gradient equals one with tanh' taken as 1 − z² of the "
                        "pre-activation", "the array tanh's derivative is computed from"),
    "state": ("the hidden states equal steps that all start from a0",
              "the hidden state each step starts from"),
    "time_path": ("the gradient equals one where no gradient flows back through time",
                  "what each step's backward receives besides da[:, :, t]"),
    "time_step": ("a sequence's backward is wrong: the first time step, counting back from "
                  "T, at which dx differs from the reference's",
                  "right at T and wrong before: the gradient carried from step t + 1"),
    "gate_block": ("an LSTM cell's da_prev or dxt has n_a + n_x rows",
                   "the block of each gate matrix that da_prev and dxt come from"),
    "lstm_gate": ("an LSTM forward (a cell, a step or a sequence) equals the one with the "
                  "forget and update gates swapped",
                  "which gate multiplies c_prev and which the candidate cct"),
    "output_gate": ("an LSTM forward's hidden state equals tanh(c_next) without the output "
                    "gate", "the gate that multiplies tanh(c_next)"),
    "l2_term": ("the L2-regularized cost equals one with the ½ or the 1/m of λ/(2m)·Σ‖W‖² "
                "missing, or its backward's dW one with λ·W instead of λ/m·W",
                "the constant in front of the L2 term and of its gradient"),
    "cache": ("a course 2 function's cache is not the notebook's tuple",
              "the notebook's order of Z, D, A, W, b"),
    "gradcheck_copy": ("a learner's gradient checker returns about 1/3 on correct gradients: "
                       "θ⁺ is not a copy", "how θ⁺ and θ⁻ are made from the parameters"),
    "gradcheck_formula": ("a learner's gradient checker returns what (J⁺ − J⁻)/2·ε, "
                          "(J⁺ − J⁻)/ε or a one-sided difference gives",
                          "the difference quotient: both sides and its denominator"),
    "gradcheck": ("a learner's gradient checker does not tell correct gradients from wrong "
                  "ones", "its result on both, and the threshold"),
    "norm_axis": ("a normalization's output equals the one with the statistics over the "
                  "other axis (batch norm turned into layer norm, or back)",
                  "the axis of the mean and the variance"),
    "test_mode": ("batch norm's test-mode output equals the one with the batch's statistics",
                  "the statistics the test-mode branch normalises with"),
    "bn_mean_path": ("batch norm's dx equals the one without the path through the mean",
                     "the term of dx that comes through the mean μ"),
    "bn_variance_path": ("batch norm's dx equals the one without the path through the variance",
                         "the term of dx that comes through the variance σ²"),
    "dropout_scale": ("dropout's kept entries equal x",
                      "the scaling of the kept entries (inverted dropout)"),
    "dropout_p": ("dropout keeps a fraction of the entries other than p",
                  "the comparison that draws the mask"),
    "dropout_test": ("dropout changes its input in test mode", "the test-mode branch"),
    "unmasked": ("temporal_softmax_loss equals the loss over every step, masked ones too",
                 "where the mask enters the loss"),
    "repeated_index": ("word_embedding_backward equals dW[x] += dout, which loses repeated "
                       "words", "how the rows of dW add up for a repeated word"),
    "not_implemented": ("a function still as the template left it: `None` placeholders, "
                        "only `pass`, `raise NotImplementedError`, an empty START/END CODE "
                        "block, or it returns None or only zeros; a failing verdict, "
                        "\"not done\", not a mistake to diagnose",
                        "the template's placeholders the message lists"),
    "environment": ("the function could not be run because of its surroundings, not its "
                    "code: a course helper module or package it needs is missing",
                    "the notes under the table: what is missing and how to get it"),
    "returns": ("the function returns something the exercise cannot use: None, a number "
                "instead of a tuple, too few outputs, a value that is not an array",
                "the return statement and the exercise's outputs"),
    "time_limit": ("the function did not finish within the check's time limit for one "
                   "function (an endless loop?)", "loops whose condition never changes"),
    "activation": ("the output equals the other activation's (sigmoid and ReLU swapped) or a "
                   "network with one activation everywhere",
                   "LINEAR -> RELU for the hidden layers, LINEAR -> SIGMOID for the last"),
    "right_callee": ("a function calls another of the learner's exercises that is wrong or "
                     "not done, and was checked with a right one in its place: the verdict "
                     "beside it is its own", "the exercise it calls, named in the message"),
}
_KINDS = register_mistakes(MISTAKES)
FORWARD, NOT_IMPLEMENTED, ENVIRONMENT, RETURNS, TIME_LIMIT, RIGHT_CALLEE = (
    _KINDS[k] for k in ("forward", "not_implemented", "environment", "returns", "time_limit",
                        "right_callee"))


class Config(NamedTuple):
    """One generated call: a label naming the edge case ("pad=0, stride=2, m=1"), the
    positional and keyword arguments, and m, the batch size when a 1/m convention applies."""

    label: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = {}
    m: int | None = None

    def fresh(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Deep copies of the arguments: a call never sees what an earlier one changed."""
        return copy.deepcopy(self.args), copy.deepcopy(self.kwargs)


@dataclass(frozen=True)
class Mistake:
    """A common wrong formula: its finding kind (a registered ``Kind`` or its name), what it
    is (said to the learner when their output equals it, with the advice) and
    output(args, kwargs[, douts]) -> its output, computed with the references (a tuple of
    arrays for a forward, name -> array for a backward's gradients)."""

    kind: Kind
    message: str
    output: Callable[..., Any]

    if TYPE_CHECKING:  # the kind's name is accepted too: __post_init__ makes it the Kind
        def __init__(self, kind: Kind | str, message: str, output: Callable[..., Any]) -> None: ...

    def __post_init__(self) -> None:
        # an unregistered kind fails when the exercise module is imported, not when a
        # learner's output first equals the mistake
        object.__setattr__(self, "kind", Kind(self.kind))


class Result:
    """The verdict on one of the learner's functions.

    name: the function; exercise: which exercise it was taken for; ok: True, False (wrong,
    or not done: the first finding is then "not_implemented"), or None when it could not be
    checked; findings: Finding list; config: the label of the first
    configuration that failed; file, line: where to look (the line of an exception, else
    the function's first line); report: the gradient check's report of that configuration,
    if a gradient was checked; configs: how many configurations were run; assumed: the
    notebook version the function was recognised as, when it is an older one.

    Invariant (a ValueError at construction otherwise): a function judged wrong (ok False)
    has at least one finding, the one that makes it wrong.
    """

    def __init__(self, name: str, exercise: str, ok: bool | None,
                 findings: Iterable[Finding] = (), config: str | None = None,
                 where: tuple[str | None, int | None] = (None, None),
                 report: GradcheckReport | None = None, configs: int = 0) -> None:
        if ok is False and not findings:
            raise ValueError(f"the result of {name} is WRONG without a finding that says why")
        self.name, self.exercise, self.ok = name, exercise, ok
        self.findings, self.config, self.report = list(findings), config, report
        self.file, self.line = where
        self.configs = configs
        self.assumed: str | None = None

    @property
    def verdict(self) -> str:
        if self.ok is False and self.findings and self.findings[0].kind == NOT_IMPLEMENTED:
            return "NOT DONE"
        return {True: "ok", False: "WRONG", None: "cannot check"}[self.ok]

    def summary(self) -> str:
        """The first finding in one line: kind and message."""
        if not self.findings:
            return "" if self.ok else f"needs {self.config}"
        first = self.findings[0]
        return f"[{first.kind}] {first.message}"

    def __repr__(self) -> str:
        return f"Result({self.name!r}, {self.verdict}, {[f.kind for f in self.findings]})"


class Exercise(NamedTuple):
    """name, course (where it comes from), parameters (the names of its leading positional
    parameters, as the notebook writes them), check(functions, seed) -> Result,
    partner: the learner's function a backward is checked with (its forward), if any, and
    for a backward, gradients: the gradients it returns, as the notebook names them (the
    keys of its dict, or the elements of its tuple in order); a dict without one of them is
    a ``missing_gradient`` finding."""

    name: str
    course: str
    parameters: tuple[str, ...]
    check: Callable[..., Result]
    partner: str | None = None
    gradients: tuple[str, ...] = ()

    def named_like(self, function: object) -> bool:
        """Whether the function's leading parameters have the notebook's names."""
        code = getattr(function, "__code__", None)
        names = code.co_varnames[:code.co_argcount] if code else ()
        return tuple(names[:len(self.parameters)]) == self.parameters

    def matches(self, function: object) -> bool:
        """Whether the learner's function has this exercise's signature (its leading
        positional parameter names, or at least their number when the names differ)."""
        code = getattr(function, "__code__", None)
        if code is None:
            return False
        names = code.co_varnames[:code.co_argcount]
        defaults = len(getattr(function, "__defaults__", None) or ())
        if tuple(names[:len(self.parameters)]) == self.parameters:
            return True
        required = code.co_argcount - defaults
        return required <= len(self.parameters) <= code.co_argcount


def where(function: Any, error: BaseException | None = None,
          findings: Iterable[Finding] = ()) -> tuple[str | None, int | None]:
    """(file, line) to look at: the learner's line that raised; else the last line that
    assigns the first wrong gradient (db = ..., dW[...] += ...); else the function's def."""
    if error is not None:
        frame = learner_frame(error)
        if frame:
            return frame.filename, frame.lineno
    code = getattr(function, "__code__", None)
    if code is None:
        return None, None
    for finding in findings:
        for variable in ("d" + finding.param, finding.param) if finding.param else ():
            line = _assignment_line(function, variable)
            if line:
                return code.co_filename, line
    return code.co_filename, code.co_firstlineno


def _assignment_line(function: Callable[..., Any], variable: str) -> int | None:
    """The number of the last line of function's source that assigns ``variable`` (also
    by +=, or into a slice of it), or None."""
    try:
        lines, first = source_lines(function)
    except (OSError, TypeError, SyntaxError):
        return None
    pattern = re.compile(rf"^\s*{re.escape(variable)}\s*(\[[^\]]*\])?\s*[-+*/]?=(?!=)",
                         re.IGNORECASE)
    found = [first + i for i, line in enumerate(lines) if pattern.match(line)]
    return found[-1] if found else None


def _as_tuple(value: Any, count: int) -> tuple[Any, ...]:
    if isinstance(value, tuple):
        return value[:count]
    return (value,)


def tolerance(got: Any) -> tuple[float, float]:
    """(rtol, atol relative to the largest entry) for comparing the learner's output
    ``got`` with a float64 reference, in the precision ``got`` is computed in: float64's
    rounding, or 1e4·u of float32 (1.2e-3) and float16 for code that computes in them, so
    that correct float32 code is not called wrong."""
    dtype = getattr(got, "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        u = float(np.finfo(dtype).eps)
        return 1e4 * u, 1e3 * u
    return 1e-6, 1e-9


def close(got: Any, expected: Any) -> bool:
    """Same shape and equal up to the rounding of the precision ``got`` is computed in
    (float64: relative 1e-6 of the largest entry; see ``tolerance``); a one-element array
    is close to a scalar of its value. A dict (the courses'
    ``parameters``, ``grads``, ``v``, a cache) is close when it has the expected keys, and
    maybe more, and each of their values is close."""
    if isinstance(expected, dict):  # extra entries (the cache's X, a grads' dZ1) are fine
        return isinstance(got, dict) and set(got) >= set(expected) and all(
            close(got[k], v) for k, v in expected.items())
    if isinstance(got, dict):
        return False
    rtol, atol = tolerance(got)
    try:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):  # None, a string, a ragged list: not the output
        return False
    if expected.shape == () and got.size == 1:
        # a scalar (a cost, conv_single_step's Z) as a one-element array: np.dot's (1, 1)
        # cost, or Z + b with b of shape (1, 1, 1), as the older notebooks printed them
        got = got.reshape(())
    if got.shape != expected.shape:
        return False
    scale = max(float(np.max(np.abs(expected[np.isfinite(expected)]), initial=0)), 1e-12)
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol * scale, equal_nan=True))


def _digits(got: float, expected: float) -> tuple[str, str]:
    """got and expected with as many significant digits as it takes to tell them apart."""
    for digits in (6, 9, 12, 17):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            return a, b
    return a, b


def difference(got: Any, expected: Any, what: str) -> str:
    """One sentence on how ``got`` differs from ``expected`` (arrays, numbers or dicts of
    them): the shape, the missing keys, or the entry that differs most."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{what} is a {type(got).__name__}, expected a dict with keys " \
                f"{', '.join(expected)}"
        missing = [k for k in expected if k not in got]
        if missing:
            return (f"{what} has the keys {', '.join(map(str, got)) or 'none'}, expected "
                    f"{', '.join(expected)}")
        key = next(k for k, v in expected.items() if not close(got[k], v))
        return difference(got[key], expected[key], f"{what}[{key!r}]")
    dtype = getattr(got, "dtype", np.dtype(float))
    said = (f" (compared in {dtype}, the precision it computes in)"
            if dtype.kind == "f" and dtype.itemsize < 8 else "")
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"{what} is {got!r}, not an array"
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        squeezed = got.squeeze().shape == expected.squeeze().shape and close(
            got.reshape(expected.shape) if got.size == expected.size else got, expected)
        return (f"{what} has shape {got.shape}, expected {expected.shape}" +
                (" (its values are right)" if squeezed else ""))
    if got.ndim == 0:
        return "{} is {} instead of {}{}".format(what, *_digits(float(got), float(expected)),
                                                 said)
    diff = np.abs(got - expected)
    diff[np.isnan(diff)] = np.inf
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    shown = _digits(float(got[worst]), float(expected[worst]))
    return (f"{what} differs from the reference at {list(map(int, worst))}: "
            f"{shown[0]} instead of {shown[1]}{said} "
            f"({int(np.sum(diff > 1e-9 * max(np.max(np.abs(expected), initial=0), 1e-12)))} of "
            f"{diff.size} entries differ)")


def check_forward(name: str, function: Callable[..., Any], configs: Iterable[Config],
                  reference: Callable[..., Any], mistakes: Iterable[Mistake] = (),
                  outputs: int = 1, names: Sequence[str] = ("out",), in_place: bool = False
                  ) -> tuple[list[Finding], str | None, Exception | None]:
    """Run function on every configuration and compare its first ``outputs`` outputs with
    reference(*args, **kwargs) (a tuple). Returns (findings, config label) for the first
    configuration that fails, or ([], None). in_place: the exercise may update its
    arguments (the courses' ``update_parameters`` writes into ``parameters``), so a changed
    argument is not a finding."""
    for config in configs:
        args, kwargs = config.fresh()
        try:
            returned = function(*args, **kwargs)
        except Exception as error:  # the learner's code
            return [exception_finding(name, error)], config.label, error
        if returned is None or (isinstance(returned, tuple) and returned and
                                all(r is None for r in returned[:outputs])):
            return [Finding(NOT_IMPLEMENTED, None, (
                f"{name} returned {'None' if returned is None else 'only None'} on "
                f"{config.label}: nothing is computed yet, or a return statement is "
                f"missing."))], config.label, None
        got = _as_tuple(returned, outputs)
        if len(got) < outputs:
            return [Finding(RETURNS, None, (
                f"{name} returned {len(got)} output(s) on {config.label}; the exercise "
                f"returns {outputs} ({', '.join(names[:outputs])}) first."))], \
                config.label, None
        unchanged = [_same(a, b) for a, b in zip(args, config.args)]
        expected = reference(*config.fresh()[0], **config.fresh()[1])
        if all_zero(got) and not all_zero(expected[:outputs]):
            return [Finding(NOT_IMPLEMENTED, None, (
                f"{name} returned only zeros on {config.label}, as the template does: "
                f"nothing is computed yet."))], config.label, None
        for i, (g, e) in enumerate(zip(got, expected)):
            if close(g, e):
                continue
            for mistake in mistakes:
                wrong = _as_tuple(mistake.output(*config.fresh()[0], **config.fresh()[1]),
                                  outputs)
                # a mistake that changes nothing on this configuration (no stride at
                # stride 1) cannot be what the learner did here
                if len(wrong) > i and close(g, wrong[i]) and not close(wrong[i], e):
                    return [Finding(mistake.kind, names[i], (
                        f"on {config.label}, {name}'s {names[i]} equals {mistake.message}"))], \
                        config.label, None
            return [Finding(FORWARD, names[i], (
                f"on {config.label}, {difference(g, e, name + ' ' + names[i])}. The "
                f"backward is checked against this forward, so fix it first."))], \
                config.label, None
        if not in_place and not all(unchanged):
            return [Finding(MUTATION, None, (
                f"on {config.label}, {name} changed its argument "
                f"{unchanged.index(False) + 1} in place; compute new arrays instead."))], \
                config.label, None
    return [], None, None


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(
            a, b, equal_nan=True)
    if isinstance(a, dict):
        # settings dicts may gain entries (bn_param's running statistics); the arrays they
        # held must stay as they were
        return isinstance(b, dict) and all(
            k in a and _same(a[k], v) for k, v in b.items() if isinstance(v, np.ndarray))
    return True


#: (course, exercise) -> a right function with that exercise's calling convention (the
#: course's caches, tuple or scalar returns), built on verigrad's own layers. When the
#: learner's function for that exercise is not right, the other exercises that call it
#: (linear_activation_forward calls linear_forward, pool_backward calls
#: create_mask_from_window) are checked again with this one in its place
#: (``isolation.check_isolated``), so that their verdict is their own. Topic modules fill it.
RIGHT_CALLEES: dict[tuple[str, str], Callable[..., Any]] = {}



def right_callee_key(function: object) -> tuple[str, str] | None:
    """The (course, exercise) under which ``function`` is a right callee, if it is one: the
    process that runs the learner's file has the same table and calls its own copy, so that
    a loop over thousands of windows does not call back across processes."""
    return next((key for key, right in RIGHT_CALLEES.items() if right is function), None)

def first_output(reference: Callable[..., tuple[Any, ...]]) -> Callable[..., Any]:
    """A reference that returns a 1-tuple (forward_exercise's convention) as the function
    the notebook calls, which returns the value itself."""
    def called(*args: Any, **kwargs: Any) -> Any:
        return reference(*args, **kwargs)[0]
    return called


@contextlib.contextmanager
def substituted(function: object, replacements: Mapping[str, Any],
                defaults: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Run with the names in ``replacements`` (name -> function) set in ``function``'s
    module namespace, and those in ``defaults`` set where the namespace lacks them, and the
    namespace restored after: an exercise that calls another one (optimize calls
    propagate, predict calls forward_propagation) is checked with a correct callee, so that
    its verdict is its own.

    The contract for a function that lives in another process (``remote.RemoteFunction``,
    the learner's function in ``verigrad check``): it has ``substitute_globals(replacements,
    defaults)``, a context manager that does this there (the replacements, functions of
    this process, are called back)."""
    remote = getattr(function, "substitute_globals", None)
    if remote is not None:
        with remote(replacements, defaults or {}):
            yield
        return
    namespace = getattr(function, "__globals__", {})
    added = {**{k: v for k, v in (defaults or {}).items() if k not in namespace},
             **replacements}
    saved = {k: namespace[k] for k in added if k in namespace}
    namespace.update(added)
    try:
        yield
    finally:
        for k in added:
            namespace.pop(k, None)
        namespace.update(saved)


def holds_global(function: object, name: str, value: object) -> bool:
    """Whether ``function``'s module namespace holds ``value`` under ``name`` (the
    learner's sequence backward calls their own cell backward). A function of another
    process answers through its ``holds_global(name, value)``."""
    remote = getattr(function, "holds_global", None)
    if remote is not None:
        return bool(remote(name, value))
    return getattr(function, "__globals__", {}).get(name) is value


def exception_finding(name: str, error: BaseException) -> Finding:
    diagnosis = exception_diagnosis(name, error)
    return Finding(EXCEPTION, None, diagnosis.head + ".")


def pair_problem(forward: Callable[..., tuple], backward: Callable[..., Any], config: Config,
                 seed: int | None = 0, factors: Mapping[str, float] | None = None,
                 columns: bool = False, gradients: Iterable[str] = ()
                 ) -> tuple[GradcheckReport, LayerProblem]:
    """(report, problem) of check_layer's check of one configuration; problem.analytic holds
    the learner's gradients (times factors) and problem.douts the upstream gradients.
    columns: the exercise keeps examples in columns (the course's dense layers), so the
    advice may give those formulas; gradients: the keys backward must return."""
    args, kwargs = config.fresh()
    return check_pair(forward, backward, args, kwargs, seed=seed, factors=factors, m=config.m,
                      columns=columns, expected=gradients)


def check_backward(name: str, backward: Callable[..., Any], forward: Callable[..., tuple],
                   configs: Iterable[Config], mistakes: Iterable[Mistake] = (),
                   factors: Callable[[Config], Mapping[str, float]] | None = None,
                   columns: bool = False, gradients: Iterable[str] = ()
                   ) -> tuple[list[Finding], str | None, GradcheckReport | None,
                              BaseException | None]:
    """Check backward against central differences of forward on every configuration, and
    name a known mistake the learner's gradients equal. factors(config) -> name -> number
    (the 1/m conventions). Returns (findings, config label, report, error) for the first
    configuration that fails, or ([], None, last report, None)."""
    report: GradcheckReport | None = None
    for config in configs:
        report, problem = pair_problem(forward, backward, config,
                                       factors=factors(config) if factors else None,
                                       columns=columns, gradients=gradients)
        if report.ok:
            continue
        if problem.error is not None:
            return report.findings, config.label, report, problem.error
        named: list[Finding] = []
        # the gradients central differences found wrong; a mistake whose gradients are all
        # right on this configuration (they equal the learner's, which agree with central
        # differences) changes nothing here, and is not named
        wrong_here = {row.name for row in report.params if not row.ok}
        for mistake in mistakes:
            args, kwargs = config.fresh()
            wrong = mistake.output(*args, douts=problem.douts, **kwargs)
            if wrong and wrong_here & set(wrong) and all(
                    n in problem.analytic and close(problem.analytic[n], value)
                    for n, value in wrong.items()):
                which = ", ".join("d" + n for n in wrong)
                named.append(Finding(mistake.kind, next(iter(wrong)), (
                    f"on {config.label}, {name}'s {which} equals {mistake.message}")))
                explained = set(wrong)
                break
        else:
            explained = set()
        # a named mistake replaces the gradient check's generic reading of the same gradient,
        # and a pattern (a mask, a factor) says more than "no simple pattern": it leads
        rest = sorted((f for f in report.findings if f.param not in explained),
                      key=lambda f: f.kind == MISMATCH)
        return named + rest, config.label, report, None
    return [], None, report, None


# ---- the registry helpers each topic module uses -----------------------------------------


def forward_exercise(name: str, course: str, parameters: Iterable[str],
                     configs: Callable[[int], Sequence[Config]], reference: Callable[..., Any],
                     mistakes: Iterable[Mistake] = (), outputs: int = 1,
                     names: Sequence[str] = ("out",), in_place: bool = False) -> Exercise:
    """An exercise whose function is a forward (or any function with a reference output:
    arrays, numbers, or dicts of them)."""

    def check(functions: Mapping[str, Any], seed: int = 0) -> Result:
        function = functions[name]
        findings, label, error = check_forward(name, function, configs(seed), reference,
                                               mistakes, outputs, names, in_place)
        ok = None if findings and findings[0].kind == EXCEPTION else not findings
        return Result(name, course, ok, findings, label, where(function, error, findings),
                      configs=len(configs(seed)))

    return Exercise(name, course, tuple(parameters), check)


def backward_exercise(name: str, course: str, parameters: Iterable[str], partner: str,
                      configs: Callable[[int], Sequence[Config]],
                      builder: Callable[..., tuple] | None = None,
                      mistakes: Iterable[Mistake] = (),
                      factors: Callable[[Config], Mapping[str, float]] | None = None,
                      explain: Callable[[Config, list[Finding], BaseException | None],
                                        Finding | None] | None = None,
                      columns: bool = False, *, gradients: Iterable[str]) -> Exercise:
    """An exercise whose function is a backward: checked with the learner's forward
    ``partner`` when they wrote one, else with ``builder`` (a forward made of references
    that returns the cache in the notebook's format); without either it cannot be
    checked (the cache's format is the learner's own). explain(config, findings, error) ->
    a Finding naming a mistake that shows as an exception or a shape, or None.
    gradients: what the backward returns, as the notebook names it (``("dxt", "da_prev",
    "dWax", "dWaa", "dba")``); every backward exercise declares it, so that a gradient a
    learner's dict leaves out is reported, never passed over."""

    def check(functions: Mapping[str, Any], seed: int = 0) -> Result:
        function = functions[name]
        forward = functions.get(partner, builder)
        if forward is None:
            return Result(name, course, None, [Finding(
                "missing", None, f"{name} is checked with your {partner}, which builds its "
                f"cache; define {partner} in the same file")], where=where(function))
        cases = configs(seed)
        findings, label, report, error = check_backward(name, function, forward, cases,
                                                        mistakes, factors, columns, gradients)
        if findings and explain:
            config = next(c for c in cases if c.label == label)
            named = explain(config, findings, error)
            if named:
                findings, error = [named, *findings], None
        return Result(name, course, None if error else not findings, findings, label,
                      where(function, error, findings), report, configs=len(cases))

    return Exercise(name, course, tuple(parameters), check, partner, tuple(gradients))


def check_gradients(name: str, course: str, function: Callable[..., Any],
                    cases: Sequence[Config],
                    problem: Callable[[Config], tuple[Callable[..., Any], Callable[..., Any],
                                                      dict[str, np.ndarray]]]) -> Result:
    """The Result of a function that returns the gradients of a cost (the courses' whole
    backprops: backward_propagation, propagate), checked with check_backprop on each
    configuration: problem(config) -> (cost(params), grads(params), params), where grads
    calls the learner's function."""
    for config in cases:
        cost, grads, params = problem(config)
        try:
            report = check_backprop(cost, grads, params)
        except Exception as error:  # the learner's code
            return Result(name, course, None, [exception_finding(name, error)], config.label,
                          where(function, error), configs=len(cases))
        if not report.ok:
            return Result(name, course, False, report.findings, config.label,
                          where(function, None, report.findings), report, len(cases))
    return Result(name, course, True, where=where(function), configs=len(cases))
