"""``verigrad train``: a dense or convolutional network on MNIST, Fashion-MNIST or a 2-D toy
problem, or a recurrent language model on Shakespeare (``text``), with the checks and pictures
it adds to a run (``--diagnose``, leakage, overfitting, spikes,
decision boundary, confusion matrix, most confidently wrong images).
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import data
from .._files import write_text
from ..convnets import cnn
from ..diagnostics import (
    Monitor,
    TrainingDiverged,
    check_overfitting,
    confusion_matrix,
    describe_spikes,
    most_confident_mistakes,
)
from ..layers import Conv2D
from ..model import ACTIVATIONS, mlp
from . import values
from .common import OPTIMIZERS, CommandError, HelpFormatter, make_optimizer, plain_warnings
from .output import (
    DIVERGED,
    check_output_folder,
    diverged_destination,
    staged_run,
    write_json,
)
from .text import (
    LANGUAGE_MODELS,
    TEXT_DATASETS,
    add_text_arguments,
    check_text_options,
    run_train_text,
)

if TYPE_CHECKING:
    from ..callbacks import History
    from ..diagnostics import LeakageReport
    from ..model import Sequential
    from .common import Subparsers

#: (X_train, Y_train, X_test, Y_test)
Splits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

DATASETS: dict[str, Callable[..., Splits]] = {"mnist": data.load_mnist,
                                              "fashion-mnist": data.load_fashion_mnist}
TOY_MAKERS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spirals": data.make_spirals, "moons": data.make_moons, "circles": data.make_circles,
    "blobs": data.make_blobs}
#: ``verigrad train`` defaults that depend on the data: image sets, then toy problems
#: (a small network, trained longer on 2-D points). Each adds to or overrides BASE_DEFAULTS.
BASE_DEFAULTS: dict[str, Any] = {"schedule": "none", "shift": 0}
TRAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "images": {"hidden": [256, 128], "dropout": 0.2, "epochs": 10, "batch_size": 128,
               "val_size": 5000, "activation": "relu"},
    "toy": {"hidden": [16, 16], "dropout": 0.0, "epochs": 200, "batch_size": 32,
            "val_size": 400, "activation": "relu"},
    # convolutional presets: LeNet-5 with dropout 0.2 after its hidden Dense layers and
    # random shifts of 1 pixel (without the shifts MNIST lands on either side of 99% by
    # seed); for two-conv, None is the preset's own (0.25, 0.5), with a cosine schedule and
    # random shifts of 2 pixels (with the schedule alone it lands on either side of the
    # Keras example's figure by seed); docs/benchmarks.md gives each recipe's accuracies
    "lenet5": {"hidden": [], "dropout": 0.2, "epochs": 15, "batch_size": 128,
               "val_size": 5000, "shift": 1},
    "two-conv": {"hidden": [], "dropout": None, "epochs": 12, "batch_size": 128,
                 "val_size": 5000, "schedule": "cosine", "shift": 2},
}
#: settings a data set trains better with: LeNet-5 on Fashion-MNIST at batch 64 (a better
#: test accuracy than at batch 128, docs/benchmarks.md)
DATASET_DEFAULTS: dict[tuple[str | None, str], dict[str, Any]] = {
    ("fashion-mnist", "lenet5"): {"batch_size": 64}}
#: --model for image data sets: the dense network, or a convolutional preset (cnn = lenet5)
IMAGE_MODELS: dict[str, str | None] = {"mlp": None, "cnn": "lenet5", "lenet5": "lenet5",
                                       "two-conv": "two-conv"}


def add_train_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "train", help="train a dense, convolutional or recurrent network on a data set and "
                      "save model, history and plot",
        description="Train a network with mini-batch gradient descent: a dense one (Dense → "
                    "[BatchNorm →] activation → dropout, ..., Dense → softmax cross-entropy), "
                    "a convolutional one (--model cnn or two-conv) on the image data sets, or "
                    "a recurrent language model (LSTM, GRU or RNN) on shakespeare. A random "
                    "validation split is held out of the training set for the per-epoch "
                    "curves; the test set is used once, at the end. Writes model.npz, "
                    "history.json, curves.png and config.json to --out, with confusion.png and "
                    "most_wrong.png (image data sets) or boundary.png (toy), and "
                    "diagnostics.png and diagnostics.txt with --diagnose. Warns when test "
                    "examples duplicate training ones, when the run overfits, and explains "
                    "the spikes of the cost curve.",
        formatter_class=HelpFormatter)
    p.add_argument("dataset", choices=[*sorted(DATASETS), "toy", *TEXT_DATASETS],
                   help="data set to train on (toy: a 2-D problem, see --dataset; "
                        "shakespeare: a character-level language model, see --model)")
    p.add_argument("--model", choices=[*IMAGE_MODELS, *LANGUAGE_MODELS], default=None,
                   help="the network: mlp (dense, the default), cnn (LeNet-5: conv 6 5×5, "
                        "max-pool, conv 16 5×5, max-pool, Dense 120, 84 with dropout 0.2; 15 "
                        "epochs by default) or two-conv (conv 32 3×3, conv 64 3×3, max-pool, "
                        "Dropout 0.25, Dense 128, Dropout 0.5; 12 epochs, cosine schedule, "
                        "random shifts of 2 pixels) "
                        "for image data sets; lstm (default), gru or rnn for shakespeare")
    p.add_argument("--hidden", type=values.positive_int, nargs="+", default=argparse.SUPPRESS,
                   metavar="N",
                   help=f"sizes of the hidden layers ({default_text('hidden')})")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default=argparse.SUPPRESS,
                   help="hidden-layer activation of the dense network (default: relu)")
    p.add_argument("--init", choices=("he", "xavier", "normal", "uniform"), default=None,
                   help="weight initialisation of the dense network (default: he for "
                        "relu/leaky_relu, xavier otherwise)")
    p.add_argument("--epochs", type=values.positive_int, default=argparse.SUPPRESS,
                   help=f"passes over the training set ({default_text('epochs')})")
    p.add_argument("--batch-size", type=values.positive_int, default=argparse.SUPPRESS,
                   help=f"examples per gradient step (m for full batch, 1 for per-example) "
                        f"({default_text('batch_size')})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                   help="update rule; momentum/nesterov are SGD with --momentum")
    p.add_argument("--lr", type=values.positive, default=None,
                   help="learning rate (default: 1e-3 for adam/rmsprop, 0.1 for sgd, "
                        "0.05 for momentum/nesterov)")
    p.add_argument("--momentum", type=values.rate, default=None,
                   help="momentum for momentum/nesterov (default: 0.9)")
    p.add_argument("--schedule", choices=("none", "step", "exponential", "cosine"),
                   default=argparse.SUPPRESS,
                   help=f"learning-rate schedule, applied per epoch "
                        f"({default_text('schedule')})")
    p.add_argument("--step-size", type=values.positive_int, default=None,
                   help="epochs between decays (step) (default: 5)")
    p.add_argument("--gamma", type=values.factor, default=None,
                   help="decay factor (step: per step-size epochs; exponential: per epoch) "
                        "(default: 0.5)")
    p.add_argument("--shift", type=values.count, default=argparse.SUPPRESS, metavar="PIXELS",
                   help=f"move each training image by up to PIXELS pixels in each direction, "
                        f"at random and anew every epoch (vg.data.RandomShift; the "
                        f"convolutional models) ({default_text('shift')})")
    p.add_argument("--batch-norm", action="store_true",
                   help="batch normalization after each hidden Dense layer, before its "
                        "activation (Dense → BatchNorm → activation)")
    p.add_argument("--dropout", type=values.rate, default=argparse.SUPPRESS,
                   help="dropout rate after each hidden layer (default: 0.2; toy: 0; "
                        "two-conv: 0.25 after the pooling and 0.5 after Dense 128, or this "
                        "rate at both)")
    p.add_argument("--l2", type=values.non_negative, default=0.0,
                   help="L2 penalty λ of λ/(2m)·Σ‖W‖²")
    p.add_argument("--clip-norm", type=values.positive, default=None,
                   help="clip the global gradient norm")
    p.add_argument("--train-size", type=values.positive_int, default=None,
                   help="use only the first N training examples (quick experiments)")
    p.add_argument("--val-size", type=values.count, default=argparse.SUPPRESS,
                   help=f"training examples held out for validation curves (0: none) "
                        f"({default_text('val_size')})")
    p.add_argument("--seed", type=values.seed, default=0,
                   help="seed of the weights, split, shuffling and dropout")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="floating-point precision of the computation")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/DATASET)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (without it, a folder holding a "
                        "run is refused); its files are replaced only once the new run has "
                        "finished, and files of the old run the new one does not write are "
                        "removed then; a run that diverges leaves the old run as it is and "
                        "writes to OUT/diverged")
    p.add_argument("--data", type=Path, default=None,
                   help="folder holding the four IDX .gz files (default: $VERIGRAD_DATA/DATASET "
                        "or ~/.cache/verigrad/DATASET); for shakespeare, the text file")
    p.add_argument("--download", action="store_true",
                   help="download the data set if it is not found (checksums are verified)")
    p.add_argument("--threads", type=values.positive_int, default=1,
                   help="threads that compute each mini-batch, a slice each (fit(threads=N)): "
                        "2 on two cores trains the convolutional nets about 1.2× faster; the "
                        "result differs from one thread's by rounding and dropout masks")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_toy_arguments(p)
    add_text_arguments(p)
    p.set_defaults(handler=run_train)


#: the files a run may write to --out
RUN_FILES = (DIVERGED, "model.npz", "history.json", "config.json", "curves.png", "confusion.png",
             "most_wrong.png", "boundary.png", "diagnostics.txt", "diagnostics.png", "filters.png",
             "feature_maps.png")
#: options that only some runs use -> (the setting they apply to, its default)
DEPENDENT_OPTIONS: dict[str, tuple[Callable[[argparse.Namespace], bool], str, Any]] = {
    "momentum": (lambda a: a.optimizer in ("momentum", "nesterov"),
                 "--optimizer momentum or nesterov", 0.9),
    "step_size": (lambda a: a.schedule == "step", "--schedule step", 5),
    "gamma": (lambda a: a.schedule in ("step", "exponential"),
              "--schedule step or exponential", 0.5),
}


def split_validation(X: np.ndarray, Y: np.ndarray, size: int, seed: int
                     ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Hold ``size`` random training examples out as a validation set."""
    m = X.shape[-1]
    if size <= 0:
        return X, Y, None
    m = X.shape[-1]
    order = np.random.default_rng(seed).permutation(m)
    val, train = order[:size], np.sort(order[size:])
    # Gathering whole examples keeps each split stored example by example (a
    # column-contiguous (n, m) X) for fast mini-batches.
    by_example = np.moveaxis(X, -1, 0)
    return (np.moveaxis(by_example[train], 0, -1), Y[train],
            (np.moveaxis(by_example[val], 0, -1), Y[val]))


