"""Random changes to training images, made afresh for every mini-batch that ``fit`` draws:

    model.fit(X, Y, augment=vg.data.RandomShift(2))

Each epoch the network sees each digit at a slightly different place, so it cannot learn
the exact pixels of the training set: a regulariser that works much like more data.
Validation, evaluation and prediction always see the images as they are.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..validation import check_positive_int


class RandomShift:
    """Shift each image of a batch (C, H, W, m) by whole pixels, dy down and dx right, each
    drawn uniformly from -max_shift..max_shift for every example; the pixels shifted in are
    0 (the background of MNIST-like images):

        out[c, i, j, k] = X[c, i - dy_k, j - dx_k, k]    (0 where that falls outside)
    """

    def __init__(self, max_shift: int = 2):
        self.max_shift = check_positive_int(max_shift, "RandomShift max_shift")

    def __call__(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A shifted copy of X; X is not changed. The copy is stored example by example, as
        ``fit`` stores its image batches."""
        if X.ndim != 4:
            raise ValueError(f"RandomShift takes a batch of images (C, H, W, m), got an array "
                             f"of shape {X.shape}")
        s, m = self.max_shift, X.shape[-1]
        if s >= min(X.shape[1:3]):
            raise ValueError(f"RandomShift max_shift={s} must be smaller than the images' "
                             f"height and width, got images of {X.shape[1]}×{X.shape[2]}")
        # pad each image with s zeros on every side; the H×W window of the padded image
        # starting at (a, b) is the image shifted by (s − a, s − b)
        padded = np.pad(np.moveaxis(X, -1, 0), ((0, 0), (0, 0), (s, s), (s, s)))
        windows = sliding_window_view(padded, X.shape[1:3], axis=(2, 3))
        a, b = rng.integers(0, 2 * s + 1, size=(2, m))
        return np.moveaxis(windows[np.arange(m), :, a, b], 0, -1)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift})"
