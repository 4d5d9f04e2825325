"""A notebook's variable read where the function's argument belongs: a learner's
``forward_propagation(X, parameters)`` that computes with the ``W1`` an earlier cell left at
the top of the notebook instead of ``parameters["W1"]``, or a ``linear_forward(A_prev, W, b)``
that reads the notebook's ``A``. The notebook's tests often pass, since the global holds the
test's own values; on any other input the function is wrong, with no formula to name.

Told in two parts. From the code: the global names the function reads (``globals_read``,
which needs only the function's code object, so that it can run wherever the code lives),
kept when the file's namespace holds data under that name (an array, a number, a dict: not
a function or a module) and the name is a key of a dict the function is passed
(``parameters["W1"]``) or the exercise's name for one of its arguments that the learner
named otherwise. From the behaviour: the function's output stays the same when that
argument's value changes. Only then is it reported (``notebook_global``), with the line.
Where the cell that set the variable did not run in the check (``A, W, b =
linear_forward_test_case()``), the function fails on the undefined name, and that failure is
told the same way when the name stands for one of its arguments.

The arguments compared are those of the function's first call in its exercise's check,
recorded with ``sys.setprofile`` (``first_call``). A function of the learner's process in
``verigrad check`` (``remote.RemoteFunction``) is read the same way: its ``__code__`` is
compiled here from the file's source, its ``__globals__`` stands for the learner's
namespace (``is_data`` of each value, told by that process) and it records its first call.
"""
from __future__ import annotations

import builtins
import contextlib
import copy
import dis
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

import numpy as np

from ..gradcheck.findings import EXCEPTION, Finding
from ..gradcheck.report import join
from .core import NOT_IMPLEMENTED, Exercise, Result, register_mistakes

KINDS = register_mistakes({
    "notebook_global": ("a function reads a variable of the notebook (W1, X) where its argument "
                        "belongs (parameters[\"W1\"], its own X): its output does not change "
                        "when the value passed changes, or, where the check did not run the "
                        "cell that set the variable, it fails on the undefined name",
                        "the line that reads the global, and what the function is given"),
})
NOTEBOOK_GLOBAL = KINDS["notebook_global"]
_UNDEFINED = re.compile(r"NameError: name '(\w+)' is not defined")


def globals_read(function: Any) -> dict[str, int | None]:
    """The global names ``function``'s code reads (its nested functions, lambdas and
    comprehensions too), each with the first line that reads it (None where the code has
    no line numbers). Reads only ``function.__code__``."""
    found: dict[str, int | None] = {}
    codes = [function.__code__]
    while codes:
        code = codes.pop(0)
        line = None
        for instruction in dis.get_instructions(code):
            positions = getattr(instruction, "positions", None)
            line = getattr(positions, "lineno", None) or instruction.starts_line or line
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                name = str(instruction.argval)
                if name not in found or (line is not None and (found[name] or line) >= line):
                    found[name] = line
        codes += [c for c in code.co_consts if hasattr(c, "co_code")]
    return found


def is_data(value: Any) -> bool:
    """A notebook variable a function may compute with by mistake: an array, a number or
    a container, not a function, class or module."""
    return isinstance(value, (np.ndarray, np.generic, int, float, dict, list, tuple)) and \
        not isinstance(value, bool)


def suspects(function: Any) -> dict[str, int | None]:
    """The globals ``function`` reads that may stand for an argument, with their lines:
    data in its file's namespace, or a name that neither the namespace nor the builtins
    have (a variable an earlier cell left, in a cell the check did not run)."""
    namespace = getattr(function, "__globals__", {})
    return {name: line for name, line in globals_read(function).items()
            if (is_data(namespace[name]) if name in namespace else
                not hasattr(builtins, name))}


@contextlib.contextmanager
def first_call(function: Any, calls: list[dict[str, Any]]) -> Iterator[None]:
    """Within the block, the arguments of ``function``'s first call (by parameter name,
    deep copies) are appended to ``calls``. A function of the learner's process
    (``remote.RemoteFunction``) records them itself, in its ``recording(calls)``."""
    recording = getattr(function, "recording", None)
    if recording is not None:  # a function of the learner's process records its own calls
        with recording(calls):
            yield
        return
    code = function.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is code and not calls:
            try:
                calls.append(copy.deepcopy({n: frame.f_locals[n] for n in names}))
            except Exception:  # noqa: BLE001 - an argument that cannot be copied: no record
                calls.append({})

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)


def checked(exercise: Exercise, function: Any, run: Callable[[], Result]) -> Result:
    """run()'s result (the exercise's check of ``function``), with a wrong function that
    reads a notebook global in place of its argument told so first."""
    candidates = suspects(function) if hasattr(function, "__code__") else {}
    if not candidates:
        return run()
    calls: list[dict[str, Any]] = []
    with first_call(function, calls):
        result = run()
    if result.ok is not False or not calls or not calls[0] or (
            result.findings and result.findings[0].kind == NOT_IMPLEMENTED):
        return result
    namespace = getattr(function, "__globals__", {})
    undefined = _UNDEFINED.search(result.findings[0].message) if result.findings and \
        result.findings[0].kind == EXCEPTION else None
    if undefined and undefined.group(1) in candidates and undefined.group(1) not in namespace:
        found = unassigned_argument(exercise, calls[0], undefined.group(1),
                                    candidates[undefined.group(1)])
    else:
        found = ignored_argument(exercise, function, calls[0],
                                 {n: line for n, line in candidates.items() if n in namespace})
    if found is not None:
        finding, line = found
        result.findings.insert(0, finding)
        if line is not None:
            result.file, result.line = function.__code__.co_filename, line
    return result


