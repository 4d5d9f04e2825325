"""Which implementation runs a fast path: the numba kernels when numba is installed (or
asked for), else the NumPy reference beside them.

backend "auto" uses numba when it is installed and warns once, the first time a fast path
falls back to NumPy without it; "numba" requires it; "numpy" always runs the reference.
"""
from __future__ import annotations

import functools
import importlib
import warnings
from types import ModuleType

BACKENDS = ("auto", "numba", "numpy")


def check_backend(backend: str) -> str:
    """Raise unless ``backend`` is one of BACKENDS; return it."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return backend


@functools.cache
def load_kernels(module: str, backend: str) -> ModuleType | None:
    """The numba kernels module ``verigrad.<module>``, or None for the NumPy reference
    (imported once, on first use: numba does not load with verigrad)."""
    if check_backend(backend) == "numpy":
        return None
    try:
        return importlib.import_module(f"{__package__}.{module}")
    except ImportError:
        if backend == "numba":
            raise ImportError("backend='numba' needs numba: pip install 'verigrad[fast]'") from None
        warnings.warn("numba is not installed, so verigrad runs the NumPy reference of its "
                      "compiled kernels (several times slower): pip install 'verigrad[fast]'",
                      RuntimeWarning, stacklevel=3)
        return None
