"""Convolution and pooling exercises: the Deep Learning Specialization's course 4 week 1
(``zero_pad``, ``conv_single_step``, ``conv_forward``, ``conv_backward``, ``pool_forward``,
``pool_backward``, ``create_mask_from_window``, ``distribute_value``) and CS231n's
``conv_*_naive`` and ``max_pool_*_naive``.

Layouts: the course's images are (m, n_H, n_W, n_C) with filters W (f, f, n_C_prev, n_C) and
b (1, 1, 1, n_C); CS231n's are (N, C, H, W) with w (F, C, HH, WW) and b (F,); verigrad's
Conv2D, MaxPool2D and AvgPool2D work on (C, H, W, m) with W (F, C, kh, kw) and b (F, 1).
The references are those layers, called on the transposed arrays. Neither course divides
by m in these layers: their gradients are those of J = Σ⟨dZ, Z⟩ as they stand.

Known mistakes are recognised by their outputs: a loop that forgets the stride reads the
windows at (h, w) instead of (h·stride, w·stride), which is a stride-1 layer whose output
is cut to the strided size (backward: a stride-1 backward with dZ in the top-left corner);
``=`` instead of ``+=`` keeps only the last window's contribution where windows overlap;
an average pool divided by f instead of f·f is f times too large.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck.findings import Finding
from ..layers import AvgPool2D, Conv2D, MaxPool2D
from .core import (
    RIGHT_CALLEES,
    Config,
    Mistake,
    backward_exercise,
    first_output,
    forward_exercise,
    register_mistakes,
)

KINDS = register_mistakes({
    "bias_count": ("the output equals the one with the bias added to every product of the "
                   "window (f·f·n_C times) instead of once to their sum",
                   "where b is added: to the sum of the products, not to each of them"),
})

COURSE4 = "Deep Learning Specialization, course 4 week 1"
CS231N = "CS231n"


# ---- the references on verigrad's layout ------------------------------------------------------


def _conv_layer(W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> Conv2D:
    layer = Conv2D(W.shape[1], W.shape[0], W.shape[2:], stride=stride, padding=pad)
    layer.params["W"][...] = W
    layer.params["b"][...] = np.reshape(b, (-1, 1))
    return layer


def _conv(A: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Z (F, H_out, W_out, m) for A (C, H, W, m), W (F, C, kh, kw)."""
    return _conv_layer(W, b, stride, pad).forward(A)


