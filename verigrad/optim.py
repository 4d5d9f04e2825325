"""Optimizers and learning-rate schedules.

An optimizer updates parameters in place: ``step(params, grads)`` with two dicts keyed
alike (name -> array). The update rules are written as PyTorch's ``torch.optim`` computes
them, so the two agree step for step; where the course writes a rule differently the
docstring says how they relate.

backend: the NumPy code below is the reference. With numba installed
(``pip install verigrad[fast]``) the momentum, RMSProp and Adam updates run as one
compiled pass over each array instead of one NumPy pass per operation ("auto", the
default, uses numba when it is installed; "numpy" or "numba" force one).
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import ModuleType
from typing import Any, Callable, Optional

import numpy as np

from ._backend import check_backend, load_kernels
from .validation import check_number, check_positive_int

#: a learning-rate schedule: epoch (from 0) -> factor of the initial rate, or None
Schedule = Optional[Callable[[int], float]]


class StepDecay:
    """lr = lr0 · gamma^⌊epoch / step_size⌋  (e.g. halve every 5 epochs)."""

    def __init__(self, step_size: int, gamma: float = 0.1):
        self.step_size = check_positive_int(step_size, "StepDecay step_size")
        self.gamma = check_number(gamma, "StepDecay gamma", lambda g: 0 < g <= 1,
                                  "a number in (0, 1] (a learning rate ≤ 0 would not descend)")

    def __call__(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)

    def __repr__(self) -> str:
        return f"StepDecay(step_size={self.step_size}, gamma={self.gamma})"


class ExponentialDecay:
    """lr = lr0 · gamma^epoch."""

    def __init__(self, gamma: float):
        self.gamma = check_number(gamma, "ExponentialDecay gamma", lambda g: 0 < g <= 1,
                                  "a number in (0, 1] (a learning rate ≤ 0 would not descend)")

    def __call__(self, epoch: int) -> float:
        return self.gamma ** epoch

    def __repr__(self) -> str:
        return f"ExponentialDecay(gamma={self.gamma})"


class InverseTimeDecay:
    """lr = lr0 / (1 + decay_rate · epoch / interval)  (Keras' ``InverseTimeDecay``); with
    ``staircase`` the quotient is rounded down, so the rate drops once every ``interval``
    epochs: lr0 / (1 + decay_rate · ⌊epoch / interval⌋)."""

    def __init__(self, decay_rate: float, interval: int = 1, staircase: bool = False):
        self.decay_rate = check_number(decay_rate, "InverseTimeDecay decay_rate",
                                       lambda d: d >= 0, "a finite number ≥ 0")
        self.interval = check_positive_int(interval, "InverseTimeDecay interval")
        self.staircase = bool(staircase)

    def __call__(self, epoch: int) -> float:
        steps = epoch // self.interval if self.staircase else epoch / self.interval
        return 1.0 / (1.0 + self.decay_rate * steps)

    def __repr__(self) -> str:
        return (f"InverseTimeDecay(decay_rate={self.decay_rate}, interval={self.interval}, "
                f"staircase={self.staircase})")


class CosineDecay:
    """lr = lr0 · (f + (1 − f)·(1 + cos(π·epoch/total_epochs))/2), f = min_factor:
    from lr0 at epoch 0 down to f·lr0 at ``total_epochs``. With f = 0 the rate reaches 0 at
    epoch ``total_epochs``, so ``fit`` refuses to train longer than that."""

    def __init__(self, total_epochs: int, min_factor: float = 0.0):
        self.total_epochs = check_positive_int(total_epochs, "CosineDecay total_epochs")
        self.min_factor = check_number(min_factor, "CosineDecay min_factor",
                                       lambda f: 0 <= f <= 1, "a number in [0, 1]")

    def __call__(self, epoch: int) -> float:
        progress = min(epoch, self.total_epochs) / self.total_epochs
        return self.min_factor + (1 - self.min_factor) * (1 + math.cos(math.pi * progress)) / 2

    def __repr__(self) -> str:
        return f"CosineDecay(total_epochs={self.total_epochs}, min_factor={self.min_factor})"


class WarmupCosine:
    """Per-step schedule (a transformer's): a linear warm-up from lr0/warmup_steps to lr0 over
    the first ``warmup_steps`` steps, then a cosine from lr0 down to f·lr0 (f = min_factor)
    at ``total_steps``, held there after it:

        step s < w:   lr = lr0 · (s + 1)/w
        step s ≥ w:   lr = lr0 · (f + (1 − f)·(1 + cos(π·(s − w)/(S − w)))/2)

    Steps count from 0. ``per_step`` tells the optimizer to apply it at every update rather
    than once per epoch. Early Adam updates are the largest relative to the weights (its
    second-moment estimate is still small); the warm-up keeps them from knocking the
    attention logits into saturation."""

    per_step = True

    def __init__(self, warmup_steps: int, total_steps: int, min_factor: float = 0.1):
        self.warmup_steps = check_positive_int(warmup_steps, "WarmupCosine warmup_steps")
        self.total_steps = check_positive_int(total_steps, "WarmupCosine total_steps")
        if self.total_steps <= self.warmup_steps:
            raise ValueError(f"WarmupCosine total_steps ({total_steps}) must be larger than "
                             f"warmup_steps ({warmup_steps})")
        self.min_factor = check_number(min_factor, "WarmupCosine min_factor",
                                       lambda f: 0 < f <= 1, "a number in (0, 1]")

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        span = self.total_steps - self.warmup_steps
        progress = min(step - self.warmup_steps, span) / span
        return self.min_factor + (1 - self.min_factor) * (1 + math.cos(math.pi * progress)) / 2

    def __repr__(self) -> str:
        return (f"WarmupCosine(warmup_steps={self.warmup_steps}, total_steps={self.total_steps}"
                f", min_factor={self.min_factor})")


class Optimizer(ABC):
    """Common part: learning rate (with an optional per-epoch schedule), clipping, backend.

    clip_norm: if set, all gradients are scaled together so that their global L2 norm is at
    most clip_norm (scale = clip_norm / (norm + 1e-6), as ``torch.nn.utils.clip_grad_norm_``).
    """

    def __init__(self, lr: float, schedule: Schedule = None, clip_norm: float | None = None,
                 backend: str = "auto"):
        check_number(lr, f"{type(self).__name__} lr", lambda v: v > 0, "a finite number > 0")
        if clip_norm is not None:
            check_number(clip_norm, "clip_norm", lambda v: v > 0, "a finite number > 0 or None")
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch (e.g. StepDecay(5, 0.5)) "
                            f"or None, got {type(schedule).__name__}")
        check_backend(backend)
        self.base_lr = float(lr)
        self.lr = float(lr)
        self.schedule = schedule
        self.clip_norm = clip_norm
        self.backend = backend
        self.t = 0
        self.state: dict[str, Any] = {}

    def kernels(self, *arrays: np.ndarray) -> ModuleType | None:
        """The compiled kernels if the backend allows them and every array is contiguous,
        else None."""
        kernels = load_kernels("_optim_kernels", self.backend)
        if kernels is None or not all(a.flags.c_contiguous for a in arrays):
            return None
        return kernels

    def slots(self, name: str, p: np.ndarray, count: int = 1) -> tuple[np.ndarray, ...]:
        """The optimizer's own arrays for parameter ``name`` (momentum, squares), zeros
        like ``p`` at first."""
        if name not in self.state:
            self.state[name] = tuple(np.zeros_like(p) for _ in range(count))
        return self.state[name]

    def set_epoch(self, epoch: int) -> None:
        """Apply the schedule for ``epoch`` (counted from 0); ``fit`` calls this. A per-step
        schedule (``per_step``) is applied by ``step`` instead."""
        if not self.per_step:
            self.lr = self.scheduled_lr(epoch)

    @property
    def per_step(self) -> bool:
        """True when the schedule sets the rate of every step (``WarmupCosine``)."""
        return bool(getattr(self.schedule, "per_step", False))

    def scheduled_lr(self, epoch: int) -> float:
        """The learning rate of ``epoch``; ValueError if the schedule makes it ≤ 0 or not
        finite (training would ascend, stand still or blow up)."""
        lr = self.base_lr * (self.schedule(epoch) if self.schedule else 1.0)
        if not (isinstance(lr, (int, float, np.floating)) and 0 < lr < math.inf):
            hint = (": give it total_epochs ≥ the epochs of fit, or min_factor > 0"
                    if isinstance(self.schedule, CosineDecay) else "")
            raise ValueError(f"the schedule {self.schedule!r} gives a learning rate of {lr!r} "
                             f"in epoch {epoch + 1}, but it must stay finite and > 0{hint}")
        return lr

    def check_schedule(self, epochs: int) -> None:
        """Raise before training if the schedule leaves (0, inf) within ``epochs``."""
        if self.per_step:
            return
        for epoch in range(epochs):
            self.scheduled_lr(epoch)

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys)."""
        if self.clip_norm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
            if norm > self.clip_norm:
                scale = self.clip_norm / (norm + 1e-6)
                for g in grads.values():
                    g *= scale
        if self.per_step:
            self.lr = self.scheduled_lr(self.t)
        self.t += 1
        for name, p in params.items():
            g = grads[name]
            kernels = self.kernels(p, g)
            if kernels is None:
                self.update(name, p, g)
            else:
                self.compiled_update(kernels, name, p, g)

    @abstractmethod
    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        """Update parameter ``p`` (called ``name``) in place from its gradient ``g``: the
        NumPy reference, written as the formula."""

    def compiled_update(self, kernels: ModuleType, name: str, p: np.ndarray,
                        g: np.ndarray) -> None:
        """The same update in one compiled pass over memory (``backend`` "numba"); tested
        equal to ``update``."""
        self.update(name, p, g)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.base_lr}, backend={self.backend!r})"


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum, as ``torch.optim.SGD``:

        v ← μ·v + g                  (v = g at the first step)
        p ← p − lr·v                 or, with nesterov,  p ← p − lr·(g + μ·v)

    The course writes momentum as v ← β·v + (1 − β)·g; that is the same method with the
    learning rate scaled by (1 − β)."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 schedule: Schedule = None, clip_norm: float | None = None,
                 backend: str = "auto"):
        super().__init__(lr, schedule, clip_norm, backend)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD momentum must be in [0, 1), got {momentum!r}")
        if nesterov and momentum == 0:
            raise ValueError("SGD nesterov=True needs momentum > 0")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        if self.momentum == 0:
            p -= self.lr * g
            return
        (v,) = self.slots(name, p)
        v[...] = self.momentum * v + g
        p -= self.lr * (g + self.momentum * v if self.nesterov else v)

    def compiled_update(self, kernels: ModuleType, name: str, p: np.ndarray,
                        g: np.ndarray) -> None:
        if self.momentum == 0:
            self.update(name, p, g)
            return
        (v,) = self.slots(name, p)
        cast = p.dtype.type
        kernels.momentum(p, g, v, cast(self.momentum), cast(self.lr), self.nesterov)


