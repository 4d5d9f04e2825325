"""Data sets: MNIST and Fashion-MNIST readers (no download unless asked), 2-D toy problems,
and a check for examples shared between a training and a test set."""
from .leakage import LeakageReport, check_leakage
from .mnist import FASHION_CLASSES, load_fashion_mnist, load_mnist, read_idx
from .toy import make_blobs, make_circles, make_moons, make_spirals

__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "FASHION_CLASSES",
           "make_moons", "make_circles", "make_spirals", "make_blobs", "check_leakage",
           "LeakageReport"]
