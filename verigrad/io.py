"""Loading models: ``load`` rebuilds the ``Sequential`` a file describes, trusting nothing
in the file. The format, ``save`` and the registry of layer and loss types are in
``verigrad.modelfile``; this module re-exports them, so ``verigrad.io.save`` and
``vg.register_layer`` stay where they were.
"""
from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

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
from .npzfile import MAX_RATIO, NpzArchive

__all__ = ["load", "save", "register_layer", "register_loss", "architecture", "check_savable",
           "qualified_name", "BUILTIN_LAYERS", "BUILTIN_LOSSES", "FORMAT", "VERSION",
           "READABLE"]


def load(path: PathLike, custom_layers: Custom | None = None,
         custom_losses: Custom | None = None, *, max_ratio: float = MAX_RATIO,
         max_bytes: int | None = None) -> Sequential:
    """Rebuild a model written by ``Sequential.save``.

    custom_layers, custom_losses: the classes of the file's layers and loss that are not
    built in and not registered (``register_layer``), as a dict keyed by the name the file
    records (``module.QualName``) or by the bare class name, or as a list of classes. They
    never replace a built-in: a key that names a built-in is an error.
    max_ratio: the load limit on expansion. Each array of the archive, and the archive as a
    whole, may take at most ``max_ratio`` (default 100) times its compressed size in memory,
    beyond a first MiB (``verigrad.npzfile.SMALL_BYTES``). Files written by ``save`` are
    stored, not compressed (1 time); a larger expansion is a zip bomb unless you know the
    file: then pass a larger ``max_ratio``.
    max_bytes: an optional bound on the bytes all the arrays take once read.

    The file is not trusted: anything that is not a model this version can read -- not an
    ``.npz``, no or a malformed architecture record, a newer format version, arrays whose
    names, shapes or dtypes differ from what the record describes, int or complex arrays,
    NaN or inf weights, members in folders or twice, an expansion beyond the limits -- is
    one ``ValueError`` naming the file and what is wrong. The record is checked against the
    stored arrays' headers before any layer is built, and every array's header against the
    built model before the array is read, so a small file cannot make the loader allocate
    large arrays. Nothing is unpickled."""
    layer_types = cast("Callable[[str, PathLike], type[Layer]]",
                       type_finder(custom_layers, Layer, "custom_layers"))
    loss_types = cast("Callable[[str, PathLike], type[Loss]]",
                      type_finder(custom_losses, Loss, "custom_losses"))
    path = Path(path)
    try:
        archive = NpzArchive(path, max_ratio=max_ratio, max_bytes=max_bytes)
    except ValueError as err:
        raise ValueError(f"{path} is not a verigrad model file: {err}") from None
    with archive:
        try:
            config = _read_record(archive)
            stored = {name: header for name, header in archive.headers.items()
                      if name != RECORD}
            layers = _build_layers(config["layers"], stored,
                                   lambda name: layer_types(name, path))
            loss = config["loss"]
            loss = None if loss is None else loss_types(loss["type"], path)(**loss["config"])
            model = Sequential(layers, loss=loss, l2=config["l2"], dtype=config["dtype"],
                               input_shape=config.get("input_shape"))
            _check_names(model, stored)
            for store in (model.params, model.state):
                for name in store:
                    store[name] = _read_weights(archive, name, store[name].shape, model.dtype)
        except (ValueError, TypeError, KeyError, zipfile.BadZipFile, EOFError, OSError) as err:
            message = _reason(err)
            if str(path) in message:  # the registry's errors name the file already
                raise ValueError(message) from None
            raise ValueError(f"{path} is not a model this verigrad can load: {message}"
                             ) from None
    return model


def _reason(err: BaseException) -> str:
    return str(err) if isinstance(err, (ValueError, TypeError)) else f"{type(err).__name__}: {err}"


#: the name of the architecture record in a model file
RECORD = "__architecture__"
#: the longest architecture record read, in characters (a record of 1000 layers takes
#: about 100 000)
MAX_RECORD_CHARS = 1 << 20
#: what ``NpzArchive.headers`` holds for each array: (shape, dtype)
Header = tuple[tuple[int, ...], np.dtype]


