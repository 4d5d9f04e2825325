"""verigrad.sklearn: scikit-learn's estimator checks, scikit-learn's own MLP as the oracle
for the training arithmetic, and the scikit-learn semantics of convergence, early
stopping, partial_fit, warm_start and the fitted attributes."""
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network as sk_nn  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import estimator_checks_generator  # noqa: E402

import verigrad as vg  # noqa: E402
import verigrad.sklearn as vsk  # noqa: E402
from verigrad.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# Short fits stop at max_iter on purpose; iris and scikit-learn's check data are unscaled,
# which verigrad's guard rightly warns about (those warnings are tested in test_diagnostics).
pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore::verigrad.TrainingWarning")]


def check_name(check):
    while hasattr(check, "func"):
        check = check.func
    return check.__name__


# Small networks and short training keep the ~200 checks at a few seconds in all.
CHECKED = dict(hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01, batch_size=32)
ESTIMATORS = [MLPClassifier(**CHECKED), MLPClassifier(dtype="float64", **CHECKED),
              MLPRegressor(**CHECKED), MLPClassifier(batch_norm=True, **CHECKED),
              MLPRegressor(batch_norm=True, **CHECKED)]
# Every check scikit-learn has for these estimators, but the array-API one, which needs
# SCIPY_ARRAY_API=1 before SciPy is imported and runs in test_array_api_check.
CHECKS = [(estimator, check) for est in ESTIMATORS
          for estimator, check in estimator_checks_generator(est, legacy=True)
          if check_name(check) != "check_array_api_input"]


@pytest.mark.parametrize("estimator, check", CHECKS,
                         ids=[f"{type(est).__name__}-{est.dtype}{'-batch_norm' * est.batch_norm}-"
                              f"{check_name(check)}"
                              for est, check in CHECKS])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "batch_size=32 is larger", UserWarning)
        check(estimator)


