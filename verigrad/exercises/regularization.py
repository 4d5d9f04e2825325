"""The Deep Learning Specialization's course 2 week 1: L2 regularization
(``compute_cost_with_regularization``, ``backward_propagation_with_regularization``),
dropout (``forward_propagation_with_dropout``, ``backward_propagation_with_dropout``) and
the learner's own gradient checkers (``gradient_check_n``, and the one-parameter
``gradient_check`` that the forum's threads start from).

The network is the notebooks' LINEAR → RELU → LINEAR → RELU → LINEAR → SIGMOID with the
mean cross-entropy; its cache is (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3), with the
masks after A1 and A2 for dropout: (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3,
b3). The gradients are checked against central differences of the cost (for dropout, of
the learner's own forward with np.random seeded before every call, so that every
evaluation draws the same masks).

A learner's gradient checker is run, in the notebook's setting (its forward_propagation_n
and the gc_utils helpers, supplied where the file does not define them), on the correct
gradients and on gradients with two mistakes in them; it must tell the two apart (the
notebook's threshold, 2e-7). When it does not, its result is compared with what the usual
wrong checkers return: a θ⁺ that is the parameter vector itself rather than a copy (so
θ⁻ = θ and the slope is halved: difference 1/3), (J⁺ − J⁻)/2·ε instead of /(2ε), a
one-sided difference. The one-parameter ``gradient_check(x, theta)`` is run the same way
with J(θ) = θ·x and a backward_propagation that returns x, then 2x.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..gradcheck import check_backprop
from ..gradcheck.findings import Finding
from ..layers import ReLU
from .core import (
    Config,
    Exercise,
    Mistake,
    Result,
    close,
    exception_finding,
    forward_exercise,
    register_mistakes,
    substituted,
    where,
)
from .dense import activate, cross_entropy, linear

COURSE2 = "Deep Learning Specialization, course 2 week 1"

KINDS = register_mistakes({
    "dropout_mask": ("dropout's output, or its backward's gradients, equal the ones with the "
                     "activations (or their gradients) divided by keep_prob but never "
                     "multiplied by the masks D1, D2",
                     "where D1 and D2 multiply A1, A2 (forward) and dA1, dA2 (backward)"),
})
THRESHOLD = 2e-7
_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def _parameters(rng: np.random.Generator,
                dims: tuple[int, int, int, int] = (4, 5, 3, 1)) -> dict[str, np.ndarray]:
    parameters = {}
    for k in range(1, 4):
        parameters[f"W{k}"] = rng.standard_normal((dims[k], dims[k - 1]))
        parameters[f"b{k}"] = rng.standard_normal((dims[k], 1)) * 0.5
    return parameters


def _forward(X: np.ndarray, parameters: dict[str, np.ndarray], masks: Any = None,
             keep_prob: float = 1.0) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(A3, cache) of the notebooks' network; masks (D1, D2) for dropout."""
    values = []
    A = X
    for k in (1, 2):
        W, b = parameters[f"W{k}"], parameters[f"b{k}"]
        Z = linear(A, W, b)
        A = ReLU().forward(Z)
        if masks is not None:
            A = A * masks[k - 1] / keep_prob
            values += [Z, masks[k - 1], A, W, b]
        else:
            values += [Z, A, W, b]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z3 = linear(A, W3, b3)
    A3 = activate(Z3, "sigmoid")
    return A3, tuple(values + [Z3, A3, W3, b3])


def _l2(parameters: dict[str, np.ndarray], lambd: float, m: int) -> float:
    return lambd / (2 * m) * sum(np.sum(parameters[f"W{k}"] ** 2) for k in (1, 2, 3))


def _cost_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, m, lambd in (("m=5, lambd=0.7", 5, 0.7), ("m=1, lambd=0.1", 1, 0.1)):
        parameters = _parameters(rng)
        A3 = _forward(rng.standard_normal((4, m)), parameters)[0]
        Y = (rng.random((1, m)) < 0.5).astype(float)
        cases.append(Config(label, (A3, Y, parameters, lambd), m=m))
    return cases