def example_major(X: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """X (..., m) in ``dtype``, each example one contiguous block of memory."""
    return np.moveaxis(np.moveaxis(X, -1, 0).astype(dtype, order="C"), 0, -1)


def flat(X: np.ndarray) -> np.ndarray:
    """X (..., m) as (n, m), one column per example (a view for example-major images)."""
    return X.reshape(-1, X.shape[-1])


def check_options(args: argparse.Namespace) -> None:
    """Fill in the defaults that depend on the data set and model, and refuse options given
    for a run they do not apply to (they would be ignored without a word)."""
    check_text_options(args)
    if args.dataset in TEXT_DATASETS:
        refuse_unused(args, ("dropout", "activation", "init", "batch_norm"),
                      f"'verigrad train {args.dataset}'", "mnist, fashion-mnist and toy")
        if args.download:
            raise CommandError("--download applies only to mnist and fashion-mnist")
    else:
        args.model = args.model or "mlp"
        if args.model not in IMAGE_MODELS or (args.dataset == "toy" and args.model != "mlp"):
            takes = "mlp" if args.dataset == "toy" else ", ".join(IMAGE_MODELS)
            raise CommandError(f"--model {args.model} does not train on {args.dataset} (it "
                               f"takes {takes})")
        if IMAGE_MODELS[args.model]:
            refuse_unused(args, ("hidden", "activation", "init", "batch_norm"),
                          f"--model {args.model}", "the dense network (--model mlp)")
        fill_train_defaults(args)
    whole = [flag for flag, given in (("--batch-norm", args.batch_norm),
                                      ("--stateful", args.stateful)) if given]
    if args.threads > 1 and whole:
        raise CommandError(f"--threads {args.threads} splits each batch into slices, but "
                           f"{whole[0]} needs the whole batch at once: leave --threads at 1")
    if getattr(args, "shift", 0) and not IMAGE_MODELS.get(args.model or "mlp"):
        raise CommandError("--shift applies only to the convolutional models (--model cnn, "
                           "lenet5 or two-conv)")
    for key, (applies, setting, default) in DEPENDENT_OPTIONS.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif not applies(args):
            raise CommandError(f"--{key.replace('_', '-')} applies only with {setting}")
    toy_only = [flag for flag, given in (("--dataset", args.toy is not None),
                                         ("--samples", args.samples is not None),
                                         ("--noise", args.noise is not None),
                                         ("--classes", args.classes is not None))
                if given and args.dataset != "toy"]
    if toy_only:
        raise CommandError(f"{toy_only[0]} applies only to 'verigrad train toy'")
    if args.dataset == "toy":
        args.toy = args.toy or "spirals"
        args.samples = args.samples or 2000
        if args.download or args.data is not None:
            raise CommandError(f"{'--download' if args.download else '--data'} applies only "
                               f"to mnist and fashion-mnist")
        if args.classes is not None and args.toy not in ("spirals", "blobs"):
            raise CommandError(f"--classes applies to spirals and blobs, not "
                               f"{args.toy}")


def refuse_unused(args: argparse.Namespace, keys: Sequence[str], run: str, used_by: str) -> None:
    """CommandError for the first option of ``keys`` given on the command line although the
    ``run`` does not use it (it would be ignored, yet written to config.json as if used)."""
    given = [key for key in keys
             if getattr(args, key, None) is not None and getattr(args, key) is not False]
    if given:
        raise CommandError(f"--{given[0].replace('_', '-')} does not apply to {run}: it is "
                           f"for {used_by}")


def load_data(args: argparse.Namespace, images: bool) -> Splits:
    """(X_train, Y_train, X_test, Y_test) after --train-size, with the sizes checked;
    ``images``: image data sets as (C, H, W, m) instead of (n, m)."""
    try:
        X_train, Y_train, X_test, Y_test = (
            make_toy(args) if args.dataset == "toy" else
            DATASETS[args.dataset](args.data, args.download, images=images))
    except (OSError, ValueError) as err:
        raise CommandError(str(err)) from err
    m = X_train.shape[-1]
    if args.train_size is not None:
        if args.train_size > m:
            raise CommandError(f"--train-size {args.train_size} is more than the {m} training "
                               f"examples of {run_name(args)}")
        X_train, Y_train = X_train[..., :args.train_size], Y_train[:args.train_size]
    if args.val_size >= X_train.shape[-1]:
        raise CommandError(f"--val-size {args.val_size} leaves no training data: it must be "
                           f"less than the {X_train.shape[-1]} training examples"
                           + (" of --train-size" if args.train_size is not None else ""))
    if args.dtype == "float64":
        X_train, X_test = example_major(X_train, np.float64), example_major(X_test, np.float64)
    return X_train, Y_train, X_test, Y_test


def run_train(args: argparse.Namespace) -> int:
    check_options(args)
    if args.dataset in TEXT_DATASETS:
        return run_train_text(args)
    preset = IMAGE_MODELS[args.model]
    out = args.out or Path("runs") / run_name(args)
    previous = check_output_folder(out, "--out", RUN_FILES, args.overwrite)
    X_train, Y_train, X_test, Y_test = load_data(args, images=preset is not None)
    warn_leakage(args, flat(X_train), flat(X_test))
    X_fit, Y_fit, validation = split_validation(X_train, Y_train, args.val_size, args.seed)
    # One output per class of the data set, test labels included: a small --train-size may
    # not hold every class.
    n_classes = int(max(Y_train.max(), Y_test.max())) + 1
    if preset:
        dropout = args.dropout
        if preset == "two-conv" and dropout is not None:
            dropout = (dropout, dropout)
        model = cnn(preset, input_shape=X_train.shape[:-1], n_classes=n_classes,
                    dropout=dropout, l2=args.l2, dtype=args.dtype, seed=args.seed)
    else:
        model = mlp([X_train.shape[0], *args.hidden, n_classes],
                    activation=args.activation, dropout=args.dropout, init=args.init,
                    l2=args.l2, dtype=args.dtype, seed=args.seed, batch_norm=args.batch_norm)
    optimizer = make_optimizer(args)
    if not args.quiet:
        print(model.summary())
        print(f"optimizer: {optimizer!r}  schedule: {args.schedule}  "
              f"batch size: {args.batch_size}  "
              f"{f'threads: {args.threads}  ' if args.threads > 1 else ''}"
              f"{f'random shifts: ±{args.shift} px  ' if args.shift else ''}"
              f"training on {X_fit.shape[-1]} examples, validating on "
              f"{0 if validation is None else validation[0].shape[-1]}")
    monitor = monitor_for(args)
    try:
        with plain_warnings():
            history = model.fit(X_fit, Y_fit, epochs=args.epochs, batch_size=args.batch_size,
                                optimizer=optimizer, validation_data=validation, seed=args.seed,
                                verbose=0 if args.quiet else 1,
                                callbacks=[] if monitor is None else [monitor],
                                augment=data.RandomShift(args.shift) if args.shift else None,
                                threads=args.threads)
    except TrainingDiverged as err:
        assert err.history is not None  # fit attaches the history of the finished epochs
        where, earlier = diverged_destination(out, previous)
        with staged_run(where, earlier) as folder:
            written = save_run(args, folder, model, err.history, {"diverged": str(err)})
        print(f"error: {err}", file=sys.stderr)
        print(f"wrote {', '.join(written)} to {where} (the weights and curves up to the last "
              f"finished epoch){'' if where == out else f'; the earlier run in {out} is kept'}",
              file=sys.stderr)
        return 1
    except (ValueError, ImportError) as err:
        # a setting the data cannot train with (a batch norm's batch of 1), or --threads
        # without threadpoolctl
        raise CommandError(str(err)) from None
    test = model.evaluate(X_test, Y_test)
    with staged_run(out, previous) as folder:
        written = save_run(args, folder, model, history, {"test": test},
                           title=f"{run_name(args)}: test accuracy {test['accuracy']:.2%}")
        written += report_run(args, folder, model, history, monitor, (X_fit, Y_fit),
                              (X_test, Y_test))
    print(f"test accuracy: {test['accuracy']:.2%}   test cost: {test['cost']:.4f}   "
          f"seconds/epoch: {np.median(history.seconds):.2f}")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


def save_run(args: argparse.Namespace, out: Path, model: Sequential, history: History,
             results: dict[str, Any], title: str | None = None) -> list[str]:
    """Write the model, history, config (the options and ``results``) and the curves to
    the folder ``out``; returns the names written."""
    model.save(out / "model.npz")
    history.save(out / "history.json")
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k != "handler"}
    write_json(out / "config.json", {**config, **results})
    written = ["model.npz", "history.json", "config.json"]
    if not history.epochs:
        return written
    try:
        from ..plots import plot_history
        plot_history(history, out / "curves.png", title=title or run_name(args))
        written.append("curves.png")
    except ImportError as err:
        print(f"note: no plot written ({err})", file=sys.stderr)
    return written