def test_array_api_check():
    """The one check scikit-learn skips unless SCIPY_ARRAY_API=1 was set before SciPy was
    imported, so it runs in a fresh interpreter."""
    code = f"""
import warnings
from sklearn.utils.estimator_checks import estimator_checks_generator
from verigrad.sklearn import MLPClassifier, MLPRegressor
warnings.simplefilter("ignore")
for est in (MLPClassifier(**{CHECKED!r}), MLPRegressor(**{CHECKED!r})):
    for estimator, check in estimator_checks_generator(est, legacy=True):
        if check.func.__name__ == "check_array_api_input":
            check(estimator)
            print(type(est).__name__, "passed")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "SCIPY_ARRAY_API": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["MLPClassifier", "passed", "MLPRegressor", "passed"]


# ---- scikit-learn's MLPClassifier/MLPRegressor as the oracle ----------------------------

RNG = np.random.default_rng(0)
X_SMALL = RNG.standard_normal((40, 6))
TARGETS = {
    "binary": (MLPClassifier, sk_nn.MLPClassifier, (X_SMALL[:, 0] > 0).astype(int)),
    "multiclass": (MLPClassifier, sk_nn.MLPClassifier, np.digitize(X_SMALL[:, 0], [-0.5, 0.5])),
    "multilabel": (MLPClassifier, sk_nn.MLPClassifier, (X_SMALL[:, :3] > 0).astype(int)),
    "regression": (MLPRegressor, sk_nn.MLPRegressor, X_SMALL @ RNG.standard_normal(6)),
    "2-output regression": (MLPRegressor, sk_nn.MLPRegressor,
                            X_SMALL @ RNG.standard_normal((6, 2))),
}
# verigrad's solver -> scikit-learn's parameters for the same update rule
SOLVERS = {"sgd": dict(solver="sgd", momentum=0.0),
           "momentum": dict(solver="sgd", momentum=0.9),
           "adam": dict(solver="adam")}


def train_both_from_the_same_weights(target, activation, solver, epochs=3, **params):
    """Fit verigrad's estimator for one epoch, copy its weights into scikit-learn's, then
    train both on from there with warm_start; return both."""
    ours_cls, sk_cls, y = TARGETS[target]
    common = dict(hidden_layer_sizes=(5, 4), activation=activation, alpha=0.01,
                  learning_rate_init=0.05, batch_size=10, shuffle=False, warm_start=True,
                  max_iter=1, random_state=0, tol=0.0, **params)
    ours = ours_cls(solver=solver, dtype="float64", **common).fit(X_SMALL, y)
    sk = sk_cls(learning_rate="constant", **SOLVERS[solver], **common).fit(X_SMALL, y)
    for ours_w, sk_w in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        sk_w[...] = ours_w
    ours.set_params(max_iter=epochs).fit(X_SMALL, y)
    sk.set_params(max_iter=epochs).fit(X_SMALL, y)
    return ours, sk


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_sgd_epochs_equal_sklearn(target, activation):
    """Same weights, same mini-batches: the losses (L2 term included) and the weights after
    three epochs agree to rounding, so the output activation, the loss, its gradient and
    alpha ↔ l2 are scikit-learn's."""
    ours, sk = train_both_from_the_same_weights(target, activation, "sgd")
    assert ours.out_activation_ == sk.out_activation_
    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-13)
    # the epochs after the shared start; for several outputs scikit-learn reports the squared
    # error averaged over them too (its gradient sums them, as verigrad's loss does)
    if target != "2-output regression":
        np.testing.assert_allclose(ours.loss_curve_[1:], sk.loss_curve_[1:], rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_equals_sklearn_sgd_with_momentum(nesterov):
    ours, sk = train_both_from_the_same_weights("multiclass", "relu", "momentum",
                                                nesterovs_momentum=nesterov)
    for mine, theirs in zip(ours.coefs_, sk.coefs_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-13)


def test_adam_equals_sklearn_adam():
    """scikit-learn adds epsilon to √ŝ·√(1 − β2ᵗ) where verigrad (like PyTorch) adds it to
    √ŝ; with a negligible epsilon the two rules coincide."""
    ours, sk = train_both_from_the_same_weights("multiclass", "tanh", "adam", epsilon=1e-16)
    for mine, theirs in zip(ours.coefs_, sk.coefs_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-11)


def test_convergence_stop_and_warning_match_sklearn():
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(8,), max_iter=50, tol=100.0, n_iter_no_change=3,
                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = MLPClassifier(**params).fit(X, y)
        sk = sk_nn.MLPClassifier(**params).fit(X, y)
    # the loss never improves by tol: the count passes n_iter_no_change at epoch 3 + 2
    assert ours.n_iter_ == sk.n_iter_ == 5
    assert len(ours.loss_curve_) == 5 and ours.best_loss_ == min(ours.loss_curve_)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        ours = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, tol=0.0).fit(X, y)
    assert ours.n_iter_ == 3


def test_early_stopping_keeps_the_best_validation_weights(monkeypatch):
    splits = []

    def recording_split(*args, **kwargs):
        parts = vsk_split(*args, **kwargs)
        splits.append(parts)
        return parts

    vsk_split = vsk.train_test_split
    monkeypatch.setattr(vsk, "train_test_split", recording_split)
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05, early_stopping=True,
                        validation_fraction=0.2, n_iter_no_change=4, max_iter=500,
                        random_state=1).fit(X, y)
    _, X_val, _, y_val = splits[0]
    assert len(y_val) == 30 and np.bincount(y_val).tolist() == [10, 10, 10]  # stratified
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ < 500 and clf.best_loss_ is None
    # scikit-learn's rule: stop once the score fails to beat the best by tol n_iter_no_change+1
    # times in a row; no earlier epoch may satisfy it
    best, count = -np.inf, 0
    for epoch, score in enumerate(scores, 1):
        count = count + 1 if score < best + clf.tol else 0
        best = max(best, score)
        assert (count > clf.n_iter_no_change) == (epoch == clf.n_iter_)
    assert clf.best_validation_score_ == max(scores)
    assert clf.score(X_val, y_val) == max(scores)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        clf.partial_fit(X, y)


def test_coefs_are_views_in_sklearn_layout():
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=20, random_state=0)
    clf.fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert np.shares_memory(clf.coefs_[0], clf.model_.params["W1"])
    assert np.shares_memory(clf.intercepts_[2], clf.model_.params["b3"])
    # the row formula of scikit-learn's forward pass, from coefs_ and intercepts_
    A = X.astype(np.float32)
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        A = A @ W + b
        A = np.maximum(A, 0) if i < 2 else A
    P = np.exp(A - A.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), P / P.sum(axis=1, keepdims=True),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(clf.decision_function(X), A, rtol=1e-5, atol=1e-6)
    clf.intercepts_[2][...] = [0, 0, 1000]  # writing through the view changes the model
    assert (clf.predict(X) == 2).all()


