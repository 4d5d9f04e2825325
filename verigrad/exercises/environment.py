"""What a learner's file needs from around it, so that the check can tell their mistake
from their environment's: the courses' helper modules, packages that are not installed,
and the NumPy the courses were written for.

- Course helper modules (``dnn_utils``, ``testCases``, ``rnn_utils``, ...) live beside the
  course's notebooks; a notebook checked elsewhere cannot import them. Their provided
  functions (``sigmoid``, ``relu``, ``relu_backward``, ``softmax``, ...) are given code, not
  exercises: ``provided_helpers`` supplies equivalents built on verigrad's own layers, with
  the calling convention of the module that failed to import.
- A package that is not installed is named with the command that installs it.
- Code written for Python 2 with the ``future`` package (``from past.builtins import
  xrange``, as CS231n's 2016-2017 files have it) gets ``StandIns``' stand-in for
  ``past.builtins`` when ``future`` is not installed: the names as ``future`` defines them
  on Python 3; so does CS231n's Cython ``im2col_cython`` when it is not built (NumPy
  equivalents of the course's given functions).
- ``numpy_1`` is a stand-in for the ``numpy`` module that only the learner's namespace
  sees: NumPy as it is, plus the aliases NumPy 1.x had (``np.int``, ``np.float``,
  ``np.asscalar``, ``np.NaN``, ...); ``float`` and ``int`` there also accept a one-element
  array, as they did before NumPy 2. Nothing is patched in NumPy itself.
"""
from __future__ import annotations

import builtins
import functools
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Collection, Iterable
from typing import Any

import numpy as np

from ..functional import sigmoid as _sigmoid
from ..functional import softmax as _softmax
from ..layers import Layer, ReLU, Sigmoid, Tanh

#: the courses' helper modules: they come with the notebooks, not from pip
COURSE_MODULES = ("dnn_utils", "dnn_app_utils", "testCases", "testcases", "public_tests",
                  "test_utils", "rnn_utils", "opt_utils", "gc_utils", "reg_utils",
                  "init_utils", "lr_utils", "planar_utils", "cnn_utils", "utils",
                  "shakespeare_utils", "emo_utils", "nmt_utils", "w2v_utils", "yad2k",
                  "outputs", "cs231n", "data_utils", "gradient_check", "layer_utils",
                  "fc_net", "solver", "vis_utils", "fast_layers", "im2col", "coco_utils",
                  "image_utils", "classifiers", "resnets_utils", "kt_utils", "fr_utils",
                  "inception_blocks", "nst_utils", "tf_utils", "improv_utils", "td_utils",
                  "music_utils", "preprocess", "grader", "deeplearning", "data_prep",
                  "qa_utils", "w1_unittest", "w2_unittest", "w3_unittest", "w4_unittest",
                  "unittests", "test_cases", "dlai_grader")

#: import name -> the name pip installs it under, where they differ
PIP_NAMES = {"PIL": "pillow", "sklearn": "scikit-learn", "cv2": "opencv-python",
             "skimage": "scikit-image", "yaml": "pyyaml", "tensorflow_datasets":
             "tensorflow-datasets", "IPython": "ipython", "bs4": "beautifulsoup4",
             "past": "future"}


def is_course_module(name: str) -> bool:
    """Whether ``name`` (a top-level module) is one of the courses' helper modules (also a
    versioned one: ``dnn_utils_v2``, ``testCases_v4a``, ``public_tests``)."""
    name = name.split(".")[0]
    return any(name == m or name.startswith(m + "_v") or name.startswith(m + "V")
               for m in COURSE_MODULES) or name.startswith(("testCase", "test_case"))


def missing_module_note(module: str, place: str) -> str:
    """What to tell the learner whose import of ``module`` failed at ``place``."""
    top = module.split(".")[0]
    if is_course_module(top):
        return (f"{place}: {top} is one of the course's helper modules and is not beside the "
                f"file; the import was skipped (put the file in the course's folder to use "
                f"it). This is not a mistake in your code.")
    return (f"{place}: the package {top} is not installed (pip install "
            f"{PIP_NAMES.get(top, top)}); the import was skipped. This is not a mistake in "
            f"your code.")


# ---- the provided helpers -------------------------------------------------------------------


def _with_cache(layer: type[Layer]) -> Callable[[Any], tuple[np.ndarray, Any]]:
    def activation(Z: Any) -> tuple[np.ndarray, Any]:
        return layer().forward(np.asarray(Z, dtype=float)), Z
    return activation


