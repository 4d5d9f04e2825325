"""The Deep Learning Specialization's course 2 week 2, "Optimization Methods":
``update_parameters_with_gd``, ``random_mini_batches``, ``initialize_velocity``,
``update_parameters_with_momentum``, ``initialize_adam``, ``update_parameters_with_adam``,
``update_lr`` and ``schedule_lr_decay``.

An update rule is checked over several steps, each from the reference's state of the step
before (so a mistake that shows only from the second step, such as a bias correction
without the power t, is caught and the step named), against verigrad's own optimizers:
``SGD`` for gradient descent; ``SGD`` with momentum for the course's v ← β·v + (1 − β)·dW,
W ← W − α·v (the same method with the rate scaled by 1 − β and v by 1/(1 − β)); ``Adam``
with the course's v and s as its state; ``InverseTimeDecay`` for the two schedules. The
parameters are compared by their change in the step, so that a wrong ε, small next to the
weights, still shows. ``random_mini_batches`` is random: it is judged on what every correct
version returns whatever its seed (a partition of the examples into mini-batches of the
given size and one smaller last one, labels shuffled with their examples, an order that is
shuffled), with examples whose columns say which example they are.

Versions: ``update_parameters_with_adam`` returns (parameters, v, s) in the older notebook
and (parameters, v, s, v_corrected, s_corrected) in the newer; both are accepted, and the
corrected moments are compared when they are returned.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import MUTATION, SHAPE, SIGN, Finding
from ..optim import SGD, Adam, InverseTimeDecay
from .core import (
    Config,
    Exercise,
    Mistake,
    Result,
    close,
    difference,
    exception_finding,
    forward_exercise,
    register_mistakes,
    where,
)

COURSE = "Deep Learning Specialization, course 2 week 2"

#: the finding kinds this week adds (kind -> when it is reported, where the message points)
KINDS = register_mistakes({
    "keys": ("initialize_velocity or initialize_adam keys the moments like the parameters",
             "the keys: dW1, db1, ..., like the gradients"),
    "ema_weight": ("a moving average's new term is not weighted by 1 − β (v = β·v + dW)",
                   "the line that updates v (or s)"),
    "momentum_update": ("momentum moves the parameters along dW instead of the velocity v",
                        "the update of W and b"),
    "bias_correction": ("Adam's bias correction divides by 1 − β instead of 1 − βᵗ, or "
                        "stores the corrected moments in v and s",
                        "v_corrected and s_corrected, and what v and s keep"),
    "eps_sqrt": ("Adam divides by √(ŝ + ε) instead of √ŝ + ε", "the update's denominator"),
    "adam_swap": ("Adam with v and s swapped: β1 and β2 exchanged, or ŝ/√v̂ as the step",
                  "which moment uses which β, and the step v̂ / (√ŝ + ε)"),
    "adam_t": ("Adam's bias correction with t − 1 or t + 1 instead of the step count t",
               "the power of β in the bias correction"),
    "minibatch_partition": ("random_mini_batches drops or repeats examples, or returns batches "
                            "of the wrong sizes", "the slice of each mini-batch"),
    "minibatch_partial": ("random_mini_batches loses the last partial mini-batch (or adds an "
                          "empty one)", "the batch of the m % mini_batch_size examples left"),
    "minibatch_labels": ("a mini-batch's labels are not those of its examples",
                         "the permutation applied to Y"),
    "minibatch_shuffle": ("random_mini_batches leaves the examples in order",
                          "the permutation of the columns"),
    "lr_decay": ("update_lr or schedule_lr_decay computes another decay",
                 "the formula's denominator: parentheses, and ⌊epoch_num / time_interval⌋"),
})



def _network(rng: np.random.Generator, dims: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """parameters W1, b1, ... of a network with layer sizes ``dims`` (nonzero biases, so that
    a mistake in b shows)."""
    parameters = {}
    for k in range(1, len(dims)):
        parameters[f"W{k}"] = rng.standard_normal((dims[k], dims[k - 1]))
        parameters[f"b{k}"] = rng.standard_normal((dims[k], 1))
    return parameters


def _gradients(rng: np.random.Generator, parameters: dict[str, np.ndarray],
               scale: float = 1.0) -> dict[str, np.ndarray]:
    return {"d" + k: rng.standard_normal(v.shape) * scale for k, v in parameters.items()}


def _zeros(parameters: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"d" + k: np.zeros_like(v) for k, v in parameters.items()}


def _step(optimizer: Adam | SGD, parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
          state: dict[str, tuple[np.ndarray, ...]] | None = None) -> dict[str, np.ndarray]:
    """parameters after one step of ``optimizer`` (copies; ``state`` name -> its slots)."""
    new = {k: np.array(v, dtype=float) for k, v in parameters.items()}
    for k, slots in (state or {}).items():
        optimizer.state[k] = tuple(np.array(a, dtype=float) for a in slots)
    optimizer.step(new, {k: np.array(grads["d" + k], dtype=float) for k in new})
    return new


# ---- gradient descent ------------------------------------------------------------------------


def _gd_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, dims, lr in (("2 layers, learning_rate=0.01", (3, 2, 1), 0.01),
                            ("3 layers, learning_rate=0.5", (4, 3, 2, 1), 0.5)):
        parameters = _network(rng, dims)
        cases.append(Config(label, (parameters, _gradients(rng, parameters), lr)))
    return cases


def _gd_reference(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                  learning_rate: float) -> tuple[dict[str, np.ndarray]]:
    return (_step(SGD(learning_rate, backend="numpy"), parameters, grads),)


def _gd_ascent(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
               learning_rate: float) -> tuple[dict[str, np.ndarray]]:
    return (_step(SGD(learning_rate, backend="numpy"), parameters,
                  {k: -g for k, g in grads.items()}),)


GD_MISTAKES = [Mistake(SIGN, "gradient ascent, W + α·dW: the step goes against the gradient, "
                       "W − α·dW", _gd_ascent)]


# ---- random mini-batches ---------------------------------------------------------------------


def _batch_configs(seed: int) -> list[Config]:
    """m and the batch size: a last partial batch, none (m a multiple of the size), and one
    batch smaller than the size. Example j's column is (j, −j, j/2) and its label j."""
    cases = []
    for m, size in ((148, 64), (128, 32), (7, 64)):
        j = np.arange(m, dtype=float)
        label = f"m={m}, mini_batch_size={size}"
        cases.append(Config(label, (np.stack([j, -j, j / 2]), j[None, :].copy(), size, seed)))
    return cases


