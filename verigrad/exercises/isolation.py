"""One exercise's check, kept from harming the others: whatever the learner's function does
(raise, return None or a wrong type, loop forever), it becomes that function's verdict.

The verdict then says whose problem it is:

- the template left as it was (``Z = None``, ``pass``, ``raise NotImplementedError``,
  None or zeros returned): "not done", a failing verdict;
- an exception in the learner's code: wrong, with the line (and, for a failed ``assert``
  on shapes, the shapes it compared: see ``gradcheck.pairs.exception_diagnosis``);
- what the function's surroundings lack (a course helper, a package, NumPy 1): "cannot
  check", never the learner's mistake.
"""
from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import Any

from .. import wire
from ..gradcheck.findings import EXCEPTION, Finding
from ..gradcheck.pairs import learner_frame
from .core import (
    ENVIRONMENT,
    NOT_IMPLEMENTED,
    RETURNS,
    RIGHT_CALLEE,
    RIGHT_CALLEES,
    TIME_LIMIT,
    Exercise,
    Result,
    holds_global,
    substituted,
    where,
)
from .environment import HELPER_NAMES, is_course_module, is_numpy_removal
from .stubs import source_lines, template_reason


class TimeLimitExceeded(BaseException):
    """The learner's code ran past its time limit. A BaseException, so that the learner's
    own ``except Exception`` cannot swallow it."""

    def __init__(self, seconds: float, waited: bool = False) -> None:
        super().__init__(f"waited longer than {seconds:g} s without computing (sleep, "
                         f"input?)" if waited else
                         f"ran longer than {seconds:g} s")
        self.seconds = seconds


