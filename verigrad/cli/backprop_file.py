"""``verigrad check`` on a params/cost/grads file: the learner's code runs in a child
process (``_learner``), the verdict is computed here.

The child imports the file and evaluates ``cost`` and ``grads`` at the parameters this
process sends; ``check_backprop`` runs here, on ``LearnerProcess.cost`` and
``LearnerProcess.grads``, which stand for the learner's functions. So nothing the file does
in its own process (write the result file, print a verdict, os._exit(0), change verigrad
there) can decide the result: this process never runs the learner's code, reads only
numbers from it (``wire``: no pickle), and writes the table and the --json file itself.
The whole check obeys --timeout: the child is killed when it runs out.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..child import ChildEnded, ChildProcess
from ..exercises import files
from ..gradcheck import check_backprop
from .common import CommandError
from .output import write_output

# Above this share of changed entries an array is sent whole rather than as its changes.
_SPARSE_SHARE = 0.25
# Evaluations of the cost asked for in one message (a central difference needs two).
_BATCH = 2048


class LearnerFailed(Exception):
    """The learner's file raised, exited, hung past the time limit or sent nonsense: the
    message says which, in one line."""


class LearnerProcess:
    """The child process that runs a learner's params/cost/grads file, and its functions
    as this process sees them: ``params`` and ``order`` (read when it starts),
    ``cost(params)`` and ``grads(params)``. Use it in a ``with`` block."""

    def __init__(self, path: Path, timeout: float, debug: bool = False):
        self.path, self.timeout, self.debug = Path(path), timeout, debug
        self.last: dict[str, np.ndarray] = {}  # the parameters as the child has them
        self.process = ChildProcess("verigrad.cli._learner", [str(self.path)] + (
            ["--debug"] if debug else []), timeout, replies=True)

    def start(self) -> None:
        """Read the learner's parameters (``params``, ``order``) as its file defines them."""
        header, arrays = self._receive()
        if header.get("op") != "ready":
            raise LearnerFailed(f"{self.path} sent {header!r} instead of its parameters")
        self.params = dict(zip(header["names"], arrays))
        self.order, self.odd = header.get("order"), header.get("odd") or {}
        self.last = {k: v.copy() for k, v in self.params.items()}

    def __enter__(self) -> LearnerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.process.close()

    def output(self) -> tuple[str, str]:
        """What the learner's file printed: (stdout, stderr)."""
        return self.process.output()

    def _receive(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        try:
            header, arrays = self.process.receive()
        except ChildEnded as ended:
            if ended.timed_out:
                raise LearnerFailed(f"{self.path} did not finish within --timeout "
                                    f"{self.timeout:g} s (a cost or grads that never "
                                    f"returns?)") from None
            raise LearnerFailed(
                f"{self.path} sent a malformed message: {ended.malformed}" if ended.malformed
                else f"{self.path} ended the check before it finished (its process exited "
                f"with status {ended.status}: os._exit, a crash or a kill); a file to check "
                f"should only define params, cost and grads") from None
        if "error" in header:
            raise LearnerFailed(str(header["error"]))
        return header, arrays

    def _delta(self, params: dict[str, Any]) -> tuple[list[list[str]], list[np.ndarray]]:
        """What changed in params since the child last had them: [name, "full"] (the
        array) or [name, "sparse"] (its changed flat indices and their values)."""
        delta: list[list[str]] = []
        arrays: list[np.ndarray] = []
        for name, value in params.items():
            old = self.last.get(name)
            value = np.asarray(value)
            if old is not None and old.shape == value.shape:
                changed = np.flatnonzero(~((old == value) | (np.isnan(old) & np.isnan(value))))
                if not changed.size:
                    continue
                if changed.size <= _SPARSE_SHARE * value.size:
                    delta.append([name, "sparse"])
                    arrays += [changed, value.reshape(-1)[changed]]
                    self.last[name] = value.copy()
                    continue
            delta.append([name, "full"])
            arrays.append(value)
            self.last[name] = value.copy()
        return delta, arrays

    def _report(self, header: dict[str, Any]) -> None:
        report = np.geterrcall()
        if header.get("errors") and callable(report):
            for kind in header["errors"]:  # NumPy's reports, as if raised here
                report(kind, 0)

    def _call(self, op: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[np.ndarray]]:
        """Ask the child for op(params); copy into params the arrays the call changed."""
        delta, arrays = self._delta(params)
        # the child seeds np.random with a draw from this process's: the same number when
        # the check re-seeds np.random before each call (dropout frozen), else a new one
        seed = int(np.random.randint(2 ** 31))
        self.process.send({"op": op, "seed": seed, "delta": delta}, arrays)
        header, arrays = self._receive()
        returned = iter(arrays)
        for name in header.get("changed", []):
            value = next(returned)
            params[name] = value.copy() if params.get(name) is None or np.shape(
                params[name]) != value.shape else _into(params[name], value)
            self.last[name] = value.copy()
        for name in header.get("removed", []):
            params.pop(name, None)
        self._report(header)
        return header, list(returned)

    def many(self, params: dict[str, np.ndarray], name: str, flat: np.ndarray,
             values: np.ndarray, before_each: Callable[[], None]) -> list[Any] | None:
        """``cost`` at many points in a few messages (``gradcheck.BatchCost``): the same
        seeds, drawn in the same order, as one call each would send. None (np.random as it
        was) when the child finds an evaluation that raised, changed its params or returned
        no number: then each is evaluated one call at a time, as the check did."""
        state = np.random.get_state()
        seeds = []
        for _ in range(len(values)):
            before_each()
            seeds.append(int(np.random.randint(2 ** 31)))
        costs: list[Any] = []
        for start in range(0, len(values), _BATCH):
            delta, arrays = self._delta(params)
            part = slice(start, start + _BATCH)
            self.process.send({"op": "costs", "name": name, "seeds": seeds[part],
                               "delta": delta}, [*arrays, flat[part], values[part]])
            header, returned = self._receive()
            if header.get("fallback") or len(returned) != 1 or len(returned[0]) != len(
                    seeds[part]):
                np.random.set_state(state)
                return None
            self._report(header)
            costs += list(returned[0])
        return costs

    def cost(self, params: dict[str, np.ndarray]) -> Any:
        header, arrays = self._call("cost", params)
        if header.get("none"):
            return None
        if "type" in header:
            raise TypeError(f"cost(params) must return one number, got {header['type']}")
        return arrays[0]

    def grads(self, params: dict[str, np.ndarray]) -> Any:
        header, arrays = self._call("grads", params)
        if header.get("kind") == "other":
            raise TypeError(f"grads(params) must return a dict (dW1, db1, ...) or a tuple "
                            f"with order=[...], got {header['type']}")
        if header.get("bad"):
            key, kind = next(iter(header["bad"].items()))
            raise TypeError(f"grads(params)[{key!r}] is not an array of numbers ({kind})")
        if header["kind"] == "dict":
            return dict(zip(header["keys"], arrays))
        return list(arrays)


class LearnerCost:
    """The learner's ``cost`` as the check calls it: one evaluation, ``cost(params)``, or
    many in one message, ``cost.many(...)`` (``gradcheck.BatchCost``)."""

    def __init__(self, learner: LearnerProcess):
        self.learner = learner

    def __call__(self, params: dict[str, np.ndarray]) -> Any:
        return self.learner.cost(params)

    def many(self, params: dict[str, np.ndarray], name: str, flat: np.ndarray,
             values: np.ndarray, before_each: Callable[[], None]) -> list[Any] | None:
        return self.learner.many(params, name, flat, values, before_each)


def _into(target: np.ndarray, value: np.ndarray) -> np.ndarray:
    target[...] = value
    return target


def run(path: Path, settings: dict[str, Any], timeout: float, json_path: Path | None,
        debug: bool = False) -> int:
    """Check the params/cost/grads file ``path``: print the learner's output, then the
    report; write --json; return the exit code (0 right, 1 wrong; 2 raises CommandError)."""
    report, error = None, None
    learner = None
    try:
        learner = LearnerProcess(path, timeout, debug)
        learner.start()
        if learner.odd:
            key, kind = next(iter(learner.odd.items()))
            raise TypeError(f"params[{key!r}] must be a NumPy array of numbers, got {kind}")
        report = check_backprop(LearnerCost(learner), learner.grads, learner.params,
                                order=learner.order, **settings)
    except LearnerFailed as err:
        error = str(err)
    except (TypeError, ValueError, KeyError) as err:  # the check's verdict on what it got
        error = f"{path}: {err.args[0] if isinstance(err, KeyError) and err.args else err}"
    finally:
        if learner is not None:
            learner.close()
            out, err_text = learner.output()
            sys.stdout.write(out)
            sys.stderr.write(err_text)
    if error is not None:
        if json_path is not None:
            write_output(json_path, json.dumps({"file": str(path), "exit_code": 2,
                                                "error": error, "tests": []}, indent=1),
                         "--json")
        raise CommandError(error)
    assert report is not None  # check_backprop returned, or error was set
    print(report, flush=True)
    payload = {"results": [{
        "name": "grads", "exercise": "params, cost(params), grads(params)",
        "verdict": "ok" if report.ok else "WRONG", "ok": bool(report.ok), "config": None,
        "where": None, "assumed": None,
        "findings": [{"kind": str(f.kind), "param": f.param, "message": f.message}
                     for f in report.findings],
        "report": None if report.ok else str(report)}], "notes": []}
    if json_path is not None:
        write_output(json_path, json.dumps({**files.as_json(payload, path),
                                            "precision": report.precision}, indent=1),
                     "--json")
    return files.exit_code(payload)
