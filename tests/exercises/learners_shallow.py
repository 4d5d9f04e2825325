"""Learner-style course 1 week 3 exercises (planar data classification with one hidden
layer) for the tests: correct ones in the notebook's newer and older versions and other
styles, and one buggy function per named mistake, each bug marked ``# bug``. Test fixtures
only."""
import copy

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def layer_sizes(X, Y):
    n_x = X.shape[0]
    n_h = 4
    n_y = Y.shape[0]
    return (n_x, n_h, n_y)


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters):
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    assert A2.shape == (1, X.shape[1])
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = -np.sum(logprobs) / m
    cost = float(np.squeeze(cost))
    return cost


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    """Week 3's version: the two layers by name."""
    W1 = copy.deepcopy(parameters["W1"])
    b1 = parameters["b1"]
    W2 = copy.deepcopy(parameters["W2"])
    b2 = parameters["b2"]
    W1 = W1 - learning_rate * grads["dW1"]
    b1 = b1 - learning_rate * grads["db1"]
    W2 = W2 - learning_rate * grads["dW2"]
    b2 = b2 - learning_rate * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    predictions = A2 > 0.5
    return predictions


HELPERS = [sigmoid]
CORRECT = {name: globals()[name] for name in (
    "layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
    "backward_propagation", "update_parameters", "predict")}


# ---- correct in other versions and styles ----------------------------------------------------


def compute_cost_older(A2, Y, parameters):
    """The older notebook: the parameters are passed, and not used."""
    m = Y.shape[1]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    cost = - np.sum(logprobs) / m
    cost = np.squeeze(cost)
    assert isinstance(cost, float)
    return cost


def update_parameters_week4(params, grads, learning_rate):
    """Week 4's version: any number of layers, on a copy."""
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(L):
        W, b = "W" + str(l + 1), "b" + str(l + 1)
        parameters[W] = parameters[W] - learning_rate * grads["d" + W]
        parameters[b] = parameters[b] - learning_rate * grads["d" + b]
    return parameters


def update_parameters_week4_older(parameters, grads, learning_rate):
    """Week 4's older version: in place."""
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return parameters


def predict_round(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return np.round(A2)


def initialize_parameters_seed1(n_x, n_h, n_y):
    """Week 4's initialize_parameters: seed 1, and asserts on the shapes."""
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros(shape=(n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros(shape=(n_y, 1))
    assert W1.shape == (n_h, n_x)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


OTHER_CORRECT = [("compute_cost", compute_cost_older),
                 ("update_parameters", update_parameters_week4),
                 ("update_parameters", update_parameters_week4_older),
                 ("predict", predict_round),
                 ("initialize_parameters", initialize_parameters_seed1)]


# ---- mistakes --------------------------------------------------------------------------------


def layer_sizes_examples(X, Y):
    return (X.shape[1], 4, Y.shape[1])  # bug: the number of examples


def initialize_parameters_unscaled(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x)  # bug: no * 0.01
    W2 = np.random.randn(n_y, n_h)  # bug
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def initialize_parameters_zeros_w(n_x, n_h, n_y):
    W1 = np.zeros((n_h, n_x))  # bug: every hidden unit the same
    W2 = np.zeros((n_y, n_h))  # bug
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def initialize_parameters_rand(n_x, n_h, n_y):
    W1 = np.random.rand(n_h, n_x) * 0.01  # bug: uniform on [0, 0.01)
    W2 = np.random.rand(n_y, n_h) * 0.01  # bug
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def initialize_parameters_transposed(n_x, n_h, n_y):
    W1 = np.random.randn(n_x, n_h) * 0.01  # bug: (n_x, n_h)
    W2 = np.random.randn(n_h, n_y) * 0.01  # bug
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def forward_propagation_relu(X, parameters):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.maximum(0, Z1)  # bug: the hidden layer is tanh
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def forward_propagation_no_bias(X, parameters):
    Z1 = parameters["W1"] @ X  # bug: + b1
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1  # bug: + b2
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost_summed(A2, Y):
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return float(-np.sum(logprobs))  # bug: no / m


def backward_propagation_no_m(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T)  # bug: no / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def backward_propagation_db_axis(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m  # bug: over the units, not the examples
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters_ascent(parameters, grads, learning_rate=1.2):
    return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}  # bug


def predict_probabilities(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return A2  # bug: the probabilities, not A2 > 0.5


MISTAKES = [
    ("layer_sizes", layer_sizes_examples, "shape"),
    ("initialize_parameters", initialize_parameters_unscaled, "init_scale"),
    ("initialize_parameters", initialize_parameters_zeros_w, "init_zeros"),
    ("initialize_parameters", initialize_parameters_rand, "init_uniform"),
    ("initialize_parameters", initialize_parameters_transposed, "shape"),
    ("forward_propagation", forward_propagation_relu, "activation"),
    ("forward_propagation", forward_propagation_no_bias, "bias"),
    ("compute_cost", compute_cost_summed, "scale"),
    ("backward_propagation", backward_propagation_no_m, "scale"),
    ("backward_propagation", backward_propagation_db_axis, "shape"),
    ("update_parameters", update_parameters_ascent, "sign"),
    ("predict", predict_probabilities, "predict_threshold"),
]
