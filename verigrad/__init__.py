"""verigrad: neural networks from scratch in NumPy, with verified gradients.

    import verigrad as vg
    model = vg.Sequential([vg.Dense(784, 128), vg.ReLU(), vg.Dense(128, 10)],
                          loss=vg.SoftmaxCrossEntropy())
    model.fit(X, Y, epochs=10, batch_size=128)          # X: (n_features, m), one column each
    print(vg.gradcheck(model, X[:, :64], Y[:64]))       # which gradient is wrong, and why

The parts: ``layers``, ``losses``, ``optim``, ``model`` (Sequential, mlp), ``train`` (the
loop behind ``fit``), ``callbacks`` (Callback, History), ``modelfile`` (the file format and
the registry of layer and loss types), ``io`` (save and load), ``gradcheck`` (the check
and the backprop debugger), ``diagnostics`` (the guard, Monitor, curves, metrics, leakage),
``data`` (MNIST, toy problems), ``course`` (the NLP course's CBOW functions and tokenizer)
and ``word2vec`` (the CBOW trainer for real corpora). ``verigrad.sklearn`` and
``verigrad.plots`` load their optional extras on import.
"""
from __future__ import annotations

from . import course, data, diagnostics, word2vec
from .callbacks import Callback, History
from .convnets import cnn
from .course import cbow as cbow
from .diagnostics import TrainingDiverged, TrainingWarning
from .display import LivePlot
from .gradcheck import GradcheckReport, ParamCheck, check_backprop, check_layer, gradcheck
from .gradcheck import findings as findings
from .gradcheck.findings import Finding
from .io import load
from .layers import (
    GELU,
    GRU,
    LSTM,
    RNN,
    AvgPool2D,
    BatchNorm,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAvgPool2D,
    GroupNorm,
    Layer,
    LayerNorm,
    LeakyReLU,
    MaxPool2D,
    MultiHeadAttention,
    PositionalEncoding,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    TransformerBlock,
)
from .losses import MSE, BinaryCrossEntropy, Loss, SequenceSoftmaxCrossEntropy, SoftmaxCrossEntropy
from .model import Sequential, mlp
from .modelfile import register_layer, register_loss
from .optim import (
    SGD,
    Adam,
    AdamW,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    Optimizer,
    RMSProp,
    StepDecay,
    WarmupCosine,
)
from .pytorch import CmpResult, cmp
from .transformer_lm import gpt
from .word2vec import CBOW

__version__ = "0.1.0"

__all__ = [
    "Sequential", "mlp", "cnn", "gpt", "load", "register_layer", "register_loss", "History",
    "Callback", "LivePlot",
    "Layer", "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
    "BatchNorm", "BatchNorm2D", "LayerNorm", "GroupNorm",
    "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
    "Embedding", "RNN", "LSTM", "GRU",
    "GELU", "MultiHeadAttention", "PositionalEncoding", "TransformerBlock",
    "Loss", "SoftmaxCrossEntropy", "SequenceSoftmaxCrossEntropy", "BinaryCrossEntropy", "MSE",
    "Optimizer", "SGD", "RMSProp", "Adam", "AdamW", "StepDecay", "ExponentialDecay",
    "CosineDecay", "WarmupCosine", "InverseTimeDecay",
    "gradcheck", "check_backprop", "check_layer", "GradcheckReport", "ParamCheck", "Finding",
    "TrainingDiverged", "TrainingWarning", "CBOW", "cmp", "CmpResult",
    "data", "diagnostics", "course", "word2vec",
]
