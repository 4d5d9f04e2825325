"""Saving and loading models, and the registry of the layer and loss types they are rebuilt
from.

A model file is one ``.npz``: the parameters by name (W1, b1, ...), the layers' state arrays
by name (running_mean2, running_var2, ... for a batch norm: no gradient, but evaluation reads
them) and ``__architecture__``, a JSON record of each layer's and the loss's type and
constructor arguments (no pickle).

A type is recorded by its qualified name, ``module.QualName``. The built-in layers and
losses are recorded under their public names (``verigrad.layers.Dense``,
``verigrad.losses.MSE``) and always load from a fixed table, so no class a program defines,
whatever its name, changes what a file builds. Any other type must be named when loading,
``vg.load(path, custom_layers={"Scale": Scale})``, or registered once,
``vg.register_layer(Scale)``. Defining a class registers nothing.
"""
import inspect
import json
from collections.abc import Iterable, Mapping
from typing import Optional, Union

import numpy as np

from . import layers as _layers
from . import losses as _losses
from .layers import Layer
from .losses import Loss

#: custom classes for ``load``: by name, or a list of classes
Custom = Union[Mapping[str, type], Iterable[type]]

FORMAT = "verigrad.Sequential"
#: version 1 recorded bare class names; version 2 qualified names
VERSION = 2


def _builtins(module, base):
    """{public qualified name: class} for every ``base`` subclass ``module`` exports."""
    found = {}
    for name in dir(module):
        value = getattr(module, name)
        if isinstance(value, type) and issubclass(value, base) and value is not base:
            found[f"{module.__name__}.{name}"] = value
    return found


BUILTIN_LAYERS = _builtins(_layers, Layer)
BUILTIN_LOSSES = _builtins(_losses, Loss)
_REGISTERED = {Layer: {}, Loss: {}}


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
    return _register(cls, Layer, BUILTIN_LAYERS)


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Let ``vg.load`` rebuild losses of class ``cls`` (as ``register_layer`` for layers)."""
    return _register(cls, Loss, BUILTIN_LOSSES)


def _register(cls, base, builtins):
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"register_{base.__name__.lower()} takes a subclass of "
                        f"verigrad.{base.__name__}, got {cls!r}")
    name = qualified_name(cls)
    if name not in builtins:  # a built-in needs no registration
        _REGISTERED[base][name] = cls  # a class defined again (a notebook cell) replaces
    return cls


def check_savable(obj: Union[Layer, Loss]) -> dict:
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
        json.dumps(config)
    except TypeError as err:
        raise ValueError(f"{cls.__name__}.get_config() must return JSON values: {err}") from None
    return config


def architecture(model) -> dict:
    """The JSON-serialisable record of ``model``'s layers, loss, l2 and dtype."""
    def entry(obj):
        return {"type": qualified_name(type(obj)), "config": check_savable(obj)}

    return {"format": FORMAT, "version": VERSION,
            "layers": [entry(layer) for layer in model.layers],
            "loss": None if model.loss is None else entry(model.loss),
            "l2": model.l2, "dtype": model.dtype.name, "input_shape": list(model.input_shape)}


def save(model, path) -> None:
    """Write ``model``'s weights, its state arrays and a JSON description of its architecture
    to one ``.npz`` file."""
    record = json.dumps(architecture(model))
    arrays = {name: np.asarray(value) for store in (model.params, model.state)
              for name, value in store.items()}
    np.savez(path, __architecture__=np.array(record), **arrays)


def load(path, custom_layers: Optional[Custom] = None,
         custom_losses: Optional[Custom] = None):
    """Rebuild a model written by ``Sequential.save``.

    custom_layers, custom_losses: the classes of the file's layers and loss that are not
    built in and not registered (``register_layer``), as a dict keyed by the name the file
    records (``module.QualName``) or by the bare class name, or as a list of classes. They
    never replace a built-in: a key that names a built-in is an error."""
    from .model import Sequential  # the model module saves through this one

    layer_types = _lookup(custom_layers, Layer, BUILTIN_LAYERS, "custom_layers")
    loss_types = _lookup(custom_losses, Loss, BUILTIN_LOSSES, "custom_losses")
    with np.load(path, allow_pickle=False) as data:
        if "__architecture__" not in data:
            raise ValueError(f"{path} is not a verigrad model file (no architecture record)")
        config = json.loads(str(data["__architecture__"]))
        if config.get("format") != FORMAT:
            raise ValueError(f"{path} holds {config.get('format')!r}, not a {FORMAT} model")
        layers = [layer_types(entry["type"], path)(**entry["config"])
                  for entry in config["layers"]]
        loss = None if config["loss"] is None else \
            loss_types(config["loss"]["type"], path)(**config["loss"]["config"])
        model = Sequential(layers, loss=loss, l2=config["l2"], dtype=config["dtype"],
                           input_shape=config.get("input_shape"))
        for store in (model.params, model.state):
            for name in store:
                if name not in data:
                    raise ValueError(f"{path} has no array {name!r}, which its architecture "
                                     f"needs: the file is incomplete")
                store[name] = data[name]
    return model


def _lookup(custom, base, builtins, argument):
    """A function from a recorded type name to its class: built-ins (by their public name,
    or their bare name as version 1 files record it), then ``custom``, then registered."""
    bare_builtins = {name.rsplit(".", 1)[1]: cls for name, cls in builtins.items()}
    if custom is None:
        custom = {}
    elif not isinstance(custom, dict):
        custom = {qualified_name(cls): cls for cls in custom}
    for key, cls in custom.items():
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(f"{argument}[{key!r}] must be a subclass of verigrad."
                            f"{base.__name__}, got {cls!r}")
        if key in builtins or key in bare_builtins:
            raise ValueError(f"{argument} names {key!r}, a built-in {base.__name__.lower()}: "
                             f"a file's built-ins always load as built-ins. Key your class by "
                             f"the name the file records for it, {qualified_name(cls)!r}")
    kind = base.__name__.lower()

    def find(name, path):
        bare = name.rsplit(".", 1)[-1]
        for table, key in ((builtins, name), (bare_builtins, name), (custom, name),
                           (_REGISTERED[base], name), (custom, bare)):
            if key in table:
                return table[key]
        raise ValueError(f"{path} has a {kind} of type {name!r}, which is not built into "
                         f"verigrad: pass vg.load(path, {argument}={{{bare!r}: YourClass}}) or "
                         f"call vg.register_{kind}(YourClass) before loading")

    return find
