"""CS231n assignment 3's PyTorch attention exercises (``cs231n/transformer_layers.py``,
2021 on): the classes ``MultiHeadAttention(embed_dim, num_heads, dropout)`` and
``PositionalEncoding(embed_dim, dropout, max_len)``, checked as the learner's modules.

The method checked is the class's ``forward`` (``verigrad.exercises.methods``: under
``"Class.forward"``, the class under ``"Class"``, as ``verigrad check`` finds a file's
classes); the module is built by the learner's own ``__init__``. PyTorch is imported only
here, when such a class is checked.

- ``MultiHeadAttention``: in eval mode, in float64, its output against verigrad's: the
  module's own ``query``, ``key``, ``value`` and ``proj`` Linear layers read as Wq, Wk, Wv,
  Wo and bq … bo (Q = Wq·x + bq, as ``nn.Linear``'s x·Wᵀ + b), the heads split and merged as
  ``MultiHeadAttention`` splits them and the attention of ``verigrad.exercises.attention``
  (verigrad's layer), with ``attn_mask`` (S, T), True or 1 where query i may attend to key j
  (2021 on). The course's expected numbers depend on one order of random draws; this check
  does not, so a correct module written in another order passes. Dropout is checked apart:
  in training with p = 0.5 the module's ``nn.Dropout`` must act on the attention weights (N,
  H, S, T), and the output must be those dropped weights times the values, projected.
- ``PositionalEncoding``: in eval mode, x + the sinusoidal table (sin on the even features,
  cos on the odd ones, exponents 0, 0, 2, 2, 4, 4, …); in training, dropout on that sum.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np

from ..gradcheck.findings import Finding
from ..layers import Dense
from ..layers.positional import sinusoidal_table
from .attention import (
    agrees,
    as_array,
    attention,
    attention_by_hand,
    call_learner,
    compare,
    encoding_mistakes,
    from_heads,
    to_heads,
    verdict,
)
from .core import Result, register_mistakes, where
from .methods import method_exercise
from .remote import is_instance

CS231N = "CS231n assignment 3 (transformer_layers.py)"
PROJECTIONS = ("query", "key", "value", "proj")

KINDS = register_mistakes({
    "dropout_place": ("in training, dropout acts on another tensor than the course's: the "
                      "attention weights (N, H, S, T) in MultiHeadAttention, the sum x + pe "
                      "in PositionalEncoding; or not at all",
                      "which tensor the module's nn.Dropout is applied to, and where"),
})
DROPOUT_PLACE = KINDS["dropout_place"]


def _build(name: str, function: Any,
           make: Callable[..., Any]) -> tuple[Any, Result | None]:
    """(module, None) or (None, Result that says why it cannot be built)."""
    module, problem = call_learner(name.split(".")[0], make, ())
    if problem:
        return None, verdict(name, CS231N, function, [problem], "building the module", 0)
    return module, None


# ---- MultiHeadAttention --------------------------------------------------------------------


def _affine(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """nn.Linear's x·Wᵀ + b on x (..., E_in), computed by verigrad's Dense (W·a + b on
    columns)."""
    layer = Dense(weight.shape[1], weight.shape[0])
    layer.params["W"][...], layer.params["b"][...] = weight, bias[:, None]
    return layer.forward(x.reshape(-1, x.shape[-1]).T).T.reshape(*x.shape[:-1], -1)


def _weights(module: Any, torch: Any) -> dict[str, tuple[np.ndarray, np.ndarray]] | str:
    """name -> (W, b) of the module's four projections as float64 arrays, or the name of
    one that is not an nn.Linear."""
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in PROJECTIONS:
        linear: Any = getattr(module, name, None)
        if not is_instance(linear, torch.nn.Linear) or linear.bias is None:
            return name
        found[name] = (as_array(linear.weight), as_array(linear.bias))
    return found


def _mha_reference(weights: Mapping[str, tuple[np.ndarray, np.ndarray]], heads: int,
                   query: np.ndarray, key: np.ndarray, value: np.ndarray,
                   keep: np.ndarray | None = None, causal: bool = False,
                   dropped: np.ndarray | None = None) -> np.ndarray:
    """The module's output by verigrad's references; ``dropped``: attention weights (N, H,
    S, T) to use instead of the softmax's (the ones dropout left)."""
    q, k, v = (to_heads(_affine(x, *weights[n]), heads)
               for x, n in ((query, "query"), (key, "key"), (value, "value")))
    if dropped is None:
        out = attention(q, k, v, keep, causal)[0]
    else:
        out = dropped @ v
    return _affine(from_heads(out), *weights["proj"])


