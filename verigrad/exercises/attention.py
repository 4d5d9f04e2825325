"""Attention exercises in NumPy: the Deep Learning Specialization's course 5 week 4 (the
Transformer assignment's ``get_angles``, ``positional_encoding`` and
``scaled_dot_product_attention(q, k, v, mask)``) and the multi-head split and merge of the
NumPy transformer tutorials (``split_heads(x, num_heads)``, ``combine_heads(x)`` or
``merge_heads(x)``).

Layouts are the learner's, examples first: q (..., T_q, d_k), k (..., T_k, d_k), v (...,
T_k, d_v), the mask broadcastable to (..., T_q, T_k); x (m, T, d_model) split into (m, h, T,
d_h), head i taking features i·d_h … (i+1)·d_h − 1; the encoding table (1, positions, d).
The references are verigrad's: ``MultiHeadAttention`` with weights that route q, k and v into
its first head (its key mask and causal mask for the course's masks), the head layout that
layer uses, and ``sinusoidal_angles``/``sinusoidal_table``.

The course's masks changed meaning between its versions: the 2021 notebook (and the
TensorFlow tutorial) marks the keys to hide with 1 and adds ``mask · −1e9``; the notebook of
2022 on marks the keys to attend with 1. When the file's own ``create_look_ahead_mask`` or
``create_padding_mask`` runs, its convention is the one expected; otherwise either is taken
as right, and a mask the other way round cannot be told from the other version's.

The course's graded functions mostly return TensorFlow tensors (``tf.cast(...)``,
``tf.matmul``): they are read back as arrays, and where TensorFlow is not installed the
function is reported as needing it, not as wrong.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np

from ..gradcheck.findings import EXCEPTION, Finding
from ..layers import MultiHeadAttention
from ..layers.positional import sinusoidal_angles
from .core import FORWARD, Exercise, Result, exception_finding, register_mistakes, where

COURSE5 = "Deep Learning Specialization, course 5 week 4"
TUTORIAL = "NumPy transformer tutorials"

KINDS = register_mistakes({
    "attention_scale": ("the attention scores are divided by something other than √d_k: not "
                        "at all, by d_k, by √T_k (the number of keys), or by √d_model (the "
                        "whole width) where one head's √d_head belongs",
                        "the number the scores q·kᵀ are divided by, and which axis d_k is "
                        "read from"),
    "attention_axis": ("the attention weights equal a softmax over the queries (axis −2) "
                       "instead of the keys (the last axis)",
                       "the axis of the softmax: each query's weights over the keys sum to 1"),
    "mask_sign": ("the attention goes to the keys the mask hides and not to those it shows: "
                  "the mask added with the wrong sign, or read the other way round (1 = hide "
                  "where the notebook's masks mean 1 = attend, or back)",
                  "the sign of the large number added to the scores, and what 1 means in "
                  "the file's own masks"),
    "mask_value": ("the masked keys still get weight: their scores set to 0 instead of a "
                   "large negative number (e⁰ = 1), the mask applied to the weights after the "
                   "softmax, or a mask with no effect",
                   "what the mask adds to the scores, and that it acts before the softmax"),
    "head_order": ("the heads are split or merged in another order: a reshape without the "
                   "transpose that moves the head axis, or heads taking interleaved features",
                   "the reshape and transpose between (m, T, d_model) and (m, h, T, d_h)"),
    "angle_exponent": ("the positional angles use another exponent than 2i/d with i = k//2: "
                       "i/d (the 2 missing), k/d or 2k/d (the feature index k where its "
                       "pair's 2i belongs), or pos multiplied by 10000^(…)",
                       "the exponent of 10000 and the index it is computed from"),
    "sin_cos": ("the positional encoding has sine and cosine swapped (cos on the even "
                "features), or the sines of all pairs first and their cosines after",
                "which features take the sine and which the cosine"),
    "needs_tensorflow": ("the function calls TensorFlow, which is not installed where the "
                         "check ran", "install tensorflow, or check in the course's own "
                         "environment"),
})
NEEDS_TENSORFLOW = KINDS["needs_tensorflow"]


# ---- the references ----------------------------------------------------------------------


def attention(q: Any, k: Any, v: Any, keep: Any = None,
              causal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(output (..., T_q, d_v), weights (..., T_q, T_k)) of scaled dot-product attention,
    computed by verigrad's ``MultiHeadAttention``: q, k and v routed by its weights into its
    first head (zero-padded to one width, q rescaled so that the layer's 1/√d_head is
    1/√d_k), the keys not kept hidden by its key mask, causal by its causal mask (T_q = T_k).

    keep: booleans broadcastable to (..., T_q, T_k), True where a key may be attended; a
    mask that differs between queries (not a key padding mask) is applied one query at a
    time, each query's row as the layer's key mask."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    lead, (T_q, d_k), (T_k, d_v) = q.shape[:-2], q.shape[-2:], v.shape[-2:]
    if keep is not None and np.ndim(keep) >= 2 and np.shape(keep)[-2] > 1:
        keep = np.broadcast_to(keep, (*lead, T_q, T_k))
        rows = [attention(q[..., i:i + 1, :], k, v, keep[..., i:i + 1, :]) for i in range(T_q)]
        return cast("tuple[np.ndarray, np.ndarray]",
                    tuple(np.concatenate(parts, axis=-2) for parts in zip(*rows)))
    m, d_h, T = int(np.prod(lead, dtype=int)), max(d_k, d_v), max(T_q, T_k)
    X = np.zeros((3 * d_h, T, m))                       # [q; k; v], one block each
    X[:d_k, :T_q] = q.reshape(m, T_q, d_k).T * np.sqrt(d_h / d_k)
    X[d_h:d_h + d_k, :T_k] = k.reshape(m, T_k, d_k).T
    X[2 * d_h:2 * d_h + d_v, :T_k] = v.reshape(m, T_k, d_v).T
    layer = MultiHeadAttention(3 * d_h, 3, causal=causal)
    for name in layer.params:
        layer.params[name][...] = 0
    eye = np.eye(d_h)
    layer.params["Wq"][:d_h, :d_h] = eye
    layer.params["Wk"][:d_h, d_h:2 * d_h] = eye
    layer.params["Wv"][:d_h, 2 * d_h:] = eye
    layer.params["Wo"][:d_h, :d_h] = eye
    key_mask = np.zeros((T, m), dtype=bool)             # keys past T_k: padding
    shown = np.ones((m, T_k), bool) if keep is None else np.broadcast_to(
        keep, (*lead, 1, T_k)).reshape(m, T_k)
    key_mask[:T_k] = shown.T
    Y = layer.forward(X, key_mask=key_mask)             # (3·d_h, T, m)
    out = Y[:d_v, :T_q].T.reshape(*lead, T_q, d_v)
    P = cast(np.ndarray, layer.P)                      # set by the forward pass
    return out, P[:, 0, :T_q, :T_k].reshape(*lead, T_q, T_k)


def head_layout(m: int, T: int, d_model: int, num_heads: int) -> np.ndarray:
    """The index of x's entry (m, T, d_model) that ``MultiHeadAttention`` puts at each place
    of its heads (m, h, T, d_h): the layer run on the indices as values, its value
    projection the identity."""
    layer = MultiHeadAttention(d_model, num_heads)
    for name in layer.params:
        layer.params[name][...] = 0
    layer.params["Wv"][...] = np.eye(d_model)
    index = np.arange(m * T * d_model, dtype=np.float64).reshape(m, T, d_model)
    layer.forward(index.T)                              # the layer's (d_model, T, m)
    value_heads = layer.heads(layer.QKV, T, m, 3)[2]   # (m, h, T, d_h)
    return np.rint(value_heads).astype(np.int64)


def to_heads(x: Any, num_heads: int) -> np.ndarray:
    """x (m, T, d_model) as the heads (m, h, T, d_h) of ``MultiHeadAttention``."""
    x = np.asarray(x)
    return x.reshape(-1)[head_layout(*cast("tuple[int, int, int]", x.shape), num_heads)]


def from_heads(x: Any) -> np.ndarray:
    """The heads (m, h, T, d_h) merged back as ``MultiHeadAttention`` merges them: (m, T,
    h·d_h), the inverse of ``to_heads``."""
    x = np.asarray(x)
    m, h, T, d_h = x.shape
    merged = np.empty(m * T * h * d_h, dtype=x.dtype)
    merged[head_layout(m, T, h * d_h, h)] = x
    return merged.reshape(m, T, h * d_h)


def _angles(pos: Any, k: Any, d: int) -> np.ndarray:
    """The course's angles (T, d) for pos = [[0], …, [T−1]] and k = [[0, …, d−1]]."""
    return sinusoidal_angles(d, np.size(pos))[np.ravel(k) // 2].T


def _encoding(positions: int, d: int) -> np.ndarray:
    table = np.empty((d, positions))
    angles = sinusoidal_angles(d, positions)
    table[0::2], table[1::2] = np.sin(angles), np.cos(angles[:d // 2])
    return table.T[None]


# ---- the learner's results, read back -------------------------------------------------------


def as_array(value: Any) -> np.ndarray:
    """A learner's result as a float array: NumPy, TensorFlow and PyTorch tensors alike."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    return np.asarray(value, dtype=np.float64)


def _single(value: Any) -> type[np.floating[Any]]:
    return np.float32 if getattr(value, "dtype", None) in (np.float32, "float32") or str(
        getattr(value, "dtype", "")).endswith("float32") else np.float64


def agrees(got: Any, expected: Any,
           precision: type[np.floating[Any]] = np.float64) -> bool:
    """Same shape and equal up to the learner's precision (float32 results, which
    TensorFlow's and PyTorch's are, get float32's tolerance)."""
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if got.shape != expected.shape:
        return False
    # NaN where both have it: a row whose every key is hidden (a mistake's output)
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(float(np.max(finite, initial=0)), 1e-12)
    rtol, atol = (1e-6, 1e-9) if precision is np.float64 else (1e-4, 1e-5)
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol * scale, equal_nan=True))


def needs_tensorflow(error: BaseException) -> bool:
    """Whether the learner's exception says TensorFlow is missing (its import failed, so
    ``tf`` is undefined, or it was imported inside the function)."""
    text = str(error)
    return (isinstance(error, NameError) and ("'tf'" in text or "'tensorflow'" in text)) or (
        isinstance(error, ImportError) and "tensorflow" in text)


def call_learner(name: str, function: Callable[..., Any],
                 args: Sequence[Any]) -> tuple[Any, Finding | None]:
    """(outputs, None) or (None, Finding) for the learner's call: an exception is a
    finding, TensorFlow missing one of its own (``needs_tensorflow``)."""
    try:
        return function(*args), None
    except Exception as error:  # the learner's code
        if needs_tensorflow(error):
            return None, Finding(NEEDS_TENSORFLOW, None, (
                f"{name} calls TensorFlow, which is not installed here, so it was not run: "
                f"this says nothing about whether it is right (pip install tensorflow, or "
                f"check it where the course's notebook runs)"))
        return None, exception_finding(name, error)


def _blocked(findings: Sequence[Finding]) -> bool:
    return bool(findings) and findings[0].kind in (EXCEPTION, NEEDS_TENSORFLOW)


def verdict(name: str, course: str, function: Any, findings: list[Finding], label: str | None,
            configs: int, error: BaseException | None = None) -> Result:
    """The Result: ok None when the first finding is an exception or TensorFlow missing."""
    ok = None if _blocked(findings) else not findings
    return Result(name, course, ok, findings, label, where(function, error, findings),
                  configs=configs)


def compare(name: str, what: str, got: Any, expected: Any, label: str | None,
            mistakes: Iterable[tuple[str, str, Any]],
            precision: type[np.floating[Any]]) -> Finding | None:
    """A finding for one output that is not the reference's, naming the first mistake
    (message, its output) it equals; None when right."""
    if agrees(got, expected, precision):
        return None
    for kind, message, wrong in mistakes:
        if wrong is not None and agrees(got, wrong, precision):
            return Finding(kind, what, f"on {label}, {name}'s {what} equals {message}")
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if got.shape != expected.shape:
        detail = f"{name}'s {what} has shape {got.shape}, expected {expected.shape}"
    else:
        diff = np.abs(got - expected)
        worst = np.unravel_index(int(np.argmax(np.nan_to_num(diff, nan=np.inf))), diff.shape)
        detail = (f"{name}'s {what} differs from the reference at {list(map(int, worst))}: "
                  f"{got[worst]:.6g} instead of {expected[worst]:.6g}")
    return Finding(FORWARD, what, f"on {label}, {detail}")


# ---- get_angles and positional_encoding --------------------------------------------------

_EXPONENTS = (
    ("i/d, the 2 of 2i missing", lambda k, d: (k // 2) / d),
    ("k/d, the feature index k where its pair's 2i = 2·(k//2) belongs", lambda k, d: k / d),
    ("2k/d, twice the feature index where its pair's 2i = 2·(k//2) belongs (the 2021 "
     "notebook's i is the feature index: 2·(i//2))", lambda k, d: 2 * k / d),
)


def _angle_mistakes(T: int, d: int) -> list[tuple[str, str, np.ndarray]]:
    pos, k = np.arange(T)[:, None], np.arange(d)[None, :]
    wrong = [("angle_exponent", f"the angles with the exponent {message}",
              pos / 10000.0 ** exponent(k, d)) for message, exponent in _EXPONENTS]
    wrong.append(("angle_exponent", "pos · 10000^(2i/d): pos multiplied where it is divided",
                  pos * 10000.0 ** (2 * (k // 2) / d)))
    return wrong


def encoding_mistakes(T: int, d: int) -> list[tuple[str, str, np.ndarray]]:
    angles = sinusoidal_angles(d, T).T                  # (T, ⌈d/2⌉)
    swapped = np.empty((T, d))
    swapped[:, 0::2], swapped[:, 1::2] = np.cos(angles), np.sin(angles[:, :d // 2])
    halves = np.concatenate([np.sin(angles), np.cos(angles[:, :d // 2])], axis=1)
    wrong = [("sin_cos", "the table with cos on the even features and sin on the odd ones",
              swapped[None]),
             ("sin_cos", "the table with the sines of all pairs first and their cosines "
              "after, where each pair's sine and cosine sit side by side (features 2i, "
              "2i + 1)", halves[None])]
    for kind, message, angles in _angle_mistakes(T, d):
        table = angles.copy()
        table[:, 0::2], table[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
        wrong.append((kind, f"the table built from {message[4:]} (the angles come from "
                            f"get_angles)", table[None]))
    return wrong


_TABLE_SIZES = (("positions=4, d=8", 4, 8), ("positions=6, d=5 (odd d)", 6, 5),
                ("positions=1, d=2", 1, 2), ("positions=50, d=16", 50, 16))


def _get_angles_check(functions: Mapping[str, Any], seed: int = 0) -> Result:
    name, function = "get_angles", functions["get_angles"]
    for label, T, d in _TABLE_SIZES:
        args = (np.arange(T)[:, None], np.arange(d)[None, :], d)
        got, problem = call_learner(name, function, args)
        if problem is None:
            problem = compare(name, "angles", as_array(got), _angles(np.arange(T), np.arange(d),
                               d), label, _angle_mistakes(T, d), _single(got))
        if problem:
            return verdict(name, COURSE5, function, [problem], label, len(_TABLE_SIZES))
    return verdict(name, COURSE5, function, [], None, len(_TABLE_SIZES))


def _positional_encoding_check(functions: Mapping[str, Any], seed: int = 0) -> Result:
    name, function = "positional_encoding", functions["positional_encoding"]
    for label, T, d in _TABLE_SIZES:
        got, problem = call_learner(name, function, (T, d))
        if problem is None:
            problem = compare(name, "pos_encoding", as_array(got), _encoding(T, d), label,
                               encoding_mistakes(T, d), _single(got))
        if problem:
            return verdict(name, COURSE5, function, [problem], label, len(_TABLE_SIZES))
    return verdict(name, COURSE5, function, [], None, len(_TABLE_SIZES))


# ---- scaled_dot_product_attention ---------------------------------------------------------


def _attention_configs(seed: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray,
                                                np.ndarray | None, bool]]:
    """(label, q, k, v, keep or None, causal) in float32, the course's dtype (TensorFlow
    refuses to mix it with float64)."""
    rng = np.random.default_rng(seed)

    def draw(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32) * 1.5

    keep = np.array([[True, True, False, False], [True, True, True, False]])
    return [
        ("no mask, m=2, T_q=3, T_k=4, d_k=4, d_v=2", draw(2, 3, 4), draw(2, 4, 4),
         draw(2, 4, 2), None, False),
        ("padding mask (m, 1, T_k), m=2, T_q=3, T_k=4, d_k=3, d_v=5", draw(2, 3, 3),
         draw(2, 4, 3), draw(2, 4, 5), keep[:, None, :], False),
        ("look-ahead mask (1, T, T), m=2, T=4, d_k=2", draw(2, 4, 2), draw(2, 4, 2),
         draw(2, 4, 3), None, True),
        ("4-D heads (m, h, T, d_k) with padding mask (m, 1, 1, T_k), m=2, h=3, T=4",
         draw(2, 3, 4, 2), draw(2, 3, 4, 2), draw(2, 3, 4, 2), keep[:, None, None, :], False),
        ("T=1", draw(1, 1, 3), draw(1, 1, 3), draw(1, 1, 3), None, False),
    ]


def _mask_array(keep: np.ndarray | None, causal: bool, q: np.ndarray,
                convention: str) -> np.ndarray | None:
    """The mask the learner is given: 1 = attend (convention "attend") or 1 = hide."""
    if causal:
        T = q.shape[-2]
        keep = np.tril(np.ones((1, T, T), dtype=bool))
    if keep is None:
        return None
    shown = keep.astype(np.float32)
    return shown if convention == "attend" else 1 - shown


def _keep_matrix(q: np.ndarray, k: np.ndarray, keep: Any, causal: bool) -> np.ndarray:
    """Booleans broadcastable to the scores (..., T_q, T_k), True where attended."""
    T_q, T_k = q.shape[-2], k.shape[-2]
    full = np.ones(q.shape[:-2] + (T_q, T_k), dtype=bool)
    if causal:
        full &= np.tril(np.ones((T_q, T_k), dtype=bool))
    if keep is not None:
        full &= np.asarray(keep, dtype=bool)
    return full


def attention_by_hand(q: Any, k: Any, v: Any, keep: Any = None, scale: float | None = None,
                      axis: int = -1, masked: float | str = -1e9,
                      after: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The wrong formulas: scores q·kᵀ·scale, masked entries set by ``masked`` ("zero", or a
    number added), the softmax over ``axis``, the mask applied after it when ``after``."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    S = q @ k.swapaxes(-1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if keep is not None and not after:
        S = np.where(keep, S, 0.0) if masked == "zero" else S + np.where(keep, 0.0, masked)
    with np.errstate(invalid="ignore"):                 # rows with every key hidden: NaN
        P = np.exp(S - S.max(axis=axis, keepdims=True))
        P /= P.sum(axis=axis, keepdims=True)
    if keep is not None and after:
        P = P * keep
    return P @ v, P


def _attention_mistakes(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                        keep: np.ndarray | None,
                        ) -> list[tuple[str, str, tuple[np.ndarray, np.ndarray]]]:
    """(kind, message, (output, weights)) of the known wrong formulas on one configuration."""
    d_k, T_k = q.shape[-1], k.shape[-2]
    wrong = [("attention_scale", "the one with the scores not divided by √d_k",
              attention_by_hand(q, k, v, keep, scale=1.0)),
             ("attention_scale", "the one with the scores divided by d_k instead of √d_k",
              attention_by_hand(q, k, v, keep, scale=1 / d_k)),
             ("attention_axis", "a softmax over the queries (axis −2) instead of the keys (the "
              "last axis)", attention_by_hand(q, k, v, keep, axis=-2))]
    if T_k != d_k:
        wrong.insert(2, ("attention_scale", "the one with the scores divided by √T_k (the "
                         "number of keys, k's axis −2) instead of √d_k (its last axis)",
                         attention_by_hand(q, k, v, keep, scale=1 / np.sqrt(T_k))))
    if keep is not None and not keep.all():
        wrong += [("mask_sign", "the one with +1e9 on the keys to hide, where a large "
                   "negative number belongs: the attention goes to the hidden keys",
                   attention_by_hand(q, k, v, keep, masked=1e9)),
                  ("mask_value", "the one with the hidden keys' scores set to 0, whose weight "
                   "e⁰ = 1 is not 0, so the hidden keys keep weight",
                   attention_by_hand(q, k, v, keep, masked="zero")),
                  ("mask_value", "the one with the mask applied to the weights after the "
                   "softmax, whose rows then no longer sum to 1",
                   attention_by_hand(q, k, v, keep, after=True)),
                  ("mask_value", "the one with no mask at all: the mask has no effect",
                   attention_by_hand(q, k, v))]
    return wrong


def mask_convention(functions: Mapping[str, Any]) -> str | None:
    """"attend" or "hide": what 1 means in the file's own look-ahead or padding mask
    (``create_look_ahead_mask(3)``, ``create_padding_mask`` of a sequence padded with 0),
    when one is defined and runs; else None."""
    probes = (("create_look_ahead_mask", (3,), np.tril(np.ones((3, 3)))),
              ("create_padding_mask", (np.array([[7.0, 6.0, 0.0]]),), np.array([1.0, 1.0, 0.0])))
    for name, args, attend in probes:
        function = functions.get(name)
        if not callable(function):
            continue
        mask: np.ndarray | None
        try:
            mask = as_array(function(*args))
        except Exception:  # the learner's code, or TensorFlow missing: no evidence
            continue
        mask = mask.reshape(-1)[-attend.size:].reshape(attend.shape) if mask.size >= \
            attend.size else None
        if mask is None:
            continue
        if np.array_equal(mask, attend):
            return "attend"
        if np.array_equal(mask, 1 - attend):
            return "hide"
    return None


def _attention_run(name: str, function: Callable[..., Any],
                   configs: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray,
                                           np.ndarray | None, bool]],
                   convention: str) -> tuple[list[Finding], str | None]:
    """(findings, label) of the learner's function on every configuration, its masks in
    ``convention``; ([], None) when all are right."""
    for label, q, k, v, keep, causal in configs:
        mask = _mask_array(keep, causal, q, convention)
        got, problem = call_learner(name, function, (q.copy(), k.copy(), v.copy(), mask))
        if problem:
            return [problem], label
        outputs = got if isinstance(got, tuple) else (got,)
        expected = attention(q, k, v, keep, causal)
        shown = _keep_matrix(q, k, keep, causal) if (keep is not None or causal) else None
        mistakes = _attention_mistakes(q, k, v, shown)
        for i, what in enumerate(("output", "attention_weights")[:len(outputs)]):
            # the inputs are float32: float64 arithmetic on them still has float32's error
            problem = compare(name, what, as_array(outputs[i]), expected[i], label,
                               [(kind, message, wrong[i]) for kind, message, wrong in mistakes],
                               np.float32)
            if problem:
                return [problem], label
    return [], None


def _scaled_dot_product_attention_check(functions: Mapping[str, Any], seed: int = 0) -> Result:
    name = "scaled_dot_product_attention"
    function = functions[name]
    configs = _attention_configs(seed)
    known = mask_convention(functions)
    runs = {c: _attention_run(name, function, configs, c)
            for c in ((known,) if known else ("attend", "hide"))}
    passed = [c for c, (findings, _) in runs.items() if not findings]
    if passed:
        return verdict(name, COURSE5, function, [], None, len(configs))
    # a named mistake says more than "differs"; the current notebook's convention first
    findings, label = min(runs.values(), key=lambda run: run[0][0].kind == FORWARD)
    if known:
        first = findings[0]
        findings = [Finding(first.kind, first.param, f"{first.message} (the file's own masks "
                            f"mean 1 = {known})")]
    return verdict(name, COURSE5, function, findings, label, len(configs))


# ---- the multi-head split and merge ------------------------------------------------------

_HEAD_SIZES = (("m=2, T=3, d_model=6, h=2", 2, 3, 6, 2), ("m=1, T=1, d_model=4, h=4", 1, 1, 4, 4),
               ("m=3, T=5, d_model=12, h=3", 3, 5, 12, 3))


def _split_mistakes(x: np.ndarray, h: int) -> list[tuple[str, str, np.ndarray]]:
    m, T, d = x.shape
    return [("head_order", "a reshape of x to (m, h, T, d_h) without moving the head axis: "
             "each head then mixes time steps and features",
             x.reshape(m, h, T, d // h)),
            ("head_order", "heads taking interleaved features (head i: features i, i + h, "
             "…) where each head takes d_h consecutive ones",
             x.reshape(m, T, d // h, h).transpose(0, 3, 1, 2))]


def _merge_mistakes(x: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    m, h, T, d_h = x.shape
    return [("head_order", "a reshape of the heads (m, h, T, d_h) to (m, T, d_model) without "
             "moving the head axis back first: time steps and heads get mixed",
             x.reshape(m, T, h * d_h)),
            ("head_order", "the heads merged with their features interleaved (feature j of "
             "head i at j·h + i) where each head's d_h features sit side by side",
             x.transpose(0, 2, 3, 1).reshape(m, T, h * d_h))]


def _heads_check(name: str, split: bool) -> Callable[[Mapping[str, Any], int], Result]:
    def check(functions: Mapping[str, Any], seed: int = 0) -> Result:
        function = functions[name]
        rng = np.random.default_rng(seed)
        args: tuple[Any, ...]
        for label, m, T, d, h in _HEAD_SIZES:
            x = rng.standard_normal((m, T, d))
            if split:
                args, expected, mistakes = (x.copy(), h), to_heads(x, h), _split_mistakes(x, h)
            else:
                heads = to_heads(x, h)
                args, expected, mistakes = (heads.copy(),), x, _merge_mistakes(heads)
            got, problem = call_learner(name, function, args)
            if problem is None:
                problem = compare(name, "heads" if split else "merged", as_array(got), expected,
                                   label, mistakes, _single(got))
            if problem:
                return verdict(name, TUTORIAL, function, [problem], label, len(_HEAD_SIZES))
        return verdict(name, TUTORIAL, function, [], None, len(_HEAD_SIZES))
    return check


EXERCISES = [
    Exercise("get_angles", COURSE5, ("pos", "k", "d"), _get_angles_check),
    Exercise("get_angles", COURSE5, ("pos", "i", "d_model"), _get_angles_check),
    Exercise("positional_encoding", COURSE5, ("positions", "d"), _positional_encoding_check),
    Exercise("positional_encoding", COURSE5, ("position", "d_model"),
             _positional_encoding_check),
    Exercise("scaled_dot_product_attention", COURSE5, ("q", "k", "v", "mask"),
             _scaled_dot_product_attention_check),
    Exercise("split_heads", TUTORIAL, ("x", "num_heads"), _heads_check("split_heads", True)),
    Exercise("combine_heads", TUTORIAL, ("x",), _heads_check("combine_heads", False)),
    Exercise("merge_heads", TUTORIAL, ("x",), _heads_check("merge_heads", False)),
]
