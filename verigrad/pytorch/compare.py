"""``cmp(name, dt, t)``: makemore's gradient comparison, with a verdict that names the bug.

    from verigrad import cmp
    cmp('counts', dcounts, counts)     # prints makemore's line, then verigrad's verdict
    r = cmp('W1', dW1, W1)             # r.ok, r.verdict, r.kind, r.message

t is a tensor whose ``.grad`` autograd filled (``t.retain_grad()`` before ``loss.backward()``
for a non-leaf), or the true gradient itself (``cmp(name, mine, truth)``, tensors or
arrays). The verdict is one of

    exact       dt equals t.grad bit for bit
    rounding    equal up to the rounding of t.grad's precision: the same sums in another
                order (floating-point addition is not associative), nothing to fix
    wrong       with a finding kind: scale (with its factor: n for a missing 1/n, (n−1)/n
                for Bessel's correction), sign, transpose, shape (equal only by
                broadcasting: which dimension), sum_axis, second_path (a tensor used twice
                whose two gradients were not added), accumulate (an index scatter with = where
                += belongs), tanh_derivative (tanh' computed from the pre-activation), mask,
                nan, mismatch
    unchecked   the input cannot be compared (no .grad, not numbers): the message says what
                it got

second_path, accumulate and tanh_derivative are read off autograd's graph (``graph.paths``),
which needs the graph alive and the loss known: ``cmp(..., loss=loss)`` after
``loss.backward(retain_graph=True)``, or everything inside ``graph.recording()`` (which
``verigrad check`` uses for a notebook). PyTorch is never imported here.

A verdict is made in two steps: ``gather`` reads the tensors (and the graph) into an
``Evidence`` of plain arrays and numbers, and ``decide`` judges that evidence with NumPy
alone. ``verigrad check`` on a notebook gathers in the notebook's process and decides in its
own (``Evidence.to_message``/``from_message``), so that the learner's code cannot decide it.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from ..arraylike import dtype_name, is_tensor, to_numpy
from ..gradcheck.findings import (
    MASK,
    MISMATCH,
    NAN,
    SCALE,
    SHAPE,
    SIGN,
    SUM_AXIS,
    TRANSPOSE,
)
from ..gradcheck.kinds import register_kind
from . import graph

#: (finding kind, message) of a wrong gradient
Diagnosis = tuple[str, str]

#: a tensor used by two operations whose gradients were not both added
SECOND_PATH = register_kind(
    "second_path", "a tensor used twice in the forward pass gets only the gradient of some of "
    "its uses (read off autograd's graph)", "the line that forms its gradient: the other "
    "use's share is added to it", origin="pytorch")
#: an index scatter that assigns where it must add (the exercises' registered kind)
ACCUMULATE = "accumulate"
#: tanh's derivative 1 − x² taken of the pre-activation (the exercises' registered kind)
TANH_DERIVATIVE = "tanh_derivative"

EXACT, ROUNDING, WRONG, UNCHECKED = "exact", "rounding", "wrong", "unchecked"

# Rounding: a correct gradient computed in another order differs from autograd's by a few
# units in the last place (ulp) of its largest entry; 256 ulp leaves room for the sums of a
# batch, while a real mistake (1/n, Bessel, a missing term) moves it by 1e-3 and more.
ROUNDING_ULPS = 256
# Patterns (a factor, the other path) are accepted to this many ulp of the largest entry.
PATTERN_ULPS = 2048


@dataclass(frozen=True)
class CmpResult:
    """The verdict on one gradient.

    name: as given; ok: exact or rounding; verdict: exact, rounding, wrong or unchecked;
    kind: the finding kind when wrong (a str: scale, sign, ...), else None; message: what it
    means, for the learner; exact, approximate, maxdiff: makemore's three numbers (maxdiff
    is nan where the shapes do not broadcast); line: makemore's printed line.
    """

    name: str
    ok: bool
    verdict: str
    kind: str | None
    message: str
    exact: bool
    approximate: bool
    maxdiff: float
    line: str

    def __str__(self) -> str:
        return f"{self.line}\n{'':15s} | verigrad: {self.summary}"

    @property
    def summary(self) -> str:
        """The verdict and kind in one line: ``wrong [scale]: ...``."""
        tag = f"{self.verdict} [{self.kind}]" if self.kind else self.verdict
        return f"{tag}: {self.message}"


def cmp(name: str, dt: Any, t: Any, *, loss: Any = None, show: bool = True) -> CmpResult:
    """Compare the learner's gradient ``dt`` with ``t.grad`` (or with ``t`` itself when it
    is not a tensor with a gradient), print makemore's line and verigrad's verdict (unless
    show=False) and return the ``CmpResult``. Never raises on odd input: a tensor without
    .grad, a NumPy array, a list, another dtype or shape is reported in the message.

    loss: the tensor ``backward()`` was called on, so that the graph can name a missing
    second path (needs ``retain_graph=True``); inside ``graph.recording()`` the last loss
    is used.
    """
    result = judge(str(name), dt, t, loss=loss)
    if show:
        print(result)
    return result


def judge(name: str, dt: Any, t: Any, *, loss: Any = None) -> CmpResult:
    """``cmp`` without the printing: ``decide(gather(name, dt, t, loss=loss))``."""
    return decide(gather(name, dt, t, loss=loss))


# ---- the evidence: plain values, gathered where the tensors live ---------------------------


@dataclass(frozen=True)
class Described:
    """A value in words: its type, and its shape and dtype when it has them."""

    kind: str
    shape: tuple[int, ...] | None = None
    dtype: str | None = None

    @staticmethod
    def of(value: Any) -> Described:
        if is_tensor(value) or isinstance(value, np.ndarray):
            return Described(type(value).__name__, tuple(int(s) for s in value.shape),
                             dtype_name(value))
        return Described(type(value).__name__)

    def __str__(self) -> str:
        if self.shape is not None:
            return f"a {self.kind} of shape {self.shape} and {self.dtype}"
        return f"{'an' if self.kind[:1] in tuple('aeiou') else 'a'} {self.kind}"


#: why a comparison cannot be made (``Unusable.reason``)
NO_GRAD, NO_REQUIRES_GRAD, IS_NONE, NOT_NUMBERS, NOT_NUMBER_DTYPE, FAILED = (
    "no_grad", "no_requires_grad", "none", "not_numbers", "not_number_dtype", "failed")


@dataclass(frozen=True)
class Unusable:
    """Why dt and t cannot be compared, as facts: ``reason``, the input it is about
    (``what``: dt, t or t.grad; for no_grad, whether t is a leaf), the values described,
    and a ``detail`` (a dtype, an error's text). ``message(name)`` words it."""

    reason: str
    what: str = ""
    value: Described | None = None
    other: Described | None = None
    detail: str = ""

    def message(self, name: str) -> str:
        if self.reason == NO_GRAD:
            how = ("was loss.backward() called, and does the loss depend on it?"
                   if self.what == "leaf" else "call t.retain_grad() before loss.backward(): "
                   "autograd keeps the .grad of leaf tensors only")
            return f"{name}.grad is None, so there is nothing to compare with: {how}"
        if self.reason == NO_REQUIRES_GRAD:
            return (f"t is a tensor that does not require grad ({self.value}), so it has no "
                    f".grad: pass the tensor of the forward pass (requires_grad=True) or the "
                    f"true gradient itself")
        if self.reason == IS_NONE:
            return f"{self.what} is None"
        if self.reason == NOT_NUMBERS:
            return f"{self.what} is {self.value}, not numbers ({self.detail})"
        if self.reason == NOT_NUMBER_DTYPE:
            return f"{self.what} is {self.value} (dtype {self.detail}), not numbers"
        return (f"verigrad could not compare them ({self.detail}); dt is {self.value}, t is "
                f"{self.other}")


def _failed(error: Exception, dt: Described | None, t: Described | None) -> Unusable:
    return Unusable(FAILED, value=dt, other=t, detail=f"{type(error).__name__}: {error}")


@dataclass
class Evidence:
    """Everything the verdict on one comparison is decided from, as plain values (NumPy
    arrays, numbers and words), so that it can be decided in another process than the one
    that ran the learner's code (``verigrad check`` on a notebook: ``to_message``).

    dt, truth: the learner's gradient and the true one (t.grad, or t itself), as arrays;
    unusable: why they cannot be compared instead; dtypes: dt's and t.grad's tensor dtypes
    where they differ; tensor, leaf: t is a tensor, one with no grad_fn; uses: each use of t
    in the graph (``graph.paths``), upstream: the largest gradient reaching them, values: t
    itself (for tanh's derivative) -- gathered only when dt is not autograd's up to rounding.
    """

    name: str
    dt: np.ndarray | None = None
    truth: np.ndarray | None = None
    unusable: Unusable | None = None
    dtypes: tuple[str, str] | None = None
    tensor: bool = False
    leaf: bool = False
    uses: list[graph.Path] | None = None
    upstream: float = 0.0
    values: np.ndarray | None = None

    def to_message(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """(header, arrays) for ``wire.send``: JSON-ready values and the arrays in order."""
        arrays: list[np.ndarray] = []

        def put(array: np.ndarray | None) -> bool:
            if array is not None:
                arrays.append(np.asarray(array))
            return array is not None

        header: dict[str, Any] = {
            "name": self.name, "dt": put(self.dt), "truth": put(self.truth),
            "values": put(self.values), "dtypes": self.dtypes, "tensor": self.tensor,
            "leaf": self.leaf, "upstream": self.upstream,
            "unusable": None if self.unusable is None else {
                "reason": self.unusable.reason, "what": self.unusable.what,
                "detail": self.unusable.detail,
                "value": _described_json(self.unusable.value),
                "other": _described_json(self.unusable.other)}}
        if self.uses is not None:
            header["uses"] = [{"op": u.op, "share": put(u.share), "upstream": put(u.upstream),
                               "hits": put(u.index_hits)} for u in self.uses]
        return header, arrays

    @staticmethod
    def from_message(header: object, arrays: list[np.ndarray]) -> Evidence:
        """The Evidence that ``to_message`` wrote; ValueError on anything else (a message
        written by something other than ``to_message``)."""
        sent = iter(arrays)

        def take(flag: object) -> np.ndarray | None:
            if not isinstance(flag, bool):
                raise ValueError(f"an array flag {flag!r}")
            if not flag:
                return None
            array = next(sent, None)
            if array is None:
                raise ValueError("fewer arrays than the header says")
            return array

        if not isinstance(header, dict):
            raise ValueError("evidence that is not an object")
        unusable = header.get("unusable")
        uses = header.get("uses")
        dtypes = header.get("dtypes")
        upstream = header.get("upstream", 0.0)
        if not isinstance(upstream, (int, float)) or not np.isfinite(upstream):
            raise ValueError(f"an upstream magnitude {upstream!r}")
        evidence = Evidence(
            one_line(header.get("name")), take(header.get("dt")), take(header.get("truth")),
            None if unusable is None else _unusable_of(unusable),
            None if dtypes is None else (one_line(dtypes[0]), one_line(dtypes[1]))
            if isinstance(dtypes, list) and len(dtypes) == 2 else _bad("dtypes", dtypes),
            header.get("tensor") is True, header.get("leaf") is True,
            None, max(float(upstream), 0.0), take(header.get("values")))
        if uses is not None:
            if not isinstance(uses, list):
                raise ValueError(f"uses {uses!r}")
            evidence.uses = []
            for use in uses:
                if not isinstance(use, dict):
                    raise ValueError(f"a use {use!r}")
                share = take(use.get("share"))
                if share is None:
                    raise ValueError("a use without its share")
                evidence.uses.append(graph.Path(one_line(use.get("op")), share.astype(np.float64),
                                                take(use.get("upstream")),
                                                take(use.get("hits"))))
        if next(sent, None) is not None:
            raise ValueError("more arrays than the header says")
        return evidence


def _bad(what: str, value: object) -> Any:
    raise ValueError(f"{what} {value!r}")


def one_line(text: object, limit: int = 200) -> str:
    """A text sent by another process, on one line and at most ``limit`` characters, so
    that it cannot pass for lines of the report it is shown in; ValueError if not a str."""
    if not isinstance(text, str):
        raise ValueError(f"a text that is {type(text).__name__}")
    return "".join(c if c.isprintable() else " " for c in text)[:limit]


def _described_json(value: Described | None) -> dict[str, Any] | None:
    return None if value is None else {"kind": value.kind, "shape": value.shape,
                                       "dtype": value.dtype}


def _described_of(value: object) -> Described | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"a description {value!r}")
    shape = value.get("shape")
    if shape is not None and not (isinstance(shape, list) and all(
            isinstance(s, int) for s in shape)):
        raise ValueError(f"a shape {shape!r}")
    dtype = value.get("dtype")
    return Described(one_line(value.get("kind")), None if shape is None else tuple(shape),
                     None if dtype is None else one_line(dtype))


def _unusable_of(value: object) -> Unusable:
    if not isinstance(value, dict) or value.get("reason") not in (
            NO_GRAD, NO_REQUIRES_GRAD, IS_NONE, NOT_NUMBERS, NOT_NUMBER_DTYPE, FAILED):
        raise ValueError(f"a reason {value!r}")
    return Unusable(value["reason"], one_line(value.get("what", "")),
                    _described_of(value.get("value")), _described_of(value.get("other")),
                    one_line(value.get("detail", ""), 400))


def _numbers(value: Any, what: str) -> np.ndarray | Unusable:
    """value as a NumPy array of numbers, or the reason it is not one."""
    if value is None:
        return Unusable(IS_NONE, what)
    try:
        array = to_numpy(value)
    except Exception as error:
        return Unusable(NOT_NUMBERS, what, Described.of(value), detail=str(error))
    if array.dtype.kind not in "fiub":
        return Unusable(NOT_NUMBER_DTYPE, what, Described.of(value), detail=str(array.dtype))
    return array


def _precision(*arrays: np.ndarray) -> np.dtype:
    """The coarsest floating precision among the arrays (float64 when none is float)."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return min(floats, key=lambda d: np.finfo(d).bits) if floats else np.dtype(np.float64)


def gather(name: str, dt: Any, t: Any, *, loss: Any = None) -> Evidence:
    """The ``Evidence`` on ``cmp(name, dt, t)``, read where the tensors live (autograd's
    graph included: ``loss`` as in ``cmp``). Decides nothing; never raises (an input it
    cannot read is evidence too)."""
    try:
        return _gather(name, dt, t, loss)
    except Exception as error:  # a learner's input verigrad did not foresee: say so
        return Evidence(name, unusable=_failed(error, Described.of(dt), Described.of(t)))


def _gather(name: str, dt: Any, t: Any, loss: Any) -> Evidence:
    if is_tensor(t) and (t.grad is not None or t.requires_grad):
        truth = t.grad
        if truth is None:
            return Evidence(name, unusable=Unusable(
                NO_GRAD, "non-leaf" if t.grad_fn is not None else "leaf"))
    elif is_tensor(t) and not t.is_floating_point():
        return Evidence(name, unusable=Unusable(NO_REQUIRES_GRAD, value=Described.of(t)))
    else:  # the true gradient itself: cmp(name, mine, truth)
        truth = t
    a = _numbers(dt, "dt")
    g = _numbers(truth, "t.grad" if is_tensor(t) else "t")
    for problem in (a, g):
        if isinstance(problem, Unusable):
            return Evidence(name, unusable=problem)
    assert isinstance(a, np.ndarray) and isinstance(g, np.ndarray)
    evidence = Evidence(name, a, g, tensor=is_tensor(t),
                        leaf=is_tensor(t) and t.grad_fn is None)
    if is_tensor(dt) and is_tensor(truth) and dt.dtype != truth.dtype:
        evidence.dtypes = (str(dt.dtype), str(truth.dtype))
    if not is_tensor(t):
        return evidence
    if t.requires_grad:
        graph.remember(t)
    # the graph is asked only about a gradient that is not autograd's up to rounding
    context = _Context(name, a.astype(np.float64), g.astype(np.float64), _precision(a, g),
                       evidence)
    if a.size == g.size and not context.rounding(context.a.reshape(g.shape)):
        whose = loss if loss is not None else graph.last_loss()
        evidence.uses = graph.paths(whose, t)
        evidence.upstream = graph.upstream_magnitude(t, whose, evidence.uses)
        if evidence.uses and any(u.op.startswith("TanhBackward") for u in evidence.uses):
            evidence.values = to_numpy(t)
    return evidence


# ---- the verdict: decided from the evidence alone ------------------------------------------


def decide(evidence: Evidence) -> CmpResult:
    """The verdict on the comparison that ``evidence`` describes. Runs no learner's code
    and reads no tensor: NumPy on the evidence's values."""
    try:
        return _decide(evidence)
    except Exception as error:  # evidence verigrad did not foresee: say so
        dt = None if evidence.dt is None else Described.of(evidence.dt)
        truth = None if evidence.truth is None else Described.of(evidence.truth)
        return _unchecked(evidence.name, _failed(error, dt, truth).message(evidence.name))


def _unchecked(name: str, message: str) -> CmpResult:
    line = f"{name:15s} | exact: {'False':5s} | approximate: {'False':5s} | maxdiff: nan"
    return CmpResult(name, False, UNCHECKED, None, message, False, False, float("nan"), line)


def _decide(e: Evidence) -> CmpResult:
    name, a, g = e.name, e.dt, e.truth
    if e.unusable is not None or a is None or g is None:
        reason = e.unusable or Unusable(IS_NONE, "dt" if a is None else "t")
        return _unchecked(name, reason.message(name))
    for what, array in (("dt", a), ("t", g)):
        if array.dtype.kind not in "fiub":
            return _unchecked(name, Unusable(NOT_NUMBER_DTYPE, what, Described.of(array),
                                             detail=str(array.dtype)).message(name))
    precision = _precision(a, g)
    a64, g64 = a.astype(np.float64), g.astype(np.float64)
    notes: list[str] = []
    if e.dtypes is not None:
        notes.append(f"dt is {e.dtypes[0]} and t.grad {e.dtypes[1]}: makemore's cmp would "
                     f"stop at torch.allclose; compared at {precision}'s precision")
    try:
        both = np.broadcast_arrays(a, g)
    except ValueError:
        both = None
    if both is not None:
        exact = bool(np.all(both[0] == both[1]))
        approximate = bool(np.allclose(both[0], both[1], rtol=1e-5, atol=1e-8))
        diff = np.abs(both[0] - both[1])
        maxdiff = float(np.max(diff)) if diff.size else 0.0
    else:
        exact = approximate = False
        maxdiff = float("nan")
    line = (f"{name:15s} | exact: {str(exact):5s} | approximate: {str(approximate):5s} | "
            f"maxdiff: {maxdiff}")
    context = _Context(name, a64, g64, precision, e)
    kind: str | None
    if a.shape != g.shape:
        verdict = WRONG
        kind, message = _shape(context)
    else:
        verdict, kind, message = _values(context)
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    return CmpResult(name, verdict in (EXACT, ROUNDING), verdict, kind, message, exact,
                     approximate, maxdiff, line)


@dataclass
class _Context:
    name: str
    a: np.ndarray
    g: np.ndarray
    precision: np.dtype
    e: Evidence

    upstream: float = 0.0

    @property
    def ulp(self) -> float:
        """One unit in the last place of the largest true entry (or of the largest gradient
        that reached the operations using t, whose sum may cancel), in the coarsest
        precision."""
        return float(np.finfo(self.precision).eps) * max(
            float(np.max(np.abs(self.g), initial=0)), self.upstream)

    def close(self, x: np.ndarray, y: np.ndarray, ulps: float = PATTERN_ULPS) -> bool:
        return x.shape == y.shape and bool(np.all(np.abs(x - y) <= ulps * self.ulp))

    def rounding(self, x: np.ndarray) -> bool:
        return self.close(x, self.g, ROUNDING_ULPS)


# ---- shapes ----------------------------------------------------------------------------------


def _shape(c: _Context) -> Diagnosis:
    a, g, name = c.a, c.g, c.name
    got = f"dt has shape {tuple(a.shape)} but {name} has shape {tuple(g.shape)}"
    if a.size == 1 and g.size > 1 and c.close(a.reshape(()), np.array(g.sum())):
        return SUM_AXIS, (f"{got}: dt is one number, the total of the true gradient over "
                          f"every entry: the sum that forms it has no dim, so it adds over "
                          f"every axis; look at the dim of that sum")
    if a.size == g.size and np.squeeze(a).shape == np.squeeze(g).shape:
        missing = [i for i, s in enumerate(g.shape) if s == 1] if a.ndim < g.ndim else []
        extra = [i for i, s in enumerate(a.shape) if s == 1] if a.ndim > g.ndim else []
        if missing:
            how = (f"dimension {missing[0]} (of size 1) is missing: the sum that forms it "
                   f"dropped the dimension it summed (keepdim=True forgotten)")
        elif extra:
            how = (f"it has an extra dimension {extra[0]} of size 1: keepdim=True where "
                   f"{name} has no such dimension")
        else:
            how = "the size-1 dimensions are in other places"
        verdict, _, said = _values(_reshaped(c))
        values = ("Its values are right" if verdict in (EXACT, ROUNDING) else
                  "Its values are wrong as well: " + said)
        return SHAPE, (f"{got}: only broadcasting makes them comparable; {how}. {values}")
    if a.ndim == 2 and a.shape == g.shape[::-1]:
        if c.rounding(a.T):
            return TRANSPOSE, (f"{got}: dt is the transpose of the true gradient: the matrix "
                               f"product that forms it has its factors in the wrong order or "
                               f"one of them transposed")
    try:
        full = np.broadcast_shapes(a.shape, g.shape)
    except ValueError:
        full = None
    if full is not None and full == a.shape and a.size > g.size:
        # dt kept a dimension the forward broadcast t across: the gradient adds over it
        lead = a.ndim - g.ndim
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(g.shape)
                                          if s == 1 and a.shape[i + lead] != 1)
        summed = a.sum(axis=axes).reshape(g.shape)
        tail = (" Summed over it, dt would be right." if c.rounding(summed) else "")
        return SHAPE, (f"{got}: not summed over dimension{'s' if len(axes) > 1 else ''} "
                       f"{', '.join(map(str, axes))}: the forward broadcast {name} across "
                       f"{'them' if len(axes) > 1 else 'it'}, so its gradient adds up over "
                       f"{'them' if len(axes) > 1 else 'it'}.{tail}")
    if full is not None and a.ndim == g.ndim:
        wrong = [i for i in range(a.ndim) if a.shape[i] == 1 and g.shape[i] != 1]
        right = [i for i in range(a.ndim) if g.shape[i] == 1 and a.shape[i] != 1]
        if wrong and right:
            return SHAPE, (f"{got}: equal only by broadcasting to {tuple(full)}; summed over "
                           f"dimension {wrong[0]} where it should sum over dimension "
                           f"{right[0]}")
    return SHAPE, f"{got}: a gradient has the shape of its tensor"


