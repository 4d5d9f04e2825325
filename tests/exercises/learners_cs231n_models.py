# ruff: noqa: UP004, UP031, B007 - kept as learners write them (the template's style)
"""Learner-style CS231n model classes for the tests, written as one file (a learner who
pastes the layers beside the classes): neural_net.py's TwoLayerNet (2017+, reg·ΣW²) and a
2017 FullyConnectedNet (``dropout`` = probability of dropping, ``use_batchnorm``); buggy
``loss`` methods, each bug marked ``# bug``, go in place of the right one. The layers are
helpers here, not exercises (they are checked in the other learner modules). Test fixtures
only."""
import numpy as np


def _affine_fwd(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def _affine_bwd(dout, cache):
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(0)


def _softmax(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = scores.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return -log_probs[np.arange(N), y].mean(), dx / N


def _batchnorm_fwd(x, gamma, beta, bn_param):
    mu, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + bn_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + bn_param.get("eps", 1e-5)))


def _batchnorm_bwd(dout, cache):
    xhat, gamma, std = cache
    N, dxhat = dout.shape[0], dout * gamma
    dx = (N * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0)) / (N * std)
    return dx, (dout * xhat).sum(0), dout.sum(0)


def _dropout_fwd_2017(x, dropout_param):
    """CS231n 2017: p is the probability of dropping a unit."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        return x * mask, mask
    return x, None


class TwoLayerNet(object):
    """neural_net.py of assignment 1."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": std * np.random.randn(input_size, hidden_size),
                       "b1": np.zeros(hidden_size),
                       "W2": std * np.random.randn(hidden_size, output_size),
                       "b2": np.zeros(output_size)}

    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores
        loss, dscores = _softmax(scores, y)
        loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {"W2": hidden.T.dot(dscores) + 2 * reg * W2, "b2": dscores.sum(axis=0)}
        dhidden = dscores.dot(W2.T) * (hidden > 0)
        grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads


class FullyConnectedNet(object):
    """CS231n 2017's fc_net.py."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=0,
                 use_batchnorm=False, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.use_batchnorm, self.use_dropout = use_batchnorm, dropout > 0
        self.reg, self.num_layers, self.dtype = reg, 1 + len(hidden_dims), dtype
        self.params = {}
        dims = [input_dim] + hidden_dims + [num_classes]
        for i in range(1, self.num_layers + 1):
            self.params["W%d" % i] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params["b%d" % i] = np.zeros(dims[i])
            if use_batchnorm and i < self.num_layers:
                self.params["gamma%d" % i] = np.ones(dims[i])
                self.params["beta%d" % i] = np.zeros(dims[i])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def forward(self, X, mode):
        """The scores and the layers' caches."""
        self.dropout_param["mode"] = mode
        h, caches = X, []
        for i in range(1, self.num_layers):
            h, affine_cache = _affine_fwd(h, self.params["W%d" % i], self.params["b%d" % i])
            bn_cache = None
            if self.use_batchnorm:
                h, bn_cache = _batchnorm_fwd(h, self.params["gamma%d" % i],
                                             self.params["beta%d" % i], self.bn_params[i - 1])
            pre = h
            h = np.maximum(0, h)
            mask = None
            if self.use_dropout:
                h, mask = _dropout_fwd_2017(h, self.dropout_param)
            caches.append((affine_cache, bn_cache, pre, mask))
        L = self.num_layers
        scores, last = _affine_fwd(h, self.params["W%d" % L], self.params["b%d" % L])
        return scores, (caches, last)

    def loss(self, X, y=None):
        scores, (caches, last) = self.forward(X, "test" if y is None else "train")
        if y is None:
            return scores
        L = self.num_layers
        loss, dout = _softmax(scores, y)
        grads = {}
        dout, grads["W%d" % L], grads["b%d" % L] = _affine_bwd(dout, last)
        for i in range(L - 1, 0, -1):
            affine_cache, bn_cache, pre, mask = caches[i - 1]
            if mask is not None:
                dout = dout * mask
            dout = dout * (pre > 0)
            if bn_cache is not None:
                dout, grads["gamma%d" % i], grads["beta%d" % i] = _batchnorm_bwd(dout, bn_cache)
            dout, grads["W%d" % i], grads["b%d" % i] = _affine_bwd(dout, affine_cache)
        for i in range(1, L + 1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads["W%d" % i] += self.reg * W
        return loss, grads


def two_layer_loss_no_reg_gradient(self, X, y=None, reg=0.0):
    W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    if y is None:
        return scores
    loss, dscores = _softmax(scores, y)
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {"W2": hidden.T.dot(dscores), "b2": dscores.sum(axis=0)}  # bug: no 2·reg·W2
    dhidden = dscores.dot(W2.T) * (hidden > 0)
    grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
    grads["b1"] = dhidden.sum(axis=0)
    return loss, grads


def two_layer_loss_relu_mask_from_scores(self, X, y=None, reg=0.0):
    W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    if y is None:
        return scores
    loss, dscores = _softmax(scores, y)
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {"W2": hidden.T.dot(dscores) + 2 * reg * W2, "b2": dscores.sum(axis=0)}
    dhidden = dscores.dot(W2.T)  # bug: the ReLU's mask is missing
    grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
    grads["b1"] = dhidden.sum(axis=0)
    return loss, grads


def fc_loss_no_reg(self, X, y=None):
    """The right loss method, minus the L2 term in the loss."""
    out = FullyConnectedNet.loss(self, X, y)
    if y is None:
        return out
    loss, grads = out
    for i in range(1, self.num_layers + 1):
        loss -= 0.5 * self.reg * np.sum(self.params["W%d" % i] ** 2)  # bug: L2 term taken out
    return loss, grads


def fc_loss_dropout_in_test_mode(self, X, y=None):
    if y is None:
        return self.forward(X, "train")[0]  # bug: test mode with dropout on
    return FullyConnectedNet.loss(self, X, y)


CORRECT = {"TwoLayerNet": TwoLayerNet, "TwoLayerNet.loss": TwoLayerNet.loss,
           "FullyConnectedNet": FullyConnectedNet,
           "FullyConnectedNet.loss": FullyConnectedNet.loss}
MISTAKES = [
    ("TwoLayerNet.loss", two_layer_loss_no_reg_gradient, "reg_gradient"),
    ("TwoLayerNet.loss", two_layer_loss_relu_mask_from_scores, "mismatch"),
    ("FullyConnectedNet.loss", fc_loss_no_reg, "reg_term"),
    ("FullyConnectedNet.loss", fc_loss_dropout_in_test_mode, "dropout_test"),
]
