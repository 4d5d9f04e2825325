"""Gradient checking, and a backprop debugger that names the bug.

    report = vg.gradcheck(model, X, Y)                # any Sequential, custom layers included
    report = vg.check_backprop(cost, grads, params)   # your own functions
    report = vg.check_layer(forward, backward, *inputs)   # one layer's forward and backward
    print(report)          # parameter, shape, relative error, worst entry, verdict
    report.ok              # True when every gradient is right
    report.params          # one ParamCheck per parameter, in layer order
    report.findings        # Finding(kind, param, message): what is wrong and how to fix it

The numeric gradient of each entry θ is the central difference

    n = (J(θ + ε) − J(θ − ε)) / 2ε

and each parameter is judged by the course's relative error ‖a − n‖ / (‖a‖ + ‖n‖) between
the analytic gradient a (backprop) and n. The check always computes in float64.

engine     the loop, the modes (full, sample, fast) and the noise floor
problems   a learner's own functions, and a Sequential model
pairs      a learner's forward/backward pair (one layer, as the courses' exercises write it):
           ``check_pair`` checks one and returns the report with its ``LayerProblem``
           (the three kinds of problem implement one Protocol, ``problems.Problem``)
findings   what a wrong gradient's numbers say about the bug (scale, sign, transpose, ...)
kinds      the one vocabulary of finding kinds (``Kind``, ``register_kind``), each with its
           description and advice; the documentation's tables are generated from it
report     the table, the findings and where in backprop to look
"""
from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Callable

import numpy as np

from ..arraylike import is_tensor, tensor_pair
from ..model import Sequential
from ..validation import check_seed
from . import findings, kinds
from .engine import FULL_CHECK_LIMIT, MODES, check_settings, run
from .findings import Finding
from .kinds import Kind, register_kind, registered_kinds
from .pairs import LayerProblem, check_pair, exception_diagnosis, learner_frame
from .problems import FunctionProblem, ModelProblem
from .report import GradcheckReport, ParamCheck

__all__ = ["gradcheck", "check_backprop", "check_layer", "GradcheckReport", "ParamCheck", "Finding",
           "findings", "kinds", "Kind", "register_kind", "registered_kinds", "MODES",
           "FULL_CHECK_LIMIT",
           # what the exercise catalogue (verigrad.exercises) builds on
           "check_pair", "LayerProblem", "exception_diagnosis", "learner_frame"]


