"""Normalization and dropout exercises of CS231n: ``batchnorm_forward``,
``batchnorm_backward`` and ``batchnorm_backward_alt``, ``layernorm_*``,
``spatial_batchnorm_*``, ``spatial_groupnorm_*``, ``dropout_*``.

Layouts: CS231n keeps examples first, x (N, D) with gamma, beta (D,), images (N, C, H, W)
with gamma, beta (C,) for spatial batch norm and (1, C, 1, 1) for group norm; verigrad's
BatchNorm, LayerNorm, BatchNorm2D and GroupNorm take (D, N) and (C, H, W, N) with gamma,
beta (D, 1). The references are those layers on the transposed arrays.

Batch norm's backward has two paths besides the direct one, through the mean and through
the variance; the known mistakes leave one out, or take the statistics over the wrong axis
(which turns batch norm into layer norm). The dropout forward cannot be compared with a
reference mask (the learner draws their own), so it is checked by what any inverted dropout
must satisfy: in training each output is 0 or x/p, about a fraction p of them kept; in test
mode the output is x.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import Finding
from ..layers import BatchNorm, BatchNorm2D, GroupNorm, LayerNorm
from .core import (
    Config,
    Exercise,
    Mistake,
    Result,
    backward_exercise,
    exception_finding,
    forward_exercise,
    register_mistakes,
    where,
)
from .regularization import KINDS as DROPOUT_KINDS

CS231N = "CS231n"

KINDS = register_mistakes({
    "norm_count": ("a spatial batch norm's statistics, or their paths in dx, divided by N "
                   "(the batch) instead of N·H·W (every entry of a channel)",
                   "the count the sums over (N, H, W) are divided by"),
})


def _set(layer: Any, gamma: np.ndarray, beta: np.ndarray) -> Any:
    layer.params["gamma"][...] = np.reshape(gamma, (-1, 1))
    layer.params["beta"][...] = np.reshape(beta, (-1, 1))
    return layer


def _batchnorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               bn_param: dict[str, Any]) -> tuple[np.ndarray]:
    eps = bn_param.get("eps", 1e-5)
    layer = _set(BatchNorm(x.shape[1], eps=eps), gamma, beta)
    if bn_param["mode"] == "test":
        layer.state["running_mean"][...] = np.reshape(bn_param["running_mean"], (-1, 1))
        layer.state["running_var"][...] = np.reshape(bn_param["running_var"], (-1, 1))
        return (layer.forward(x.T, training=False).T,)
    return (layer.forward(x.T, training=True).T,)


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               ln_param: dict[str, Any]) -> tuple[np.ndarray]:
    layer = _set(LayerNorm(x.shape[1], eps=ln_param.get("eps", 1e-5)), gamma, beta)
    return (layer.forward(x.T, training=True).T,)


def _statistics_over_features(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                              bn_param: dict[str, Any]) -> tuple[np.ndarray]:
    """Batch norm's output with mean and variance taken per example (axis=1): layer norm."""
    return _layernorm(x, gamma, beta, {"eps": bn_param.get("eps", 1e-5)})


def _test_mode_with_batch_statistics(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                                     bn_param: dict[str, Any]) -> tuple[np.ndarray] | None:
    if bn_param["mode"] != "test":
        return None
    return _batchnorm(x, gamma, beta, {**bn_param, "mode": "train"})


def _bn_configs(seed: int, test: bool = True) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, D in (("N=4, D=3", 4, 3), ("N=2, D=5", 2, 5)):
        x = rng.standard_normal((N, D)) * 2 + 1
        cases.append(Config(f"train mode, {label}", (x, rng.standard_normal(D),
                                                     rng.standard_normal(D), {"mode": "train"})))
    if test:
        D = 3
        bn = {"mode": "test", "running_mean": rng.standard_normal(D),
              "running_var": rng.random(D) + 0.5}
        cases.append(Config("test mode, running statistics given, N=3",
                            (rng.standard_normal((3, D)), rng.standard_normal(D),
                             rng.standard_normal(D), bn)))
    return cases


def _bn_train_configs(seed: int) -> list[Config]:
    return _bn_configs(seed, test=False)


def _ln_configs(seed: int) -> list[Config]:
    return [Config(c.label.replace("train mode, ", ""), (*c.args[:3], {}))
            for c in _bn_configs(seed, test=False)] + [
        Config("N=1, D=4", (np.array([[0.5, -1.0, 2.0, 0.1]]), np.ones(4), np.zeros(4), {}))]


def _normalized(x: np.ndarray, axis: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), 1 / np.sqrt(var + eps)


