"""Saving and loading models, and the registry of layer and loss types they are rebuilt from.

A model file is one ``.npz``: the parameters by name (W1, b1, ...), the layers' state arrays
by name (running_mean2, running_var2, ... for a batch norm: no gradient, but evaluation reads
them) and ``__architecture__``, a JSON record of each layer's and the loss's type and
constructor arguments (no pickle).
Every ``Layer`` and ``Loss`` subclass is registered under its class name when it is defined.
"""
import json

import numpy as np

FORMAT = "verigrad.Sequential"

_LAYER_TYPES = {}
_LOSS_TYPES = {}


def layer_from_config(name, config):
    """Rebuild a layer saved by ``Sequential.save`` from its class name and config."""
    if name not in _LAYER_TYPES:
        raise ValueError(f"unknown layer type {name!r}: import the module that defines it "
                         f"before loading (known: {sorted(_LAYER_TYPES)})")
    return _LAYER_TYPES[name](**config)


def loss_from_config(name, config):
    if name not in _LOSS_TYPES:
        raise ValueError(f"unknown loss {name!r} (known: {sorted(_LOSS_TYPES)})")
    return _LOSS_TYPES[name](**config)


def save(model, path):
    """Write ``model``'s weights, its state arrays and a JSON description of its architecture
    to one ``.npz`` file."""
    arrays = {name: np.asarray(value) for store in (model.params, model.state)
              for name, value in store.items()}
    np.savez(path, __architecture__=np.array(json.dumps(model.get_config())), **arrays)


def load(path):
    """Rebuild a model written by ``Sequential.save``."""
    from .model import Sequential  # the model module saves through this one

    with np.load(path, allow_pickle=False) as data:
        if "__architecture__" not in data:
            raise ValueError(f"{path} is not a verigrad model file (no architecture record)")
        config = json.loads(str(data["__architecture__"]))
        if config.get("format") != FORMAT:
            raise ValueError(f"{path} holds {config.get('format')!r}, not a {FORMAT} model")
        layers = [layer_from_config(l["type"], l["config"]) for l in config["layers"]]
        loss = None if config["loss"] is None else loss_from_config(config["loss"]["type"],
                                                                    config["loss"]["config"])
        model = Sequential(layers, loss=loss, l2=config["l2"], dtype=config["dtype"],
                           input_shape=config.get("input_shape"))
        for store in (model.params, model.state):
            for name in store:
                if name not in data:
                    raise ValueError(f"{path} has no array {name!r}, which its architecture "
                                     f"needs: the file is incomplete")
                store[name] = data[name]
    return model