def unassigned_argument(exercise: Exercise, arguments: Mapping[str, Any], name: str,
                        line: int | None) -> tuple[Finding, int | None] | None:
    """(the finding, its line) when ``name``, a global the function failed to find, stands
    for one of ``arguments`` (the function's parameters by name, as one call passed them);
    else None."""
    for (read, _), _, _ in _stand_ins(name, exercise, list(arguments), arguments):
        return Finding(NOTEBOOK_GLOBAL, name, (
            f"{exercise.name} reads {name}{f' (line {line})' if line else ''}, which it never "
            f"assigns, where it should read {read}: {name} is not defined in the file as the "
            f"check runs it (only definitions, imports and simple assignments run), and in a "
            f"notebook it is the value an earlier cell left, not the one the function is "
            f"given")), line
    return None


def ignored_argument(exercise: Exercise, function: Any, arguments: Mapping[str, Any],
                     candidates: Mapping[str, int | None]) -> tuple[Finding, int | None] | None:
    """(the finding, the first line) for the globals in ``candidates`` (name -> line) that
    stand for one of ``arguments`` (the function's parameters by name, as one call passed
    them) whose change leaves the function's output as it was; else None."""
    own = list(arguments)
    found: list[tuple[str, int | None, str, str]] = []  # global, line, to read, as given
    for name, line in candidates.items():
        for (read, given), perturbed, value in _stand_ins(name, exercise, own, arguments):
            if _ignores(function, arguments, perturbed, value):
                found.append((name, line, read, given))
                break
    if not found:
        return None
    names = join(f"{name}{f' (line {line})' if line else ''}" for name, line, _, _ in found)
    return Finding(NOTEBOOK_GLOBAL, found[0][0], (
        f"{exercise.name} reads the notebook's global{'s' if len(found) > 1 else ''} {names} "
        f"where it should read {join(read for _, _, read, _ in found)}: its output stays "
        f"the same when {join(given for _, _, _, given in found)} "
        f"change{'s' if len(found) == 1 else ''}, so it computes with the notebook's "
        f"{join(name for name, _, _, _ in found)} instead")), found[0][1]


def _stand_ins(name: str, exercise: Exercise, own: list[str],
               arguments: Mapping[str, Any]
               ) -> Iterator[tuple[tuple[str, str], dict[str, Any], Any]]:
    """((what the global stands for, that value as given), the arguments with that value
    changed, the value): a dict
    argument's entry of the same name, or the argument the exercise calls ``name`` and the
    learner named otherwise."""
    for argument, value in arguments.items():
        if isinstance(value, dict) and _changeable(value.get(name)):
            changed = copy.deepcopy(dict(arguments))
            changed[argument][name] = _changed(value[name])
            yield (f'{argument}["{name}"]', f'the {argument}["{name}"] it is given'), changed, \
                value[name]
    if name in exercise.parameters and name not in own:
        position = exercise.parameters.index(name)
        if position < len(own) and _changeable(arguments[own[position]]):
            changed = copy.deepcopy(dict(arguments))
            changed[own[position]] = _changed(arguments[own[position]])
            yield (f"its argument {own[position]}", own[position]), changed, \
                arguments[own[position]]


def _changeable(value: Any) -> bool:
    """A float array, or a dict holding one (``parameters``)."""
    if isinstance(value, dict):
        return any(_changeable(v) for v in value.values())
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0


def _changed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _changed(v) if _changeable(v) else v for k, v in value.items()}
    return value * 1.5 + 0.25


def _ignores(function: Any, arguments: Mapping[str, Any], changed: Mapping[str, Any],
             value: Any) -> bool:
    """Whether function's output on ``changed`` (the arguments with ``value`` changed)
    equals its output on ``arguments``, but for ``value`` itself passed through (a cache
    that keeps its inputs). An output with nothing else in it says nothing."""
    try:
        before = _numbers(function(**copy.deepcopy(dict(arguments))))
        after = _numbers(function(**copy.deepcopy(dict(changed))))
    except Exception:  # noqa: BLE001 - the learner's code: no verdict from a failed call
        return False
    if len(before) != len(after):
        return False
    passed = list(zip(_numbers(value), _numbers(_changed(value))))
    compared = 0
    for x, y in zip(before, after):
        if any(_equal(x, old) and _equal(y, new) for old, new in passed):
            continue  # the argument itself, kept in a cache
        if not _equal(x, y):
            return False
        compared += 1
    return compared > 0


def _equal(x: np.ndarray, y: np.ndarray) -> bool:
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=1e-12,
                                                   equal_nan=True))


def _numbers(output: Any) -> list[np.ndarray]:
    """The numbers in an output (arrays, numbers, inside tuples, lists and dicts), in order."""
    if isinstance(output, dict):
        return [a for key in output for a in _numbers(output[key])]
    if isinstance(output, (tuple, list)):
        return [a for item in output for a in _numbers(item)]
    if isinstance(output, (np.ndarray, np.generic, int, float)) and not isinstance(output, bool):
        array = np.asarray(output)
        return [array.astype(float)] if array.dtype.kind in "biuf" else []
    return []