def _mha_by_hand(weights: Mapping[str, tuple[np.ndarray, np.ndarray]], heads: int,
                 query: np.ndarray, key: np.ndarray, value: np.ndarray,
                 keep: np.ndarray | None = None, split: bool = True, merge: bool = True,
                 **wrong: Any) -> np.ndarray:
    """The output with a known mistake: ``wrong`` as for ``attention_by_hand``, or the
    heads split (split=False) or merged (merge=False) by a reshape without the transpose."""
    projected = [_affine(x, *weights[n]) for x, n in ((query, "query"), (key, "key"),
                                                       (value, "value"))]
    if split:
        q, k, v = (to_heads(x, heads) for x in projected)
    else:
        q, k, v = (x.reshape(x.shape[0], heads, x.shape[1], -1) for x in projected)
    out = attention_by_hand(q, k, v, keep, **wrong)[0]
    N, H, S, d_h = out.shape
    merged = from_heads(out) if merge else out.reshape(N, S, H * d_h)
    return _affine(merged, *weights["proj"])


def _mha_mistakes(weights: Mapping[str, tuple[np.ndarray, np.ndarray]], heads: int,
                  query: np.ndarray, key: np.ndarray, value: np.ndarray,
                  keep: np.ndarray | None, causal: bool) -> list[tuple[str, str, np.ndarray]]:
    shown = keep
    if causal:
        shown = np.tril(np.ones((query.shape[1], key.shape[1]), dtype=bool))
    E = query.shape[-1]
    args = (weights, heads, query, key, value, shown)
    wrong = [("attention_scale", "the one with the scores not divided by √(E/H)",
              _mha_by_hand(*args, scale=1.0, masked=-np.inf)),
             ("attention_axis", "a softmax over the queries (dim −2) instead of the keys (the "
              "last dim)", _mha_by_hand(*args, axis=-2, masked=-np.inf)),
             ("head_order", "the one with the heads split by a view to (N, H, S, E/H) "
              "without moving the head axis: each head then mixes time steps and features",
              _mha_by_hand(*args, split=False, masked=-np.inf)),
             ("head_order", "the one with the heads (N, H, S, E/H) merged by a view to (N, S, "
              "E) without moving the head axis back first",
              _mha_by_hand(*args, merge=False, masked=-np.inf))]
    if heads > 1:
        wrong.insert(1, ("attention_scale", "the one with the scores divided by √E, the whole "
                         "embed_dim, where one head's √(E/H) belongs",
                         _mha_by_hand(*args, scale=1 / np.sqrt(E), masked=-np.inf)))
    if shown is not None and not shown.all():
        wrong += [("mask_sign", "the one with the mask read the other way round: the keys "
                   "where attn_mask is True (1) hidden, where those are the ones to attend",
                   _mha_by_hand(weights, heads, query, key, value, ~shown, masked=-np.inf)),
                  ("mask_value", "the one with the hidden keys' scores set to 0, whose weight "
                   "e⁰ = 1 is not 0, so the hidden keys keep weight",
                   _mha_by_hand(*args, masked="zero")),
                  ("mask_value", "the one with no mask at all: attn_mask has no effect",
                   _mha_by_hand(weights, heads, query, key, value))]
    return wrong


def _mha_configs(seed: int) -> list[tuple[str, int, int, int, int, int,
                                         np.ndarray | str | None, bool]]:
    """(label, N, S, T, E, H, mask: None, "causal" or a boolean (S, T), cross-attention)."""
    rng = np.random.default_rng(seed)
    visible = rng.random((3, 5)) < 0.5
    visible[:, 0], visible[:, -1] = True, False    # each query sees a key and misses one
    return [("self-attention, N=2, S=T=4, E=8, H=2, no mask", 2, 4, 4, 8, 2, None, False),
            ("self-attention with a causal attn_mask (S, T), N=2, S=T=5, E=6, H=3", 2, 5, 5,
             6, 3, "causal", False),
            ("cross-attention, N=2, S=3, T=5, E=8, H=4, attn_mask (S, T) of random booleans",
             2, 3, 5, 8, 4, visible, True),
            ("N=1, S=T=1, E=4, H=1", 1, 1, 1, 4, 1, None, False)]


