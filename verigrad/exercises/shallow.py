"""The Deep Learning Specialization's course 1 week 3, "Planar data classification with one
hidden layer": ``layer_sizes``, ``initialize_parameters`` (see initialization.py),
``forward_propagation``, ``compute_cost``, ``backward_propagation``, ``update_parameters``
and ``predict``; and ``update_parameters`` of week 4, the same rule for L layers.

The network is LINEAR → TANH → LINEAR → SIGMOID with the mean cross-entropy; the forward's
cache is the dict {"Z1", "A1", "Z2", "A2"}. The references are verigrad's Dense, Tanh and
Sigmoid layers and its SGD; the backward is checked against central differences of the
cost of the reference forward, with the cache that forward builds.

Versions: ``compute_cost(A2, Y, parameters)`` in the older notebook, ``compute_cost(A2, Y)``
in the newer (the parameters are called only when the function takes them);
``update_parameters(parameters, grads, learning_rate=1.2)`` in week 3 and
``update_parameters(params, grads, learning_rate)`` (or ``parameters``) in week 4: one
exercise, checked on two layers and then on three, where a function written for week 3's
two layers (W1, b1, W2, b2 by name) is right for week 3 and says so.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import SHAPE, SIGN
from ..optim import SGD
from .core import (
    Config,
    Exercise,
    Mistake,
    Result,
    check_forward,
    check_gradients,
    close,
    forward_exercise,
    substituted,
    where,
)
from .gradient_checking import HELPER_FORWARD
from .networks import logit_cross_entropy, mean_cross_entropy, two_layer_forward

COURSE = "Deep Learning Specialization, course 1 week 3"
COURSE_W3_W4 = "Deep Learning Specialization, course 1 weeks 3 and 4"



def _network(rng: np.random.Generator, n_x: int, n_h: int, n_y: int,
             scale: float = 1.0) -> dict[str, np.ndarray]:
    return {"W1": rng.standard_normal((n_h, n_x)) * scale, "b1": rng.standard_normal((n_h, 1)),
            "W2": rng.standard_normal((n_y, n_h)) * scale, "b2": rng.standard_normal((n_y, 1))}


# ---- layer_sizes -----------------------------------------------------------------------------


def _sizes_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("X of shape (5, 3), Y of shape (2, 3)", (rng.standard_normal((5, 3)),
                                                           rng.standard_normal((2, 3)))),
            Config("X of shape (2, 7), Y of shape (1, 7)", (rng.standard_normal((2, 7)),
                                                           rng.standard_normal((1, 7))))]


def _check_sizes(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """layer_sizes returns the tuple (n_x, n_h, n_y), n_h = 4 as the notebook sets it."""
    name = "layer_sizes"
    function = functions[name]
    cases = _sizes_configs(seed)

    def call(X: np.ndarray, Y: np.ndarray) -> tuple[tuple[int, ...]]:
        return (tuple(function(X, Y)),)

    findings, label, error = check_forward(
        name, call, cases, lambda X, Y: ((X.shape[0], 4, Y.shape[0]),),
        [Mistake(SHAPE, "the sizes read from the number of examples: a layer's size is the "
                 "number of rows, X.shape[0]", lambda X, Y: ((X.shape[1], 4, Y.shape[1]),))],
        names=("(n_x, n_h, n_y)",))
    return Result(name, COURSE, None if error is not None else not findings, findings, label,
                  where(function, error, findings), configs=len(cases))


# ---- forward, cost, predict ------------------------------------------------------------------


def _forward_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, n_x, n_h, m in (("n_x=2, n_h=4, m=3", 2, 4, 3), ("n_x=3, n_h=5, m=1", 3, 5, 1)):
        cases.append(Config(label, (rng.standard_normal((n_x, m)), _network(rng, n_x, n_h, 1)),
                            m=m))
    return cases


FORWARD_MISTAKES = [
    Mistake("activation", "the network with ReLU in the hidden layer: the course's hidden "
            "layer is tanh", lambda X, p: two_layer_forward(X, p, "relu")),
    Mistake("activation", "the network with sigmoid in the hidden layer: the course's hidden "
            "layer is tanh", lambda X, p: two_layer_forward(X, p, "sigmoid")),
    Mistake("activation", "the network with tanh in the output layer: the output is a "
            "probability, sigmoid(Z2)", lambda X, p: two_layer_forward(X, p, output="tanh")),
    Mistake("bias", "the network without b1 and b2", lambda X, p: two_layer_forward(
        X, p, bias=False)),
]


_FORWARD = forward_exercise("forward_propagation", COURSE, ("X", "parameters"),
                            _forward_configs, two_layer_forward, FORWARD_MISTAKES, outputs=2,
                            names=("A2", "cache"))


def _check_forward(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """This week's two-layer forward_propagation(X, parameters); a function of the same
    signature that reads a third layer (KeyError 'W3' on two layers) is course 2 week 1's
    given three-layer forward, and is checked as that."""
    X, parameters = _forward_configs(seed)[0].fresh()[0]
    try:
        functions["forward_propagation"](X, parameters)
    except KeyError as error:
        if "W3" in str(error):
            return HELPER_FORWARD.check(functions, seed)
    except Exception:  # the learner's code: the check below says why
        pass
    return _FORWARD.check(functions, seed)


def _cost_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, m in (("m=3", 3), ("m=1", 1)):
        A2 = rng.uniform(0.05, 0.95, (1, m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        Y[0, 0] = 1.0
        cases.append(Config(label, (A2, Y, _network(rng, 2, 4, 1)), m=m))
    return cases


def _check_cost(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """compute_cost(A2, Y) or, in the older notebook, compute_cost(A2, Y, parameters)."""
    name = "compute_cost"
    function = functions[name]
    code = function.__code__
    takes_parameters = code.co_argcount >= 3

    def call(A2: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray]) -> float:
        return function(A2, Y, parameters) if takes_parameters else function(A2, Y)

    cases = _cost_configs(seed)
    findings, label, error = check_forward(
        name, call, cases, lambda A2, Y, p: (mean_cross_entropy(A2, Y),),
        [Mistake("scale", "the cross-entropy summed over the m examples: the cost is their "
                 "mean", lambda A2, Y, p: (mean_cross_entropy(A2, Y) * Y.shape[1],)),
         Mistake(SIGN, "minus the cross-entropy: a minus sign is lost or doubled (a "
                 "cross-entropy is never negative)", lambda A2, Y, p: (-mean_cross_entropy(
                     A2, Y),))], names=("cost",))
    ok = None if error is not None else not findings
    return Result(name, COURSE, ok, findings, label, where(function, error, findings),
                  configs=len(cases))


def _predict_configs(seed: int) -> list[Config]:
    """Inputs whose probabilities stay clear of 0.5 (a tie is a matter of > or ≥)."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, m in (("m=6", 6), ("m=1", 1)):
        while True:
            parameters, X = _network(rng, 3, 4, 1), rng.standard_normal((3, m))
            if np.abs(two_layer_forward(X, parameters)[0] - 0.5).min() > 0.01:
                break
        cases.append(Config(label, (parameters, X), m=m))
    return cases


