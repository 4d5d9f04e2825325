"""``verigrad plot``: a run's cost and accuracy curves, its spikes and whether it overfits."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..callbacks import History
from ..diagnostics import check_overfitting, describe_spikes
from .common import CommandError, HelpFormatter
from .train import run_name

if TYPE_CHECKING:
    from .common import Subparsers


def add_plot_command(sub: Subparsers) -> None:
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


def run_plot(args: argparse.Namespace) -> int:
    history_file = args.run_dir / "history.json"
    if not history_file.is_file():
        raise CommandError(f"{history_file} not found: RUN_DIR must be a folder written by "
                           f"'verigrad train'")
    out = args.out or args.run_dir / "curves.png"
    if out.is_dir() or not out.parent.is_dir():
        raise CommandError(f"--out {out}: " + ("is a folder; give a file name ending in .png"
                                               if out.is_dir() else
                                               f"the folder {out.parent} does not exist"))
    try:
        history = History.load(history_file)
    except (OSError, ValueError) as err:
        raise CommandError(str(err)) from None
    if not history.epochs:
        raise CommandError(f"{history_file} holds no finished epoch: nothing to draw")
    title = str(args.run_dir)
    config = _read_config(args.run_dir / "config.json")
    if config is not None:
        accuracy = (config.get("test") or {}).get("accuracy")
        title = run_name(argparse.Namespace(**config)) + (
            "" if not isinstance(accuracy, float) else f": test accuracy {accuracy:.2%}")
    from ..plots import plot_history
    try:
        plot_history(history, out, title=title)
    except ImportError as err:
        raise CommandError(str(err)) from None
    print(describe_spikes(history))
    overfitting = check_overfitting(history)
    if overfitting:
        print(f"warning: {overfitting}")
    print(f"wrote {out}")
    return 0


def _read_config(path: Path) -> dict[str, Any] | None:
    """The run's options (for the title), or None if config.json is missing or unreadable:
    the curves do not need it."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(config, dict) and config.get("dataset") in ("mnist", "fashion-mnist", "toy")
    return config if ok and (config["dataset"] != "toy" or "toy" in config) else None
