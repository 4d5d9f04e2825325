"""scikit-learn compatible estimators: ``MLPClassifier`` and ``MLPRegressor``.

They follow scikit-learn's conventions, so they drop into ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``: X has shape (n_samples, n_features), one *row* per example, and the
fitted weights are in scikit-learn's layout. Underneath, each estimator trains a
``vg.Sequential`` (one *column* per example), available as ``model_``:

    scikit-learn                         verigrad (``est.model_``)
    X            (n_samples, n_features) X.T            (n_features, m)
    coefs_[i]    (n_in, n_out)           W{i+1}.T       W is (n_out, n_in)
    intercepts_[i] (n_out,)              b{i+1}[:, 0]   b is (n_out, 1)
    alpha                                l2: the penalty λ/(2m)·Σ‖W‖², m the batch size

``coefs_`` and ``intercepts_`` are views of the model's live arrays, not copies: writing
into them changes the model.

Each fit validates X once and converts it to the estimator's ``dtype`` in C order, as
scikit-learn estimators convert their input (by default X keeps its own precision: float32
stays float32, anything else becomes float64, as in scikit-learn's ``MLPClassifier``); the
model then receives ``X.T``, a view (no copy) that is
F-contiguous, so every mini-batch is gathered as contiguous rows.

scikit-learn is an optional extra: ``pip install verigrad[sklearn]``.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as err:
    raise ImportError("verigrad.sklearn needs scikit-learn 1.6 or newer: "
                      "pip install verigrad[sklearn]") from err

from .callbacks import Callback
from .losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from .model import mlp
from .optim import SGD, Adam
from .validation import check_positive_int

if TYPE_CHECKING:
    from .callbacks import History
    from .losses import Loss
    from .model import Sequential
    from .optim import Optimizer

#: validated (X rows, y) held out for early stopping
Rows = tuple[np.ndarray, np.ndarray]

# Hidden activation by scikit-learn's name (plus leaky_relu); None: no activation layer.
# scikit-learn's activation names and verigrad's (None: linear hidden layers)
ACTIVATIONS: dict[str, str | None] = {"relu": "relu", "leaky_relu": "leaky_relu",
                                     "logistic": "sigmoid", "tanh": "tanh", "identity": None}
SOLVERS = ("sgd", "momentum", "adam")


def _as_rows(Z: np.ndarray) -> np.ndarray:
    """Model outputs (n_outputs, m) or (m,) -> scikit-learn's rows (n_samples, n_outputs)."""
    return np.ascontiguousarray(Z.T)


def _weights(model: Sequential) -> dict[str, np.ndarray]:
    """Copies of the model's parameters and state arrays (a batch norm's running statistics),
    by name: what early stopping keeps of the best epoch."""
    return {name: value.copy() for store in (model.params, model.state)
            for name, value in store.items()}


