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
    """``cmp`` without the printing."""
    try:
        return _judge(name, dt, t, loss)
    except Exception as error:  # a learner's input verigrad did not foresee: say so
        return _unchecked(name, f"verigrad could not compare them ({type(error).__name__}: "
                                f"{error}); dt is {_described(dt)}, t is {_described(t)}")


def _described(value: Any) -> str:
    if is_tensor(value) or isinstance(value, np.ndarray):
        return f"a {type(value).__name__} of shape {tuple(value.shape)} and {dtype_name(value)}"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _unchecked(name: str, message: str) -> CmpResult:
    line = f"{name:15s} | exact: {'False':5s} | approximate: {'False':5s} | maxdiff: nan"
    return CmpResult(name, False, UNCHECKED, None, message, False, False, float("nan"), line)


def _numbers(value: Any, what: str) -> np.ndarray | str:
    """value as a NumPy array of numbers, or the reason (a str) it is not one."""
    if value is None:
        return f"{what} is None"
    try:
        array = to_numpy(value)
    except Exception as error:
        return f"{what} is {_described(value)}, not numbers ({error})"
    if array.dtype.kind not in "fiub":
        return f"{what} is {_described(value)} (dtype {array.dtype}), not numbers"
    return array


def _precision(*arrays: np.ndarray) -> np.dtype:
    """The coarsest floating precision among the arrays (float64 when none is float)."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return min(floats, key=lambda d: np.finfo(d).bits) if floats else np.dtype(np.float64)


def _judge(name: str, dt: Any, t: Any, loss: Any) -> CmpResult:
    if is_tensor(t) and (t.grad is not None or t.requires_grad):
        truth = t.grad
        if truth is None:
            how = ("call t.retain_grad() before loss.backward(): autograd keeps the .grad of "
                   "leaf tensors only" if t.grad_fn is not None else
                   "was loss.backward() called, and does the loss depend on it?")
            return _unchecked(name, f"{name}.grad is None, so there is nothing to compare "
                                    f"with: {how}")
    elif is_tensor(t) and not t.is_floating_point():
        return _unchecked(name, f"t is a tensor that does not require grad ({_described(t)}), "
                                f"so it has no .grad: pass the tensor of the forward pass "
                                f"(requires_grad=True) or the true gradient itself")
    else:  # the true gradient itself: cmp(name, mine, truth)
        truth = t
    a = _numbers(dt, "dt")
    if isinstance(a, str):
        return _unchecked(name, a)
    g = _numbers(truth, "t.grad" if is_tensor(t) else "t")
    if isinstance(g, str):
        return _unchecked(name, g)
    precision = _precision(a, g)
    a64, g64 = a.astype(np.float64), g.astype(np.float64)
    notes: list[str] = []
    if is_tensor(dt) and is_tensor(truth) and dt.dtype != truth.dtype:
        notes.append(f"dt is {dt.dtype} and t.grad {truth.dtype}: makemore's cmp would stop "
                     f"at torch.allclose; compared at {precision}'s precision")
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
    if is_tensor(t) and t.requires_grad:
        graph.remember(t)
    context = _Context(name, a64, g64, precision, t, loss)
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
    t: Any
    loss: Any

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
    return _Context(c.name, c.a.reshape(c.g.shape), c.g, c.precision, c.t, c.loss,
                    c.upstream)


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
    if not c.rounding(a) and is_tensor(c.t):
        # a sum that cancels (b1 before batch norm) rounds at the size of its terms
        c.upstream = graph.upstream_magnitude(c.t, _loss_of(c))
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


def _loss_of(c: _Context) -> Any:
    return c.loss if c.loss is not None else graph.last_loss()


def _graph_evidence(c: _Context) -> Diagnosis | None:
    """second_path, tanh_derivative and accumulate, read off the autograd graph."""
    if not is_tensor(c.t):
        return None
    uses = graph.paths(_loss_of(c), c.t)
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
        if use.op.startswith("TanhBackward") and use.upstream is not None:
            x = to_numpy(c.t).astype(np.float64)
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
    if a.ndim != 2 or not is_tensor(c.t) or c.t.grad_fn is not None:
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