class RMSProp(Optimizer):
    """s ← β·s + (1 − β)·g²;   p ← p − lr·g / (√s + eps)   (``torch.optim.RMSprop``, alpha=β)."""

    def __init__(self, lr: float = 0.001, beta: float = 0.9, eps: float = 1e-8,
                 schedule: Schedule = None, clip_norm: float | None = None,
                 backend: str = "auto"):
        super().__init__(lr, schedule, clip_norm, backend)
        if not 0 <= beta < 1:
            raise ValueError(f"RMSProp beta must be in [0, 1), got {beta!r}")
        self.beta = float(beta)
        self.eps = check_number(eps, "RMSProp eps", lambda v: v > 0, "a finite number > 0")

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        (s,) = self.slots(name, p)
        s[...] = self.beta * s + (1 - self.beta) * g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)

    def compiled_update(self, kernels: ModuleType, name: str, p: np.ndarray,
                        g: np.ndarray) -> None:
        (s,) = self.slots(name, p)
        cast = p.dtype.type
        kernels.rmsprop(p, g, s, cast(self.beta), cast(1 - self.beta), cast(self.eps),
                        cast(self.lr))


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, as ``torch.optim.Adam``:

        v ← β1·v + (1 − β1)·g            s ← β2·s + (1 − β2)·g²
        p ← p − lr/(1 − β1ᵗ) · v / (√s / √(1 − β2ᵗ) + eps)

    which is p − lr·v̂/(√ŝ + eps) with v̂ = v/(1 − β1ᵗ), ŝ = s/(1 − β2ᵗ)."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, schedule: Schedule = None, clip_norm: float | None = None,
                 backend: str = "auto"):
        super().__init__(lr, schedule, clip_norm, backend)
        for arg, value in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= value < 1:
                raise ValueError(f"Adam {arg} must be in [0, 1), got {value!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.eps = check_number(eps, "Adam eps", lambda v: v > 0, "a finite number > 0")

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        v, s = self.slots(name, p, 2)
        v[...] = self.beta1 * v + (1 - self.beta1) * g
        s[...] = self.beta2 * s + (1 - self.beta2) * g * g
        v_hat, s_hat = v / (1 - self.beta1 ** self.t), s / (1 - self.beta2 ** self.t)
        p -= self.lr * v_hat / (np.sqrt(s_hat) + self.eps)

    def compiled_update(self, kernels: ModuleType, name: str, p: np.ndarray,
                        g: np.ndarray) -> None:
        # v̂/(√ŝ + eps) = k·v/(√s + k·eps) with k = √(1 − β2ᵗ): one division fewer per entry
        v, s = self.slots(name, p, 2)
        k = math.sqrt(1 - self.beta2 ** self.t)
        step = self.lr * k / (1 - self.beta1 ** self.t)
        cast = p.dtype.type
        kernels.adam(p, g, v, s, cast(1 - self.beta1), cast(self.beta2), cast(1 - self.beta2),
                     cast(k * self.eps), cast(step))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``:

        p ← p − lr·λ·p        then the Adam update of ``Adam``

    The decay shrinks the weight directly instead of entering the gradient as L2's λ·p would
    (whose effect Adam's per-parameter scaling would undo for parameters with large
    gradients). It applies to the weights, the parameters whose name starts with ``W``, not
    to biases, normalisation scales or the like (as nanoGPT's parameter groups, and as
    verigrad's L2); in PyTorch that is two parameter groups, weight_decay=λ and 0."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01, schedule: Schedule = None,
                 clip_norm: float | None = None, backend: str = "auto"):
        super().__init__(lr, beta1, beta2, eps, schedule, clip_norm, backend)
        self.weight_decay = check_number(weight_decay, "AdamW weight_decay", lambda v: v >= 0,
                                         "a finite number ≥ 0")

    def decay(self, name: str, p: np.ndarray) -> None:
        if self.weight_decay and name.startswith("W"):
            p *= p.dtype.type(1 - self.lr * self.weight_decay)

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        self.decay(name, p)
        super().update(name, p, g)

    def compiled_update(self, kernels: ModuleType, name: str, p: np.ndarray,
                        g: np.ndarray) -> None:
        self.decay(name, p)
        super().compiled_update(kernels, name, p, g)

    def __repr__(self) -> str:
        return (f"AdamW(lr={self.base_lr}, weight_decay={self.weight_decay}, "
                f"backend={self.backend!r})")
