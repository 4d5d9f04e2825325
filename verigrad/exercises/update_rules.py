"""CS231n's update rules (``optim.py``): ``sgd``, ``sgd_momentum``, ``rmsprop``, ``adam``.

Each is ``rule(w, dw, config=None) -> (next_w, config)``: the config dict holds the
hyperparameters (learning_rate, momentum, decay_rate, beta1, beta2, epsilon) and the state
the rule carries from one step to the next (velocity; cache; m, v and t). A rule is run
for several steps, each on the config the previous step returned, and every next_w is
compared with verigrad's optimizer (``verigrad.optim``) taking the same steps: CS231n's
momentum v ← μ·v − lr·dw, w ← w + v is ``SGD(lr, momentum=μ)`` with v = −lr·(its v);
RMSProp's cache and Adam's m, v are the optimizers' own slots. A wrong trajectory is
compared with the ones the common wrong formulas give, to name the mistake.

Versions: the 2018+ templates start Adam's t at 0 and increment it before the bias
correction; CS231n 2017 started it at 1, and solutions that increment after using it are
the same method. A learner's adam that follows either is right, and the result says which.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import EXCEPTION, Finding
from ..optim import SGD, Adam, RMSProp
from .core import Exercise, Result, close, exception_finding, register_mistakes, where

KINDS = register_mistakes({
    "no_one_minus": ("an update rule's moving average adds the new term without its (1 − β)",
                     "the factor of dw (or dw²) in the running average"),
    "bias_power": ("Adam's bias correction divides by (1 − β) instead of (1 − βᵗ)",
                   "the power t in the bias correction"),
    "eps_in_sqrt": ("an update divides by √(v + ε) instead of √v + ε",
                    "where ε is added: outside the square root"),
    "config_state": ("an update rule's steps each start from the first state: the new "
                     "velocity, cache, m, v or t is not stored in the config it returns",
                     "config['velocity'], config['cache'], config['m'], config['v'], config['t']"),
    "t_step": ("Adam's t is not incremented between steps",
               "config['t'] += 1 before the bias correction"),
})


CS231N = "CS231n assignment 2 (optim.py)"
STEPS = 4


def _apply(optimizer: Any, w: np.ndarray, dw: np.ndarray) -> np.ndarray:
    next_w = w.astype(float).copy()
    optimizer.step({"w": next_w}, {"w": np.asarray(dw, dtype=float).copy()})
    return next_w


# ---- the references: verigrad's optimizers, one step from the config's state -------------


def _sgd(w: np.ndarray, dw: np.ndarray,
         config: dict[str, float]) -> tuple[np.ndarray, dict[str, float]]:
    return _apply(SGD(config["learning_rate"], backend="numpy"), w, dw), config


def _momentum(w: np.ndarray, dw: np.ndarray,
              config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    lr, mu = config["learning_rate"], config["momentum"]
    optimizer = SGD(lr, momentum=mu, backend="numpy")
    (v,) = optimizer.slots("w", w)
    v[...] = -config["velocity"] / lr
    next_w = _apply(optimizer, w, dw)
    return next_w, {**config, "velocity": -lr * v}


def _rmsprop(w: np.ndarray, dw: np.ndarray,
             config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    optimizer = RMSProp(config["learning_rate"], beta=config["decay_rate"],
                        eps=config["epsilon"], backend="numpy")
    (s,) = optimizer.slots("w", w)
    s[...] = config["cache"]
    next_w = _apply(optimizer, w, dw)
    return next_w, {**config, "cache": s.copy()}


def _adam(after: bool = False) -> Callable[..., Any]:
    """Adam that increments t before the bias correction, or (after) uses t, then adds 1."""

    def step(w: np.ndarray, dw: np.ndarray,
             config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        optimizer = Adam(config["learning_rate"], config["beta1"], config["beta2"],
                         config["epsilon"], backend="numpy")
        m, v = optimizer.slots("w", w, 2)
        m[...], v[...] = config["m"], config["v"]
        optimizer.t = config["t"] - (1 if after else 0)
        next_w = _apply(optimizer, w, dw)
        return next_w, {**config, "m": m.copy(), "v": v.copy(), "t": config["t"] + 1}
    return step


# ---- the wrong formulas --------------------------------------------------------------------


class _Stateless:
    """The rule with every step starting from the first config's state (``fresh()`` for
    each trajectory)."""

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule, self.first = rule, None

    def fresh(self) -> _Stateless:
        return _Stateless(self.rule)

    def __call__(self, w: np.ndarray, dw: np.ndarray,
                 config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        if self.first is None:
            self.first = copy.deepcopy(config)
        return self.rule(w, dw, copy.deepcopy(self.first))


def _ascending_sgd(w: np.ndarray, dw: np.ndarray,
                   config: dict[str, float]) -> tuple[np.ndarray, dict[str, float]]:
    return w + config["learning_rate"] * dw, config


def _rmsprop_variant(one_minus: bool = True, eps_inside: bool = False) -> Callable[..., Any]:
    def step(w: np.ndarray, dw: np.ndarray,
             config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        beta, lr, eps = config["decay_rate"], config["learning_rate"], config["epsilon"]
        cache = beta * config["cache"] + (1 - beta if one_minus else 1) * dw * dw
        root = np.sqrt(cache + eps) if eps_inside else np.sqrt(cache) + eps
        return w - lr * dw / root, {**config, "cache": cache}
    return step


def _adam_variant(one_minus: bool = True, power: bool = True, eps_inside: bool = False,
                  offset: int = 1, store_t: bool = True) -> Callable[..., Any]:
    """Adam with one mistake; offset: the t used is config's t + offset, stored back only
    with store_t."""

    def step(w: np.ndarray, dw: np.ndarray,
             config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        b1, b2 = config["beta1"], config["beta2"]
        t = config["t"] + offset
        m = b1 * config["m"] + (1 - b1 if one_minus else 1) * dw
        v = b2 * config["v"] + (1 - b2 if one_minus else 1) * dw * dw
        with np.errstate(all="ignore"):
            m_hat = m / (1 - b1 ** (t if power else 1))
            v_hat = v / (1 - b2 ** (t if power else 1))
            root = np.sqrt(v_hat + config["epsilon"]) if eps_inside else (
                np.sqrt(v_hat) + config["epsilon"])
            next_w = w - config["learning_rate"] * m_hat / root
        return next_w, {**config, "m": m, "v": v, "t": t if store_t else config["t"]}
    return step


_STATE = ("config_state", "steps that each start from the first config's state: the new "
          "state is not stored in the config returned, so the next step cannot use it")
MISTAKES = {
    "sgd": [("sign", "w + learning_rate·dw: the step goes up the gradient", _ascending_sgd)],
    "sgd_momentum": [
        ("config_state", _STATE[1], _Stateless(_momentum)),
        ("no_one_minus", "plain SGD: the velocity is not used (or not carried)", _sgd)],
    "rmsprop": [
        ("no_one_minus", "cache ← decay_rate·cache + dw², without (1 − decay_rate)",
         _rmsprop_variant(one_minus=False)),
        ("eps_in_sqrt", "w − lr·dw/√(cache + ε): ε belongs outside the square root",
         _rmsprop_variant(eps_inside=True)),
        ("config_state", _STATE[1], _Stateless(_rmsprop))],
    "adam": [
        ("no_one_minus", "m ← β1·m + dw and v ← β2·v + dw², without the (1 − β) factors",
         _adam_variant(one_minus=False)),
        ("bias_power", "the bias correction m/(1 − β1), v/(1 − β2): the power t is missing",
         _adam_variant(power=False)),
        ("eps_in_sqrt", "w − lr·m̂/√(v̂ + ε): ε belongs outside the square root",
         _adam_variant(eps_inside=True)),
        ("t_step", "steps that all use the first config's t + 1: the t incremented is not "
         "stored back into config", _adam_variant(store_t=False)),
        ("t_step", "steps that all use the first config's t: t is not incremented",
         _adam_variant(offset=0, store_t=False)),
        ("config_state", _STATE[1], _Stateless(_adam()))],
}


# ---- configurations: explicit hyperparameters and state, several steps ---------------------


def _configs(name: str, seed: int, adam_after: bool = False) -> list[tuple[Any, ...]]:
    """[(label, w, [dw per step], config)]. Adam's configurations give t explicitly: 0 and
    5 (t incremented before use), or 1 and 5 for the 2017 form (t used, then incremented)."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, shape, scale in (("w of shape (3, 4)", (3, 4), 1.0),
                                ("w of shape (5,), small gradients", (5,), 1e-2)):
        w = rng.standard_normal(shape)
        dws = [rng.standard_normal(shape) * scale for _ in range(STEPS)]
        config = {"learning_rate": 0.1}
        if name == "sgd_momentum":
            config.update(momentum=0.8, velocity=rng.standard_normal(shape) * 0.1)
        elif name == "rmsprop":
            config.update(decay_rate=0.9, epsilon=1e-3, cache=rng.random(shape) * scale ** 2)
        elif name == "adam":
            start = 5 if cases else (1 if adam_after else 0)
            config.update(beta1=0.8, beta2=0.95, epsilon=1e-3, t=start,
                          m=rng.standard_normal(shape) * scale * 0.1 if cases else np.zeros(shape),
                          v=rng.random(shape) * scale ** 2 if cases else np.zeros(shape))
            label += f", t={start}"
        cases.append((label, w, dws, config))
    return cases