class _EpochMonitor(Callback):
    """scikit-learn's end-of-epoch bookkeeping, run inside ``Sequential.fit``: the loss
    curve, the no-improvement count (on the training loss, or on the validation score with
    early stopping), the best weights, and the stop once the count exceeds n_iter_no_change."""

    def __init__(self, estimator: _BaseMLP, validation: Rows | None):
        self.estimator, self.validation = estimator, validation
        self.converged = False

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        est = self.estimator
        est.n_iter_ += 1
        est.loss_ = history.cost[-1]
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        if self.validation is None:
            assert est.best_loss_ is not None  # tracked without early stopping
            # scikit-learn's comparisons exactly, NaN included
            if est.loss_ > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if est.loss_ < est.best_loss_:
                est.best_loss_ = est.loss_
            what = "Training loss"
        else:
            assert est.validation_scores_ is not None and est.best_validation_score_ is not None
            score = est._score_rows(*self.validation)
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_params = _weights(model)
            what = "Validation score"
        if est._no_improvement_count > est.n_iter_no_change:
            self.converged = True
            model.stop_training = True
            if est.verbose:
                print(f"{what} did not improve more than tol={est.tol:f} for "
                      f"{est.n_iter_no_change} consecutive epochs. Stopping.")


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, the network, the training
    loop (``Sequential.fit`` with an ``_EpochMonitor``) and the fitted attributes."""

    def __init__(self, hidden_layer_sizes: int | tuple[int, ...] = (100,),
                 activation: str = "relu", *, dropout: float = 0.0, batch_norm: bool = False,
                 alpha: float = 1e-4, solver: str = "adam", learning_rate_init: float = 1e-3,
                 batch_size: int | str = "auto", max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = False, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10,
                 dtype: str | np.dtype | type | None = None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.alpha = alpha
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dtype = dtype

    # ---- fitted attributes in scikit-learn's layout -------------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, coefs_[i] of shape (n_in, n_out): views of the model's W.T."""
        check_is_fitted(self)
        return [W.T for W in self._by_prefix("W")]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, intercepts_[i] of shape (n_out,): views of the model's b[:, 0]."""
        check_is_fitted(self)
        return [b[:, 0] for b in self._by_prefix("b")]

    def _by_prefix(self, prefix: str) -> list[np.ndarray]:
        """The model's parameters W1, W2, ... (or b1, b2, ...) in layer order: the Dense
        layers' (a batch norm's are gamma2, beta2)."""
        return [p for name, p in self.model_.params.items()
                if name.startswith(prefix) and name[len(prefix):].isdigit()]

    # ---- training -----------------------------------------------------------------------

    def _checked_params(self) -> tuple[list[int], np.dtype | None]:
        """The parameters that shape the network, checked; errors name the parameter."""
        given: Any = self.hidden_layer_sizes  # an int, or any sequence of them
        listed = [given] if np.ndim(given) == 0 else list(given)
        sizes = [check_positive_int(n, f"hidden_layer_sizes[{i}]") for i, n in enumerate(listed)]
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                             f"got {self.activation!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        # every setting is checked whatever the solver, as scikit-learn does: a momentum of 2
        # is a mistake even while solver='adam' ignores it
        for name in ("dropout", "validation_fraction", "momentum", "beta_1", "beta_2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")
        for name in ("alpha", "tol"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)!r}")
        if not self.epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {self.epsilon!r}")
        if not self.learning_rate_init > 0:
            raise ValueError(f"learning_rate_init must be > 0, got {self.learning_rate_init!r}")
        check_positive_int(self.max_iter, "max_iter")
        check_positive_int(self.n_iter_no_change, "n_iter_no_change")
        if self.batch_size != "auto":
            check_positive_int(self.batch_size, "batch_size")
        if self.dtype is None:
            return sizes, None
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32', 'float64' or None, got {self.dtype!r}")
        return sizes, dtype

    def _build_model(self, sizes: list[int], dtype: np.dtype, n_in: int, n_out: int, loss: Loss,
                     seed: int) -> Sequential:
        return mlp([n_in, *sizes, n_out], activation=ACTIVATIONS[self.activation],
                   dropout=self.dropout, loss=loss, l2=self.alpha, dtype=dtype, seed=seed,
                   batch_norm=bool(self.batch_norm))

    def _make_optimizer(self) -> Optimizer:
        if self.solver == "adam":
            return Adam(self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2,
                        eps=self.epsilon)
        if self.solver == "momentum":
            return SGD(self.learning_rate_init, momentum=self.momentum,
                       nesterov=self.nesterovs_momentum)
        return SGD(self.learning_rate_init)

    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> _BaseMLP:
        sizes, dtype = self._checked_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        if not first:
            dtype = self.model_.dtype  # continuing keeps the network of the first fit
        # dtype None keeps float32 data in float32 and computes anything else in float64,
        # as scikit-learn's own MLP does
        X, y = validate_data(self, X, y, reset=first, order="C",
                             dtype=[np.float64, np.float32] if dtype is None else dtype,
                             multi_output=True, y_numeric=not is_classifier(self))
        dtype = X.dtype
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        self._check_targets(y, first, classes)

        random_state = check_random_state(self.random_state)
        if first:
            seed = int(random_state.randint(np.iinfo(np.int32).max))
            self._initialize(sizes, dtype, X.shape[1], y, seed)
        self.model_.l2 = float(self.alpha)
        if first or not incremental:
            self._optimizer = self._make_optimizer()

        validation = None
        if self.early_stopping:
            single = is_classifier(self) and y.ndim == 1
            X, X_val, y, y_val = train_test_split(X, y, random_state=random_state,
                                                  test_size=self.validation_fraction,
                                                  stratify=y if single else None)
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            validation = (X_val, y_val)

        m = X.shape[0]
        # (an int other than 'auto': _checked_params checked it)
        batch_size = min(200, m) if self.batch_size == "auto" else cast(int, self.batch_size)
        if batch_size > m:
            warnings.warn(f"batch_size={batch_size} is larger than the {m} training samples; "
                          f"it is clipped to {m}", stacklevel=3)
        step = min(batch_size, m)
        if self.batch_norm and (step == 1 or m % step == 1):
            raise ValueError(f"batch_norm=True needs mini-batches of 2 or more samples, but "
                             f"n_samples = {m} with batch_size={step} leaves one sample in a "
                             f"batch (its batch variance is 0): choose another batch_size")
        monitor = _EpochMonitor(self, validation)
        self.n_iter_ = 0
        self.model_.fit(X.T, self._encode_targets(y), epochs=1 if incremental else self.max_iter,
                        batch_size=batch_size, optimizer=self._optimizer, shuffle=self.shuffle,
                        callbacks=[monitor], verbose=0)
        if self.early_stopping:
            for name, value in self._best_params.items():
                (self.model_.params if name in self.model_.params else
                 self.model_.state)[name] = value
        if not incremental and not monitor.converged and self.n_iter_ == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          f"and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=3)
        return self

    def _initialize(self, sizes: list[int], dtype: np.dtype, n_features: int, y: np.ndarray,
                    seed: int) -> None:
        n_out, loss, self.out_activation_ = self._output_layer(y)
        self.n_outputs_ = n_out
        self.model_ = self._build_model(sizes, dtype, n_features, n_out, loss, seed)
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self._best_params = _weights(self.model_)
        # scikit-learn's bookkeeping: validation scores with early stopping, else the loss
        self.validation_scores_: list[float] | None = [] if self.early_stopping else None
        self.best_validation_score_: float | None = -np.inf if self.early_stopping else None
        self.best_loss_: float | None = None if self.early_stopping else np.inf

    # ---- prediction ---------------------------------------------------------------------

    def _rows_T(self, X: Any) -> np.ndarray:
        """Validated X (n_samples, n_features) as the model's (n_features, n_samples) input."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype, order="C")
        return X.T

    def _score_rows(self, X: np.ndarray, y: np.ndarray) -> float:
        """The score of validated rows X: accuracy, or R² (NaN for non-finite predictions)."""
        y_pred = self._predict_T(X.T)
        if y_pred.dtype.kind == "f" and not np.isfinite(y_pred).all():
            return np.nan
        return (accuracy_score if is_classifier(self) else r2_score)(y, y_pred)

    def fit(self, X: Any, y: Any) -> _BaseMLP:
        """Train on X (n_samples, n_features) and y for up to ``max_iter`` epochs; returns self.

        Training stops early once the training loss (or, with ``early_stopping``, the
        validation score) has not improved by ``tol`` for more than ``n_iter_no_change``
        consecutive epochs; reaching ``max_iter`` first raises a ``ConvergenceWarning``."""
        return self._fit(X, y, incremental=False)


_PARAMETERS = """
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer; () for none (a linear model on the output activation).
    activation : {'relu', 'leaky_relu', 'logistic', 'tanh', 'identity'}, default='relu'
        Hidden-layer activation. Weights start He-normal for relu and leaky_relu (slope
        0.01), Xavier-normal otherwise; biases at zero.
    dropout : float in [0, 1), default=0.0
        Inverted-dropout rate after each hidden activation, in training only.
    batch_norm : bool, default=False
        Batch normalization between each hidden Dense layer and its activation; predictions
        use its running statistics. Training needs mini-batches of 2 or more examples.
    alpha : float, default=1e-4
        L2 penalty: the cost gains alpha/(2m)·Σ‖W‖² per mini-batch of m examples (the
        model's ``l2``), exactly scikit-learn's term. Biases are not penalised.
    solver : {'sgd', 'momentum', 'adam'}, default='adam'
        'sgd' is plain mini-batch gradient descent, 'momentum' SGD with ``momentum`` (and
        Nesterov's variant if ``nesterovs_momentum``), 'adam' Adam with beta_1, beta_2,
        epsilon. (scikit-learn's 'sgd' includes momentum 0.9: use 'momentum' for that.)
    learning_rate_init : float, default=1e-3
        Constant learning rate.
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' is min(200, n_samples). Larger than n_samples: clipped.
    max_iter : int, default=200
        Epochs for ``fit`` (``partial_fit`` runs one).
    shuffle : bool, default=True
        Shuffle the examples every epoch.
    random_state : int, RandomState or None, default=None
        Fixes the initial weights, shuffling, dropout masks and the early-stopping split:
        an int gives identical results on every fit.
    tol, n_iter_no_change : float, default=1e-4; int, default=10
        Convergence: training stops once the training loss (with ``early_stopping``: the
        validation score) has failed to improve by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print the loss of each epoch (and the validation score).
    warm_start : bool, default=False
        Let ``fit`` continue from the current weights (with a fresh optimizer), keeping
        the architecture of the first fit.
    momentum, nesterovs_momentum : float, default=0.9; bool, default=False
        For solver='momentum'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-output classification), score it after every epoch, stop as described
        under ``tol`` and restore the weights of the best validation score.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    dtype : 'float32', 'float64' or None, default=None
        The precision the network computes in and returns its outputs (probabilities,
        logits, predicted values) in; X is converted to it when fitting and predicting.
        None (the default) keeps the precision of X, as scikit-learn's own MLP does:
        float32 data trains in float32, anything else in float64, so float64 data gives
        the same outputs whatever the order of the samples. Pass 'float32' to train
        float64 data faster.
"""

_ATTRIBUTES = """
    model_ : verigrad.Sequential
        The trained network (one column per example); use it with verigrad's tools.
    coefs_, intercepts_ : lists of arrays
        Views of the weights in scikit-learn's layout, (n_in, n_out) and (n_out,).
    n_features_in_, feature_names_in_ : int; array of str (only when X had column names)
    n_outputs_ : int
        Output units.
    out_activation_ : str
    loss_, loss_curve_ : float; list of float
        Training cost (L2 term included) of the last epoch, and of every epoch.
    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).
    best_loss_, validation_scores_, best_validation_score_
        As in scikit-learn: the best training loss (without early stopping), or every
        validation score and the best one (with it).
"""


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = """Multi-layer perceptron classifier on verigrad, with scikit-learn's API.

    Two classes: one sigmoid output with binary cross-entropy. More: softmax outputs with
    cross-entropy. A 2-D 0/1 indicator y (multi-label): one sigmoid output per label.
    Labels may be of any sortable type (ints, strings); ``classes_`` lists them sorted.
    """ + "\n    Parameters\n    ----------" + _PARAMETERS + """
    Attributes
    ----------
    classes_ : array of the class labels (0 .. n_labels - 1 for multi-label y)""" + _ATTRIBUTES

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> _BaseMLP:
        """One epoch over X, y, continuing from the current weights and optimizer state.

        ``classes`` (every label the model will ever see) is required on the first call."""
        if hasattr(self, "model_"):
            if classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(f"classes={list(classes)} differs from the classes_ the "
                                 f"model was fitted with, {self.classes_.tolist()}")
        elif classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, incremental=True, classes=classes)

    def _check_targets(self, y: np.ndarray, first: bool, classes: Any) -> None:
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"MLPClassifier takes binary, multiclass or multilabel-indicator "
                             f"targets, got {kind} y")
        multilabel = kind == "multilabel-indicator"
        if first:
            if multilabel:
                classes = np.arange(y.shape[1])
            else:
                classes = unique_labels(y if classes is None else classes)
            if len(classes) < 2:
                raise ValueError(f"y holds only one class ({classes[0]!r}); a classifier "
                                 f"needs at least 2 classes")
            self.classes_, self._multilabel = classes, multilabel
        elif multilabel != self._multilabel or (multilabel and y.shape[1] != len(self.classes_)):
            raise ValueError(f"y is {kind} with shape {y.shape}, but the model was fitted on "
                             f"{'multilabel y with' if self._multilabel else 'labels of'} "
                             f"{len(self.classes_)} classes")
        unknown = np.empty(0) if multilabel else np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(f"y has classes {unknown.tolist()} that are not in classes_ = "
                             f"{self.classes_.tolist()}")

    def _output_layer(self, y: np.ndarray) -> tuple[int, Loss, str]:
        if self._multilabel:
            return len(self.classes_), BinaryCrossEntropy(), "logistic"
        if len(self.classes_) == 2:
            return 1, BinaryCrossEntropy(), "logistic"
        return len(self.classes_), SoftmaxCrossEntropy(), "softmax"

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        """y rows -> the loss's targets: class indices (m,) for softmax, 0/1 (n_out, m)."""
        dtype = self.model_.dtype
        if self._multilabel:
            return np.ascontiguousarray(y.T, dtype=dtype)
        index = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return index.astype(dtype).reshape(1, -1)
        return index.astype(np.int64)

    def _predict_T(self, XT: np.ndarray) -> np.ndarray:
        labels = self.model_.predict(XT)
        return labels.T if self._multilabel else self.classes_[labels]

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (n_samples,), or a 0/1 indicator (n_samples, n_labels) for multi-label."""
        return self._predict_T(self._rows_T(X))

    def decision_function(self, X: Any) -> np.ndarray:
        """The output layer's logits: (n_samples,) for two classes (> 0 predicts
        ``classes_[1]``), else (n_samples, n_outputs)."""
        XT = self._rows_T(X)
        Z = self.model_.forward(XT)
        return _as_rows(Z[0] if self.n_outputs_ == 1 and not self._multilabel else Z)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities (n_samples, n_classes), columns ordered as ``classes_``; for
        multi-label y each label's own probability."""
        XT = self._rows_T(X)
        P = self.model_.predict_proba(XT)
        if P.shape[0] == 1 and not self._multilabel:
            P = np.concatenate([1 - P, P])
        return _as_rows(P)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = """Multi-layer perceptron regressor on verigrad, with scikit-learn's API.

    Linear outputs trained on the half mean squared error (1/2m)·Σ‖ŷ − y‖², summed over the
    outputs: y may have several columns. (scikit-learn's ``loss_curve_`` averages the
    squared error over the outputs as well; its gradient sums them, as this one does.)
    """ + "\n    Parameters\n    ----------" + _PARAMETERS + """
    Attributes
    ----------""" + _ATTRIBUTES

    def partial_fit(self, X: Any, y: Any) -> _BaseMLP:
        """One epoch over X, y, continuing from the current weights and optimizer state."""
        return self._fit(X, y, incremental=True)

    def _check_targets(self, y: np.ndarray, first: bool, classes: Any) -> None:
        n_out = 1 if y.ndim == 1 else y.shape[1]
        if not first and n_out != self.n_outputs_:
            raise ValueError(f"y has {n_out} outputs, but the model was fitted with "
                             f"{self.n_outputs_}")

    def _output_layer(self, y: np.ndarray) -> tuple[int, Loss, str]:
        return 1 if y.ndim == 1 else y.shape[1], MSE(), "identity"

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(y.reshape(len(y), -1).T, dtype=self.model_.dtype)

    def _predict_T(self, XT: np.ndarray) -> np.ndarray:
        Z = self.model_.predict(XT)
        return _as_rows(Z[0] if Z.shape[0] == 1 else Z)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values (n_samples,), or (n_samples, n_outputs) for several outputs."""
        return self._predict_T(self._rows_T(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