def _partition_findings(name: str, batches: list[Any], m: int, size: int) -> list[Any]:
    """Findings on the returned mini-batches: pairs of the right shapes, real examples with
    their own labels, each example exactly once, the sizes, a shuffled order."""
    try:
        pairs = [(np.asarray(x, dtype=float), np.asarray(y, dtype=float)) for x, y in batches]
    except (TypeError, ValueError):
        return [Finding(SHAPE, None, f"{name} must return a list of (mini_batch_X, "
                        f"mini_batch_Y) pairs, got {type(batches).__name__}")]
    for k, (x, y) in enumerate(pairs):
        if x.ndim != 2 or x.shape[0] != 3 or y.shape != (1, x.shape[1]):
            return [Finding(SHAPE, None, (
                f"mini-batch {k + 1} has X of shape {x.shape} and Y of shape {y.shape}; with "
                f"X of shape (3, {m}) and Y of shape (1, {m}), a batch of k examples has X "
                f"(3, k) and Y (1, k), examples in columns"))]
        if not (np.array_equal(x[1], -x[0]) and np.array_equal(x[2], x[0] / 2)):
            return [Finding("minibatch_partition", None, (
                f"mini-batch {k + 1} holds columns that are not examples of X: the examples "
                f"are its columns, X[:, permutation]"))]
        if not np.array_equal(y[0], x[0]):
            return [Finding("minibatch_labels", None, (
                f"mini-batch {k + 1}'s labels are not those of its examples: shuffle X and "
                f"Y with the same permutation"))]
    taken = np.concatenate([x[0] for x, _ in pairs]).astype(int) if pairs else np.array([])
    sizes = [x.shape[1] for x, _ in pairs]
    full, rest = divmod(m, size)
    expected = [size] * full + ([rest] if rest else [])
    counts = np.bincount(taken, minlength=m) if taken.size else np.zeros(m, int)
    missing, repeated = int(np.sum(counts == 0)), int(np.sum(counts > 1))
    if sizes == expected[:-1] and rest and missing == rest and not repeated:
        return [Finding("minibatch_partial", None, (
            f"the last mini-batch, of the {rest} examples left after {full} full ones, is "
            f"missing: when m is not a multiple of mini_batch_size the remainder is a batch "
            f"too"))]
    if sizes == expected + [0] and not missing:
        return [Finding("minibatch_partial", None, (
            f"an empty mini-batch after the {full} full ones: with m a multiple of "
            f"mini_batch_size there is no partial batch"))]
    if missing or repeated:
        what = " and ".join(part for part in (
            f"leave out {missing} of the {m} examples" if missing else "",
            f"repeat {repeated} of them" if repeated else "") if part)
        return [Finding("minibatch_partition", None, (
            f"the mini-batches {what}: each example belongs to exactly one batch (batch sizes "
            f"{sizes}; look at the slice of each batch, the last one especially)"))]
    if sizes != expected:
        return [Finding("minibatch_partition", None, (
            f"the batch sizes are {sizes}, expected {expected}: full batches of "
            f"mini_batch_size, then the remainder"))]
    if m > 10 and np.array_equal(taken, np.arange(m)):
        return [Finding("minibatch_shuffle", None, (
            "the examples are in their original order: shuffle the columns of X and Y with "
            "one permutation (np.random.permutation(m)) before partitioning"))]
    return []