def _backward_from_cache(layer: type[Layer]) -> Callable[[Any, Any], np.ndarray | None]:
    def activation_backward(dA: Any, cache: Any) -> np.ndarray | None:
        unit = layer()
        unit.forward(np.asarray(cache, dtype=float))
        return unit.backward(np.asarray(dA, dtype=float))
    return activation_backward


def _plain(layer: type[Layer]) -> Callable[[Any], np.ndarray]:
    def activation(x: Any) -> np.ndarray:
        return layer().forward(np.asarray(x, dtype=float))
    return activation


def _column_softmax(x: Any) -> np.ndarray:
    return _softmax(np.asarray(x, dtype=float), axis=0)


#: name -> function, as dnn_utils gives them: an activation returns (A, cache = Z) and
#: its backward takes (dA, cache)
_WITH_CACHE: dict[str, Callable[..., Any]]
_WITH_CACHE = {"sigmoid": _with_cache(Sigmoid), "relu": _with_cache(ReLU),
               "sigmoid_backward": _backward_from_cache(Sigmoid),
               "relu_backward": _backward_from_cache(ReLU)}
#: as planar_utils, init_utils, reg_utils, gc_utils, opt_utils and rnn_utils give them:
#: an activation returns its output only
_PLAIN: dict[str, Callable[..., Any]]
_PLAIN = {"sigmoid": lambda x: _sigmoid(np.asarray(x, dtype=float)), "relu": _plain(ReLU),
          "tanh": _plain(Tanh), "softmax": _column_softmax}


