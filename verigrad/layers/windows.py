"""Sliding windows over images (C, H, W, m): the geometry convolution and pooling share.

A window of kh × kw pixels moves over the (padded) image in steps of the stride; the
window at output position (i, j) covers rows i·s_h … i·s_h + kh − 1 and columns
j·s_w … j·s_w + kw − 1, so an input of H rows gives

    H_out = ⌊(H + 2·p_h − kh) / s_h⌋ + 1

rows (the same for columns). With the example axis last, the pixels that one kernel
offset (p, q) sees in every window, ``A_pad[:, p : p + s_h·H_out : s_h, q : …, :]``, are a
strided view of shape (C, H_out, W_out, m) whose last axis is contiguous: the fast paths
are built from these views (one per kernel offset) rather than from one view per window.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ..validation import describe_shape
from .base import Layer, Shape


def pair(value: Any, name: str, minimum: int = 1) -> tuple[int, int]:
    """(a, b) from an int or a pair of ints, each ≥ ``minimum``."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                   and v >= minimum for v in values):
        raise ValueError(f"{name} must be an integer ≥ {minimum} or a pair of them, "
                         f"got {value!r}")
    return int(values[0]), int(values[1])


def output_size(layer: Layer, input_shape: Shape, channels: int | None,
                kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> Shape:
    """One output example's (H_out, W_out) for an input example (C, H, W), checking that
    the input is an image with ``channels`` channels (None: any) that the kernel fits.
    Sizes given as None stay None."""
    shape = tuple(input_shape)
    want = f"images ({'C' if channels is None else channels}, H, W, m)"
    if len(shape) != 3:
        hint = ": put the convolutional layers before the Flatten()" if len(shape) == 1 else ""
        raise ValueError(f"{layer!r} expects {want}, but its input has shape "
                         f"{describe_shape(shape)}{hint}")
    if channels is not None and shape[0] is not None and shape[0] != channels:
        hint = ""
        if shape[2] == channels:
            hint = ("; the channels look last: images here are (C, H, W, m), from (m, H, W, C) "
                    "pass np.moveaxis(X, -1, 0) and from (m, C, H, W) np.moveaxis(X, 0, -1)")
        raise ValueError(f"{layer!r} expects {want} with {channels} channels, but its input "
                         f"has shape {describe_shape(shape)} ({shape[0]} channels){hint}")
    out: list[int | None] = []
    for axis, size, k, s, p in zip(("height", "width"), shape[1:], kernel, stride, padding):
        if size is None:
            out.append(None)
            continue
        if size + 2 * p < k:
            raise ValueError(f"{layer!r}: the kernel's {axis} {k} is larger than the padded "
                             f"input's {size + 2 * p} (input shape {describe_shape(shape)}, "
                             f"padding {p}), so there is no output")
        out.append((size + 2 * p - k) // s + 1)
    return tuple(out)


def check_batch(layer: Layer, A_prev: np.ndarray) -> tuple[int, int]:
    """A_prev must be a batch of images (C, H, W, m); returns the output's (H_out, W_out)."""
    if A_prev.ndim != 4:
        raise ValueError(f"{layer!r} expects a batch of images (C, H, W, m), got an array of "
                         f"shape {A_prev.shape}")
    channels = getattr(layer, "in_channels", None)
    if channels is not None and A_prev.shape[0] != channels and A_prev.shape[1] == channels:
        raise ValueError(f"{layer!r} expects a batch of images ({channels}, H, W, m), got "
                         f"shape {A_prev.shape}: it looks like examples come first, (m, C, H, W) "
                         f"as in PyTorch; the example axis is last here, pass "
                         f"np.moveaxis(X, 0, -1)")
    # every size of a batch is known, so the output sizes are ints
    return cast("tuple[int, int]", layer.output_shape(A_prev.shape[:-1])[1:])


def pad(A_prev: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """A_prev (C, H, W, m) with ``padding`` = (p_h, p_w) rows and columns of zeros on each
    side, C-contiguous (a copy, unless there is no padding and A_prev is already one)."""
    p_h, p_w = padding
    if not (p_h or p_w):
        return np.ascontiguousarray(A_prev)
    C, H, W, m = A_prev.shape
    out = np.zeros((C, H + 2 * p_h, W + 2 * p_w, m), A_prev.dtype)
    out[:, p_h:p_h + H, p_w:p_w + W] = A_prev
    return out


def unpad(A_pad: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """The inverse of ``pad``: the rows and columns inside the padding (a view)."""
    p_h, p_w = padding
    H, W = A_pad.shape[1] - 2 * p_h, A_pad.shape[2] - 2 * p_w
    return A_pad[:, p_h:p_h + H, p_w:p_w + W]


def offset_view(A_pad: np.ndarray, p: int, q: int, out_hw: Sequence[int],
                stride: tuple[int, int]) -> np.ndarray:
    """The pixels kernel offset (p, q) sees in every window: A_pad[c, i·s_h + p, j·s_w + q, n]
    for all c, i, j, n, a strided view of shape (C, H_out, W_out, m)."""
    (H_out, W_out), (s_h, s_w) = out_hw, stride
    return A_pad[:, p:p + s_h * (H_out - 1) + 1:s_h, q:q + s_w * (W_out - 1) + 1:s_w]


def offsets(kernel: tuple[int, int]) -> list[tuple[int, int]]:
    """Kernel offsets (p, q) in row-major order, the order in which ties are broken."""
    return [(p, q) for p in range(kernel[0]) for q in range(kernel[1])]


def compact(values: tuple[int, int]) -> int | list[int]:
    """A pair as its constructor would take it: one int when both are equal."""
    return values[0] if values[0] == values[1] else list(values)