def _check_mini_batches(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    name = "random_mini_batches"
    function = functions[name]
    cases = _batch_configs(seed)
    state = np.random.get_state()
    try:
        for config in cases:
            X, Y, size, _ = config.args
            args, kwargs = config.fresh()
            try:
                batches = function(*args, **kwargs)
            except Exception as error:  # the learner's code
                return Result(name, COURSE, None, [exception_finding(name, error)],
                              config.label, where(function, error), configs=len(cases))
            findings = _partition_findings(name, batches, X.shape[1], size)
            if not findings and not (np.array_equal(args[0], X) and np.array_equal(args[1], Y)):
                findings = [Finding(MUTATION, None, f"{name} changed X or Y in place; shuffle "
                                    f"copies (X[:, permutation] is one)")]
            if findings:
                return Result(name, COURSE, False, findings, config.label, where(function),
                              configs=len(cases))
    finally:
        np.random.set_state(state)
    return Result(name, COURSE, True, where=where(function), configs=len(cases))


# ---- initial states --------------------------------------------------------------------------


def _state_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("2 layers", (_network(rng, (3, 2, 1)),)),
            Config("3 layers", (_network(rng, (4, 5, 3, 1)),))]


def _undifferentiated(parameters: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.zeros_like(v) for k, v in parameters.items()}


_KEYS = Mistake("keys", "zeros keyed like the parameters (W1, b1): the moments are keyed like "
                "the gradients, dW1, db1", lambda parameters: (_undifferentiated(parameters),) * 2)


# ---- momentum and Adam: several steps --------------------------------------------------------


def _momentum_reference(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                        v: dict[str, np.ndarray], beta: float,
                        learning_rate: float) -> tuple[dict[str, np.ndarray],
                                                       dict[str, np.ndarray]]:
    """(parameters, v) after one step of the course's momentum, with verigrad's SGD: its
    velocity is the course's v / (1 − β) and its rate α·(1 − β)."""
    optimizer = SGD(learning_rate * (1 - beta), momentum=beta, backend="numpy")
    new = _step(optimizer, parameters, grads,
                {k: (v["d" + k] / (1 - beta),) for k in parameters})
    return new, {"d" + k: optimizer.state[k][0] * (1 - beta) for k in parameters}


def _momentum_variant(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                      v: dict[str, np.ndarray], beta: float, learning_rate: float, *,
                      weight: bool = True,
                      use_v: bool = True) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A wrong momentum step: the new term not weighted by (1 − β), or the step along dW."""
    new_v = {k: beta * v[k] + ((1 - beta) if weight else 1) * g for k, g in grads.items()}
    move = new_v if use_v else grads
    return ({k: p - learning_rate * move["d" + k] for k, p in parameters.items()}, new_v)


MOMENTUM_MISTAKES = [
    Mistake("ema_weight", "v = β·v + dW, without the (1 − β) that weighs the new gradient",
            lambda *a: _momentum_variant(*a, weight=False)),
    Mistake("momentum_update", "a step along dW instead of the velocity: W − α·v",
            lambda *a: _momentum_variant(*a, use_v=False)),
]


def _adam_reference(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                    v: dict[str, np.ndarray], s: dict[str, np.ndarray], t: int,
                    learning_rate: float, beta1: float, beta2: float,
                    epsilon: float) -> tuple[dict[str, np.ndarray], ...]:
    """(parameters, v, s, v_corrected, s_corrected) after step t of verigrad's Adam, whose
    state is the course's v and s."""
    optimizer = Adam(learning_rate, beta1, beta2, epsilon, backend="numpy")
    optimizer.t = t - 1  # step() counts it up to t
    new = _step(optimizer, parameters, grads, {k: (v["d" + k], s["d" + k]) for k in parameters})
    new_v = {"d" + k: optimizer.state[k][0] for k in parameters}
    new_s = {"d" + k: optimizer.state[k][1] for k in parameters}
    return (new, new_v, new_s, {k: a / (1 - beta1 ** t) for k, a in new_v.items()},
            {k: a / (1 - beta2 ** t) for k, a in new_s.items()})