def _regularized_cost(A3: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray],
                      lambd: float, *, half: bool = True, mean: bool = True) -> tuple[float]:
    m = Y.shape[1]
    l2 = _l2(parameters, lambd, m) * (1 if half else 2) * (1 if mean else m)
    return (cross_entropy(A3, Y) + l2,)


def _check_with_cost(name: str, backward_of: Callable[..., Any], configs_of: Callable[..., Any],
                     mistakes: Callable[..., Any] = None) -> Callable[..., Any]:
    """Shared by the two backward exercises: check_backprop on each configuration; when it
    fails, ``mistakes(cost, grads, config)`` (if given) returns a Finding for the known wrong
    formula the learner's gradients equal, or None."""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]
        cases = configs_of(seed)
        for config in cases:
            cost, grads = backward_of(function, functions, config)
            try:
                report = check_backprop(cost, grads, config.args[0], tol=1e-7)
            except Exception as error:  # the learner's code
                return Result(name, COURSE2, None, [exception_finding(name, error)],
                              config.label, where(function, error), configs=len(cases))
            if not report.ok:
                known = mistakes(cost, grads, config) if mistakes else None
                findings = [known] + report.findings if known else report.findings
                return Result(name, COURSE2, False, findings, config.label,
                              where(function, None, findings), report, len(cases))
        return Result(name, COURSE2, True, where=where(function), configs=len(cases))

    return check


def _backward_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, m in (("m=4", 4), ("m=1", 1)):
        cases.append(Config(label, (_parameters(rng), rng.standard_normal((4, m)),
                                    (rng.random((1, m)) < 0.5).astype(float)), m=m))
    return cases