def _bn_path_left_out(path: str, axis: int = 0) -> Callable[..., Any]:
    """Batch norm's dx without the path through the mean ("mean") or the variance
    ("variance"), from the normalised input x̂ and dx̂ = dout·gamma."""

    def output(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, str],
               douts: list[np.ndarray]) -> dict[str, np.ndarray] | None:
        if bn_param.get("mode") == "test":
            return None
        xhat, inv = _normalized(x, axis, bn_param.get("eps", 1e-5))
        dxhat = douts[0] * gamma
        through_mean = dxhat.mean(axis=axis, keepdims=True)
        through_var = xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
        if path == "mean":
            return {"x": inv * (dxhat - through_var)}
        return {"x": inv * (dxhat - through_mean)}
    return output


_BN_BACKWARD_MISTAKES = [
    Mistake("bn_mean_path", "dx without the path through the mean: the mean μ depends on "
            "every x, so dx has a term through it (through dμ in the graph form)",
            _bn_path_left_out("mean")),
    Mistake("bn_variance_path", "dx without the path through the variance: σ² depends on "
            "every x, so dx has a term through it (through dvar in the graph form)",
            _bn_path_left_out("variance")),
]


def _spatial_configs(seed: int, groups: bool = False) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, C, hw, G in (("N=2, C=4, 3x2 images", 2, 4, (3, 2), 2),
                               ("N=1, C=2, 2x3 images", 1, 2, (2, 3), 1)):
        x = rng.standard_normal((N, C, *hw)) * 2 + 1
        if groups:
            cases.append(Config(f"{label}, G={G}", (x, rng.standard_normal((1, C, 1, 1)),
                                                    rng.standard_normal((1, C, 1, 1)), G, {})))
        else:
            cases.append(Config(label, (x, rng.standard_normal(C), rng.standard_normal(C),
                                        {"mode": "train"})))
    return cases


def _images(x: np.ndarray) -> np.ndarray:
    return x.transpose(1, 2, 3, 0)


def _spatial_batchnorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                       bn_param: dict[str, str]) -> tuple[np.ndarray]:
    layer = _set(BatchNorm2D(x.shape[1], eps=bn_param.get("eps", 1e-5)), gamma, beta)
    return (layer.forward(_images(x), training=True).transpose(3, 0, 1, 2),)


def _spatial_over_batch(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                        bn_param: dict[str, str]) -> tuple[np.ndarray]:
    """Spatial batch norm with the sums over (N, H, W) divided by N alone."""
    N, eps = x.shape[0], bn_param.get("eps", 1e-5)
    mean = x.sum(axis=(0, 2, 3), keepdims=True) / N
    var = ((x - mean) ** 2).sum(axis=(0, 2, 3), keepdims=True) / N
    shape = (1, -1, 1, 1)
    return (np.reshape(gamma, shape) * (x - mean) / np.sqrt(var + eps) +
            np.reshape(beta, shape),)


