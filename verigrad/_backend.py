"""Which implementation runs a fast path: the numba kernels when numba is installed (or
asked for), else the NumPy reference beside them."""
import functools
import importlib

BACKENDS = ("auto", "numba", "numpy")


@functools.cache
def load_kernels(module, backend):
    """The numba kernels module ``verigrad.<module>``, or None for the NumPy reference
    (imported once, on first use: numba does not load with verigrad)."""
    if backend == "numpy":
        return None
    try:
        return importlib.import_module(f"{__package__}.{module}")
    except ImportError:
        if backend == "numba":
            raise ImportError("backend='numba' needs numba: pip install 'verigrad[fast]'") from None
        return None
