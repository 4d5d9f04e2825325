"""The learner's functions and classes as the checking process sees them: proxies of the
objects that live in the learner's process (``learner_process``), which the catalogue
calls as it calls functions of its own.

    with LearnerProcess(path, run_all=False, timeout=120) as learner:
        functions = learner.functions()          # name -> RemoteFunction / RemoteClass
        results = check_functions(functions)     # every verdict computed here

A call sends the arguments (trees of containers, numbers, arrays; a function of the
checking process goes as a callback the learner's code calls back through the pipe) and
returns the learner's result, or raises the learner's exception rebuilt
(``wire.rebuild_error``: its type and text, its frames in the learner's files as
``learner_frames``), as a function of this process would. Arguments the learner's code
changed in place are changed here the same way, a result that is one of the arguments is
that argument, NumPy's floating-point errors reach this process's ``np.errstate`` and the
global random state goes on from the learner's draws.

What the catalogue reads of a function is in the manifest the learner's process sends
first: ``__name__``, ``__signature__``, ``__defaults__``, ``__doc__``, and its file and first
line, by which its ``__code__`` is found among the code objects this process compiled from
the file's source itself (``codes``; compiling is not running; else one is made from the
signature), so that inspect reads its source and ``notebook_globals`` the globals it reads.
``__globals__`` stands for the learner's namespace: its names, each 0 where it holds data
and None elsewhere (read-only). Nothing of the learner's code runs here. Instances of the
learner's classes stay in the learner's process behind handles (``RemoteObject``:
attributes are read and set as values, methods called).

Time: each exercise's check may use ``limit`` seconds of the learner's process's CPU time
(each call runs under ``isolation.time_limit`` there, with what is left); a call that does
not answer within ``WALL_FACTOR`` times that in wall-clock time is stopped here, and the
whole check within ``wall`` seconds. A call
past its time raises ``TimeLimitExceeded``; a call during which the learner's process ends
(os._exit, a crash, a kill) raises ``ProcessEnded``, and the process is started again, the
file run again, for the next call. When the whole check's CPU time (``timeout``) or its
wall-clock time (``wall_limit``) is spent, ``OutOfTime`` ends the check.
"""
from __future__ import annotations

import contextlib
import copy
import inspect
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import CodeType, MappingProxyType
from typing import Any, BinaryIO, cast

import numpy as np

from .. import wire
from ..child import spawn
from .core import right_callee_key
from .isolation import TimeLimitExceeded
from .peer import CallFailed, Peer

#: how many times its CPU time a call, or a file's whole check (``wall_limit``), may
#: take in wall-clock time (a busy machine)
WALL_FACTOR = 4
#: wall-clock seconds, beyond that, for a call's messages and a slow start
SLACK_SECONDS = 10

#: wall-clock seconds, beyond that, for starting Python and the imports
START_SECONDS = 20


def wall_limit(timeout: float) -> float:
    """Wall-clock seconds the learner's process of a check with ``timeout`` seconds of CPU time may
    take before it is stopped: ``WALL_FACTOR`` times its CPU time, so that a file whose
    statements keep waiting (each stopped after its own limit) is stopped as a whole, while
    on a machine busy enough to give the worker a quarter of a core a correct file still
    finishes; plus the start. The verdicts reached by then are kept."""
    return WALL_FACTOR * timeout + START_SECONDS


_MODULE = "__learner__"
#: calls sent in one message by ``RemoteFunction.map``
MAP_CHUNK = 128


class ProcessEnded(Exception):
    """The learner's process ended (os._exit, a crash, a kill) during a call."""


class OutOfTime(BaseException):
    """The whole check's time is spent. A BaseException: no check catches it as the
    learner's error; it ends the check, whose verdicts so far stand."""


class CannotStart(Exception):
    """The learner's file could not be run (the message says why)."""


