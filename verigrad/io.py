"""Loading models: ``load`` rebuilds the ``Sequential`` a file describes, trusting nothing
in the file. The format, ``save`` and the registry of layer and loss types are in
``verigrad.modelfile``; this module re-exports them, so ``verigrad.io.save`` and
``vg.register_layer`` stay where they were.
"""
from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from ._files import PathLike
from .layers import Layer
from .losses import Loss
from .model import Sequential
from .modelfile import (
    BUILTIN_LAYERS,
    BUILTIN_LOSSES,
    FORMAT,
    READABLE,
    VERSION,
    Custom,
    architecture,
    check_savable,
    qualified_name,
    register_layer,
    register_loss,
    save,
    type_finder,
)

__all__ = ["load", "save", "register_layer", "register_loss", "architecture", "check_savable",
           "qualified_name", "BUILTIN_LAYERS", "BUILTIN_LOSSES", "FORMAT", "VERSION",
           "READABLE"]


def load(path: PathLike, custom_layers: Custom | None = None,
         custom_losses: Custom | None = None) -> Sequential:
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
    layer_types = type_finder(custom_layers, Layer, "custom_layers")
    loss_types = type_finder(custom_losses, Loss, "custom_losses")
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
            shapes = (cls.parameter_shapes(**record["config"]) if _knows_its_shapes(cls)
                      else None)
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


def _knows_its_shapes(cls):
    """Whether ``cls.parameter_shapes`` speaks for ``cls``: a built-in, or a class whose
    constructor is that of the class defining ``parameter_shapes`` (a subclass with a
    constructor of its own may take other arguments or make other shapes)."""
    owner = next(c for c in cls.__mro__ if "parameter_shapes" in vars(c))
    return cls in BUILTIN_LAYERS.values() or owner.__init__ is cls.__init__


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
