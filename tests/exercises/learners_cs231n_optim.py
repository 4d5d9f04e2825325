"""Learner-style CS231n update rules (optim.py) for the tests: correct ones (the 2018+
Adam with t incremented first, and the 2017 form with t starting at 1, used, then
incremented) and buggy ones, each bug marked ``# bug``. Test fixtures only."""
import numpy as np


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    cache = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * (dw ** 2)
    mt = config["m"] / (1 - b1 ** config["t"])
    vt = config["v"] / (1 - b2 ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def adam_2017(w, dw, config=None):
    """CS231n 2017: t starts at 1, is used, then incremented."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 1)
    lr, b1, b2, eps, t = (config[k] for k in ("learning_rate", "beta1", "beta2", "epsilon",
                                              "t"))
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw * dw
    next_w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    config.update(m=m, v=v, t=t + 1)
    return next_w, config


def sgd_ascending(w, dw, config=None):
    config = config or {"learning_rate": 1e-2}
    return w + config["learning_rate"] * dw, config  # bug: the sign of the step


def sgd_momentum_velocity_not_stored(w, dw, config=None):
    config = config or {"learning_rate": 1e-2, "momentum": 0.9}
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config  # bug: config["velocity"] is never set


def rmsprop_no_one_minus(w, dw, config=None):
    config = config or {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8,
                        "cache": np.zeros_like(w)}
    config["cache"] = config["decay_rate"] * config["cache"] + dw ** 2  # bug: no (1 − β)
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def rmsprop_eps_in_sqrt(w, dw, config=None):
    config = config or {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8,
                        "cache": np.zeros_like(w)}
    beta = config["decay_rate"]
    config["cache"] = beta * config["cache"] + (1 - beta) * dw ** 2
    next_w = w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"])  # bug
    return next_w, config


def adam_no_one_minus(w, dw, config=None):
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + dw  # bug: no (1 − β1), and none for v below
    config["v"] = b2 * config["v"] + dw ** 2
    mt = config["m"] / (1 - b1 ** config["t"])
    vt = config["v"] / (1 - b2 ** config["t"])
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def adam_no_power(w, dw, config=None):
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    mt = config["m"] / (1 - b1)  # bug: the bias correction without the power t
    vt = config["v"] / (1 - b2)
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def adam_eps_in_sqrt(w, dw, config=None):
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    mt = config["m"] / (1 - b1 ** config["t"])
    vt = config["v"] / (1 - b2 ** config["t"])
    return w - config["learning_rate"] * mt / np.sqrt(vt + config["epsilon"]), config  # bug


def adam_t_not_incremented(w, dw, config=None):
    b1, b2, t = config["beta1"], config["beta2"], config["t"] + 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    mt = config["m"] / (1 - b1 ** t)  # bug: t + 1 is never stored back into config["t"]
    vt = config["v"] / (1 - b2 ** t)
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def adam_state_not_returned(w, dw, config=None):
    b1, b2, t = config["beta1"], config["beta2"], config["t"] + 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    next_w = w - config["learning_rate"] * (m / (1 - b1 ** t)) / (
        np.sqrt(v / (1 - b2 ** t)) + config["epsilon"])
    return next_w, config  # bug: m, v and t are not stored


CORRECT = {f.__name__: f for f in (sgd, sgd_momentum, rmsprop, adam)}
MISTAKES = [
    ("sgd", sgd_ascending, "sign"),
    ("sgd_momentum", sgd_momentum_velocity_not_stored, "config_state"),
    ("rmsprop", rmsprop_no_one_minus, "no_one_minus"),
    ("rmsprop", rmsprop_eps_in_sqrt, "eps_in_sqrt"),
    ("adam", adam_no_one_minus, "no_one_minus"),
    ("adam", adam_no_power, "bias_power"),
    ("adam", adam_eps_in_sqrt, "eps_in_sqrt"),
    ("adam", adam_t_not_incremented, "t_step"),
    ("adam", adam_state_not_returned, "config_state"),
]