def _mha_check(cls: Any, function: Callable[..., Any], seed: int) -> Result:
    name = "MultiHeadAttention.forward"
    import torch

    configs = _mha_configs(seed)
    rng = np.random.default_rng(seed)
    for label, N, S, T, E, H, mask, cross in configs:
        torch.manual_seed(seed)
        module, failed = _build(name, function,
                                lambda E=E, H=H: cls(E, H, dropout=0.0).double().eval())
        if failed:
            return failed
        weights = _weights(module, torch)
        if isinstance(weights, str):
            return Result(name, CS231N, None, [Finding("missing", None, (
                f"your MultiHeadAttention has no nn.Linear self.{weights} with a bias: the "
                f"course's __init__ makes self.query, self.key, self.value and self.proj, and "
                f"the check reads their weights"))], where=where(function), configs=0)
        query = rng.standard_normal((N, S, E))
        key = value = query
        if cross:
            key, value = rng.standard_normal((N, T, E)), rng.standard_normal((N, T, E))
        causal = isinstance(mask, str)
        keep = np.tril(np.ones((S, T), dtype=bool)) if causal else cast("np.ndarray | None",
                                                                        mask)
        tensors = [torch.tensor(x) for x in (query, key, value)]
        if keep is not None:
            tensors.append(torch.tensor(keep))
        with torch.no_grad():
            got, problem = call_learner(name, module, tensors)
        if problem is None:
            problem = compare(name, "output", as_array(got), _mha_reference(
                weights, H, query, key, value, None if causal else keep, causal), label,
                _mha_mistakes(weights, H, query, key, value, None if causal else keep, causal),
                np.float64)
        if problem:
            return verdict(name, CS231N, function, [problem], label, len(configs))
    problem = _mha_dropout(name, cls, function, seed)
    return verdict(name, CS231N, function, [problem] if problem else [],
                   "training with dropout=0.5" if problem else None, len(configs) + 1)


