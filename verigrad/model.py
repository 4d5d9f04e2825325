"""``Sequential``: a stack of layers and a loss; ``mlp`` builds the common dense one.

Forward propagation runs the layers in order on X (n_features, m); backward propagation
runs them in reverse from dJ/dZ of the loss. The cost is

    J = (1/m) Σ_j L(ŷ_j, y_j)  +  λ/(2m) Σ_l ‖W[l]‖²_F

(the second term only when ``l2=λ`` > 0; biases are not regularised), so each weight
gradient gains (λ/m)·W[l]. With mini-batches m is the batch size, as in scikit-learn.
"""
from __future__ import annotations

import copy
import functools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import modelfile
from ._files import PathLike
from .callbacks import Callback, History
from .diagnostics import Guard, TrainingDiverged
from .display import LivePlot
from .layers import (
    BatchNorm,
    Dense,
    Dropout,
    Layer,
    LeakyReLU,
    ReLU,
    Shape,
    Sigmoid,
    Tanh,
    UnknownSize,
)
from .losses import Loss, SoftmaxCrossEntropy
from .optim import Optimizer
from .train import LastGoodWeights, check_callbacks, fit
from .validation import (
    check_inputs,
    check_number,
    check_positive_int,
    check_seed,
    check_targets,
    describe_shape,
    shape_fits,
)

#: Evaluation runs on slices of at most this many examples, and fewer when the largest
#: layer output of a slice would pass _EVAL_ENTRIES entries (convolutional layers).
_EVAL_CHUNK = 8192
_EVAL_ENTRIES = 1 << 24


class Scores(TypedDict):
    """What ``Sequential.evaluate`` returns: the cost, and the fraction classified
    correctly (None for regression)."""

    cost: float
    accuracy: float | None


class ParamDict(Mapping[str, np.ndarray]):
    """The model's live parameters by name (W1, b1, W2, ...), or its state arrays
    (running_mean2, ...).

    Reading gives the arrays the model computes with; writing an entry copies the new values
    into that array (its shape must match), so ``model.params["W1"] = W`` and
    ``model.params["W1"][0, 0] = 1.0`` both change the model."""

    def __init__(self, arrays: Iterable[tuple[str, np.ndarray]], label: str = "params"):
        self._arrays = OrderedDict(arrays)
        self._label = label

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __setitem__(self, name: str, value: ArrayLike) -> None:
        if name not in self._arrays:
            raise KeyError(f"no entry {name!r} in {self._label}; the model has "
                           f"{list(self._arrays)}")
        target = self._arrays[name]
        array = np.asarray(value)
        if array.dtype.kind not in "fiu":  # complex, bool or objects would be cast silently
            raise TypeError(f"{self._label}[{name!r}] must hold real numbers, got dtype "
                            f"{array.dtype}")
        if array.shape != target.shape:
            raise ValueError(f"{self._label}[{name!r}] has shape {target.shape}, got "
                             f"{array.shape}")
        target[...] = array

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        return "ParamDict(" + ", ".join(f"{k}: {v.shape}" for k, v in self._arrays.items()) + ")"


