"""The courses' NumPy backprop exercises, by name: a learner's ``conv_backward`` or
``affine_backward`` is run on generated configurations (the edge cases where bugs hide),
its forward compared with verigrad's reference layers, its backward with central
differences of the learner's own forward, and a wrong output matched against the common
wrong formulas to say which mistake it is.

    from verigrad import exercises
    results = exercises.check_functions({"affine_forward": affine_forward,
                                         "affine_backward": affine_backward})
    for r in results:
        print(r.name, r.verdict, r.summary())

``verigrad check notebook.ipynb`` does this for every exercise a notebook or file defines.
The catalogue knows each exercise's signature, shapes and cache layout; it holds no
solutions: the references are verigrad's layers, called on the learner's layout.

A topic module adds exercises by defining ``EXERCISES`` (listed below) with the builders of
``core`` (``forward_exercise``, ``backward_exercise``). Every finding kind it reports must be
in the one vocabulary (``verigrad.gradcheck.kinds``): a kind already there (``stride``,
``scale``) is used as it is; a new mistake is registered once, at the top of the module,
with when it is reported and where its message points:

    KINDS = register_mistakes({
        "im2col_order": ("the columns of im2col are in the other order",
                         "the order of the loops that fill the columns"),
    })

``Finding`` and ``Mistake`` refuse an unregistered kind, and ``python
docs/make_kind_tables.py`` writes the new kinds into the documentation's table.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ..gradcheck.findings import Finding
from . import (
    attention,
    classifiers,
    conv,
    dense,
    gradient_checking,
    initialization,
    knn,
    logistic,
    models,
    normalization,
    notebook_globals,
    optimization,
    recurrent,
    regularization,
    shallow,
    torch_attention,
    update_rules,
    versions,
)
from .core import MISTAKES, Exercise, Result, register_mistakes, where
from .isolation import check_isolated

# the courses' order: the Deep Learning Specialization by course and week, then CS231n's
# (dense.py, normalization.py, conv.py and recurrent.py hold both courses' layers)
EXERCISES: list[Exercise]
EXERCISES = [*logistic.EXERCISES, *shallow.EXERCISES_WEEK3, *initialization.EXERCISES_COURSE1,
             *dense.EXERCISES, *initialization.EXERCISES_COURSE2, *gradient_checking.EXERCISES,
             *regularization.EXERCISES, *optimization.EXERCISES, *normalization.EXERCISES,
             *conv.EXERCISES, *recurrent.EXERCISES, *attention.EXERCISES,
             *classifiers.EXERCISES, *knn.EXERCISES,
             *update_rules.EXERCISES, *models.EXERCISES, *torch_attention.EXERCISES]

__all__ = ["EXERCISES", "MISTAKES", "Exercise", "Result", "check_functions", "exercise_for",
           "register_mistakes"]


def exercise_for(name: str, function: object) -> Exercise | None:
    """The catalogue's exercise that ``function`` (called ``name``) is an attempt at, or
    None: the name must match, and the signature when two courses share the name."""
    candidates = [e for e in EXERCISES if e.name == name and e.matches(function)]
    exact = [e for e in candidates if e.named_like(function)]
    return (exact or candidates or [None])[0]  # type: ignore[list-item]


def check_functions(functions: Mapping[str, Any], seed: int = 0, time_limit: float | None = None,
                    on_result: Callable[[Result], object] | None = None) -> list[Result]:
    """Results for every function in ``functions`` (name -> function) that is one of the
    catalogue's exercises, in the catalogue's order. A function named like an exercise
    whose signature fits none of them cannot be checked (a Result with ok None). Each check
    is isolated: what one function raises, returns or how long it runs (``time_limit``
    seconds at most, in a process's main thread) is its own verdict. on_result(result) is
    called as each verdict is ready. A function from an older notebook version is checked
    as that version meant it (``versions``), and its result says so in ``assumed``; a
    function that was adapted where it runs (a function of the learner's process in
    ``verigrad check``, ``remote.RemoteFunction``) says what was assumed in its
    ``assumed_version``."""
    names = {e.name for e in EXERCISES}
    assumed: dict[str, str] = {}
    patched: list[tuple[dict[str, Any], str, Any]] = []  # (namespace, name, the learner's)
    for name in names & set(functions):
        adapted = getattr(functions[name], "assumed_version", None)
        if isinstance(adapted, str):  # adapted where it runs (``remote.RemoteFunction``)
            assumed[name] = adapted
        found = versions.adapt(functions[name])
        if found is not None:
            original = functions[name]
            functions = {**functions, name: found[0]}
            assumed[name] = found[1]
            scope = getattr(original, "__globals__", {})
            if scope.get(name) is original:  # the learner's other functions call this one
                patched.append((scope, name, original))
                scope[name] = found[0]
    try:
        return _check_each(functions, seed, time_limit, on_result, assumed)
    finally:
        for scope, name, original in patched:
            scope[name] = original


def _check_each(functions: Mapping[str, Any], seed: int, time_limit: float | None,
                on_result: Callable[[Result], object] | None,
                assumed: Mapping[str, str]) -> list[Result]:
    results: list[Result] = []
    seen: set[str] = set()
    by_name: dict[str, Result] = {}
    for exercise in EXERCISES:
        function = functions.get(exercise.name)
        if function is None or exercise.name in seen:
            continue
        chosen = exercise_for(exercise.name, function)
        if chosen is None:
            seen.add(exercise.name)
            expected = " or ".join(f"({', '.join(e.parameters)})" for e in EXERCISES
                                   if e.name == exercise.name)
            results.append(Result(exercise.name, exercise.course, None, [Finding(
                "signature", None, f"{exercise.name}{_signature(function)} cannot be called as "
                f"the exercise, whose parameters are {expected}")], where=where(function)))
        elif chosen is exercise:
            seen.add(exercise.name)
            by_name[exercise.name] = notebook_globals.checked(
                exercise, function if exercise.name not in assumed else None,
                partial(check_isolated, exercise, functions, seed, time_limit, by_name))
            # a version told by its signature (``versions``), else what the check found
            by_name[exercise.name].assumed = (assumed.get(exercise.name)
                                              or by_name[exercise.name].assumed)
            results.append(by_name[exercise.name])
            if on_result is not None:
                on_result(results[-1])
    return results


def _signature(function: Callable[..., Any]) -> str:
    try:
        return str(inspect.signature(function))
    except (TypeError, ValueError):
        return "(...)"
