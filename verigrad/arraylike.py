"""Arrays from NumPy or PyTorch, without importing PyTorch.

A learner's gradient may be a NumPy array, a PyTorch tensor, a list or a number; verigrad's
checks compute in NumPy. PyTorch is looked up in ``sys.modules`` only: a tensor can exist
only if its owner imported torch already, so the core never imports it.

    is_tensor(x)           # a torch.Tensor (False when torch was never imported)
    to_numpy(x)            # a NumPy array of a tensor (detached, on the CPU) or array-like
    tensor_pair(forward, backward, inputs)   # a PyTorch layer's pair, seen as a NumPy one
"""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np


def torch_module() -> ModuleType | None:
    """The ``torch`` module when it has been imported, else None."""
    return sys.modules.get("torch")


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a ``torch.Tensor``."""
    torch = torch_module()
    return torch is not None and isinstance(value, torch.Tensor)


def to_numpy(value: Any) -> np.ndarray:
    """``value`` as a NumPy array: a tensor detached and copied to the CPU (its dtype kept;
    bfloat16 and float16 become float32), anything else through ``np.asarray``."""
    if is_tensor(value):
        torch: Any = torch_module()
        value = value.detach()
        if value.dtype in (torch.bfloat16, torch.float16):
            value = value.float()
        return value.cpu().numpy()
    return np.asarray(value)


def dtype_name(value: Any) -> str:
    """The dtype of an array or tensor as a learner writes it (``torch.float32``,
    ``float64``)."""
    return str(getattr(value, "dtype", type(value).__name__))


def _to_tensors(value: Any) -> Any:
    """NumPy float arrays (also inside tuples, lists and dicts) as float64 tensors sharing
    their memory, so that the checker still sees an in-place change of an input."""
    torch: Any = torch_module()
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return torch.from_numpy(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iub":
        return torch.from_numpy(value)
    if isinstance(value, dict):
        return {k: _to_tensors(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_to_tensors(v) for v in value)
    return value


def _to_arrays(value: Any) -> Any:
    """Tensors (also inside tuples, lists and dicts) as NumPy arrays; the rest as given."""
    if is_tensor(value):
        return to_numpy(value).copy()
    if isinstance(value, dict):
        return {k: _to_arrays(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_to_arrays(v) for v in value)
    return value


def tensor_pair(forward: Callable[..., Any], backward: Callable[..., Any], inputs: tuple[Any, ...]
                ) -> tuple[Callable[..., Any], Callable[..., Any], tuple[Any, ...]]:
    """A forward/backward pair written with PyTorch tensors as one written with NumPy arrays.

    Returns (forward', backward', inputs'): inputs' holds NumPy arrays where inputs held
    tensors (floating ones in float64, so that central differences are precise); forward'
    hands its arrays to ``forward`` as tensors (float64) and reads its outputs back as
    arrays; the cache passes through untouched; backward' hands dout over as a tensor and
    reads the gradients back. The signatures are kept (``functools.wraps``), so the checker
    still finds the inputs' names and the keyword arguments backward shares with forward.
    """
    def as_input(value: Any) -> Any:
        if is_tensor(value):
            array = to_numpy(value)
            return array.astype(np.float64) if array.dtype.kind == "f" else array.copy()
        if isinstance(value, dict):
            return {k: as_input(v) for k, v in value.items()}
        return value

    @functools.wraps(forward)
    def numpy_forward(*args: Any, **kwargs: Any) -> Any:
        result = forward(*_to_tensors(args), **kwargs)
        if isinstance(result, tuple) and len(result) >= 2:
            # the cache (last) is the learner's own business: tensors stay tensors
            return (*_to_arrays(result[:-1]), result[-1])
        return _to_arrays(result)

    @functools.wraps(backward)
    def numpy_backward(*args: Any, **kwargs: Any) -> Any:
        douts, cache = args[:-1], args[-1]
        return _to_arrays(backward(*_to_tensors(douts), cache, **kwargs))

    return numpy_forward, numpy_backward, tuple(as_input(v) for v in inputs)
