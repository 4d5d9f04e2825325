"""The process in which ``verigrad check`` runs a learner's params/cost/grads file.

    python -m verigrad.cli._learner READ_FD WRITE_FD FILE [--debug]

imports FILE, sends its ``params`` (and ``order``) to the checking process through the pipe
WRITE_FD, then answers that process's requests read from READ_FD: the value of ``cost`` or
``grads`` at the parameters it sends (as changes to the last ones), and the arrays the call
changed in place. This process only evaluates the learner's functions: it never judges
them. The verdict is computed by the checking process from the values sent here, so code in
FILE (which runs in this process: it may write files, print a verdict, call os._exit or
change verigrad here) cannot decide it. Messages are ``wire``'s: JSON and NumPy arrays,
never pickle.
"""
from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import wire


def describe(err: BaseException, path: Path) -> str:
    """One line: what the learner's code raised, and where in their file."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if Path(f.filename).resolve() == path.resolve()]
    where = f" (line {frames[-1].lineno} of {path}, in {frames[-1].name})" if frames else ""
    if isinstance(err, SystemExit):
        return (f"{path} called sys.exit({err.code!r}){where} before the check finished: a "
                f"file to check should only define params, cost and grads")
    if isinstance(err, SyntaxError):
        return f"{path} has a syntax error: {err.msg} (line {err.lineno})"
    if not frames:  # the check's own verdict on what the file defines
        return str(err)
    return f"{path} raised {type(err).__name__}{f': {err}' if str(err) else ''}{where}"


def _numbers(value: Any) -> np.ndarray | None:
    """value as an array of numbers, or None when it is not one."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 -- whatever the learner returned
        return None
    return array if array.dtype.kind in "biuf" else None


def _apply(state: dict[str, Any], header: dict[str, Any],
           arrays: Iterable[np.ndarray]) -> None:
    """Bring ``state`` to the parameters the checking process sends: whole arrays, or the
    flat entries that changed since the last call."""
    sent = iter(arrays)
    for name, how in header["delta"]:
        if how == "full":
            state[name] = next(sent).copy()
        else:
            index, values = next(sent), next(sent)
            np.put(state[name], index, values)


