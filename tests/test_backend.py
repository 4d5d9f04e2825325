"""One backend resolver for every fast path: without numba, "auto" warns and runs the NumPy
reference, "numba" is an error that says how to install it, a bad name is refused."""
import warnings

import pytest

from verigrad import _backend


@pytest.fixture
def without_numba(monkeypatch):
    def refuse(name):
        raise ImportError("No module named 'numba'")

    _backend.load_kernels.cache_clear()
    monkeypatch.setattr(_backend.importlib, "import_module", refuse)
    yield
    _backend.load_kernels.cache_clear()


@pytest.mark.parametrize("module", ["_optim_kernels", "word2vec._kernels"])
def test_a_missing_numba_is_one_warning_and_the_numpy_reference(without_numba, module):
    with pytest.warns(RuntimeWarning, match=r"numba is not installed.*verigrad\[fast\]"):
        assert _backend.load_kernels(module, "auto") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once: the answer is kept, no second warning
        assert _backend.load_kernels(module, "auto") is None
    with pytest.raises(ImportError, match=r"backend='numba' needs numba: pip install"):
        _backend.load_kernels(module, "numba")
    assert _backend.load_kernels(module, "numpy") is None


def test_unknown_backends_are_refused():
    with pytest.raises(ValueError, match=r"backend must be one of \('auto', 'numba', 'numpy'\)"):
        _backend.check_backend("cuda")
