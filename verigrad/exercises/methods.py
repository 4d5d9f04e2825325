"""Exercises that are methods of the learner's classes (CS231n's
``KNearestNeighbor.compute_distances_two_loops``, ``TwoLayerNet.loss``, ...).

The functions a check receives hold a class under its name (``"KNearestNeighbor"``) and
each of its methods under ``"Class.method"``; ``verigrad.exercises.files`` finds both in a
learner's file. The method checked is the one under ``"Class.method"``, installed on a
subclass of the learner's class (so that a test can put a wrong method in place of a right
one, and the learner's class itself is never changed); the class's other methods are the
learner's own.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from ..gradcheck.findings import Finding
from .core import Exercise, Result, where
from .remote import RemoteClass


def subclass(cls: Any, members: Mapping[str, Any]) -> Any:
    """A subclass of the learner's class ``cls`` with ``members`` (name -> function) in
    place of its own; a class of the learner's process (``remote.RemoteClass``) makes it
    there (``make_subclass``), where its instances live."""
    if isinstance(cls, RemoteClass):
        return cls.make_subclass(members)
    return type(cls.__name__, (cls,), {**members, "__module__": cls.__module__})


def learner_class(functions: Mapping[str, Any], name: str) -> Any:
    """The learner's class of the exercise ``name`` ("Class.method"), with the function
    under that name installed as the method, or None when the file defines no such class."""
    class_name, method = name.split(".", 1)
    cls = functions.get(class_name)
    if not isinstance(cls, (type, RemoteClass)):
        return None
    return subclass(cls, {method: functions[name]})


def method_exercise(name: str, course: str, parameters: tuple,
                    check: Callable[[Any, Callable, int], Result]) -> Exercise:
    """An exercise of the method ``name`` ("Class.method"); parameters start with "self".
    check(cls, method, seed) -> Result, with cls the learner's class carrying the method."""

    def run(functions: Mapping[str, Any], seed: int = 0) -> Result:
        function = functions[name]
        cls = learner_class(functions, name)
        if cls is None:
            class_name = name.split(".", 1)[0]
            return Result(name, course, None, [Finding(
                "missing", None, f"{name} is checked on an instance of your {class_name}; "
                f"define the method inside the class")], where=where(function))
        return check(cls, function, seed)

    return Exercise(name, course, tuple(parameters), run)