def _reply(function: Callable[[dict[str, Any]], Any], state: dict[str, Any],
           header: dict[str, Any], path: Path,
           debug: bool) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Call function(state) and describe its result, and the arrays it changed, as a
    message."""
    before = {k: v.copy() for k, v in state.items()}
    np.random.seed(header["seed"])  # the checking process's draw: repeatable when it is
    errors: set[str] = set()
    try:
        with np.errstate(all="call", call=lambda kind, flag: errors.add(kind)):
            value = function(state)
    except BaseException as err:  # noqa: BLE001 -- whatever the learner's code does
        if debug:
            traceback.print_exc()
        return {"error": describe(err, path)}, []
    reply: dict[str, Any] = {"errors": sorted(errors), "changed": [], "removed": []}
    arrays: list[np.ndarray] = []
    for name, old in before.items():
        now = state.get(name)
        if isinstance(now, np.ndarray) and now.shape == old.shape and now.dtype.kind == "f":
            if not np.array_equal(now, old, equal_nan=True):
                reply["changed"].append(name)
                arrays.append(now)
        else:
            reply["removed"].append(name)
        state[name] = now if name in reply["changed"] else old
    if header["op"] == "cost":
        array = None if value is None else _numbers(value)
        if value is None:
            reply["none"] = True
        elif array is None:
            reply["type"] = type(value).__name__
        else:
            arrays.append(array)
        return reply, arrays
    if isinstance(value, Mapping):
        reply["kind"], reply["keys"], reply["bad"] = "dict", [], {}
        items = list(value.items())
    elif isinstance(value, (tuple, list)):
        reply["kind"], reply["keys"], reply["bad"] = "sequence", [], {}
        items = list(enumerate(value))
    else:
        reply["kind"], reply["type"] = "other", type(value).__name__
        return reply, arrays
    for key, item in items:
        array = _numbers(item)
        if array is None:
            reply["bad"][str(key)] = type(item).__name__
        else:
            reply["keys"].append(str(key))
            arrays.append(array)
    return reply, arrays


def _costs(cost: Callable[[dict[str, Any]], Any], state: dict[str, Any],
           header: dict[str, Any], flat: np.ndarray,
           values: np.ndarray) -> tuple[dict[str, Any], list[np.ndarray]]:
    """cost(state) with state[name]'s flat entry flat[k] set to values[k], for each k, np.random
    seeded with seeds[k] before each: the costs as one array. {"fallback": True} as soon as
    an evaluation raises, changes its params or returns no number, with state as it was:
    the checking process then asks for each evaluation alone, which reports it as usual."""
    name, seeds = header["name"], header["seeds"]
    target = state.get(name)
    if not isinstance(target, np.ndarray) or not len(seeds) == len(values) == len(flat):
        return {"fallback": True}, []
    before = {k: v.copy() for k, v in state.items()}
    errors: set[str] = set()
    results: list[np.ndarray] = []
    for index, value, seed in zip(flat, values, seeds):
        target.reshape(-1)[index] = value
        np.random.seed(seed)
        try:
            with np.errstate(all="call", call=lambda kind, flag: errors.add(kind)):
                result = cost(state)
        except BaseException:  # noqa: BLE001 -- asked again alone, it is reported as usual
            result = None
        array = None if result is None else _numbers(result)
        target.reshape(-1)[index] = before[name].reshape(-1)[index]
        if (array is None or array.size != 1 or state.keys() != before.keys() or any(
                state[k] is not before_k and not (
                    isinstance(state[k], np.ndarray) and state[k].shape == before_k.shape
                    and np.array_equal(state[k], before_k, equal_nan=True))
                for k, before_k in before.items()) or (
                results and array.dtype != results[0].dtype)):
            state.clear()
            state.update(before)
            return {"fallback": True}, []
        results.append(array.reshape(()))
    return {"errors": sorted(errors)}, [np.stack(results) if results else np.empty(0)]


def main(argv: list[str]) -> None:
    from .check import load_learner_file

    path, debug = Path(argv[2]), "--debug" in argv
    rx, tx = os.fdopen(int(argv[0]), "rb"), os.fdopen(int(argv[1]), "wb")
    try:
        params, cost, grads, order = load_learner_file(path)
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict of NumPy arrays (name -> array), got "
                            f"{type(params).__name__}")
    except BaseException as err:  # noqa: BLE001 -- whatever the learner's code does
        if debug:
            traceback.print_exc()
        wire.send(tx, {"error": describe(err, path)})
        return
    state = {str(k): v for k, v in params.items() if isinstance(v, np.ndarray)
             and v.dtype.kind in "biuf"}
    odd = {str(k): type(v).__name__ for k, v in params.items() if str(k) not in state}
    order = [str(o) for o in order] if isinstance(order, (list, tuple)) else None
    wire.send(tx, {"op": "ready", "names": list(state), "order": order, "odd": odd},
              list(state.values()))
    functions = {"cost": cost, "grads": grads}
    while True:
        try:
            header, arrays = wire.receive(rx)
        except (wire.WireError, OSError):  # the checking process is done with this one
            return
        if header.get("op") == "costs":
            _apply(state, header, arrays[:-2])
            reply, out = _costs(cost, state, header, arrays[-2], arrays[-1])
            wire.send(tx, reply, out)
            continue
        if header.get("op") not in functions:
            return
        _apply(state, header, arrays)
        reply, out = _reply(functions[header["op"]], state, header, path, debug)
        wire.send(tx, reply, out)
        if "error" in reply:
            return


if __name__ == "__main__":
    main(sys.argv[1:])
