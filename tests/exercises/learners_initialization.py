"""Learner-style initializations for the tests: course 1 week 4's
``initialize_parameters_deep`` (the step-by-step notebook's randn·0.01 and the application
helper's randn/√n_prev) and course 2 week 1's ``initialize_parameters_zeros``, ``_random``
and ``_he``; correct ones and one buggy function per named mistake, each bug marked
``# bug``. Test fixtures only."""
import numpy as np


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
        assert parameters["W" + str(l)].shape == (layer_dims[l], layer_dims[l - 1])
    return parameters


def initialize_parameters_zeros(layers_dims):
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_random(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * 10
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(
            2. / layers_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


CORRECT = {name: globals()[name] for name in (
    "initialize_parameters_deep", "initialize_parameters_zeros", "initialize_parameters_random",
    "initialize_parameters_he")}


# ---- correct in other versions and styles ----------------------------------------------------


def initialize_parameters_deep_app(layer_dims):
    """The application notebook's helper (dnn_app_utils): randn / √n_prev, no seed."""
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(
            layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def initialize_parameters_he_sqrt_of_quotient(layers_dims):
    parameters = {}
    for l, (n_prev, n) in enumerate(zip(layers_dims, layers_dims[1:]), 1):
        parameters[f"W{l}"] = np.random.randn(n, n_prev) * (2 / n_prev) ** 0.5
        parameters[f"b{l}"] = np.zeros(shape=(n, 1))
    return parameters


OTHER_CORRECT = [("initialize_parameters_deep", initialize_parameters_deep_app),
                 ("initialize_parameters_he", initialize_parameters_he_sqrt_of_quotient)]


# ---- mistakes --------------------------------------------------------------------------------


def initialize_parameters_deep_unscaled(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1])  # bug
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def initialize_parameters_deep_random_bias(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.random.randn(layer_dims[l], 1) * 0.01  # bug: zeros
    return parameters


def initialize_parameters_deep_off_by_one(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims) - 1):  # bug: the last layer is left out
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def initialize_parameters_zeros_flat_bias(layers_dims):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros(layers_dims[l])  # bug: shape (n,), not (n, 1)
    return parameters


def initialize_parameters_random_uniform(layers_dims):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.rand(layers_dims[l], layers_dims[l - 1]) * 10  # bug
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he_xavier(layers_dims):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(
            1. / layers_dims[l - 1])  # bug: He is √(2/n_prev)
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he_own_layer(layers_dims):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(
            2. / layers_dims[l])  # bug: the layer's own size
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


MISTAKES = [
    ("initialize_parameters_deep", initialize_parameters_deep_unscaled, "init_scale"),
    ("initialize_parameters_deep", initialize_parameters_deep_random_bias, "init_bias"),
    ("initialize_parameters_deep", initialize_parameters_deep_off_by_one, "shape"),
    ("initialize_parameters_zeros", initialize_parameters_zeros_flat_bias, "shape"),
    ("initialize_parameters_random", initialize_parameters_random_uniform, "init_uniform"),
    ("initialize_parameters_he", initialize_parameters_he_xavier, "init_scale"),
    ("initialize_parameters_he", initialize_parameters_he_own_layer, "init_scale"),
]