def _dropout_calls(module: Any, torch: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (input, output) of every call of the module's nn.Dropout layers, recorded."""
    calls: list[tuple[np.ndarray, np.ndarray]] = []
    for layer in module.modules():
        if is_instance(layer, torch.nn.Dropout):
            layer.register_forward_hook(
                lambda _, inputs, output: calls.append((as_array(inputs[0]), as_array(output))))
    return calls


def _mha_dropout(name: str, cls: Any, function: Callable[..., Any],
                 seed: int) -> Finding | None:
    """A finding when, in training with p = 0.5, dropout does not act on the attention
    weights alone; None when it does (or acts through something the check cannot see, and
    the output changes)."""
    import torch

    label = "training with dropout=0.5, N=2, S=T=4, E=8, H=2"
    N, S, E, H = 2, 4, 8, 2
    torch.manual_seed(seed)
    module = cls(E, H, dropout=0.5).double()
    weights = cast("dict[str, tuple[np.ndarray, np.ndarray]]", _weights(module, torch))
    x = np.random.default_rng(seed + 1).standard_normal((N, S, E))
    calls = _dropout_calls(module, torch)
    module.train()
    with torch.no_grad():
        got = as_array(module(*(torch.tensor(x),) * 3))
    shapes = [inputs.shape for inputs, _ in calls]
    attended = [o for i, o in calls if i.shape[-2:] == (S, S) and np.allclose(i.sum(-1), 1)]
    if attended and len(attended) == len(calls):
        # all heads at once (N, H, S, T), or one head per call (a loop over the heads)
        dropped = (attended[-1] if attended[-1].size == N * H * S * S else
                   np.stack([o.reshape(N, S, S) for o in attended[-H:]], axis=1))
        expected = _mha_reference(weights, H, x, x, x, dropped=dropped.reshape(N, H, S, S))
        if agrees(got, expected):
            return None
        return Finding(DROPOUT_PLACE, "output", (
            f"on {label}, the attention weights are dropped, but the output is not those "
            f"dropped weights times the values, projected: the dropped weights are not the "
            f"ones used"))
    if shapes:
        shapes = [shape for shape in shapes if shape[-2:] != (S, S)] or shapes
        return Finding(DROPOUT_PLACE, "output", (
            f"on {label}, nn.Dropout acts on a tensor of shape {shapes[0]}, not on the "
            f"attention weights (N, H, S, T) = {(N, H, S, S)} after the softmax"))
    module.eval()
    with torch.no_grad():
        unchanged = agrees(got, as_array(module(*(torch.tensor(x),) * 3)))
    if unchanged:
        return Finding(DROPOUT_PLACE, "output", (
            f"on {label}, the output is the same as in eval mode: the attention weights are "
            f"not dropped in training (self.attn_drop is never applied)"))
    return None


# ---- PositionalEncoding ------------------------------------------------------------------


_PE_CONFIGS = (("N=2, S=5, D=8, max_len=10", 2, 5, 8, 10), ("N=1, S=1, D=4, max_len=3", 1, 1, 4, 3),
               ("N=3, S=12 = max_len, D=6", 3, 12, 6, 12))


def _pe_check(cls: Any, function: Callable[..., Any], seed: int) -> Result:
    name = "PositionalEncoding.forward"
    import torch

    rng = np.random.default_rng(seed)
    for label, N, S, D, max_len in _PE_CONFIGS:
        module, failed = _build(name, function, lambda D=D, L=max_len: cls(
            D, dropout=0.1, max_len=L).double().eval())
        if failed:
            return failed
        x = rng.standard_normal((N, S, D))
        with torch.no_grad():
            got, problem = call_learner(name, module, (torch.tensor(x),))
        if problem is None:
            # the table is made in float32 (torch.zeros' default) before .double()
            mistakes = [(kind, message, x + table[:, :S])
                        for kind, message, table in encoding_mistakes(max_len, D)]
            problem = compare(name, "output", as_array(got),
                              x + sinusoidal_table(D, max_len).T[None, :S], label, mistakes,
                              np.float32)
        if problem:
            return verdict(name, CS231N, function, [problem], label, len(_PE_CONFIGS))
    problem = _pe_dropout(cls, seed)
    return verdict(name, CS231N, function, [problem] if problem else [],
                   "training with dropout=0.5" if problem else None, len(_PE_CONFIGS) + 1)


def _pe_dropout(cls: Any, seed: int) -> Finding | None:
    import torch

    label = "training with dropout=0.5, N=4, S=6, D=8"
    torch.manual_seed(seed)
    module = cls(8, dropout=0.5, max_len=6).double().train()
    x = np.random.default_rng(seed).standard_normal((4, 6, 8))
    with torch.no_grad():
        got = as_array(module(torch.tensor(x)))
    pe = sinusoidal_table(8, 6).T[None]
    total = x + pe

    def either(dropped: Any, kept: Any) -> bool:
        return bool(np.all(np.isclose(got, dropped, atol=1e-5) | np.isclose(got, kept,
                                                                             atol=1e-5)))
    if either(0, 2 * total) and not np.allclose(got, 2 * total, atol=1e-5):
        return None
    if either(pe, 2 * x + pe) and not np.allclose(got, 2 * x + pe, atol=1e-5):
        return Finding(DROPOUT_PLACE, "output", (
            f"on {label}, dropout acts on x before the encoding is added: the sum x + pe is "
            f"the tensor the course drops"))
    if agrees(got, total, np.float32):
        return Finding(DROPOUT_PLACE, "output", (
            f"on {label}, the output is x + pe unchanged: no dropout in training"))
    return Finding(DROPOUT_PLACE, "output", (
        f"on {label}, the output is not x + pe with entries zeroed and the rest scaled by "
        f"1/(1 − p)"))


EXERCISES = [
    method_exercise("MultiHeadAttention.forward", CS231N,
                    ("self", "query", "key", "value", "attn_mask"), _mha_check),
    method_exercise("PositionalEncoding.forward", CS231N, ("self", "x"), _pe_check),
]
