"""CS231n assignment 1's linear classifiers: ``svm_loss_naive``, ``svm_loss_vectorized``,
``softmax_loss_naive``, ``softmax_loss_vectorized``, and the methods ``train`` and
``predict`` of ``LinearClassifier``.

Layout: examples first, W (D, C), X (N, D), y (N,) of class indices, reg a number; each
returns (loss, dW). The scores are X·W, which is verigrad's Dense layer on the transposes
(verigrad keeps examples in columns). The loss is checked against the reference (the
mean hinge or cross-entropy over the N examples plus the L2 term); dW against central
differences of the learner's own loss, so that the gradient's verdict is its own.

Versions: the 2017 and later templates add reg·ΣW² (so dW gains 2·reg·W), the 2016 ones
½·reg·ΣW² (dW gains reg·W). A loss that equals either is right, and the result says which
convention was assumed.

``LinearClassifier.train`` is run on a subclass whose ``loss`` records every call and
answers with the reference softmax loss: each iteration must take one mini-batch of
batch_size rows of X with their own labels, and move W by −learning_rate·grad.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import check_backprop
from ..gradcheck.findings import EXCEPTION, Finding
from ..layers import Dense
from ..losses import SoftmaxCrossEntropy
from .core import (
    Config,
    Exercise,
    Mistake,
    Result,
    check_forward,
    exception_finding,
    register_mistakes,
    where,
)
from .methods import method_exercise, subclass

KINDS = register_mistakes({
    "reg_term": ("a loss equals the one without its L2 term, or with the term's factor other "
                 "than the one the rest of the code uses (reg·ΣW² or ½·reg·ΣW²)",
                 "the regularization term added to the data loss"),
    "reg_gradient": ("dW equals the gradient of the learner's own loss without the "
                     "regularization's part, or with that part's factor off by 2",
                     "the term of dW that comes from reg·ΣW² (2·reg·W) or ½·reg·ΣW² (reg·W)"),
    "softmax_label": ("a softmax loss's dW equals the gradient without the −1 at each "
                      "example's label", "dscores: the probabilities minus the one-hot labels"),
    "overflow": ("a softmax loss is inf or nan where the scores are large (near 800)",
                 "subtract each row's largest score before np.exp"),
    "sgd_step": ("LinearClassifier.train's W moves up the gradient, or its labels are not "
                 "those of the rows sampled for the batch, or it uses every example",
                 "the update W -= learning_rate·grad and the batch's indices"),
})


CS231N = "CS231n assignment 1"
#: the factor c of the L2 term c·reg·ΣW² in each version's template
L2_FACTORS = ((1.0, "2017+: loss += reg·ΣW²"), (0.5, "2016: loss += ½·reg·ΣW²"))


def scores(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """X·W (N, C), with verigrad's Dense layer (which takes examples in columns)."""
    layer = Dense(W.shape[0], W.shape[1])
    layer.params["W"][...] = W.T
    layer.params["b"][...] = 0
    return layer.forward(X.T).T


def softmax_data_loss(S: np.ndarray, y: np.ndarray) -> float:
    """The mean cross-entropy of the softmax of the scores S (N, C) at the labels y."""
    return float(SoftmaxCrossEntropy().forward(S.T, y))


