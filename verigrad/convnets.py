"""Convolutional networks for small images, by name.

    model = vg.cnn()                       # LeNet-5 for (1, 28, 28, m) images, 10 classes
    model = vg.cnn("two-conv", dropout=(0.25, 0.5))
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

from numpy.typing import DTypeLike

from .layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Shape
from .losses import Loss, SoftmaxCrossEntropy
from .model import Sequential

PRESETS = ("lenet5", "two-conv")


def _features(preset: str, channels: int,
              dropout: tuple[float, ...]) -> tuple[list[Layer], list[int]]:
    """The layers before the Flatten, and the sizes of the hidden Dense layers."""
    if preset == "lenet5":
        # LeCun et al. (1998), with ReLU and max-pooling as it is usually trained today.
        return [Conv2D(channels, 6, 5, padding=2), ReLU(), MaxPool2D(2),
                Conv2D(6, 16, 5), ReLU(), MaxPool2D(2)], [120, 84]
    # The two-convolution network of the common MNIST examples (Keras' mnist_cnn).
    layers: list[Layer] = [Conv2D(channels, 32, 3), ReLU(), Conv2D(32, 64, 3), ReLU(),
                           MaxPool2D(2)]
    if dropout[0]:
        layers.append(Dropout(dropout[0]))
    return layers, [128]


def cnn(preset: str = "lenet5", input_shape: tuple[int, int, int] = (1, 28, 28),
        n_classes: int = 10, dropout: float | Sequence[float] | None = None,
        loss: Loss | None = None,
        l2: float = 0.0, dtype: DTypeLike = "float32", seed: int | None = 0) -> Sequential:
    """A convolutional classifier of images (C, H, W, m), built from a preset.

    "lenet5" (default): conv 6 5×5 padding 2, ReLU, max-pool 2, conv 16 5×5, ReLU,
        max-pool 2, then Dense 120, 84 and n_classes (ReLU between): 61,706 parameters
        for MNIST. dropout (a number) adds Dropout after each hidden Dense layer; none by
        default.
    "two-conv": conv 32 3×3, ReLU, conv 64 3×3, ReLU, max-pool 2, Dropout(0.25), Dense 128,
        ReLU, Dropout(0.5), Dense n_classes: 1.2 million parameters for MNIST. dropout
        takes the pair (after the pooling, after Dense 128); default (0.25, 0.5).

    Every layer is initialised by "he"; the last Dense layer gives logits for ``loss``
    (default ``SoftmaxCrossEntropy``).
    """
    if preset not in PRESETS:
        raise ValueError(f"cnn preset must be one of {PRESETS}, got {preset!r}")
    # rates: (after the convolutions, after each hidden Dense layer)
    rates: tuple[float, ...]
    if preset == "two-conv":
        if isinstance(dropout, (int, float)):
            raise TypeError(f"cnn preset 'two-conv' takes dropout as a pair (after the "
                            f"pooling, after Dense 128), got {dropout!r}")
        rates = (0.25, 0.5) if dropout is None else tuple(dropout)
    else:
        if isinstance(dropout, Sequence):
            raise TypeError(f"cnn preset {preset!r} takes dropout as one number (after each "
                            f"hidden Dense layer), got {dropout!r}")
        rates = (0.0, dropout or 0.0)
    image = tuple(input_shape)
    if len(image) != 3:
        raise ValueError(f"cnn input_shape must be one image's (C, H, W), got {image!r}")
    layers, hidden = _features(preset, image[0], rates)
    shape: Shape = image
    for i, layer in enumerate(layers):
        try:
            shape = layer.output_shape(shape)
        except ValueError as err:
            raise ValueError(f"the {preset} preset does not fit images of shape "
                             f"{image}: layer {i}: {err}") from None
    layers.append(Flatten())
    # convolutions and pooling keep every size of an image of known size known
    n_in = math.prod(cast("tuple[int, ...]", shape))
    for n_out in hidden:
        layers += [Dense(n_in, n_out), ReLU()]
        if rates[1]:
            layers.append(Dropout(rates[1]))
        n_in = n_out
    layers.append(Dense(n_in, n_classes))
    return Sequential(layers, loss=SoftmaxCrossEntropy() if loss is None else loss, l2=l2,
                      dtype=dtype, seed=seed, input_shape=image)