def add_toy_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``verigrad train toy`` and ``--diagnose``."""
    toy = p.add_argument_group("toy problems (verigrad train toy)")
    toy.add_argument("--dataset", dest="toy", choices=sorted(TOY_MAKERS), default=None,
                     help="which 2-D problem; the decision boundary is saved as boundary.png "
                          "(default: spirals)")
    toy.add_argument("--samples", type=values.positive_int, default=None,
                     help="training points (a fresh set of as many is drawn for the test) "
                          "(default: 2000)")
    toy.add_argument("--noise", type=values.non_negative, default=None,
                     help="standard deviation of the noise (blobs: of each blob); None: the "
                          "maker's own (spirals 0.05, moons 0.1, circles 0.05, blobs 0.5)")
    toy.add_argument("--classes", type=values.positive_int, default=None,
                     help="arms of the spirals or number of blobs; None: 2 arms, 3 blobs")
    p.add_argument("--diagnose", action="store_true",
                   help="measure every layer while training (activations, dead or saturated "
                        "units, gradient norms, update/weight ratios): table, warnings and "
                        "diagnostics.png")


def train_defaults(kind: str, dataset: str | None = None) -> dict[str, Any]:
    """The defaults of ``verigrad train`` for a kind of run ("images" for the dense network,
    "toy", or a convolutional preset), on ``dataset``."""
    return {**BASE_DEFAULTS, **TRAIN_DEFAULTS[kind], **DATASET_DEFAULTS.get((dataset, kind), {})}


def default_text(key: str) -> str:
    """'default: 10; toy: 200' for the option ``key``: its value in the dense network's
    defaults, then each other kind of run (and data set) where it differs, as the help
    shows it."""
    def shown(value: object) -> str:
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)

    plain = train_defaults("images")[key]
    parts = [f"default: {shown(plain)}"]
    for kind in TRAIN_DEFAULTS:
        value = train_defaults(kind)[key]
        if value != plain and value not in (None, []) and kind != "images":
            parts.append(f"{kind}: {shown(value)}")
    for (dataset, kind), settings in DATASET_DEFAULTS.items():
        if key in settings:
            parts.append(f"{dataset} {kind}: {shown(settings[key])}")
    return "; ".join(parts)


def fill_train_defaults(args: argparse.Namespace) -> None:
    """Set the options left out on the command line to the defaults for the data set and
    model."""
    kind = "toy" if args.dataset == "toy" else IMAGE_MODELS[args.model] or "images"
    for key, value in train_defaults(kind, args.dataset).items():
        if not hasattr(args, key):
            setattr(args, key, value)


def run_name(args: argparse.Namespace) -> str:
    if args.dataset == "toy":
        return f"toy-{args.toy}"
    # a run's config.json from before --model has none
    preset = IMAGE_MODELS.get(getattr(args, "model", None) or "mlp")
    return f"{args.dataset}-{preset}" if preset else args.dataset


def make_toy(args: argparse.Namespace) -> Splits:
    """(X_train, y_train, X_test, y_test) of the toy problem the options describe."""
    options: dict[str, Any] = {}
    if args.noise is not None:
        options["spread" if args.toy == "blobs" else "noise"] = args.noise
    if args.classes is not None:
        options["arms" if args.toy == "spirals" else "centers"] = args.classes
    maker = TOY_MAKERS[args.toy]
    X, y = maker(args.samples, seed=args.seed, dtype=args.dtype, **options)
    X_test, y_test = maker(args.samples, seed=args.seed + 1, dtype=args.dtype, **options)
    return X, y, X_test, y_test


def warn_leakage(args: argparse.Namespace, X_train: np.ndarray,
                 X_test: np.ndarray) -> LeakageReport:
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


def monitor_for(args: argparse.Namespace) -> Monitor | None:
    return Monitor(verbose=0) if args.diagnose else None


def report_run(args: argparse.Namespace, out: Path, model: Sequential, history: History,
               monitor: Monitor | None, fit: tuple[np.ndarray, np.ndarray],
               test: tuple[np.ndarray, np.ndarray]) -> list[str]:
    """Print the overfitting and spike reports and write the run's extra pictures; returns
    the names of the files written."""
    train_accuracy = model.evaluate(*fit)["accuracy"]
    overfitting = check_overfitting(history, train_accuracy=train_accuracy)
    if overfitting:
        print(f"warning: {overfitting}", file=sys.stderr)
    print(describe_spikes(history))
    written: list[str] = []
    if monitor is not None:
        text = monitor.table() + "".join(f"\nwarning: {w}" for w in monitor.warnings)
        write_text(out / "diagnostics.txt", text + "\n")
        written.append("diagnostics.txt")
        if not args.quiet and monitor.records:
            ends = (1, monitor.records[-1]["epoch"])
            print(monitor.table([r for r in monitor.records if r["epoch"] in ends]))
            print("(every epoch: diagnostics.txt)")
    try:
        written += _pictures(args, out, model, history, monitor, fit, test)
    except ImportError as err:
        print(f"note: no pictures written ({err})", file=sys.stderr)
    return written


def _pictures(args: argparse.Namespace, out: Path, model: Sequential, history: History,
              monitor: Monitor | None, fit: tuple[np.ndarray, np.ndarray],
              test: tuple[np.ndarray, np.ndarray]) -> list[str]:
    from ..plots import (
        plot_confusion_matrix,
        plot_decision_boundary,
        plot_image_grid,
        require_matplotlib,
    )
    require_matplotlib()
    name = run_name(args)
    written: list[str] = []
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
    if X_test.ndim == 4:
        written += _conv_pictures(name, out, model, X_test)
        shape = X_test.shape[1:3]
    else:
        side = math.isqrt(X_test.shape[0])
        if side * side != X_test.shape[0]:
            return written  # not square images
        shape = (side, side)
    wrong = most_confident_mistakes(proba, Y_test, n=25)
    label = (lambda k: labels[k]) if labels else str
    captions = [f"says {label(proba[:, j].argmax())} ({proba[:, j].max():.0%})\n"
                f"is {label(Y_test[j])} (#{j})" for j in wrong]
    plot_image_grid(flat(X_test)[:, wrong], captions, out / "most_wrong.png", shape=shape,
                    title=f"{name}: the {len(wrong)} most confidently wrong test images")
    return written + ["most_wrong.png"]


def _conv_pictures(name: str, out: Path, model: Sequential, X_test: np.ndarray) -> list[str]:
    """filters.png, the first convolutional layer's kernels, and feature_maps.png, what it
    makes of the first test image (after its activation, when one follows)."""
    from ..plots import plot_feature_maps, plot_filters
    i, first = next((i, layer) for i, layer in enumerate(model.layers)
                    if isinstance(layer, Conv2D))
    plot_filters(first.params["W"], out / "filters.png",
                 title=f"{name}: the {first.out_channels} filters of the first layer")
    A = X_test[..., :1]
    for layer in model.layers[:i + 1 + bool(model.layers[i + 1].elementwise)]:
        A = layer.forward(A)
    plot_feature_maps(X_test[..., 0], A[..., 0], out / "feature_maps.png",
                      title=f"{name}: test image #0 and the first layer's feature maps")
    return ["filters.png", "feature_maps.png"]
