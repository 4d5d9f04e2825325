"""Layers: each concept one class, its backward beside its forward (see ``base`` for the
contract every layer follows and the facts it declares)."""
from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer, layer_from_config
from .dense import Dense
from .dropout import Dropout
from .normalization import BatchNorm, BatchNorm2D, GroupNorm, LayerNorm

__all__ = ["Layer", "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
           "BatchNorm", "BatchNorm2D", "GroupNorm", "LayerNorm", "layer_from_config"]