def _reshaped(c: _Context) -> _Context:
    return _Context(c.name, c.a.reshape(c.g.shape), c.g, c.precision, c.e, c.upstream)


# ---- values --------------------------------------------------------------------------------


def _values(c: _Context) -> tuple[str, str | None, str]:
    a, g = c.a, c.g
    if not np.isfinite(a).all():
        return WRONG, NAN, (f"dt has {int(np.sum(~np.isfinite(a)))} NaN or inf entries: a "
                            f"division by 0, a log of 0 or an overflow in its formula")
    if np.array_equal(a, g):
        return EXACT, None, "bit for bit autograd's gradient"
    if not np.isfinite(g).all():
        return WRONG, NAN, "the true gradient itself has NaN or inf entries"
    if not c.rounding(a) and c.e.tensor:
        # a sum that cancels (b1 before batch norm) rounds at the size of its terms
        c.upstream = c.e.upstream
    if c.rounding(a):
        ulps = float(np.max(np.abs(a - g))) / c.ulp if c.ulp else 0.0
        of = ("the largest gradient reaching the operations that use it (its terms cancel)"
              if c.upstream else "the largest entry")
        return ROUNDING, None, (
            f"right up to {c.precision} rounding: maxdiff is {ulps:.1f} units in the last "
            f"place of {of}. The formula adds the same terms in another order "
            f"than autograd (or fuses steps it keeps apart), and floating-point addition is "
            f"not associative, so the last bits differ. Nothing to fix")
    if not np.any(a):
        return WRONG, MISMATCH, ("dt is zero everywhere but the true gradient is not: it is "
                                 "never computed, or its result not kept")
    for found in (_graph_evidence, _factor, _transpose, _sum_axis, _rows, _mask):
        diagnosis = found(c)
        if diagnosis:
            return (WRONG, *diagnosis)
    return WRONG, MISMATCH, _mismatch(c)