def _trajectory(rule: Callable[..., Any] | _Stateless, w: np.ndarray, dws: list[np.ndarray],
                config: dict[str, Any]) -> list[np.ndarray]:
    """The next_w of each step, each step on the previous step's w and config."""
    config, out = copy.deepcopy(config), []
    for dw in dws:
        w, config = rule(w, dw.copy(), config)
        out.append(np.array(w, dtype=float))
    return out


def _first_difference(got: list[np.ndarray], expected: list[np.ndarray]) -> int | None:
    for k, (g, e) in enumerate(zip(got, expected)):
        if not close(g, e):
            return k
    return None


def _learner_trajectory(function: Callable[..., Any], w: np.ndarray, dws: list[np.ndarray],
                        config: dict[str, Any]) -> list[np.ndarray] | None:
    config, out = copy.deepcopy(config), []
    for dw in dws:
        returned = function(w, dw.copy(), config)
        if not isinstance(returned, tuple) or len(returned) != 2:
            raise TypeError(f"returned {type(returned).__name__}, not the pair (next_w, "
                            f"config)")
        w, config = returned
        out.append(np.array(w, dtype=float))  # a copy: the template updates w in place
    return out


def _judge(name: str, function: Callable[..., Any], reference: Callable[..., Any],
           cases: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """(findings, label, error) of the learner's rule against ``reference`` on ``cases``. A
    mistake is named only when its trajectories equal the learner's on every case (on t = 0
    a t that is never incremented and a correction without the power t coincide)."""
    trajectories = []
    for label, w, dws, config in cases:
        try:
            trajectories.append(_learner_trajectory(function, w.copy(), dws, config))
        except Exception as error:  # the learner's code
            return [exception_finding(name, error)], label, error
    for (label, w, dws, config), got in zip(cases, trajectories):
        expected = _trajectory(reference, w.copy(), dws, config)
        k = _first_difference(got, expected)
        if k is None:
            continue
        for kind, message, rule in MISTAKES[name]:
            if all(_first_difference(g, _wrong(rule, c)) is None
                   for c, g in zip(cases, trajectories)):
                return [Finding(kind, "w", f"on {label}, step {k + 1} of {STEPS}: {name}'s "
                                f"next_w equals {message}")], label, None
        g, e = got[k], expected[k]
        if g.shape != e.shape:
            what = f"next_w has shape {g.shape}, expected {e.shape}"
        else:
            worst = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape)
            what = (f"next_w differs from the update rule's at {list(map(int, worst))}: "
                    f"{g[worst]:.6g} instead of {e[worst]:.6g}")
        carried = " (the first step is right: look at the state carried in config)" if k \
            else ""
        return [Finding("forward", "w", f"on {label}, step {k + 1} of {STEPS}: {what}"
                        f"{carried}")], label, None
    return [], None, None