def svm_data_loss(S: np.ndarray, y: np.ndarray) -> float:
    """The mean multiclass hinge loss Σ_{j≠y} max(0, s_j − s_y + 1) / N."""
    N = S.shape[0]
    margins = np.maximum(0, S - S[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    return float(margins.sum() / N)


def _configs(seed: int) -> tuple[list[Config], list[Config]]:
    """(loss configurations, gradient configurations): no L2 term and a single example,
    several examples with and without the L2 term, and scores near 800 (for the loss only:
    there exp overflows unless the largest score is subtracted)."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, D, C, reg in (("N=1, reg=0", 1, 4, 3, 0.0), ("N=6, reg=0", 6, 5, 4, 0.0),
                                ("N=5, reg=0.1", 5, 4, 3, 0.1)):
        cases.append(Config(label, (rng.standard_normal((D, C)) * 0.5,
                                    rng.standard_normal((N, D)), rng.integers(0, C, N), reg),
                            m=N))
    # the bias trick of the assignment: a feature that is always 1, whose weights put
    # every score near 800 (the softmax of scores that close is not extreme)
    W = rng.standard_normal((4, 3))
    W[0] = 800
    X = rng.standard_normal((4, 4))
    X[:, 0] = 1
    large = Config("N=4, scores near 800, reg=0", (W, X, rng.integers(0, 3, 4), 0.0), m=4)
    return cases + [large], cases


def _reference(data_loss: Callable[..., Any], factor: float) -> Callable[..., Any]:
    def reference(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float]:
        return (data_loss(scores(W, X), y) + factor * reg * float(np.sum(W * W)),)
    return reference


def _mistakes(data_loss: Callable[..., Any], factor: float) -> list[Mistake]:
    mistakes = [
        Mistake("scale", "the loss summed over the N examples: divide the data loss by N "
                "(the loss is a mean)",
                lambda W, X, y, reg: (data_loss(scores(W, X), y) * X.shape[0]
                                      + factor * reg * float(np.sum(W * W)),)),
        Mistake("reg_term", "the data loss alone: the L2 term reg·ΣW² is missing",
                lambda W, X, y, reg: (data_loss(scores(W, X), y),) if reg else None),
    ]
    return mistakes


def _overflow(name: str, function: Callable[..., Any], config: Config) -> Finding | None:
    """An overflow Finding when the learner's loss is not finite on ``config``, else None."""
    with np.errstate(all="ignore"):
        loss = np.asarray(function(*config.fresh()[0])[0], dtype=float)
    if np.all(np.isfinite(loss)):
        return None
    return Finding("overflow", "loss", f"on {config.label}, {name}'s loss is {float(loss)}: "
                   f"np.exp of scores near 800 overflows. Subtracting each row's largest "
                   f"score before np.exp does not change the softmax and keeps it finite")


def central_differences(loss: Callable[..., Any], W: np.ndarray) -> np.ndarray:
    """The gradient of loss(W) (a number) by central differences, entry by entry, with the
    step 1e-6: for the small arrays of the generated configurations."""
    grad, eps = np.zeros_like(W), 1e-6
    for index in np.ndindex(*W.shape):
        plus, minus = W.copy(), W.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (loss(plus) - loss(minus)) / (2 * eps)
    return grad


def _named_gradient(function: Callable[..., Any], config: Config, dW: np.ndarray,
                    factor: float) -> Finding | None:
    """A Finding when dW is the gradient of the learner's own loss with the L2 part missing
    or its factor off by 2 (reg_gradient), or without the −1 at the labels in the softmax's
    gradient (softmax_label); else None."""
    W, X, y, reg = config.args
    numeric = central_differences(lambda w: function(w, X.copy(), y.copy(), reg)[0], W)
    right = 2 * factor * reg * W
    onehot = np.zeros((X.shape[0], W.shape[1]))
    onehot[np.arange(X.shape[0]), y] = 1
    candidates = [(numeric + X.T @ onehot / X.shape[0], "softmax_label",
                   "the gradient without the −1 at each example's label: dscores is the "
                   "softmax minus the one-hot labels")]
    if reg:
        half = factor == 1
        candidates += [
            (numeric - right, "reg_gradient", "the gradient without the L2 term's part: "
             "differentiate the whole loss, L2 term included"),
            (numeric - right / 2 if half else numeric + right, "reg_gradient",
             f"the gradient with the L2 term's part {'reg·W' if half else '2·reg·W'}, where "
             f"your loss's {'reg·ΣW²' if half else '½·reg·ΣW²'} gives "
             f"{'2·reg·W' if half else 'reg·W'}")]
    for wrong, kind, what in candidates:
        if np.allclose(dW, wrong, rtol=1e-5, atol=1e-7):
            return Finding(kind, "W", f"on {config.label}, dW equals {what}")
    return None


def linear_loss_exercise(name: str, data_loss: Callable[..., Any], softmax: bool) -> Exercise:
    """An exercise of a loss(W, X, y, reg) -> (loss, dW)."""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]
        loss_cases, grad_cases = _configs(seed)
        count = len(loss_cases) + len(grad_cases)
        findings, label, error = check_forward(
            name, function, loss_cases, _reference(data_loss, 1.0),
            _mistakes(data_loss, 1.0), 1, ("loss",))
        factor, version = L2_FACTORS[0]
        if findings and error is None:
            alternative = check_forward(name, function, loss_cases, _reference(data_loss, 0.5),
                                        (), 1, ("loss",))
            if not alternative[0]:
                findings, (factor, version) = [], L2_FACTORS[1]
            elif softmax and label == loss_cases[-1].label:
                findings = [_overflow(name, function, loss_cases[-1]) or findings[0]]
        course = f"{CS231N}, convention {version}"
        if findings:
            ok = None if findings[0].kind == EXCEPTION else False
            return Result(name, course, ok, findings, label, where(function, error, findings),
                          configs=count)
        for config in grad_cases:
            W, X, y, reg = config.args
            try:
                report = check_backprop(
                    lambda p, c=config: function(p["W"], *c.fresh()[0][1:])[0],
                    lambda p, c=config: {"dW": function(p["W"], *c.fresh()[0][1:])[1]},
                    {"W": W})
                named = None if report.ok else _named_gradient(
                    function, config, np.asarray(function(*config.fresh()[0])[1], float),
                    factor)
            except Exception as error:  # the learner's code
                return Result(name, course, None, [exception_finding(name, error)],
                              config.label, where(function, error), configs=count)
            if not report.ok:
                found = [named] if named else report.findings
                return Result(name, course, False, found, config.label,
                              where(function, None, found), report, configs=count)
        return Result(name, course, True, configs=count, where=where(function))

    return Exercise(name, CS231N, ("W", "X", "y", "reg"), check)


EXERCISES = [
    linear_loss_exercise("svm_loss_naive", svm_data_loss, softmax=False),
    linear_loss_exercise("svm_loss_vectorized", svm_data_loss, softmax=False),
    linear_loss_exercise("softmax_loss_naive", softmax_data_loss, softmax=True),
    linear_loss_exercise("softmax_loss_vectorized", softmax_data_loss, softmax=True),
]


# ---- LinearClassifier.train and .predict (linear_classifier.py) ----------------------------

TRAIN = "LinearClassifier.train"


def _softmax_loss_and_grad(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                           reg: float) -> tuple[float, np.ndarray]:
    """The reference softmax loss with its gradient, from verigrad's loss layer."""
    loss = SoftmaxCrossEntropy()
    value = float(loss.forward(scores(W, X).T, y)) + reg * float(np.sum(W * W))
    return value, X.T @ loss.backward().T + 2 * reg * W


class _Recorder:
    """A loss method that records each call (W, X_batch, y_batch) and answers with the
    reference softmax loss and its gradient."""

    def __init__(self) -> None:
        self.calls = []

    def __call__(self, model: Any, X_batch: np.ndarray, y_batch: np.ndarray,
                 reg: float) -> tuple[float, np.ndarray]:
        X_batch, y_batch = np.asarray(X_batch, float), np.asarray(y_batch)
        loss, grad = _softmax_loss_and_grad(np.array(model.W, float), X_batch, y_batch, reg)
        self.calls.append((np.array(model.W, float), X_batch.copy(), y_batch.copy(), loss,
                           grad))
        return loss, grad


def _train_findings(model: Any, recorder: _Recorder, history: list[float],
                    X: np.ndarray, y: np.ndarray, settings: dict[str, Any]) -> list[Any]:
    """What is wrong with a recorded training run, as Findings (none when it is right)."""
    calls, lr = recorder.calls, settings["learning_rate"]
    iters, batch = settings["num_iters"], settings["batch_size"]
    label = (f"N={len(y)}, batch_size={batch}, num_iters={iters}, "
             f"learning_rate={lr}")
    if len(calls) != iters:
        return [Finding("sgd_step", None, f"on {label}, train called loss {len(calls)} times "
                        f"in {iters} iterations: one mini-batch per iteration")]
    rows = {tuple(row): i for i, row in enumerate(X)}
    for k, (W, X_batch, y_batch, _, grad) in enumerate(calls):
        if X_batch.shape != (batch, X.shape[1]) or y_batch.shape != (batch,):
            return [Finding("sgd_step", None, (
                f"on {label}, iteration {k + 1}'s batch has X_batch of shape {X_batch.shape} "
                f"and y_batch of shape {y_batch.shape}; expected ({batch}, {X.shape[1]}) and "
                f"({batch},): sample batch_size examples"))]
        index = [rows.get(tuple(row)) for row in X_batch]
        if None in index or not np.array_equal(y[index], y_batch):
            return [Finding("sgd_step", None, (
                f"on {label}, iteration {k + 1}'s y_batch is not the labels of the rows of "
                f"X_batch: draw one set of indices and take both from it"))]
        after = calls[k + 1][0] if k + 1 < len(calls) else np.array(model.W, float)
        if not np.allclose(after, W - lr * grad, rtol=1e-6, atol=1e-12):
            up = np.allclose(after, W + lr * grad, rtol=1e-6, atol=1e-12)
            return [Finding("sgd_step", "W", (
                f"on {label}, after iteration {k + 1} W is " + (
                    "W + learning_rate·grad: the step goes up the gradient" if up else
                    "not W − learning_rate·grad of that iteration's loss")))]
    history = np.asarray(history if history is not None else [], dtype=float).ravel()
    losses = np.array([call[3] for call in calls])
    if history.shape != losses.shape or not np.allclose(history, losses):
        return [Finding("forward", None, f"on {label}, the loss history returned is not the "
                        f"{iters} losses of the iterations, in order")]
    return []


def _train_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    rng = np.random.default_rng(seed)
    N, D, C = 30, 5, 3
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)
    y[:C] = np.arange(C)  # every class appears: W gets C columns
    settings = {"learning_rate": 0.1, "reg": 0.01, "num_iters": 5, "batch_size": 8}
    recorder = _Recorder()
    model = subclass(cls, {"loss": lambda self, *a: recorder(self, *a)})()
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        history = model.train(X.copy(), y.copy(), verbose=False, **settings)
        findings = _train_findings(model, recorder, history, X, y, settings)
    except Exception as error:  # the learner's code
        return Result(TRAIN, CS231N, None, [exception_finding(TRAIN, error)],
                      where=where(function, error), configs=1)
    finally:
        np.random.set_state(state)
    if not findings and np.shape(recorder.calls[0][0]) != (D, C):
        findings = [Finding("shape", "W", f"the initial W has shape "
                            f"{np.shape(recorder.calls[0][0])}, expected (D, C) = ({D}, {C})")]
    return Result(TRAIN, CS231N, not findings, findings,
                  "N=30, batch_size=8, num_iters=5" if findings else None,
                  where(function, None, findings), configs=1)


def _predict_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config(label, (rng.standard_normal((D, C)), rng.standard_normal((N, D))))
            for label, N, D, C in (("N=6, D=4, C=3", 6, 4, 3), ("N=1, D=3, C=5", 1, 3, 5))]


def _predict_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    name, cases = "LinearClassifier.predict", _predict_configs(seed)

    def call(W: np.ndarray, X: np.ndarray) -> np.ndarray:
        model = cls()
        model.W = W
        return model.predict(X)

    findings, label, error = check_forward(
        name, call, cases, lambda W, X: (np.argmax(scores(W, X), axis=1),), (), 1, ("y_pred",))
    ok = (None if findings[0].kind == EXCEPTION else False) if findings else True
    return Result(name, CS231N, ok, findings, label, where(function, error, findings),
                  configs=len(cases))


EXERCISES += [
    method_exercise(TRAIN, CS231N, ("self", "X", "y"), _train_check),
    method_exercise("LinearClassifier.predict", CS231N, ("self", "X"), _predict_check),
]