def _adam_variant(parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray],
                  v: dict[str, np.ndarray], s: dict[str, np.ndarray], t: int, learning_rate: float,
                  beta1: float, beta2: float, epsilon: float, *,
                  weight: tuple[bool, bool] = (True, True),
                  power: tuple[bool, bool] = (True, True),
                  stored: tuple[bool, bool] = (False, False),
                  eps_inside: bool = False, betas_swapped: bool = False,
                  moments_swapped: bool = False, dt: int = 0) -> tuple[dict[str, np.ndarray], ...]:
    """The outputs of one step of a wrong Adam (the keyword names the mistake; a pair
    applies to v and s in turn)."""
    b1, b2 = (beta2, beta1) if betas_swapped else (beta1, beta2)
    T = t + dt
    c1 = 1 - (b1 ** T if power[0] else b1)
    c2 = 1 - (b2 ** T if power[1] else b2)
    new, new_v, new_s, v_c, s_c = {}, {}, {}, {}, {}
    with np.errstate(all="ignore"):  # a t of 0 divides by 1 − β⁰ = 0, as the learner's does
        for k, p in parameters.items():
            g, d = grads["d" + k], "d" + k
            new_v[d] = b1 * v[d] + ((1 - b1) if weight[0] else 1) * g
            new_s[d] = b2 * s[d] + ((1 - b2) if weight[1] else 1) * g * g
            v_c[d], s_c[d] = new_v[d] / c1, new_s[d] / c2
            top, bottom = (s_c, v_c) if moments_swapped else (v_c, s_c)
            root = np.sqrt(bottom[d] + epsilon) if eps_inside else np.sqrt(bottom[d]) + epsilon
            new[k] = p - learning_rate * top[d] / root
            if stored[0]:
                new_v[d] = v_c[d]
            if stored[1]:
                new_s[d] = s_c[d]
    return new, new_v, new_s, v_c, s_c


def _adam(message: str, kind: str, **wrong: Any) -> Mistake:
    return Mistake(kind, message, lambda *a: _adam_variant(*a, **wrong))


def _in_either(message: str, kind: str, flag: str, wrong: bool) -> list[Mistake]:
    """The mistake in both moments, then in v only, then in s only."""
    return [_adam(message, kind, **{flag: pair})
            for pair in ((wrong, wrong), (wrong, not wrong), (not wrong, wrong))]


ADAM_MISTAKES = [
    *_in_either("v = β1·v + dW (or s = β2·s + dW²), without the (1 − β) that weighs the new "
                "term", "ema_weight", "weight", False),
    *_in_either("a bias correction by 1 − β instead of 1 − βᵗ: the power t is missing (at "
                "t = 1 the two agree)", "bias_correction", "power", False),
    *_in_either("the corrected moments stored back into v and s: v_corrected and s_corrected "
                "are for the step only, v and s carry the uncorrected averages",
                "bias_correction", "stored", True),
    _adam("√(ŝ + ε) in the denominator: ε is added after the square root, √ŝ + ε",
          "eps_sqrt", eps_inside=True),
    _adam("v averaged with β2 and s with β1: β1 belongs to the gradient's average v, β2 to "
          "the squares' s", "adam_swap", betas_swapped=True),
    _adam("ŝ / (√v̂ + ε): the step is v̂ / (√ŝ + ε), the gradient's average over the root of "
          "the squares'", "adam_swap", moments_swapped=True),
    _adam("a bias correction with t − 1: t counts the steps from 1, so the first step "
          "divides by 1 − β¹", "adam_t", dt=-1),
    _adam("a bias correction with t + 1: t is counted up by the caller, not inside the "
          "function", "adam_t", dt=1),
]