def check_backprop(cost: Callable[[dict[str, np.ndarray]], float],
                   grads: Callable[[dict[str, np.ndarray]], Mapping | Sequence],
                   params: dict[str, np.ndarray], *, order: Sequence[str] | None = None,
                   mode: str | None = None, eps: float = 1e-6, tol: float = 1e-7,
                   samples: int = 10, seed: int = 0) -> GradcheckReport:
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
    analytic value, and are left out of the verdict. Entries whose central difference is
    noise (a cost that loses precision, such as log(1 − A) of a saturated sigmoid) are
    judged with coarser steps where the estimate settles and its error is far below the
    difference found, and are left out ("not judged") where none is. A cost that changes
    between two calls
    at the same point (dropout left on) is reported, and np.random is re-seeded before every
    call so that the check can go on; np.random's state is restored afterwards.
    """
    check_settings(mode, eps, tol, samples)
    check_seed(seed, "seed")
    saved = np.random.get_state()
    try:
        problem = FunctionProblem(cost, grads, params, order)
        return run(problem, mode, eps, tol, samples, seed)
    finally:
        np.random.set_state(saved)


def gradcheck(model: Sequential, X: np.ndarray, Y: np.ndarray, *, mode: str | None = None,
              eps: float = 1e-6, tol: float = 1e-7, samples: int = 10,
              seed: int = 0) -> GradcheckReport:
    """Check the backprop of a ``Sequential`` (custom ``Layer`` subclasses included).

    The check runs on a float64 copy of the model (the model itself is not changed) with the
    cost of a training step: dropout on, with one mask drawn once and then frozen, so that
    every evaluation sees the same function; layers that draw random numbers through
    ``set_rng`` get the same numbers in every evaluation. Entries whose ±eps step moves a
    ReLU or LeakyReLU pre-activation across 0 are reported as at a kink, not as errors.
    The findings name the layer whose backward is wrong. eps, tol, mode, samples, seed: as
    in ``check_backprop``. float32 X or Y is promoted to float64 with a warning.
    """
    check_settings(mode, eps, tol, samples)
    check_seed(seed, "seed")
    return run(ModelProblem(model, X, Y, seed), mode, eps, tol, samples, seed)


def check_layer(forward: Callable[..., tuple], backward: Callable[..., tuple], *inputs: Any,
                check_eps: float = 1e-6, check_tol: float = 1e-7,
                check_seed: int | None = 0, **kwargs: Any) -> GradcheckReport:
    """Check a hand-written layer: backward against central differences of forward.

    Every keyword argument but the check's own three goes to forward (and to backward when
    it names it): a batch norm's ``eps``, a dropout's ``seed``. The check's settings have
    names no layer uses, ``check_eps``, ``check_tol`` and ``check_seed``; ``eps``, ``tol``
    and ``seed`` are read as them only when neither forward nor backward takes a parameter
    of that name (as before), never taken from a layer that does.

    forward(*inputs, **kwargs) -> (out, cache), or (out1, out2, ..., cache).
    backward(dout, cache), or backward(dout1, dout2, cache) for the leading outputs (the
        outputs after those get no upstream gradient); keyword arguments of forward that
        backward also names (mode="max", activation="relu") are passed to it too. It returns
        the input gradients: a tuple in the order of the float array inputs, one array, or a
        dict keyed "d" + name ("dx", "da_prev", "dWf", also for the arrays inside a dict
        input such as the course's ``parameters``).
    inputs: float arrays are differentiated; integer arrays, dicts of settings
        (``hparameters``, ``bn_param``), numbers and strings are passed as they are.

    The check draws upstream gradients dout ~ N(0, 1) (seeded by ``seed``), takes
    J = Σ ⟨dout, out⟩ as the cost and compares backward's result with central differences
    of J in float64 on every float input, with the tolerance, kink handling, unreliable
    entries and finding kinds of ``check_backprop`` (eps, tol: as there; every entry is
    compared up to FULL_CHECK_LIMIT entries, one direction per array above). The caller's
    arrays are never changed; a forward or backward that changes its inputs, the cache or
    dout is reported as ``mutation``, and an exception in it as ``exception``, with the file
    and line. np.random is re-seeded before every call, so that a dropout mask is the same
    in every evaluation, and restored afterwards.

        report = vg.check_layer(affine_forward, affine_backward, x, w, b)
        report = vg.check_layer(conv_forward, conv_backward, A_prev, W, b, {"stride": 2, "pad": 1})
        report = vg.check_layer(lstm_cell_forward, lstm_cell_backward, xt, a_prev, c_prev,
                                parameters)

    Every float array input, and every float array of a dict input, is either checked or
    listed in the report as not checked (a dict's arrays are checked where backward
    returns d + their name); a gradient of a float array input that a dict returned by
    backward lacks is a ``missing_gradient`` finding. Code that computes in float32
    (forward's outputs are float32) is judged with float32's step and tolerance, and the
    report says so; a forward that draws random numbers (a dropout mask) is judged with the
    same draws in every evaluation, which the report notes.

    Functions written with PyTorch tensors are checked the same way when the inputs are
    tensors: forward and backward receive float64 tensors (integer tensors as they are),
    and their outputs and gradients are read back as arrays (``arraylike.tensor_pair``).
    """
    settings: dict[str, Any] = {"eps": check_eps, "tol": check_tol, "seed": check_seed}
    for name in settings:
        if name in kwargs and not (_names(forward, name) or _names(backward, name)):
            settings[name] = kwargs.pop(name)
    if any(is_tensor(v) for v in _flat(inputs)):
        # written with PyTorch: checked on float64 copies, the tensors read back as arrays
        forward, backward, inputs = tensor_pair(forward, backward, inputs)
    return check_pair(forward, backward, inputs, kwargs, **settings)[0]


def _names(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` has a parameter called ``name``."""
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _flat(inputs: Iterable[Any]) -> Iterator[Any]:
    for value in inputs:
        yield from value.values() if isinstance(value, Mapping) else (value,)
