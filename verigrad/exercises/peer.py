"""One end of the pipe between ``verigrad check`` and the process that runs a learner's
file (``remote`` is the checking end, ``learner_process`` the learner's): requests and
replies as ``wire`` messages, served as they come.

Either end may call the other while it waits for a reply: the checking process calls the
learner's functions, and the learner's code calls back what the check handed it (a
reference function put in its namespace, a method the check recorded with). ``Peer.ask``
sends a request and serves the other end's requests until its reply comes, so calls nest
as they would in one process.

A call's reply carries the value returned, the arguments the call changed in place (sent
again whole, so that the caller changes its own objects the same way), the floating-point
errors NumPy met (under the caller's ``np.errstate``) and NumPy's global random state
after the call (the caller's draws go on from the callee's, as in one process).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO, cast

import numpy as np

from .. import wire

#: the requests an end may send: the serving end has a handler for each
OPS = ("call", "map", "iterate", "getattr", "setattr", "subclass", "substitute", "restore",
       "global_is", "finish")


def random_state() -> list[Any]:
    """NumPy's global random state as plain data: [position, has_gauss, gauss, keys]."""
    _, keys, position, has_gauss, gauss = cast(Any, np.random.get_state())
    return [int(position), int(has_gauss), float(gauss), keys]


def set_random_state(state: Any) -> None:
    """Set NumPy's global random state to ``random_state()``'s ``state``."""
    if not (isinstance(state, list) and len(state) == 4 and isinstance(state[3], np.ndarray)
            and state[3].shape == (624,)):
        raise wire.WireError("a random state that is not NumPy's")
    np.random.set_state(("MT19937", state[3].astype(np.uint32), int(state[0]),
                         int(state[1]), float(state[2])))


