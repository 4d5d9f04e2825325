"""Learner-style course 2 week 2 exercises (optimization methods) for the tests: correct ones
in the styles of the notebook's versions (in-place updates and copies, the older Adam that
returns (parameters, v, s) and the newer one that returns the corrected moments too, a
mini-batch loop with math.floor or with a slice to the end), and one buggy function per
named mistake, each bug marked ``# bug``. Test fixtures only."""
import copy
import math

import numpy as np


def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    for k in range(0, num_complete_minibatches):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete_minibatches * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete_minibatches * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(L):
        v["dW" + str(l + 1)] = np.zeros(parameters["W" + str(l + 1)].shape)
        v["db" + str(l + 1)] = np.zeros(parameters["b" + str(l + 1)].shape)
    return v


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        v["dW" + str(l + 1)] = beta * v["dW" + str(l + 1)] + (1 - beta) * grads["dW" + str(l + 1)]
        v["db" + str(l + 1)] = beta * v["db" + str(l + 1)] + (1 - beta) * grads["db" + str(l + 1)]
        parameters["W" + str(l + 1)] -= learning_rate * v["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] -= learning_rate * v["db" + str(l + 1)]
    return parameters, v


def initialize_adam(parameters):
    L = len(parameters) // 2
    v, s = {}, {}
    for l in range(L):
        for p in ("W", "b"):
            v["d" + p + str(l + 1)] = np.zeros_like(parameters[p + str(l + 1)])
            s["d" + p + str(l + 1)] = np.zeros_like(parameters[p + str(l + 1)])
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    """The newer notebook's version: returns the corrected moments too."""
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - np.power(beta1, t))
            s[key] = beta2 * s[key] + (1 - beta2) * np.square(grads[key])
            s_corrected[key] = s[key] / (1 - np.power(beta2, t))
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v_corrected[key] / (
                np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected


def update_lr(learning_rate0, epoch_num, decay_rate):
    learning_rate = 1 / (1 + decay_rate * epoch_num) * learning_rate0
    return learning_rate


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    learning_rate = learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval))
    return learning_rate


CORRECT = {name: globals()[name] for name in (
    "update_parameters_with_gd", "random_mini_batches", "initialize_velocity",
    "update_parameters_with_momentum", "initialize_adam", "update_parameters_with_adam",
    "update_lr", "schedule_lr_decay")}


# ---- correct in other styles and versions ----------------------------------------------------


def update_parameters_with_gd_copy(parameters, grads, learning_rate):
    parameters = copy.deepcopy(parameters)
    for key in parameters:
        parameters[key] -= learning_rate * grads["d" + key]
    return parameters


def random_mini_batches_older(X, Y, mini_batch_size=64, seed=0):
    """The older notebook's loop, with the last batch sliced to m, and batches as lists."""
    np.random.seed(seed)
    m = X.shape[1]
    permutation = np.random.permutation(m)
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation]
    batches = []
    for start in range(0, m, mini_batch_size):
        end = min(start + mini_batch_size, m)
        batches.append([shuffled_X[:, start:end], shuffled_Y[:, start:end]])
    return batches


def update_parameters_with_adam_older(parameters, grads, v, s, t, learning_rate=0.01,
                                      beta1=0.9, beta2=0.999, epsilon=1e-8):
    """The older notebook's version: returns (parameters, v, s)."""
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(L):
        for p in ("dW", "db"):
            k = p + str(l + 1)
            v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
            s[k] = beta2 * s[k] + (1 - beta2) * (grads[k] ** 2)
            v_corrected[k] = v[k] / (1 - beta1 ** t)
            s_corrected[k] = s[k] / (1 - beta2 ** t)
            parameters[k[1:]] -= learning_rate * v_corrected[k] / (
                np.sqrt(s_corrected[k]) + epsilon)
    return parameters, v, s


def schedule_lr_decay_int(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))


OTHER_CORRECT = [("update_parameters_with_gd", update_parameters_with_gd_copy),
                 ("random_mini_batches", random_mini_batches_older),
                 ("update_parameters_with_adam", update_parameters_with_adam_older),
                 ("schedule_lr_decay", schedule_lr_decay_int)]


# ---- mistakes --------------------------------------------------------------------------------


def update_parameters_with_gd_ascent(parameters, grads, learning_rate):
    for key in list(parameters):
        parameters[key] = parameters[key] + learning_rate * grads["d" + key]  # bug
    return parameters