#: the share of one core below which a block that ran past its time in wall-clock time is
#: waiting (sleep, input), not computing slowly on a busy machine
WAITING_SHARE = 0.05


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block after it has used ``seconds`` of CPU time, or
    spent ``seconds`` of wall-clock time waiting (using under ``WAITING_SHARE`` of a core)
    (Unix timers: only in the main thread of a process, as the check's worker is; elsewhere
    no limit).

    Why CPU time: the same statement takes the same CPU time on an idle laptop and on a
    class's server checking many files at once, where its wall-clock time can be many times
    longer; a wall-clock limit made a correct function "ran longer than" its limit (wrong) there,
    and the verdict depend on the machine's load. Code that waits rather than computes
    (``time.sleep``, ``input()``) uses no CPU time: a wall-clock timer, every ``seconds``,
    stops the block when it has barely used the CPU since the last tick, and lets it go on
    while it computes, however slowly the busy machine runs it. The timers are disarmed as
    the block ends: a signal arriving after the block finished does not turn its result into
    a time-out."""
    if not seconds or not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    armed, last = True, time.process_time()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal armed, last
        if not armed:
            return
        if signum == signal.SIGALRM:
            used, last = time.process_time() - last, time.process_time()
            if used > WAITING_SHARE * seconds:  # computing, slowly: let it go on
                return
        armed = False
        raise TimeLimitExceeded(seconds, waited=signum == signal.SIGALRM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)


def check_isolated(exercise: Exercise, functions: Mapping[str, Any], seed: int = 0,
                   limit: float | None = None,
                   earlier: Mapping[str, Result] | None = None) -> Result:
    """exercise.check(functions, seed) as a Result whatever happens. ``earlier``: the
    results so far by name; a backward whose forward (its partner) is not right is checked
    with the exercise's reference forward first, and a function that calls another of the
    learner's exercises which is not right (``RIGHT_CALLEES``) is checked again with a right
    one in its place, so that its verdict is its own."""
    result = _check_with_partner(exercise, functions, seed, limit, earlier)
    if _stored_one_element(result):
        return _as_numpy_1_stored(exercise, functions, seed, limit, earlier, result)
    owners = _right_callees(exercise, functions, earlier or {})
    if result.ok is True or not owners:
        return result
    with ExitStack() as stack:
        for owner, right in owners:
            stack.enter_context(substituted(owner, right))
        again = _check_with_partner(exercise, functions, seed, limit, earlier)
    if again.ok is None:  # no verdict with right callees either: the first run's stands
        return result
    replaced = sorted({name for _, right in owners for name in right})
    names = ", ".join(replaced)
    # first where it explains an ok verdict; after the finding that makes a wrong one
    again.findings.insert(0 if again.ok else len(again.findings), Finding(RIGHT_CALLEE, None, (
        f"{exercise.name} calls your {names}, not right itself (see above); it was checked "
        f"with a right {names} in {'its' if len(replaced) == 1 else 'their'} place "
        f"(verigrad's), and {'is right' if again.ok else 'is wrong on its own too'}")))
    return again


def _stored_one_element(result: Result) -> bool:
    """NumPy 2's refusal to store an array in one entry (``Z[i, h, w, c] = f(...)``), which
    NumPy 1 did for a one-element array: the 2017-2018 conv_single_step returned Z of shape
    (1, 1, 1), and conv_forward stored it so."""
    first = result.findings[0] if result.findings else None
    return result.ok is False and first is not None and first.kind == EXCEPTION and \
        "setting an array element with a sequence" in first.message


def _as_numpy_1_stored(exercise: Exercise, functions: Mapping[str, Any], seed: int,
                       limit: float | None, earlier: Mapping[str, Result] | None,
                       result: Result) -> Result:
    """The check again with the exercises called on the line that raised returning numbers
    (right callees, ok or not): right then, the function stored a one-element array as
    NumPy 1 did, and is right."""
    line = result.findings[0].message  # quotes the learner's line that raised
    owners = [(owner, {k: v for k, v in right.items() if f"{k}(" in line})
              for owner, right in _right_callees(exercise, functions, earlier or {}, every=True)]
    owners = [(owner, right) for owner, right in owners if right]
    if not owners:
        return result
    with ExitStack() as stack:
        for owner, right in owners:
            stack.enter_context(substituted(owner, right))
        again = _check_with_partner(exercise, functions, seed, limit, earlier)
    if again.ok is not True:
        return result
    names = ", ".join(sorted({name for _, right in owners for name in right}))
    again.findings.insert(0, Finding(RIGHT_CALLEE, None, (
        f"{exercise.name} stores what your {names} returns in one entry of an array; that "
        f"returns a one-element array, which NumPy 1 stored there and NumPy 2 refuses "
        f"(\"setting an array element with a sequence\"). Checked with {names} returning a "
        f"number, {exercise.name} is right: this is not a mistake in your formula")))
    return again


def _right_callees(exercise: Exercise, functions: Mapping[str, Any],
                   earlier: Mapping[str, Result],
                   every: bool = False) -> list[tuple[Any, dict[str, Any]]]:
    """(a function, name -> a right function to put in its namespace) for the learner's
    exercises that the exercise's function or the forward it is checked with (its partner)
    calls, directly or through the learner's other functions, which were not found right
    and have a right replacement (every: right ones too); one entry per namespace."""
    todo = [exercise.name, *([exercise.partner] if exercise.partner else [])]
    seen = set(todo)
    owners: dict[int, tuple[Any, dict[str, Any]]] = {}
    while todo:
        caller = functions.get(todo.pop())
        for callee in getattr(getattr(caller, "__code__", None), "co_names", ()):
            if callee not in functions or not holds_global(caller, callee, functions[callee]):
                continue
            other = earlier.get(callee)
            right = RIGHT_CALLEES.get((other.exercise, callee)) if other else None
            if other is not None and (every or other.ok is not True) and \
                    right is not None and callee != exercise.name:
                space = id(getattr(caller, "__globals__", caller))
                owners.setdefault(space, (caller, {}))[1][callee] = right
            if callee not in seen:
                seen.add(callee)
                todo.append(callee)
    return list(owners.values())


def _check_with_partner(exercise: Exercise, functions: Mapping[str, Any], seed: int,
                        limit: float | None, earlier: Mapping[str, Result] | None) -> Result:
    function = functions[exercise.name]
    partner = exercise.partner
    verdict = (earlier or {}).get(partner)  # type: ignore[arg-type]  # None when no partner
    if partner in functions and verdict is not None and verdict.ok is not True:
        alone = {k: v for k, v in functions.items() if k != partner}
        result = judge(_run(exercise, alone, seed, limit), function)
        first = result.findings[0].kind if result.findings else None
        if result.ok is not None and first != EXCEPTION:
            return result
        if first == "missing" or verdict.verdict == "NOT DONE":
            if first == EXCEPTION:
                return result
            return Result(exercise.name, exercise.course, None, [Finding(
                "missing", None, f"{exercise.name} is checked with your {partner}, which "
                f"{_was(verdict)} (see above); check it again once {partner} "
                f"is right")], where=where(function))
    return _blame_callee(judge(_run(exercise, functions, seed, limit), function), functions,
                         earlier or {})


def _was(result: Result) -> str:
    """'is wrong', 'is not done' or 'could not be checked' (the environment's doing)."""
    return "could not be checked" if result.ok is None else f"is {result.verdict.lower()}"


def _blame_callee(result: Result, functions: Mapping[str, Any],
                  earlier: Mapping[str, Result]) -> Result:
    """A function that failed inside another of the learner's exercises which is not right
    itself (L_model_backward calling an unfinished linear_activation_backward) cannot be
    judged on its own yet."""
    if result.ok is not False or not result.findings or result.findings[0].kind != EXCEPTION:
        return result
    for name, other in earlier.items():
        callee = functions.get(name)
        if other.ok is True or callee is None or callee is functions.get(result.name):
            continue
        try:
            lines, first = source_lines(callee)
        except (OSError, TypeError, SyntaxError):
            continue
        if result.file == callee.__code__.co_filename and \
                first <= (result.line or 0) < first + len(lines):
            result.ok = None
            result.findings.insert(0, Finding("missing", None, (
                f"{result.name} raised inside your {name}, which "
                f"{_was(other)} (see above); check it again once {name} is "
                f"right")))
            break
    return result


def _run(exercise: Exercise, functions: Mapping[str, Any], seed: int,
         limit: float | None) -> Result:
    function = functions[exercise.name]
    try:
        with time_limit(limit):
            return exercise.check(functions, seed)
    except TimeLimitExceeded as error:
        return Result(exercise.name, exercise.course, False, [Finding(
            TIME_LIMIT, None, f"{exercise.name} {error} on a small configuration (an endless "
            f"loop?); the other functions were checked")], where=where(function, error))
    except Exception as error:  # what the learner's function returned broke the check
        frame = learner_frame(error)
        if frame is not None:  # raised in the learner's code, outside their function's call
            return Result(exercise.name, exercise.course, None, [Finding(
                EXCEPTION, None, f"{exercise.name}'s check raised {type(error).__name__}: "
                f"{error} at line {frame.lineno}")], where=where(function, error))
        if "NoneType" in str(error):
            return Result(exercise.name, exercise.course, False, [Finding(
                NOT_IMPLEMENTED, None, f"{exercise.name} (or the forward it is checked "
                f"with) returned None: nothing is computed yet, or a return statement is "
                f"missing ({error}).")], where=where(function))
        return Result(exercise.name, exercise.course, False, [Finding(
            RETURNS, None, f"{exercise.name}'s result cannot be used as the exercise's: "
            f"{error}")], where=where(function))


_RAISED = re.compile(r"raised (\w+)(?:: (.*))?", re.S)
_NAME = re.compile(r"name '(\w+)' is not defined")


def judge(result: Result, function: Any) -> Result:
    """The verdict on a failed result: not done, the learner's exception (wrong) or the
    environment's (cannot check)."""
    if result.ok is True:
        return result
    reason = template_reason(function)
    first = result.findings[0] if result.findings else None
    if first is not None and first.kind == NOT_IMPLEMENTED:
        if reason:
            result.findings[0] = Finding(NOT_IMPLEMENTED, None, f"{first.message} Not done: "
                                                                f"{reason}.")
        result.ok = False
        return result
    if first is None or first.kind not in (EXCEPTION, RETURNS, "mismatch", "forward",
                                           "shape", "nan"):
        return result
    raised = _RAISED.search(first.message) if first.kind == EXCEPTION else None
    kind, text = raised.groups(default="") if raised else (None, "")
    if reason or kind == "NotImplementedError":
        result.ok = False
        result.findings = [Finding(NOT_IMPLEMENTED, None, (
            f"{result.name} is not done: "
            f"{reason or 'it raises NotImplementedError, as the template does'}."))]
        return result
    if kind is None:
        return result
    if kind == wire.CannotSend.__name__:  # verigrad's limit, not the learner's code
        result.ok = None
        result.findings = [Finding(ENVIRONMENT, None, (
            f"{first.message} This is a limit of the check, not a mistake in your code."))]
        return result
    missing = _NAME.search(text)
    if kind in ("ModuleNotFoundError", "ImportError") or (
            missing and (missing.group(1) in HELPER_NAMES or is_course_module(
                missing.group(1)))):
        result.ok = None
        result.findings = [Finding(ENVIRONMENT, None, (
            f"{first.message} This is not a mistake in your code: the course's "
            f"{missing.group(1) if missing else 'helper module'} is missing here (see the "
            f"notes)."))]
        return result
    if is_numpy_removal(text):
        result.ok = None
        result.findings = [Finding(ENVIRONMENT, None, (
            f"{first.message} NumPy 2 changed this (it ran under NumPy 1); this is not "
            f"a mistake in your formula."))]
        return result
    result.ok = False  # an exception in the learner's own code is their mistake
    return result

