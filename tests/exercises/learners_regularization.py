"""Learner-style course 2 week 1 exercises for the tests (L2 regularization, dropout, the
gradient checker): correct ones and buggy ones, each bug marked ``# bug``. Test fixtures
only."""
import numpy as np


def relu(x):
    return np.maximum(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def compute_cost(a3, Y):
    m = Y.shape[1]
    return -np.sum(Y * np.log(a3) + (1 - Y) * np.log(1 - a3)) / m


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1, W2, W3 = parameters["W1"], parameters["W2"], parameters["W3"]
    L2 = lambd / (2 * m) * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3)))
    return compute_cost(A3, Y) + L2


def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = np.dot(W3.T, dZ3) * (A2 > 0)
    dW2 = 1. / m * np.dot(dZ2, A1.T) + lambd / m * W2
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (A1 > 0)
    dW1 = 1. / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    D1 = (np.random.rand(*A1.shape) < keep_prob).astype(int)
    A1 = A1 * D1 / keep_prob
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    D2 = (np.random.rand(*A2.shape) < keep_prob).astype(int)
    A2 = A2 * D2 / keep_prob
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3, db3 = np.dot(dZ3, A2.T) / m, np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = np.dot(W3.T, dZ3) * D2 / keep_prob
    dZ2 = dA2 * (A2 > 0)
    dW2, db2 = np.dot(dZ2, A1.T) / m, np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = np.dot(W2.T, dZ2) * D1 / keep_prob
    dZ1 = dA1 * (A1 > 0)
    dW1, db1 = np.dot(dZ1, X.T) / m, np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    parameters_values, _ = dictionary_to_vector(parameters)  # noqa: F821 (gc_utils)
    grad = gradients_to_vector(gradients)  # noqa: F821
    n = parameters_values.shape[0]
    gradapprox = np.zeros((n, 1))
    for i in range(n):
        thetaplus = np.copy(parameters_values)
        thetaplus[i] += epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaplus))  # noqa: F821
        thetaminus = np.copy(parameters_values)
        thetaminus[i] -= epsilon
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaminus))  # noqa: F821
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
    return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    # written differently from the notebook: relative to the analytic gradient alone
    slope = (forward_propagation(x, theta + epsilon)  # noqa: F821 (the notebook's)
             - forward_propagation(x, theta - epsilon)) / (2 * epsilon)  # noqa: F821
    grad = backward_propagation(x, theta)  # noqa: F821
    difference = abs(grad - slope) / abs(grad)
    if print_msg:
        print("mistake" if difference > 2e-7 else "fine")
    return difference


HELPERS = [relu, sigmoid, compute_cost]
CORRECT = {name: globals()[name] for name in (
    "compute_cost_with_regularization", "backward_propagation_with_regularization",
    "forward_propagation_with_dropout", "backward_propagation_with_dropout", "gradient_check_n",
    "gradient_check")}


# ---- mistakes -------------------------------------------------------------------------------

def compute_cost_with_regularization_no_half(A3, Y, parameters, lambd):
    m = Y.shape[1]
    L2 = lambd / m * sum(np.sum(np.square(parameters[k])) for k in ("W1", "W2", "W3"))  # bug
    return compute_cost(A3, Y) + L2


def backward_propagation_with_regularization_no_m(X, Y, cache, lambd):
    grads = backward_propagation_with_regularization(X, Y, cache, 0)
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    for k, W in (("dW1", W1), ("dW2", W2), ("dW3", W3)):
        grads[k] = grads[k] + lambd * W  # bug: the L2 term's gradient is lambd / m * W
    return grads


