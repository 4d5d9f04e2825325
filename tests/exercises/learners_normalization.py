"""Learner-style CS231n normalization and dropout exercises for the tests: correct ones
(the graph form and the folded "alt" form) and buggy ones, each bug marked ``# bug``. Test
fixtures only."""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps = bn_param["mode"], bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    cache = None
    if mode == "train":
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc ** 2).mean(axis=0)
        std = np.sqrt(var + eps)
        xhat = xc / std
        out = gamma * xhat + beta
        cache = (xhat, xc, std, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, xc, std, gamma = cache
    N = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dxc = dxhat / std
    dstd = -np.sum(dxhat * xc, axis=0) / std ** 2
    dvar = 0.5 * dstd / std
    dxc += 2 * xc * dvar / N
    dmu = -dxc.sum(axis=0)
    return dxc + dmu / N, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    xhat, xc, std, gamma = cache
    N = dout.shape[0]
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, std, gamma)


def layernorm_backward(dout, cache):
    xhat, std, gamma = cache
    D = dout.shape[1]
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)) / (D * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    groups = x.reshape(N, G, -1)
    mu = groups.mean(axis=2, keepdims=True)
    std = np.sqrt(groups.var(axis=2, keepdims=True) + eps)
    xhat = ((groups - mu) / std).reshape(x.shape)
    return gamma * xhat + beta, (xhat, std, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    xhat, std, gamma, G = cache
    N, C, H, W = dout.shape
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = xhat.reshape(N, G, -1)
    M = dxhat.shape[2]
    dx = (M * dxhat - dxhat.sum(axis=2, keepdims=True)
          - xh * (dxhat * xh).sum(axis=2, keepdims=True)) / (M * std)
    return dx.reshape(dout.shape), dgamma, dbeta


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


CORRECT = {name: globals()[name] for name in (
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward",
    "layernorm_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward", "dropout_forward",
    "dropout_backward")}


# ---- mistakes -------------------------------------------------------------------------------

def batchnorm_forward_per_example(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)  # bug: axis=1 normalises each example (layer norm)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, x - mu, std, gamma)


def batchnorm_forward_test_batch_stats(x, gamma, beta, bn_param):
    out, cache = batchnorm_forward(x, gamma, beta, {**bn_param, "mode": "train"})  # bug
    return out, cache


def batchnorm_backward_no_mean_path(dout, cache):
    xhat, xc, std, gamma = cache
    N = dout.shape[0]
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xc, axis=0) * -0.5 / std ** 3
    dx = dxhat / std + dvar * 2 * xc / N  # bug: the path through the mean is missing
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_alt_no_variance_path(dout, cache):
    xhat, xc, std, gamma = cache
    N = dout.shape[0]
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0)) / (N * std)  # bug: the variance's term is missing
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def dropout_forward_not_inverted(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed", 0))
    mask = np.random.rand(*x.shape) < p
    out = x * mask if mode == "train" else x  # bug: not divided by p
    return out, (dropout_param, mask)


def dropout_forward_drop_probability(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed", 0))
    mask = (np.random.rand(*x.shape) >= p) / p  # bug: keeps with probability 1 - p
    out = x * mask if mode == "train" else x
    return out, (dropout_param, mask)


def dropout_forward_scaled_test(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed", 0))
    mask = (np.random.rand(*x.shape) < p) / p
    out = x * mask if mode == "train" else x * p  # bug: inverted dropout needs no test scaling
    return out, (dropout_param, mask)


def spatial_batchnorm_forward_over_batch(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    eps = bn_param.get("eps", 1e-5)
    mu = x.sum(axis=(0, 2, 3), keepdims=True) / N  # bug: each channel has N*H*W entries
    xc = x - mu
    std = np.sqrt((xc ** 2).sum(axis=(0, 2, 3), keepdims=True) / N + eps)  # bug: the same
    xhat = xc / std
    out = gamma.reshape(1, C, 1, 1) * xhat + beta.reshape(1, C, 1, 1)
    return out, (xhat, xc, std, gamma)


def spatial_batchnorm_backward_over_batch(dout, cache):
    N, C, H, W = dout.shape
    xhat, xc, std, gamma = cache
    dxhat = dout * gamma.reshape(1, C, 1, 1)
    dx = (N * dxhat - dxhat.sum(axis=(0, 2, 3), keepdims=True) -  # bug: N, not N*H*W
          xhat * (dxhat * xhat).sum(axis=(0, 2, 3), keepdims=True)) / (N * std)
    return dx, (dout * xhat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def spatial_batchnorm_forward_cached(x, gamma, beta, bn_param):
    """The right forward for the cache of spatial_batchnorm_backward_over_batch."""
    N, C, H, W = x.shape
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    xc = x - mu
    std = np.sqrt((xc ** 2).mean(axis=(0, 2, 3), keepdims=True) + bn_param.get("eps", 1e-5))
    out = gamma.reshape(1, C, 1, 1) * xc / std + beta.reshape(1, C, 1, 1)
    return out, (xc / std, xc, std, gamma)


def dropout_forward_unmasked(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed", 0))
    mask = (np.random.rand(*x.shape) < p) / p
    out = x / p if mode == "train" else x  # bug: the mask is drawn, never applied
    return out, (dropout_param, mask)


def dropout_backward_unmasked(dout, cache):
    dropout_param, mask = cache
    return dout / dropout_param["p"] if dropout_param["mode"] == "train" else dout  # bug


MISTAKES = [
    ("batchnorm_forward", batchnorm_forward_per_example, "norm_axis"),
    ("batchnorm_forward", batchnorm_forward_test_batch_stats, "test_mode"),
    ("batchnorm_backward", batchnorm_backward_no_mean_path, "bn_mean_path"),
    ("batchnorm_backward_alt", batchnorm_backward_alt_no_variance_path, "bn_variance_path"),
    ("dropout_forward", dropout_forward_not_inverted, "dropout_scale"),
    ("dropout_forward", dropout_forward_drop_probability, "dropout_p"),
    ("dropout_forward", dropout_forward_scaled_test, "dropout_test"),
    ("dropout_forward", dropout_forward_unmasked, "dropout_mask"),
    ("dropout_backward", dropout_backward_unmasked, "dropout_mask"),
    ("spatial_batchnorm_forward", spatial_batchnorm_forward_over_batch, "norm_count"),
]