def _mean_cross_entropy(a3: Any, Y: Any) -> float:
    """The course 2 helpers' cost: the cross-entropy of probabilities a3 (1, m) against
    labels Y, a mean over the m examples (NaN terms, from log 0, left out as they do)."""
    a3, Y = np.asarray(a3, dtype=float), np.asarray(Y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -(Y * np.log(a3) + (1 - Y) * np.log(1 - a3))
    return float(np.nansum(terms) / Y.shape[1])


#: helpers that only some modules provide: module -> name -> function
_BY_MODULE: dict[str, dict[str, Callable[..., Any]]]
_BY_MODULE = {"reg_utils": {"compute_cost": _mean_cross_entropy},
              "opt_utils": {"compute_cost": _mean_cross_entropy},
              "init_utils": {"compute_loss": _mean_cross_entropy}}
HELPER_NAMES = frozenset(_WITH_CACHE) | frozenset(_PLAIN) | frozenset(
    name for extra in _BY_MODULE.values() for name in extra)


def provided_helpers(failed_modules: Collection[str], wanted: Iterable[str],
                     unpacked: Collection[str] = ()) -> dict[str, Callable[..., Any]]:
    """Equivalents of the courses' provided helpers among ``wanted`` (names the learner's
    functions use but the file neither defines nor imports). The convention follows the
    modules whose import failed: dnn_utils' activations return (A, cache); the others'
    return A. Without a failed module, a name the learner unpacks into two (``A, cache =
    relu(Z)``, names in ``unpacked``) gets the dnn_utils form."""
    dnn = any(m.split(".")[0].startswith(("dnn_utils", "dnn_app_utils"))
              for m in failed_modules)
    extra = {name: function for module in failed_modules
             for prefix, given in _BY_MODULE.items() if module.startswith(prefix)
             for name, function in given.items()}
    chosen: dict[str, Callable[..., Any]] = {}
    for name in sorted(set(wanted) & HELPER_NAMES):
        cached = name in _WITH_CACHE and (dnn or (not failed_modules and name in unpacked))
        function = extra.get(name) or (_WITH_CACHE if cached else _PLAIN).get(name)
        if function is not None:
            chosen[name] = function
    return chosen


# ---- Python 2's names, as the future package gives them on Python 3 ----------------------


class _Basestring(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, (str, bytes))


#: past.builtins' names on Python 3 (``range``, ``map``, ``filter`` and ``zip`` return
#: lists there, as in Python 2)
_PAST_BUILTINS: dict[str, Any] = {
    "xrange": range, "range": lambda *a: list(range(*a)), "unicode": str, "long": int,
    "basestring": _Basestring("basestring", (), {}), "unichr": chr, "raw_input": input,
    "reduce": functools.reduce, "intern": sys.intern,
    "map": lambda *a: list(map(*a)), "filter": lambda *a: list(filter(*a)),
    "zip": lambda *a: list(zip(*a)), "cmp": lambda a, b: (a > b) - (a < b)}


def python2_builtins(wanted: Iterable[str]) -> dict[str, Any]:
    """Python 2's builtins among ``wanted`` (names a file uses but neither defines nor
    imports, such as ``xrange``), as ``future`` gives them on Python 3."""
    return {name: _PAST_BUILTINS[name] for name in sorted(wanted)
            if name in _PAST_BUILTINS and not hasattr(builtins, name)}


def _padded_shape(N: int, C: int, H: int, W: int, pad: int) -> tuple[int, int, int, int]:
    return N, C, H + 2 * pad, W + 2 * pad


def _unpad(x: np.ndarray, pad: int) -> np.ndarray:
    return x[:, :, pad:x.shape[2] - pad, pad:x.shape[3] - pad]


def _im2col(x: np.ndarray, field_height: int, field_width: int, padding: int,
            stride: int) -> np.ndarray:
    """CS231n's im2col_cython: (C·fh·fw, HH·WW·N) columns of the padded x, the row
    c·fh·fw + i·fh + j (the extension's own index) and the column (y·WW + x)·N + n."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    HH = (H + 2 * padding - field_height) // stride + 1
    WW = (W + 2 * padding - field_width) // stride + 1
    cols = np.zeros((C * field_height * field_width, HH * WW * N), dtype=x.dtype)
    for i in range(field_height):
        for j in range(field_width):
            patch = xp[:, :, i:i + stride * HH:stride, j:j + stride * WW:stride]  # N,C,HH,WW
            rows = np.arange(C) * field_height * field_width + i * field_height + j
            cols[rows] = patch.transpose(1, 2, 3, 0).reshape(C, -1)
    return cols


def _col2im(cols: np.ndarray, N: int, C: int, H: int, W: int, field_height: int,
            field_width: int, padding: int, stride: int) -> np.ndarray:
    """CS231n's col2im_cython: the adjoint of ``_im2col`` (overlaps summed)."""
    xp = np.zeros(_padded_shape(N, C, H, W, padding), dtype=cols.dtype)
    HH = (H + 2 * padding - field_height) // stride + 1
    WW = (W + 2 * padding - field_width) // stride + 1
    for i in range(field_height):
        for j in range(field_width):
            rows = np.arange(C) * field_height * field_width + i * field_height + j
            patch = cols[rows].reshape(C, HH, WW, N).transpose(3, 0, 1, 2)
            xp[:, :, i:i + stride * HH:stride, j:j + stride * WW:stride] += patch
    return _unpad(xp, padding)


def _col2im_6d(cols: np.ndarray, N: int, C: int, H: int, W: int, HH: int, WW: int,
               pad: int, stride: int) -> np.ndarray:
    """CS231n's col2im_6d_cython: cols (C, HH, WW, N, out_h, out_w) summed back into x."""
    xp = np.zeros(_padded_shape(N, C, H, W, pad), dtype=cols.dtype)
    out_h, out_w = cols.shape[4], cols.shape[5]
    for i in range(HH):
        for j in range(WW):
            xp[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += \
                cols[:, i, j].transpose(1, 0, 2, 3)
    return _unpad(xp, pad)


#: module -> (its names, why it is missing): what ``StandIns`` serves
_STAND_INS: dict[str, tuple[dict[str, Any], str]] = {
    "past": ({}, ""),
    "past.builtins": (_PAST_BUILTINS, (
        "the code imports past.builtins (Python 2 names such as xrange), whose package "
        "future is not installed (pip install future): the check gave it those names as "
        "future defines them on Python 3")),
    "cs231n.im2col_cython": ({"im2col_cython": _im2col, "col2im_cython": _col2im,
                              "col2im_6d_cython": _col2im_6d}, (
        "the course's Cython extension cs231n.im2col_cython is not built (python setup.py "
        "build_ext --inplace in the cs231n folder): the check used NumPy equivalents of "
        "its im2col_cython, col2im_cython and col2im_6d_cython, which the course gives"))}


class StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves stand-ins for modules a course's code imports that are not installed or not
    built here: ``future``'s ``past.builtins`` and CS231n's Cython ``im2col_cython``.
    Appended to the end of ``sys.meta_path``, it is asked only after every real finder
    failed; ``notes()`` says which were used."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.append(self)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _STAND_INS:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == "past")

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        names, _ = _STAND_INS[module.__name__]
        module.__dict__.update(names)
        self.used.append(module.__name__)

    def notes(self) -> list[str]:
        return [f"{_STAND_INS[name][1]}. This is not a mistake in your code."
                for name in self.used if _STAND_INS[name][1]]


# ---- NumPy as the courses ran it --------------------------------------------------------

#: aliases NumPy 1.x had and NumPy 2 (or 1.20-1.25) removed, with what they were
_REMOVED: dict[str, Any] = {"int": builtins.int, "float": builtins.float, "bool": builtins.bool,
            "object": builtins.object, "complex": builtins.complex, "str": builtins.str,
            "long": builtins.int, "unicode": builtins.str,
            "float_": np.float64, "complex_": np.complex128, "string_": np.bytes_,
            "unicode_": np.str_, "bool8": np.bool_, "int0": np.intp, "uint0": np.uintp,
            "object0": np.object_, "NaN": np.nan, "NAN": np.nan, "Inf": np.inf,
            "Infinity": np.inf, "infty": np.inf, "PINF": np.inf, "NINF": -np.inf,
            "PZERO": 0.0, "NZERO": -0.0, "alltrue": np.all, "sometrue": np.any,
            "product": np.prod, "cumproduct": np.cumprod, "round_": np.round,
            "asscalar": lambda a: np.asarray(a).item(),
            "asfarray": lambda a, dtype=np.float64: np.asarray(a, dtype=dtype),
            "msort": lambda a: np.sort(a, axis=0), "row_stack": np.vstack,
            "in1d": lambda a, b, **kw: np.isin(np.ravel(a), b, **kw)}


class _Numpy1(types.ModuleType):
    """numpy, with NumPy 1's removed aliases; which of them the code used is recorded."""

    def __init__(self, used: set[str]) -> None:
        super().__init__("numpy", np.__doc__)
        self.__dict__.update({k: v for k, v in vars(np).items() if k not in ("__getattr__",
                                                                            "__dir__")})
        object.__setattr__(self, "_verigrad_used", used)

    def __getattr__(self, name: str) -> Any:
        if name in _REMOVED:
            self._verigrad_used.add(f"np.{name}")
            return _REMOVED[name]
        return getattr(np, name)


class _Scalar(type):
    """isinstance(x, float) stays the builtin's test under the compatible float."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls.__mro__[1])

    def __subclasscheck__(cls, other: type) -> bool:
        return issubclass(other, cls.__mro__[1])


def _one_element(value: Any, used: set[str], kind: str) -> Any:
    if isinstance(value, np.ndarray) and value.ndim > 0 and value.size == 1:
        used.add(f"{kind}() of a one-element array")
        return value.reshape(()).item()
    return value


def _compatible(base: type[float] | type[int], used: set[str]) -> type:
    """``base`` (float or int) that also converts a one-element array, as NumPy 1 did."""

    class Compatible(base, metaclass=_Scalar):  # type: ignore[valid-type, misc]
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            if args:
                args = (_one_element(args[0], used, base.__name__), *args[1:])
            return base(*args, **kwargs)

    Compatible.__name__ = Compatible.__qualname__ = base.__name__
    Compatible.dtype = np.dtype(base)  # so that dtype=float still means float64 to NumPy
    return Compatible


class Numpy1:
    """The learner namespace's view of NumPy 1: ``install(namespace)`` puts the compatible
    ``numpy`` in place of every name bound to the real one, and the compatible ``float``
    and ``int``; ``used`` lists what NumPy 2 would have refused."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.module = _Numpy1(self.used)
        self.builtins = {"float": _compatible(builtins.float, self.used),
                         "int": _compatible(builtins.int, self.used)}

    def install(self, namespace: dict[str, Any]) -> None:
        for key, value in list(namespace.items()):
            if value is np:
                namespace[key] = self.module
        for key, value in self.builtins.items():
            namespace.setdefault(key, value)

    def note(self) -> str | None:
        if not self.used:
            return None
        return (f"the file uses {', '.join(sorted(self.used))}, which NumPy "
                f"{np.__version__.split('.')[0]} no longer has or allows: the check ran it as "
                f"NumPy 1.x did (in your file's namespace only). This is not a mistake in "
                f"your code, but it fails under NumPy 2.")


def is_numpy_removal(message: str) -> bool:
    """Whether an exception's message (as the learner's process reports it) is NumPy 2's
    refusal of NumPy 1 code that the shim did not cover: a removed alias, or
    ``float()``/``int()`` of an array with more than one dimension."""
    return ("only 0-dimensional arrays can be converted" in message
            or "has no attribute" in message and "numpy" in message and (
                "removed" in message or "alias" in message or "expired" in message))
