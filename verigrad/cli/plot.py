"""``verigrad plot``: a run's cost and accuracy curves, its spikes and whether it overfits."""
import argparse
import json
import sys
from pathlib import Path

from ..diagnostics import check_overfitting, describe_spikes
from ..train import History
from . import HelpFormatter
from .train import run_name


def add_plot_command(sub):
    p = sub.add_parser(
        "plot", help="draw a run's cost and accuracy curves with spikes marked",
        description="Read RUN_DIR/history.json (written by 'verigrad train') and draw cost and "
                    "accuracy per epoch, training against validation, with the spikes of the "
                    "cost curve marked; print what the spikes come from and whether the run "
                    "overfits.",
        formatter_class=HelpFormatter)
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="folder of a training run")
    p.add_argument("--out", type=Path, default=None,
                   help="PNG file to write; None: RUN_DIR/curves.png")
    p.set_defaults(handler=run_plot)


def run_plot(args):
    history_file = args.run_dir / "history.json"
    if not history_file.is_file():
        print(f"error: {history_file} not found: RUN_DIR must be a folder written by "
              f"'verigrad train'", file=sys.stderr)
        return 2
    history = History.load(history_file)
    title = str(args.run_dir)
    config_file = args.run_dir / "config.json"
    if config_file.is_file():
        config = json.loads(config_file.read_text())
        accuracy = (config.get("test") or {}).get("accuracy")
        title = run_name(argparse.Namespace(**config)) + (
            "" if accuracy is None else f": test accuracy {accuracy:.2%}")
    out = args.out or args.run_dir / "curves.png"
    from ..plots import plot_history
    try:
        plot_history(history, out, title=title)
    except ImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(describe_spikes(history))
    overfitting = check_overfitting(history)
    if overfitting:
        print(f"warning: {overfitting}")
    print(f"wrote {out}")
    return 0
