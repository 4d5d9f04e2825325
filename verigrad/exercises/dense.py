"""Dense exercises: the Deep Learning Specialization's course 1 week 4 (``linear_*``,
``linear_activation_*``, ``L_model_*``, ``compute_cost``) and CS231n's ``affine_*``,
``relu_*``, ``softmax_loss`` and ``svm_loss``.

Layouts: the course keeps examples in columns, A (n, m), W (n, n_prev), b (n, 1), like
verigrad; CS231n keeps them in rows, x (N, d1, ..., dk), w (D, M), b (M,), and the
references are called on the transposes. The course's linear_backward returns dW and db
with the 1/m of the mean cost inside but dA_prev without it: the check multiplies dW and db
by m, so that all three are compared with the gradient of the same J.

Other topic modules use its references on the course's layout (``linear``, ``activate``,
``cross_entropy``) and its builder of loss exercises (``loss_exercise``).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..gradcheck import check_backprop
from ..gradcheck.findings import Finding
from ..layers import Dense, ReLU
from ..losses import SoftmaxCrossEntropy
from .core import (
    RIGHT_CALLEES,
    Config,
    Exercise,
    Mistake,
    Result,
    backward_exercise,
    check_forward,
    exception_finding,
    forward_exercise,
    where,
)
from .networks import ACTIVATIONS, activate, linear

COURSE1 = "Deep Learning Specialization, course 1 week 4"
CS231N = "CS231n"


# ---- course 1 week 4 ----------------------------------------------------------------------


def _course_dense_configs(seed: int) -> list[Config]:
    """Batches of 1, 4 and 5 examples, with pre-activations of both signs in every example
    (so that a ReLU passes some gradient and blocks some) and none near ReLU's kink."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, n_prev, n, m in (("m=1", 3, 4, 1), ("m=4", 3, 3, 4), ("n=1, m=5", 4, 1, 5)):
        while True:
            A, W, b = (rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)),
                       rng.standard_normal((n, 1)))
            Z = W @ A + b
            mixed = n == 1 or ((Z > 0).any(axis=0).all() and (Z < 0).any(axis=0).all())
            if mixed and np.abs(Z).min() > 0.05:
                break
        cases.append(Config(label, (A, W, b), m=m))
    return cases


def _linear_reference(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray]:
    return (linear(A, W, b),)


