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
import math
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from . import layers as _layers
from . import losses as _losses
from ._files import PathLike, atomic_write
from .layers import Layer
from .losses import Loss

if TYPE_CHECKING:
    from .model import Sequential

#: custom classes for ``load``: by name, or a list of classes
Custom = Union[Mapping[str, type], Iterable[type]]

FORMAT = "verigrad.Sequential"
#: version 1 recorded bare class names; version 2 qualified names
VERSION = 2
#: the versions this verigrad reads
READABLE = (1, 2)


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


def architecture(model: "Sequential") -> dict:
    """The JSON-serialisable record of ``model``'s layers, loss, l2 and dtype."""
    def entry(obj):
        return {"type": qualified_name(type(obj)), "config": check_savable(obj)}

    return {"format": FORMAT, "version": VERSION,
            "layers": [entry(layer) for layer in model.layers],
            "loss": None if model.loss is None else entry(model.loss),
            "l2": model.l2, "dtype": model.dtype.name, "input_shape": list(model.input_shape)}


def save(model: "Sequential", path: PathLike) -> None:
    """Write ``model``'s weights, its state arrays and a JSON description of its architecture
    to one ``.npz`` file (``.npz`` is added to a name without it, as ``np.savez`` does). The
    file is written whole or not at all: an interrupted save leaves an earlier file of that
    name intact."""
    record = json.dumps(architecture(model))
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {name: np.asarray(value) for store in (model.params, model.state)
              for name, value in store.items()}
    with atomic_write(path) as file:
        np.savez(file, __architecture__=np.array(record), **arrays)


def load(path: PathLike, custom_layers: Optional[Custom] = None,
         custom_losses: Optional[Custom] = None) -> "Sequential":
    """Rebuild a model written by ``Sequential.save``.

    custom_layers, custom_losses: the classes of the file's layers and loss that are not
    built in and not registered (``register_layer``), as a dict keyed by the name the file
    records (``module.QualName``) or by the bare class name, or as a list of classes. They
    never replace a built-in: a key that names a built-in is an error.

    The file is not trusted: anything that is not a model this version can read -- not an
    ``.npz``, no or a malformed architecture record, a newer format version, arrays whose
    names, shapes or dtypes differ from what the record describes, int or complex arrays,
    NaN or inf weights -- is one ``ValueError`` naming the file and what is wrong. The
    record is checked against the stored arrays' headers before any layer is built, so a
    small file cannot make the loader allocate large arrays. Nothing is unpickled."""
    from .model import Sequential  # the model module saves through this one

    layer_types = _lookup(custom_layers, Layer, BUILTIN_LAYERS, "custom_layers")
    loss_types = _lookup(custom_losses, Loss, BUILTIN_LOSSES, "custom_losses")
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        # numpy's own advice for a file it cannot read is to unpickle it: not for us
        reason = ("it is neither an .npz archive nor a .npy array" if "pickle" in str(err)
                  else _reason(err))
        raise ValueError(f"{path} is not a verigrad model file: {reason}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is not a verigrad model file: it holds one array, not an "
                         f".npz archive")
    with archive:
        try:
            config = _read_record(archive)
            stored = _array_headers(archive)
            layers = _build_layers(config["layers"], stored,
                                   lambda name: layer_types(name, path))
            loss = config["loss"]
            loss = None if loss is None else loss_types(loss["type"], path)(**loss["config"])
            model = Sequential(layers, loss=loss, l2=config["l2"], dtype=config["dtype"],
                               input_shape=config.get("input_shape"))
            _check_names(model, stored)
            for store in (model.params, model.state):
                for name in store:
                    store[name] = _read_weights(archive, name, stored[name], model.dtype)
        except (ValueError, TypeError, KeyError, zipfile.BadZipFile, EOFError, OSError) as err:
            message = _reason(err)
            if str(path) in message:  # the registry's errors name the file already
                raise ValueError(message) from None
            raise ValueError(f"{path} is not a model this verigrad can load: {message}"
                             ) from None
    return model


def _reason(err):
    return str(err) if isinstance(err, (ValueError, TypeError)) else f"{type(err).__name__}: {err}"


