"""The one vocabulary of findings: every ``Finding.kind`` verigrad reports, with what it
means and where it sends the learner.

A kind is a ``str`` equal to its name, so ``finding.kind == "scale"`` holds, it is a dict key
like its name, and JSON writes it as that string; it also carries ``description`` (what the
finding means, when it is reported), ``advice`` (where the message points the learner) and
``origin`` (which part of verigrad reports it: ``"gradcheck"`` for the gradient check's own
kinds, ``"exercises"`` for the exercise catalogue's named mistakes).

    Kind("scale")                 # the registered kind; an unknown name is a ValueError
    Kind("scale").advice          # where to look
    registered_kinds("gradcheck") # the kinds of one origin, in the order they were registered

A new kind is registered once, where the code that reports it lives, before any finding
uses it (``Finding`` refuses an unregistered kind):

    STRIDE = register_kind("stride", "the output equals a loop's that ignores the stride",
                           "where each window starts", origin="exercises")

(an exercise module registers its mistakes with ``verigrad.exercises.register_mistakes``,
which calls this). The documentation's tables of kinds are generated from this registry
(``docs/make_kind_tables.py``), so a kind is described here and nowhere else.
"""
from __future__ import annotations

import difflib
import re

_REGISTRY: dict[str, Kind] = {}
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class Kind(str):
    """A registered finding kind: a ``str`` equal to its name, with ``description``,
    ``advice`` and ``origin``. ``Kind(name)`` returns the registered kind of that name and
    raises ValueError for a name that was never registered (see ``register_kind``)."""

    description: str
    advice: str
    origin: str

    def __new__(cls, name: str) -> Kind:
        found = _REGISTRY.get(name) if isinstance(name, str) else None
        if found is None:
            near = difflib.get_close_matches(str(name), _REGISTRY, n=3)
            raise ValueError(
                f"{name!r} is not a registered finding kind"
                + (f" (did you mean {' or '.join(map(repr, near))}?)" if near else "")
                + "; a new kind is registered first, with register_kind(name, description, "
                  "advice, origin=...)")
        return found

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"finding kind {str(self)!r} cannot be changed")

    def __reduce__(self) -> tuple[type[Kind], tuple[str]]:
        # pickled and copied by name: the copy is the registered kind itself
        return Kind, (str(self),)

    def __repr__(self) -> str:
        return f"Kind({str(self)!r})"


def register_kind(name: str, description: str, advice: str, *, origin: str) -> Kind:
    """Add the finding kind ``name`` to the vocabulary and return it.

    name: lower case letters, digits and underscores, starting with a letter (it is written
        in reports, JSON and the documentation's tables as it is).
    description: what the finding means, when it is reported (one sentence, no full stop).
    advice: where the message points the learner (a place to look, not the fix).
    origin: which part of verigrad reports it ("gradcheck", "exercises", ...): the
        documentation tabulates each origin's kinds apart.

    Registering a name again with the same texts returns the kind already registered (a
    module may be imported twice); with other texts it is a ValueError, since one name
    must keep one meaning. A mistake an exercise shares with another (``stride``,
    ``accumulate``) is reported under the registered kind and needs no registration.
    """
    for argument, value in (("description", description), ("advice", advice),
                            ("origin", origin)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{argument} of finding kind {name!r} must be a non-empty str, "
                             f"got {value!r}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"a finding kind's name must be lower case letters, digits and "
                         f"underscores, starting with a letter; got {name!r}")
    known = _REGISTRY.get(name)
    if known is not None:
        if (known.description, known.advice, known.origin) == (description, advice, origin):
            return known
        raise ValueError(f"finding kind {name!r} is already registered by {known.origin!r} "
                         f"as {known.description!r}: pick another name for another meaning")
    kind = str.__new__(Kind, name)
    for attribute, value in (("description", description), ("advice", advice),
                             ("origin", origin)):
        object.__setattr__(kind, attribute, value)
    _REGISTRY[name] = kind
    return kind


def registered_kinds(origin: str | None = None) -> tuple[Kind, ...]:
    """Every registered kind (of ``origin`` only, when given), in the order of registration."""
    return tuple(k for k in _REGISTRY.values() if origin is None or k.origin == origin)


# ---- the gradient check's own kinds ---------------------------------------------------------

GRADCHECK = "gradcheck"

SCALE = register_kind(
    "scale", "analytic ≈ c × numeric for one constant c; the message gives c and its usual "
    "cause (c = m: a missing 1/m; 2 or ½: the squared error's ½, or a checker that measured "
    "half the slope)",
    "the constant that multiplies or divides the gradient: 1/m, the ½ of a squared error, a "
    "learning rate or keep_prob", origin=GRADCHECK)
SIGN = register_kind(
    "sign", "analytic ≈ −numeric: the error term reversed (Y − A)",
    "the output layer's error term: prediction minus target", origin=GRADCHECK)
TRANSPOSE = register_kind(
    "transpose", "analytic ≈ numericᵀ for a square parameter, where the shape cannot tell",
    "the order of the two factors of the product that forms the gradient", origin=GRADCHECK)
SUM_AXIS = register_kind(
    "sum_axis", "a bias gradient summed over every axis: one number, or every entry equal to "
    "that total", "the axis of the sum that forms the bias gradient", origin=GRADCHECK)
MASK = register_kind(
    "mask", "agrees on some entries and is zero where the other is not: an activation-"
    "derivative mask taken from the wrong array",
    "the line that applies the activation's derivative, and the array its mask comes from",
    origin=GRADCHECK)
SHAPE = register_kind(
    "shape", "the gradient's shape differs from the parameter's",
    "the product or sum that forms the gradient: the order of its factors, the axis summed",
    origin=GRADCHECK)
MUTATION = register_kind(
    "mutation", "cost or grads changed an array it was given",
    "in-place operations on the arrays given (W -= α·dW, +=, x[...] =) and shallow copies "
    "of the parameters", origin=GRADCHECK)
NONDETERMINISTIC = register_kind(
    "nondeterministic", "the cost changes between two calls at the same point (dropout left "
    "on)", "what is random during the check: dropout, sampling", origin=GRADCHECK)
NAN = register_kind(
    "nan", "NaN or inf in the cost or a gradient",
    "exp of a large pre-activation, log of 0, the scale of the inputs and initial weights",
    origin=GRADCHECK)
MISMATCH = register_kind(
    "mismatch", "wrong, with none of the patterns above",
    "the formula of the backward step the report names", origin=GRADCHECK)
MISSING_GRADIENT = register_kind(
    "missing_gradient", "backward returns no gradient under a name it must return (a "
    "forgotten or misnamed key such as dba, or db for b)",
    "the dict or tuple backward returns: one gradient per differentiable input, keyed d + "
    "the input's name", origin=GRADCHECK)
EXCEPTION = register_kind(
    "exception", "your code raised (the forward or backward of a pair checked with "
    "`vg.check_layer`, or an exercise's function); the finding gives the file and line",
    "the line of your code that raised",
    origin=GRADCHECK)