def random_mini_batches_lost_last(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    mini_batches = []
    for k in range(m // mini_batch_size):  # bug: the remainder is never a batch
        mini_batches.append((shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                             shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
    return mini_batches


def random_mini_batches_repeats(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    mini_batches = []
    for k in range(num_complete_minibatches):
        mini_batches.append((shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                             shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, m - mini_batch_size:]  # bug: a whole batch from the end
        mini_batch_Y = shuffled_Y[:, m - mini_batch_size:]  # bug
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches


def random_mini_batches_labels(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    shuffled_X = X[:, np.random.permutation(m)]
    shuffled_Y = Y[:, np.random.permutation(m)]  # bug: a second, different permutation
    return [(shuffled_X[:, k:k + mini_batch_size], shuffled_Y[:, k:k + mini_batch_size])
            for k in range(0, m, mini_batch_size)]


def random_mini_batches_unshuffled(X, Y, mini_batch_size=64, seed=0):
    m = X.shape[1]
    return [(X[:, k:k + mini_batch_size], Y[:, k:k + mini_batch_size])  # bug: no permutation
            for k in range(0, m, mini_batch_size)]


def initialize_velocity_keys(parameters):
    return {key: np.zeros_like(value) for key, value in parameters.items()}  # bug: W1, not dW1


def update_parameters_with_momentum_no_one_minus(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        v["d" + key] = beta * v["d" + key] + grads["d" + key]  # bug
        parameters[key] = parameters[key] - learning_rate * v["d" + key]
    return parameters, v


def update_parameters_with_momentum_grad_step(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * grads["d" + key]  # bug
    return parameters, v


def initialize_adam_keys(parameters):
    v = {k: np.zeros(p.shape) for k, p in parameters.items()}  # bug: keyed W1, not dW1
    s = {k: np.zeros(p.shape) for k, p in parameters.items()}  # bug
    return v, s


def update_parameters_with_adam_no_one_minus(parameters, grads, v, s, t, learning_rate=0.01,
                                             beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta1 * v[key] + grads[key]  # bug
            s[key] = beta2 * s[key] + grads[key] ** 2  # bug
            v_corrected[key] = v[key] / (1 - beta1 ** t)
            s_corrected[key] = s[key] / (1 - beta2 ** t)
            parameters[p + str(l)] -= learning_rate * v_corrected[key] / (
                np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected


def update_parameters_with_adam_no_power(parameters, grads, v, s, t, learning_rate=0.01,
                                         beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
            v_corrected[key] = v[key] / (1 - beta1)  # bug: no power t
            s_corrected[key] = s[key] / (1 - beta2)  # bug
            parameters[p + str(l)] -= learning_rate * v_corrected[key] / (
                np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected


def update_parameters_with_adam_eps_inside(parameters, grads, v, s, t, learning_rate=0.01,
                                           beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
            v_corrected[key] = v[key] / (1 - beta1 ** t)
            s_corrected[key] = s[key] / (1 - beta2 ** t)
            parameters[p + str(l)] -= learning_rate * v_corrected[key] / np.sqrt(
                s_corrected[key] + epsilon)  # bug: epsilon inside the square root
    return parameters, v, s, v_corrected, s_corrected


def update_parameters_with_adam_swapped(parameters, grads, v, s, t, learning_rate=0.01,
                                        beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta2 * v[key] + (1 - beta2) * grads[key]  # bug: beta2 for v
            s[key] = beta1 * s[key] + (1 - beta1) * grads[key] ** 2  # bug: beta1 for s
            v_hat = v[key] / (1 - beta2 ** t)  # bug
            s_hat = s[key] / (1 - beta1 ** t)  # bug
            parameters[p + str(l)] -= learning_rate * v_hat / (np.sqrt(s_hat) + epsilon)
    return parameters, v, s


def update_parameters_with_adam_t_from_zero(parameters, grads, v, s, t, learning_rate=0.01,
                                            beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    t = t - 1  # bug: t counted from 0
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
            v_hat = v[key] / (1 - beta1 ** t)
            s_hat = s[key] / (1 - beta2 ** t)
            parameters[p + str(l)] -= learning_rate * v_hat / (np.sqrt(s_hat) + epsilon)
    return parameters, v, s


def update_parameters_with_adam_stored(parameters, grads, v, s, t, learning_rate=0.01,
                                       beta1=0.9, beta2=0.999, epsilon=1e-8):
    for key in parameters:
        g = grads["d" + key]
        v["d" + key] = (beta1 * v["d" + key] + (1 - beta1) * g) / (1 - beta1 ** t)  # bug
        s["d" + key] = (beta2 * s["d" + key] + (1 - beta2) * g * g) / (1 - beta2 ** t)  # bug
        parameters[key] = parameters[key] - learning_rate * v["d" + key] / (
            np.sqrt(s["d" + key]) + epsilon)
    return parameters, v, s


def update_lr_precedence(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / 1 + decay_rate * epoch_num  # bug


def schedule_lr_decay_continuous(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * epoch_num / time_interval)  # bug: no floor


MISTAKES = [
    ("update_parameters_with_gd", update_parameters_with_gd_ascent, "sign"),
    ("random_mini_batches", random_mini_batches_lost_last, "minibatch_partial"),
    ("random_mini_batches", random_mini_batches_repeats, "minibatch_partition"),
    ("random_mini_batches", random_mini_batches_labels, "minibatch_labels"),
    ("random_mini_batches", random_mini_batches_unshuffled, "minibatch_shuffle"),
    ("initialize_velocity", initialize_velocity_keys, "keys"),
    ("update_parameters_with_momentum", update_parameters_with_momentum_no_one_minus,
     "ema_weight"),
    ("update_parameters_with_momentum", update_parameters_with_momentum_grad_step,
     "momentum_update"),
    ("initialize_adam", initialize_adam_keys, "keys"),
    ("update_parameters_with_adam", update_parameters_with_adam_no_one_minus, "ema_weight"),
    ("update_parameters_with_adam", update_parameters_with_adam_no_power, "bias_correction"),
    ("update_parameters_with_adam", update_parameters_with_adam_stored, "bias_correction"),
    ("update_parameters_with_adam", update_parameters_with_adam_eps_inside, "eps_sqrt"),
    ("update_parameters_with_adam", update_parameters_with_adam_swapped, "adam_swap"),
    ("update_parameters_with_adam", update_parameters_with_adam_t_from_zero, "adam_t"),
    ("update_lr", update_lr_precedence, "lr_decay"),
    ("schedule_lr_decay", schedule_lr_decay_continuous, "lr_decay"),
]