class Sequential:
    """A feed-forward network: ``layers`` applied in order, trained against ``loss``.

    layers: list of ``Layer`` objects; each one's input size must match the previous output.
    loss:   a ``Loss`` that takes the last layer's logits (``SoftmaxCrossEntropy``,
            ``BinaryCrossEntropy``, ``MSE``); needed to train or evaluate.
    l2:     λ of the L2 penalty λ/(2m)·Σ‖W‖² (0 for none).
    dtype:  "float32" (default, fast) or "float64" (for gradient checks). Input in another
            float precision (float64 from np.random or pandas into a float32 model) is cast
            to this dtype, once per call (once per ``fit``), as Keras and scikit-learn do;
            integer input, such as uint8 images, is an error that says to scale it.
    seed:   initial weights of the layers built without their own seed, and the
            default randomness of ``fit``: the same seed builds the same model.
    input_shape: the shape of one example, the example axis left out: (784,) for dense
            batches (n, m), (1, 28, 28) for images (C, H, W, m). Given, every layer is
            checked against it here. By default the first layer that declares its
            ``input_shape`` (a Dense layer does) sets it; where that leaves a size open
            that a later layer needs (Flatten after Conv2D), or no layer declares one,
            the model is built by its first batch, as Keras builds on its first call
            (``build`` does it by hand).
    """

    #: the arrays of the last forward pass: activations[i] is the input of layers[i]
    activations: list[np.ndarray]
    #: the optimizer of the current (or last) ``fit``
    optimizer: Optimizer
    _reseeds: list[tuple[int, Layer, np.random.SeedSequence]]

    def __init__(self, layers: Sequence[Layer], loss: Loss | None = None, l2: float = 0.0,
                 dtype: DTypeLike = "float32", seed: int | None = 0,
                 input_shape: Shape | int | None = None):
        layers = list(layers)
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        first_place: dict[int, int] = {}
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] is {type(layer).__name__}, not a verigrad Layer")
            j = first_place.setdefault(id(layer), i)
            if j != i:
                # A layer keeps the arrays of its last forward pass for its backward pass:
                # a second place would overwrite what the first one needs.
                raise ValueError(f"layers[{i}] is the same {type(layer).__name__} object as "
                                 f"layers[{j}]: a layer object caches its input for backward, "
                                 f"so each place needs its own (write {type(layer).__name__}"
                                 f"(...) again instead of reusing one variable)")
        if loss is not None and not isinstance(loss, Loss):
            raise TypeError(f"loss must be a verigrad Loss, got {type(loss).__name__}")
        check_number(l2, "l2", lambda v: v >= 0, "a finite number ≥ 0")
        check_seed(seed, "seed")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.layers, self.loss, self.l2, self.seed = layers, loss, float(l2), seed
        self.input_shape, self.output_shape = self._check_shapes(input_shape)
        #: indices in ``layers`` of the layers with parameters: the course's layers 1..L
        self.parameterised = [i for i, layer in enumerate(layers) if layer.params]
        self._first_trainable = self.parameterised[0] if self.parameterised else len(layers)
        for i, layer in enumerate(layers):
            layer.needs_input_grad = i > self._first_trainable
        if self.built:
            self._check_output_activation()
        init_seeds, run_seed = np.random.SeedSequence(seed).spawn(2)
        for i, (layer, child) in enumerate(zip(layers, init_seeds.spawn(len(layers)))):
            if layer.placed:
                # A layer taken from another model (a trained one, say) keeps its weights:
                # drawing them again would change that model too, without a word.
                held = {p.dtype for p in layer.params.values()} - {self.dtype}
                if held:
                    raise ValueError(f"layers[{i}] ({layer!r}) belongs to a model computing "
                                     f"in {held.pop()}; this one computes in "
                                     f"{self.dtype}: use model.astype('{self.dtype}') to "
                                     f"get a copy of that model instead")
            elif layer.seed is None:
                layer.initialize(np.random.default_rng(child))
            layer.placed = True
        #: the generator of ``fit``'s shuffling and dropout when it is given no seed
        self.rng = np.random.default_rng(run_seed)
        self._cast(self.dtype)
        self.stop_training = False

    def _check_shapes(self, input_shape: Shape | int | None) -> tuple[Shape | None, Shape | None]:
        """(input shape, output shape) of one example, checking that each layer accepts
        the output of the one before it. Without an explicit ``input_shape``, a shape the
        layers leave open gives (what they declare, None): the first batch builds the
        model (``build``)."""
        explicit = input_shape is not None
        if input_shape is None:
            input_shape = next((layer.input_shape for layer in self.layers
                                if layer.input_shape is not None), None)
            if input_shape is None:
                return None, None
        elif isinstance(input_shape, (int, np.integer)):
            input_shape = (input_shape,)
        checked: Shape = tuple(None if s is None else check_positive_int(s, "input_shape")
                               for s in input_shape)
        shape = checked
        for i, layer in enumerate(self.layers):
            try:
                shape = tuple(layer.output_shape(shape))
            except UnknownSize:
                if explicit:
                    raise
                return checked, None  # the layers before it are checked already
            except ValueError as err:
                raise ValueError(f"layer {i} ({layer!r}) does not fit: {err}") from None
        return checked, shape

    @property
    def built(self) -> bool:
        """True once every layer's output shape is known (at construction, or after the
        first batch of a model made without ``input_shape``)."""
        return self.output_shape is not None

    def build(self, input_shape: Shape) -> None:
        """Fix the shape of one example (the example axis left out) and check every layer
        against it; the first batch does this for a model that could not be checked at
        construction. Sizes the layers declare must match."""
        input_shape = tuple(input_shape)
        if self.input_shape is not None and not shape_fits(self.input_shape, input_shape):
            raise ValueError(f"input_shape {input_shape} does not fit the first layer, "
                             f"which takes {describe_shape(self.input_shape)}")
        self.input_shape, self.output_shape = self._check_shapes(input_shape)
        self._check_output_activation()

    @property
    def n_in(self) -> int | None:
        """Features per example of a dense input (the first entry of ``input_shape``; None
        where the layers leave it open and no batch has fixed it)."""
        return None if self.input_shape is None else self.input_shape[0]

    @property
    def n_out(self) -> int:
        """Outputs per example (rows of the logits); ValueError before the model is built."""
        n_out = self._built_shapes()[1][0]
        if n_out is None:
            raise ValueError(f"the last layer {self.layers[-1]!r} leaves the number of "
                             f"outputs open")
        return n_out

    def _built_shapes(self) -> tuple[Shape, Shape]:
        """(input shape, output shape) of one example; ValueError before the model is built
        (its first batch, or ``build``, fixes the sizes the layers leave open)."""
        if self.input_shape is None or self.output_shape is None:
            raise ValueError("the model is not built yet: give it input_shape, call "
                             "build(input_shape), or pass it a first batch")
        return self.input_shape, self.output_shape

    def _check_output_activation(self) -> None:
        """A loss that applies its own output function (softmax, sigmoid) takes logits: a
        last layer that computes the same function would squash them twice. The layer is
        tried on a probe, so a learner's own softmax layer is caught like the built-in."""
        fused = getattr(self.loss, "fused_activation", None)
        last = self.layers[-1]
        if fused is None or last.params:
            return
        shape = tuple(2 if s is None else s for s in self._built_shapes()[1])
        probe = np.linspace(-3, 3, math.prod(shape) * 3).reshape(*shape, 3)
        try:
            squashed = copy.deepcopy(last).forward(probe, False)
        except Exception:  # a layer that cannot run on a probe is not this mistake
            return
        if np.shape(squashed) == probe.shape and np.allclose(squashed, fused(probe)):
            raise ValueError(f"{type(self.loss).__name__} applies {fused.__name__} itself and "
                             f"takes logits: remove the final {last!r} layer (its output "
                             f"would be squashed twice)")

    def _cast(self, dtype: np.dtype) -> None:
        for layer in self.layers:
            for store in (layer.params, layer.grads, layer.state):
                for name, value in store.items():
                    if value.dtype != dtype:
                        store[name] = value.astype(dtype)
        self.params = ParamDict(self._named(lambda layer: layer.params))
        self.state = ParamDict(self._named(lambda layer: layer.state), "state")
        self._owners = {f"{key}{k}": (i, key) for k, i in enumerate(self.parameterised, 1)
                        for key in self.layers[i].params}

    def _named(self, store_of: Callable[[Layer], dict[str, np.ndarray]]
               ) -> Iterator[tuple[str, np.ndarray]]:
        """(model name, array) pairs: W1, b1, W2, ... numbered by parameterised layer
        (running_mean2 for the state of the second); the state of a layer without parameters
        is named by its position in ``layers`` (running_mean_layer3)."""
        k = 0
        for i, layer in enumerate(self.layers):
            if layer.params:
                k += 1
            suffix = str(k) if layer.params else f"_layer{i}"
            for name, value in store_of(layer).items():
                yield f"{name}{suffix}", value

    # ---- one numbering of layers and parameters ----------------------------------------

    def locate(self, param: str) -> tuple[int, str]:
        """(i, key): the parameter named ``param`` (W2, gamma3, ...) is
        ``layers[i].params[key]``.

        The model numbers its parameterised layers 1..L as the course numbers its layers,
        and the l-th one's parameters carry l: Wl, bl for a Dense layer."""
        if param not in self._owners:
            raise KeyError(f"no parameter {param!r}; the model has {list(self.params)}")
        return self._owners[param]

    def layer_number(self, i: int) -> int | None:
        """The course's number l of ``layers[i]`` (it holds Wl, bl), or None for a layer
        without parameters. ``parameterised[l - 1]`` is i again."""
        return self.parameterised.index(i) + 1 if i in self.parameterised else None

    def layer_label(self, i: int) -> str:
        """How messages name ``layers[i]``: "layer 2 (Dense W2, b2)" for the second
        parameterised layer; "the ReLU after layer 2" for a layer without parameters."""
        layer = self.layers[i]
        kind = type(layer).__name__
        k = self.layer_number(i)
        if k is not None:
            return f"layer {k} ({kind} {', '.join(f'{key}{k}' for key in layer.params)})"
        before = sum(j < i for j in self.parameterised)
        return f"the {kind} after layer {before}" if before else f"the {kind} before layer 1"

    def astype(self, dtype: DTypeLike) -> Sequential:
        """A copy of the model computing in ``dtype`` (e.g. float64 for a gradient check)."""
        clone = copy.deepcopy(self)
        clone.dtype = np.dtype(dtype)
        clone._cast(clone.dtype)
        return clone

    # ---- forward and backward ----------------------------------------------------------

    def _forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        self.activations = [X]
        for layer in self.layers:
            self.activations.append(layer.forward(self.activations[-1], training))
        return self.activations[-1]

    # One training step, in the pieces ``fit``, its threads and a loop of your own use:
    #
    #     X, Y = model.check_data(X, Y)                    # once, before the loop
    #     cost, Z = model.cost_and_backward(Xb, Yb)        # forward, J, backward
    #     optimizer.step(model.params, model.gradients())  # the update
    #
    # These methods take mini-batches of data that ``check_data`` has accepted: they check
    # nothing themselves, so that a step costs only its arithmetic.

    def backward(self, dZ: np.ndarray) -> None:
        """Backprop from dJ/dZ (the gradient of the cost with respect to the last layer's
        output) of the last forward pass; each layer's gradients land in its ``grads``.
        Stops at the first parameterised layer: nothing below it needs a gradient."""
        first = self._first_trainable
        for i in range(len(self.layers) - 1, first - 1, -1):
            # set here, not once: a layer shared by two models may be first in only one
            self.layers[i].needs_input_grad = i > first
            dA_prev = self.layers[i].backward(dZ)
            if i == first:
                return
            if dA_prev is None:
                raise TypeError(f"{self.layer_label(i)}: backward returned None, but the "
                                f"layers below it need the gradient of its input")
            dZ = dA_prev

    def l2_penalty(self, m: int) -> float:
        """λ/(2m)·Σ_l ‖W[l]‖²_F for a batch of m examples (0 without ``l2``)."""
        if not self.l2:
            return 0.0
        total = sum(float(np.vdot(p, p)) for name, p in self.params.items() if name[0] == "W")
        return self.l2 / (2 * m) * total

    def add_l2_grads(self, m: int) -> None:
        """Add the L2 penalty's gradient (λ/m)·W[l] to each weight's gradient, for a batch
        of m examples (nothing without ``l2``)."""
        if not self.l2:
            return
        for layer in self.layers:
            for name, W in layer.params.items():
                if name[0] == "W":
                    layer.grads[name] += (self.l2 / m) * W

    def gradients(self) -> OrderedDict[str, np.ndarray]:
        """The layers' gradients of the last backward pass, named like ``params`` (W1, b1,
        ...: ``optimizer.step(model.params, model.gradients())`` pairs them). The arrays are
        the layers' own, not copies: the next backward pass overwrites them."""
        return OrderedDict(self._named(lambda layer: layer.grads))

    def loss_and_backward(self, X: np.ndarray, Y: np.ndarray,
                          training: bool = True) -> tuple[float, np.ndarray]:
        """(the mean loss over X's examples, without the L2 term; the logits Z), leaving that
        loss's gradient in the layers' ``grads``. A slice of a batch computed on its own
        thread (``replica``) stops here; the whole batch's L2 term is added once
        (``add_l2_grads``)."""
        criterion = self.require_loss()
        Z = self._forward(X, training)
        loss = criterion.forward(Z, Y)
        self.backward(criterion.backward())
        return loss, Z

    def cost_and_backward(self, X: np.ndarray, Y: np.ndarray,
                          training: bool = True) -> tuple[float, np.ndarray]:
        """(J, Z): the cost of the batch (X, Y) with its L2 term, and the logits, leaving
        dJ/dW of every parameter in the layers' ``grads`` (``gradients()``). One training
        step without its update."""
        loss, Z = self.loss_and_backward(X, Y, training)
        m = X.shape[-1]
        self.add_l2_grads(m)
        return loss + self.l2_penalty(m), Z

    def replica(self) -> Sequential:
        """A copy of the model for another thread of ``fit(threads=N)``: its layers are
        ``Layer.replica`` copies (the same parameter arrays, their own gradients and
        caches) and its loss its own."""
        clone = copy.copy(self)
        clone.layers = [layer.replica() for layer in self.layers]
        clone.loss = copy.deepcopy(self.loss)
        clone.activations = []
        return clone

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Logits of the last layer for X (n_features, m). ``training=True`` turns dropout on.

        Every forward pass (this one, and those of ``fit``, ``cost``, ``predict``) leaves
        its arrays in ``activations``, in the course's notation A[0] = X, A[1], ..., A[L]:
        ``activations[i]`` is the input of ``layers[i]`` and ``activations[i + 1]`` its
        output. Callbacks read them there."""
        return self._forward(self._check_inputs(X), training)

    def cost(self, X: np.ndarray, Y: np.ndarray, training: bool = False) -> float:
        """J(X, Y): mean loss over the m columns plus the L2 penalty λ/(2m)·Σ‖W‖²."""
        X, Y = self.check_data(X, Y)
        return self.cost_from_logits(self._forward(X, training), Y)

    def cost_from_logits(self, Z: np.ndarray, Y: np.ndarray) -> float:
        """J for the last layer's output Z (n_out, m): the loss plus the L2 penalty."""
        return self.require_loss().forward(Z, Y) + self.l2_penalty(Z.shape[-1])

    def cost_and_grads(self, X: np.ndarray, Y: np.ndarray,
                       training: bool = False) -> tuple[float, dict[str, np.ndarray]]:
        """(J, grads): the cost and its gradient for every parameter, as an ordered dict named
        like ``params`` with a ``d`` in front (dW1, db1, ...). Dropout is active only with
        ``training=True``. The arrays returned are copies: later calls do not change them."""
        X, Y = self.check_data(X, Y)
        cost, _ = self.cost_and_backward(X, Y, training)
        return cost, OrderedDict((f"d{k}", g.copy()) for k, g in self.gradients().items())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The loss's output for X: class probabilities (n_classes, m) for softmax
        cross-entropy, σ(Z) for binary cross-entropy, Z itself for MSE."""
        return self.require_loss().output(self._forward_chunks(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class labels (m,) for classifiers, output values for regression."""
        return self.require_loss().predict(self._forward_chunks(X))

    @property
    def _eval_chunk(self) -> int:
        """Examples per evaluation slice (see _EVAL_ENTRIES)."""
        shape, largest = self._built_shapes()[0], 1
        for layer in self.layers:
            shape = layer.output_shape(shape)
            largest = max(largest, math.prod(size or 1 for size in shape))
        return max(1, min(_EVAL_CHUNK, _EVAL_ENTRIES // largest))

    def _forward_chunks(self, X: np.ndarray) -> np.ndarray:
        X = self._check_inputs(X)
        empty = np.empty((*(s or 0 for s in self._built_shapes()[1]), 0), self.dtype)
        return np.concatenate([Z for _, Z in self._chunks(X)] or [empty], axis=-1)

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> Scores:
        """{"cost": J, "accuracy": fraction correct (None for regression)}, dropout off."""
        X, Y = self.check_data(X, Y)
        loss = self.require_loss()
        m = X.shape[-1]
        total, correct = 0.0, 0.0
        for part, Z in self._chunks(X):
            Yc = Y[..., part]
            total += loss.forward(Z, Yc) * Z.shape[-1]
            if loss.classifier:
                accuracy = loss.accuracy(Z, Yc)  # a float for a classifier
                if accuracy is not None:
                    correct += accuracy * Z.shape[-1]
        return {"cost": total / m + self.l2_penalty(m),
                "accuracy": correct / m if loss.classifier else None}

    def _chunks(self, X: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
        """(columns, logits) of X cut into chunks of ``_eval_chunk`` examples, dropout off:
        a large set is evaluated without one huge activation array."""
        chunk = self._eval_chunk
        for i in range(0, X.shape[-1], chunk):
            part = slice(i, i + chunk)
            yield part, self._forward(X[..., part], False)

    def require_loss(self) -> Loss:
        """The model's loss; ValueError if it was built without one (it needs one to
        train, evaluate or predict)."""
        if self.loss is None:
            raise ValueError("this model has no loss: build it with "
                             "Sequential(layers, loss=vg.SoftmaxCrossEntropy()) or another Loss")
        return self.loss

    def check_data(self, X: np.ndarray, Y: np.ndarray,
                   names: tuple[str, str] = ("X", "Y")) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y) as the model computes with them: raise a clear error, naming the argument,
        unless X and Y fit this model; X in another float precision comes back cast to the
        model's dtype."""
        loss = self.require_loss()
        X = self._check_inputs(X, names[0])
        check_targets(loss, Y, self.n_out, X.shape[-1], names[1])
        return X, Y

    def _check_inputs(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """X checked, and cast to the model's dtype if it is float in another precision;
        the first X of a model not yet built builds it."""
        if self.built:
            return check_inputs(X, self._built_shapes()[0], self.dtype, name,
                                self.layers[0].input_kind)
        open_shape = self.input_shape or (None,) * max(np.ndim(X) - 1, 1)
        X = check_inputs(X, open_shape, self.dtype, name, self.layers[0].input_kind)
        self.build(X.shape[:-1])
        return X

    # ---- randomness ---------------------------------------------------------------------

    def set_rng(self, rng: np.random.Generator | int | None) -> None:
        """Give every layer its own generator, spawned from ``rng`` (a
        ``numpy.random.Generator`` or a seed); ``fit`` does this before training."""
        rng = np.random.default_rng(rng)
        for layer, child in zip(self.layers, rng.spawn(len(self.layers))):
            layer.set_rng(child)

    def freeze_randomness(self, seed: int = 0) -> None:
        """Make the training cost a deterministic function of the parameters, as a gradient
        check needs (use it on a copy: ``model.astype("float64")``). Every layer gets a
        generator from ``seed``; the layers that can (``keep_random_draws``) keep the random
        numbers of the next training pass, and ``reseed`` gives the others (those that
        override ``set_rng``) the same generators again before each pass. A stateful layer
        holds the state it carries now (``hold_state``) instead of carrying each pass's."""
        seeds = np.random.SeedSequence(seed).spawn(len(self.layers))
        self._reseeds = []
        for i, (layer, s) in enumerate(zip(self.layers, seeds)):
            layer.hold_state()
            layer.set_rng(np.random.default_rng(s))
            if not layer.keep_random_draws() and type(layer).set_rng is not Layer.set_rng:
                self._reseeds.append((i, layer, s))

    def reseed(self, start: int = 0) -> None:
        """Before a training pass that starts at ``layers[start]``: give the random layers
        from there on that cannot keep their draws the generators ``freeze_randomness``
        gave them."""
        for i, layer, s in getattr(self, "_reseeds", ()):
            if i >= start:
                layer.set_rng(np.random.default_rng(s))

    # ---- training ----------------------------------------------------------------------

    def fit(self, X: np.ndarray, Y: np.ndarray, epochs: int = 10, batch_size: int = 32,
            optimizer: Optimizer | None = None,
            validation_data: tuple[np.ndarray, np.ndarray] | None = None,
            seed: int | None = None, shuffle: bool = True,
            callbacks: Sequence[Callback] = (), verbose: int = 1,
            guard: bool = True, live: bool = False,
            augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
            threads: int = 1) -> History:
        """Train with mini-batch gradient descent and return a ``History``.

        batch_size = m gives full-batch gradient descent, 1 per-example (stochastic) descent.
        optimizer defaults to ``Adam(1e-3)``. seed fixes the shuffling and dropout masks (by
        default they come from the model's seed, so a script is reproducible end to end).
        verbose=1 shows a progress bar per epoch, 0 nothing.

        callbacks: ``Callback`` objects whose hooks run during training (see ``Callback``).
        guard=True (the default) runs the guard callback first, which watches the numerics: a
        ``TrainingWarning`` flags what usually comes before a divergence (inputs not scaled,
        ``np.random.rand``-like weights, pre-activations far outside the useful range), and
        the first NaN or inf (in a step's cost, or in the parameters after an epoch) stops
        training with ``TrainingDiverged``, which names the layer and step, and carries the
        ``History`` of the finished epochs and the weights of the last one (``history``,
        ``weights``), which the model gets back. NumPy's own
        overflow warnings are silenced inside the step then, since the guard reports the
        same event with its cause. guard=False trains unchecked.

        live=True draws the cost and accuracy curves in place while training runs in
        Jupyter (``vg.LivePlot``), instead of the progress bars; outside Jupyter it changes
        nothing.

        augment: a function (X_batch, rng) -> X_batch of the same shape, applied to every
        training mini-batch with the run's random generator, e.g.
        ``vg.data.RandomShift(2)`` for images; validation data is used as it is.

        threads: how many threads compute each mini-batch, a slice of its examples each,
        with one BLAS thread apiece (``verigrad.parallel``; needs threadpoolctl, in the
        ``fast`` extra). threads=1 (the default) computes the whole batch on the calling
        thread and leaves BLAS its own threads. The result equals the one-thread run up to
        rounding, but dropout draws its masks slice by slice, so each thread count gives its
        own reproducible run. With threads > 1, ``model.activations`` and the layers'
        caches hold the first slice's forward pass, which callbacks (the Monitor) see.
        Layers that need the whole batch (batch norm) cannot be split.
        """
        if not isinstance(guard, (bool, np.bool_)):
            raise TypeError(f"guard must be True or False, got {guard!r}")
        callbacks = check_callbacks(callbacks)
        if live:
            plot = LivePlot()
            if plot.active:  # in Jupyter the curves replace the progress bars
                callbacks, verbose = [*callbacks, plot], 0
        run = functools.partial(fit, self, X, Y, epochs=epochs, batch_size=batch_size,
                                optimizer=optimizer, validation_data=validation_data,
                                seed=seed, shuffle=shuffle, verbose=verbose, augment=augment,
                                threads=threads)
        if not guard:
            return run(callbacks=callbacks)
        # the last callback: its epoch-end copy comes after the guard's check of the weights
        keeper = LastGoodWeights()
        try:
            return run(callbacks=[Guard(), *callbacks, keeper], numpy_warnings=False)
        except TrainingDiverged as err:
            keeper.restore(self, err)
            raise

    # ---- saving ------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The architecture as ``save`` records it: each layer's and the loss's type
        (``module.QualName``) and constructor arguments, l2, dtype and input shape."""
        return modelfile.architecture(self)

    def save(self, path: PathLike) -> None:
        """Write the weights and a JSON description of the architecture to one ``.npz`` file
        (no pickle). ``vg.load(path)`` rebuilds a model that predicts bit-identically."""
        modelfile.save(self, path)

    def summary_rows(self) -> tuple[list[tuple[str, str, str, str]], int]:
        """(rows, total): per layer its number, repr, output shape (one example) and
        parameter count, as strings; total: the parameters of the whole model."""
        rows: list[tuple[str, str, str, str]] = []
        shape, total = self.input_shape, 0
        for i, layer in enumerate(self.layers):
            # before the first batch of a model without input_shape, sizes from the first
            # one the layers leave open on read "?"
            try:
                shape = None if shape is None else layer.output_shape(shape)
            except UnknownSize:
                shape = None
            count = sum(p.size for p in layer.params.values())
            total += count
            rows.append((str(i), repr(layer), "?" if shape is None else describe_shape(shape),
                         f"{count:,}"))
        return rows, total

    def summary(self) -> str:
        """A table of the layers, their output sizes and parameter counts."""
        rows, total = self.summary_rows()
        table = [("#", "layer", "outputs", "params"), *rows]
        # the columns are as wide as their longest entry, so a long Conv2D repr stays aligned
        width = [max(len(row[k]) for row in table) for k in range(4)]
        lines = [f"{i:>{width[0]}}  {layer:<{width[1]}}  {shape:>{width[2]}}  {count:>{width[3]}}"
                 for i, layer, shape, count in table]
        return "\n".join([*lines, f"loss: {self.loss!r}   l2: {self.l2}   "
                          f"dtype: {self.dtype.name}   parameters: {total:,}"])

    def __repr__(self) -> str:
        return (f"Sequential({self.layers!r}, loss={self.loss!r}, l2={self.l2}, "
                f"dtype='{self.dtype.name}')")

    def _repr_html_(self) -> str:
        from .display.html import sequential_html
        return sequential_html(self)


ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid,
                                       "tanh": Tanh}


def mlp(sizes: Sequence[int], activation: str | type[Layer] | None = "relu", dropout: float = 0.0,
        init: str | None = None, loss: Loss | None = None, l2: float = 0.0,
        dtype: DTypeLike = "float32", seed: int | None = 0,
        batch_norm: bool = False) -> Sequential:
    """A multilayer perceptron: ``sizes`` = [n_in, hidden..., n_out].

    Each hidden layer is Dense (→ BatchNorm if batch_norm) → activation (→ Dropout(dropout)
    if dropout > 0); the last Dense outputs logits for ``loss`` (default
    ``SoftmaxCrossEntropy``). activation is one of the names in ``ACTIVATIONS``, an
    elementwise ``Layer`` class built without arguments (your own), or None for linear
    hidden layers. init defaults to "xavier" for linear
    layers and activations that saturate (that declare a ``saturation_limit``: sigmoid,
    tanh), "he" for the others (ReLU-type).

        vg.mlp([784, 256, 128, 10], dropout=0.2)
        vg.mlp([784, *[100] * 8, 10], activation="sigmoid", batch_norm=True)
    """
    unit: type[Layer] | None  # the activation's layer class
    if isinstance(activation, str) and activation in ACTIVATIONS:
        unit = ACTIVATIONS[activation]
    elif activation is None or (isinstance(activation, type) and issubclass(activation, Layer)
                                and activation.elementwise):
        unit = activation
    else:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, an elementwise "
                         f"Layer class or None, got {activation!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least [n_in, n_out], got {sizes!r}")
    if init is None:
        linear = unit is None or unit.saturation_limit is not None
        init = "xavier" if linear else "he"
    layers: list[Layer] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(Dense(n_in, n_out, init=init))
        if batch_norm:
            layers.append(BatchNorm(n_out))
        if unit is not None:
            layers.append(unit())
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(sizes[-2], sizes[-1], init=init))
    loss = SoftmaxCrossEntropy() if loss is None else loss
    return Sequential(layers, loss=loss, l2=l2, dtype=dtype, seed=seed)
