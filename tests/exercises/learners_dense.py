"""Learner-style implementations of the dense exercises, for the tests: correct ones (the
reference layers wrapped in the exercise's signature, and variants written differently from
the notebooks) and buggy ones, each bug marked ``# bug``. Test fixtures only: verigrad
itself ships no code in the exercises' names."""
import numpy as np

from verigrad.layers import Dense, ReLU, Sigmoid


def _dense_layer(W, b):
    layer = Dense(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.params["b"][...] = b.reshape(-1, 1)
    return layer


# ---- the references wrapped in the course's signatures ------------------------------------

def ref_linear_forward(A, W, b):
    return _dense_layer(W, b).forward(A), (A, W, b)


def ref_linear_backward(dZ, cache):
    A, W, b = cache
    layer = _dense_layer(W, b)
    layer.forward(A)
    dA_prev = layer.backward(dZ)
    m = A.shape[1]
    return dA_prev, layer.grads["W"] / m, layer.grads["b"] / m


_ACT = {"relu": ReLU, "sigmoid": Sigmoid}


def ref_linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = ref_linear_forward(A_prev, W, b)
    return _ACT[activation]().forward(Z), (linear_cache, Z)


def ref_linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    layer = _ACT[activation]()
    layer.forward(Z)
    return ref_linear_backward(layer.backward(dA), linear_cache)


def ref_affine_forward(x, w, b):
    return _dense_layer(w.T, b).forward(x.reshape(x.shape[0], -1).T).T, (x, w, b)


def ref_affine_backward(dout, cache):
    x, w, b = cache
    layer = _dense_layer(w.T, b)
    layer.forward(x.reshape(x.shape[0], -1).T)
    dx = layer.backward(dout.T).T.reshape(x.shape)
    return dx, layer.grads["W"].T, layer.grads["b"].reshape(-1)


def ref_relu_forward(x):
    return ReLU().forward(x), x


def ref_relu_backward(dout, cache):
    layer = ReLU()
    layer.forward(cache)
    return layer.backward(dout)


# ---- correct, written differently ------------------------------------------------------------

def linear_forward(A, W, b):
    Z = np.einsum("ij,jk->ik", W, A) + b
    return Z, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = (1.0 / m) * np.dot(dZ, A_prev.T)
    db = (1.0 / m) * dZ.sum(axis=1).reshape(-1, 1)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A = 1 / (1 + np.exp(-Z)) if activation == "sigmoid" else Z * (Z > 0)
    return A, (linear_cache, Z)


def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = np.where(Z > 0, dA, 0.0)
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    return linear_backward(dZ, linear_cache)


def L_model_forward(X, parameters):
    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)],
                                          parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(1 / m) * (np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T))
    return np.squeeze(cost)


def affine_forward(x, w, b):
    out = np.dot(x.reshape(len(x), -1), w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, dx / N


def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    positive = (margins > 0).astype(float)
    positive[np.arange(N), y] = -positive.sum(axis=1)
    return loss, positive / N


CORRECT = {name: globals()[name] for name in (
    "linear_forward", "linear_backward", "linear_activation_forward",
    "linear_activation_backward", "L_model_forward", "L_model_backward", "compute_cost",
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
    "svm_loss")}
REFERENCE = {name[4:]: value for name, value in globals().items() if name.startswith("ref_")}


# ---- learner mistakes: (name, function, the finding kind expected) -------------------------

def linear_backward_no_m(dZ, cache):
    A_prev, W, b = cache
    dW = np.dot(dZ, A_prev.T)  # bug: no 1/m
    db = np.sum(dZ, axis=1, keepdims=True) / A_prev.shape[1]
    return np.dot(W.T, dZ), dW, db


def linear_backward_db_axis0(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    db = np.sum(dZ, axis=0, keepdims=True) / m  # bug: sums over the units
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, db


def linear_backward_dA_with_m(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dA_prev = np.dot(W.T, dZ) / m  # bug: dA_prev carries no 1/m in the course's convention
    return dA_prev, np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_activation_forward_swapped(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A = np.maximum(0, Z)  # bug: the branches are swapped
    else:
        A = 1 / (1 + np.exp(-Z))
    return A, (linear_cache, Z)


def linear_activation_backward_mask_from_dA(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = np.maximum(0, dA)  # bug: masks by the sign of dA, not of Z
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    return linear_backward(dZ, linear_cache)


def L_model_forward_relu_out(X, parameters):
    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L + 1):  # bug: the output layer goes through the ReLU loop too
        A, cache = linear_activation_forward(A, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    return A, caches


def L_model_backward_sign(AL, Y, caches):
    grads = L_model_backward(AL, Y, caches)
    L = len(caches)
    dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)  # bug: the sign of dAL
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = \
            linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
    return grads


def compute_cost_summed(AL, Y):
    return np.squeeze(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))  # bug: no 1/m


def compute_cost_no_minus(AL, Y):
    m = Y.shape[1]
    return np.squeeze(np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)  # bug: sign


def affine_backward_db_axis1(dout, cache):
    x, w, b = cache
    db = np.sum(dout, axis=1)  # bug: sums over the outputs of each example
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, db


def affine_backward_dx_flat(dout, cache):
    x, w, b = cache
    dx = dout @ w.T  # bug: not reshaped back to x's shape
    return dx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def relu_backward_in_place(dout, cache):
    dx = dout  # bug: dx is dout itself, and the next line changes it
    dx[cache <= 0] = 0
    return dx


def relu_backward_mask_from_dout(dout, cache):
    return np.maximum(0, dout)  # bug: the mask comes from dout, not from x


def softmax_loss_summed(x, y):
    loss, dx = softmax_loss(x, y)
    return loss * x.shape[0], dx * x.shape[0]  # bug: sums over the examples


def softmax_loss_unshifted(x, y):
    probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)  # bug: overflows
    N = x.shape[0]
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return -np.mean(np.log(probs[np.arange(N), y])), dx / N


def svm_loss_dx_without_count(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] = -1  # bug: the correct class gets -1, not -(number of violations)
    return np.sum(margins) / N, dx / N


MISTAKES = [
    ("linear_backward", linear_backward_no_m, "scale"),
    ("linear_backward", linear_backward_db_axis0, "sum_axis"),  # first seen at m = 1
    ("linear_backward", linear_backward_dA_with_m, "scale"),
    ("linear_activation_forward", linear_activation_forward_swapped, "activation"),
    ("linear_activation_backward", linear_activation_backward_mask_from_dA, "mask"),
    ("L_model_forward", L_model_forward_relu_out, "activation"),
    ("L_model_backward", L_model_backward_sign, "sign"),
    ("compute_cost", compute_cost_summed, "scale"),
    ("compute_cost", compute_cost_no_minus, "sign"),
    ("affine_backward", affine_backward_db_axis1, "sum_axis"),  # first seen at N = 1
    ("affine_backward", affine_backward_dx_flat, "shape"),
    ("relu_backward", relu_backward_in_place, "mutation"),
    ("relu_backward", relu_backward_mask_from_dout, "mask"),
    ("softmax_loss", softmax_loss_summed, "scale"),
    ("softmax_loss", softmax_loss_unshifted, "forward"),
    ("svm_loss", svm_loss_dx_without_count, "mismatch"),
]
