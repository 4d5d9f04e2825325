"""verigrad: neural networks from scratch in NumPy, with verified gradients."""
__version__ = "0.1.0"
from . import cbow
from .embeddings import CBOW