def _spatial_backward_over_batch(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                                 bn_param: dict[str, Any],
                                 douts: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Spatial batch norm's dx with the paths through the mean and the variance divided
    by N instead of N·H·W (H·W times too large)."""
    hw = x.shape[2] * x.shape[3]
    xhat, inv = _normalized(x, (0, 2, 3), bn_param.get("eps", 1e-5))
    dxhat = douts[0] * np.reshape(gamma, (1, -1, 1, 1))
    through_mean = dxhat.mean(axis=(0, 2, 3), keepdims=True)
    through_var = xhat * (dxhat * xhat).mean(axis=(0, 2, 3), keepdims=True)
    return {"x": inv * (dxhat - hw * (through_mean + through_var))}


def _spatial_groupnorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, G: int,
                       gn_param: dict[Any, Any]) -> tuple[np.ndarray]:
    layer = _set(GroupNorm(G, x.shape[1], eps=gn_param.get("eps", 1e-5)), gamma, beta)
    return (layer.forward(_images(x), training=True).transpose(3, 0, 1, 2),)


# ---- dropout -----------------------------------------------------------------------------------


def _dropout_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((500, 40)) + 5  # no entry is 0, so a kept entry shows as x/p
    return [Config("train mode, p=0.3", (x, {"mode": "train", "p": 0.3, "seed": 7})),
            Config("train mode, p=0.8", (x, {"mode": "train", "p": 0.8, "seed": 3})),
            Config("test mode, p=0.3", (x, {"mode": "test", "p": 0.3}))]


#: CS231n 2017's dropout_param["p"] is the probability of dropping a unit; from 2018 on it
#: is the probability of keeping one. The docstring of the learner's function says which.
_DROP_DOC = re.compile(r"\bdrop\w*\s+(each|every|a|the)?\s*\w*\s*(\w+\s+)?with\s+probability\s+p",
                       re.IGNORECASE)
_KEEP_DOC = re.compile(r"\bkeep\w*\s+(each|every|a|the)?\s*\w*\s*(\w+\s+)?with\s+probability\s+p",
                       re.IGNORECASE)
_DROP_2017 = ("CS231n 2017's convention, dropout_param['p'] the probability of dropping a unit "
              "(from 2018 on it is the probability of keeping one)")


def _dropout_conventions(function: Callable[..., Any]) -> tuple[bool, ...]:
    """The meanings of p to try, as "p is the probability of dropping" flags: the one its
    docstring states, or both (keeping first) when it states none."""
    doc = inspect.getdoc(function) or ""
    if _DROP_DOC.search(doc):
        return (True,)
    if _KEEP_DOC.search(doc):
        return (False,)
    return (False, True)


def _dropout_findings(name: str, config: Config, out: np.ndarray,
                      p_drops: bool = False) -> Finding | None:
    """What is wrong with a dropout forward's output (none when it is an inverted dropout
    that keeps each unit with probability keep: p, or 1 − p when ``p_drops``)."""
    x, param = config.args
    out = np.asarray(out)
    if out.shape != x.shape:
        return Finding("shape", "out", f"on {config.label}, {name}'s out has shape {out.shape}, "
                                       f"expected {x.shape}")
    p = param["p"]
    keep = 1 - p if p_drops else p
    keep_text = f"1 − p = {keep:g}" if p_drops else "p"
    if param["mode"] == "test":
        if np.allclose(out, x):
            return None
        ratio = float(np.median(out / x))
        return Finding("dropout_test", "out", (
            f"on {config.label}, {name} changes its input in test mode (out ≈ {ratio:.3g}·x): "
            f"inverted dropout scales by 1/{keep_text} in training, so test mode returns x "
            f"unchanged"))
    kept = out != 0
    fraction = float(kept.mean())
    if kept.all() and np.allclose(out, x / keep):
        return Finding(DROPOUT_KINDS["dropout_mask"], "out", (
            f"on {config.label}, every entry is x/{keep_text}: the input is scaled but the "
            f"mask is never applied, so nothing is dropped"))
    if np.allclose(out[kept], x[kept]):
        return Finding("dropout_scale", "out", (
            f"on {config.label}, the kept entries equal x: inverted dropout scales the kept "
            f"entries in training, so that the expected output equals x and test mode needs no "
            f"scaling. Look at the scaling of the kept entries"))
    if not np.allclose(out[kept], x[kept] / keep):
        return Finding("forward", "out", (
            f"on {config.label}, the kept entries are not x/{keep_text} (median ratio "
            f"{float(np.median(out[kept] / x[kept])):.3g}, expected {1 / keep:.3g})"))
    if abs(fraction - keep) > 0.05:
        swapped = abs(fraction - (1 - keep)) <= 0.05
        meaning = ("1 − p is the probability of keeping one (p that of dropping it)"
                   if p_drops else "p is the probability of keeping one")
        return Finding("dropout_p", "out", (
            f"on {config.label}, {fraction:.0%} of the entries are kept, where {meaning}" + (
                ": the mask keeps with the other probability. Look at the comparison that "
                "draws the mask" if swapped else "")))
    return None


def _check_dropout_forward(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
    """Inverted dropout in the convention the function's docstring states; with none stated,
    in the later one (p keeps), or else CS231n 2017's (p drops), saying so."""
    name = "dropout_forward"
    function = functions[name]
    cases = _dropout_configs(seed)
    first: Result | None = None
    for p_drops in _dropout_conventions(function):
        result = _dropout_forward_result(function, cases, p_drops)
        if result.ok is not False:
            if p_drops:
                result.assumed = _DROP_2017
            return result
        first = first or result
    assert first is not None
    return first


def _dropout_forward_result(function: Callable[..., Any], cases: list[Config],
                            p_drops: bool) -> Result:
    name = "dropout_forward"
    for config in cases:
        args, kwargs = config.fresh()
        state = np.random.get_state()
        try:
            out = function(*args, **kwargs)
        except Exception as error:  # the learner's code
            return Result(name, CS231N, None, [exception_finding(name, error)], config.label,
                          where(function, error), configs=len(cases))
        finally:
            np.random.set_state(state)
        finding = _dropout_findings(name, config, out[0] if isinstance(out, tuple) else out,
                                    p_drops)
        if finding:
            return Result(name, CS231N, False, [finding], config.label,
                          where(function, None, [finding]), configs=len(cases))
    return Result(name, CS231N, True, where=where(function), configs=len(cases))


