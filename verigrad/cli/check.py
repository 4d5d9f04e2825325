"""``verigrad check`` and ``verigrad gradcheck``: gradient checks from the command line.

    verigrad check my_backprop.py      # your params, cost(params), grads(params); exit 1 if wrong
    verigrad gradcheck --layers 784 10 10 --dropout 0.5 --mnist
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..exercises import files
from ..exercises.batch import BatchError
from ..exercises.files import defines_cost_and_grads
from ..gradcheck import MODES, gradcheck
from ..losses import MSE, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from ..model import ACTIVATIONS, mlp
from ..pytorch import makemore
from . import backprop_file, check_class, values
from .common import CommandError, HelpFormatter
from .output import check_output_file, write_output

LOSSES: dict[str, Callable[[], Loss]]
LOSSES = {"softmax": SoftmaxCrossEntropy, "binary": BinaryCrossEntropy, "mse": MSE}


def add_gradcheck_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="run your backprop (a notebook's or file's exercises, or params/cost/"
                      "grads) and check it (exit 1 if wrong)",
        description="Run FILE -- this executes the Python code in it, as 'python FILE' "
                    "would: check only files you trust. FILE runs in a separate Python "
                    "process, so that nothing it does (sys.exit, a crash) can decide the "
                    "result. Check the courses' backprop exercises that FILE (.py or .ipynb) "
                    "defines (linear_backward, conv_backward, affine_backward, "
                    "lstm_cell_backward, ...), and the forward/backward pairs it declares in "
                    "VERIGRAD_CHECKS; print one table: function, verdict, finding, line. "
                    "A .py file that defines params (a dict of NumPy arrays), cost(params) and "
                    "grads(params) (dW1, db1, ...; or a tuple, with a list 'order') gets the "
                    "gradient check's report instead. Exit 0 when everything checked is right, "
                    "1 when something is wrong, 2 when the file cannot be checked (it raises "
                    "an error or exits before the check finishes), so that it can run in CI. "
                    "FILE may be a folder of submissions: each file is checked in its own "
                    "process, in parallel, and a summary per function is printed (exit 0 "
                    "when every file is checked and right).",
        formatter_class=HelpFormatter)
    p.add_argument("file", type=Path, help="a notebook or Python file, or a folder of them")
    _add_check_options(p)
    p.add_argument("--all", action="store_true",
                   help="run every statement of the file, not only imports, definitions and "
                        "simple assignments")
    p.add_argument("--json", type=Path, default=None, metavar="OUT",
                   help="write per-function results and points to OUT (Gradescope/Otter "
                        "format)")
    p.add_argument("--timeout", type=values.positive, default=120,
                   help="seconds of CPU time the file's code and its checks may take (a "
                        "quarter of it per statement or function; a statement that "
                        "waits without computing is stopped after as long)")
    check_class.add_class_options(p)
    p.set_defaults(handler=run_check)

    q = sub.add_parser(
        "gradcheck", help="gradient-check a built-in dense network (exit 1 if wrong)",
        description="Build a dense network (Dense → [BatchNorm →] activation → dropout, ..., "
                    "Dense → loss) in float64 and check its backprop against central "
                    "differences on random data or the first MNIST images.",
        formatter_class=HelpFormatter)
    q.add_argument("--layers", type=values.positive_int, nargs="+", default=[20, 16, 10],
                   metavar="N",
                   help="layer sizes: n_in, hidden..., n_out")
    q.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu",
                   help="hidden-layer activation")
    q.add_argument("--loss", choices=sorted(LOSSES), default="softmax",
                   help="softmax cross-entropy, binary cross-entropy or ½ mean squared error")
    q.add_argument("--dropout", type=values.rate, default=0.0,
                   help="dropout rate after each hidden layer")
    q.add_argument("--batch-norm", action="store_true",
                   help="batch normalization between each hidden Dense layer and its activation")
    q.add_argument("--l2", type=values.non_negative, default=0.0,
                   help="L2 penalty λ of λ/(2m)·Σ‖W‖²")
    q.add_argument("--examples", type=values.positive_int, default=32,
                   help="examples m in the batch checked")
    q.add_argument("--mnist", action="store_true",
                   help="use the first MNIST training images (needs --layers 784 ... 10)")
    q.add_argument("--data", type=Path, default=None,
                   help="folder holding the MNIST IDX .gz files (default: $VERIGRAD_DATA/mnist "
                        "or ~/.cache/verigrad/mnist)")
    _add_check_options(q)
    q.set_defaults(handler=run_gradcheck)


def _add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=("auto", *MODES), default="auto",
                   help="full: every entry; sample: --samples entries per array; fast: one "
                        "random direction per array; auto: full up to 20,000 parameters, "
                        "fast above")
    p.add_argument("--eps", type=values.fraction, default=1e-6,
                   help="step of the central difference")
    p.add_argument("--tol", type=values.fraction, default=1e-7,
                   help="largest relative error accepted")
    p.add_argument("--samples", type=values.positive_int, default=10,
                   help="entries per array in sample mode")
    p.add_argument("--seed", type=values.seed, default=0,
                   help="seed of the sampled entries and directions")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"mode": None if args.mode == "auto" else args.mode, "eps": args.eps, "tol": args.tol,
            "samples": args.samples, "seed": args.seed}


def load_learner_file(path: str | Path
                      ) -> tuple[Any, Callable[..., Any], Callable[..., Any], Any]:
    """(params, cost, grads, order) from a learner's Python file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    spec: Any  # a .py file's, with its loader
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    # The file may import its neighbours (its own helpers), as when it is run directly.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.resolve().parent))
    missing = [name for name in ("params", "cost", "grads") if not hasattr(module, name)]
    if missing:
        raise AttributeError(f"{path} must define params (a dict of arrays), cost(params) and "
                             f"grads(params); it does not define {', '.join(missing)}")
    return module.params, module.cost, module.grads, getattr(module, "order", None)