def forward_propagation_with_dropout_unscaled(X, parameters, keep_prob=0.5):
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    D1 = (np.random.rand(*Z1.shape) < keep_prob).astype(int)
    A1 = relu(Z1) * D1  # bug: not divided by keep_prob
    Z2 = np.dot(W2, A1) + b2
    D2 = (np.random.rand(*Z2.shape) < keep_prob).astype(int)
    A2 = relu(Z2) * D2  # bug: the same
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout_unscaled(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3, db3 = np.dot(dZ3, A2.T) / m, np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = np.dot(W3.T, dZ3) * D2  # bug: the forward divided by keep_prob, so must this
    dZ2 = dA2 * (A2 > 0)
    dW2, db2 = np.dot(dZ2, A1.T) / m, np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = np.dot(W2.T, dZ2) * D1  # bug: the same
    dZ1 = dA1 * (A1 > 0)
    dW1, db1 = np.dot(dZ1, X.T) / m, np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def forward_propagation_with_dropout_unmasked(X, parameters, keep_prob=0.5):
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    D1 = (np.random.rand(*Z1.shape) < keep_prob).astype(int)
    A1 = relu(Z1) / keep_prob  # bug: the mask D1 is drawn but never applied
    Z2 = np.dot(W2, A1) + b2
    D2 = (np.random.rand(*Z2.shape) < keep_prob).astype(int)
    A2 = relu(Z2) / keep_prob  # bug: the same
    Z3 = np.dot(W3, A2) + b3
    return sigmoid(Z3), (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, sigmoid(Z3), W3, b3)


def backward_propagation_with_dropout_unmasked(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3, db3 = np.dot(dZ3, A2.T) / m, np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = np.dot(W3.T, dZ3) / keep_prob  # bug: not multiplied by D2
    dZ2 = dA2 * (Z2 > 0)
    dW2, db2 = np.dot(dZ2, A1.T) / m, np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = np.dot(W2.T, dZ2) / keep_prob  # bug: not multiplied by D1
    dZ1 = dA1 * (Z1 > 0)
    dW1, db1 = np.dot(dZ1, X.T) / m, np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def gradient_check_n_no_copy(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    parameters_values, _ = dictionary_to_vector(parameters)  # noqa: F821
    grad = gradients_to_vector(gradients)  # noqa: F821
    n = parameters_values.shape[0]
    gradapprox = np.zeros((n, 1))
    for i in range(n):
        thetaplus = parameters_values  # bug: the same array, not a copy
        thetaplus[i] += epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaplus))  # noqa: F821
        thetaminus = parameters_values
        thetaminus[i] -= epsilon
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaminus))  # noqa: F821
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
    return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


def gradient_check_n_precedence(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    parameters_values, _ = dictionary_to_vector(parameters)  # noqa: F821
    grad = gradients_to_vector(gradients)  # noqa: F821
    n = parameters_values.shape[0]
    gradapprox = np.zeros((n, 1))
    for i in range(n):
        thetaplus, thetaminus = np.copy(parameters_values), np.copy(parameters_values)
        thetaplus[i] += epsilon
        thetaminus[i] -= epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaplus))  # noqa: F821
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaminus))  # noqa: F821
        gradapprox[i] = (J_plus - J_minus) / 2 * epsilon  # bug: multiplies by epsilon
    return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


def gradient_check_halved(x, theta, epsilon=1e-7, print_msg=False):
    J_plus = forward_propagation(x, theta + epsilon)  # noqa: F821
    J_minus = forward_propagation(x, theta - epsilon)  # noqa: F821
    gradapprox = (J_plus - J_minus) / epsilon  # bug: the two-sided difference divides by 2ε
    grad = backward_propagation(x, theta)  # noqa: F821
    return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


def gradient_check_forward_twice(x, theta, epsilon=1e-7, print_msg=False):
    J_plus = forward_propagation(x, theta + epsilon)  # noqa: F821
    J_minus = forward_propagation(x, theta - epsilon)  # noqa: F821
    gradapprox = (J_plus - J_minus) / (2 * epsilon)
    # bug: the slope of J itself, not backward_propagation's gradient
    grad = forward_propagation(x, theta) / theta  # noqa: F821
    return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


MISTAKES = [
    ("compute_cost_with_regularization", compute_cost_with_regularization_no_half, "l2_term"),
    ("backward_propagation_with_regularization", backward_propagation_with_regularization_no_m,
     "l2_term"),
    ("forward_propagation_with_dropout", forward_propagation_with_dropout_unscaled,
     "dropout_scale"),
    ("backward_propagation_with_dropout", backward_propagation_with_dropout_unscaled, "scale"),
    ("forward_propagation_with_dropout", forward_propagation_with_dropout_unmasked,
     "dropout_mask"),
    ("backward_propagation_with_dropout", backward_propagation_with_dropout_unmasked,
     "dropout_mask"),
    ("gradient_check_n", gradient_check_n_no_copy, "gradcheck_copy"),
    ("gradient_check_n", gradient_check_n_precedence, "gradcheck_formula"),
    ("gradient_check", gradient_check_halved, "gradcheck_formula"),
    ("gradient_check", gradient_check_forward_twice, "gradcheck"),
]
