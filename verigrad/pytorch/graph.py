"""What PyTorch's recorded autograd graph says about one tensor's gradient.

``t.grad`` is the sum of what each operation that consumed t sent back to it. When the
graph is still alive (``loss.backward(retain_graph=True)``, or inside ``recording()``),
``paths(loss, t)`` re-runs the backward pass from the loss with a hook on every consumer of
t and returns each consumer's share: the evidence for a forgotten second path (a tensor
used twice whose gradients were not added) and for an activation's derivative computed
from the wrong array (the hook also sees the gradient that reached the activation's output).

    with recording():          # loss.backward() keeps its graph; the last loss is remembered
        loss.backward()
    last_loss()                # that loss (None before any backward)
    paths(last_loss(), t)      # [Path(op, share, upstream, index_hits), ...] or None

torch is imported by the caller (a tensor exists); this module only reads ``sys.modules``.
"""
from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..arraylike import to_numpy, torch_module

_last_loss: Any = None


@dataclass
class Path:
    """One use of a tensor in the forward pass.

    op: the autograd node's name (``MulBackward0``); share: the gradient this use sent back
    (a NumPy array of t's shape); upstream: the gradient that reached the op's output (its
    first output), which names an activation's derivative; index_hits: for an indexing op
    (``C[Xb]``), how many times each row of t was read, else None.
    """

    op: str
    share: np.ndarray
    upstream: np.ndarray | None
    index_hits: np.ndarray | None


def last_loss() -> Any:
    """The tensor whose ``backward()`` ran last inside ``recording()``, if still alive."""
    return _last_loss() if _last_loss is not None else None


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Within this block, ``Tensor.backward`` keeps the graph (retain_graph=True) and
    remembers its tensor, so that ``vg.cmp`` can ask the graph about missing paths."""
    torch: Any = torch_module()  # imported: the learner's code uses it
    original = torch.Tensor.backward

    def backward(self: Any, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> Any:
        global _last_loss
        _last_loss = weakref.ref(self)
        return original(self, gradient, True if retain_graph is None else retain_graph,
                        create_graph, inputs)

    torch.Tensor.backward = backward
    try:
        yield
    finally:
        torch.Tensor.backward = original


def _node_of(tensor: Any) -> Any:
    """The graph node that gradients of ``tensor`` flow into."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if not tensor.requires_grad:
        return None
    # a leaf: its AccumulateGrad node, reached through a throwaway view
    torch: Any = torch_module()
    with torch.enable_grad():
        return tensor.view_as(tensor).grad_fn.next_functions[0][0]


def _consumers(root: Any, target: Any) -> list[tuple[Any, int]]:
    """[(node, input index)] of every edge of the graph below ``root`` into ``target``."""
    found: list[tuple[Any, int]] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for index, (child, _) in enumerate(node.next_functions):
            if child is target:
                found.append((node, index))
            elif child is not None:
                stack.append(child)
    return found


def _index_hits(node: Any, rows: int) -> np.ndarray | None:
    """For an indexing node (``C[Xb]``), how often each of the ``rows`` rows was read."""
    indices = getattr(node, "_saved_indices", None)
    if not indices or indices[0] is None or len(indices) != 1:
        return None
    flat = to_numpy(indices[0]).reshape(-1).astype(np.int64)
    return np.bincount(flat % rows, minlength=rows)


def _retaining(torch: Any) -> list[Any]:
    """The live non-leaf tensors that keep a .grad (``retain_grad()``)."""
    # type(), not isinstance: isinstance reads __class__, which some lazy modules warn on
    return [x for x in gc.get_objects()
            if issubclass(type(x), torch.Tensor) and x.grad_fn is not None
            and x.retains_grad and x.grad is not None]


def paths(loss: Any, tensor: Any) -> list[Path] | None:
    """Each use of ``tensor`` below ``loss`` with its share of ``tensor.grad``; None when the
    graph cannot tell (no loss, tensor not in its graph, or the graph was freed)."""
    torch: Any = torch_module()
    if loss is None or loss.grad_fn is None or not tensor.requires_grad:
        return None
    target = _node_of(tensor)
    edges = _consumers(loss.grad_fn, target) if target is not None else []
    if not edges:
        return None
    shares: dict[int, Any] = {}
    upstream: dict[int, Any] = {}
    handles = []
    for number, (node, index) in enumerate(edges):
        def hook(grad_inputs: tuple[Any, ...], grad_outputs: tuple[Any, ...],
                 number: int = number, index: int = index) -> None:
            shares[number] = grad_inputs[index]
            upstream[number] = grad_outputs[0] if grad_outputs else None
        handles.append(node.register_hook(hook))
    # the pass adds into the .grad of every tensor that retains its gradient: put them back
    kept = [(x, x.grad.clone()) for x in _retaining(torch)]
    try:
        torch.autograd.grad(loss, tensor, retain_graph=True, allow_unused=True)
    except RuntimeError:  # the graph's saved tensors were freed by backward()
        return None
    finally:
        for handle in handles:
            handle.remove()
        for x, grad in kept:
            x.grad = grad
    found: list[Path] = []
    for number, (node, _) in enumerate(edges):
        share = shares.get(number)
        if share is None:
            continue
        up = upstream.get(number)
        rows = tensor.shape[0] if tensor.dim() else 1
        hits = _index_hits(node, rows) if "Index" in node.name() else None
        found.append(Path(node.name(), to_numpy(share).astype(np.float64),
                          None if up is None else to_numpy(up).astype(np.float64), hits))
    return found


_seen: list[weakref.ref[Any]] = []


def remember(tensor: Any) -> None:
    """Note a tensor that ``cmp`` compared: a later tensor that feeds it finds the gradient
    that reached it there (``upstream_magnitude``), even after the graph was freed."""
    _seen.append(weakref.ref(tensor))
    del _seen[:-256]


def upstream_magnitude(tensor: Any, loss: Any, uses: list[Path] | None = None) -> float:
    """The largest gradient that reached an operation consuming ``tensor``: the size of the
    terms its gradient adds up, which sets the rounding of a gradient that cancels to nearly
    zero (a bias before batch norm). 0 when unknown. uses: ``paths(loss, tensor)`` when
    already known."""
    if uses is None:
        uses = paths(loss, tensor)
    if uses:
        return max((float(np.max(np.abs(u.upstream), initial=0)) for u in uses
                    if u.upstream is not None), default=0.0)
    target = _node_of(tensor)
    found = 0.0
    for ref in _seen:
        other = ref()
        if other is None or other.grad_fn is None or other.grad is None:
            continue
        if any(child is target for child, _ in other.grad_fn.next_functions):
            found = max(found, float(other.grad.detach().abs().max()))
    return found