def run_check(args: argparse.Namespace) -> int:
    try:
        if args.file.is_dir():
            return check_class.run_class_check(args)
        check_class.refuse_folder_options(args)
    except BatchError as err:
        raise CommandError(str(err)) from None
    if not args.file.is_file():
        raise CommandError(f"FILE {args.file} does not exist or is not a file")
    if args.json is not None:
        check_output_file(args.json, "--json")
    if makemore.is_makemore(args.file):  # PyTorch: makemore part 4's backprop notebook
        return makemore.run_command(args.file, args.json, args.timeout)
    if not defines_cost_and_grads(args.file):
        return run_exercise_check(args)
    return run_backprop_check(args)


def run_backprop_check(args: argparse.Namespace) -> int:
    """Run the learner's params/cost/grads file in a child process that only evaluates its
    functions; the verdict is computed here (``backprop_file``), under --timeout, and with
    --json written in the format of the exercises' check (one function, ``grads``), as
    ``verigrad check FOLDER`` reads every file's result."""
    return backprop_file.run(args.file, _settings(args), args.timeout, args.json, args.debug)


def _write_error(args: argparse.Namespace, message: str) -> None:
    """With --json, the result of a file that could not be checked (exit status 2)."""
    if args.json:
        write_output(args.json, json.dumps({"file": str(args.file), "exit_code": 2,
                                            "error": message, "tests": []}, indent=1),
                     "--json")


def run_exercise_check(args: argparse.Namespace) -> int:
    """``verigrad check`` on a notebook or a file of exercises: the table, --json."""
    try:
        payload = files.check_file(args.file, run_all=args.all, timeout=args.timeout,
                                   seed=args.seed)
    except files.CannotCheck as err:
        print(f"error: cannot check {args.file}: {err}", file=sys.stderr)
        _write_error(args, str(err))
        return 2
    if args.json:
        write_output(args.json, json.dumps(files.as_json(payload, args.file), indent=1),
                     "--json")
    if not payload["results"] and not payload["notes"]:  # nothing to judge: one line
        print(f"error: nothing to check in {args.file}: no exercise of the catalogue, no "
              f"VERIGRAD_CHECKS entry and no params/cost/grads", file=sys.stderr)
        return 2
    print(files.table(payload))
    return files.exit_code(payload)


def run_gradcheck(args: argparse.Namespace) -> int:
    sizes = args.layers
    if len(sizes) < 2:
        raise CommandError("--layers needs at least n_in and n_out")
    if args.data is not None and not args.mnist:
        raise CommandError("--data applies only with --mnist")
    X, Y = _batch(args, sizes)
    model = mlp(sizes, activation=args.activation, dropout=args.dropout,
                loss=LOSSES[args.loss](), l2=args.l2, dtype="float64", seed=args.seed,
                batch_norm=args.batch_norm)
    report = gradcheck(model, X, Y, **_settings(args))
    print(model.summary())
    print()
    print(report)
    return 0 if report.ok else 1


def _batch(args: argparse.Namespace, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    m, n_in, n_out = args.examples, sizes[0], sizes[-1]
    rng = np.random.default_rng(args.seed)
    if args.mnist:
        if n_in != 784 or (args.loss == "softmax" and n_out != 10):
            raise CommandError(f"--mnist needs --layers 784 ... 10, got {sizes}")
        from ..data import load_mnist
        try:
            X, y, _, _ = load_mnist(args.data)
        except (OSError, ValueError) as err:
            raise CommandError(str(err)) from None
        if m > X.shape[1]:
            raise CommandError(f"--examples {m} is more than the {X.shape[1]} MNIST training "
                               f"images")
        X, y = X[:, :m].astype(np.float64), y[:m]
    else:
        X, y = rng.standard_normal((n_in, m)), rng.integers(0, n_out, m)
    if args.loss == "softmax":
        return X, y
    if args.loss == "binary":
        return X, (rng.random((n_out, m)) < 0.5).astype(np.float64)
    return X, rng.standard_normal((n_out, m))
