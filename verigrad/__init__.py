"""verigrad: neural networks from scratch in NumPy, with verified gradients.

    import verigrad as vg
    model = vg.Sequential([vg.Dense(784, 128), vg.ReLU(), vg.Dense(128, 10)],
                          loss=vg.SoftmaxCrossEntropy())
    model.fit(X, Y, epochs=10, batch_size=128)          # X: (n_features, m), one column each
    print(vg.gradcheck(model, X[:, :64], Y[:64]))       # which gradient is wrong, and why

Modules: layers, losses, optim, model (Sequential, History), gradcheck and findings,
diagnostics and guard, data (MNIST, toy problems, leakage), cbow (the course's CBOW
functions) and embeddings (the CBOW trainer); verigrad.sklearn and verigrad.plots load
their optional extras on import.
"""
from . import cbow, data, diagnostics, findings
from .embeddings import CBOW
from .findings import Finding
from .gradcheck import GradcheckReport, ParamCheck, check_backprop, gradcheck
from .guard import TrainingDiverged, TrainingWarning
from .layers import (GRU, LSTM, RNN, AvgPool2D, BatchNorm, BatchNorm2D, Conv2D, Dense, Dropout,
                     Embedding, Flatten, GlobalAvgPool2D, GroupNorm, Layer, LayerNorm, LeakyReLU,
                     MaxPool2D, ReLU, Sigmoid, Softmax, Tanh)
from .losses import MSE, BinaryCrossEntropy, Loss, SequenceSoftmaxCrossEntropy, SoftmaxCrossEntropy
from .model import Callback, History, Sequential, load, mlp
from .optim import SGD, Adam, CosineDecay, ExponentialDecay, Optimizer, RMSProp, StepDecay

__version__ = "0.1.0"

__all__ = [
    "Sequential", "mlp", "load", "History", "Callback",
    "Layer", "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
    "BatchNorm", "BatchNorm2D", "LayerNorm", "GroupNorm",
    "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
    "Embedding", "RNN", "LSTM", "GRU",
    "Loss", "SoftmaxCrossEntropy", "SequenceSoftmaxCrossEntropy", "BinaryCrossEntropy", "MSE",
    "Optimizer", "SGD", "RMSProp", "Adam", "StepDecay", "ExponentialDecay", "CosineDecay",
    "gradcheck", "check_backprop", "GradcheckReport", "ParamCheck", "Finding",
    "TrainingDiverged", "TrainingWarning", "CBOW",
    "data", "diagnostics", "findings", "cbow",
]
