"""Layers: each concept one class, its backward beside its forward (see ``base`` for the
contract every layer follows and the facts it declares)."""
from __future__ import annotations

from .activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .attention import MultiHeadAttention
from .base import Layer, Shape, UnknownSize
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .normalization import BatchNorm, BatchNorm2D, GroupNorm, LayerNorm
from .pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from .positional import PositionalEncoding
from .recurrent import GRU, LSTM, RNN
from .shape import Flatten
from .transformer import TransformerBlock

__all__ = ["Layer", "Shape", "UnknownSize",
           "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
           "BatchNorm", "BatchNorm2D", "GroupNorm", "LayerNorm",
           "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
           "Embedding", "RNN", "LSTM", "GRU",
           "GELU", "MultiHeadAttention", "PositionalEncoding", "TransformerBlock"]