def test_random_state_reproducible():
    X, y = load_iris(return_X_y=True)
    fits = [MLPClassifier(hidden_layer_sizes=(10,), dropout=0.2, max_iter=5, random_state=seed)
            for seed in (3, 3, 4)]
    for clf in fits:
        clf.fit(X, y)
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    np.testing.assert_array_equal(fits[0].coefs_[0], fits[1].coefs_[0])
    assert fits[0].loss_curve_ != fits[2].loss_curve_


def test_string_labels_and_probabilities():
    X, y = load_iris(return_X_y=True)
    names = np.array(["virginica", "setosa", "versicolor"])[y]
    clf = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,),
                                                        learning_rate_init=0.01, random_state=0))
    clf.fit(X, names)
    mlp = clf[-1]
    assert mlp.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert mlp.n_features_in_ == 4 and mlp.n_outputs_ == 3 and mlp.out_activation_ == "softmax"
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), mlp.classes_[P.argmax(axis=1)])
    assert accuracy_score(names, clf.predict(X)) > 0.95


def test_binary_probabilities_are_two_columns():
    X, y = load_iris(return_X_y=True)
    yes = np.where(y == 0, "setosa", "other")
    clf = MLPClassifier(hidden_layer_sizes=(4,), learning_rate_init=0.01, random_state=0)
    clf.fit(X, yes)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P[:, 1], vg.functional.sigmoid(clf.decision_function(X)), rtol=1e-6)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), np.where(P[:, 1] > 0.5, "setosa", "other"))
    assert clf.score(X, yes) > 0.95


def test_partial_fit_epochs_equal_fit():
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=(6,), shuffle=False, random_state=0, batch_size=50)
    whole = MLPClassifier(max_iter=3, **params).fit(X, y)
    parts = MLPClassifier(**params)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        parts.partial_fit(X, y)
    for _ in range(3):
        parts.partial_fit(X, y, classes=[0, 1, 2])
    assert parts.n_iter_ == 1 and parts.loss_curve_ == whole.loss_curve_
    np.testing.assert_array_equal(parts.coefs_[1], whole.coefs_[1])
    with pytest.raises(ValueError, match="not in classes_"):
        parts.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match=r"classes \[2\] that are not in classes_"):
        MLPClassifier().partial_fit(X, y, classes=[0, 1])


def test_warm_start_continues_from_the_weights():
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, warm_start=True, random_state=0)
    cold = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    clf.fit(X, y)
    first = list(clf.loss_curve_)
    clf.fit(X, y)
    cold.fit(X, y)
    cold.fit(X, y)
    assert clf.loss_curve_[:10] == first and len(clf.loss_curve_) == 20
    assert clf.loss_curve_[-1] < first[-1]
    assert cold.loss_curve_ == first  # without warm_start a fit starts afresh


def test_multilabel_and_multioutput():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 5))
    Y = (X[:, :3] + 0.1 * rng.standard_normal((300, 3)) > 0).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    clf.fit(X, Y)
    assert clf.classes_.tolist() == [0, 1, 2] and clf.predict_proba(X).shape == (300, 3)
    assert clf.score(X, Y) > 0.8  # subset accuracy: all three labels right
    W = rng.standard_normal((5, 2))
    reg = MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    reg.fit(X, X @ W)
    assert reg.predict(X).shape == (300, 2) and reg.predict(X).dtype == np.float64
    assert reg.score(X, X @ W) > 0.95


def test_pipeline_cross_val_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,),
                                                         learning_rate_init=0.01,
                                                         random_state=0))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.9
    grid = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1.0],
                               "mlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["mlpclassifier__alpha"] in (1e-4, 1.0)
    assert grid.best_estimator_[-1].model_.l2 == grid.best_params_["mlpclassifier__alpha"]
    assert grid.score(X, y) > 0.9


def test_verbose_prints_sklearn_lines(capsys):
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, verbose=True, random_state=0)
    clf.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Iteration {i + 1}, loss = {loss:.8f}"
                     for i, loss in enumerate(clf.loss_curve_)]


