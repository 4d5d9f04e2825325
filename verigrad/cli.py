"""The ``verigrad`` command line."""
import argparse
import sys

from .cli_cbow import add_cbow_commands


def build_parser():
    parser = argparse.ArgumentParser(
        prog="verigrad",
        description="Neural networks from scratch in NumPy, with verified gradients.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_cbow_commands(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