def _graph_evidence(c: _Context) -> Diagnosis | None:
    """second_path, tanh_derivative and accumulate, read off the autograd graph."""
    uses = c.e.uses
    if not uses or not all(u.share.shape == c.g.shape for u in uses):
        return None
    a, name = c.a, c.name
    if len(uses) >= 2:
        for size in range(1, len(uses)):
            for kept in combinations(range(len(uses)), size):
                if c.close(a, sum((uses[i].share for i in kept), np.zeros_like(a))):
                    lost = [uses[i].op for i in range(len(uses)) if i not in kept]
                    return SECOND_PATH, (
                        f"{name} is used by {len(uses)} operations of the forward pass "
                        f"({', '.join(u.op for u in uses)}) and dt equals the gradient through "
                        f"{', '.join(uses[i].op for i in kept)} only: the one through "
                        f"{', '.join(lost)} is missing. A tensor used twice gets the sum of "
                        f"the gradients of its uses: add the other path's (+=)")
    for i, use in enumerate(uses):
        others = sum((u.share for j, u in enumerate(uses) if j != i), np.zeros_like(a))
        if (use.op.startswith("TanhBackward") and use.upstream is not None
                and c.e.values is not None and c.e.values.shape == a.shape):
            x = c.e.values.astype(np.float64)
            if c.close(a, (1 - x ** 2) * use.upstream + others):
                return TANH_DERIVATIVE, (
                    f"dt equals (1 − {name}²)·dout: tanh's derivative taken of the "
                    f"pre-activation {name}; it is 1 − tanh(x)², computed from tanh's output")
        if use.index_hits is not None and a.ndim >= 1:
            hits = use.index_hits
            agree = np.array([c.close(a[r], c.g[r]) for r in range(a.shape[0])])
            if np.all(agree[hits <= 1]) and not np.all(agree[hits > 1]):
                differ = int(np.sum(~agree))
                return ACCUMULATE, (
                    f"dt is right on the {int(np.sum(hits == 1))} rows of {name} that the "
                    f"indices read once and wrong on {differ} of the {int(np.sum(hits > 1))} "
                    f"rows they read more than once: an assignment (dC[ix] = ...) keeps the "
                    f"last contribution of a repeated row where += adds them all")
    return None


