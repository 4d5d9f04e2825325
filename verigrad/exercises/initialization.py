"""Random initializations, judged on what every correct version returns whatever its seed:
the keys and shapes (W_l of shape (n_l, n_{l−1}), b_l of shape (n_l, 1)), zero biases, and
the weights' statistics (mean 0 and the scale the exercise asks for, measured on layers of
several hundred weights, so that a wrong scale is told from sampling noise), and for the
zero initialization, zeros.

The exercises: the Deep Learning Specialization's course 1 week 3 and week 4
``initialize_parameters(n_x, n_h, n_y)`` (the same function in both notebooks: randn·0.01),
week 4's ``initialize_parameters_deep(layer_dims)`` (randn·0.01 in the step-by-step
notebook, randn/√n_{l−1} in the helper file of the application notebook: both are right) and
course 2 week 1's ``initialize_parameters_zeros``, ``initialize_parameters_random``
(randn·10) and ``initialize_parameters_he`` (randn·√(2/n_{l−1})).

np.random is seeded before each call, and its state restored after it: a learner's
``np.random.seed(3)`` inside the function does not leak into the other checks.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import SHAPE, Finding
from .core import Config, Exercise, Result, exception_finding, register_mistakes, where

COURSE1_W3_W4 = "Deep Learning Specialization, course 1 weeks 3 and 4"
COURSE1_W4 = "Deep Learning Specialization, course 1 week 4"
COURSE2_W1 = "Deep Learning Specialization, course 2 week 1"

#: the finding kinds the initializations add (kind -> when it is reported, where the
#: message points)
KINDS = register_mistakes({
    "init_zeros": ("a random initialization returns weights that are all equal (zeros): "
                   "every unit of a layer would stay the same", "the weights' np.random.randn"),
    "init_uniform": ("the weights are all positive: np.random.rand (uniform on [0, 1)) instead "
                     "of np.random.randn (normal, mean 0)", "the function that draws W"),
    "init_scale": ("the weights' standard deviation is another scale's than the exercise's",
                   "the factor that multiplies np.random.randn"),
    "init_bias": ("the biases are not zeros", "b: np.zeros((n_l, 1))"),
})


#: a scale of the weights' standard deviation: its name -> std(n_prev, n)
SCALES = {
    "0.01": lambda n_prev, n: 0.01,
    "1/√n_prev": lambda n_prev, n: 1 / math.sqrt(n_prev),
    "√(2/n_prev)": lambda n_prev, n: math.sqrt(2 / n_prev),
    "10": lambda n_prev, n: 10.0,
    "1 (randn without a scale)": lambda n_prev, n: 1.0,
    "√(2/n) of the layer's own size n, not the previous layer's": lambda n_prev, n:
        math.sqrt(2 / n),
    "√(1/n) of the layer's own size n": lambda n_prev, n: math.sqrt(1 / n),
}
#: the weights a layer needs for its standard deviation to be judged (relative error of
#: the estimate about 1/√(2·count), far inside the band below at this count)
_COUNT = 800
_BAND = (0.85, 1.18)


def _dims(args: tuple[Any, ...]) -> list[int]:
    """The layer sizes: (n_x, n_h, n_y) given as three numbers, or one list."""
    return [int(n) for n in (args if len(args) > 1 else args[0])]


def _layers_findings(name: str, got: dict[str, np.ndarray], dims: list[int],
                     scales: tuple[Any, ...], zeros: bool) -> list[Any]:
    """Findings on the returned parameters for layer sizes ``dims``; scales: the names of
    the accepted scales in SCALES (none: the weights must be zeros)."""
    L = len(dims) - 1
    expected = {}
    for k in range(1, L + 1):
        expected[f"W{k}"], expected[f"b{k}"] = (dims[k], dims[k - 1]), (dims[k], 1)
    if not isinstance(got, dict) or not set(expected) <= set(got):  # extra entries are fine
        keys = ", ".join(map(str, got)) if isinstance(got, dict) else type(got).__name__
        return [Finding(SHAPE, None, (
            f"{name} returns {keys}; for layer sizes {dims} it returns a dict with the keys "
            f"{', '.join(expected)}"))]
    arrays = {k: np.asarray(got[k], dtype=float) for k in expected}
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            return [Finding(SHAPE, key, (
                f"{key} has shape {arrays[key].shape}, expected {shape} (layer sizes {dims}: "
                f"W{key[1:]} is (n_l, n_l−1), b (n_l, 1))"))]
    for k in range(1, L + 1):
        if np.any(arrays[f"b{k}"] != 0):
            return [Finding("init_bias", f"b{k}", f"b{k} is not zeros: the biases start at 0 "
                            f"(random weights already break the symmetry)")]
    weights = [arrays[f"W{k}"] for k in range(1, L + 1)]
    if zeros:
        wrong = next((k for k, W in enumerate(weights, 1) if np.any(W != 0)), None)
        return [] if wrong is None else [Finding("forward", f"W{wrong}", (
            f"W{wrong} is not zeros; this exercise initializes every weight to 0"))]
    if all(W.size > 1 and np.all(W == W.flat[0]) for W in weights):
        return [Finding("init_zeros", "W1", (
            f"every weight of a layer is the same ({weights[0].flat[0]:g}): the units of a "
            f"layer then compute the same thing and get the same gradient forever; draw W "
            f"with np.random.randn"))]
    large = [W for W in weights if W.size >= 20]
    if large and all(np.all(W >= 0) for W in large):
        return [Finding("init_uniform", "W1", (
            "every weight is ≥ 0: np.random.rand draws from [0, 1), np.random.randn from a "
            "normal of mean 0"))]
    judged = [k for k in range(1, L + 1) if weights[k - 1].size >= _COUNT]
    stds = {k: float(np.std(weights[k - 1])) for k in judged}
    for k in judged:
        W = weights[k - 1]
        if abs(float(np.mean(W))) > 0.2 * stds[k]:
            return [Finding("init_uniform", f"W{k}", (
                f"W{k}'s mean is {np.mean(W):.3g} with a standard deviation of {stds[k]:.3g}: "
                f"the weights are drawn with mean 0 (np.random.randn)"))]

    def fits(scale: str) -> bool:
        return all(_BAND[0] <= stds[k] / SCALES[scale](dims[k - 1], dims[k]) <= _BAND[1]
                   for k in judged)

    if any(fits(scale) for scale in scales):
        return []
    want = " or ".join(f"randn·{s}" for s in scales)
    k = judged[0]
    measured = (f"W{k} ({dims[k]}×{dims[k - 1]}) has a standard deviation of {stds[k]:.3g}; "
                f"expected {want} = "
                f"{' or '.join(f'{SCALES[s](dims[k - 1], dims[k]):.3g}' for s in scales)}")
    for scale in SCALES:
        if scale not in scales and fits(scale):
            return [Finding("init_scale", f"W{k}", f"{measured}: the weights have the scale "
                            f"{scale}")]
    return [Finding("init_scale", f"W{k}", measured)]


def init_exercise(name: str, course: str, parameters: tuple[Any, ...], configs: Callable[..., Any],
                  scales: tuple[Any, ...] = (), zeros: bool = False) -> Exercise:
    """An initialization exercise: ``configs(seed)`` gives the calls (the layer sizes as
    arguments), ``scales`` the names of the accepted standard deviations in SCALES."""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        function = functions[name]
        cases = configs(seed)
        for config in cases:
            state = np.random.get_state()
            np.random.seed(seed)  # the same draws, and message, on every run
            try:
                got = function(*config.fresh()[0])
            except Exception as error:  # the learner's code
                return Result(name, course, None, [exception_finding(name, error)],
                              config.label, where(function, error), configs=len(cases))
            finally:
                np.random.set_state(state)
            findings = _layers_findings(name, got, _dims(config.args), scales, zeros)
            if findings:
                return Result(name, course, False, findings, config.label,
                              where(function, None, findings), configs=len(cases))
        return Result(name, course, True, where=where(function), configs=len(cases))

    return Exercise(name, course, tuple(parameters), check)


def _shallow_configs(seed: int) -> list[Config]:
    return [Config("n_x=2, n_h=4, n_y=1", (2, 4, 1)),
            Config("n_x=60, n_h=40, n_y=30", (60, 40, 30))]


def _deep_configs(seed: int) -> list[Config]:
    return [Config("layer_dims=[5, 4, 3]", ([5, 4, 3],)),
            Config("layer_dims=[80, 50, 40, 30]", ([80, 50, 40, 30],))]


def _course2_configs(seed: int) -> list[Config]:
    return [Config("layers_dims=[3, 2, 1]", ([3, 2, 1],)),
            Config("layers_dims=[100, 60, 40, 20]", ([100, 60, 40, 20],))]


EXERCISES_COURSE1 = [
    init_exercise("initialize_parameters", COURSE1_W3_W4, ("n_x", "n_h", "n_y"),
                  _shallow_configs, ("0.01",)),
    init_exercise("initialize_parameters_deep", COURSE1_W4, ("layer_dims",), _deep_configs,
                  ("0.01", "1/√n_prev")),
]
EXERCISES_COURSE2 = [
    init_exercise("initialize_parameters_zeros", COURSE2_W1, ("layers_dims",),
                  _course2_configs, zeros=True),
    init_exercise("initialize_parameters_random", COURSE2_W1, ("layers_dims",),
                  _course2_configs, ("10",)),
    init_exercise("initialize_parameters_he", COURSE2_W1, ("layers_dims",), _course2_configs,
                  ("√(2/n_prev)",)),
]
