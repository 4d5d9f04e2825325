"""Learner-style convolution and pooling exercises for the tests: correct loops (and a
vectorised variant) and buggy ones, each bug marked ``# bug``. Test fixtures only."""
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant")


def conv_single_step(a_slice_prev, W, b):
    return float(np.sum(np.multiply(a_slice_prev, W)) + b.item())


def conv_forward(A_prev, W, b, hparameters):
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start, horiz_start = h * stride, w * stride
                    a_slice = A_prev_pad[i, vert_start:vert_start + f,
                                         horiz_start:horiz_start + f, :]
                    Z[i, h, w, c] = conv_single_step(a_slice, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    _, n_H, n_W, n_C = dZ.shape
    dA_prev_pad = np.zeros((m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, A_prev.shape[3]))
    dW, db = np.zeros(W.shape), np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * stride, w * stride
                    dA_prev_pad[i, vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += A_prev_pad[i, vs:vs + f, hs:hs + f, :] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def pool_forward(A_prev, hparameters, mode="max"):
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    n_H, n_W = (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            window = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            A[:, h, w, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    return A, (A_prev, hparameters)


def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H * n_W)


def pool_backward(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * stride, w * stride
                    if mode == "max":
                        mask = create_mask_from_window(A_prev[i, vs:vs + f, hs:hs + f, c])
                        dA_prev[i, vs:vs + f, hs:hs + f, c] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[i, vs:vs + f, hs:hs + f, c] += distribute_value(dA[i, h, w, c],
                                                                                (f, f))
    return dA_prev


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # every window at once: (N, C, H_out, W_out, HH, WW)
    windows = np.lib.stride_tricks.sliding_window_view(xp, (HH, WW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :H_out, :W_out]
    out = np.einsum("nchwij,fcij->nfhw", windows, w) + b[None, :, None, None]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    N, F, H_out, W_out = dout.shape
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dxp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += \
                        w[f] * dout[n, f, i, j]
    H, W = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * s + r, j * s + q] += dout[n, c, i, j]
    return dx


CORRECT = {name: globals()[name] for name in (
    "zero_pad", "conv_single_step", "conv_forward", "conv_backward", "pool_forward",
    "pool_backward", "create_mask_from_window", "distribute_value", "conv_forward_naive",
    "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive")}


# ---- mistakes -------------------------------------------------------------------------------

def zero_pad_every_axis(X, pad):
    return np.pad(X, pad)  # bug: pads the examples and the channels too


def conv_single_step_no_bias(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W)  # bug: b is never added


def conv_single_step_bias_in_every_product(a_slice_prev, W, b):
    s = np.multiply(a_slice_prev, W) + b  # bug: b added to each of the f·f·n_C products
    return np.sum(s)


def conv_backward_db_over_m(dZ, cache):
    dA_prev, dW, db = conv_backward(dZ, cache)
    return dA_prev, dW, db / dZ.shape[0]  # bug: db divided by m; dA_prev and dW are right


def conv_forward_no_stride(A_prev, W, b, hparameters):
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    a_slice = A_prev_pad[i, h:h + f, w:w + f, :]  # bug: h, not h * stride
                    Z[i, h, w, c] = conv_single_step(a_slice, W[..., c], b[..., c])
    return Z, (A_prev, W, b, hparameters)


def conv_backward_no_stride(dZ, cache):
    A_prev, W, b, hparameters = cache
    pad, f = hparameters["pad"], W.shape[0]
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad, dW, db = np.zeros(A_prev_pad.shape), np.zeros(W.shape), np.zeros(b.shape)
    for i in range(dZ.shape[0]):
        for h in range(dZ.shape[1]):
            for w in range(dZ.shape[2]):
                for c in range(dZ.shape[3]):
                    vs, hs = h, w  # bug: the stride is missing
                    dA_prev_pad[i, vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += A_prev_pad[i, vs:vs + f, hs:hs + f, :] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    H, Wd = A_prev.shape[1:3]
    return dA_prev_pad[:, pad:pad + H, pad:pad + Wd, :], dW, db


def conv_backward_assigns(dZ, cache):
    A_prev, W, b, hparameters = cache
    stride, pad, f = hparameters["stride"], hparameters["pad"], W.shape[0]
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad, dW, db = np.zeros(A_prev_pad.shape), np.zeros(W.shape), np.zeros(b.shape)
    for i in range(dZ.shape[0]):
        for h in range(dZ.shape[1]):
            for w in range(dZ.shape[2]):
                for c in range(dZ.shape[3]):
                    vs, hs = h * stride, w * stride
                    dA_prev_pad[i, vs:vs + f, hs:hs + f, :] = W[:, :, :, c] * dZ[i, h, w, c]  # bug
                    dW[:, :, :, c] += A_prev_pad[i, vs:vs + f, hs:hs + f, :] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    H, Wd = A_prev.shape[1:3]
    return dA_prev_pad[:, pad:pad + H, pad:pad + Wd, :], dW, db


def conv_backward_unpad_slice(dZ, cache):
    A_prev, W, b, hparameters = cache
    stride, pad, f = hparameters["stride"], hparameters["pad"], W.shape[0]
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev = np.zeros(A_prev.shape)
    dW, db = np.zeros(W.shape), np.zeros(b.shape)
    for i in range(dZ.shape[0]):
        da_prev_pad = np.zeros(A_prev_pad.shape[1:])
        for h in range(dZ.shape[1]):
            for w in range(dZ.shape[2]):
                for c in range(dZ.shape[3]):
                    vs, hs = h * stride, w * stride
                    da_prev_pad[vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += A_prev_pad[i, vs:vs + f, hs:hs + f, :] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]  # bug: empty when pad = 0
    return dA_prev, dW, db


def pool_forward_no_stride(A_prev, hparameters, mode="max"):
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    n_H, n_W = (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            window = A_prev[:, h:h + f, w:w + f, :]  # bug: the stride is missing
            A[:, h, w, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    return A, (A_prev, hparameters)


def distribute_value_one_side(dz, shape):
    n_H, n_W = shape
    return np.ones(shape) * dz / n_H  # bug: the window has n_H * n_W entries


def pool_backward_divided_by_f(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    dA_prev = np.zeros(A_prev.shape)
    for i in range(dA.shape[0]):
        for h in range(dA.shape[1]):
            for w in range(dA.shape[2]):
                for c in range(dA.shape[3]):
                    vs, hs = h * stride, w * stride
                    window = A_prev[i, vs:vs + f, hs:hs + f, c]
                    if mode == "max":
                        share = create_mask_from_window(window) * dA[i, h, w, c]
                    else:
                        share = np.ones((f, f)) * dA[i, h, w, c] / f  # bug: f * f entries
                    dA_prev[i, vs:vs + f, hs:hs + f, c] += share
    return dA_prev


def pool_backward_no_stride(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f = hparameters["f"]
    dA_prev = np.zeros(A_prev.shape)
    for i in range(dA.shape[0]):
        for h in range(dA.shape[1]):
            for w in range(dA.shape[2]):
                for c in range(dA.shape[3]):
                    vs, hs = h, w  # bug: the stride is missing
                    window = A_prev[i, vs:vs + f, hs:hs + f, c]
                    if mode == "max":
                        share = create_mask_from_window(window) * dA[i, h, w, c]
                    else:
                        share = distribute_value(dA[i, h, w, c], (f, f))
                    dA_prev[i, vs:vs + f, hs:hs + f, c] += share
    return dA_prev


def pool_backward_assigns(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    dA_prev = np.zeros(A_prev.shape)
    for i in range(dA.shape[0]):
        for h in range(dA.shape[1]):
            for w in range(dA.shape[2]):
                for c in range(dA.shape[3]):
                    vs, hs = h * stride, w * stride
                    window = A_prev[i, vs:vs + f, hs:hs + f, c]
                    if mode == "max":
                        share = create_mask_from_window(window) * dA[i, h, w, c]
                    else:
                        share = distribute_value(dA[i, h, w, c], (f, f))
                    dA_prev[i, vs:vs + f, hs:hs + f, c] = share  # bug: = instead of +=
    return dA_prev


def conv_backward_naive_db_axis(dout, cache):
    dx, dw, _ = conv_backward_naive(dout, cache)
    return dx, dw, dout.sum(axis=(0, 1, 2))  # bug: sums over the filters, keeps the width


def _conv_backward_naive_with(dout, cache, stride_of, unpad, assign=False):
    """conv_backward_naive with a window start, an unpadding and an update of one's choice."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    N, F, H_out, W_out = dout.shape
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    r, c = stride_of(i, stride), stride_of(j, stride)
                    dw[f] += xp[n, :, r:r + HH, c:c + WW] * dout[n, f, i, j]
                    if assign:
                        dxp[n, :, r:r + HH, c:c + WW] = w[f] * dout[n, f, i, j]
                    else:
                        dxp[n, :, r:r + HH, c:c + WW] += w[f] * dout[n, f, i, j]
    return unpad(dxp, pad, x), dw, dout.sum(axis=(0, 2, 3))


def _unpad(dxp, pad, x):
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]


def conv_backward_naive_no_stride(dout, cache):
    return _conv_backward_naive_with(dout, cache, lambda i, s: i, _unpad)  # bug: no stride


def conv_backward_naive_assigns(dout, cache):
    return _conv_backward_naive_with(dout, cache, lambda i, s: i * s, _unpad,
                                     assign=True)  # bug: = instead of +=


def conv_backward_naive_unpad_slice(dout, cache):
    return _conv_backward_naive_with(dout, cache, lambda i, s: i * s,
                                     lambda dxp, pad, x: dxp[:, :, pad:-pad, pad:-pad])  # bug


def _max_pool_backward_naive_with(dout, cache, stride_of, assign=False):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    r, q = stride_of(i, s), stride_of(j, s)
                    window = x[n, c, r:r + ph, q:q + pw]
                    mask = window == window.max()
                    if assign:
                        dx[n, c, r:r + ph, q:q + pw] = mask * dout[n, c, i, j]
                    else:
                        dx[n, c, r:r + ph, q:q + pw] += mask * dout[n, c, i, j]
    return dx


def max_pool_backward_naive_no_stride(dout, cache):
    return _max_pool_backward_naive_with(dout, cache, lambda i, s: i)  # bug: no stride


def max_pool_backward_naive_assigns(dout, cache):
    return _max_pool_backward_naive_with(dout, cache, lambda i, s: i * s,
                                         assign=True)  # bug: = instead of +=


MISTAKES = [
    ("zero_pad", zero_pad_every_axis, "pad_axes"),
    ("conv_single_step", conv_single_step_no_bias, "bias"),
    ("conv_forward", conv_forward_no_stride, "stride"),
    ("conv_single_step", conv_single_step_bias_in_every_product, "bias_count"),
    ("conv_backward", conv_backward_no_stride, "stride"),
    # right dA_prev and dW on the first configuration, stride 1, where a missing stride
    # would give them too: the mistake named is db's, never "stride"
    ("conv_backward", conv_backward_db_over_m, "scale"),
    ("conv_backward", conv_backward_assigns, "accumulate"),
    ("conv_backward", conv_backward_unpad_slice, "empty_slice"),
    ("pool_forward", pool_forward_no_stride, "stride"),
    ("distribute_value", distribute_value_one_side, "pool_count"),
    ("pool_backward", pool_backward_divided_by_f, "pool_count"),
    ("pool_backward", pool_backward_no_stride, "stride"),
    ("pool_backward", pool_backward_assigns, "accumulate"),
    ("conv_backward_naive", conv_backward_naive_db_axis, "mismatch"),  # W_out = F here
    ("conv_backward_naive", conv_backward_naive_no_stride, "stride"),
    ("conv_backward_naive", conv_backward_naive_assigns, "accumulate"),
    ("conv_backward_naive", conv_backward_naive_unpad_slice, "empty_slice"),
    ("max_pool_backward_naive", max_pool_backward_naive_no_stride, "stride"),
    ("max_pool_backward_naive", max_pool_backward_naive_assigns, "accumulate"),
]