def _factor(c: _Context) -> Diagnosis | None:
    a, g = c.a, c.g
    scale = float(np.vdot(a, g) / np.vdot(g, g))
    if not c.close(a, scale * g):
        return None
    if abs(scale + 1) < 1e-3:
        return SIGN, ("dt is minus the true gradient on every entry: a sign is reversed in "
                      "its formula or in one it builds on (a −1/n, the − of a difference)")
    return SCALE, f"dt is {scale:.6g} × the true gradient on every entry{_factor_why(scale, c)}"


def _near(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-4 * abs(y)


def _factor_why(factor: float, c: _Context) -> str:
    dims = set(c.g.shape)
    whole = round(factor)
    if whole >= 3 and _near(factor, whole):
        which = f"n = {whole}" + (f", a size of {c.name}" if whole in dims else "")
        return (f": a whole number; with {which}, a 1/n is missing (the loss is a mean over the n "
                f"examples of the batch, so its gradients carry a 1/n)")
    if 0.5 < factor < 1 and _near(1 / (1 - factor), round(1 / (1 - factor))):
        n = round(1 / (1 - factor))
        return (f": (n−1)/n with n = {n}, Bessel's correction: the forward divides by n−1 "
                f"(an unbiased variance) and the gradient by n. Use the forward's divisor")
    if 1 < factor < 2 and _near(1 / (factor - 1), round(1 / (factor - 1))):
        n = round(1 / (factor - 1)) + 1
        return (f": n/(n−1) with n = {n}: the gradient divides by n−1 where the forward "
                f"divides by n (Bessel's correction where there is none)")
    inverse = round(1 / factor) if factor else 0
    if inverse >= 3 and _near(1 / factor, inverse):
        return f": 1/{inverse}: a 1/n applied twice, or where none belongs (n = {inverse}?)"
    if _near(factor, 2) or _near(factor, 0.5):
        return (": a factor of 2: the 2 of a square's derivative (d(x²)/dx = 2x) missing or "
                "doubled, or a ½")
    return ": a constant factor too many or missing in its formula"


def _transpose(c: _Context) -> Diagnosis | None:
    a, g = c.a, c.g
    if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and c.close(a.T, g):
        return TRANSPOSE, (f"dt equals the transpose of the true gradient; {c.name} is square, "
                           f"so the shapes could not reveal it: the matrix product that forms "
                           f"it has its factors in the wrong order")
    return None


def _sum_axis(c: _Context) -> Diagnosis | None:
    a, g = c.a, c.g
    if a.size > 1 and np.all(a == a.reshape(-1)[0]) and c.close(np.array(a.reshape(-1)[0]),
                                                                np.array(g.sum())):
        return SUM_AXIS, ("every entry of dt is the total of the true gradient: the sum that "
                          "forms it adds over every dimension; look at its dim")
    return None


def _rows(c: _Context) -> Diagnosis | None:
    """Whole rows right and whole rows wrong of a table read by index: the scatter's
    signature, when the graph cannot give the indices."""
    a, g = c.a, c.g
    if a.ndim != 2 or not c.e.leaf:
        return None
    agree = np.array([c.close(a[r], g[r]) for r in range(a.shape[0])])
    used = np.any(g != 0, axis=1)
    if np.sum(agree & used) >= 2 and np.any(~agree) and np.all(agree[~used]):
        return ACCUMULATE, (
            f"dt is right on {int(np.sum(agree & used))} rows of {c.name} and wrong on "
            f"{int(np.sum(~agree))}: if those are the rows that the indices read more than "
            f"once, an assignment (dC[ix] = ...) kept one contribution where += adds them all")
    return None


def _mask(c: _Context) -> Diagnosis | None:
    a, g = c.a, c.g
    zero_a, zero_g = a == 0, g == 0
    agree = np.abs(a - g) <= PATTERN_ULPS * c.ulp
    if np.all(agree | (zero_a & ~zero_g)) and np.any(zero_a & ~zero_g) and np.any(~zero_a):
        return MASK, (f"dt is zero on {int(np.sum(zero_a & ~zero_g))} entries where the true "
                      f"gradient is not and right on the others: a mask (a derivative that is "
                      f"0 or 1) taken from the wrong tensor")
    return None


def _mismatch(c: _Context) -> str:
    a, g = c.a, c.g
    worst = np.unravel_index(int(np.argmax(np.abs(a - g))), a.shape)
    rel = float(np.linalg.norm(a - g) / (np.linalg.norm(a) + np.linalg.norm(g)))
    return (f"relative error {rel:.2g}; worst at {[int(i) for i in worst]}: dt "
            f"{a[worst]:.4g} vs {g[worst]:.4g}: no simple pattern (not a factor, a sign, a "
            f"transpose, a missing path); a wrong formula here, or a wrong gradient it builds on")
