"""The model file format, and the registry of the layer and loss types a file is rebuilt from.

A model file is one ``.npz``: the parameters by name (W1, b1, ...), the layers' state arrays
by name (running_mean2, running_var2, ... for a batch norm: no gradient, but evaluation reads
them) and ``__architecture__``, a JSON record of each layer's and the loss's type and
constructor arguments (no pickle). ``save`` writes one; ``verigrad.io.load`` reads it back.

A type is recorded by its qualified name, ``module.QualName``. The built-in layers and
losses are recorded under their public names (``verigrad.layers.Dense``,
``verigrad.losses.MSE``) and always load from a fixed table, so no class a program defines,
whatever its name, changes what a file builds. Any other type must be named when loading,
``vg.load(path, custom_layers={"Scale": Scale})``, or registered once,
``vg.register_layer(Scale)``. Defining a class registers nothing.
"""
from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast

import numpy as np

from . import layers as builtin_layers
from . import losses as builtin_losses
from ._files import PathLike, atomic_write
from .layers import Layer
from .losses import Loss

if TYPE_CHECKING:
    from .layers import Shape
    from .model import Sequential

#: custom classes for ``load``: by name, or a list of classes
Custom = Union[Mapping[str, type], Iterable[type]]

FORMAT = "verigrad.Sequential"
#: version 1 recorded bare class names; version 2 qualified names
VERSION = 2
#: the versions this verigrad reads
READABLE = (1, 2)

#: Layer or Loss, in the helpers that serve both
T = TypeVar("T", Layer, Loss)


def _builtins(module: ModuleType, base: type) -> dict[str, type]:
    """{public qualified name: class} for every ``base`` subclass ``module`` exports."""
    found: dict[str, type] = {}
    for name in dir(module):
        value = getattr(module, name)
        # a type alias such as Shape = tuple[...] is a ``type`` on Python 3.9, and
        # issubclass refuses it there
        if (isinstance(value, type) and not hasattr(value, "__origin__")
                and issubclass(value, base) and value is not base):
            found[f"{module.__name__}.{name}"] = value
    return found


BUILTIN_LAYERS = cast("dict[str, type[Layer]]", _builtins(builtin_layers, Layer))
BUILTIN_LOSSES = cast("dict[str, type[Loss]]", _builtins(builtin_losses, Loss))
_BUILTINS: dict[type, Mapping[str, type]] = {Layer: BUILTIN_LAYERS, Loss: BUILTIN_LOSSES}
_REGISTERED: dict[type, dict[str, type]] = {Layer: {}, Loss: {}}


def layer_types() -> dict[str, type[Layer]]:
    """{recorded name: class} of every layer a file can name without ``custom_layers``: the
    built-ins, then the classes given to ``register_layer``."""
    return {**BUILTIN_LAYERS, **cast("dict[str, type[Layer]]", _REGISTERED[Layer])}


def loss_types() -> dict[str, type[Loss]]:
    """{recorded name: class} of the built-in and registered losses."""
    return {**BUILTIN_LOSSES, **cast("dict[str, type[Loss]]", _REGISTERED[Loss])}


def qualified_name(cls: type) -> str:
    """The name a file records for ``cls``: the public name of a built-in, else
    ``module.QualName``."""
    for table in (BUILTIN_LAYERS, BUILTIN_LOSSES):
        for name, builtin in table.items():
            if builtin is cls:
                return name
    return f"{cls.__module__}.{cls.__qualname__}"


