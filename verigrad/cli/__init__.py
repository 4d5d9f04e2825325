"""The ``verigrad`` command line: ``verigrad train mnist`` and friends.

Every command documents itself: ``verigrad --help``, ``verigrad train --help``. Each command
lives in a module of its own: ``train``, ``text`` (``sample``, and the language model of
``train shakespeare``), ``plot``, ``check`` (gradient checks) and ``cbow``.

Exit status: 0 done, 1 training diverged or a gradient is wrong, 2 the command cannot run as
asked (a bad flag value, a missing or damaged file, an output folder that cannot be written);
the message is then one line on stderr naming the flag or file. ``--debug`` adds the Python
traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from . import cbow, check, plot, text, train, values
from .common import CommandError, HelpFormatter

__all__ = ["main", "build_parser", "CommandError", "HelpFormatter", "values"]


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = Parser(
        prog="verigrad",
        description="Neural networks from scratch in NumPy, with verified gradients.",
        epilog="Run 'verigrad COMMAND --help' for the options of a command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train.add_train_command(sub)
    text.add_sample_command(sub)
    check.add_gradcheck_commands(sub)
    plot.add_plot_command(sub)
    cbow.add_cbow_commands(sub)
    _add_debug_flag(parser, default=False)
    return parser


def _add_debug_flag(parser: argparse.ArgumentParser, default: Any) -> None:
    """``--debug`` on every command, before or after the command's name."""
    parser.add_argument("--debug", action="store_true", default=default,
                        help="on an error, show the Python traceback too")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                # SUPPRESS: a command's own default must not undo 'verigrad --debug COMMAND'
                _add_debug_flag(command, argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except CommandError as err:
        # one line, even for a message that lists things (the folders searched for data)
        return _fail(args, f"verigrad {args.command}: error: {' '.join(str(err).split())}")
    except MemoryError:
        return _fail(args, f"verigrad {args.command}: error: out of memory: the network or "
                           f"data set asked for does not fit (smaller --hidden, --samples or "
                           f"--dim?)")
    except KeyboardInterrupt:
        return _fail(args, f"verigrad {args.command}: interrupted; files already written are "
                           f"complete (each is written whole or not at all)", status=130)
    except BrokenPipeError:
        # the reader of our output went away (``verigrad check FILE | head``): stop quietly,
        # as Unix tools do; stdout goes to devnull so that Python's flush at exit is silent
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell shows for a tool ended by it


def _fail(args: argparse.Namespace, message: str, status: int = 2) -> int:
    if args.debug:
        traceback.print_exc()
    print(message, file=sys.stderr)
    return status

