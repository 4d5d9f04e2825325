"""The ``Layer`` contract every layer follows, built-in or written by a learner.

Shapes keep the example axis last: a dense batch is (n, m), images (C, H, W, m), sequences
(n_x, T, m). A layer's *shape* is the shape of one example, the batch axis left out:
(n,), (C, H, W) or (n_x, T); ``None`` stands for a size the layer accepts at any value
(the length T of a sequence, say).

``forward(A_prev, training)`` returns the output and keeps what ``backward`` needs;
``backward(dA)`` takes dJ/d(output), fills ``self.grads`` (same names and shapes as
``self.params``) and returns dJ/d(input). A model sets ``needs_input_grad = False`` on its
first parameterised layer, since nothing below it needs a gradient; a layer may then skip
computing dJ/d(input) and return None.
Backward never writes into the array it is given: a derivative computed in place on the
caller's data is one of the classic backprop bugs.

A layer also *declares its own facts*, so that the model, the NaN guard, the Monitor and
gradcheck treat a learner's layer exactly like a built-in one (none of them tests a
layer's class):

    input_shape        the one-example shape the layer requires, or None (any shape that
                       ``output_shape`` accepts); a model takes its input shape from it
    input_kind         "float" (the default), or "index" for integer inputs (token ids)
    elementwise        True for activations g applied entry by entry: A = g(Z), and
                       ``activation(Z)`` computes g(Z) without touching the layer's cache
    kinks              values of Z where g' jumps (ReLU: 0); a gradient check treats
                       entries within its step of a kink as unreliable, not wrong
    saturation_limit   |Z| beyond which g'(Z) is below 1% of its peak (sigmoid 4.6): the
                       Monitor's "saturated" column
    useful_limit       |Z| beyond which a pre-activation is outside g's useful range
                       (sigmoid and tanh: 30, where g' < 1e-13): the guard's warning
    zero_gradient_below  Z below which g' = 0 (ReLU: 0): a unit below it for every
                       example is dead
    normalizes         "batch" for a layer that standardises each feature over the batch
                       (batch norm: the scale of its input, and a constant added to a
                       feature, do not reach its output), "example" for one that
                       standardises each example (layer norm), None otherwise
    per_example        True when the training pass treats each example on its own, so that
                       ``fit(threads=N)`` may compute slices of a batch on separate
                       threads; False for batch norm (statistics over the batch) and a
                       stateful recurrent layer (one carried state per batch)
    continues_batches  True when each training batch continues where the previous one
                       ended (a stateful recurrent layer carries its final state over);
                       ``fit`` then refuses ``shuffle=True``, which would carry a state
                       across unrelated windows of the data
    keep_random_draws()  keeps the random numbers of the next training pass (Dropout's
                       mask) and returns True; a layer that draws random numbers but cannot
                       keep them overrides ``set_rng`` and gradcheck reseeds it instead
    hold_state()       stops carrying state from one training pass into the next (a
                       stateful recurrent layer starts every pass from the state it holds
                       now), so that a gradient check's cost is a function of the
                       parameters alone

Parameters whose name starts with ``W`` are weights: the L2 penalty and the
``np.random.rand`` check apply to them, not to biases or normalisation scales.
Non-parameter arrays a layer keeps across calls (running statistics) live in
``self.state``; they are saved with the model, restored with the weights when training
diverges (``TrainingDiverged``), and get no gradient.
"""
from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any, Optional, Union

import numpy as np

#: the shape of one example (the example axis left out); None where any size fits
Shape = tuple[Optional[int], ...]
#: a kernel size, stride or padding: one int for both axes, or (height, width)
Size2D = Union[int, tuple[int, int]]


class UnknownSize(ValueError):
    """Raised by ``output_shape`` when the layer needs a size its input shape leaves open
    (None): Flatten cannot count the entries of an image of any height. A model made
    without ``input_shape`` then waits for its first batch to learn the sizes."""


