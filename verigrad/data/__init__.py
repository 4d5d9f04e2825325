"""Data sets: MNIST and Fashion-MNIST readers (no download unless asked), 2-D toy
problems, and random shifts of training images (``RandomShift``, for ``fit(augment=...)``).
``check_leakage`` (examples shared between a training and a test set) lives in
``verigrad.diagnostics`` and is offered here too, beside the data it checks."""
from __future__ import annotations

from ..diagnostics.leakage import LeakageReport, check_leakage
from .augment import RandomShift
from .mnist import FASHION_CLASSES, load_fashion_mnist, load_mnist, read_idx
from .toy import make_blobs, make_circles, make_moons, make_spirals

__all__ = ["load_mnist", "load_fashion_mnist", "read_idx", "FASHION_CLASSES",
           "make_moons", "make_circles", "make_spirals", "make_blobs", "check_leakage",
           "LeakageReport", "RandomShift"]