def register_layer(cls: type[Layer]) -> type[Layer]:
    """Let ``vg.load`` rebuild layers of class ``cls`` from any file that names it (by its
    qualified name, ``module.QualName``). Returns ``cls``, so it works as a decorator."""
    return _register(cls, Layer)


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Let ``vg.load`` rebuild losses of class ``cls`` (as ``register_layer`` for layers)."""
    return _register(cls, Loss)


def _register(cls: type[T], base: type) -> type[T]:
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"register_{base.__name__.lower()} takes a subclass of "
                        f"verigrad.{base.__name__}, got {cls!r}")
    name = qualified_name(cls)
    if name not in _BUILTINS[base]:  # a built-in needs no registration
        _REGISTERED[base][name] = cls  # a class defined again (a notebook cell) replaces
    return cls


def check_savable(obj: Layer | Loss) -> dict[str, Any]:
    """Raise unless ``obj`` (a layer or a loss) can be rebuilt from its ``get_config()``."""
    cls = type(obj)
    if cls.get_config is (Layer.get_config if isinstance(obj, Layer) else Loss.get_config):
        arguments = [p for name, p in inspect.signature(cls.__init__).parameters.items()
                     if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if arguments:
            names = ", ".join(p.name for p in arguments)
            raise ValueError(f"{cls.__name__} takes constructor arguments ({names}) but does "
                             f"not define get_config(), so a saved model could only rebuild it "
                             f"with their defaults: define get_config() returning them, e.g. "
                             f"{{{', '.join(f'{p.name!r}: self.{p.name}' for p in arguments)}}}")
    config = obj.get_config()
    try:
        inspect.signature(cls).bind(**config)
    except TypeError as err:
        # a subclass with a constructor of its own that inherits its parent's get_config()
        raise ValueError(f"{cls.__name__}.get_config() returns {sorted(config)}, which do not "
                         f"rebuild it ({err}): define get_config() returning the arguments of "
                         f"{cls.__name__}.__init__") from None
    try:
        json.dumps(config)
    except TypeError as err:
        raise ValueError(f"{cls.__name__}.get_config() must return JSON values: {err}") from None
    return config


def architecture(model: Sequential) -> dict[str, Any]:
    """The JSON-serialisable record of ``model``'s layers, loss, l2 and dtype."""
    def entry(obj: Layer | Loss) -> dict[str, Any]:
        return {"type": qualified_name(type(obj)), "config": check_savable(obj)}

    return {"format": FORMAT, "version": VERSION,
            "layers": [entry(layer) for layer in model.layers],
            "loss": None if model.loss is None else entry(model.loss),
            "l2": model.l2, "dtype": model.dtype.name,
            # a built model knows its input shape
            "input_shape": (list(cast("Shape", model.input_shape)) if model.built
                            else None)}


def save(model: Sequential, path: PathLike) -> None:
    """Write ``model``'s weights, its state arrays and a JSON description of its architecture
    to one ``.npz`` file (``.npz`` is added to a name without it, as ``np.savez`` does). The
    file is written whole or not at all: an interrupted save leaves an earlier file of that
    name intact."""
    record = json.dumps(architecture(model))
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    # Any: numpy's stubs check savez's **arrays against its allow_pickle flag
    arrays: dict[str, Any] = {name: np.asarray(value) for store in (model.params, model.state)
                              for name, value in store.items()}
    with atomic_write(path) as file:
        np.savez(file, __architecture__=np.array(record), **arrays)


def type_finder(custom: Custom | None, base: type,
                argument: str) -> Callable[[str, PathLike], type]:
    """A function (name, path) -> class, from a type name a file records to its class, for
    ``base`` (``Layer`` or ``Loss``): built-ins (by their public name, or their bare name as
    version 1 files record it), then ``custom`` (the ``load`` argument called ``argument``),
    then registered classes. The function raises ValueError naming ``path`` for a name it
    cannot find."""
    builtins = _BUILTINS[base]
    bare_builtins = {name.rsplit(".", 1)[1]: cls for name, cls in builtins.items()}
    if custom is None:
        custom = {}
    elif not isinstance(custom, dict):
        custom = {qualified_name(cls): cls for cls in cast("Iterable[type]", custom)}
    for key, cls in custom.items():
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(f"{argument}[{key!r}] must be a subclass of verigrad."
                            f"{base.__name__}, got {cls!r}")
        if key in builtins or key in bare_builtins:
            raise ValueError(f"{argument} names {key!r}, a built-in {base.__name__.lower()}: "
                             f"a file's built-ins always load as built-ins. Key your class by "
                             f"the name the file records for it, {qualified_name(cls)!r}")
    kind = base.__name__.lower()

    def find(name: str, path: PathLike) -> type:
        bare = name.rsplit(".", 1)[-1]
        for table, key in ((builtins, name), (bare_builtins, name), (custom, name),
                           (_REGISTERED[base], name), (custom, bare)):
            if key in table:
                return table[key]
        raise ValueError(f"{path} has a {kind} of type {name!r}, which is not built into "
                         f"verigrad: pass vg.load(path, {argument}={{{bare!r}: YourClass}}) or "
                         f"call vg.register_{kind}(YourClass) before loading")

    return find
