"""Convolution and pooling written out one window at a time: the course's loops, in the
layout used here (images (C, H, W, m), kernels (F, C, kh, kw)).

These are the readable reference for ``Conv2D``, ``MaxPool2D`` and ``AvgPool2D``, whose
vectorised code the tests check against them. They are slow (Python loops over every
example and output pixel): use them to read or on tiny inputs, not to train.
"""
from __future__ import annotations

import numpy as np


def _padded(A_prev: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    p_h, p_w = padding
    return np.pad(A_prev, ((0, 0), (p_h, p_h), (p_w, p_w), (0, 0)))


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def convolve(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: tuple[int, int] = (1, 1),
             padding: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Z (F, H_out, W_out, m) of a convolution of A_prev (C, H, W, m) with W (F, C, kh, kw)
    and b (F, 1)."""
    F, _, kh, kw = W.shape
    _, H, W_in, m = A_prev.shape
    (s_h, s_w), A_pad = stride, _padded(A_prev, padding)
    H_out = _out_size(H, kh, s_h, padding[0])
    W_out = _out_size(W_in, kw, s_w, padding[1])
    Z = np.zeros((F, H_out, W_out, m), np.result_type(A_prev, W))
    for n in range(m):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * s_h, j * s_w
                    a_slice = A_pad[:, top:top + kh, left:left + kw, n]
                    Z[f, i, j, n] = np.sum(a_slice * W[f]) + b[f, 0]
    return Z


def convolve_grads(A_prev: np.ndarray, W: np.ndarray, dZ: np.ndarray,
                   stride: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0),
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dA_prev, dW, db) of a convolution, given dZ = dJ/dZ (F, H_out, W_out, m)."""
    F, _, kh, kw = W.shape
    _, H_out, W_out, m = dZ.shape
    (s_h, s_w), (p_h, p_w) = stride, padding
    A_pad = _padded(A_prev, padding)
    dA_pad = np.zeros_like(A_pad, dtype=dZ.dtype)
    dW = np.zeros(W.shape, dZ.dtype)
    db = np.zeros((F, 1), dZ.dtype)
    for n in range(m):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * s_h, j * s_w
                    a_slice = A_pad[:, top:top + kh, left:left + kw, n]
                    dA_pad[:, top:top + kh, left:left + kw, n] += W[f] * dZ[f, i, j, n]
                    dW[f] += a_slice * dZ[f, i, j, n]
                    db[f] += dZ[f, i, j, n]
    # Slicing to size, not [p:-p], which is empty when p = 0.
    dA_prev = dA_pad[:, p_h:p_h + A_prev.shape[1], p_w:p_w + A_prev.shape[2]]
    return dA_prev, dW, db


def pool(A_prev: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
         mode: str = "max") -> np.ndarray:
    """A (C, H_out, W_out, m): the max (mode "max") or mean ("average") of each window."""
    C, H, W, m = A_prev.shape
    (kh, kw), (s_h, s_w) = kernel, stride
    H_out, W_out = _out_size(H, kh, s_h, 0), _out_size(W, kw, s_w, 0)
    A = np.zeros((C, H_out, W_out, m), A_prev.dtype)
    for n in range(m):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * s_h, j * s_w
                    a_slice = A_prev[c, top:top + kh, left:left + kw, n]
                    A[c, i, j, n] = np.max(a_slice) if mode == "max" else np.mean(a_slice)
    return A


def pool_grads(A_prev: np.ndarray, dA: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
               mode: str = "max") -> np.ndarray:
    """dA_prev (C, H, W, m) of a pooling layer, given dA = dJ/dA (C, H_out, W_out, m).

    Max: the window's gradient goes to its max (the first one, row by row, at a tie).
    Average: each of the kh·kw entries gets an equal share."""
    C, H_out, W_out, m = dA.shape
    (kh, kw), (s_h, s_w) = kernel, stride
    dA_prev = np.zeros(A_prev.shape, dA.dtype)
    for n in range(m):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * s_h, j * s_w
                    if mode == "max":
                        a_slice = A_prev[c, top:top + kh, left:left + kw, n]
                        p, q = np.unravel_index(np.argmax(a_slice), a_slice.shape)
                        dA_prev[c, top + p, left + q, n] += dA[c, i, j, n]
                    else:
                        dA_prev[c, top:top + kh, left:left + kw, n] += dA[c, i, j, n] / (kh * kw)
    return dA_prev