def same(a: Any, b: Any) -> bool:
    """Whether two values (trees of containers and arrays) are equal, NaN equal to NaN."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    try:
        return bool(a is b or a == b)
    except Exception:  # noqa: BLE001 -- an object without a plain equality
        return False


def update_in_place(mine: Any, new: Any) -> Any:
    """Make ``mine`` equal to ``new`` by changing it where it can be changed (an array's
    entries, a dict's or a list's items, recursively); returns what stands for ``new``:
    ``mine`` itself when it could be changed, else ``new``."""
    if isinstance(mine, np.ndarray) and isinstance(new, np.ndarray):
        if mine.shape == new.shape and mine.flags.writeable:
            if not np.array_equal(mine, new, equal_nan=True):
                mine[...] = new
            return mine
        return new
    if isinstance(mine, dict) and isinstance(new, dict):
        for key in [k for k in mine if k not in new]:
            del mine[key]
        for key, value in new.items():
            mine[key] = update_in_place(mine[key], value) if key in mine else value
        return mine
    if isinstance(mine, list) and isinstance(new, list):
        kept = [update_in_place(m, n) for m, n in zip(mine, new)]
        mine[:] = kept + new[len(kept):]
        return mine
    if isinstance(mine, tuple) and isinstance(new, tuple) and len(mine) == len(new):
        for m, n in zip(mine, new):
            update_in_place(m, n)
        return mine
    return new


class CallFailed(Exception):
    """The other end's call raised: ``described`` is ``wire.describe_error``'s message, and
    ``time_limit`` the seconds of a time limit it ran past (or None)."""

    def __init__(self, described: Mapping[str, Any], time_limit: float | None = None,
                 waited: bool = False) -> None:
        super().__init__(str(described.get("text", "")))
        self.described, self.time_limit, self.waited = dict(described), time_limit, waited


class Peer:
    """An end of the pipe. A subclass gives its codec (``codec``: how the objects it keeps
    and the other end's references travel) and its handlers (``handle_<op>``)."""

    def __init__(self, rx: BinaryIO, tx: BinaryIO) -> None:
        self.rx, self.tx = rx, tx
        self.synced: list[Any] | None = None  # the random state both ends last agreed on

    def random_out(self) -> list[Any] | None:
        """NumPy's random state to send, or None when the other end has it already."""
        state = random_state()
        if self.synced is not None and state[:3] == self.synced[:3] and np.array_equal(
                state[3], self.synced[3]):
            return None
        self.synced = state
        return state

    def random_in(self, state: Any) -> None:
        """Take the other end's random state."""
        set_random_state(state)
        self.synced = random_state()

    def call_values(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The values of a call request: the arguments, and the random state if it moved."""
        state = self.random_out()
        return {"args": args, "kwargs": dict(kwargs),
                **({"random": state} if state is not None else {})}

    def codec(self, arrays: Any = (), known: dict[int, list[Any]] | None = None,
              root: Any = None) -> wire.Codec:
        raise NotImplementedError

    # ---- asking --------------------------------------------------------------------------

    def ask(self, op: str, values: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        """Send the request ``op`` with ``values`` (packed) and ``fields`` (plain JSON);
        serve the other end until the reply, which is returned as its header with
        "value" unpacked (raises ``CallFailed`` when the call raised)."""
        codec = self.codec()
        packed = {k: codec.pack(v) for k, v in values.items()}
        wire.send(self.tx, {"op": op, **fields, "values": packed}, codec.arrays)
        header, arrays = self.wait()
        if header["op"] == "raised":
            raise CallFailed(header.get("error") or {}, header.get("time_limit"),
                             bool(header.get("waited")))
        root = [values.get("args", ()), values.get("kwargs", {})]
        changes = header.get("changes") or []
        reading = self.codec(arrays, root=root)
        for path, tree in changes if isinstance(changes, list) else ():
            target = reading.resolve(path)
            update_in_place(target, self.codec(arrays).unpack(tree))
        state = header.get("random")
        if state is not None:
            self.random_in(self.codec(arrays).unpack(state))
        header["value"] = reading.unpack(header.get("value"))
        return header

    def wait(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """The next reply, serving the requests that come before it."""
        while True:
            header, arrays = wire.receive(self.rx)
            op = header.get("op")
            if op in ("reply", "raised"):
                return header, arrays
            if op not in OPS:
                raise wire.WireError(f"a message with op {op!r}")
            self.serve(op, header, arrays)

    # ---- serving -------------------------------------------------------------------------

    def serve(self, op: str, header: dict[str, Any], arrays: list[np.ndarray]) -> None:
        """Answer one request: the handler's value, or what it raised."""
        handler: Callable[..., Any] | None = getattr(self, f"handle_{op}", None)
        if handler is None:
            wire.send(self.tx, {"op": "raised", "error": {
                "type": "RuntimeError", "bases": ["RuntimeError"],
                "text": f"this end does not take {op!r}"}})
            return
        # the arguments are unpacked by the codec whose record of what it built lets the
        # reply point back at them; anything else by another
        codec, other = self.codec(arrays), self.codec(arrays)
        raw = header.get("values")
        positions = {"args": 0, "kwargs": 1}
        values = {k: codec.unpack(v, (positions[k],)) if k in positions else other.unpack(v)
                  for k, v in raw.items()} if isinstance(raw, dict) else {}
        handler(header, values, codec)

    def reply(self, value: Any, known: dict[int, list[Any]] | None = None,
              changes: Iterable[tuple[list[Any], Any]] = (), **fields: Any) -> None:
        """Send the reply to a request: ``value``, and ``changes`` ([path of an argument,
        its value now])."""
        codec = self.codec(known=known)
        tree = codec.pack(value)
        plain = self.codec(codec.arrays)  # changed arguments go whole, not as references
        packed = [[path, plain.pack(v)] for path, v in changes]
        state = self.random_out()
        wire.send(self.tx, {"op": "reply", "value": tree, "changes": packed,
                            "random": None if state is None else plain.pack(state), **fields},
                  plain.arrays)

    def run_call(self, function: Callable[..., Any], values: Mapping[str, Any],
                 codec: wire.Codec, errstate: Mapping[str, str] | None = None,
                 guard: Callable[[], Any] | None = None) -> None:
        """Call ``function`` with the request's args and kwargs (under the caller's random
        state and ``errstate``, inside the context ``guard()`` when given) and reply: the
        value (what it returned that is one of the arguments goes back as a reference to
        it), the arguments it changed, the floating-point errors it met."""
        args, kwargs = values.get("args", ()), values.get("kwargs", {})
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise wire.WireError("a call without a tuple of arguments and a dict of keywords")
        if "random" in values:
            self.random_in(values["random"])
        before_args, before_kwargs = copy.deepcopy((args, kwargs))
        met: list[str] = []
        settings = {k: ("call" if v == "call" else v) for k, v in (errstate or {}).items()
                    if k in ("divide", "over", "under", "invalid")
                    and v in ("ignore", "warn", "raise", "call", "print", "log")}
        with np.errstate(**cast(Any, settings), call=lambda kind, flag: met.append(kind)):
            if guard is None:
                value = function(*args, **kwargs)
            else:
                with guard():
                    value = function(*args, **kwargs)
        changes = [([0, i], a) for i, a in enumerate(args) if not same(a, before_args[i])]
        changes += [([1, k], v) for k, v in kwargs.items() if not same(v, before_kwargs[k])]
        self.reply(value, known=codec.built, changes=changes, floating=sorted(set(met)))
