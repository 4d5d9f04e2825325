"""Data sets: MNIST and Fashion-MNIST readers (no download unless asked)."""
from .mnist import FASHION_CLASSES, load_fashion_mnist, load_mnist, read_idx

__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "FASHION_CLASSES"]