def _conv_grads(A: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int,
                dZ: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    layer = _conv_layer(W, b, stride, pad)
    layer.forward(A, training=True)
    dA = layer.backward(dZ)
    return dA, layer.grads["W"], layer.grads["b"]


def _pool_layer(f: int | tuple[int, int], stride: int, mode: str) -> AvgPool2D | MaxPool2D:
    return (MaxPool2D if mode == "max" else AvgPool2D)(f, stride)


def _pool(A: np.ndarray, f: int | tuple[int, int], stride: int, mode: str) -> np.ndarray:
    return _pool_layer(f, stride, mode).forward(A)


def _pool_grad(A: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray) -> np.ndarray:
    layer = _pool_layer(f, stride, mode)
    layer.forward(A, training=True)
    return layer.backward(dA)


def _cut(Z: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Z's top-left corner of like's spatial size (what a loop without stride computes)."""
    return Z[:, :like.shape[1], :like.shape[2]]


def _in_corner(dZ: np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
    """dZ placed in the top-left corner of zeros of ``shape`` (a stride-1 output)."""
    full = np.zeros(shape)
    full[:, :dZ.shape[1], :dZ.shape[2]] = dZ
    return full


def _windows(out_hw: tuple[int, int], f: int, stride: int) -> list[tuple[Any, ...]]:
    """(h, w, rows, columns) of every window, in the loops' order."""
    return [(h, w, slice(h * stride, h * stride + f), slice(w * stride, w * stride + f))
            for h in range(out_hw[0]) for w in range(out_hw[1])]


# ---- course layout (m, H, W, C) <-> verigrad (C, H, W, m) ------------------------------------


def _v(A: np.ndarray) -> np.ndarray:
    return A.transpose(3, 1, 2, 0)


_course = _v  # the same permutation takes verigrad's layout back to the course's


def _course_filters(W: np.ndarray) -> np.ndarray:
    return W.transpose(3, 2, 0, 1)


def _course_conv_configs(seed: int) -> list[Config]:
    """pad 0 and > 0, stride 1 and 2, m = 1, non-square images and filters of 1 and 3."""
    rng = np.random.default_rng(seed)
    cases = []
    for label, m, hw, c_prev, c, f, stride, pad in (
            ("pad=0, stride=1, m=2, 4x4 images", 2, (4, 4), 2, 3, 2, 1, 0),
            ("pad=1, stride=2, m=1, 5x4 images", 1, (5, 4), 2, 2, 3, 2, 1),
            ("pad=2, stride=1, m=2, 3x5 images, f=3", 2, (3, 5), 1, 2, 3, 1, 2),
            ("pad=0, stride=2, m=1, 5x5 images, f=1", 1, (5, 5), 3, 2, 1, 2, 0)):
        cases.append(Config(label, (rng.standard_normal((m, *hw, c_prev)),
                                    rng.standard_normal((f, f, c_prev, c)),
                                    rng.standard_normal((1, 1, 1, c)),
                                    {"stride": stride, "pad": pad})))
    return cases


def _course_conv(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, hparameters: dict[str, int],
                 stride: int | None = None) -> np.ndarray:
    stride = hparameters["stride"] if stride is None else stride
    return _course(_conv(_v(A_prev), _course_filters(W), b, stride, hparameters["pad"]))


def _course_conv_reference(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                           hparameters: dict[str, int]) -> tuple[np.ndarray]:
    return (_course_conv(A_prev, W, b, hparameters),)


def _course_conv_no_stride(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                           hparameters: dict[str, int]) -> tuple[np.ndarray]:
    right = _course_conv(A_prev, W, b, hparameters)
    return (_course_conv(A_prev, W, b, hparameters, stride=1)[:, :right.shape[1],
                                                               :right.shape[2]],)


def _course_conv_builder(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                         hparameters: dict[str, int]) -> tuple[np.ndarray, tuple[Any, ...]]:
    return _course_conv(A_prev, W, b, hparameters), (A_prev, W, b, hparameters)


def _course_conv_backward_no_stride(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                                    hparameters: dict[str, int],
                                    douts: list[np.ndarray]) -> dict[str, np.ndarray]:
    pad = hparameters["pad"]
    Wv = _course_filters(W)
    full = _conv(_v(A_prev), Wv, b, 1, pad).shape
    dA, dW, _ = _conv_grads(_v(A_prev), Wv, b, 1, pad, _in_corner(_v(douts[0]), full))
    return {"A_prev": _course(dA), "W": dW.transpose(2, 3, 1, 0)}


def _course_conv_backward_overwrite(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                                    hparameters: dict[str, int],
                                    douts: list[np.ndarray]) -> dict[str, np.ndarray]:
    """dA_prev when each window's W·dZ is assigned (=) to da_prev_pad instead of added."""
    stride, pad = hparameters["stride"], hparameters["pad"]
    dZ, f = douts[0], W.shape[0]
    padded = np.zeros((A_prev.shape[0], A_prev.shape[1] + 2 * pad, A_prev.shape[2] + 2 * pad,
                       A_prev.shape[3]))
    for i in range(dZ.shape[0]):
        for h, w, rows, cols in _windows(dZ.shape[1:3], f, stride):
            for c in range(dZ.shape[3]):
                padded[i, rows, cols, :] = W[..., c] * dZ[i, h, w, c]
    H, Wd = A_prev.shape[1:3]
    return {"A_prev": padded[:, pad:pad + H, pad:pad + Wd, :]}


def _empty_slice(param: str, unpadding: str) -> Callable[..., Any]:
    """explain() for a conv backward: with pad = 0, an unpadding slice such as
    ``unpadding`` (da_prev_pad[pad:-pad, pad:-pad, :]) is empty, so it fails or gives an
    array with a 0 in its shape. param: the input's name (A_prev, x)."""

    def explain(config: Config, findings: list[Finding],
                error: Exception | None) -> Finding | None:
        if config.args[3]["pad"] != 0:
            return None
        empty = any(f.kind == "shape" and f.param == param and
                    ("(0, 0" in f.message or ", 0," in f.message or ", 0)" in f.message)
                    for f in findings)
        if error is None and not empty:
            return None
        if error is not None and "shape" not in str(error) and "broadcast" not in str(error):
            return None
        return Finding("empty_slice", param, (
            f"on {config.label}, removing the padding with {unpadding} gives an empty array "
            f"when pad = 0 (-0 is 0, so the slice stops before it starts). Look at the ends "
            f"of the slice that removes the padding."))

    return explain


_CONV_BACKWARD_MISTAKES = [
    Mistake("stride", "the gradient of a loop that reads the window at (h, w) instead of "
            "(h·stride, w·stride): look at where each window starts",
            _course_conv_backward_no_stride),
    Mistake("accumulate", "the gradient with each window's contribution assigned (=) "
            "instead of added (+=): where windows overlap only the last one is kept",
            _course_conv_backward_overwrite),
]


def _course_pool_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, m, hw, c, f, stride in (
            ("f=2, stride=2, m=2, 4x4 images", 2, (4, 4), 2, 2, 2),
            ("f=3, stride=1 (overlapping windows), m=1, 5x4 images", 1, (5, 4), 2, 3, 1),
            ("f=2, stride=1, m=2, 3x5 images", 2, (3, 5), 1, 2, 1)):
        for mode in ("max", "average"):
            A = rng.standard_normal((m, *hw, c))
            cases.append(Config(f"{label}, mode={mode}", (A, {"f": f, "stride": stride}),
                                {"mode": mode}))
    # ties in a max-pool window: every convention of sending the gradient is accepted there
    tied = np.repeat(np.repeat(rng.standard_normal((1, 2, 2, 1)), 2, axis=1), 2, axis=2)
    cases.append(Config("ties in every window, f=2, stride=2", (tied, {"f": 2, "stride": 2}),
                        {"mode": "max"}))
    return cases


def _course_pool(A_prev: np.ndarray, hparameters: dict[str, int], mode: str = "max",
                 stride: int | None = None) -> np.ndarray:
    stride = hparameters["stride"] if stride is None else stride
    return _course(_pool(_v(A_prev), hparameters["f"], stride, mode))


def _course_pool_reference(A_prev: np.ndarray, hparameters: dict[str, int],
                           mode: str = "max") -> tuple[np.ndarray]:
    return (_course_pool(A_prev, hparameters, mode),)


def _course_pool_no_stride(A_prev: np.ndarray, hparameters: dict[str, int],
                           mode: str = "max") -> tuple[np.ndarray]:
    right = _course_pool(A_prev, hparameters, mode)
    return (_course_pool(A_prev, hparameters, mode, 1)[:, :right.shape[1], :right.shape[2]],)


def _course_pool_other_mode(A_prev: np.ndarray, hparameters: dict[str, int],
                            mode: str = "max") -> tuple[np.ndarray]:
    return (_course_pool(A_prev, hparameters, "average" if mode == "max" else "max"),)


def _course_pool_builder(A_prev: np.ndarray, hparameters: dict[str, int],
                         mode: str = "max") -> tuple[np.ndarray, tuple[Any, ...]]:
    return _course_pool(A_prev, hparameters, mode), (A_prev, hparameters)


def _pool_grad_course(A_prev: np.ndarray, hparameters: dict[str, int], mode: str, dA: np.ndarray,
                      stride: int | None = None) -> np.ndarray:
    stride = hparameters["stride"] if stride is None else stride
    return _course(_pool_grad(_v(A_prev), hparameters["f"], stride, mode, _v(dA)))


def _course_pool_backward_wrong_count(A_prev: np.ndarray, hparameters: dict[str, int],
                                      douts: list[np.ndarray],
                                      mode: str = "max") -> dict[str, np.ndarray] | None:
    if mode != "average":
        return None
    f = hparameters["f"]
    return {"A_prev": _pool_grad_course(A_prev, hparameters, mode, douts[0]) * f}


def _course_pool_backward_no_stride(A_prev: np.ndarray, hparameters: dict[str, int],
                                    douts: list[np.ndarray],
                                    mode: str = "max") -> dict[str, np.ndarray]:
    full = _course_pool(A_prev, hparameters, mode, 1).shape
    dA = np.zeros(full)
    dA[:, :douts[0].shape[1], :douts[0].shape[2]] = douts[0]
    return {"A_prev": _pool_grad_course(A_prev, hparameters, mode, dA, 1)}


def _course_pool_backward_other_mode(A_prev: np.ndarray, hparameters: dict[str, int],
                                     douts: list[np.ndarray],
                                     mode: str = "max") -> dict[str, np.ndarray]:
    other = "average" if mode == "max" else "max"
    return {"A_prev": _pool_grad_course(A_prev, hparameters, other, douts[0])}


def _course_pool_backward_overwrite(A_prev: np.ndarray, hparameters: dict[str, int],
                                    douts: list[np.ndarray],
                                    mode: str = "max") -> dict[str, np.ndarray]:
    """dA_prev when each window's share is assigned (=) instead of added (+=)."""
    f, stride = hparameters["f"], hparameters["stride"]
    dA, out = douts[0], np.zeros(A_prev.shape)
    for i in range(dA.shape[0]):
        for h, w, rows, cols in _windows(dA.shape[1:3], f, stride):
            for c in range(dA.shape[3]):
                window = A_prev[i, rows, cols, c]
                share = (window == window.max() if mode == "max"
                         else np.full(window.shape, 1 / (f * f)))
                out[i, rows, cols, c] = share * dA[i, h, w, c]
    return {"A_prev": out}


_POOL_BACKWARD_MISTAKES = [
    Mistake("pool_count", "the average pool's gradient divided by f instead of f·f, the "
            "number of entries of the window: look at the count distribute_value divides by",
            _course_pool_backward_wrong_count),
    Mistake("stride", "the gradient of a loop that takes the window at (h, w) instead of "
            "(h·stride, w·stride), both for the mask and for where the gradient goes",
            _course_pool_backward_no_stride),
    Mistake("accumulate", "the gradient with each window's share assigned (=) instead of "
            "added (+=): overlapping windows (stride < f) lose all but the last share",
            _course_pool_backward_overwrite),
    Mistake("pool_mode", "the other mode's gradient: the branches for \"max\" and "
            "\"average\" are swapped", _course_pool_backward_other_mode),
]


def _pad_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("pad=0", (rng.standard_normal((2, 3, 3, 2)), 0)),
            Config("pad=2, m=1, 3x4 images", (rng.standard_normal((1, 3, 4, 2)), 2))]


def _pad_reference(X: np.ndarray, pad: int) -> tuple[np.ndarray]:
    return (np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0))),)


