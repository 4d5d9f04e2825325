"""verigrad's MLPClassifier against scikit-learn's, same network, same data, one run.

    python benchmarks/vs_sklearn.py [--threads 1] [--repeats 2] [--epochs 10] [--sklearn-float64]

On MNIST and Fashion-MNIST (official test split): hidden layers (256, 128), ReLU, Adam
with learning rate 1e-3, mini-batches of 128, 10 epochs, L2 alpha = 1e-4, through each
library's scikit-learn estimator. Both get the same float32 rows X/255 (the reader's
output): verigrad computes in float32, and scikit-learn keeps float32 input in float32,
its fastest setting (``--sklearn-float64`` adds scikit-learn on float64 input, its
default precision, as a third contender). The BLAS thread count is set to the same value
for all before NumPy is imported (1 by default: on a small shared machine, BLAS threads
stall on each other; see docs/sklearn.md). Wall and CPU seconds are both shown. Each repeat
fits every contender once, alternating who goes first, with random_state = the repeat's
number; the table shows medians of the fit time and of the test accuracy. The ratio is
verigrad's seconds / scikit-learn's (float32).
The last line is one JSON object with the figures (``ratio``, ``verigrad_accuracy`` and
``sklearn_accuracy`` are MNIST's, accuracies in percent).
"""
import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "VERIGRAD_DATA", REPO.parent / "shared" / "data")),
        help="folder holding mnist/ and fashion-mnist/ (default: $VERIGRAD_DATA or "
             "../shared/data)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for every contender (default 1: see docs/sklearn.md)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"],
                        choices=["mnist", "fashion-mnist"])
    parser.add_argument("--sklearn-float64", action="store_true",
                        help="also time scikit-learn on float64 input")
    return parser.parse_args()


ARGS = parse_args()
# Before NumPy loads its BLAS: the same thread count for every contender.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnMLP  # noqa: E402

sys.path.insert(0, str(REPO))
import verigrad as vg  # noqa: E402
from verigrad.sklearn import MLPClassifier as VerigradMLP  # noqa: E402

LOADERS = {"mnist": vg.data.load_mnist, "fashion-mnist": vg.data.load_fashion_mnist}


def architecture(seed):
    return dict(hidden_layer_sizes=(256, 128), activation="relu", solver="adam",
                learning_rate_init=1e-3, batch_size=128, max_iter=ARGS.epochs, alpha=1e-4,
                random_state=seed)


def contenders():
    """(name, estimator factory, input dtype)."""
    out = [("verigrad", VerigradMLP, np.float32), ("scikit-learn", SklearnMLP, np.float32)]
    if ARGS.sklearn_float64:
        out.append(("scikit-learn float64", SklearnMLP, np.float64))
    return out


def run_dataset(name):
    X_train, y_train, X_test, y_test = LOADERS[name](ARGS.data / name)
    inputs = {np.float32: (X_train.T, X_test.T)}  # rows, C-contiguous float32, no copy
    if ARGS.sklearn_float64:
        inputs[np.float64] = (X_train.T.astype(np.float64), X_test.T.astype(np.float64))
    runs = {contender: {"seconds": [], "cpu": [], "accuracy": []}
            for contender, _, _ in contenders()}
    for repeat in range(ARGS.repeats):
        order = contenders() if repeat % 2 == 0 else contenders()[::-1]
        for contender, make, dtype in order:
            Xtr, Xte = inputs[dtype]
            estimator = make(**architecture(repeat))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the plan
                start, start_cpu = time.perf_counter(), time.process_time()
                estimator.fit(Xtr, y_train)
                seconds = time.perf_counter() - start
                cpu = time.process_time() - start_cpu
            accuracy = 100 * estimator.score(Xte, y_test)
            for key, value in (("seconds", seconds), ("cpu", cpu), ("accuracy", accuracy)):
                runs[contender][key].append(value)
            print(f"  {name} repeat {repeat + 1}: {contender:<21} {seconds:7.2f} s "
                  f"(CPU {cpu:7.2f} s)  test accuracy {accuracy:.2f}%", flush=True)
    summary = {contender: {"seconds": statistics.median(r["seconds"]),
                           "cpu": statistics.median(r["cpu"]),
                           "accuracy": statistics.median(r["accuracy"]),
                           "runs_seconds": r["seconds"]}
               for contender, r in runs.items()}
    summary["ratio"] = summary["verigrad"]["seconds"] / summary["scikit-learn"]["seconds"]
    summary["cpu_ratio"] = summary["verigrad"]["cpu"] / summary["scikit-learn"]["cpu"]
    return summary


def main():
    print(f"verigrad {vg.__version__}, scikit-learn {sklearn.__version__}, numpy "
          f"{np.__version__}; {ARGS.threads} BLAS thread(s), {ARGS.repeats} repeat(s), "
          f"{ARGS.epochs} epochs; (256, 128) relu, adam 1e-3, batch 128, alpha 1e-4")
    results = {name: run_dataset(name) for name in ARGS.datasets}
    print("\n| data set | contender | seconds (median) | CPU seconds | s/epoch | "
          "test accuracy (median) |")
    print("|---|---|---|---|---|---|")
    for name, summary in results.items():
        for contender, _, _ in contenders():
            s = summary[contender]
            print(f"| {name} | {contender} | {s['seconds']:.2f} | {s['cpu']:.2f} | "
                  f"{s['seconds'] / ARGS.epochs:.3f} | {s['accuracy']:.2f}% |")
        print(f"| {name} | ratio verigrad / scikit-learn | **{summary['ratio']:.2f}** | "
              f"{summary['cpu_ratio']:.2f} | | |")
    figures = {"threads": ARGS.threads, "repeats": ARGS.repeats, "epochs": ARGS.epochs}
    for name, summary in results.items():
        prefix = "" if name == "mnist" else name.replace("-", "_") + "_"
        figures[f"{prefix}ratio"] = round(summary["ratio"], 4)
        figures[f"{prefix}cpu_ratio"] = round(summary["cpu_ratio"], 4)
        for contender, _, _ in contenders():
            key = contender.replace("scikit-learn", "sklearn").replace(" ", "_")
            figures[f"{prefix}{key}_accuracy"] = round(summary[contender]["accuracy"], 2)
            figures[f"{prefix}{key}_seconds"] = round(summary[contender]["seconds"], 3)
            figures[f"{prefix}{key}_runs_seconds"] = [round(t, 3) for t in
                                                      summary[contender]["runs_seconds"]]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