def _linear_builder(A: np.ndarray, W: np.ndarray,
                    b: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """A forward returning the notebook's cache (A, W, b), from the reference layer."""
    return linear(A, W, b), (A, W, b)


def _per_example(config: Config) -> dict[str, int]:
    return {"W": config.m, "b": config.m}


def _with_activation(configs: Callable[..., Any]) -> Callable[..., Any]:
    def make(seed: int) -> list[Config]:
        return [Config(f"{c.label}, {act}", c.args, {"activation": act}, c.m)
                for c in configs(seed) for act in ("sigmoid", "relu")]
    return make


def _linear_activation_reference(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                                 activation: str) -> tuple[np.ndarray]:
    return (activate(linear(A_prev, W, b), activation),)


def _other_activation(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                      activation: str) -> tuple[np.ndarray]:
    return (activate(linear(A_prev, W, b), "relu" if activation == "sigmoid" else "sigmoid"),)


def _linear_activation_builder(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                               activation: str) -> tuple[np.ndarray, tuple[Any, ...]]:
    Z = linear(A_prev, W, b)
    return activate(Z, activation), ((A_prev, W, b), Z)


def _linear_grads(dZ: np.ndarray, cache: tuple[Any, ...]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dA_prev, dW, db) from verigrad's Dense layer on the notebook's cache (A_prev, W, b),
    with the notebook's 1/m on dW and db."""
    A_prev, W, b = (np.asarray(a, dtype=float) for a in cache)
    layer = Dense(W.shape[1], W.shape[0])
    layer.params["W"][...], layer.params["b"][...] = W, b
    layer.forward(A_prev)
    dA_prev = layer.backward(np.asarray(dZ, dtype=float))
    m = A_prev.shape[1]
    return dA_prev, layer.grads["W"] / m, layer.grads["b"] / m


def _linear_activation_grads(dA: np.ndarray, cache: tuple[Any, ...],
                             activation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """linear_backward's gradients after verigrad's activation layer, on the notebook's
    cache (linear_cache, Z)."""
    linear_cache, Z = cache
    layer = ACTIVATIONS[activation]()
    layer.forward(np.asarray(Z, dtype=float))
    return _linear_grads(layer.backward(np.asarray(dA, dtype=float)), linear_cache)


def _model_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, dims, m in (("3 layers, m=4", (4, 3, 2, 1), 4), ("2 layers, m=1", (3, 2, 1), 1)):
        parameters = {}
        for k in range(1, len(dims)):
            parameters[f"W{k}"] = rng.standard_normal((dims[k], dims[k - 1])) * 0.8
            parameters[f"b{k}"] = rng.standard_normal((dims[k], 1)) * 0.3
        X = rng.standard_normal((dims[0], m))
        cases.append(Config(label, (X, parameters), m=m))
    return cases


def _model_reference(X: np.ndarray, parameters: dict[str, np.ndarray], last: str = "sigmoid",
                     hidden: str = "relu") -> tuple[np.ndarray]:
    L = len(parameters) // 2
    A = X
    for k in range(1, L + 1):
        A = activate(linear(A, parameters[f"W{k}"], parameters[f"b{k}"]),
                      last if k == L else hidden)
    return (A,)


def cross_entropy(AL: np.ndarray, Y: np.ndarray) -> float:
    """The course's cost −1/m Σ (Y log AL + (1 − Y) log(1 − AL)) for AL, Y of shape (1, m)."""
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)


def _cost_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, m in (("m=1", 1), ("m=5", 5)):
        AL = rng.uniform(0.05, 0.95, (1, m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        Y[0, 0] = 1.0
        cases.append(Config(label, (AL, Y), m=m))
    return cases


def _check_model_backward(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """L_model_backward against central differences of the cross-entropy of the learner's
    own L_model_forward (the course's cost, a mean over the m examples)."""
    name, partner = "L_model_backward", "L_model_forward"
    function = functions[name]
    forward = functions.get(partner)
    exercise = COURSE1
    if forward is None:
        return Result(name, exercise, None, [Finding("missing", None, (
            f"{name} is checked with your {partner}, which builds its caches; define it in "
            f"the same file"))], where=where(function))
    cases = _model_configs(seed)
    for config in cases:
        X, parameters = config.args
        rng = np.random.default_rng(seed)
        Y = (rng.random((1, config.m)) < 0.5).astype(float)

        def cost(p: dict[str, np.ndarray], X: np.ndarray = X, Y: np.ndarray = Y) -> float:
            return cross_entropy(forward(X, p)[0], Y)

        def grads(p: dict[str, np.ndarray], X: np.ndarray = X,
                  Y: np.ndarray = Y) -> dict[str, np.ndarray]:
            AL, caches = forward(X, p)
            return function(AL, Y, caches)

        try:
            report = check_backprop(cost, grads, parameters)
        except Exception as error:  # the learner's code
            return Result(name, exercise, None, [exception_finding(name, error)], config.label,
                          where(function, error), configs=len(cases))
        if not report.ok:
            return Result(name, exercise, False, report.findings, config.label,
                          where(function, None, report.findings), report, configs=len(cases))
    return Result(name, exercise, True, configs=len(cases), where=where(function))


# ---- CS231n -------------------------------------------------------------------------------


def _affine_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, x_shape, M in (("N=1", (1, 3), 2), ("N=4, x of shape (4, 2, 3)", (4, 2, 3), 5),
                              ("N=3", (3, 5), 4)):
        D = int(np.prod(x_shape[1:]))
        cases.append(Config(label, (rng.standard_normal(x_shape), rng.standard_normal((D, M)),
                                    rng.standard_normal(M)), m=x_shape[0]))
    return cases


def _affine_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray]:
    return (linear(x.reshape(x.shape[0], -1).T, w.T, b).T,)


def _affine_builder(x: np.ndarray, w: np.ndarray,
                    b: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    return _affine_reference(x, w, b)[0], (x, w, b)


def _relu_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("N=1", (rng.standard_normal((1, 4)),)),
            Config("N=3, x of shape (3, 2, 4)", (rng.standard_normal((3, 2, 4)),))]


def _relu_reference(x: np.ndarray) -> tuple[np.ndarray]:
    return (ReLU().forward(x),)


def _relu_builder(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ReLU().forward(x), x


def _scores_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    # scores near 1000 overflow exp unless each row's largest is subtracted; their spread
    # is small, so that the course's own probability-domain softmax (np.log of the
    # normalised exp) does not underflow to log 0 where the exact loss is finite
    for label, N, C, offset in (("N=1", 1, 3, 0.0), ("N=5", 5, 4, 0.0),
                                ("N=4, scores near 1000", 4, 3, 1000.0)):
        x = rng.standard_normal((N, C)) * 2 + offset
        cases.append(Config(label, (x, rng.integers(0, C, N)), m=N))
    return cases


def _softmax_loss_reference(x: np.ndarray, y: np.ndarray) -> tuple[float]:
    return (SoftmaxCrossEntropy().forward(x.T, y),)


def _svm_loss_reference(x: np.ndarray, y: np.ndarray) -> tuple[float]:
    N = x.shape[0]
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    return (float(margins.sum() / N),)


def _summed(reference: Callable[..., Any]) -> Callable[..., Any]:
    def output(x: np.ndarray, y: np.ndarray) -> tuple[float]:
        return (reference(x, y)[0] * x.shape[0],)
    return output


def loss_exercise(name: str, reference: Callable, configs: Callable, mistakes: Sequence,
                  parameters: Sequence[str] = ("x", "y"), course: str = CS231N) -> Exercise:
    """An exercise whose function is a loss returning (loss, dx): the loss against
    ``reference(*args)`` (a 1-tuple), dx against central differences of the learner's own
    loss, the other arguments (labels, masks) fixed. configs(seed) -> Config list;
    mistakes: ``Mistake`` list of wrong losses."""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]
        exercise = course
        cases = configs(seed)
        findings, label, error = check_forward(name, function, cases, reference, mistakes, 1,
                                               ("loss",))
        if findings:
            return Result(name, exercise, None if error else False, findings, label,
                          where(function, error, findings), configs=len(cases))
        for config in cases:
            x, *rest = config.args
            try:
                report = check_backprop(
                    lambda p, rest=rest: function(p["x"], *copy.deepcopy(rest))[0],
                    lambda p, rest=rest: {"dx": function(p["x"], *copy.deepcopy(rest))[1]},
                    {"x": x})
            except Exception as error:  # the learner's code
                return Result(name, exercise, None, [exception_finding(name, error)],
                              config.label, where(function, error), configs=len(cases))
            if not report.ok:
                return Result(name, exercise, False, report.findings, config.label,
                              where(function), report, configs=len(cases))
        return Result(name, exercise, True, configs=len(cases), where=where(function))

    return Exercise(name, course, tuple(parameters), check)


EXERCISES = [
    forward_exercise("linear_forward", COURSE1, ("A", "W", "b"), _course_dense_configs,
                     _linear_reference, names=("Z",)),
    backward_exercise("linear_backward", COURSE1, ("dZ", "cache"), "linear_forward",
                      _course_dense_configs, _linear_builder, factors=_per_example,
                      columns=True,
                      gradients=("dA_prev", "dW", "db")),
    forward_exercise("linear_activation_forward", COURSE1, ("A_prev", "W", "b", "activation"),
                     _with_activation(_course_dense_configs), _linear_activation_reference,
                     [Mistake("activation", "the other activation's output: the branches for "
                              "\"sigmoid\" and \"relu\" are swapped", _other_activation)],
                     names=("A",)),
    backward_exercise("linear_activation_backward", COURSE1, ("dA", "cache", "activation"),
                      "linear_activation_forward", _with_activation(_course_dense_configs),
                      _linear_activation_builder, factors=_per_example, columns=True,
                      gradients=("dA_prev", "dW", "db")),
    forward_exercise("L_model_forward", COURSE1, ("X", "parameters"), _model_configs,
                     _model_reference,
                     [Mistake("activation", "a network with ReLU in the output layer too: "
                              "the last layer is LINEAR -> SIGMOID, outside the loop over the "
                              "L - 1 hidden layers",
                              lambda X, parameters: _model_reference(X, parameters, "relu")),
                      Mistake("activation", "a network with sigmoid in every layer: the "
                              "hidden layers are LINEAR -> RELU",
                              lambda X, parameters: _model_reference(X, parameters,
                                                                     hidden="sigmoid"))],
                     names=("AL",)),
    forward_exercise("compute_cost", COURSE1, ("AL", "Y"), _cost_configs,
                     lambda AL, Y: (cross_entropy(AL, Y),),
                     [Mistake("scale", "the cross-entropy summed over the m examples: the cost "
                              "is their mean",
                              lambda AL, Y: (cross_entropy(AL, Y) * Y.shape[1],)),
                      Mistake("sign", "minus the cross-entropy: a minus sign is lost or "
                              "doubled (a cross-entropy is never negative)",
                              lambda AL, Y: (-cross_entropy(AL, Y),))],
                     names=("cost",)),
    Exercise("L_model_backward", COURSE1, ("AL", "Y", "caches"), _check_model_backward,
             "L_model_forward"),

    loss_exercise("softmax_loss", _softmax_loss_reference, _scores_configs,
                   [Mistake("scale", "the loss summed over the N examples: divide by N (the "
                            "loss is a mean)", _summed(_softmax_loss_reference))]),
    loss_exercise("svm_loss", _svm_loss_reference, _scores_configs,
                   [Mistake("scale", "the loss summed over the N examples: divide by N (the "
                            "loss is a mean)", _summed(_svm_loss_reference))]),
    forward_exercise("affine_forward", CS231N, ("x", "w", "b"), _affine_configs,
                     _affine_reference),
    backward_exercise("affine_backward", CS231N, ("dout", "cache"), "affine_forward",
                      _affine_configs, _affine_builder,
                      gradients=("dx", "dw", "db")),
    forward_exercise("relu_forward", CS231N, ("x",), _relu_configs, _relu_reference),
    backward_exercise("relu_backward", CS231N, ("dout", "cache"), "relu_forward",
                      _relu_configs, _relu_builder,
                      gradients=("dx",)),
]

RIGHT_CALLEES.update({(COURSE1, "linear_forward"): _linear_builder,
                      (COURSE1, "linear_backward"): _linear_grads,
                      (COURSE1, "linear_activation_forward"): _linear_activation_builder,
                      (COURSE1, "linear_activation_backward"): _linear_activation_grads})