def _single_step_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("f=3, 2 channels", (rng.standard_normal((3, 3, 2)),
                                       rng.standard_normal((3, 3, 2)),
                                       rng.standard_normal((1, 1, 1)))),
            Config("f=1, 1 channel", (rng.standard_normal((1, 1, 1)),
                                      rng.standard_normal((1, 1, 1)),
                                      rng.standard_normal((1, 1, 1))))]


def _single_step_reference(a_slice_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[float]:
    return (float(np.sum(a_slice_prev * W) + b.reshape(())),)


def _single_step_bias_everywhere(a_slice_prev: np.ndarray, W: np.ndarray,
                                 b: np.ndarray) -> tuple[float]:
    """np.sum(a_slice_prev * W + b): b broadcast onto each of the f·f·n_C products."""
    return (float(np.sum(a_slice_prev * W) + W.size * b.reshape(())),)


def _course_conv_bias_everywhere(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                                 hparameters: dict[str, int]) -> tuple[np.ndarray]:
    """conv_forward with b added f·f·n_C_prev times per window (a conv_single_step that
    adds it to each product)."""
    per_window = W.shape[0] * W.shape[1] * W.shape[2]
    return _course_conv_reference(A_prev, W, per_window * b, hparameters)


def _mask_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("a 3x3 window", (rng.standard_normal((3, 3)),)),
            Config("a 2x4 window", (rng.standard_normal((2, 4)),))]


