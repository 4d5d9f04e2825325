"""Command-line parts that explain a run: the toy problems of ``verigrad train toy``, the
checks and pictures ``verigrad train`` adds (``--diagnose``, leakage, overfitting, spikes,
decision boundary, confusion matrix, most confidently wrong images), and ``verigrad plot``.
"""
import argparse
import contextlib
import json
import math
import sys
import warnings
from pathlib import Path

from . import data
from .cli_format import HelpFormatter
from .diagnostics import (Monitor, check_overfitting, confusion_matrix, describe_spikes,
                          most_confident_mistakes)
from .guard import TrainingWarning
from .model import History

TOY_MAKERS = {"spirals": data.make_spirals, "moons": data.make_moons,
              "circles": data.make_circles, "blobs": data.make_blobs}
#: ``verigrad train`` defaults that depend on the data: image sets, then toy problems
#: (a small network, trained longer on 2-D points).
TRAIN_DEFAULTS = {
    "images": {"hidden": [256, 128], "dropout": 0.2, "epochs": 10, "batch_size": 128,
               "val_size": 5000},
    "toy": {"hidden": [16, 16], "dropout": 0.0, "epochs": 200, "batch_size": 32,
            "val_size": 400},
}


def add_diagnostics_commands(sub):
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


def add_toy_arguments(p):
    """The options of ``verigrad train toy`` and ``--diagnose``."""
    toy = p.add_argument_group("toy problems (verigrad train toy)")
    toy.add_argument("--dataset", dest="toy", choices=sorted(TOY_MAKERS), default="spirals",
                     help="which 2-D problem; the decision boundary is saved as boundary.png")
    toy.add_argument("--samples", type=int, default=2000,
                     help="training points (a fresh set of as many is drawn for the test)")
    toy.add_argument("--noise", type=float, default=None,
                     help="standard deviation of the noise (blobs: of each blob); None: the "
                          "maker's own (spirals 0.05, moons 0.1, circles 0.05, blobs 0.5)")
    toy.add_argument("--classes", type=int, default=None,
                     help="arms of the spirals or number of blobs; None: 2 arms, 3 blobs")
    p.add_argument("--diagnose", action="store_true",
                   help="measure every layer while training (activations, dead or saturated "
                        "units, gradient norms, update/weight ratios): table, warnings and "
                        "diagnostics.png")


def fill_train_defaults(args):
    """Set the options left out on the command line to the defaults for the data set."""
    for key, value in TRAIN_DEFAULTS["toy" if args.dataset == "toy" else "images"].items():
        if not hasattr(args, key):
            setattr(args, key, value)


def run_name(args):
    return f"toy-{args.toy}" if args.dataset == "toy" else args.dataset


def make_toy(args):
    """(X_train, y_train, X_test, y_test) of the toy problem the options describe."""
    options = {}
    if args.noise is not None:
        options["spread" if args.toy == "blobs" else "noise"] = args.noise
    if args.classes is not None:
        if args.toy not in ("spirals", "blobs"):
            raise ValueError(f"--classes applies to spirals and blobs, not {args.toy}")
        options["arms" if args.toy == "spirals" else "centers"] = args.classes
    maker = TOY_MAKERS[args.toy]
    X, y = maker(args.samples, seed=args.seed, dtype=args.dtype, **options)
    X_test, y_test = maker(args.samples, seed=args.seed + 1, dtype=args.dtype, **options)
    return X, y, X_test, y_test


def warn_leakage(args, X_train, X_test):
    """Print what ``check_leakage`` finds between the training and the test set. Toy points
    are checked for exact copies only: in a dense 2-D cloud, independent points are often
    within 10% of each other's length."""
    toy = args.dataset == "toy"
    report = data.check_leakage(X_train, X_test, tol=0 if toy else 0.1)
    if report.n_leaked:
        print(f"warning: {report}", file=sys.stderr)
    elif not args.quiet:
        print(f"leakage check: no test example is a copy{'' if toy else ' or near copy'} "
              f"of a training example")
    return report


def monitor_for(args):
    return Monitor(verbose=0) if args.diagnose else None


@contextlib.contextmanager
def plain_warnings():
    """Show each ``TrainingWarning`` as one 'warning: ...' line on stderr as it comes."""
    show = warnings.showwarning

    def one_line(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TrainingWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.showwarning = one_line
        yield


def report_run(args, out, model, history, monitor, fit, test):
    """Print the overfitting and spike reports and write the run's extra pictures; returns
    the names of the files written."""
    train_accuracy = model.evaluate(*fit)["accuracy"]
    overfitting = check_overfitting(history, train_accuracy=train_accuracy)
    if overfitting:
        print(f"warning: {overfitting}", file=sys.stderr)
    print(describe_spikes(history))
    written = []
    if monitor is not None:
        text = monitor.table() + "".join(f"\nwarning: {w}" for w in monitor.warnings)
        (out / "diagnostics.txt").write_text(text + "\n")
        written.append("diagnostics.txt")
        if not args.quiet and monitor.records:
            ends = (1, monitor.records[-1]["epoch"])
            print(monitor.table([r for r in monitor.records if r["epoch"] in ends]))
            print(f"(every epoch: {out / 'diagnostics.txt'})")
    try:
        written += _pictures(args, out, model, history, monitor, fit, test)
    except ImportError as err:
        print(f"note: no pictures written ({err})", file=sys.stderr)
    return written


def _pictures(args, out, model, history, monitor, fit, test):
    from .plots import (plot_confusion_matrix, plot_decision_boundary, plot_image_grid,
                        require_matplotlib)
    require_matplotlib()
    name, written = run_name(args), []
    X_test, Y_test = test
    accuracy = model.evaluate(X_test, Y_test)["accuracy"]
    if monitor is not None:
        monitor.plot(out / "diagnostics.png", title=f"{name}: per-layer statistics")
        written.append("diagnostics.png")
    if args.dataset == "toy":
        plot_decision_boundary(model, *fit, out / "boundary.png", history=history,
                               title=f"{name}: training points; test accuracy {accuracy:.2%}")
        return written + ["boundary.png"]
    labels = data.FASHION_CLASSES if args.dataset == "fashion-mnist" else None
    proba = model.predict_proba(X_test)
    counts = confusion_matrix(Y_test, proba.argmax(axis=0), n_classes=model.n_out)
    plot_confusion_matrix(counts, out / "confusion.png", labels=labels,
                          title=f"{name}: test set, accuracy {accuracy:.2%}")
    written.append("confusion.png")
    side = math.isqrt(X_test.shape[0])
    if side * side != X_test.shape[0]:
        return written  # not square images
    wrong = most_confident_mistakes(proba, Y_test, n=25)
    label = (lambda k: labels[k]) if labels else str
    captions = [f"says {label(proba[:, j].argmax())} ({proba[:, j].max():.0%})\n"
                f"is {label(Y_test[j])} (#{j})" for j in wrong]
    plot_image_grid(X_test[:, wrong], captions, out / "most_wrong.png", shape=(side, side),
                    title=f"{name}: the {len(wrong)} most confidently wrong test images")
    return written + ["most_wrong.png"]


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
    from .plots import plot_history
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
