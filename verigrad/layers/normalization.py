"""Normalization layers: batch norm (dense and spatial), group norm and layer norm.

Each one standardises its input over a set R of axes and then scales and shifts it, with a
learned γ and β per feature (dense input (n, m)) or per channel (images (C, H, W, m)):

    μ = mean_R(x)     σ² = mean_R((x − μ)²)     x̂ = (x − μ) / √(σ² + ε)     y = γ·x̂ + β

The layers differ only in R, the axes a statistic is taken over:

    BatchNorm     (n, m)          over the m examples, one μ and σ² per feature
    BatchNorm2D   (C, H, W, m)    over (H, W, m), one per channel
    GroupNorm     (C, ..., m)     over the channels of a group and (H, W), one per example
                                  and group
    LayerNorm     (n, m)          over the n features, one per example (one group);
                  (n, T, m)       over the n features, one per example and time step

Backward, with N entries in R and dx̂ = dy·γ (the "alt" form: the graph of μ and σ² folded
into one expression):

    dβ = Σ dy     dγ = Σ dy·x̂            (summed over every axis but the feature/channel one)
    dx = (1/√(σ² + ε)) · (dx̂ − mean_R(dx̂) − x̂ · mean_R(dx̂·x̂))

The two means are the paths through μ and through σ²: leave one out and the gradient is
wrong. Batch statistics make each example's output depend on the whole batch, so a cost
on one example has a gradient on all the others.
"""
from __future__ import annotations

import inspect
import math
from abc import abstractmethod
from typing import Any

import numpy as np

from .._backend import load_kernels
from ..validation import check_number, check_positive_int, describe_shape
from .base import Layer, Shape


def _mean(axes: tuple[int, ...], *factors: np.ndarray) -> np.ndarray:
    """The mean over ``axes`` of the product of ``factors`` (arrays of one shape), those axes
    kept with size 1. One np.einsum pass: no temporary for the product, and several times
    faster than ndarray.mean over the last axis."""
    letters = "abcdefghij"[:factors[0].ndim]
    kept = "".join(c for k, c in enumerate(letters) if k not in axes)
    total = np.einsum(",".join([letters] * len(factors)) + "->" + kept, *factors)
    shape = [1 if k in axes else n for k, n in enumerate(factors[0].shape)]
    # the sum over no entries is 0: kept as the "mean" of an empty batch, which batch norm
    # then refuses with its own message
    return total.reshape(shape) / max(1, math.prod(factors[0].shape[k] for k in axes))