def _distribute_configs(seed: int) -> list[Config]:
    return [Config("dz=2, shape (2, 2)", (2.0, (2, 2))),
            Config("dz=-1.5, shape (3, 2)", (-1.5, (3, 2)))]


def _mask_reference(x: np.ndarray) -> tuple[np.ndarray]:
    return (x == np.max(x),)


def _distribute_reference(dz: float, shape: tuple[int, int]) -> tuple[np.ndarray]:
    return (np.full(shape, dz / (shape[0] * shape[1])),)


def _cs231n_conv_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, C, hw, F, k, stride, pad in (
            ("pad=0, stride=1, N=2, 4x4 images", 2, 2, (4, 4), 3, 2, 1, 0),
            ("pad=1, stride=2, N=1, 5x4 images", 1, 2, (5, 4), 2, 3, 2, 1),
            ("pad=2, stride=1, N=2, 3x5 images", 2, 1, (3, 5), 2, 3, 1, 2)):
        cases.append(Config(label, (rng.standard_normal((N, C, *hw)),
                                    rng.standard_normal((F, C, k, k)), rng.standard_normal(F),
                                    {"stride": stride, "pad": pad})))
    return cases


def _x(x: np.ndarray) -> np.ndarray:
    return x.transpose(1, 2, 3, 0)