def _predict_reference(parameters: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray]:
    return ((two_layer_forward(X, parameters)[0] > 0.5).astype(float),)


_PREDICT = forward_exercise(
    "predict", COURSE, ("parameters", "X"), _predict_configs, _predict_reference,
    [Mistake("predict_threshold", "the probabilities A2: a prediction is 1 where A2 > 0.5, "
             "else 0", lambda p, X: (two_layer_forward(X, p)[0],))], names=("predictions",))


def _check_predict(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """predict, with a correct forward_propagation in place of the file's: its verdict is
    its own, whatever the forward's."""
    with substituted(functions["predict"], {"forward_propagation": two_layer_forward}):
        return _PREDICT.check(functions, seed)


# ---- backward --------------------------------------------------------------------------------


def _backward_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, n_x, n_h, m in (("n_x=2, n_h=4, m=3", 2, 4, 3), ("n_x=3, n_h=2, m=1", 3, 2, 1)):
        X = rng.standard_normal((n_x, m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        cases.append(Config(label, (_network(rng, n_x, n_h, 1), X, Y), m=m))
    return cases


def _check_backward(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """backward_propagation(parameters, cache, X, Y) against central differences of the
    cost of the reference forward, given that forward's cache."""
    name = "backward_propagation"
    function = functions[name]

    def problem(config: Config) -> tuple[Callable[..., Any], Callable[..., Any],
                                         dict[str, np.ndarray]]:
        parameters, X, Y = config.args

        def cost(p: dict[str, np.ndarray]) -> float:
            return logit_cross_entropy(two_layer_forward(X, p)[1]["Z2"], Y)

        def grads(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return function({k: v.copy() for k, v in p.items()}, two_layer_forward(X, p)[1],
                            X.copy(), Y.copy())

        return cost, grads, parameters

    return check_gradients(name, COURSE, function, _backward_configs(seed), problem)


# ---- update_parameters: week 3 and week 4 ----------------------------------------------------


def _update_configs(seed: int, layers: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    dims = (3, 4, 1) if layers == 2 else (4, 3, 2, 1)
    parameters, grads = {}, {}
    for k in range(1, len(dims)):
        for key, shape in ((f"W{k}", (dims[k], dims[k - 1])), (f"b{k}", (dims[k], 1))):
            parameters[key] = rng.standard_normal(shape)
            grads["d" + key] = rng.standard_normal(shape)
    lr = 1.2 if layers == 2 else 0.1
    return [Config(f"{layers} layers, learning_rate={lr}", (parameters, grads, lr))]


def descent_step(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                 learning_rate: float) -> tuple[dict[str, np.ndarray]]:
    """The parameters after one step of verigrad's SGD (copies)."""
    new = {k: np.array(v, dtype=float) for k, v in parameters.items()}
    SGD(learning_rate, backend="numpy").step(new, {k: np.array(grads["d" + k], dtype=float)
                                                   for k in new})
    return (new,)


UPDATE_MISTAKES = [Mistake(SIGN, "gradient ascent, W + α·dW: the step goes against the "
                           "gradient, W − α·dW",
                           lambda p, g, lr: descent_step(p, {k: -v for k, v in g.items()}, lr))]


def _two_layers_only(function: Callable[..., Any], config: Config) -> bool:
    """Whether ``function`` updates W1, b1, W2, b2 right and leaves the third layer out (week
    3's update for its two-layer network)."""
    parameters, grads, lr = config.fresh()[0]
    try:
        got = function(parameters, grads, lr)
    except KeyError:  # it reads a W3 it does not have: not week 3's either
        return False
    except Exception:  # the learner's code: the first check has said why
        return False
    if isinstance(got, tuple):
        got = got[0]
    expected = descent_step(*config.fresh()[0])[0]
    first = {k: v for k, v in expected.items() if k[1:] in ("1", "2")}
    return isinstance(got, dict) and all(close(got.get(k), v) for k, v in first.items()) and \
        not close(got.get("W3"), expected["W3"])


def _check_update(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    name = "update_parameters"
    function = functions[name]
    two, three = _update_configs(seed, 2), _update_configs(seed, 3)
    for cases, course in ((two, COURSE_W3_W4), (three, COURSE_W3_W4)):
        findings, label, error = check_forward(name, function, cases, descent_step,
                                               UPDATE_MISTAKES, names=("parameters",),
                                               in_place=True)
        if error is not None or findings:
            if cases is three and _two_layers_only(function, three[0]):
                return Result(name, COURSE + " (a two-layer network: W1, b1, W2, b2)", True,
                              where=where(function), configs=1)
            return Result(name, course, None if error is not None else False, findings, label,
                          where(function, error, findings), configs=2)
    return Result(name, COURSE_W3_W4, True, where=where(function), configs=2)


EXERCISES_WEEK3 = [
    Exercise("layer_sizes", COURSE, ("X", "Y"), _check_sizes),
    Exercise("forward_propagation", COURSE, ("X", "parameters"), _check_forward),
    Exercise("compute_cost", COURSE, ("A2", "Y"), _check_cost),
    Exercise("backward_propagation", COURSE, ("parameters", "cache", "X", "Y"),
             _check_backward),
    Exercise("update_parameters", COURSE_W3_W4, ("parameters", "grads", "learning_rate"),
             _check_update),
    Exercise("predict", COURSE, ("parameters", "X"), _check_predict),
]
