"""The ``verigrad`` command line."""
import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="verigrad",
        description="Neural networks from scratch in NumPy, with verified gradients.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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