def _back_x(Z: np.ndarray) -> np.ndarray:
    return Z.transpose(3, 0, 1, 2)


def _cs231n_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict[str, int],
                 stride: None = None) -> np.ndarray:
    stride = conv_param["stride"] if stride is None else stride
    return _back_x(_conv(_x(x), w, b, stride, conv_param["pad"]))


def _cs231n_conv_no_stride(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                           conv_param: dict[str, int]) -> tuple[np.ndarray]:
    right = _cs231n_conv(x, w, b, conv_param)
    return (_cs231n_conv(x, w, b, conv_param, 1)[..., :right.shape[2], :right.shape[3]],)


def _cs231n_conv_builder(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                         conv_param: dict[str, int]) -> tuple[np.ndarray, tuple[Any, ...]]:
    return _cs231n_conv(x, w, b, conv_param), (x, w, b, conv_param)


def _cs231n_conv_mistake(course_mistake: Callable[..., Any]) -> Callable[..., Any]:
    """A course conv backward mistake on CS231n's layout: x (N, C, H, W), w (F, C, HH, WW)."""

    def output(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict[str, int],
               douts: list[np.ndarray]) -> dict[str, np.ndarray]:
        got = course_mistake(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0),
                             np.reshape(b, (1, 1, 1, -1)), conv_param,
                             douts=[douts[0].transpose(0, 2, 3, 1)])
        renamed = {"A_prev": ("x", (0, 3, 1, 2)), "W": ("w", (3, 2, 0, 1))}
        return {renamed[k][0]: v.transpose(renamed[k][1]) for k, v in got.items()}

    return output


def _cs231n_pool_mistake(course_mistake: Callable[..., Any]) -> Callable[..., Any]:
    """A course max-pool backward mistake on CS231n's layout (square windows)."""

    def output(x: np.ndarray, pool_param: dict[str, int],
               douts: list[np.ndarray]) -> dict[str, np.ndarray] | None:
        if pool_param["pool_height"] != pool_param["pool_width"]:
            return None
        got = course_mistake(x.transpose(0, 2, 3, 1), {"f": pool_param["pool_height"],
                                                        "stride": pool_param["stride"]},
                             douts=[douts[0].transpose(0, 2, 3, 1)], mode="max")
        return {"x": got["A_prev"].transpose(0, 3, 1, 2)}

    return output


def _cs231n_pool_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, C, hw, k, stride in (("2x2 windows, stride 2, N=2", 2, 2, (4, 4), 2, 2),
                                       ("3x3 windows, stride 1, N=1, 5x4", 1, 2, (5, 4), 3, 1)):
        cases.append(Config(label, (rng.standard_normal((N, C, *hw)),
                                    {"pool_height": k, "pool_width": k, "stride": stride})))
    return cases


def _cs231n_pool(x: np.ndarray, pool_param: dict[str, int]) -> np.ndarray:
    return _back_x(_pool(_x(x), (pool_param["pool_height"], pool_param["pool_width"]),
                         pool_param["stride"], "max"))


def _cs231n_pool_builder(x: np.ndarray,
                         pool_param: dict[str, int]) -> tuple[np.ndarray, tuple[Any, ...]]:
    return _cs231n_pool(x, pool_param), (x, pool_param)


