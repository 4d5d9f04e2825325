"""A gallery of real learner backprop bugs, each with the check that names it.

Every case is written as a learner writes it, in the course's style (a dict of parameters
W1, b1, ...; ``forward_propagation``, ``compute_cost``, ``backward_propagation``), with the
buggy line marked ``# bug``. The bugs are ones learners make, many of them reported in
course forum threads. ``docs/make_debugging_gallery.py`` turns the gallery into
``docs/debugging.md`` with verigrad's actual output, and the tests check that every buggy
case is flagged on the right parameters with the right kind and every correct variant passes.

    from gallery import CASES, load_batch        # with tests/ on sys.path
    for case in CASES:
        call, report = case.run(load_batch() if case.needs_mnist else None)
"""
from functools import partial

import numpy as np

from verigrad import Dense, Layer, Sequential, SoftmaxCrossEntropy, check_backprop, gradcheck
from verigrad.data import load_mnist


class Case:
    """One learner implementation and what a gradient check must say about it.

    key, title, story (Markdown: what the learner saw and where the bug comes from), hint
    (Markdown: where to look, without the corrected code), shown (the functions whose source
    the gallery prints), make(batch) -> the keyword arguments of ``check_backprop`` (cost,
    grads, params[, order]) or of ``gradcheck`` (model, X, Y); expected: the set of (kind,
    param) findings, empty for a correct variant; needs_mnist: make needs ``load_batch()``.
    """

    def __init__(self, key, title, story, hint, shown, make, expected=(), needs_mnist=False):
        self.key, self.title, self.story, self.hint = key, title, story, hint
        self.shown, self.make = tuple(shown), make
        self.expected = frozenset(expected)
        self.needs_mnist = needs_mnist

    def run(self, batch=None):
        """(call, report): the check as the learner writes it, and verigrad's report."""
        # Learners' code draws from the global np.random: every case starts from one state,
        # so that what it prints does not depend on the cases run before it.
        np.random.seed(0)
        kwargs = self.make(batch)
        if "model" in kwargs:
            return "vg.gradcheck(model, X, Y)", gradcheck(**kwargs)
        order = f", order={kwargs['order']}" if "order" in kwargs else ""
        return f"vg.check_backprop(cost, grads, params{order})", check_backprop(**kwargs)

    def __repr__(self):
        return f"Case({self.key!r})"


def load_batch(path=None, m=64):
    """The first m MNIST training images (784, m) in [0, 1] and one-hot labels (10, m),
    float64, from ``path`` or the usual places (see ``verigrad.data.load_mnist``)."""
    X, y, _, _ = load_mnist(path)
    return X[:, :m].astype(np.float64), np.eye(10)[:, y[:m]]


def _toy(n_x, n_y, m=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_x, m)), np.eye(n_y)[:, rng.integers(0, n_y, m)]


def _initial(layer_dims, seed=1, scale=0.5):
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * scale
        parameters["b" + str(l)] = rng.standard_normal((layer_dims[l], 1)) * 0.1
    return parameters


def _functions(X, Y, parameters, backward, forward=None, cost=None):
    """check_backprop's arguments for a learner's forward, cost and backward."""
    forward = forward or forward_propagation
    cost = cost or compute_cost

    def cost_of(params):
        AL, _ = forward(X, params)
        return cost(AL, Y)

    def grads_of(params):
        _, cache = forward(X, params)
        return backward(params, cache, X, Y)

    return {"cost": cost_of, "grads": grads_of, "params": parameters}


# ---- the learner's helpers (correct) -------------------------------------------------------


def relu(Z):
    return np.maximum(0, Z)


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def softmax(Z):
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)