@pytest.mark.parametrize("param, value, message", [
    ("activation", "softplus", "activation must be one of"),
    ("solver", "lbfgs", "solver must be one of"),
    ("hidden_layer_sizes", (10, 0), r"hidden_layer_sizes\[1\] must be a positive integer"),
    ("dtype", "float16", "dtype must be 'float32', 'float64' or None"),
    ("dropout", 1.0, r"dropout must be in \[0, 1\)"),
    ("batch_size", 0, "batch_size must be a positive integer"),
    # checked whatever the solver (the default, adam, does not use momentum)
    ("momentum", 2.0, r"momentum must be in \[0, 1\), got 2.0"),
    ("beta_1", 1.0, r"beta_1 must be in \[0, 1\)"),
    ("beta_2", -0.5, r"beta_2 must be in \[0, 1\)"),
    ("epsilon", 0.0, "epsilon must be > 0, got 0.0"),
])
def test_bad_parameters_are_named(param, value, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**{param: value}).fit(X, y)


def test_mnist_subset(data_dir):
    X_train, y_train, X_test, y_test = vg.data.load_mnist(data_dir / "mnist")
    clf = MLPClassifier(hidden_layer_sizes=(32,), batch_size=64, max_iter=2, random_state=0)
    clf.fit(X_train.T[:8000], y_train[:8000])
    assert clf.score(X_test.T, y_test) > 0.9


def test_batch_norm_estimator_keeps_the_running_statistics_of_its_best_epoch(monkeypatch):
    """With early stopping the estimator returns to the best epoch's weights; its batch
    norm's running statistics must come back with them, or predictions would change."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    seen = []
    on_epoch_end = vsk._EpochMonitor.on_epoch_end

    def recording(self, model, epoch, history):
        seen.append({k: v.copy() for k, v in model.state.items()})
        return on_epoch_end(self, model, epoch, history)

    monkeypatch.setattr(vsk._EpochMonitor, "on_epoch_end", recording)
    clf = MLPClassifier(hidden_layer_sizes=(8, 8), batch_norm=True, batch_size=30,
                        learning_rate_init=0.05, early_stopping=True, validation_fraction=0.2,
                        n_iter_no_change=4, max_iter=500, random_state=1).fit(X, y)
    assert [type(layer).__name__ for layer in clf.model_.layers[:3]] == [
        "Dense", "BatchNorm", "ReLU"]
    best = int(np.argmax(clf.validation_scores_))
    assert best < clf.n_iter_ - 1
    for name, value in clf.model_.state.items():
        np.testing.assert_array_equal(value, seen[best][name])
        assert not np.array_equal(value, seen[-1][name])
    assert clf.score(X, y) > 0.9
    assert len(clf.coefs_) == 3  # the Dense layers only


def test_batch_norm_estimator_refuses_a_batch_of_one_sample():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="n_samples = 61 with batch_size=30 leaves one sample"):
        MLPRegressor(batch_norm=True, batch_size=30).fit(X[:61], y[:61].astype(float))
    with pytest.raises(ValueError, match="n_samples = 1"):
        MLPRegressor(batch_norm=True).fit(X[:1], [1.0])



def test_the_default_precision_is_the_datas_as_in_scikit_learn():
    """float64 data computed in float32 gave outputs that changed with the order of the
    samples (check_methods_sample_order_invariance failed at the default settings)."""
    from sklearn.utils.estimator_checks import check_methods_sample_order_invariance
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_methods_sample_order_invariance("MLPClassifier", MLPClassifier())
        X, y = make_blobs_rows(np.float32)
        for cls in (MLPClassifier, MLPRegressor):
            assert cls(max_iter=2).fit(X, y).model_.dtype == np.float32
            assert cls(max_iter=2).fit(X.astype(np.float64), y).model_.dtype == np.float64
            assert cls(max_iter=2).fit(X.astype(np.int64), y).model_.dtype == np.float64
            assert cls(max_iter=2, dtype="float32").fit(X.astype(np.float64), y
                                                         ).model_.dtype == np.float32
        assert MLPClassifier(max_iter=2).fit(X.astype(np.float64), y
                                             ).predict_proba(X).dtype == np.float64


def make_blobs_rows(dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal((40, 3)).astype(dtype), np.arange(40) % 2
