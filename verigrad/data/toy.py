"""Small 2-D classification problems, for intuition: you can draw what the network learns.

Each maker returns ``X`` of shape (2, m) (one column per point, ``dtype`` float32 unless
asked) and integer labels ``y`` of shape (m,), with the classes as equal in size as m
allows and the columns in random order. The same ``seed`` gives the same data. ``noise``
is the standard deviation of Gaussian noise added to each coordinate. All points lie
within a few units of the origin, so no scaling is needed.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import DTypeLike

from ..validation import check_number, check_positive_int

__all__ = ["make_moons", "make_circles", "make_spirals", "make_blobs"]


#: X of shape (2, m) and labels y of shape (m,)
Points = tuple[np.ndarray, np.ndarray]

def _class_sizes(m: int, k: int) -> list[int]:
    """Sizes of k classes that add up to m, differing by at most one."""
    return [m // k + (c < m % k) for c in range(k)]


def _finish(points: list[np.ndarray], sizes: list[int], noise: float, rng: np.random.Generator,
            dtype: DTypeLike) -> Points:
    """Stack the per-class points (2, n_c), add noise, shuffle the columns, cast."""
    check_number(noise, "noise", lambda v: v >= 0, "a finite number ≥ 0")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating type, got {dtype}")
    X = np.concatenate(points, axis=1)
    y = np.repeat(np.arange(len(sizes)), sizes)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(X.shape[1])
    return np.ascontiguousarray(X[:, order], dtype=dtype), y[order].astype(np.int64)


def make_moons(m: int = 1000, noise: float = 0.1, seed: int | None = 0,
               dtype: DTypeLike = "float32") -> Points:
    """Two interleaving half circles: class 0 is (cos t, sin t) and class 1 is
    (1 − cos t, ½ − sin t), t uniform in [0, π]. Not linearly separable: a straight line
    gets about 86% at noise 0.2."""
    m = check_positive_int(m, "m")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, 2)
    t0, t1 = (rng.uniform(0, math.pi, n) for n in sizes)
    points = [np.stack([np.cos(t0), np.sin(t0)]),
              np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)])]
    return _finish(points, sizes, noise, rng, dtype)


def make_circles(m: int = 1000, noise: float = 0.05, factor: float = 0.5,
                 seed: int | None = 0, dtype: DTypeLike = "float32") -> Points:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1),
    angles uniform. No straight line separates them at all."""
    m = check_positive_int(m, "m")
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, 2)
    points = []
    for radius, n in zip((1.0, factor), sizes):
        angle = rng.uniform(0, 2 * math.pi, n)
        points.append(radius * np.stack([np.cos(angle), np.sin(angle)]))
    return _finish(points, sizes, noise, rng, dtype)


def make_spirals(m: int = 1000, arms: int = 2, turns: float = 1.5, noise: float = 0.05,
                 seed: int | None = 0, dtype: DTypeLike = "float32") -> Points:
    """``arms`` interleaved spirals, one class each: arm k holds the points
    r·(cos θ, sin θ) with r uniform in [0, 1] and θ = 2π·(turns·r + k/arms)."""
    m = check_positive_int(m, "m")
    arms = check_positive_int(arms, "arms")
    if arms < 2:
        raise ValueError(f"arms must be at least 2 (one class each), got {arms}")
    check_number(turns, "turns", lambda v: v > 0, "a finite number > 0")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, arms)
    points = []
    for k, n in enumerate(sizes):
        r = rng.uniform(0, 1, n)
        theta = 2 * math.pi * (turns * r + k / arms)
        points.append(r * np.stack([np.cos(theta), np.sin(theta)]))
    return _finish(points, sizes, noise, rng, dtype)


def make_blobs(m: int = 1000, centers: int = 3, spread: float = 0.5, radius: float = 2.0,
               seed: int | None = 0, dtype: DTypeLike = "float32") -> Points:
    """``centers`` Gaussian blobs, one class each, of standard deviation ``spread`` around
    centres spaced evenly on a circle of ``radius``: class k is centred at
    radius·(cos 2πk/centers, sin 2πk/centers)."""
    m = check_positive_int(m, "m")
    k = check_positive_int(centers, "centers")
    check_number(spread, "spread", lambda v: v >= 0, "a finite number ≥ 0")
    check_number(radius, "radius", lambda v: v >= 0, "a finite number ≥ 0")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, k)
    angles = 2 * math.pi * np.arange(k) / k
    points = [radius * np.array([[math.cos(a)], [math.sin(a)]]) + np.zeros((2, n))
              for a, n in zip(angles, sizes)]
    return _finish(points, sizes, spread, rng, dtype)
