"""A grid search over verigrad's MLPClassifier: serial, and on a local Dask cluster of
worker processes, through joblib's Dask backend.

    python benchmarks/dask_search.py [--repeats 3] [--workers 2] [--train-size 6000]
                                     [--threaded-serial]

The search: 8 candidates (alpha × learning rate × seed) × 3 folds = 24 fits of a (64,)
ReLU network, 5 epochs of Adam, mini-batches of 128, on the first ``--train-size`` MNIST
training images. Contenders, interleaved in each repeat (the order alternates):

- serial, 1 BLAS thread: GridSearchCV with n_jobs=None, the way a worker computes;
- with --threaded-serial, also serial with BLAS threads = workers: what a plain ``fit``
  on the whole machine does (on a loaded machine its threads wait on each other, many
  times slower than one thread, docs/scaling.md, so it is not run by default);
- dask: GridSearchCV under ``joblib.parallel_backend("dask")`` on a ``LocalCluster`` of
  ``--workers`` processes of one thread each (started once, its start-up timed apart);
- dask without malloc trim: the same, with workers started without Dask's
  MALLOC_TRIM_THRESHOLD_=65536 (which returns freed memory to the system at once).

Every contender must find the same cv_results_ (checked each repeat). Then one fit is
timed in CPU seconds where it runs (the client process, a worker of each cluster). The
table shows
medians of the wall-clock seconds and of the CPU seconds (this process plus every worker
process); the speed-up is serial (1 thread) / dask, in wall-clock time. The last line is
one JSON object with the figures.
"""
import argparse
import os
import sys
from pathlib import Path

from _common import REPO, default_data_dir


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(),
                        help="folder holding mnist/ (default: $VERIGRAD_DATA or ../shared/data)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threaded-serial", action="store_true",
                        help="also time the serial search with one BLAS thread per worker")
    return parser.parse_args()


ARGS = parse_args()

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import dask  # noqa: E402
import joblib  # noqa: E402
import numpy as np  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(REPO))
import verigrad as vg  # noqa: E402
from verigrad.sklearn import MLPClassifier  # noqa: E402

GRID = {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 3e-3], "random_state": [0, 1]}
FITS = 3 * len(ParameterGrid(GRID))  # candidates × folds


def search(X, y):
    # folds as lists: they travel inside each task (see docs/scaling.md)
    folds = [(train.tolist(), test.tolist()) for train, test in StratifiedKFold(3).split(X, y)]
    estimator = MLPClassifier(hidden_layer_sizes=(64,), max_iter=ARGS.epochs, batch_size=128)
    return GridSearchCV(estimator, GRID, cv=folds, n_jobs=-1)


def one_fit_cpu(X, y):
    """CPU seconds of one fit (the search's network, one random_state) in the process that
    runs this: the client's, or a worker's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.process_time()
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=ARGS.epochs, batch_size=128,
                      random_state=0).fit(X, y)
        return time.process_time() - start


def timed(run, clients):
    """Wall seconds, CPU seconds (this process and every worker of ``clients``) and the
    mean test scores of one search."""
    def cpu():
        return time.process_time() + sum(sum(c.run(time.process_time).values())
                                         for c in clients)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the plan
        start, start_cpu = time.perf_counter(), cpu()
        found = run()
        return (time.perf_counter() - start, cpu() - start_cpu,
                found.cv_results_["mean_test_score"])


def start_cluster(malloc_trim):
    """A LocalCluster of --workers single-thread processes. Dask starts its workers with
    MALLOC_TRIM_THRESHOLD_=65536, which returns freed memory to the system at once;
    malloc_trim=False starts them without it (one BLAS thread either way)."""
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not malloc_trim:
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(n_workers=ARGS.workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    return cluster, Client(cluster, set_as_default=False)


def main():
    X, y, _, _ = vg.data.load_mnist(ARGS.data / "mnist")
    X, y = np.ascontiguousarray(X[:, :ARGS.train_size].T), y[:ARGS.train_size]
    print(f"{FITS // 3} candidates × 3 folds on {len(y)} MNIST images, (64,) relu, "
          f"{ARGS.epochs} epochs; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at start")
    start = time.perf_counter()
    clusters = {"dask": start_cluster(True), "dask without malloc trim": start_cluster(False)}
    startup = (time.perf_counter() - start) / 2

    def serial(threads):
        with threadpool_limits(threads):
            return search(X, y).set_params(n_jobs=None).fit(X, y)

    def on_dask(client):
        with joblib.parallel_backend("dask", client=client, scatter=[X, y]):
            return search(X, y).fit(X, y)

    contenders = {"serial, 1 BLAS thread": (lambda: serial(1), [])}
    for name, (_, client) in clusters.items():
        contenders[f"{name}, {ARGS.workers} processes"] = (
            lambda client=client: on_dask(client), [client])
    if ARGS.threaded_serial:
        contenders[f"serial, {ARGS.workers} BLAS threads"] = (lambda: serial(ARGS.workers), [])
    seconds = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    try:
        for repeat in range(ARGS.repeats):
            names = list(contenders) if repeat % 2 == 0 else list(contenders)[::-1]
            scores = {}
            for name in names:
                t, c, scores[name] = timed(*contenders[name])
                seconds[name].append(t)
                cpu[name].append(c)
                print(f"  repeat {repeat + 1}: {name:<40} {t:7.2f} s  (CPU {c:6.2f} s)",
                      flush=True)
            reference = scores["serial, 1 BLAS thread"]
            for name, found in scores.items():
                np.testing.assert_array_equal(found, reference, err_msg=name)
        # one fit's CPU where it runs: the third of three, after imports and compilation
        with threadpool_limits(1):
            fit_cpu = {"client process": [one_fit_cpu(X, y) for _ in range(3)][-1]}
        for name, (_, client) in clusters.items():
            futures = [client.submit(one_fit_cpu, X, y, pure=False) for _ in range(3)]
            fit_cpu[f"{name} worker"] = client.gather(futures)[-1]
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    medians = {name: statistics.median(ts) for name, ts in seconds.items()}
    cpu_medians = {name: statistics.median(cs) for name, cs in cpu.items()}
    dask_name = f"dask, {ARGS.workers} processes"
    speedup = medians["serial, 1 BLAS thread"] / medians[dask_name]
    print("\n| contender | seconds (median) | CPU seconds (median) | runs |")
    print("|---|---|---|---|")
    for name, median in medians.items():
        print(f"| {name} | {median:.2f} | {cpu_medians[name]:.2f} | "
              f"{', '.join(f'{t:.2f}' for t in seconds[name])} |")
    print("one fit's CPU seconds: " + ", ".join(f"{k} {v:.3f}" for k, v in fit_cpu.items()))
    print(f"cluster start-up (not in the times above): {startup:.2f} s; speed-up serial "
          f"(1 thread) / dask: {speedup:.2f}; same cv_results_ in every run: yes")
    figures = {"repeats": ARGS.repeats, "workers": ARGS.workers, "train_size": len(y),
               "epochs": ARGS.epochs, "fits": FITS, "cluster_startup_seconds": round(startup, 3),
               "speedup": round(speedup, 3), "load_average_end": round(os.getloadavg()[0], 2)}
    for name, median in medians.items():
        key = name.replace(", ", "_").replace(" ", "_")
        figures[f"{key}_seconds"] = round(median, 3)
        figures[f"{key}_cpu_seconds"] = round(cpu_medians[name], 3)
    for name, cpu_seconds in fit_cpu.items():
        figures["one_fit_cpu_seconds_" + name.replace(" ", "_")] = round(cpu_seconds, 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
