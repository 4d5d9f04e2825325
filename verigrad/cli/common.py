"""What the ``verigrad`` commands share: the error type that ends a command with a one-line
message, the help formatter, the optimizer flags' meaning and how warnings are shown.

Every command module imports these from here (and the package, ``verigrad.cli``, imports the
command modules), so no command module imports the package or another command to get them.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from ..diagnostics import TrainingWarning
from ..optim import SGD, Adam, CosineDecay, ExponentialDecay, Optimizer, RMSProp, StepDecay

if TYPE_CHECKING:
    #: what ``add_subparsers`` returns: each command module adds its command(s) to it
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


class CommandError(Exception):
    """A user error: the command stops with this one-line message and exit status 2."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where the help text already explains it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


#: --optimizer choices; momentum and nesterov are SGD with --momentum
OPTIMIZERS = ("adam", "sgd", "momentum", "nesterov", "rmsprop")
#: the learning rate of each --optimizer when --lr is not given
DEFAULT_LR = {"adam": 1e-3, "rmsprop": 1e-3, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05}


def make_optimizer(args: argparse.Namespace) -> Optimizer:
    """The optimizer that --optimizer, --lr, --momentum, --schedule (with --step-size,
    --gamma, --epochs) and --clip-norm describe."""
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    schedule = {"none": None,
                "step": lambda: StepDecay(args.step_size, args.gamma),
                "exponential": lambda: ExponentialDecay(args.gamma),
                "cosine": lambda: CosineDecay(args.epochs)}[args.schedule]
    common = {"schedule": schedule() if schedule else None, "clip_norm": args.clip_norm}
    if args.optimizer == "adam":
        return Adam(lr, **common)
    if args.optimizer == "rmsprop":
        return RMSProp(lr, **common)
    momentum = args.momentum if args.optimizer in ("momentum", "nesterov") else 0.0
    return SGD(lr, momentum=momentum, nesterov=args.optimizer == "nesterov", **common)


@contextlib.contextmanager
def plain_warnings() -> Iterator[None]:
    """Show each ``TrainingWarning`` as one 'warning: ...' line on stderr as it comes."""
    show = warnings.showwarning

    def one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
        if issubclass(category, TrainingWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.showwarning = one_line
        yield