def forward_propagation(X, parameters, g1=relu, g2=softmax):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = g1(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = g2(Z2)
    return A2, (Z1, A1, Z2, A2)


def compute_cost(A2, Y):
    m = Y.shape[1]
    return -np.sum(Y * np.log(A2)) / m


def linear_backward(dZ, A_prev, W):
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dW, db, dA_prev


# ---- correct: the mask taken from A1 instead of Z1 -----------------------------------------


def backward_propagation(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dW2, db2, dA1 = linear_backward(A2 - Y, A1, parameters["W2"])
    dW1, db1, _ = linear_backward(dA1 * (A1 > 0), X, parameters["W1"])  # A1 > 0 where Z1 > 0
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- every bias gradient summed over every axis (and no 1/m) ---------------------------------


def compute_cost_sigmoid(A2, Y):
    m = Y.shape[1]
    return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m


def backward_propagation_2_3_2(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    a = A2 - Y  # bug: no 1/m, so every gradient is m times too large
    dW2 = a @ A1.T
    c = parameters["W2"].T @ a
    d = c * (Z1 > 0)
    dW1 = d @ X.T
    db2 = np.sum(a)  # bug: sums over the units too, giving one number
    db1 = np.sum(d)  # bug: the same
    return dW1, dW2, db1, db2


# ---- a bias gradient summed over the wrong axis ------------------------------------------


def backward_propagation_axis(parameters, cache, X, Y):
    m = X.shape[1]
    Z1, A1, Z2, A2 = cache
    dW2, db2, dA1 = linear_backward(A2 - Y, A1, parameters["W2"])
    dZ1 = dA1 * (Z1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m  # bug: axis=0 sums over the units
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- a missing 1/m ----------------------------------------------------------------------


def backward_propagation_no_m(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T  # bug: the cost is a mean over m examples, the gradient a sum
    db2 = np.sum(dZ2, axis=1, keepdims=True)  # bug: same
    dZ1 = parameters["W2"].T @ dZ2 * (Z1 > 0)
    dW1 = dZ1 @ X.T  # bug: same
    db1 = np.sum(dZ1, axis=1, keepdims=True)  # bug: same
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- sigmoid(z) * sigmoid(1 - z) -------------------------------------------------------------


def sigmoid_derivative(Z):
    return sigmoid(Z) * sigmoid(1 - Z)  # bug: σ'(z) = σ(z) * (1 - σ(z))


def backward_propagation_sigmoid(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dW2, db2, dA1 = linear_backward(A2 - Y, A1, parameters["W2"])
    dW1, db1, _ = linear_backward(dA1 * sigmoid_derivative(Z1), X, parameters["W1"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def sigmoid_derivative_fixed(Z):
    return sigmoid(Z) * (1 - sigmoid(Z))


def backward_propagation_sigmoid_fixed(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dW2, db2, dA1 = linear_backward(A2 - Y, A1, parameters["W2"])
    dW1, db1, _ = linear_backward(dA1 * sigmoid_derivative_fixed(Z1), X, parameters["W1"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- a ReLU derivative that overwrites its input ---------------------------------------------


def relu_in_place(Z):
    Z[Z < 0] = 0  # bug: changes Z and returns it, so A1 is Z1
    return Z


def relu_deriv(x):
    x[x <= 0] = 0  # bug: overwrites its input...
    x[x > 0] = 1  # ...which is also A1, now a 0/1 mask
    return x


def backward_propagation_in_place(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dZ2 = A2 - Y
    dZ1 = parameters["W2"].T @ dZ2 * relu_deriv(Z1)  # all the dZ first, as in the thread
    dW2, db2, _ = linear_backward(dZ2, A1, parameters["W2"])  # A1 is now the 0/1 mask
    dW1, db1, _ = linear_backward(dZ1, X, parameters["W1"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- the gradient checker that shallow-copies its parameters ---------------------------------


def numerical_gradients(parameters, cost_function, epsilon=1e-7):
    grads = {}
    for key in parameters:
        grads["d" + key] = np.zeros_like(parameters[key])
        for idx in np.ndindex(parameters[key].shape):
            thetaplus = parameters[key][idx] + epsilon
            modified_params = parameters.copy()  # bug: a shallow copy shares the arrays
            modified_params[key][idx] = thetaplus
            J_plus = cost_function(modified_params)
            thetaminus = parameters[key][idx] - epsilon  # bug: reads θ+ε, so this is θ
            modified_params = parameters.copy()
            modified_params[key][idx] = thetaminus
            J_minus = cost_function(modified_params)
            grads["d" + key][idx] = (J_plus - J_minus) / (2 * epsilon)
    return grads


def _shallow_copy_checker(batch):
    X, Y = _toy(4, 3, m=8, seed=3)
    parameters = _initial([4, 5, 3], seed=4)
    for key in ("b1", "b2"):
        parameters[key][...] = 0
    problem = _functions(X, Y, parameters, backward_propagation)
    cost = problem["cost"]
    problem["grads"] = lambda params: numerical_gradients(params, cost)
    return problem


# ---- dropout left on during the check --------------------------------------------------------


def forward_propagation_dropout(X, parameters, keep_prob=0.5):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = relu(Z1)
    D1 = np.random.rand(*A1.shape) < keep_prob  # bug: a new mask in every call
    A1 = A1 * D1 / keep_prob
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = softmax(Z2)
    return A2, (Z1, D1, A1, Z2, A2)


def backward_propagation_dropout(parameters, cache, X, Y, keep_prob=0.5):
    Z1, D1, A1, Z2, A2 = cache
    dW2, db2, dA1 = linear_backward(A2 - Y, A1, parameters["W2"])
    dA1 = dA1 * D1 / keep_prob
    dW1, db1, _ = linear_backward(dA1 * (Z1 > 0), X, parameters["W1"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def _mnist_network(batch, seed=5):
    X, Y = batch
    return X, Y, _initial([784, 10, 10], seed=seed, scale=0.05)


def _dropout(keep_prob):
    def make(batch):
        X, Y, parameters = _mnist_network(batch)
        return _functions(X, Y, parameters,
                          lambda p, cache, X, Y: backward_propagation_dropout(p, cache, X, Y,
                                                                              keep_prob),
                          lambda X, p: forward_propagation_dropout(X, p, keep_prob))
    return make


# ---- np.random.rand weights and unscaled inputs ----------------------------------------------


def initialize_parameters_rand(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.rand(layer_dims[l], layer_dims[l - 1])  # bug
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def softmax_naive(Z):
    return np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True)  # bug: overflows for Z > 709


def _rand_weights(batch):
    X, Y = batch
    state = np.random.get_state()
    np.random.seed(2)
    try:
        parameters = initialize_parameters_rand([784, 10, 10])
    finally:
        np.random.set_state(state)
    pixels = np.round(X * 255)  # bug: raw pixel values, not divided by 255
    return _functions(pixels, Y, parameters, backward_propagation,
                      partial(forward_propagation, g2=softmax_naive))


# ---- the CBOW lecture's ReLU(W2ᵀ(ŷ − y)) -----------------------------------------------------

CBOW_W1 = np.array([[0.41687358, 0.08854191, -0.23495225, 0.28320538, 0.41800106],
                    [0.32735501, 0.22795148, -0.23951958, 0.4117634, -0.23924344],
                    [0.26637602, -0.23846886, -0.37770863, -0.11399446, 0.34008124]])
CBOW_W2 = np.array([[-0.22182064, -0.43008631, 0.13310965],
                    [0.08476603, 0.08123194, 0.1772054],
                    [0.1871551, -0.06107263, -0.1790735],
                    [0.07055222, -0.02015138, 0.36107434],
                    [0.33480474, -0.39423389, -0.43959196]])
CBOW_B1 = np.array([[0.09688219], [0.29239497], [-0.27364426]])
CBOW_B2 = np.array([[0.0352008], [-0.36393384], [-0.12775555], [-0.34802326], [-0.07017815]])
CBOW_X = np.array([[0.25], [0.25], [0.0], [0.5], [0.0]])  # "i am because i" -> "happy"
CBOW_Y = np.array([[0.0], [0.0], [1.0], [0.0], [0.0]])


def cbow_forward(x, parameters):
    z1 = parameters["W1"] @ x + parameters["b1"]
    h = relu(z1)
    z2 = parameters["W2"] @ h + parameters["b2"]
    y_hat = np.exp(z2) / np.sum(np.exp(z2))
    return y_hat, (z1, h, y_hat)


def cross_entropy_loss(y_predicted, y_actual):
    return -np.sum(np.log(y_predicted) * y_actual)


def cbow_backward(parameters, cache, x, y):
    z1, h, y_hat = cache
    grad_b2 = y_hat - y
    grad_W2 = (y_hat - y) @ h.T
    grad_b1 = relu(parameters["W2"].T @ (y_hat - y))  # bug: relu of the gradient
    grad_W1 = relu(parameters["W2"].T @ (y_hat - y)) @ x.T  # bug: same
    return {"grad_W1": grad_W1, "grad_b1": grad_b1, "grad_W2": grad_W2, "grad_b2": grad_b2}


def cbow_backward_fixed(parameters, cache, x, y):
    z1, h, y_hat = cache
    l1 = parameters["W2"].T @ (y_hat - y)
    l1[z1 < 0] = 0  # step(z1): zero where the pre-activation is negative
    return {"grad_W1": l1 @ x.T, "grad_b1": l1, "grad_W2": (y_hat - y) @ h.T,
            "grad_b2": y_hat - y}


def _cbow(backward):
    def make(batch):
        parameters = {"W1": CBOW_W1.copy(), "b1": CBOW_B1.copy(), "W2": CBOW_W2.copy(),
                      "b2": CBOW_B2.copy()}
        problem = _functions(CBOW_X, CBOW_Y, parameters, backward, cbow_forward,
                             cross_entropy_loss)
        grads = problem["grads"]
        problem["grads"] = lambda params: {k.replace("grad_", "d"): v
                                           for k, v in grads(params).items()}
        return problem
    return make


# ---- the sign of the error term ----------------------------------------------------------


def backward_propagation_sign(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dZ2 = Y - A2  # bug: target minus prediction
    dW2, db2, dA1 = linear_backward(dZ2, A1, parameters["W2"])
    dW1, db1, _ = linear_backward(dA1 * (Z1 > 0), X, parameters["W1"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- a transposed square weight gradient (784-10-10) -------------------------------------


def backward_propagation_transposed(parameters, cache, X, Y):
    m = X.shape[1]
    Z1, A1, Z2, A2 = cache
    dZ2 = A2 - Y
    dW2 = A1 @ dZ2.T / m  # bug: (10, 10) either way, so the shape cannot tell
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dW1, db1, _ = linear_backward(parameters["W2"].T @ dZ2 * (Z1 > 0), X, parameters["W1"])
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# ---- an update inside backprop ------------------------------------------------------------


def backward_propagation_update(parameters, cache, X, Y, learning_rate=0.1):
    grads = backward_propagation(parameters, cache, X, Y)
    for key in parameters:
        parameters[key] -= learning_rate * grads["d" + key]  # bug: updates inside backprop
    return grads


# ---- a custom Layer subclass in a verigrad model ------------------------------------------


class LearnerSigmoid(Layer):
    """A learner's own sigmoid layer, with the sigmoid(z) * sigmoid(1 - z) derivative."""

    def forward(self, Z, training=False):
        self.Z = Z
        return sigmoid(Z)

    def backward(self, dA):
        return dA * sigmoid(self.Z) * sigmoid(1 - self.Z)  # bug: σ(z)·(1 − σ(z))


class LearnerSigmoidFixed(Layer):
    """The same layer, fixed."""

    def forward(self, Z, training=False):
        self.A = sigmoid(Z)
        return self.A

    def backward(self, dA):
        return dA * self.A * (1 - self.A)


def _custom_layer(activation):
    def make(batch):
        X, Y = _toy(6, 4, m=16, seed=7)
        model = Sequential([Dense(6, 5), activation(), Dense(5, 4)],
                           loss=SoftmaxCrossEntropy(), dtype="float64", seed=3)
        return {"model": model, "X": X, "Y": Y.argmax(axis=0)}
    return make


def _toy_problem(backward, forward=None, dims=(4, 5, 3), seed=0):
    def make(batch):
        X, Y = _toy(dims[0], dims[-1], m=16, seed=seed)
        return _functions(X, Y, _initial(list(dims), seed=seed + 1), backward, forward)
    return make


def _two_three_two(batch):
    rng = np.random.default_rng(11)
    X = rng.random((2, 16)) * 10  # inputs scaled to [0, 10] as in the thread
    Y = np.eye(2)[:, rng.integers(0, 2, 16)]
    problem = _functions(X, Y, _initial([2, 3, 2], seed=12), backward_propagation_2_3_2,
                         partial(forward_propagation, g2=sigmoid), compute_cost_sigmoid)
    problem["order"] = ["W1", "W2", "b1", "b2"]
    return problem


def backward_propagation_saturated(parameters, cache, X, Y):
    Z1, A1, Z2, A2 = cache
    dZ2 = A2 - Y  # bug: no 1/m, so every gradient is m times too large
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (Z1 > 0)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def _saturated_two_three_two(batch):
    rng = np.random.RandomState(2057)
    X = rng.rand(2, 20) * 10  # inputs in [0, 10], not scaled
    Y = (rng.rand(2, 20) < 0.5).astype(float)
    parameters = {"W1": rng.rand(3, 2), "b1": rng.rand(3, 1),  # np.random.rand: all positive
                  "W2": rng.rand(2, 3), "b2": rng.rand(2, 1)}
    return _functions(X, Y, parameters, backward_propagation_saturated,
                      partial(forward_propagation, g2=sigmoid), compute_cost_sigmoid)


def _mnist_problem(backward):
    def make(batch):
        X, Y, parameters = _mnist_network(batch)
        return _functions(X, Y, parameters, backward)
    return make


ALL = ("W1", "b1", "W2", "b2")

CASES = [
    Case("sum_every_axis", "A bias gradient summed over every axis (and no 1/m)",
         "A 2-3-2 network from a Q&A thread that 'is not really learning'. Its backprop sums "
         "`db1 = np.sum(d)` over every axis, so each bias gets one number shared by all units, "
         "and it never divides by m. The function returns a tuple, so the check is told its "
         "order.",
         "Which axis should a bias gradient add over, so that it keeps one entry per unit? "
         "And where does the cost's mean over the m examples enter the error term?",
         [backward_propagation_2_3_2], _two_three_two,
         {("scale", "W1"), ("scale", "W2"), ("sum_axis", "b1"), ("sum_axis", "b2")}),
    Case("saturated_cost", "A missing 1/m behind a cost that loses precision",
         "The same 2-3-2 thread, m = 20: inputs up to 10 and `np.random.rand` weights drive "
         "the second output unit's sigmoid to within 1e-12 of 1, where `np.log(1 - A2)` keeps "
         "only a few digits. Central differences through that unit are noise, and a plain "
         "check sees ratios wobbling between 14 and 32 and calls every gradient a mismatch "
         "with no pattern. verigrad notices that its estimates at two step sizes disagree, "
         "judges those entries with coarser steps, where the estimate settles, and names the "
         "pattern of every gradient: m = 20 times the true gradient.",
         "The bug is the missing 1/m (the factor m = 20 in the report). The saturation "
         "comes from the weights' distribution and the inputs' range: the `np.random.rand` "
         "case below shows where that leads.",
         [backward_propagation_saturated], _saturated_two_three_two,
         {("scale", name) for name in ALL}),
    Case("wrong_axis", "A bias gradient summed over the wrong axis",
         "`axis=0` adds over the units of each example instead of over the examples of each "
         "unit: db1 comes out with one entry per example.",
         "The example axis is the last one: compare the shape of db1 with b1's.",
         [linear_backward, backward_propagation_axis],
         _toy_problem(backward_propagation_axis),
         {("shape", "b1")}),
    Case("missing_m", "A missing 1/m",
         "The cost is the mean over the m = 16 examples, but the gradients are sums: each is "
         "m times too large, and gradient descent takes steps m times too long.",
         "The reported factor is m: follow the cost's mean over the examples through to "
         "each gradient.",
         [backward_propagation_no_m], _toy_problem(backward_propagation_no_m),
         {("scale", name) for name in ALL}),
    Case("sigmoid_derivative", "`sigmoid(z) * sigmoid(1 - z)` for the derivative",
         "From a forum thread about spiky cost curves: the network trained with ReLU but not "
         "with sigmoid, because the sigmoid derivative was written σ(z)·σ(1 − z).",
         "Differentiate σ(z) = 1 / (1 + e^(−z)) by hand and compare with the derivative "
         "function; the forward pass's cached A1 holds σ(z1) already.",
         [sigmoid_derivative, backward_propagation_sigmoid],
         _toy_problem(backward_propagation_sigmoid, partial(forward_propagation, g1=sigmoid)),
         {("mismatch", "W1"), ("mismatch", "b1")}),
    Case("relu_deriv_in_place", "A ReLU derivative that overwrites its input",
         "From the 784-10-10 thread: `relu_deriv` sets its argument to 0/1 in place. Here the "
         "forward pass's ReLU also works in place, so A1 is the same array as Z1, and the "
         "derivative turns the cached activations into a mask before dW2 is computed from "
         "them.",
         "Which arrays do `relu_in_place` and `relu_deriv` write to, and which of them does "
         "the cache still need afterwards?",
         [relu_in_place, relu_deriv, backward_propagation_in_place],
         _toy_problem(backward_propagation_in_place,
                      partial(forward_propagation, g1=relu_in_place)),
         {("mismatch", "W2")}),
    Case("shallow_copy_checker", "A gradient checker that shallow-copies its parameters",
         "The 784-10-10 thread's checker printed 'There is a mistake in the backward "
         "propagation! difference = 0.3333' although the backprop was right. The bug is in the "
         "checker: `parameters.copy()` copies the dict, not the arrays, so θ+ε stays in place "
         "and the 'θ−ε' step computes θ. Checking the learner's numerical gradients as if they "
         "were backprop's shows what they measure.",
         "The checker, not the backprop: which arrays does `parameters.copy()` copy? "
         "`vg.check_backprop` checks the backprop without it.",
         [numerical_gradients], _shallow_copy_checker,
         {("scale", name) for name in ALL}),
    Case("dropout_on", "Dropout left on during the check (784-10-10, MNIST)",
         "The same thread's network uses dropout with a fresh `np.random.rand` mask in every "
         "forward pass. Left on during a gradient check, every cost evaluation is a different "
         "function, and the differences mean nothing.",
         "A gradient check needs one fixed function: look at what changes between two "
         "forward passes at the same parameters.",
         [forward_propagation_dropout], _dropout(0.5), {("nondeterministic", None)},
         needs_mnist=True),
    Case("rand_weights", "`np.random.rand` weights and unscaled inputs make `exp` overflow",
         "From the 2-3-2 thread: weights from `np.random.rand` are all positive, the inputs "
         "were not scaled, so pre-activations grow with every layer until `exp` overflows. "
         "Here on a 784-10-10 network with raw pixel values 0–255.",
         "Look at the sign and size of the initial weights, the range of the inputs, and "
         "how large a number the softmax passes to `exp`.",
         [initialize_parameters_rand, softmax_naive], _rand_weights, {("nan", None)},
         needs_mnist=True),
    Case("cbow_relu", "The CBOW backprop's ReLU applied to the back-propagated gradient",
         "The CBOW lecture notebook's backprop formulas (with its exact matrices): the ReLU "
         "is applied to the back-propagated gradient, which zeros entries by the sign of the "
         "gradient instead of the sign of the hidden pre-activation z1. Learners copying it "
         "into the assignment fail the b1 test.",
         "The mask belongs to the hidden layer's ReLU: which array's sign decides it?",
         [cbow_backward], _cbow(cbow_backward), {("mask", "W1"), ("mask", "b1")}),
    Case("sign", "The output's error term reversed",
         "The error term reversed: every gradient has the wrong sign, and gradient descent "
         "climbs the cost.",
         "Every gradient has the opposite sign: look at the order in the output's error "
         "term.",
         [backward_propagation_sign], _toy_problem(backward_propagation_sign),
         {("sign", name) for name in ALL}),
    Case("transposed_dW", "A transposed square weight gradient (784-10-10, MNIST)",
         "In a 784-10-10 network W2 is 10 × 10, so `A1 @ dZ2.T` has the right shape and no "
         "shape check can catch it.",
         "Write the shapes beside the product: W2 is (n_out, n_in), and so must dW2 be, "
         "entry for entry.",
         [backward_propagation_transposed], _mnist_problem(backward_propagation_transposed),
         {("transpose", "W2")}, needs_mnist=True),
    Case("update_in_backprop", "An update inside backprop",
         "The learner folded the gradient-descent step into backprop: every call moves the "
         "parameters, so a gradient check (or any second call) works on changed values.",
         "Backprop should only read the parameters: look for an assignment to them inside "
         "it.",
         [backward_propagation, backward_propagation_update],
         _toy_problem(backward_propagation_update),
         {("mutation", name) for name in ALL}),
    Case("custom_layer", "A custom Layer subclass with the wrong derivative",
         "A learner's own sigmoid layer in a verigrad model, with the derivative from the "
         "spiky-curves thread. `vg.gradcheck` checks any Sequential and names the layer.",
         "The layer's backward: compare its derivative with σ'(z), as in the sigmoid case "
         "above.",
         [LearnerSigmoid], _custom_layer(LearnerSigmoid),
         {("mismatch", "W1"), ("mismatch", "b1")}),
]

CORRECT = [
    Case("mask_from_A1", "Correct: the ReLU mask taken from A1 > 0", "", "",
         [backward_propagation], _toy_problem(backward_propagation)),
    Case("sigmoid_fixed", "Correct: the sigmoid derivative fixed", "", "",
         [backward_propagation_sigmoid_fixed],
         _toy_problem(backward_propagation_sigmoid_fixed,
                      partial(forward_propagation, g1=sigmoid))),
    Case("cbow_fixed", "Correct: the CBOW backprop with its mask fixed", "", "",
         [cbow_backward_fixed],
         _cbow(cbow_backward_fixed)),
    Case("dropout_off", "Correct: the 784-10-10 network with keep_prob = 1", "", "",
         [forward_propagation_dropout], _dropout(1.0), needs_mnist=True),
    Case("custom_layer_fixed", "Correct: the custom sigmoid layer fixed", "", "",
         [LearnerSigmoidFixed], _custom_layer(LearnerSigmoidFixed)),
]
