"""Argument types of the command line: each one checks a flag's value as argparse reads it,
so that a bad value stops the command before it loads data or trains, with one line naming
the flag, what it allows and what it got (exit status 2).

Every numeric option of every command uses one of these (a test walks the parser to make
sure of it and tries values outside each one's range).
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

Number = TypeVar("Number", int, float)


def _number(kind: Callable[[str], Number], text: str) -> Number:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be {'an integer' if kind is int else 'a number'}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _checked(kind: Callable[[str], Number], allowed: Callable[[Number], bool],
             description: str) -> Callable[[str], Number]:
    def parse(text: str) -> Number:
        value = _number(kind, text)
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"must be {description}, got {text!r}")
        return value
    parse.__name__ = description
    return parse


positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
count = _checked(int, lambda v: v >= 0, "an integer ≥ 0")
seed = _checked(int, lambda v: 0 <= v < 2 ** 32, "an integer in [0, 2**32)")
positive = _checked(float, lambda v: v > 0, "a number > 0")
non_negative = _checked(float, lambda v: v >= 0, "a number ≥ 0")
rate = _checked(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
factor = _checked(float, lambda v: 0 < v <= 1, "a number in (0, 1]")
fraction = _checked(float, lambda v: 0 < v < 1, "a number in (0, 1)")
