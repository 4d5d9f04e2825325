"""verigrad: neural networks from scratch in NumPy, with verified gradients.

    import verigrad as vg
    model = vg.Sequential([vg.Dense(784, 128), vg.ReLU(), vg.Dense(128, 10)],
                          loss=vg.SoftmaxCrossEntropy())
"""
from . import data, diagnostics
from .guard import TrainingDiverged, TrainingWarning
from .layers import Dense, Dropout, Layer, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .losses import MSE, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from .model import Callback, History, Sequential, load, mlp
from .optim import SGD, Adam, CosineDecay, ExponentialDecay, Optimizer, RMSProp, StepDecay

__version__ = "0.1.0"
from . import findings
from .findings import Finding
from .gradcheck import GradcheckReport, ParamCheck, check_backprop, gradcheck
from . import cbow
from .embeddings import CBOW
