"""The ``verigrad`` command line: ``verigrad train mnist`` and friends.

Every command documents itself: ``verigrad --help``, ``verigrad train --help``. Each command
lives in a module of its own: ``train``, ``text`` (``sample``, and the language model of
``train shakespeare``), ``plot``, ``check`` (gradient checks) and ``cbow``.
"""
import argparse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where the help text already explains it."""

    def _get_help_string(self, action):
        if action.default is None or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser():
    # The command modules import HelpFormatter from this package, so they load here.
    from . import cbow, check, plot, text, train

    parser = argparse.ArgumentParser(
        prog="verigrad",
        description="Neural networks from scratch in NumPy, with verified gradients.",
        epilog="Run 'verigrad COMMAND --help' for the options of a command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train.add_train_command(sub)
    text.add_sample_command(sub)
    check.add_gradcheck_commands(sub)
    plot.add_plot_command(sub)
    cbow.add_cbow_commands(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.handler(args)

