"""The ``verigrad`` command line: ``verigrad train mnist`` and friends.

Every command documents itself: ``verigrad --help``, ``verigrad train --help``.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import data
from .cli_diagnostics import (add_diagnostics_commands, add_toy_arguments, fill_train_defaults,
                              make_toy, monitor_for, plain_warnings, report_run, run_name,
                              warn_leakage)
from .cli_cbow import add_cbow_commands
from .cli_format import HelpFormatter
from .cli_gradcheck import add_gradcheck_commands
from .guard import TrainingDiverged
from .model import ACTIVATIONS, mlp
from .optim import SGD, Adam, CosineDecay, ExponentialDecay, RMSProp, StepDecay

DATASETS = {"mnist": data.load_mnist, "fashion-mnist": data.load_fashion_mnist}
OPTIMIZERS = ("adam", "sgd", "momentum", "nesterov", "rmsprop")
DEFAULT_LR = {"adam": 1e-3, "rmsprop": 1e-3, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="verigrad",
        description="Neural networks from scratch in NumPy, with verified gradients.",
        epilog="Run 'verigrad COMMAND --help' for the options of a command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_command(sub)
    add_gradcheck_commands(sub)
    add_diagnostics_commands(sub)
    add_cbow_commands(sub)
    return parser


def add_train_command(sub):
    p = sub.add_parser(
        "train", help="train a dense network on a data set and save model, history and plot",
        description="Train a dense network (Dense → activation → dropout, ..., Dense → softmax "
                    "cross-entropy) with mini-batch gradient descent. A random validation "
                    "split is held out of the training set for the per-epoch curves; the test "
                    "set is used once, at the end. Writes model.npz, history.json, "
                    "curves.png and config.json to --out, with confusion.png and "
                    "most_wrong.png (image data sets) or boundary.png (toy), and "
                    "diagnostics.png and diagnostics.txt with --diagnose. Warns when test "
                    "examples duplicate training ones, when the run overfits, and explains "
                    "the spikes of the cost curve.",
        formatter_class=HelpFormatter)
    p.add_argument("dataset", choices=[*sorted(DATASETS), "toy"],
                   help="data set to train on (toy: a 2-D problem, see --dataset)")
    p.add_argument("--hidden", type=int, nargs="+", default=argparse.SUPPRESS, metavar="N",
                   help="sizes of the hidden layers (default: 256 128; toy: 16 16)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu",
                   help="hidden-layer activation")
    p.add_argument("--init", choices=("he", "xavier", "normal", "uniform"), default=None,
                   help="weight initialisation (default: he for relu/leaky_relu, xavier otherwise)")
    p.add_argument("--epochs", type=int, default=argparse.SUPPRESS,
                   help="passes over the training set (default: 10; toy: 200)")
    p.add_argument("--batch-size", type=int, default=argparse.SUPPRESS,
                   help="examples per gradient step (m for full batch, 1 for per-example) "
                        "(default: 128; toy: 32)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                   help="update rule; momentum/nesterov are SGD with --momentum")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 1e-3 for adam/rmsprop, 0.1 for sgd, "
                        "0.05 for momentum/nesterov)")
    p.add_argument("--momentum", type=float, default=0.9, help="momentum for momentum/nesterov")
    p.add_argument("--schedule", choices=("none", "step", "exponential", "cosine"),
                   default="none", help="learning-rate schedule, applied per epoch")
    p.add_argument("--step-size", type=int, default=5, help="epochs between decays (step)")
    p.add_argument("--gamma", type=float, default=0.5,
                   help="decay factor (step: per step-size epochs; exponential: per epoch)")
    p.add_argument("--dropout", type=float, default=argparse.SUPPRESS,
                   help="dropout rate after each hidden layer (default: 0.2; toy: 0)")
    p.add_argument("--l2", type=float, default=0.0, help="L2 penalty λ of λ/(2m)·Σ‖W‖²")
    p.add_argument("--clip-norm", type=float, default=None, help="clip the global gradient norm")
    p.add_argument("--train-size", type=int, default=None,
                   help="use only the first N training examples (quick experiments)")
    p.add_argument("--val-size", type=int, default=argparse.SUPPRESS,
                   help="training examples held out for validation curves (0: none) "
                        "(default: 5000; toy: 400)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, split, shuffling and dropout")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="floating-point precision of the computation")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/DATASET)")
    p.add_argument("--data", type=Path, default=None,
                   help="folder holding the four IDX .gz files (default: $VERIGRAD_DATA/DATASET "
                        "or ~/.cache/verigrad/DATASET)")
    p.add_argument("--download", action="store_true",
                   help="download the data set if it is not found (checksums are verified)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_toy_arguments(p)
    p.set_defaults(handler=run_train)


def make_optimizer(args):
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


def split_validation(X, Y, size, seed):
    """Hold ``size`` random training columns out as a validation set."""
    if size <= 0:
        return X, Y, None
    if size >= X.shape[1]:
        raise ValueError(f"--val-size {size} leaves no training data (m = {X.shape[1]})")
    order = np.random.default_rng(seed).permutation(X.shape[1])
    val, train = order[:size], np.sort(order[size:])
    # Gathering rows of Xᵀ keeps each split column-contiguous for fast mini-batches.
    return X.T[train].T, Y[train], (X.T[val].T, Y[val])


def run_train(args):
    fill_train_defaults(args)
    out = args.out or Path("runs") / run_name(args)
    try:
        X_train, Y_train, X_test, Y_test = (make_toy(args) if args.dataset == "toy" else
                                            DATASETS[args.dataset](args.data, args.download))
    except (FileNotFoundError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.train_size is not None:
        X_train, Y_train = X_train[:, :args.train_size], Y_train[:args.train_size]
    if args.dtype == "float64":
        X_train, X_test = X_train.astype(np.float64, order="F"), X_test.astype(np.float64, order="F")
    warn_leakage(args, X_train, X_test)
    X_fit, Y_fit, validation = split_validation(X_train, Y_train, args.val_size, args.seed)
    model = mlp([X_train.shape[0], *args.hidden, int(Y_train.max()) + 1],
                activation=args.activation, dropout=args.dropout, init=args.init,
                l2=args.l2, dtype=args.dtype, seed=args.seed)
    optimizer = make_optimizer(args)
    if not args.quiet:
        print(model.summary())
        print(f"optimizer: {optimizer!r}  schedule: {args.schedule}  batch size: {args.batch_size}  "
              f"training on {X_fit.shape[1]} examples, validating on "
              f"{0 if validation is None else validation[0].shape[1]}")
    monitor = monitor_for(args)
    try:
        with plain_warnings():
            history = model.fit(X_fit, Y_fit, epochs=args.epochs, batch_size=args.batch_size,
                                optimizer=optimizer, validation_data=validation, seed=args.seed,
                                verbose=0 if args.quiet else 1,
                                callbacks=[] if monitor is None else [monitor])
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    test = model.evaluate(X_test, Y_test)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.npz")
    history.save(out / "history.json")
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k != "handler"}
    config["test"] = test
    (out / "config.json").write_text(json.dumps(config, indent=1))
    written = ["model.npz", "history.json", "config.json"]
    try:
        from .plots import plot_history
        plot_history(history, out / "curves.png", title=f"{run_name(args)}: test accuracy "
                                                         f"{test['accuracy']:.2%}")
        written.append("curves.png")
    except ImportError as err:
        print(f"note: no plot written ({err})", file=sys.stderr)
    written += report_run(args, out, model, history, monitor, (X_fit, Y_fit), (X_test, Y_test))
    print(f"test accuracy: {test['accuracy']:.2%}   test cost: {test['cost']:.4f}   "
          f"seconds/epoch: {np.median(history.seconds):.2f}")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
