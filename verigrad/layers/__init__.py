"""Layers: each concept one class, its backward beside its forward (see ``base`` for the
contract every layer follows and the facts it declares)."""
from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Layer, Shape
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .normalization import BatchNorm, BatchNorm2D, GroupNorm, LayerNorm
from .pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from .recurrent import GRU, LSTM, RNN
from .shape import Flatten

__all__ = ["Layer", "Shape", "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
           "BatchNorm", "BatchNorm2D", "GroupNorm", "LayerNorm",
           "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
           "Embedding", "RNN", "LSTM", "GRU"]
