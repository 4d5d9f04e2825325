"""Learner-style course 1 week 2 exercises (logistic regression with a neural network
mindset) for the tests: correct ones in the newer and older notebook versions and other
styles, and one buggy function per named mistake, each bug marked ``# bug``. Test fixtures
only."""
import copy

import numpy as np


def sigmoid(z):
    s = 1 / (1 + np.exp(-z))
    return s


def initialize_with_zeros(dim):
    w = np.zeros((dim, 1))
    b = 0.0
    return w, b


def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = 1 / m * np.dot(X, (A - Y).T)
    db = 1 / m * np.sum(A - Y)
    cost = np.squeeze(np.array(cost))
    grads = {"dw": dw, "db": db}
    return grads, cost


def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    w = copy.deepcopy(w)
    b = copy.deepcopy(b)
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        dw = grads["dw"]
        db = grads["db"]
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:f}")
    params = {"w": w, "b": b}
    grads = {"dw": dw, "db": db}
    return params, grads, costs


def predict(w, b, X):
    m = X.shape[1]
    Y_prediction = np.zeros((1, m))
    w = w.reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    for i in range(A.shape[1]):
        if A[0, i] > 0.5:
            Y_prediction[0, i] = 1
        else:
            Y_prediction[0, i] = 0
    return Y_prediction


CORRECT = {name: globals()[name] for name in (
    "sigmoid", "initialize_with_zeros", "propagate", "optimize", "predict")}


# ---- correct in other versions and styles ----------------------------------------------------


def sigmoid_with_cache(Z):
    """Week 4's helper (dnn_utils): returns (A, cache)."""
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def initialize_with_zeros_older(dim):
    w = np.zeros(shape=(dim, 1))
    b = 0
    assert w.shape == (dim, 1)
    assert isinstance(b, float) or isinstance(b, int)
    return w, b


def propagate_older(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = (- 1 / m) * np.sum(Y * np.log(A) + (1 - Y) * (np.log(1 - A)))
    dw = (1 / m) * np.dot(X, (A - Y).T)
    db = (1 / m) * np.sum(A - Y)
    assert dw.shape == w.shape
    assert db.dtype == float
    cost = np.squeeze(cost)
    return {"dw": dw, "db": db}, cost


def optimize_older(w, b, X, Y, num_iterations, learning_rate, print_cost=False):
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        dw, db = grads["dw"], grads["db"]
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, {"dw": dw, "db": db}, costs


def predict_vectorized(w, b, X):
    A = sigmoid(w.T @ X + b)
    return (A > 0.5).astype(float)


OTHER_CORRECT = [("sigmoid", sigmoid_with_cache),
                 ("initialize_with_zeros", initialize_with_zeros_older),
                 ("propagate", propagate_older),
                 ("optimize", optimize_older),
                 ("predict", predict_vectorized)]


# ---- mistakes --------------------------------------------------------------------------------


def sigmoid_sign(z):
    return 1 / (1 + np.exp(z))  # bug: e^z


def initialize_with_zeros_array_b(dim):
    w = np.zeros((dim, 1))
    b = np.zeros((1, 1))  # bug: b is a number
    return w, b


def propagate_summed_cost(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # bug: no 1/m
    dw = np.dot(X, (A - Y).T) / m
    db = np.sum(A - Y) / m
    return {"dw": dw, "db": db}, cost


def propagate_dw_no_m(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dw = np.dot(X, (A - Y).T)  # bug: no 1/m
    db = np.sum(A - Y) / m
    return {"dw": dw, "db": db}, cost


def optimize_ascent(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    for _i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w + learning_rate * grads["dw"]  # bug
        b = b + learning_rate * grads["db"]  # bug
    return {"w": w, "b": b}, grads, [cost]


def optimize_stale_gradients(w, b, X, Y, num_iterations=100, learning_rate=0.009,
                             print_cost=False):
    grads, cost = propagate(w, b, X, Y)  # bug: computed once, before the loop
    for _i in range(num_iterations):
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
    return {"w": w, "b": b}, grads, [cost]



def predict_probabilities(w, b, X):
    A = sigmoid(np.dot(w.T, X) + b)
    return A  # bug: the probabilities


MISTAKES = [
    ("sigmoid", sigmoid_sign, "sign"),
    ("initialize_with_zeros", initialize_with_zeros_array_b, "shape"),
    ("propagate", propagate_summed_cost, "scale"),
    ("propagate", propagate_dw_no_m, "scale"),
    ("optimize", optimize_ascent, "sign"),
    ("optimize", optimize_stale_gradients, "forward"),
    ("predict", predict_probabilities, "predict_threshold"),
]