class Layer(ABC):
    """Base class of every layer; subclass it to write your own.

    A subclass sets ``self.params`` (name -> array) and ``self.grads`` (name -> array of the
    same shape, filled by ``backward``), and implements ``forward`` and ``backward``.
    Override ``output_shape`` if the layer changes the shape of an example, ``get_config``
    if its constructor takes arguments (so that ``save``/``load`` can rebuild it),
    ``initialize`` if it draws initial weights (the model seeds it), ``set_rng`` if it
    draws random numbers while running (so that ``fit(seed=...)`` controls them), and
    ``replica`` if a copy for another thread must share more than ``params``.
    """

    input_shape: Shape | None = None
    input_kind: str = "float"
    elementwise: bool = False
    kinks: tuple[float, ...] = ()
    saturation_limit: float | None = None
    useful_limit: float | None = None
    zero_gradient_below: float | None = None
    normalizes: str | None = None
    per_example: bool = True
    continues_batches: bool = False
    #: a seed fixed at construction; layers without one are initialised from the model's
    seed: int | None = None
    #: False when nothing below the layer needs dJ/d(input) (set by the model)
    needs_input_grad: bool = True
    #: True once a model has placed the layer (and drawn its weights): a model built later
    #: from the same layer object shares its weights instead of drawing them again
    placed: bool = False

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}

    @abstractmethod
    def forward(self, A_prev: np.ndarray, training: bool = False) -> np.ndarray:
        """Output of the layer for the batch ``A_prev`` (example axis last)."""

    @abstractmethod
    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        """Given dJ/dA (the output's gradient), fill ``self.grads`` and return dJ/dA_prev
        (or None when ``needs_input_grad`` is False)."""

    def output_shape(self, input_shape: Shape) -> Shape:
        """Shape of one output example for one input example of ``input_shape`` (a tuple,
        batch axis left out); raise ValueError naming the expected and actual shape."""
        return tuple(input_shape)

    def activation(self, Z: np.ndarray) -> np.ndarray:
        """g(Z) for an elementwise activation, without changing the layer's cache."""
        raise TypeError(f"{type(self).__name__} is not an elementwise activation")

    def kink_distance(self, A_prev: np.ndarray) -> np.ndarray | None:
        """How far each input entry is from a point where the layer's derivative jumps
        (inf where it is smooth), or None for a smooth layer. From ``kinks`` by default;
        a layer whose kinks depend on several entries (a max over a window) overrides it."""
        if not self.kinks:
            return None
        return np.min([np.abs(A_prev - k) for k in self.kinks], axis=0)

    def initialize(self, rng: np.random.Generator) -> None:
        """Draw the initial parameters from ``rng`` (layers with random initial weights)."""

    @classmethod
    def parameter_shapes(cls, *args: Any, **config: Any) -> dict[str, tuple[int, ...]] | None:
        """The shapes of the parameters (name -> tuple) of a layer built with ``config``, or
        None when the class cannot tell without being built (the default). ``vg.load``
        compares them with a file's arrays before building the layer, so that a file
        declaring a huge layer is refused before memory is allocated for it."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, as JSON-serialisable values, that rebuild this layer."""
        return {}

    def set_rng(self, rng: np.random.Generator) -> None:
        """Receive the ``numpy.random.Generator`` this layer draws from (stochastic layers).
        A gradient check gives such a layer the same generator again before every training
        pass, unless it can ``keep_random_draws``."""

    def keep_random_draws(self) -> bool:
        """Keep the random numbers of the next training pass for every later one (so that
        the cost becomes a deterministic function of the parameters, as a gradient check
        needs) and return True; a layer that draws nothing, or cannot keep its draws,
        returns False."""
        return False

    def hold_state(self) -> None:
        """Start every later training pass from the state carried now, instead of carrying
        each pass's final state into the next (a stateful layer; others carry nothing).
        A gradient check calls it on its copy of the model: the cost it differentiates
        must not change from one evaluation to the next."""

    def draw_afresh(self) -> None:
        """Draw fresh random numbers in every training pass again (after ``keep_random_draws``)."""

    def replica(self) -> Layer:
        """A copy of the layer for another thread of ``fit(threads=N)``: the same parameter
        arrays (an update of one is an update of both), its own gradients and caches."""
        return copy.deepcopy(self, {id(p): p for p in self.params.values()})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