class _Normalization(Layer):
    """Shared forward and backward; a subclass says which axes R the statistics run over
    (``_grouped`` and ``_statistic_axes``), which input shapes it takes and which of its
    constructor arguments is the number of features γ and β hold (``size_argument``)."""

    #: the constructor argument that sets the size of γ and β
    size_argument = "n_features"
    #: the last forward pass's input, x̂ and 1/σ, kept for backward
    A_prev: np.ndarray
    xhat: np.ndarray
    inv_std: np.ndarray

    def __init__(self, n_features: int, eps: float, what: str):
        super().__init__()
        self.n_features = check_positive_int(n_features, f"{type(self).__name__} {what}")
        self.eps = check_number(eps, f"{type(self).__name__} eps", lambda v: v > 0,
                                "a positive number (and finite)")
        self.params = {"gamma": np.ones((self.n_features, 1)),
                       "beta": np.zeros((self.n_features, 1))}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.batch_statistics = False

    @classmethod
    def parameter_shapes(cls, *args: Any, **config: Any) -> dict[str, tuple[int, ...]]:
        arguments = inspect.signature(cls).bind(*args, **config)  # TypeError: arguments it lacks
        arguments.apply_defaults()
        n = check_positive_int(arguments.arguments[cls.size_argument],
                               f"{cls.__name__} {cls.size_argument}")
        return {"gamma": (n, 1), "beta": (n, 1)}

    # ---- the axes ------------------------------------------------------------------------

    def _grouped(self, X: np.ndarray) -> np.ndarray:
        """X arranged so that every statistic is taken over ``_statistic_axes`` (a view)."""
        return X

    @abstractmethod
    def _statistic_axes(self, ndim: int) -> tuple[int, ...]:
        """The axes R of the grouped view (of ``ndim`` dimensions) a statistic runs over."""

    def _per_feature(self, p: np.ndarray, ndim: int) -> np.ndarray:
        """γ or β (n, 1) shaped to broadcast against an input of ``ndim`` dimensions."""
        return p.reshape(self.n_features, *(1,) * (ndim - 1))

    # ---- forward and backward ------------------------------------------------------------

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        self._check_input(X)
        Xg = self._grouped(X)
        axes = self._statistic_axes(Xg.ndim)
        # batch norm evaluates with its running statistics; the others always use their own
        self.batch_statistics = training or self.normalizes != "batch"
        if self.batch_statistics:
            mean = _mean(axes, Xg)
            centred = Xg - mean
            var = _mean(axes, centred, centred)
            if training:
                self._observe(mean, var, Xg.size // mean.size)
        else:
            mean = self._per_feature(self.state["running_mean"], Xg.ndim).astype(X.dtype,
                                                                                 copy=False)
            var = self._per_feature(self.state["running_var"], Xg.ndim).astype(X.dtype,
                                                                               copy=False)
            centred = Xg - mean
        self.inv_std = (1 / np.sqrt(var + self.eps)).astype(X.dtype, copy=False)
        centred *= self.inv_std
        self.A_prev, self.xhat = X, centred.reshape(X.shape)
        Y = self.xhat * self._per_feature(self.params["gamma"], X.ndim)
        Y += self._per_feature(self.params["beta"], X.ndim)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        sums = tuple(range(1, dY.ndim))  # every axis but the feature/channel one
        n = dY.size // self.n_features
        self.grads["beta"][...] = n * _mean(sums, dY).reshape(-1, 1)
        self.grads["gamma"][...] = n * _mean(sums, dY, self.xhat).reshape(-1, 1)
        if not self.needs_input_grad:
            return None
        gamma = self._per_feature(self.params["gamma"], dY.ndim)
        if not self.batch_statistics:
            # Running statistics are constants: only the path through x̂ = (x − μ)/σ remains.
            return (self._grouped(dY * gamma) * self.inv_std).reshape(dY.shape)
        return self._input_gradient(dY, gamma)

    def _input_gradient(self, dY: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        """dx = (1/σ)·(dx̂ − mean_R(dx̂) − x̂·mean_R(dx̂·x̂)), dx̂ = dy·γ, for batch statistics."""
        dxhat = self._grouped(dY * gamma)
        xhat = self._grouped(self.xhat)
        axes = self._statistic_axes(xhat.ndim)
        dX = xhat * -_mean(axes, dxhat, xhat)
        dX += dxhat
        dX -= _mean(axes, dxhat)
        dX *= self.inv_std
        return dX.reshape(dY.shape)

    def _backward_by_graph(self, dY: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """dJ/dX by walking the computational graph of the forward pass one node at a time,
        for a forward pass with batch statistics: the readable reference that ``backward``'s
        folded expression is tested against. Returns (dX, dγ, dβ) without touching the cache.

            μ = mean_R(x) → xc = x − μ → sq = xc² → σ² = mean_R(sq) → s = √(σ² + ε)
            → r = 1/s → x̂ = xc·r → y = γ·x̂ + β
        """
        gamma = self._per_feature(self.params["gamma"], dY.ndim)
        sums = tuple(range(1, dY.ndim))
        x = self._grouped(self.A_prev)
        axes = self._statistic_axes(x.ndim)
        mu = np.mean(x, axis=axes, keepdims=True)
        n = x.size // mu.size
        xc = x - mu
        sq = xc ** 2
        var = np.mean(sq, axis=axes, keepdims=True)
        s = np.sqrt(var + self.eps)
        r = 1 / s
        xhat = xc * r
        # y = γ·x̂ + β
        dbeta = np.sum(dY, axis=sums).reshape(-1, 1)
        dgamma = np.sum(dY * xhat.reshape(dY.shape), axis=sums).reshape(-1, 1)
        dxhat = self._grouped(dY * gamma)
        # x̂ = xc·r: xc reaches x̂ directly, and through r
        dxc = dxhat * r
        dr = np.sum(dxhat * xc, axis=axes, keepdims=True)
        # r = 1/s,  s = √(σ² + ε)
        ds = -dr / s ** 2
        dvar = ds / (2 * s)
        # σ² = mean_R(sq),  sq = xc²
        dsq = np.broadcast_to(dvar / n, x.shape)
        dxc = dxc + 2 * xc * dsq
        # xc = x − μ,  μ = mean_R(x)
        dmu = -np.sum(dxc, axis=axes, keepdims=True)
        dx = dxc + np.broadcast_to(dmu / n, x.shape)
        return dx.reshape(dY.shape), dgamma, dbeta

    def _observe(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        """Called in training with the batch statistics of ``n`` values each (a hook for
        running statistics)."""

    def _check_input(self, X: np.ndarray) -> None:
        """A clear error for input of the wrong rank or feature count."""
        if not isinstance(X, np.ndarray):
            raise TypeError(f"{self!r} takes a NumPy array, got {type(X).__name__}")
        shape = X.shape[:-1]
        try:
            self.output_shape(shape)
        except ValueError as err:
            raise ValueError(f"{err} (input of shape {X.shape}, the example axis last)") from None


class BatchNorm(_Normalization):
    """Batch normalization of dense batches (n, m): each feature standardised over the m
    examples of the batch, then y = γ·x̂ + β (γ, β of shape (n, 1)).

    In training (``training=True``) the layer uses the batch's mean and variance and updates
    the running statistics in ``self.state`` as ``torch.nn.BatchNorm1d`` does:

        running_mean ← (1 − momentum)·running_mean + momentum·μ
        running_var  ← (1 − momentum)·running_var  + momentum·σ²·m/(m − 1)   (unbiased)

    starting from 0 and 1. In evaluation (``training=False``: ``predict``, ``evaluate``) it
    uses the running statistics, so a prediction does not depend on the rest of the batch.
    Training needs at least 2 examples per batch (the variance of one value is 0).
    """

    normalizes = "batch"
    per_example = False

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__(n_features, eps, self.size_argument)
        if not (isinstance(momentum, (int, float, np.floating)) and 0 <= momentum <= 1):
            raise ValueError(f"{type(self).__name__} momentum must be a number in [0, 1], "
                             f"got {momentum!r}")
        self.momentum = float(momentum)
        self.input_shape = self._expected_shape()
        self.state = {"running_mean": np.zeros((self.n_features, 1)),
                      "running_var": np.ones((self.n_features, 1))}

    def _expected_shape(self) -> Shape:
        return (self.n_features,)

    def _statistic_axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(1, ndim))

    def output_shape(self, input_shape: Shape) -> Shape:
        expected = self._expected_shape()
        input_shape = tuple(input_shape)
        if len(input_shape) != len(expected) or input_shape[0] != self.n_features:
            raise ValueError(f"{self!r} expects input of shape {describe_shape(expected)}, "
                             f"got {describe_shape(input_shape)}{self._rank_hint(input_shape)}")
        return input_shape

    def _rank_hint(self, input_shape: Shape) -> str:
        if len(input_shape) == 3:
            return ": use BatchNorm2D for images (C, H, W, m)"
        return ""

    def _input_gradient(self, dY: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        """The same dx, with R the axes dγ and dβ sum over: mean_R(dx̂) = γ·dβ/N and
        mean_R(dx̂·x̂) = γ·dγ/N, so dx = (γ/σ)·(dy − dβ/N − x̂·dγ/N) needs no further sums."""
        n = dY.size // self.n_features
        dX = self.xhat * self._per_feature(self.grads["gamma"] / -n, dY.ndim)
        dX += dY
        dX -= self._per_feature(self.grads["beta"] / n, dY.ndim)
        dX *= gamma * self.inv_std
        return dX

    def _observe(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        """Running averages for evaluation, as PyTorch keeps them: r ← (1 − momentum)·r +
        momentum·batch value, with the unbiased variance σ²·n/(n − 1) of the n values."""
        if n < 2:
            raise ValueError(self._single_value_message(n))
        for name, batch in (("running_mean", mean), ("running_var", var * (n / (n - 1)))):
            r = self.state[name]
            r *= 1 - self.momentum
            r += self.momentum * batch.reshape(r.shape)

    def _single_value_message(self, n: int) -> str:
        return (f"{self!r} got a batch of {n} example{'' if n == 1 else 's'} in training "
                f"mode, and needs 2 or more: the batch variance of a single value is 0, so "
                f"x̂ = (x − μ)/√(0 + ε) = 0 for every input and the layer learns nothing. "
                f"Train with batches of 2 or more examples (in fit, a last mini-batch of one "
                f"example comes from m % batch_size == 1); single examples are fine in "
                f"evaluation mode (training=False)")

    def get_config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "momentum": self.momentum, "eps": self.eps}


class BatchNorm2D(BatchNorm):
    """Spatial batch normalization of images (C, H, W, m): each channel standardised over
    its H·W·m values, y = γ·x̂ + β with γ, β of shape (C, 1). Running statistics as
    ``torch.nn.BatchNorm2d`` (the unbiased variance uses n = H·W·m); see ``BatchNorm``."""

    size_argument = "channels"

    def __init__(self, channels: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__(channels, momentum, eps)

    def _expected_shape(self) -> Shape:
        return (self.n_features, None, None)

    def _rank_hint(self, input_shape: Shape) -> str:
        if len(input_shape) == 1:
            return ": use BatchNorm for dense batches (n, m)"
        return ""

    def _single_value_message(self, n: int) -> str:
        return (f"{self!r} got {n} value{'' if n == 1 else 's'} per channel in training "
                f"mode (H·W·m), and needs 2 or more: the batch variance of one value is 0. "
                f"Train with more examples per batch, or use evaluation mode "
                f"(training=False)")

    def get_config(self) -> dict[str, Any]:
        return {"channels": self.n_features, "momentum": self.momentum, "eps": self.eps}


class GroupNorm(_Normalization):
    """Group normalization: the C channels split into ``groups`` groups of C/groups; each
    example is standardised over the channels of a group (and their H, W for images), then
    y = γ·x̂ + β per channel (γ, β of shape (C, 1)). Takes dense (C, m) or images
    (C, H, W, m). The statistics are per example, so training and evaluation compute the
    same thing and there are no running statistics (as ``torch.nn.GroupNorm``).
    """

    normalizes = "example"
    size_argument = "channels"

    def __init__(self, groups: int, channels: int, eps: float = 1e-5):
        super().__init__(channels, eps, "channels")
        self.groups = check_positive_int(groups, f"{type(self).__name__} groups")
        if self.n_features % self.groups:
            raise ValueError(f"{type(self).__name__} channels ({self.n_features}) must be a "
                             f"multiple of groups ({self.groups})")

    def _grouped(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(self.groups, self.n_features // self.groups, *X.shape[1:])

    def _statistic_axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(1, ndim - 1))  # all but the group and the example axis

    def output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        if not input_shape or input_shape[0] != self.n_features:
            raise ValueError(f"{self!r} expects {self.n_features} channels first, shape "
                             f"({self.n_features}, m) or ({self.n_features}, H, W, m), got "
                             f"{describe_shape(input_shape)}")
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {"groups": self.groups, "channels": self.n_features, "eps": self.eps}


class LayerNorm(GroupNorm):
    """Layer normalization of dense batches (n, m): each example standardised over its own
    n features, then y = γ·x̂ + β (γ, β of shape (n, 1)), as ``torch.nn.LayerNorm(n)``.
    Group normalization with one group; the same in training and evaluation.

    On sequences (n, T, m) — a transformer's layout — each time step of each example is
    standardised over its n features on its own (R is the feature axis alone), as
    ``torch.nn.LayerNorm(n)`` on PyTorch's (m, T, n); dγ and dβ sum over T and m."""

    size_argument = "n_features"

    def __init__(self, n_features: int, eps: float = 1e-5):
        super().__init__(1, n_features, eps)
        self.input_shape = (self.n_features,)  # what a model starting here takes by default

    #: "auto": the numba kernels (``_norm_kernels``) when numba is installed, else NumPy
    backend = "auto"

    def _statistic_axes(self, ndim: int) -> tuple[int, ...]:
        return (1,)  # the features of the grouped view (1, n, [T,] m), not the time steps

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        kernels = self._kernels(X)
        if kernels is None:
            return super().forward(X, training)
        self._check_input(X)
        n, c = self.n_features, X.dtype.type
        self.batch_statistics = True
        Y, self.xhat = np.empty_like(X), np.empty_like(X)
        inv_std = np.empty(X.size // n, X.dtype)
        kernels.layer_norm_forward(X.reshape(n, -1), self.params["gamma"][:, 0],
                                   self.params["beta"][:, 0], c(self.eps), c(1),
                                   Y.reshape(n, -1), self.xhat.reshape(n, -1), inv_std)
        self.A_prev = X
        self.inv_std = inv_std.reshape(1, 1, *X.shape[1:])  # as the grouped view's statistics
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        kernels = self._kernels(dY, self.xhat)
        if kernels is None or not self.needs_input_grad:
            return super().backward(dY)
        n = self.n_features
        dX = np.empty_like(dY)
        dgamma, dbeta = np.empty(n, dY.dtype), np.empty(n, dY.dtype)
        kernels.layer_norm_backward(dY.reshape(n, -1), self.xhat.reshape(n, -1),
                                    self.inv_std.reshape(-1), self.params["gamma"][:, 0],
                                    dY.dtype.type(1), dX.reshape(n, -1), dgamma, dbeta)
        self.grads["gamma"][:, 0] = dgamma
        self.grads["beta"][:, 0] = dbeta
        return dX

    def _kernels(self, *arrays: np.ndarray) -> Any:
        """The compiled kernels when the backend allows them and the arrays are contiguous
        floats (of the parameters' dtype), else None for the NumPy reference."""
        dtype = self.params["gamma"].dtype
        if dtype not in (np.float32, np.float64) or not all(
                isinstance(a, np.ndarray) and a.ndim >= 2 and a.flags.c_contiguous
                and a.dtype == dtype for a in arrays):
            return None
        return load_kernels("layers._norm_kernels", self.backend)

    def output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        if len(input_shape) not in (1, 2) or input_shape[0] != self.n_features:
            raise ValueError(f"{self!r} expects input of shape ({self.n_features}, m), got "
                             f"{describe_shape(input_shape)} (it also takes sequences "
                             f"({self.n_features}, T, m))")
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "eps": self.eps}
