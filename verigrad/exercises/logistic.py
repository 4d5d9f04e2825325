"""The Deep Learning Specialization's course 1 week 2, "Logistic Regression with a Neural
Network mindset": ``sigmoid``, ``initialize_with_zeros``, ``propagate``, ``optimize`` and
``predict(w, b, X)``.

The model is A = σ(wᵀX + b) with w of shape (n_x, 1), b a number and the mean
cross-entropy; the references are verigrad's Dense layer (W = wᵀ), its BinaryCrossEntropy
(forward and backward) and its SGD. ``propagate``'s cost is compared with the reference,
its dw and db with central differences of the reference cost. ``optimize`` is run for a few
iterations with a correct propagate in place of the file's (so that its verdict is its own
even when propagate is wrong) and compared with the same number of reference steps: the
final w and b, and the gradients of the last iteration.

Versions: ``b`` is 0 (older) or 0.0 (newer) — any number 0, not an array, as both
templates assert; ``optimize``'s parameters are positional in both (num_iterations,
learning_rate, print_cost), with defaults only in the newer; ``sigmoid`` may return (A,
cache) like the helper of week 4.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..functional import sigmoid as reference_sigmoid
from ..gradcheck.findings import SHAPE, SIGN, Finding
from ..layers import Dense
from ..losses import BinaryCrossEntropy
from ..optim import SGD
from .core import (
    RIGHT_CALLEES,
    Config,
    Exercise,
    Mistake,
    Result,
    check_forward,
    check_gradients,
    close,
    difference,
    exception_finding,
    forward_exercise,
    register_mistakes,
    substituted,
    where,
)
from .networks import linear, logit_cross_entropy

COURSE = "Deep Learning Specialization, course 1 week 2"

#: the finding kind this week adds (course 1 week 3's predict reports it too)
KINDS = register_mistakes({
    "predict_threshold": ("predict returns the probabilities instead of the 0/1 predictions",
                          "the comparison with 0.5"),
})


def _sigmoid_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("z = np.array([0, 2])", (np.array([0.0, 2.0]),)),
            Config("z of shape (3, 4)", (rng.standard_normal((3, 4)) * 3,)),
            Config("z = np.array(0.)", (np.array(0.0),))]  # CS231n's given sigmoid masks
    # its input, which a Python number cannot take: the courses call it on arrays only


def _zeros_configs(seed: int) -> list[Config]:
    return [Config("dim=2", (2,)), Config("dim=7", (7,))]


def _check_zeros(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """initialize_with_zeros(dim): w zeros of shape (dim, 1), b the number 0."""
    name = "initialize_with_zeros"
    function = functions[name]
    cases = _zeros_configs(seed)
    findings, label, error = check_forward(
        name, function, cases, lambda dim: (np.zeros((dim, 1)),), outputs=1, names=("w",))
    if not findings:
        for config in cases:
            result = function(*config.args)
            b = result[1] if isinstance(result, tuple) and len(result) > 1 else None
            if not (isinstance(b, numbers.Number) or (isinstance(b, np.ndarray) and
                                                      b.ndim == 0)) or b != 0:
                findings, label = [Finding(SHAPE, "b", (
                    f"b is {b!r}: it is the number 0 (b = 0.0), which broadcasts over the "
                    f"examples; the notebook's test asserts a float or int"))], config.label
                break
    return Result(name, COURSE, None if error is not None else not findings, findings, label,
                  where(function, error, findings), configs=len(cases))


# ---- propagate -------------------------------------------------------------------------------


def _model_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, n, m, b in (("n_x=3, m=4, b=1.5", 3, 4, 1.5), ("n_x=2, m=1, b=-0.5", 2, 1, -0.5)):
        w = rng.standard_normal((n, 1))
        X = rng.standard_normal((n, m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        Y[0, 0] = 1.0 - Y[0, -1] if m > 1 else 1.0
        cases.append(Config(label, (w, b, X, Y), m=m))
    return cases


def _logits(w: np.ndarray, b: float | np.ndarray, X: np.ndarray) -> np.ndarray:
    return linear(X, np.asarray(w, dtype=float).T, np.reshape(b, (1, 1)))


def _cost(w: np.ndarray, b: float | np.ndarray, X: np.ndarray, Y: np.ndarray) -> float:
    return logit_cross_entropy(_logits(w, b, X), Y)


def _check_propagate(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    name = "propagate"
    function = functions[name]
    cases = _model_configs(seed)

    def cost_of(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[Any, ...]:
        return (function(w, b, X, Y)[1],)

    findings, label, error = check_forward(
        name, cost_of, cases, lambda w, b, X, Y: (_cost(w, b, X, Y),),
        [Mistake("scale", "the cross-entropy summed over the m examples: the cost is their "
                 "mean", lambda w, b, X, Y: (_cost(w, b, X, Y) * Y.shape[1],)),
         Mistake(SIGN, "minus the cross-entropy: a minus sign is lost or doubled",
                 lambda w, b, X, Y: (-_cost(w, b, X, Y),))], names=("cost",))
    if findings:
        return Result(name, COURSE, None if error is not None else False, findings, label,
                      where(function, error, findings), configs=len(cases))

    def problem(config: Config) -> tuple[Callable[..., Any], Callable[..., Any],
                                         dict[str, np.ndarray]]:
        w, b, X, Y = config.args

        def cost(p: dict[str, np.ndarray]) -> float:
            return _cost(p["w"], p["b"], X, Y)

        def grads(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            got = dict(function(p["w"].copy(), float(p["b"][0, 0]), X.copy(), Y.copy())[0])
            if np.size(got.get("db")) == 1:
                got["db"] = np.reshape(got["db"], (1, 1))
            return got

        return cost, grads, {"w": w, "b": np.array([[float(b)]])}

    return check_gradients(name, COURSE, function, cases, problem)


# ---- optimize --------------------------------------------------------------------------------


def _gradients(w: np.ndarray, b: float, X: np.ndarray,
               Y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(dw, db, cost) from verigrad's Dense layer and BinaryCrossEntropy."""
    layer, loss = Dense(X.shape[0], 1), BinaryCrossEntropy()
    layer.params["W"][...] = np.asarray(w, dtype=float).T
    layer.params["b"][...] = b
    cost = loss.forward(layer.forward(X), Y)
    layer.backward(loss.backward())
    return layer.grads["W"].T.copy(), float(layer.grads["b"][0, 0]), cost