def _read_record(archive):
    """The architecture record, checked for the format, its version and its fields."""
    if "__architecture__" not in archive.files:
        raise ValueError("no architecture record (it was not written by Sequential.save)")
    record = archive["__architecture__"]
    if record.dtype.kind != "U" or record.shape != ():
        raise ValueError("the architecture record is not a JSON string")
    config = json.loads(str(record))
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        found = config.get("format") if isinstance(config, dict) else config
        raise ValueError(f"it holds {found!r:.80}, not a {FORMAT} model")
    version = config.get("version")
    if version not in READABLE or isinstance(version, bool):
        newer = isinstance(version, int) and version > VERSION
        raise ValueError(f"format version {version!r:.20}; this verigrad reads versions "
                         f"{', '.join(map(str, READABLE))}"
                         + (": upgrade verigrad to load it" if newer else ""))
    layers = config.get("layers")
    if not isinstance(layers, list) or not all(
            isinstance(l, dict) and isinstance(l.get("type"), str)
            and isinstance(l.get("config"), dict) for l in layers):
        raise ValueError("'layers' must be a list of {'type': name, 'config': {...}}")
    loss = config.get("loss", "missing")
    if loss is not None and not (isinstance(loss, dict) and isinstance(loss.get("type"), str)
                                 and isinstance(loss.get("config"), dict)):
        raise ValueError("'loss' must be null or {'type': name, 'config': {...}}")
    return config


def _array_headers(archive):
    """name -> (shape, dtype) of every stored array but the record, read from the ``.npy``
    headers alone (no data), each checked against the size of its entry in the archive."""
    headers = {}
    for name in archive.files:
        if name == "__architecture__":
            continue
        info = archive.zip.getinfo(name + ".npy")
        with archive.zip.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = _NPY_HEADERS.get(version)
            if read_header is None:
                raise ValueError(f"array {name!r} is in .npy format {version}, not 1.0 or 2.0")
            shape, _, dtype = read_header(member)
            if dtype.hasobject or dtype.kind not in "biufc":
                raise ValueError(f"array {name!r} has dtype {dtype}, not numbers")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                raise ValueError(f"array {name!r} claims shape {shape}, more data than the "
                                 f"file holds")
        headers[name] = (tuple(shape), dtype)
    return headers


_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0}


def _build_layers(records, stored, layer_type):
    """The layers of ``records`` (classes found by ``layer_type(name)``), each checked
    against the stored arrays before it is built when its class can tell its parameter
    shapes from its config (built-ins can), else right after."""
    layers, k = [], 0
    for i, record in enumerate(records):
        cls = layer_type(record["type"])
        try:
            shapes = cls.parameter_shapes(**record["config"])
        except TypeError as err:  # arguments the class does not take
            raise ValueError(f"layers[{i}]: {str(err).replace('.parameter_shapes', '')}"
                             ) from None
        if shapes is None:  # the class cannot say: build it, then compare
            layer = cls(**record["config"])
            shapes = {name: value.shape for name, value in layer.params.items()}
            _compare(i, record["type"], k + 1, shapes, stored)
        else:
            _compare(i, record["type"], k + 1, shapes, stored)
            layer = cls(**record["config"])
        k += bool(shapes)
        layers.append(layer)
    return layers


def _compare(i, type_name, k, shapes, stored):
    for name, shape in shapes.items():
        key = f"{name}{k}"
        if key not in stored:
            raise ValueError(f"layers[{i}] ({type_name}) has a parameter {key}, which the "
                             f"file does not hold")
        if tuple(shape) != stored[key][0]:
            raise ValueError(f"layers[{i}] ({type_name}) needs {key} of shape "
                             f"{tuple(shape)}, the file holds {stored[key][0]}")


def _check_names(model, stored):
    missing = sorted((set(model.params) | set(model.state)) - set(stored))
    if missing:
        raise ValueError(f"it has no array {missing[0]}, which its architecture needs: the "
                         f"file is incomplete")
    extra = sorted(set(stored) - set(model.params) - set(model.state))
    if extra:
        raise ValueError(f"it holds arrays the architecture does not use: {', '.join(extra)}")


def _read_weights(archive, name, header, dtype):
    """The stored array ``name``, which must be a finite float array of the model's dtype
    (int, complex or another float type would be converted without a word)."""
    if header[1] != dtype:
        raise ValueError(f"{name} is stored as {header[1]}, but the model computes in "
                         f"{dtype}")
    value = archive[name]
    if not np.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or inf: not a usable model (saved after "
                         f"training diverged?)")
    return value


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
