"""Hyper-parameter search on a Dask cluster: ``GridSearchCV`` over verigrad's
``MLPClassifier`` through joblib's Dask backend, on worker processes.

The search on the cluster must give exactly the serial search's results (same seeds, same
float32 arithmetic, one BLAS thread on both sides), the estimators must pickle and travel
to the workers and back, and a worker that dies in the middle of the search (its nanny
starts a new one and the scheduler runs its tasks again) must neither lose nor duplicate
a candidate's result.
"""
import logging
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import verigrad as vg  # noqa: E402
from verigrad.sklearn import MLPClassifier  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"mlp__alpha": [1e-4, 1e-2], "mlp__random_state": [0, 1]}
N_FITS = 2 * 2 * 3  # candidates × folds
DOOMED_TICKET = N_FITS // 2  # the fit that ends its worker: half the search has started


class DiesOnce(TransformerMixin, BaseEstimator):
    """A pipeline step that passes X through and, in fitting, draws a numbered ticket from
    ``tickets`` (a folder shared by every process): each fit takes the lowest free number,
    so the numbers count fits in the order they start. The fit that draws ``doomed``
    ends its own process at once, as a crash or an out-of-memory kill would; every other
    fit leaves its process id in its ticket. ``tickets=None`` does nothing."""

    def __init__(self, tickets=None, doomed=-1):
        self.tickets, self.doomed = tickets, doomed

    def fit(self, X, y=None):
        if self.tickets is not None:
            number = 0
            while True:
                try:
                    fd = os.open(Path(self.tickets, f"{number:04d}"), os.O_CREAT | os.O_EXCL
                                 | os.O_WRONLY)
                    break
                except FileExistsError:
                    number += 1
            if number == self.doomed:
                os._exit(1)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
        return self

    def transform(self, X):
        return X


@pytest.fixture(scope="module")
def mnist_subset(data_dir):
    """600 MNIST training images as scikit-learn rows (600, 784), float32 in [0, 1]."""
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir / 'mnist'}")
    X, Y, _, _ = vg.data.load_mnist(data_dir / "mnist")
    return np.ascontiguousarray(X[:, :600].T), Y[:600]


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, each under a nanny that restarts it."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def splits(X, y):
    """Three stratified folds as lists of row numbers. joblib's Dask backend sends every
    argument over 1 kB that it can weak-reference (an index array) ahead of its task, to one
    worker only, and scattered data that dies with its worker cannot be made again, so
    the task fails. Lists travel inside the task, which the scheduler can run again."""
    return [(train.tolist(), test.tolist()) for train, test in StratifiedKFold(3).split(X, y)]


def search(folds, tickets=None):
    pipe = Pipeline([("dies", DiesOnce(tickets, DOOMED_TICKET)),
                     ("mlp", MLPClassifier(hidden_layer_sizes=(32,), max_iter=6,
                                           learning_rate_init=1e-2, batch_size=50))])
    # accuracy is coarse; the log loss tells apart runs that differ in the last bit
    return GridSearchCV(pipe, GRID, cv=folds, n_jobs=-1,
                        scoring=["accuracy", "neg_log_loss"], refit="accuracy")


@pytest.fixture(scope="module")
def serial(mnist_subset):
    """The reference: the same search in this process, one BLAS thread as on the workers."""
    with threadpool_limits(1):
        return search(splits(*mnist_subset)).set_params(n_jobs=None).fit(*mnist_subset)


def assert_same_results(found, expected):
    assert len(found.cv_results_["params"]) == len(expected.cv_results_["params"])
    assert found.cv_results_["params"] == expected.cv_results_["params"]
    for key, values in expected.cv_results_.items():
        if key.startswith(("split", "mean_test", "std_test", "rank_test")):
            np.testing.assert_array_equal(found.cv_results_[key], values, err_msg=key)
    assert found.best_params_ == expected.best_params_


def test_search_on_worker_processes_equals_the_serial_search(cluster, mnist_subset, serial):
    X, y = mnist_subset
    with joblib.parallel_backend("dask", scatter=[X, y]):
        found = search(splits(X, y)).fit(X, y)
    assert_same_results(found, serial)
    # the scores are those of networks that learned: 600 images, 6 epochs
    assert 0.7 < serial.best_score_ < 0.95


def test_estimators_pickle_and_travel_to_workers(cluster, mnist_subset):
    X, y = mnist_subset
    est = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    with threadpool_limits(1):
        local = pickle.loads(pickle.dumps(est)).fit(X, y)
    remote = cluster.submit(lambda e: (e.fit(X, y), os.getpid()), est, pure=False).result()
    fitted, worker_pid = remote
    assert worker_pid != os.getpid()
    assert type(fitted.model_) is vg.Sequential
    np.testing.assert_array_equal(fitted.predict_proba(X), local.predict_proba(X))
    assert fitted.loss_curve_ == local.loss_curve_


def test_a_worker_killed_mid_search_loses_and_duplicates_nothing(cluster, mnist_subset, serial,
                                                                 tmp_path):
    X, y = mnist_subset
    pids_before = set(cluster.run(os.getpid).values())
    with joblib.parallel_backend("dask", scatter=[X, y]):
        found = search(splits(X, y), tmp_path).fit(X, y)
    assert_same_results(found, serial)

    tickets = sorted(tmp_path.iterdir())
    doomed = tmp_path / f"{DOOMED_TICKET:04d}"
    assert doomed in tickets and doomed.read_text() == "", "the doomed fit did not end its worker"
    # the last ticket is the refit of the best candidate, here; every fit of the search ran
    # on a worker, and those the dead worker had taken ran again (so more than N_FITS + 1)
    assert int(tickets[-1].read_text()) == os.getpid()
    pids = {int(t.read_text()) for t in tickets[:-1] if t != doomed}
    assert os.getpid() not in pids
    assert len(tickets) - 1 > N_FITS
    # the nanny started a new worker in place of the dead one (the search may end first)
    cluster.wait_for_workers(2, timeout=60)
    pids_after = set(cluster.run(os.getpid).values())
    assert len(pids_before & pids_after) == 1 and len(pids_after) == 2