class LearnerProcess(Peer):
    """The process that runs the learner's file, and this process's end of its pipe. Use
    it in a ``with`` block; ``functions()`` gives the proxies to check."""

    def __init__(self, path: str | os.PathLike[str], run_all: bool = False,
                 timeout: float = 120, limit: float | None = None,
                 codes: Mapping[tuple[str, int, str], CodeType] | None = None) -> None:
        self.path, self.run_all, self.timeout = Path(path).resolve(), run_all, timeout
        self.codes = dict(codes or {})
        self.limit = limit or timeout
        self.wall = wall_limit(timeout)
        self.began = time.monotonic()
        self.generation, self.starts = 0, 0
        self.child: subprocess.Popen[bytes] | None = None
        self.callbacks: list[Callable[..., Any]] = []
        self.cpu_total = 0.0  # the learner's processes' CPU time, all of them
        self.cpu_last = 0.0  # the current process's CPU time at its last message
        self.spent = 0.0  # CPU time of the current exercise's check
        self.deadline: float | None = None
        self.killed = False
        self._folder = tempfile.TemporaryDirectory(prefix="verigrad-check-")
        self._watch = threading.Thread(target=self._watchdog, daemon=True)
        self._closing = threading.Event()
        self.manifest: dict[str, Any] = {}
        self.output: BinaryIO | None = None
        self.manifest_arrays: list[np.ndarray] = []
        self._watch.start()
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        self.first = self.manifest
        names, data = self.first.get("names") or [], set(self.first.get("data") or [])
        self.namespace = MappingProxyType({str(n): 0 if n in data else None for n in names})

    # ---- the child process ----------------------------------------------------------------

    def start(self) -> None:
        """Start the learner's process and read its manifest."""
        left = self.timeout - self.cpu_total
        if left <= 0 or time.monotonic() - self.began > self.wall:
            raise OutOfTime()
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        args = [str(self.path), "--limit", str(self.limit), "--cpu-limit", str(left)] + (
            ["--all"] if self.run_all else [])
        self.starts += 1
        if self.output is not None:
            self.output.close()
        self.output = open(Path(self._folder.name) / f"output{self.starts}", "w+b")  # noqa: SIM115
        self.child = spawn("verigrad.exercises.learner_process", (to_child, to_parent), args,
                           self.output, self.output)
        self.tx: BinaryIO = os.fdopen(from_parent, "wb")
        self.rx: BinaryIO = os.fdopen(from_child, "rb")
        self.generation += 1
        self.cpu_last, self.killed = 0.0, False
        self.synced = None  # a new process has its own random state
        self.deadline = self.began + self.wall
        try:
            header, arrays = wire.receive(self.rx)
        except (wire.WireError, OSError):
            status = self._ended()
            if self.killed or status == -getattr(signal, "SIGXCPU", -1):
                raise OutOfTime() from None
            raise CannotStart(f"the file's code stopped the check (exit status {status}) "
                              f"before any result: {self.printed(5)}") from None
        finally:
            self.deadline = None
        self._count(header)
        if header.get("op") == "cannot":
            self._ended()
            raise CannotStart(str(header.get("error")))
        if header.get("op") != "ready" or not isinstance(header.get("functions"), dict):
            self._ended()
            raise CannotStart("the learner's process sent no manifest of the file")
        self.manifest, self.manifest_arrays = header, arrays

    def printed(self, lines: int) -> str:
        """The last lines the learner's process printed (stdout and stderr)."""
        if self.output is None:
            return ""
        self.output.flush()
        self.output.seek(0)
        text = self.output.read().decode("utf-8", "replace").strip()
        return " / ".join(text.splitlines()[-lines:])

    def _ended(self) -> int | None:
        """Close the pipes of a process that ended (or is made to) and its exit status."""
        for stream in (self.tx, self.rx):
            with contextlib.suppress(OSError):
                stream.close()
        status = None
        if self.child is not None:
            try:
                status = self.child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.child.kill()
                status = self.child.wait()
        self.child = None
        return status

    def _watchdog(self) -> None:
        while not self._closing.wait(0.1):
            deadline, child = self.deadline, self.child
            if deadline is not None and child is not None and time.monotonic() > deadline:
                self.killed = True
                child.kill()

    def _count(self, header: Mapping[str, Any]) -> None:
        cpu = header.get("cpu")
        if isinstance(cpu, (int, float)) and cpu >= self.cpu_last:
            self.spent += cpu - self.cpu_last
            self.cpu_total += cpu - self.cpu_last
            self.cpu_last = float(cpu)

    def __enter__(self) -> LearnerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        if self.child is not None:
            self.child.kill()
            self._ended()
        if self.output is not None:
            self.output.close()
        self._folder.cleanup()

    def finish(self) -> list[str]:
        """End the learner's process; the notes it has on what the checks used (NumPy 1's
        aliases)."""
        if self.child is None:
            return []
        self.spent = 0.0
        try:
            self.request("finish", {}, None)
            header, _ = wire.receive(self.rx)
        except (wire.WireError, OSError, ProcessEnded, TimeLimitExceeded):
            return []
        notes = header.get("notes")
        return [str(n) for n in notes] if isinstance(notes, list) else []

    # ---- what the file defines ------------------------------------------------------------

    def functions(self) -> dict[str, Any]:
        """name -> RemoteFunction or RemoteClass, for each function and class to check."""
        return {name: (RemoteClass if entry.get("kind") == "class" else RemoteFunction)(
            self, name, entry) for name, entry in self.first["functions"].items()
            if isinstance(entry, dict)}

    def declared(self) -> Any:
        """The file's VERIGRAD_CHECKS, its functions as proxies (None when it has none)."""
        tree = self.first.get("declared")
        return None if tree is None else self.codec(self.manifest_arrays).unpack(tree)

    def handle_of(self, name: str) -> int:
        """The handle of the function or class ``name`` in the current learner's process,
        which is started again first if it ended."""
        if self.child is None:
            self.start()
        entry = self.manifest["functions"].get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("handle"), int):
            raise ProcessEnded(f"{name} is no longer defined when the file runs again")
        return int(entry["handle"])

    def new_exercise(self) -> None:
        """Start counting the CPU time of the next exercise's check."""
        self.spent = 0.0

    # ---- requests -------------------------------------------------------------------------

    def codec(self, arrays: Any = (), known: dict[int, list[Any]] | None = None,
              root: Any = None) -> wire.Codec:
        return _CheckingCodec(self, arrays, known, root)

    def request(self, op: str, values: Mapping[str, Any], target: int | None,
                **fields: Any) -> Any:
        """op on the object ``target`` in the learner's process, within the exercise's
        time; its value."""
        budget = self.limit - self.spent
        if budget <= 0:
            raise TimeLimitExceeded(self.limit)
        if self.timeout - self.cpu_total <= 0 or time.monotonic() - self.began > self.wall:
            raise OutOfTime()
        if self.child is None:
            self.start()
        self.deadline = min(time.monotonic() + WALL_FACTOR * budget + SLACK_SECONDS,
                            self.began + self.wall)
        try:
            header = self.ask(op, values, target=target, budget=budget, **fields)
        except CallFailed as failed:
            if failed.time_limit is not None:
                raise TimeLimitExceeded(self.limit, failed.waited) from None
            raise wire.rebuild_error(failed.described) from None
        except (wire.WireError, OSError) as error:
            killed, status = self.killed, self._ended()
            if status == -getattr(signal, "SIGXCPU", -1) or \
                    time.monotonic() - self.began > self.wall:
                raise OutOfTime() from None
            if killed:
                raise TimeLimitExceeded(self.limit) from None
            if isinstance(error, wire.WireError) and "ended early" not in str(error):
                raise ProcessEnded(f"the learner's process sent a malformed message "
                                   f"({error}) and was stopped") from None
            raise ProcessEnded(f"the process running the file ended during the call (exit "
                               f"status {status}: os._exit, sys.exit in a thread, a crash "
                               f"or a kill); the file was run again for the other "
                               f"functions") from None
        finally:
            self.deadline = None
        for kind in header.get("floating") or []:
            if isinstance(kind, str) and kind.split()[0] in _ERRSTATE:
                key = _ERRSTATE[kind.split()[0]]
                if cast(Mapping[str, str], np.geterr())[key] == "call" and callable(
                        np.geterrcall()):
                    np.geterrcall()(kind, 0)  # type: ignore[misc,operator]
        return header["value"]

    def ask(self, op: str, values: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        header = super().ask(op, values, **fields)
        self._count(header)
        return header

    def wait(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        header, arrays = super().wait()
        self._count(header)
        return header, arrays

    def serve(self, op: str, header: dict[str, Any], arrays: list[np.ndarray]) -> None:
        """The learner's code calls back one of the check's functions."""
        self._count(header)
        try:
            super().serve(op, header, arrays)
        except (OutOfTime, ProcessEnded, TimeLimitExceeded, wire.WireError, OSError):
            raise
        except BaseException as error:  # noqa: BLE001 -- the callback's error is the call's
            wire.send(self.tx, {"op": "raised",
                                "error": wire.describe_error(error, lambda f: False)})

    def handle_call(self, header: dict[str, Any], values: dict[str, Any],
                    codec: wire.Codec) -> None:
        number = header.get("callback")
        if not isinstance(number, int) or not 0 <= number < len(self.callbacks):
            raise wire.WireError("a call of a function this process did not send")
        self.run_call(self.callbacks[number], values, codec)

    def callback(self, function: Callable[..., Any]) -> int:
        """The number under which the learner's process calls ``function`` back."""
        for number, known in enumerate(self.callbacks):
            if known is function:
                return number
        self.callbacks.append(function)
        return len(self.callbacks) - 1


_ERRSTATE = {"divide": "divide", "overflow": "over", "underflow": "under", "invalid": "invalid"}


class _CheckingCodec(wire.Codec):
    """Values as the checking process sends them: proxies go as their handles, functions
    of this process as callbacks, PyTorch tensors as arrays; handles that come back are
    proxies."""

    def __init__(self, learner: LearnerProcess, arrays: Any,
                 known: dict[int, list[Any]] | None, root: Any) -> None:
        super().__init__(arrays, known, root)
        self.learner = learner

    def pack_other(self, value: Any, depth: int) -> Any:
        if isinstance(value, Remote):
            return {wire.TAG: "handle", "id": value.target()}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            self.arrays.append(np.asarray(value.detach().cpu().numpy()))
            return {wire.TAG: "tensor", "i": len(self.arrays) - 1}
        right = right_callee_key(value)
        if right is not None:  # the learner's process has its own copy (see core)
            return {wire.TAG: "right_callee", "course": right[0], "name": right[1]}
        if callable(value):
            return {wire.TAG: "callback", "id": self.learner.callback(value),
                    "name": str(getattr(value, "__name__", "callback"))}
        raise wire.CannotSend(f"a {type(value).__name__} cannot be sent to the process "
                              f"running the file")

    def unpack_other(self, tree: dict[str, Any]) -> Any:
        tag, number = tree[wire.TAG], tree.get("id")
        if tag == "handle" and isinstance(number, int):
            kind = {"class": RemoteClass, "function": RemoteObject}.get(
                str(tree.get("kind")), RemoteObject)
            made = kind(self.learner, None, {"handle": number,
                                             "name": str(tree.get("name", "object"))})
            types = tree.get("types")
            object.__setattr__(made, "remote_types", tuple(
                str(t) for t in types) if isinstance(types, list) else ())
            return made
        if tag == "callback" and isinstance(number, int) and \
                0 <= number < len(self.learner.callbacks):
            return self.learner.callbacks[number]
        if tag == "tensor":
            array = self.unpack({wire.TAG: "array", "i": tree.get("i")})
            torch = sys.modules.get("torch")  # the check made tensors: PyTorch is here
            return torch.from_numpy(array) if torch is not None else array
        return super().unpack_other(tree)


# ---- the proxies ----------------------------------------------------------------------------


class Remote:
    """An object of the learner's process: by name (a function or class of the manifest,
    found again when the process is started again) or by handle (an object a call
    returned, valid in the process that made it)."""

    _learner: LearnerProcess
    __name__: str

    def __init__(self, learner: LearnerProcess, name: str | None,
                 entry: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_learner", learner)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_handle", entry.get("handle"))
        object.__setattr__(self, "_generation", learner.generation)
        object.__setattr__(self, "__name__", str(entry.get("name", name or "object")))

    def target(self) -> int:
        learner: LearnerProcess = object.__getattribute__(self, "_learner")
        name = object.__getattribute__(self, "_name")
        if name is not None:
            return learner.handle_of(name)
        if learner.child is None or learner.generation != object.__getattribute__(
                self, "_generation"):
            raise ProcessEnded("the object was lost when the learner's process ended")
        return int(object.__getattribute__(self, "_handle"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        learner: LearnerProcess = object.__getattribute__(self, "_learner")
        target = self.target()
        return learner.request("call", learner.call_values(args, kwargs), target,
                               errstate=np.geterr())

    def __repr__(self) -> str:
        return f"<the learner's {object.__getattribute__(self, '__name__')}>"

    def __copy__(self) -> Remote:  # a reference: a copy is the same object there
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Remote:
        return self


class RemoteFunction(Remote):
    """A learner's function: called as a function of this process, and read as one
    (``__name__``, ``__signature__``, ``__code__``, ``__defaults__``, ``__doc__``);
    ``assumed_version`` says which older notebook version it was adapted to, where it
    runs."""

    def __init__(self, learner: LearnerProcess, name: str | None,
                 entry: Mapping[str, Any]) -> None:
        super().__init__(learner, name, entry)
        self.__qualname__ = str(entry.get("qualname", self.__name__))
        self.__module__ = _MODULE
        self.__doc__ = entry.get("doc") if isinstance(entry.get("doc"), str) else None
        self.assumed_version = entry.get("assumed") if isinstance(
            entry.get("assumed"), str) else None
        parameters = _parameters(learner, entry.get("parameters"))
        if parameters is not None:
            self.__signature__ = inspect.Signature(parameters)
            self.__defaults__ = tuple(p.default for p in parameters if p.kind in (
                p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not p.empty
                                      ) or None
            self.__kwdefaults__ = {p.name: p.default for p in parameters
                                   if p.kind == p.KEYWORD_ONLY and p.default is not p.empty}
            file, line = entry.get("file"), entry.get("line")
            if isinstance(file, str) and isinstance(line, int):
                code = learner.codes.get((file, line, self.__name__))
                self.__code__ = code or _code(self.__name__, parameters, file, line)
        self.__globals__ = learner.namespace
        self._calls: list[dict[str, Any]] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._calls is not None and not self._calls:
            self._record(args, kwargs)
        return super().__call__(*args, **kwargs)

    def _record(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        signature = getattr(self, "__signature__", None)
        try:
            bound = signature.bind(*args, **kwargs) if signature is not None else None
            cast(list, self._calls).append(copy.deepcopy(dict(bound.arguments))
                                           if bound is not None else {})
        except Exception:  # noqa: BLE001 -- arguments that do not bind or copy: no record
            cast(list, self._calls).append({})

    @contextlib.contextmanager
    def recording(self, calls: list[dict[str, Any]]) -> Iterator[None]:
        """Within the block, the arguments of this function's first call (by parameter
        name, deep copies) are appended to ``calls`` (``notebook_globals.first_call``)."""
        self._calls = calls
        try:
            yield
        finally:
            self._calls = None

    def map(self, calls: list[tuple[tuple[Any, ...], Mapping[str, Any]]],
            seed: int | None = None, outputs_only: bool = False) -> list[Any]:
        """[function(*args, **kwargs) for args, kwargs in calls], sent ``MAP_CHUNK`` calls
        to a message (a gradient check's central differences call a forward hundreds of
        times); NumPy's global generator reseeded with ``seed`` before each call when
        given; with ``outputs_only``, a tuple's last element (a forward's cache) comes back
        as None. The first call that raises raises, as in a loop."""
        learner, results = self._learner, []
        for start in range(0, len(calls), MAP_CHUNK):
            chunk = calls[start:start + MAP_CHUNK]
            results += learner.request("map", {"calls": [[a, dict(k)] for a, k in chunk],
                                               **learner.call_values((), {})},
                                       self.target(), errstate=np.geterr(), seed=seed,
                                       outputs_only=outputs_only)
        return results

    @contextlib.contextmanager
    def substitute_globals(self, replacements: Mapping[str, Any],
                           defaults: Mapping[str, Any]) -> Iterator[None]:
        """``core.substituted`` for a function of the learner's process: the names set
        in its namespace there (a function of this process is called back)."""
        learner = self._learner
        token = learner.request("substitute", {"replacements": dict(replacements),
                                               "defaults": dict(defaults)}, self.target())
        try:
            yield
        finally:
            if learner.child is not None:
                learner.request("restore", {}, None, token=token)

    def holds_global(self, name: str, value: Any) -> bool:
        """``core.holds_global`` for a function of the learner's process."""
        return bool(self._learner.request("global_is", {"value": value}, self.target(),
                                          name=name))


class RemoteClass(RemoteFunction):
    """A learner's class: calling it makes an instance (a ``RemoteObject``);
    ``make_subclass(members)`` makes a subclass there with ``members`` (functions of
    either process) in place of its own."""

    def make_subclass(self, members: Mapping[str, Any]) -> RemoteClass:
        made = self._learner.request("subclass", {"members": dict(members)}, self.target())
        if not isinstance(made, RemoteClass):
            raise ProcessEnded("the learner's process did not make the subclass")
        object.__setattr__(made, "__signature__", getattr(self, "__signature__", None))
        return made


class RemoteObject(Remote):
    """An instance (or a method, or any object) of the learner's process: its attributes
    are read (as values, or as further RemoteObjects) and set; it can be called."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        learner: LearnerProcess = object.__getattribute__(self, "_learner")
        return learner.request("getattr", {}, self.target(), name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        learner: LearnerProcess = object.__getattribute__(self, "_learner")
        learner.request("setattr", {"value": value}, self.target(), name=name)

    def __iter__(self) -> Iterator[Any]:
        learner: LearnerProcess = object.__getattribute__(self, "_learner")
        return iter(learner.request("iterate", {}, self.target()))


def is_instance(value: Any, cls: type) -> bool:
    """isinstance(value, cls), also for an object of the learner's process (its type's
    classes, by module and name, come with its handle): the checks of the learner's
    PyTorch modules ask whether an attribute is an ``nn.Linear``."""
    if isinstance(value, cls):
        return True
    types = getattr(value, "remote_types", ()) if isinstance(value, Remote) else ()
    return f"{cls.__module__}.{cls.__qualname__}" in types


def _parameters(learner: LearnerProcess, described: Any) -> list[inspect.Parameter] | None:
    """The signature's parameters from the manifest, or None when they cannot be made."""
    if not isinstance(described, list):
        return None
    codec = learner.codec(learner.manifest_arrays)
    parameters = []
    try:
        for name, kind, has_default, default in described:
            value = codec.unpack(default) if has_default else inspect.Parameter.empty
            parameters.append(inspect.Parameter(str(name), inspect._ParameterKind(int(kind)),
                                                default=value))
        return parameters
    except (ValueError, TypeError, wire.WireError):
        return None


def _code(name: str, parameters: list[inspect.Parameter], file: str, line: int
          ) -> CodeType | None:
    """A code object with the learner's parameter names, file and first line (its body
    is ``pass``): what ``inspect`` and the catalogue read of a function's code."""
    plain = inspect.Signature([p.replace(default=None if p.default is not p.empty else p.empty,
                                         annotation=p.empty) for p in parameters])
    text = f"def {name if name.isidentifier() else 'f'}{plain}: pass"
    try:
        module = compile(text, file, "exec")
    except (SyntaxError, ValueError):
        return None
    code = next(c for c in module.co_consts if isinstance(c, CodeType))
    return code.replace(co_firstlineno=max(1, line))
