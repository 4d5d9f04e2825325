"""Learner-style functions that read a notebook's variable where their argument belongs, as a
notebook leaves them: this module's top level stands for the notebook's earlier cells (a test
case unpacked into W1, b1, ...; A, W, b of linear_forward's test). Each bug is marked
``# bug``; the correct versions (week 3's from learners_shallow, linear_forward here) read
the same names from their arguments. Test fixtures only."""
import numpy as np

from .learners_shallow import backward_propagation, forward_propagation

rng = np.random.default_rng(1)
# the notebook's cells: a test case's parameters, unpacked to print them
parameters = {"W1": rng.standard_normal((4, 2)), "b1": rng.standard_normal((4, 1)),
              "W2": rng.standard_normal((1, 4)), "b2": rng.standard_normal((1, 1))}
W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
# linear_forward's test case
A, W, b = rng.standard_normal((3, 2)), rng.standard_normal((1, 3)), rng.standard_normal((1, 1))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward_propagation_global_W1(X, parameters):
    b1 = parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1  # bug: the notebook's W1, not parameters["W1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def forward_propagation_global_parameters(X, params):
    W1, b1 = parameters["W1"], parameters["b1"]  # bug: the notebook's parameters, not params
    W2, b2 = parameters["W2"], parameters["b2"]
    A1 = np.tanh(np.dot(W1, X) + b1)
    A2 = sigmoid(np.dot(W2, A1) + b2)
    return A2, {"Z1": np.dot(W1, X) + b1, "A1": A1, "Z2": np.dot(W2, A1) + b2, "A2": A2}


def forward_propagation_no_bias(X, parameters):
    """Reads the notebook's W1 too, harmlessly: its output follows parameters["W1"]."""
    assert W1.ndim == 2, "the notebook's W1 is a matrix"
    W1_, W2_ = parameters["W1"], parameters["W2"]
    Z1 = np.dot(W1_, X)  # bug: + b1 is missing
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2_, A1)  # bug: and + b2
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward_propagation_global_W2(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))  # bug: the notebook's W2
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def linear_forward(A_prev, W, b):
    Z = np.dot(W, A_prev) + b
    return Z, (A_prev, W, b)


def linear_forward_global_A(A_prev, W, b):
    Z = np.dot(W, A) + b  # bug: the notebook's A, not the argument A_prev
    return Z, (A_prev, W, b)


CORRECT = {"forward_propagation": forward_propagation,
           "backward_propagation": backward_propagation, "linear_forward": linear_forward}
MISTAKES = [
    ("forward_propagation", forward_propagation_global_W1, "notebook_global"),
    ("forward_propagation", forward_propagation_global_parameters, "notebook_global"),
    ("backward_propagation", backward_propagation_global_W2, "notebook_global"),
    ("linear_forward", linear_forward_global_A, "notebook_global"),
]
#: the learner's function -> (the global it reads, what it should read instead)
READS = {forward_propagation_global_W1: ("W1", 'parameters["W1"]'),
         forward_propagation_global_parameters: ("parameters", "its argument params"),
         backward_propagation_global_W2: ("W2", 'parameters["W2"]'),
         linear_forward_global_A: ("A", "its argument A_prev")}