def _reference_propagate(w: np.ndarray, b: float, X: np.ndarray,
                         Y: np.ndarray) -> tuple[dict[str, Any], float]:
    """A correct propagate, put in the file's place while its optimize is checked."""
    dw, db, cost = _gradients(w, b, X, Y)
    return {"dw": dw, "db": db}, cost


def _descend(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray, iterations: int,
             learning_rate: float, ascent: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """w, b and the last iteration's gradients after ``iterations`` steps of SGD."""
    params = {"w": np.array(w, dtype=float), "b": np.array([[float(b)]])}
    optimizer = SGD(learning_rate, backend="numpy")
    for _ in range(iterations):
        dw, db, _ = _gradients(params["w"], params["b"][0, 0], X, Y)
        sign = -1 if ascent else 1
        optimizer.step(params, {"w": sign * dw, "b": np.array([[sign * db]])})
    return {"w": params["w"], "b": float(params["b"][0, 0])}, {"dw": dw, "db": db}


_ITERATIONS, _RATE = 5, 0.5


def _check_optimize(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    name = "optimize"
    function = functions[name]
    cases = _model_configs(seed)
    with substituted(function, {"propagate": _reference_propagate}):
        for config in cases:
            w, b, X, Y = config.fresh()[0]
            label = f"{config.label}, num_iterations={_ITERATIONS}, learning_rate={_RATE}"
            try:
                got = function(w, b, X, Y, _ITERATIONS, _RATE)
                params, grads = got[0], got[1]
            except Exception as error:  # the learner's code
                return Result(name, COURSE, None, [exception_finding(name, error)], label,
                              where(function, error), configs=len(cases))
            expected = _descend(*config.args, _ITERATIONS, _RATE)
            for what, g, e in (("params", params, expected[0]), ("grads", grads, expected[1])):
                if close(g, e):
                    continue
                if close(params, _descend(*config.args, _ITERATIONS, _RATE, ascent=True)[0]):
                    finding = Finding(SIGN, "w", "w and b equal gradient ascent, w + α·dw: the "
                                      "step goes against the gradient, w − α·dw")
                else:
                    finding = Finding("forward", None, (
                        f"on {label}, {difference(g, e, what)} (optimize is run with a correct "
                        f"propagate, so this is the loop's own)"))
                return Result(name, COURSE, False, [finding], label, where(function),
                              configs=len(cases))
    return Result(name, COURSE, True, where=where(function), configs=len(cases))


# ---- predict ---------------------------------------------------------------------------------


def _predict_configs(seed: int) -> list[Config]:
    """Probabilities clear of 0.5 (a tie is a matter of > or ≥)."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, n, m in (("n_x=3, m=6", 3, 6), ("n_x=2, m=1", 2, 1)):
        while True:
            w, b, X = rng.standard_normal((n, 1)), float(rng.standard_normal()), \
                rng.standard_normal((n, m))
            if np.abs(reference_sigmoid(_logits(w, b, X)) - 0.5).min() > 0.01:
                break
        cases.append(Config(label, (w, b, X), m=m))
    return cases


EXERCISES = [
    forward_exercise("sigmoid", COURSE, ("z",), _sigmoid_configs,
                     lambda z: (reference_sigmoid(np.asarray(z, dtype=float)),),
                     [Mistake(SIGN, "1/(1 + e^z): σ(z) = 1/(1 + e^−z)",
                              lambda z: (reference_sigmoid(-np.asarray(z, dtype=float)),))],
                     names=("s",)),
    Exercise("initialize_with_zeros", COURSE, ("dim",), _check_zeros),
    Exercise("propagate", COURSE, ("w", "b", "X", "Y"), _check_propagate),
    Exercise("optimize", COURSE, ("w", "b", "X", "Y"), _check_optimize),
    forward_exercise("predict", COURSE, ("w", "b", "X"), _predict_configs,
                     lambda w, b, X: ((reference_sigmoid(_logits(w, b, X)) > 0.5).astype(float),),
                     [Mistake("predict_threshold", "the probabilities A: a prediction is 1 "
                              "where A > 0.5, else 0",
                              lambda w, b, X: (reference_sigmoid(_logits(w, b, X)),))],
                     names=("Y_prediction",)),
]

RIGHT_CALLEES.update({(COURSE, "sigmoid"): lambda z: reference_sigmoid(np.asarray(z, dtype=float)),
                      (COURSE, "propagate"): _reference_propagate})
