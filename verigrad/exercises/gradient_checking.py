"""The Deep Learning Specialization's course 2 week 1, "Gradient Checking": the 1-D
``forward_propagation(x, theta)`` (J = θ·x) and ``backward_propagation(x, theta)``
(dJ/dθ = x), and the N-dimensional ``forward_propagation_n(X, Y, parameters)`` and
``backward_propagation_n(X, Y, cache)`` of LINEAR → RELU → LINEAR → RELU → LINEAR → SIGMOID
(the learner's ``gradient_check`` and ``gradient_check_n`` are in regularization.py).

The notebook hands out ``backward_propagation_n`` with two planted mistakes (dW2 twice too
large, db1 with 4/m) for the learner's checker to find; a file that keeps them is told
which gradients are wrong and by what factor. The same network's ``forward_propagation(X,
parameters)`` and ``backward_propagation(X, Y, cache)`` are given code in the week's other
notebooks (their helper files); where a file defines them they are checked like the ``_n``
pair, so that they are not mistaken for course 1 week 3's exercises of the same names.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .core import (
    Config,
    Exercise,
    Mistake,
    Result,
    check_gradients,
    forward_exercise,
    register_mistakes,
)
from .networks import logit_cross_entropy, three_layer_forward

COURSE = "Deep Learning Specialization, course 2 week 1"
HELPERS = COURSE + " (the helper files' three-layer network)"

#: the finding kinds this week adds (kind -> when it is reported, where the message points)
KINDS = register_mistakes({
    "wrt": ("backward_propagation(x, theta) returns the derivative with respect to x (θ) "
            "instead of θ (x)", "what J = θ·x is differentiated with respect to"),
})


def _scalar_configs(seed: int) -> list[Config]:
    return [Config("x=2, theta=4", (2.0, 4.0)), Config("x=-1.5, theta=0.5", (-1.5, 0.5))]


def _network_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, m in (("the notebook's 4-5-3-1 network, m=3", 3), ("m=1", 1)):
        parameters = {}
        for k, (n, n_prev) in enumerate(((5, 4), (3, 5), (1, 3)), 1):
            parameters[f"W{k}"] = rng.standard_normal((n, n_prev))
            parameters[f"b{k}"] = rng.standard_normal((n, 1)) * 0.5
        X = rng.standard_normal((4, m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        cases.append(Config(label, (X, Y, parameters), m=m))
    return cases


def _cost_n(X: np.ndarray, Y: np.ndarray, parameters: dict[str, np.ndarray]) -> tuple[float]:
    A3, cache = three_layer_forward(X, parameters)
    return (logit_cross_entropy(cache[8], Y),)


def backward_exercise_3(name: str, course: str, parameters: tuple[str, str, str]) -> Exercise:
    """A backward of the three-layer network: ``name(X, Y, cache)`` given the reference
    forward's cache, against central differences of the reference cost."""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]

        def problem(config: Config) -> tuple[Callable[..., Any], Callable[..., Any],
                                             dict[str, np.ndarray]]:
            X, Y, start = config.args

            def cost(p: dict[str, np.ndarray]) -> float:
                return _cost_n(X, Y, p)[0]

            def grads(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
                return function(X.copy(), Y.copy(), three_layer_forward(X, p)[1])

            return cost, grads, start

        return check_gradients(name, course, function, _network_configs(seed), problem)

    return Exercise(name, course, tuple(parameters), check)


def _helper_configs(seed: int) -> list[Config]:
    """The helper forward's configurations: (X, parameters), no labels."""
    return [Config(c.label, (c.args[0], c.args[2]), m=c.m) for c in _network_configs(seed)]


EXERCISES = [
    forward_exercise("forward_propagation", COURSE, ("x", "theta"), _scalar_configs,
                     lambda x, theta: (theta * x,), names=("J",)),
    forward_exercise("backward_propagation", COURSE, ("x", "theta"), _scalar_configs,
                     lambda x, theta: (x,),
                     [Mistake("wrt", "θ, the derivative of J = θ·x with respect to x: the "
                              "check needs dJ/dθ = x", lambda x, theta: (theta,))],
                     names=("dtheta",)),
    forward_exercise("forward_propagation_n", COURSE, ("X", "Y", "parameters"),
                     _network_configs, _cost_n,
                     [Mistake("scale", "the cross-entropy summed over the m examples: the cost "
                              "is their mean",
                              lambda X, Y, p: (_cost_n(X, Y, p)[0] * Y.shape[1],))],
                     names=("cost",)),
    backward_exercise_3("backward_propagation_n", COURSE, ("X", "Y", "cache")),
    backward_exercise_3("backward_propagation", HELPERS, ("X", "Y", "cache")),
]

#: the helper files' forward_propagation(X, parameters): checked when course 1 week 3's
#: exercise of that name finds a third layer in the function (see shallow.py)
HELPER_FORWARD = forward_exercise("forward_propagation", HELPERS, ("X", "parameters"),
                                  _helper_configs, lambda X, p: (three_layer_forward(X, p)[0],),
                                  names=("A3",))