EXERCISES = [
    forward_exercise("zero_pad", COURSE4, ("X", "pad"), _pad_configs, _pad_reference,
                     [Mistake("pad_axes", "the images padded on every axis, examples and "
                              "channels too, not only n_H and n_W: look at the pad widths "
                              "given for each axis",
                              lambda X, pad: (np.pad(X, pad),))], names=("X_pad",)),
    forward_exercise("conv_single_step", COURSE4, ("a_slice_prev", "W", "b"),
                     _single_step_configs, _single_step_reference,
                     [Mistake("bias", "Σ a_slice_prev·W without the bias b",
                              lambda a, W, b: (float(np.sum(a * W)),)),
                      Mistake("bias_count", "Σ (a_slice_prev·W + b): the bias added to each "
                              "of the f·f·n_C products instead of once to their sum",
                              _single_step_bias_everywhere)], names=("Z",)),
    forward_exercise("conv_forward", COURSE4, ("A_prev", "W", "b", "hparameters"),
                     _course_conv_configs, _course_conv_reference,
                     [Mistake("stride", "the output of a loop that reads the window at (h, w) "
                              "instead of (h·stride, w·stride): look at where each window "
                              "starts",
                              _course_conv_no_stride),
                      Mistake("bias", "the convolution without the bias b",
                              lambda A, W, b, hp: _course_conv_reference(A, W, 0 * b, hp)),
                      Mistake("bias_count", "the convolution with the bias added f·f·n_C_prev "
                              "times per window, once to each product (see conv_single_step)",
                              _course_conv_bias_everywhere)],
                     names=("Z",)),
    backward_exercise("conv_backward", COURSE4, ("dZ", "cache"), "conv_forward",
                      _course_conv_configs, _course_conv_builder, _CONV_BACKWARD_MISTAKES,
                      explain=_empty_slice("A_prev", "da_prev_pad[pad:-pad, pad:-pad, :]"),
                      gradients=("dA_prev", "dW", "db")),
    forward_exercise("pool_forward", COURSE4, ("A_prev", "hparameters"), _course_pool_configs,
                     _course_pool_reference,
                     [Mistake("stride", "the output of a loop that reads the window at (h, w) "
                              "instead of (h·stride, w·stride)", _course_pool_no_stride),
                      Mistake("pool_mode", "the other mode's output: the branches for \"max\" "
                              "and \"average\" are swapped", _course_pool_other_mode)],
                     names=("A",)),
    forward_exercise("create_mask_from_window", COURSE4, ("x",), _mask_configs,
                     _mask_reference, names=("mask",)),
    forward_exercise("distribute_value", COURSE4, ("dz", "shape"), _distribute_configs,
                     _distribute_reference,
                     [Mistake("pool_count", "dz divided by n_H only: the average is over "
                              "n_H·n_W entries",
                              lambda dz, shape: (np.full(shape, dz / shape[0]),)),
                      Mistake("pool_count", "dz not divided among the n_H·n_W entries of "
                              "the window", lambda dz, shape: (np.full(shape, dz),))],
                     names=("a",)),
    backward_exercise("pool_backward", COURSE4, ("dA", "cache"), "pool_forward",
                      _course_pool_configs, _course_pool_builder, _POOL_BACKWARD_MISTAKES,
                      gradients=("dA_prev",)),
    forward_exercise("conv_forward_naive", CS231N, ("x", "w", "b", "conv_param"),
                     _cs231n_conv_configs,
                     lambda x, w, b, p: (_cs231n_conv(x, w, b, p),),
                     [Mistake("stride", "the output of a loop that reads the window at (i, j) "
                              "instead of (i·stride, j·stride)", _cs231n_conv_no_stride)]),
    backward_exercise("conv_backward_naive", CS231N, ("dout", "cache"), "conv_forward_naive",
                      _cs231n_conv_configs, _cs231n_conv_builder,
                      [Mistake(m.kind, m.message, _cs231n_conv_mistake(m.output))
                       for m in _CONV_BACKWARD_MISTAKES],
                      explain=_empty_slice("x", "dxp[:, :, pad:-pad, pad:-pad]"),
                      gradients=("dx", "dw", "db")),
    forward_exercise("max_pool_forward_naive", CS231N, ("x", "pool_param"),
                     _cs231n_pool_configs, lambda x, p: (_cs231n_pool(x, p),)),
    backward_exercise("max_pool_backward_naive", CS231N, ("dout", "cache"),
                      "max_pool_forward_naive", _cs231n_pool_configs, _cs231n_pool_builder,
                      [Mistake(m.kind, m.message, _cs231n_pool_mistake(m.output))
                       for m in _POOL_BACKWARD_MISTAKES if m.kind in ("stride", "accumulate")],
                      gradients=("dx",)),
]

# pool_backward calls create_mask_from_window and distribute_value, conv_forward
# conv_single_step and zero_pad, conv_backward zero_pad; listed before their callers above
RIGHT_CALLEES.update({(COURSE4, name): first_output(reference) for name, reference in (
    ("zero_pad", _pad_reference), ("conv_single_step", _single_step_reference),
    ("create_mask_from_window", _mask_reference), ("distribute_value", _distribute_reference))})