def _regularization_pair(function: Callable[..., Any], functions: dict[str, Callable[..., Any]],
                         config: Config,
                         lambd: float = 0.7) -> tuple[Callable[..., Any], Callable[..., Any]]:
    _, X, Y = config.args

    def cost(p: dict[str, np.ndarray]) -> float:
        return cross_entropy(_forward(X, p)[0], Y) + _l2(p, lambd, Y.shape[1])

    def grads(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return function(X, Y, _forward(X, p)[1], lambd)

    return cost, grads


def _numeric_gradients(cost: Callable[..., Any], parameters: dict[str, np.ndarray],
                       step: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of a smooth cost, entry by entry: the reference gradients."""
    gradients = {}
    for key, value in parameters.items():
        g = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            for sign in (1, -1):
                shifted = {k: v.copy() for k, v in parameters.items()}
                shifted[key][index] += sign * step
                g[index] += sign * cost(shifted) / (2 * step)
        gradients["d" + key] = g
    return gradients


def _l2_gradient_mistake(cost: Callable[..., Any], grads: Callable[..., Any], config: Config,
                         lambd: float = 0.7) -> Finding | None:
    """The l2_term finding when the learner's dW equal the reference's with λ·W in place of
    λ/m·W (the 1/m of the L2 term's gradient missing), else None."""
    parameters, m = config.args[0], config.m
    try:
        got = grads({k: v.copy() for k, v in parameters.items()})
        reference = _numeric_gradients(cost, parameters)
        wrong = {k: g + (lambd - lambd / m) * parameters[k[1:]] if k.startswith("dW") else g
                 for k, g in reference.items()}
        equal = all(np.allclose(np.asarray(got[k], float), g, rtol=1e-5,
                                atol=1e-7 * max(float(np.max(np.abs(g))), 1e-12))
                    for k, g in wrong.items())
    except Exception:  # the learner's code: the gradient check has already said why
        return None
    if not equal:
        return None
    return Finding("l2_term", "W1", (
        f"dW1, dW2 and dW3 equal the gradients with λ·W added instead of λ/m·W (m = {m}): the "
        "L2 term λ/(2m)·Σ‖W‖² is a mean over the examples too, so its gradient keeps the 1/m"))


def _dropout_mask_mistake(cost: Callable[..., Any], grads: Callable[..., Any], config: Config,
                          keep_prob: float = 0.8) -> Finding | None:
    """The dropout_mask finding when the learner's gradients equal the backward that
    divides dA1, dA2 by keep_prob without multiplying them by D1, D2, else None."""
    parameters, X, Y = config.args
    try:
        got = grads({k: v.copy() for k, v in parameters.items()})
        cache = grads.forward(parameters)  # the cache the learner's backward was given
        wrong = _backward_unmasked(X, Y, cache, keep_prob)
        equal = all(close(got[k], g) for k, g in wrong.items())
    except Exception:  # the learner's code: the gradient check has already said why
        return None
    if not equal:
        return None
    return Finding("dropout_mask", "W1", (
        "dW1 and dW2 equal the gradients with dA1 and dA2 divided by keep_prob but not "
        "multiplied by the masks D1, D2: a dropped unit passed nothing forward, so no "
        "gradient flows back through it"))


def _backward_unmasked(X: np.ndarray, Y: np.ndarray, cache: tuple[np.ndarray, ...],
                       keep_prob: float) -> dict[str, np.ndarray]:
    """The notebook network's gradients with the masks left out of the backward (ReLU's
    derivative taken from Z, which the masks never touched: with A's, whose dropped units
    are 0, leaving the masks out would change nothing)."""
    (Z1, _, A1, _, _, Z2, _, A2, W2, _, _, A3, W3, _) = cache
    m = X.shape[1]
    dZ3 = (A3 - Y) / m
    dZ2 = W3.T @ dZ3 / keep_prob * (Z2 > 0)
    dZ1 = W2.T @ dZ2 / keep_prob * (Z1 > 0)
    return {"dW3": dZ3 @ A2.T, "dW2": dZ2 @ A1.T, "dW1": dZ1 @ X.T}


_MASK_SEED = 1


def _dropout_pair(function: Callable[..., Any], functions: dict[str, Callable[..., Any]],
                  config: Config,
                  keep_prob: float = 0.8) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The learner's own forward with dropout (np.random seeded before each call, so every
    evaluation draws the same masks), or the notebook's forward with fixed masks."""
    _, X, Y = config.args
    forward = functions.get("forward_propagation_with_dropout")
    if forward is not None and _check_dropout_forward(functions).ok is not True:
        # the learner's forward is wrong: its cache would make a right backward look
        # wrong, so the backward is judged on the notebook's forward, on its own
        forward = None
    if forward is None:
        rng = np.random.default_rng(_MASK_SEED)
        masks = [(rng.random((n, X.shape[1])) < keep_prob).astype(float) for n in (5, 3)]

        def forward(X: np.ndarray, p: dict[str, np.ndarray],
                    keep_prob: float) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
            return _forward(X, p, masks, keep_prob)

    def run(p: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        np.random.seed(_MASK_SEED)
        return forward(X, p, keep_prob)

    def cost(p: dict[str, np.ndarray]) -> float:
        return cross_entropy(run(p)[0], Y)

    def grads(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return function(X, Y, run(p)[1], keep_prob)

    grads.forward = lambda p: run(p)[1]
    return cost, grads


# ---- the dropout forward: checked with the learner's own masks ------------------------------


def _check_dropout_forward(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    name = "forward_propagation_with_dropout"
    function = functions[name]
    rng = np.random.default_rng(seed)
    parameters = _parameters(rng)
    X = rng.standard_normal((4, 400))
    keep_prob = 0.7
    state = np.random.get_state()
    try:
        A3, cache = function(X.copy(), {k: v.copy() for k, v in parameters.items()},
                             keep_prob)
    except Exception as error:  # the learner's code
        return Result(name, COURSE2, None, [exception_finding(name, error)], "m=400",
                      where(function, error), configs=1)
    finally:
        np.random.set_state(state)
    label = "keep_prob=0.7, m=400"
    try:
        D1, D2 = np.asarray(cache[1], float), np.asarray(cache[6], float)
    except (IndexError, TypeError):
        return Result(name, COURSE2, None, [Finding("cache", None, (
            "the cache is not the notebook's (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, "
            "W3, b3), so the masks cannot be read"))], label, where(function), configs=1)
    findings = []
    if D1.shape != (5, 400) or D2.shape != (3, 400) or not np.isin(D1, (0, 1)).all():
        findings.append(Finding("cache", "D1", (
            f"D1 and D2 must be 0/1 masks of A1's and A2's shapes (5, 400) and (3, 400); got "
            f"{D1.shape} and {D2.shape}")))
    else:
        kept = float(np.mean(np.concatenate([D1.ravel(), D2.ravel()])))
        expected = _forward(X, parameters, (D1, D2), keep_prob)[0]
        if abs(kept - keep_prob) > 0.05:
            findings.append(Finding("dropout_p", "D1", (
                f"{kept:.0%} of the units are kept with keep_prob = {keep_prob}: D = "
                f"(rand < keep_prob) keeps each with probability keep_prob" +
                (", the comparison is the wrong way round" if abs(kept - (1 - keep_prob)) < 0.05
                 else ""))))
        elif close(A3, _forward(X, parameters, (np.ones_like(D1), np.ones_like(D2)),
                                keep_prob)[0]):
            findings.append(Finding("dropout_mask", "A3", (
                "the output is the one with A1 and A2 divided by keep_prob but never "
                "multiplied by the masks D1, D2: the masks are drawn, then not applied")))
        elif close(A3, _forward(X, parameters, (D1, D2), 1.0)[0]):
            findings.append(Finding("dropout_scale", "A3", (
                "the output is the one without dividing by keep_prob: inverted dropout scales "
                "the kept activations, A1 = A1 * D1 / keep_prob")))
        elif not close(A3, expected):
            findings.append(Finding("forward", "A3", (
                "A3 differs from the network's output with your own masks D1, D2 (A = "
                "A * D / keep_prob after each hidden ReLU)")))
    return Result(name, COURSE2, not findings, findings, label if findings else None,
                  where(function, None, findings), configs=1)


# ---- the learner's gradient checker ---------------------------------------------------------


def _gc_setting(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The notebook's gradient-check network: X (4, 3), Y (1, 3), W1 (5, 4) ... b3 (1, 1)."""
    rng = np.random.default_rng(seed)
    return _parameters(rng), rng.standard_normal((4, 3)), np.array([[1.0, 0.0, 1.0]])


def _cost_n(X: np.ndarray, Y: np.ndarray,
            parameters: dict[str, np.ndarray]) -> tuple[float, tuple[np.ndarray, ...]]:
    A3, cache = _forward(X, parameters)
    return cross_entropy(A3, Y), cache


def _to_vector(parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    keys = []
    for key in _NAMES:
        keys += [key] * parameters[key].size
    return np.concatenate([parameters[k].reshape(-1, 1) for k in _NAMES]), keys


def _grads_to_vector(gradients: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([gradients["d" + k].reshape(-1, 1) for k in _NAMES])


def _from_vector(theta: np.ndarray,
                 shapes: tuple[tuple[int, ...], ...] = ((5, 4), (5, 1), (3, 5), (3, 1), (1, 3),
                                                        (1, 1))) -> dict[str, np.ndarray]:
    parameters, start = {}, 0
    for key, shape in zip(_NAMES, shapes):
        size = shape[0] * shape[1]
        parameters[key] = theta[start:start + size].reshape(shape)
        start += size
    return parameters


_HELPERS = {"forward_propagation_n": _cost_n, "dictionary_to_vector": _to_vector,
            "vector_to_dictionary": _from_vector, "gradients_to_vector": _grads_to_vector}


def _true_gradients(X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray]) -> np.ndarray:
    """The exact gradients, from central differences with a safe step (the reference)."""
    theta = _to_vector(parameters)[0]
    g = np.zeros_like(theta)
    for i in range(len(theta)):
        for sign in (1, -1):
            t = theta.copy()
            t[i] += sign * 1e-6
            g[i] += sign * _cost_n(X, Y, _from_vector(t))[0] / 2e-6
    return g


def _as_gradients(vector: np.ndarray) -> dict[str, np.ndarray]:
    return {"d" + k: v for k, v in _from_vector(vector).items()}


def _difference(grad: np.ndarray, approx: np.ndarray) -> float:
    return float(np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx)))


def _wrong_checkers(X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray],
                    grad: np.ndarray, epsilon: float) -> list[tuple[Any, ...]]:
    """What the usual wrong checkers return for the gradient vector ``grad``."""
    theta = _to_vector(parameters)[0]
    J = _cost_n(X, Y, parameters)[0]
    halved, scaled, one_sided = (np.zeros_like(theta) for _ in range(3))
    for i in range(len(theta)):
        up = theta.copy()
        up[i] += epsilon
        j_up = _cost_n(X, Y, _from_vector(up))[0]
        down = theta.copy()
        down[i] -= epsilon
        j_down = _cost_n(X, Y, _from_vector(down))[0]
        halved[i] = (j_up - J) / (2 * epsilon)
        scaled[i] = (j_up - j_down) / 2 * epsilon
        one_sided[i] = (j_up - J) / epsilon
    return [
        ("gradcheck_copy", _difference(grad, halved),
         "θ⁺ is the parameter vector itself, not a copy: after θ⁺[i] += ε the vector keeps "
         "the +ε, so θ⁻ = θ and the slope comes out halved (difference ≈ 1/3 on a correct "
         "gradient). Look at how θ⁺ and θ⁻ are made from the parameters"),
        ("gradcheck_formula", _difference(grad, scaled),
         "(J_plus[i] - J_minus[i]) / 2 * epsilon multiplies by ε instead of dividing by 2ε: "
         "look at the precedence in the denominator"),
        ("gradcheck_formula", _difference(grad, one_sided),
         "a one-sided difference (J_plus[i] - J) / epsilon: a two-sided difference, with J "
         "evaluated on both sides of θ, is far more accurate"),
    ]


def _check_gradient_checker(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    name = "gradient_check_n"
    function = functions[name]
    parameters, X, Y = _gc_setting(seed)
    true = _true_gradients(X, Y, parameters)
    wrong = true.copy()
    wrong[20:35] *= 2  # dW2 twice as large, as in the notebook's deliberate mistakes
    wrong[:20] += 0.1
    results = {}
    try:
        with substituted(function, {"forward_propagation_n": _cost_n}, _HELPERS):
            for label, vector in (("correct", true), ("wrong", wrong)):
                result = function({k: v.copy() for k, v in parameters.items()},
                                  _as_gradients(vector), X.copy(), Y.copy())
                results[label] = float(np.squeeze(result[0] if isinstance(result, tuple)
                                                  else result))
    except Exception as error:  # the learner's code
        return Result(name, COURSE2, None, [exception_finding(name, error)],
                      "the notebook's 4-5-3-1 network", where(function, error), configs=2)
    good, bad = results["correct"], results["wrong"]
    if good < THRESHOLD < bad:
        return Result(name, COURSE2, True, where=where(function), configs=2)
    findings = []
    for kind, predicted, advice in _wrong_checkers(X, Y, parameters, true, 1e-7):
        if abs(good - predicted) <= 1e-3 * max(predicted, 1e-12) + 1e-9:
            findings.append(Finding(kind, None, (
                f"on correct gradients it returns {good:.4g}, what a checker returns when "
                f"{advice}")))
            break
    if not findings:
        findings.append(Finding("gradcheck", None, (
            f"it returns {good:.3g} for correct gradients and {bad:.3g} for gradients with "
            f"two mistakes, so it "
            f"{'flags the correct ones' if good >= THRESHOLD else 'misses the wrong ones'} "
            f"(threshold {THRESHOLD:g})")))
    return Result(name, COURSE2, False, findings, "the notebook's 4-5-3-1 network",
                  where(function), configs=2)


# ---- the one-parameter gradient checker: J(θ) = θ·x ------------------------------------------

_X, _THETA = 2.5, -1.5  # a scalar input and parameter, as in the notebook's 1-D example


def _scalar_forward(x: float, theta: float) -> float:
    return theta * x


def _scalar_backward(x: float, theta: float, factor: float = 1.0) -> float:
    """dJ/dθ = x (times ``factor``: 2 makes the wrong gradient the checker must flag)."""
    return factor * x


def _check_scalar_checker(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """gradient_check(x, theta): run with J = θ·x and a backward_propagation that returns x
    (correct) or 2x (wrong); it must return below the threshold only for the first."""
    name = "gradient_check"
    function = functions[name]
    results = {}
    try:
        for label, factor in (("correct", 1.0), ("wrong", 2.0)):
            with substituted(function, {"forward_propagation": _scalar_forward,
                                        "backward_propagation": partial(_scalar_backward,
                                                                        factor=factor)}):
                result = function(_X, _THETA)
            results[label] = float(np.squeeze(result[0] if isinstance(result, tuple) else result))
    except Exception as error:  # the learner's code
        return Result(name, COURSE2, None, [exception_finding(name, error)],
                      "J(θ) = θ·x", where(function, error), configs=2)
    good, bad = results["correct"], results["wrong"]
    if good < THRESHOLD < bad:
        return Result(name, COURSE2, True, where=where(function), configs=2)
    # what the usual wrong quotients give on the correct gradient x, for epsilon = 1e-7
    predicted = (("(J_plus - J_minus) / 2 * epsilon multiplies by ε instead of dividing by 2ε: "
                  "look at the precedence in the denominator",
                  _difference(np.array(_X), np.array(_X * 1e-7 ** 2))),
                 ("(J_plus - J_minus) / epsilon leaves out the 2 of the two-sided difference, "
                  "so the estimate is twice the slope", _difference(np.array(_X),
                                                                     np.array(2 * _X))))
    for advice, value in predicted:
        if abs(good - value) <= 1e-3 * value:
            finding = Finding("gradcheck_formula", None, (
                f"on a correct gradient it returns {good:.4g}, what a checker returns when "
                f"{advice}"))
            break
    else:
        finding = Finding("gradcheck", None, (
            f"it returns {good:.3g} for a correct gradient and {bad:.3g} for one twice too "
            f"large, so it "
            f"{'flags the correct one' if good >= THRESHOLD else 'misses the wrong one'} "
            f"(threshold {THRESHOLD:g})"))
    return Result(name, COURSE2, False, [finding], "J(θ) = θ·x", where(function), configs=2)


EXERCISES = [
    forward_exercise("compute_cost_with_regularization", COURSE2,
                     ("A3", "Y", "parameters", "lambd"), _cost_configs, _regularized_cost,
                     [Mistake("l2_term", "the cost with λ/m·Σ‖W‖² instead of λ/(2m)·Σ‖W‖²: "
                              "the ½ is missing", lambda *a: _regularized_cost(*a, half=False)),
                      Mistake("l2_term", "the cost with λ/2·Σ‖W‖²: the 1/m is missing",
                              lambda *a: _regularized_cost(*a, mean=False))],
                     names=("cost",)),
    Exercise("backward_propagation_with_regularization", COURSE2, ("X", "Y", "cache", "lambd"),
             _check_with_cost("backward_propagation_with_regularization", _regularization_pair,
                              _backward_configs, _l2_gradient_mistake)),
    Exercise("forward_propagation_with_dropout", COURSE2, ("X", "parameters", "keep_prob"),
             _check_dropout_forward),
    Exercise("backward_propagation_with_dropout", COURSE2, ("X", "Y", "cache", "keep_prob"),
             _check_with_cost("backward_propagation_with_dropout", _dropout_pair,
                              _backward_configs, _dropout_mask_mistake)),
    Exercise("gradient_check_n", COURSE2, ("parameters", "gradients", "X", "Y"),
             _check_gradient_checker),
    Exercise("gradient_check", COURSE2, ("x", "theta"), _check_scalar_checker),
]