def _small_dropout_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    return [Config("train mode, p=0.6, N=4", (x, {"mode": "train", "p": 0.6, "seed": 1})),
            Config("test mode, N=4", (x, {"mode": "test", "p": 0.6}))]


def _dropout_builder(x: np.ndarray,
                     dropout_param: dict[str, Any]) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Inverted dropout with the cache (dropout_param, mask) of the assignment, its mask
    fixed by the configuration's seed (the same at every evaluation)."""
    p = dropout_param["p"]
    if dropout_param["mode"] != "train":
        return x, (dropout_param, None)
    mask = (np.random.default_rng(dropout_param["seed"]).random(x.shape) < p) / p
    return x * mask, (dropout_param, mask)


def _dropout_backward_unmasked(x: np.ndarray, dropout_param: dict[str, Any],
                               douts: list[np.ndarray]) -> dict[str, np.ndarray] | None:
    if dropout_param["mode"] != "train":
        return None
    return {"x": douts[0] / dropout_param["p"]}


EXERCISES = [
    forward_exercise("batchnorm_forward", CS231N, ("x", "gamma", "beta", "bn_param"),
                     _bn_configs, _batchnorm,
                     [Mistake("norm_axis", "layer norm's output: the mean and variance are "
                              "taken over each example's features (axis=1) instead of over the "
                              "batch (axis=0)", _statistics_over_features),
                      Mistake("test_mode", "the output with the batch's own statistics: test "
                              "mode normalises with running_mean and running_var",
                              _test_mode_with_batch_statistics)]),
    backward_exercise("batchnorm_backward", CS231N, ("dout", "cache"), "batchnorm_forward",
                      _bn_train_configs, mistakes=_BN_BACKWARD_MISTAKES,
                      gradients=("dx", "dgamma", "dbeta")),
    backward_exercise("batchnorm_backward_alt", CS231N, ("dout", "cache"), "batchnorm_forward",
                      _bn_train_configs, mistakes=_BN_BACKWARD_MISTAKES,
                      gradients=("dx", "dgamma", "dbeta")),
    forward_exercise("layernorm_forward", CS231N, ("x", "gamma", "beta", "ln_param"),
                     _ln_configs, _layernorm,
                     [Mistake("norm_axis", "batch norm's output: the statistics are taken over "
                              "the batch (axis=0) instead of over each example's features",
                              lambda x, g, b, p: _batchnorm(x, g, b, {"mode": "train", **p}))]),
    backward_exercise("layernorm_backward", CS231N, ("dout", "cache"), "layernorm_forward",
                      _ln_configs,
                      gradients=("dx", "dgamma", "dbeta")),
    forward_exercise("spatial_batchnorm_forward", CS231N, ("x", "gamma", "beta", "bn_param"),
                     _spatial_configs, _spatial_batchnorm,
                     [Mistake("norm_count", "the output with the mean and the variance divided "
                              "by N instead of N·H·W: each channel has N·H·W entries",
                              _spatial_over_batch)]),
    backward_exercise("spatial_batchnorm_backward", CS231N, ("dout", "cache"),
                      "spatial_batchnorm_forward", _spatial_configs,
                      mistakes=[Mistake("norm_count", "dx with the terms through the mean and "
                                        "the variance divided by N instead of N·H·W: each "
                                        "channel's sums run over N·H·W entries",
                                        _spatial_backward_over_batch)],
                      gradients=("dx", "dgamma", "dbeta")),
    forward_exercise("spatial_groupnorm_forward", CS231N,
                     ("x", "gamma", "beta", "G", "gn_param"),
                     lambda seed: _spatial_configs(seed, groups=True), _spatial_groupnorm),
    backward_exercise("spatial_groupnorm_backward", CS231N, ("dout", "cache"),
                      "spatial_groupnorm_forward", lambda seed: _spatial_configs(seed, True),
                      gradients=("dx", "dgamma", "dbeta")),
    Exercise("dropout_forward", CS231N, ("x", "dropout_param"), _check_dropout_forward),
    backward_exercise("dropout_backward", CS231N, ("dout", "cache"), "dropout_forward",
                      _small_dropout_configs, _dropout_builder,
                      [Mistake(DROPOUT_KINDS["dropout_mask"], "dout / p without the mask: "
                               "an entry dropped in the forward gets no gradient",
                               _dropout_backward_unmasked)],
                      gradients=("dx",)),
]