def _wrong(rule: Callable[..., Any] | _Stateless, case: tuple[Any, ...]) -> list[np.ndarray]:
    _, w, dws, config = case
    rule = rule.fresh() if isinstance(rule, _Stateless) else rule
    with np.errstate(all="ignore"):
        return _trajectory(rule, w.copy(), dws, config)


REFERENCES = {"sgd": _sgd, "sgd_momentum": _momentum, "rmsprop": _rmsprop, "adam": _adam()}


def update_rule_exercise(name: str) -> Exercise:
    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]
        cases = _configs(name, seed)
        findings, label, error = _judge(name, function, REFERENCES[name], cases)
        course = CS231N
        if name == "adam":
            course += ", t incremented before the bias correction (2018+)"
            if findings and error is None:
                alternative = _judge(name, function, _adam(after=True),
                                     _configs(name, seed, adam_after=True))
                if not alternative[0]:
                    findings, course = [], CS231N + ", t used, then incremented (2017)"
        ok = (None if findings[0].kind == EXCEPTION else False) if findings else True
        return Result(name, course, ok, findings, label, where(function, error, findings),
                      configs=len(cases))

    return Exercise(name, CS231N, ("w", "dw", "config"), check)


EXERCISES = [update_rule_exercise(name) for name in REFERENCES]