def _read_record(archive: NpzArchive) -> dict[str, Any]:
    """The architecture record, checked for its size (before it is read), the format, its
    version and its fields."""
    if RECORD not in archive.headers:
        raise ValueError("no architecture record (it was not written by Sequential.save)")
    shape, dtype = archive.headers[RECORD]
    if dtype.kind != "U" or shape != ():
        raise ValueError("the architecture record is not a JSON string")
    if dtype.itemsize // 4 > MAX_RECORD_CHARS:
        raise ValueError(f"the architecture record {RECORD!r} is {dtype.itemsize // 4} "
                         f"characters long, more than the {MAX_RECORD_CHARS} a model needs")
    record = archive.read(RECORD, shape, dtype)
    try:
        config = json.loads(str(record))
    except RecursionError:
        raise ValueError("the architecture record is nested too deeply to be a model"
                         ) from None
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


def _build_layers(records: list[dict[str, Any]], stored: Mapping[str, Header],
                  layer_type: Callable[[str], type[Layer]]) -> list[Layer]:
    """The layers of ``records`` (classes found by ``layer_type(name)``). Before any is
    built, the layers whose class can tell its parameter shapes from its config (built-ins
    can) are compared with the stored arrays' headers, up to the first that cannot, and the
    parameters they declare in all with the numbers the file holds; then each layer is
    built and its parameters compared again."""
    classes, shapes = [], []
    for i, record in enumerate(records):  # every layer that can tell, before any is built
        cls = layer_type(record["type"])
        try:
            known = (cls.parameter_shapes(**record["config"]) if _knows_its_shapes(cls)
                     else None)
        except TypeError as err:  # arguments the class does not take
            raise ValueError(f"layers[{i}]: {str(err).replace('.parameter_shapes', '')}"
                             ) from None
        # every parameterised built-in tells its shapes: one that does not has none
        shapes.append({} if known is None and cls in BUILTIN_LAYERS.values() else known)
        classes.append(cls)
    k = 0
    for i, (record, known) in enumerate(zip(records, shapes)):
        if known is None:  # the numbers of the later layers' parameters depend on it
            break
        _compare(i, record["type"], k + 1, known, stored)
        k += bool(known)
    declared = sum(math.prod(shape) for known in shapes if known for shape in known.values())
    held = sum(math.prod(shape) for shape, _ in stored.values())
    if declared > held:
        raise ValueError(f"its architecture declares {declared} parameters, the file holds "
                         f"{held} numbers")
    layers, k = [], 0
    for i, (record, cls) in enumerate(zip(records, classes)):
        layer = cls(**record["config"])
        built = {name: value.shape for name, value in layer.params.items()}
        _compare(i, record["type"], k + 1, built, stored)
        k += bool(built)
        layers.append(layer)
    return layers


def _knows_its_shapes(cls: type[Layer]) -> bool:
    """Whether ``cls.parameter_shapes`` speaks for ``cls``: a built-in, or a class whose
    constructor is that of the class defining ``parameter_shapes`` (a subclass with a
    constructor of its own may take other arguments or make other shapes)."""
    owner = cast("type[Layer]", next(c for c in cls.__mro__ if "parameter_shapes" in vars(c)))
    return cls in BUILTIN_LAYERS.values() or owner.__init__ is cls.__init__


def _compare(i: int, type_name: str, k: int, shapes: Mapping[str, tuple[int, ...]],
             stored: Mapping[str, Header]) -> None:
    for name, shape in shapes.items():
        key = f"{name}{k}"
        if key not in stored:
            raise ValueError(f"layers[{i}] ({type_name}) has a parameter {key}, which the "
                             f"file does not hold")
        if tuple(shape) != stored[key][0]:
            raise ValueError(f"layers[{i}] ({type_name}) needs {key} of shape "
                             f"{tuple(shape)}, the file holds {stored[key][0]}")


def _check_names(model: Sequential, stored: Mapping[str, Header]) -> None:
    missing = sorted((set(model.params) | set(model.state)) - set(stored))
    if missing:
        raise ValueError(f"it has no array {missing[0]}, which its architecture needs: the "
                         f"file is incomplete")
    extra = sorted(set(stored) - set(model.params) - set(model.state))
    if extra:
        raise ValueError(f"it holds arrays the architecture does not use: {', '.join(extra)}")


def _read_weights(archive: NpzArchive, name: str, shape: tuple[int, ...],
                  dtype: np.dtype) -> np.ndarray:
    """The stored array ``name``, read only if its header says ``shape`` and the model's
    float dtype (int, complex or another float type would be converted without a word),
    and finite."""
    stored_dtype = archive.headers[name][1]
    if stored_dtype != dtype:
        raise ValueError(f"{name} is stored as {stored_dtype}, but the model computes in "
                         f"{dtype}")
    value = archive.read(name, shape, dtype)
    if not np.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or inf: not a usable model (saved after "
                         f"training diverged?)")
    return value