def _momentum_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, dims, beta, lr in (("2 layers, beta=0.9, learning_rate=0.01", (3, 2, 1), 0.9,
                                   0.01),
                                  ("3 layers, beta=0.8, learning_rate=0.3", (4, 3, 2, 1), 0.8,
                                   0.3)):
        parameters = _network(rng, dims)
        grads = [_gradients(rng, parameters) for _ in range(3)]
        cases.append(Config(label, (parameters, grads, (_zeros(parameters),), (beta, lr))))
    return cases


def _adam_configs(seed: int) -> list[Config]:
    """The notebook's hyperparameters; then ones where every mistake shows plainly: a large
    ε next to small gradients (ε inside the root), betas far apart (swapped betas)."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, dims, hyper, scale in (
            ("2 layers, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8", (3, 2, 1),
             (0.01, 0.9, 0.999, 1e-8), 1.0),
            ("3 layers, learning_rate=0.1, beta1=0.8, beta2=0.95, epsilon=0.01, small "
             "gradients", (4, 3, 2, 1), (0.1, 0.8, 0.95, 1e-2), 0.05)):
        parameters = _network(rng, dims)
        grads = [_gradients(rng, parameters, scale) for _ in range(3)]
        cases.append(Config(label, (parameters, grads, (_zeros(parameters), _zeros(parameters)),
                                    hyper)))
    return cases


_MOMENT_NAMES = ("parameters", "v", "s", "v_corrected", "s_corrected")


def _compare(got: tuple[Any, ...], expected: tuple[Any, ...],
             before: dict[str, np.ndarray]) -> tuple[int, dict[str, np.ndarray],
                                                     dict[str, np.ndarray]] | None:
    """(index, name) of the first output of ``got`` that differs from ``expected``, or None;
    parameters (output 0) are compared by their change from ``before``."""
    for i, (g, e) in enumerate(zip(got, expected)):
        if i == 0:
            if not isinstance(g, dict) or not set(e) <= set(g):  # extra entries are fine
                return i, g, e
            g = {k: np.asarray(g[k], dtype=float) - before[k] for k in e}
            e = {k: e[k] - before[k] for k in e}
        if not close(g, e):
            return i, g, e
    return None


def _stepwise_exercise(name: str, parameters_names: tuple[str, ...], configs: Callable[..., Any],
                       reference: Callable[..., Any], mistakes: list[Mistake],
                       least: int) -> Exercise:
    """An update rule run for several steps: each step's call gets the reference's state of
    the previous step, and its outputs (the first ``least`` always, the rest when returned)
    are compared with the reference's. A step that differs is matched against the mistakes,
    computed from the same state."""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]
        cases = configs(seed)
        for config in cases:
            parameters, grads, state, hyper = config.args
            for t, g in enumerate(grads, 1):
                counter = (t,) if name.endswith("adam") else ()
                args = (parameters, g, *state, *counter, *hyper)
                label = f"{config.label}, step {t}"
                try:
                    with np.errstate(all="ignore"):
                        got = function(*copy.deepcopy(args))
                except Exception as error:  # the learner's code
                    return Result(name, COURSE, None, [exception_finding(name, error)], label,
                                  where(function, error), configs=len(cases))
                expected = reference(*copy.deepcopy(args))
                got = tuple(got) if isinstance(got, (tuple, list)) else (got,)
                if len(got) < least:
                    return Result(name, COURSE, False, [Finding(SHAPE, None, (
                        f"{name} returns {len(got)} values; it returns "
                        f"{', '.join(_MOMENT_NAMES[:least])}"))], label, where(function),
                        configs=len(cases))
                wrong = _compare(got, expected[:len(got)], parameters)
                if wrong is not None:
                    i, g_i, e_i = wrong
                    finding = Finding("forward", None, (
                        f"on {label}, {difference(g_i, e_i, _MOMENT_NAMES[i])}" +
                        (" (the change of the parameters in this step)" if i == 0 else "")))
                    for mistake in mistakes:
                        predicted = mistake.output(*copy.deepcopy(args))
                        if _compare(got, predicted[:len(got)], parameters) is None:
                            finding = Finding(mistake.kind, None, (
                                f"on {label}, {name}'s outputs equal {mistake.message}"))
                            break
                    return Result(name, COURSE, False, [finding], label, where(function),
                                  configs=len(cases))
                parameters, *state = expected[:1 + len(state)]
        return Result(name, COURSE, True, where=where(function), configs=len(cases))

    return Exercise(name, COURSE, tuple(parameters_names), check)


# ---- learning-rate decay ---------------------------------------------------------------------


def _decay_configs(seed: int) -> list[Config]:
    return [Config("learning_rate0=0.5, epoch_num=2, decay_rate=1", (0.5, 2, 1)),
            Config("learning_rate0=0.1, epoch_num=7, decay_rate=0.3", (0.1, 7, 0.3))]


def _schedule_configs(seed: int) -> list[Config]:
    return [Config(f"learning_rate0={lr}, epoch_num={epoch}, decay_rate={rate}, "
                   f"time_interval={interval}", (lr, epoch, rate, interval))
            for lr, epoch, rate, interval in ((0.5, 100, 1, 1000), (0.5, 1500, 0.3, 1000),
                                              (0.1, 250, 0.3, 100))]


def _update_lr_reference(learning_rate0: float, epoch_num: int, decay_rate: float) -> tuple[float]:
    return (learning_rate0 * InverseTimeDecay(decay_rate)(epoch_num),)


def _schedule_reference(learning_rate0: float, epoch_num: int, decay_rate: float,
                        time_interval: int = 1000) -> tuple[float]:
    return (learning_rate0 * InverseTimeDecay(decay_rate, time_interval, staircase=True)(
        epoch_num),)


UPDATE_LR_MISTAKES = [
    Mistake("lr_decay", "learning_rate0 / 1 + decay_rate·epoch_num: the denominator needs "
            "its parentheses, α₀ / (1 + decay_rate·epoch_num)",
            lambda lr, epoch, rate: (lr / 1 + rate * epoch,)),
    Mistake("lr_decay", "α₀ / (1 + decay_rate)·epoch_num: the epoch belongs in the "
            "denominator", lambda lr, epoch, rate: (lr / (1 + rate) * epoch,)),
]
SCHEDULE_MISTAKES = [
    Mistake("lr_decay", "a continuous decay, α₀ / (1 + decay_rate·epoch_num / time_interval): "
            "the schedule drops in steps, with ⌊epoch_num / time_interval⌋",
            lambda lr, epoch, rate, interval=1000: (
                lr * InverseTimeDecay(rate, interval)(epoch),)),
    Mistake("lr_decay", "the decay of every epoch, α₀ / (1 + decay_rate·epoch_num): the "
            "schedule counts whole time intervals, ⌊epoch_num / time_interval⌋",
            lambda lr, epoch, rate, interval=1000: (lr * InverseTimeDecay(rate)(epoch),)),
]

EXERCISES = [
    forward_exercise("update_parameters_with_gd", COURSE, ("parameters", "grads",
                                                           "learning_rate"),
                     _gd_configs, _gd_reference, GD_MISTAKES, names=("parameters",),
                     in_place=True),
    Exercise("random_mini_batches", COURSE, ("X", "Y", "mini_batch_size", "seed"),
             _check_mini_batches),
    forward_exercise("initialize_velocity", COURSE, ("parameters",), _state_configs,
                     lambda parameters: (_zeros(parameters),), [_KEYS], names=("v",)),
    _stepwise_exercise("update_parameters_with_momentum",
                       ("parameters", "grads", "v", "beta", "learning_rate"),
                       _momentum_configs, _momentum_reference, MOMENTUM_MISTAKES, least=2),
    forward_exercise("initialize_adam", COURSE, ("parameters",), _state_configs,
                     lambda parameters: (_zeros(parameters),) * 2, [_KEYS], outputs=2,
                     names=("v", "s")),
    _stepwise_exercise("update_parameters_with_adam",
                       ("parameters", "grads", "v", "s", "t", "learning_rate", "beta1",
                        "beta2", "epsilon"),
                       _adam_configs, _adam_reference, ADAM_MISTAKES, least=3),
    forward_exercise("update_lr", COURSE, ("learning_rate0", "epoch_num", "decay_rate"),
                     _decay_configs, _update_lr_reference, UPDATE_LR_MISTAKES,
                     names=("learning_rate",)),
    forward_exercise("schedule_lr_decay", COURSE, ("learning_rate0", "epoch_num",
                                                   "decay_rate", "time_interval"),
                     _schedule_configs, _schedule_reference, SCHEDULE_MISTAKES,
                     names=("learning_rate",)),
]
