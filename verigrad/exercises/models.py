"""CS231n's model classes: the ``loss`` methods of ``TwoLayerNet`` (neural_net.py of
assignment 1, 2017-2020, and fc_net.py), ``FullyConnectedNet`` (with dropout and each
normalization), ``ThreeLayerConvNet`` (cnn.py) and ``CaptioningRNN`` (rnn.py).

Each class is instantiated as the assignment's notebook does (the learner's ``__init__``,
in float64), its ``params`` checked for the names and shapes the assignment gives them and
then set to generated values; ``loss`` is compared with a reference built from verigrad's
layers in the learner's layout (examples first), and every gradient it returns with central
differences of the learner's own loss. The model calls the learner's layers (affine, relu,
batch norm, ...), so a wrong layer shows here too: check layers.py first.

Versions: CS231n 2017's FullyConnectedNet takes ``dropout`` = the probability of dropping
(0: none) and ``use_batchnorm``; 2018-2019 ``dropout`` = the probability of keeping (1:
none) and ``normalization``; 2020+ ``dropout_keep_ratio``. The version is read from the
signature of ``__init__`` and the result says which convention was assumed. The L2 term
is ½·reg·ΣW² in the fc_net, cnn and 2016 templates and reg·ΣW² in neural_net.py of 2017+;
either is right when the gradients are its own.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..gradcheck import check_backprop
from ..gradcheck.findings import Finding
from ..layers import LSTM, RNN, BatchNorm, Conv2D, Dense, LayerNorm, MaxPool2D, ReLU
from .classifiers import central_differences, softmax_data_loss
from .core import Result, close, exception_finding, where
from .methods import method_exercise
from .remote import RemoteObject

CS231N_1 = "CS231n assignment 1 (neural_net.py)"
CS231N_2 = "CS231n assignment 2"
CS231N_3 = "CS231n assignment 3 (rnn.py)"
L2 = (0.5, 1.0)  # the factors c of c·reg·ΣW² the templates use


# ---- the reference layers, examples first ---------------------------------------------------


def _affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    layer = Dense(w.shape[0], w.shape[1])
    layer.params["W"][...], layer.params["b"][...] = w.T, np.reshape(b, (-1, 1))
    return layer.forward(x.reshape(x.shape[0], -1).T).T


def _relu(x: np.ndarray) -> np.ndarray:
    return ReLU().forward(x)


def _normalize(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, kind: str) -> np.ndarray:
    layer = (BatchNorm if kind == "batchnorm" else LayerNorm)(x.shape[1])
    layer.params["gamma"][...] = np.reshape(gamma, (-1, 1))
    layer.params["beta"][...] = np.reshape(beta, (-1, 1))
    return layer.forward(x.T, training=True).T


def _conv_relu_pool(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """conv (stride 1, the padding that keeps the size) - relu - 2x2 max pool, stride 2."""
    conv = Conv2D(w.shape[1], w.shape[0], w.shape[2:], padding=(w.shape[2] - 1) // 2)
    conv.params["W"][...], conv.params["b"][...] = w, np.reshape(b, (-1, 1))
    out = MaxPool2D(2, 2).forward(_relu(conv.forward(x.transpose(1, 2, 3, 0))))
    return out.transpose(3, 0, 1, 2)


def _l2(params: dict[str, np.ndarray], factor: float, names: tuple[Any, ...]) -> float:
    return factor * sum(float(np.sum(params[n] ** 2)) for n in names)


# ---- the check shared by the models ---------------------------------------------------------


class Case:
    """One configuration of a model check: label, the keyword arguments of the class,
    the expected parameter shapes, the inputs of ``loss``, reference(params) -> data loss
    (None: not compared), the weight names of the L2 term and reg."""

    def __init__(self, label: str, init: dict[str, Any], shapes: dict[str, Any],
                 inputs: tuple[Any, ...], reference: Callable[..., Any] | None,
                 weights: tuple[Any, ...] = (), reg: float = 0.0,
                 compare: bool = True) -> None:
        self.label, self.init, self.shapes, self.inputs = label, init, shapes, inputs
        self.reference, self.weights, self.reg, self.compare = (reference, weights, reg,
                                                                compare)


def _values(shapes: dict[str, Any], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = {}
    for name, shape in shapes.items():
        scale = 1.0 if name.startswith(("gamma", "beta", "W_embed")) else 0.5
        values[name] = rng.standard_normal(shape) * scale
        if name.startswith("gamma"):
            values[name] += 1
    return values


def _update_params(model: Any, values: dict[str, np.ndarray]) -> None:
    """model.params.update(values); an instance in the learner's process
    (``remote.RemoteObject``) reads its params as a copy, so the updated dict is set back."""
    params = model.params
    params.update(values)
    if isinstance(model, RemoteObject):
        model.params = params


def _loss_of(model: Any, inputs: tuple[Any, ...]) -> tuple[float, dict[str, np.ndarray]]:
    out = model.loss(*[x.copy() if isinstance(x, np.ndarray) else x for x in inputs])
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError(f"loss returned {type(out).__name__}, not the pair (loss, grads)")
    return out


def check_model(name: str, course: str, cls: type, function: Callable[..., Any], cases: list[Case],
                seed: int = 0) -> Result:
    """The Result of ``cls``'s loss on every case (see the module docstring)."""
    for case in cases:
        try:
            model = cls(**case.init)
            params = getattr(model, "params", None)
            if not isinstance(params, dict):
                return Result(name, course, False, [Finding(
                    "missing", None, f"{name.split('.')[0]}(...) has no params dict")],
                    case.label, where(function), configs=len(cases))
            for key, shape in case.shapes.items():
                got = np.shape(params.get(key)) if key in params else None
                if got != shape:
                    return Result(name, course, False, [Finding(
                        "shape", key, f"on {case.label}, __init__ sets params['{key}'] to "
                        + ("nothing" if got is None else f"an array of shape {got}")
                        + f"; the assignment's is {shape}")], case.label, where(function),
                        configs=len(cases))
            values = _values(case.shapes, seed)
            _update_params(model, {k: v.copy() for k, v in values.items()})
            loss, _ = _loss_of(model, case.inputs)
            findings = _compare_loss(name, case, values, loss)
            if findings:
                return Result(name, course, False, findings, case.label,
                              where(function, None, findings), configs=len(cases))

            def cost(p: dict[str, np.ndarray], model: Any = model, case: Case = case) -> float:
                _update_params(model, p)
                return _loss_of(model, case.inputs)[0]

            def grads(p: dict[str, np.ndarray], model: Any = model,
                      case: Case = case) -> dict[str, np.ndarray]:
                _update_params(model, p)
                return _loss_of(model, case.inputs)[1]

            report = check_backprop(cost, grads, values)
        except Exception as error:  # the learner's code
            return Result(name, course, None, [_environment(error) or
                                               exception_finding(name, error)],
                          case.label, where(function, error), configs=len(cases))
        if not report.ok:
            findings = _reg_gradient(model, case, values) or report.findings
            return Result(name, course, False, findings, case.label,
                          where(function, None, findings), report, configs=len(cases))
    return Result(name, course, True, configs=len(cases), where=where(function))


def _reg_gradient(model: Any, case: Case, values: dict[str, np.ndarray]) -> list[Any]:
    """[reg_gradient Finding] when a weight's gradient is the learner's own loss's without
    the L2 part, or with that part halved or doubled; else []."""
    if not case.reg:
        return []
    _update_params(model, {k: v.copy() for k, v in values.items()})
    grads = _loss_of(model, case.inputs)[1]
    for name in case.weights:
        W = values[name]

        def loss(w: np.ndarray, name: str = name) -> float:
            _update_params(model, {**values, name: w})
            return _loss_of(model, case.inputs)[0]

        numeric = central_differences(loss, W)
        got = np.asarray(grads.get(name, np.nan), dtype=float)
        if close(got, numeric):
            continue
        for c in L2:
            part = 2 * c * case.reg * W
            for wrong, what in ((numeric - part, "without the L2 term's part"),
                                (numeric - part / 2, "with half the L2 term's part"),
                                (numeric + part, "with twice the L2 term's part")):
                if close(got, wrong):
                    return [Finding("reg_gradient", name, (
                        f"on {case.label}, d{name} equals the gradient of your loss {what}: "
                        f"the L2 term c·reg·ΣW² adds 2·c·reg·W to each weight's gradient, "
                        f"with the c of your loss"))]
        return []
    return []


def _compare_loss(name: str, case: Case, values: dict[str, np.ndarray], loss: float) -> list[Any]:
    if case.reference is None or not case.compare:
        return []
    data = case.reference(values)
    if any(close(loss, data + case.reg * _l2(values, c, case.weights)) for c in L2):
        return []
    if case.reg and close(loss, data):
        return [Finding("reg_term", "loss", f"on {case.label}, {name}'s loss equals the data "
                        f"loss alone: the L2 term reg·ΣW² (or ½·reg·ΣW²) is missing")]
    expected = data + case.reg * _l2(values, L2[0], case.weights)
    return [Finding("forward", "loss", f"on {case.label}, {name}'s loss is {float(loss):.6g} "
                    f"instead of {expected:.6g}; the gradients are checked against this loss, "
                    f"so fix it first")]


def _environment(error: BaseException) -> Finding | None:
    """A Finding for a failure that is the environment's, not the learner's: a layer of the
    course's modules (``affine_relu_forward``) undefined because the module did not import,
    or CS231n's Cython extension (im2col_cython) not built."""
    missing = getattr(error, "name", None) if isinstance(error, NameError) else None
    if missing and (missing.endswith(("_forward", "_backward", "_fast")) or
                    missing in ("softmax_loss", "svm_loss", "temporal_softmax_loss")):
        return Finding("missing", None, (
            f"{missing} is not defined: it comes from the course's modules (layers.py, "
            f"layer_utils.py, rnn_layers.py), which did not import (see the notes); check the "
            f"file inside the assignment's cs231n folder"))
    if "cython" in str(error).lower():
        return Finding("missing", None, (
            f"the course's fast layers need their Cython extension ({error}); build it in "
            f"the cs231n folder with 'python setup.py build_ext --inplace', then check again"))
    return None


def _parameters(cls: type[Any]) -> Any:
    try:
        return inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return {}


def _X(rng: np.random.Generator, N: int, D: int) -> np.ndarray:
    return rng.standard_normal((N, D))


# ---- TwoLayerNet of neural_net.py (assignment 1) and of fc_net.py -----------------------------


def _two_layer_reference(X: np.ndarray, y: np.ndarray) -> Callable[..., Any]:
    def reference(p: dict[str, np.ndarray]) -> float:
        hidden = _relu(_affine(X, p["W1"], p["b1"]))
        return softmax_data_loss(_affine(hidden, p["W2"], p["b2"]), y)
    return reference


def _two_layer_cases(seed: int, fc: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, D, H, C, reg in (("N=5, D=4, H=6, C=3, reg=0", 5, 4, 6, 3, 0.0),
                                   ("N=3, D=3, H=5, C=4, reg=0.1", 3, 3, 5, 4, 0.1)):
        X, y = _X(rng, N, D), rng.integers(0, C, N)
        shapes = {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
        if fc:
            init, inputs = dict(input_dim=D, hidden_dim=H, num_classes=C, reg=reg), (X, y)
        else:
            init, inputs = dict(input_size=D, hidden_size=H, output_size=C), (X, y, reg)
        cases.append(Case(label, init, shapes, inputs, _two_layer_reference(X, y),
                          ("W1", "W2"), reg))
    return cases


def _neural_net_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    return check_model("TwoLayerNet.loss", CS231N_1, cls, function,
                       _two_layer_cases(seed, fc=False), seed)


def _fc_two_layer_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    return check_model("TwoLayerNet.loss", f"{CS231N_2} (fc_net.py)", cls, function,
                       _two_layer_cases(seed, fc=True), seed)


# ---- FullyConnectedNet --------------------------------------------------------------------


def fc_net_version(cls: type[Any]) -> dict:
    """How the learner's FullyConnectedNet takes dropout and normalization, from its
    __init__: {"year", "dropout" (the keyword), "keep" (whether it is the probability of
    keeping), "normalization" (the keyword, or "use_batchnorm")}."""
    parameters = _parameters(cls)
    if "dropout_keep_ratio" in parameters:
        return {"year": "2020+", "dropout": "dropout_keep_ratio", "keep": True,
                "normalization": "normalization"}
    dropout = parameters.get("dropout")
    default = dropout.default if dropout is not None else None
    if "use_batchnorm" in parameters or default == 0:
        return {"year": "2017", "dropout": "dropout", "keep": False,
                "normalization": "use_batchnorm" if "use_batchnorm" in parameters
                else "normalization"}
    return {"year": "2018-2019", "dropout": "dropout", "keep": True,
            "normalization": "normalization"}


def _fc_reference(X: np.ndarray, y: np.ndarray, layers: int,
                  norm: str | None) -> Callable[..., Any]:
    def reference(p: dict[str, np.ndarray]) -> float:
        h = X
        for i in range(1, layers):
            h = _affine(h, p[f"W{i}"], p[f"b{i}"])
            if norm:
                h = _normalize(h, p[f"gamma{i}"], p[f"beta{i}"], norm)
            h = _relu(h)
        return softmax_data_loss(_affine(h, p[f"W{layers}"], p[f"b{layers}"]), y)
    return reference


def _fc_cases(cls: type[Any], seed: int) -> tuple[list[Case], dict[str, Any]]:
    version = fc_net_version(cls)
    rng = np.random.default_rng(seed)
    N, D, C, hidden = 4, 5, 3, [4, 3]
    X, y = _X(rng, N, D), rng.integers(0, C, N)
    dims = [D, *hidden, C]
    shapes = {}
    for i in range(1, len(dims)):
        shapes[f"W{i}"], shapes[f"b{i}"] = (dims[i - 1], dims[i]), (dims[i],)
    weights = tuple(f"W{i}" for i in range(1, len(dims)))

    def norm_shapes(n: str) -> dict[str, Any]:
        if not n:
            return shapes
        return {**shapes, **{f"{g}{i}": (dims[i],) for i in range(1, len(dims) - 1)
                             for g in ("gamma", "beta")}}

    def init(dropout: float | None = None, norm: str | None = None,
             reg: float = 0.0) -> dict[str, Any]:
        kwargs = dict(hidden_dims=hidden, input_dim=D, num_classes=C, reg=reg,
                      weight_scale=0.5, dtype=np.float64, seed=123)
        if dropout is not None:
            kwargs[version["dropout"]] = dropout
        if norm and version["normalization"] == "use_batchnorm":
            kwargs["use_batchnorm"] = True
        elif norm:
            kwargs["normalization"] = norm
        return kwargs

    norms = ["batchnorm"] + (["layernorm"] if version["normalization"] == "normalization"
                             else [])
    layers = len(dims) - 1
    cases = [Case("no dropout, no normalization, reg=0", init(), shapes, (X, y),
                  _fc_reference(X, y, layers, None), weights),
             Case("reg=0.2", init(reg=0.2), shapes, (X, y), _fc_reference(X, y, layers, None),
                  weights, 0.2)]
    cases += [Case(norm, init(norm=norm), norm_shapes(norm), (X, y),
                   _fc_reference(X, y, layers, norm), weights) for norm in norms]
    rate = 0.75 if version["keep"] else 0.25
    cases.append(Case(f"dropout ({version['dropout']}={rate}, seed=123)", init(dropout=rate),
                      shapes, (X, y), None, weights))
    return cases, version


def _fc_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    cases, version = _fc_cases(cls, seed)
    course = (f"{CS231N_2} (fc_net.py), {version['year']} convention: "
              f"{version['dropout']} = probability of "
              f"{'keeping' if version['keep'] else 'dropping'}, {version['normalization']}")
    result = check_model("FullyConnectedNet.loss", course, cls, function, cases, seed)
    if result.ok is not True:
        return result
    return _dropout_scores(cls, function, cases[-1], course, result) or result


def _dropout_scores(cls: type[Any], function: Callable[..., Any], case: Case, course: str,
                    passed: Result) -> Result | None:
    """With dropout on, the test-mode scores (loss(X) without y) must be the network's
    without dropout."""
    name = "FullyConnectedNet.loss"
    try:
        model = cls(**case.init)
        values = _values(case.shapes, 0)
        _update_params(model, {k: v.copy() for k, v in values.items()})
        X, y = case.inputs
        scores = model.loss(X.copy())
    except Exception as error:  # the learner's code
        return Result(name, course, None, [exception_finding(name, error)], case.label,
                      where(function, error), configs=passed.configs)
    h, layers = X, len(case.weights)
    for i in range(1, layers):
        h = _relu(_affine(h, values[f"W{i}"], values[f"b{i}"]))
    expected = _affine(h, values[f"W{layers}"], values[f"b{layers}"])
    if close(scores, expected):
        return None
    return Result(name, course, False, [Finding(
        "dropout_test", "scores", f"on {case.label}, the scores of loss(X) (test mode) are "
        f"not the network's without dropout: in test mode dropout passes its input on")],
        case.label, where(function), configs=passed.configs)


# ---- ThreeLayerConvNet (cnn.py) -------------------------------------------------------------


def _cnn_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    N, C, H, W, F, fs, hidden, classes = 2, 3, 4, 4, 2, 3, 5, 3
    X, y = rng.standard_normal((N, C, H, W)), rng.integers(0, classes, N)
    shapes = {"W1": (F, C, fs, fs), "b1": (F,), "W2": (F * H * W // 4, hidden),
              "b2": (hidden,), "W3": (hidden, classes), "b3": (classes,)}

    def reference(p: dict[str, np.ndarray]) -> float:
        h = _conv_relu_pool(X, p["W1"], p["b1"])
        h = _relu(_affine(h, p["W2"], p["b2"]))
        return softmax_data_loss(_affine(h, p["W3"], p["b3"]), y)

    return [Case(f"N={N}, {C}x{H}x{W} images, {F} filters {fs}x{fs}, reg={reg}",
                 dict(input_dim=(C, H, W), num_filters=F, filter_size=fs, hidden_dim=hidden,
                      num_classes=classes, reg=reg, dtype=np.float64),
                 shapes, (X, y), reference, ("W1", "W2", "W3"), reg) for reg in (0.1,)]


def _cnn_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    return check_model("ThreeLayerConvNet.loss", f"{CS231N_2} (cnn.py)", cls, function,
                       _cnn_cases(seed), seed)


# ---- CaptioningRNN (rnn.py) -----------------------------------------------------------------


def _recurrent(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray,
               cell: str) -> np.ndarray:
    """h (N, T, H) of CS231n's RNN or LSTM (Wx (D, kH) with the gates i, f, o, g in blocks of
    columns), with verigrad's RNN and LSTM layers on (D, T, N)."""
    N, T, D = x.shape
    H = Wh.shape[0]
    if cell == "rnn":
        layer = RNN(D, H)
        layer.params["Wax"][...], layer.params["Waa"][...] = Wx.T, Wh.T
        layer.params["ba"][...] = b[:, None]
        state = h0.T
    else:
        layer = LSTM(D, H)
        for k, gate in enumerate("ifoc"):
            cols = slice(k * H, (k + 1) * H)
            layer.params[f"W{gate}"][...] = np.concatenate([Wh[:, cols].T, Wx[:, cols].T], 1)
            layer.params[f"b{gate}"][...] = b[cols, None]
        state = (h0.T, np.zeros_like(h0.T))
    return layer.forward(x.transpose(2, 1, 0), training=True,
                         initial_state=state).transpose(2, 1, 0)


def _captioning_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    words = ["<NULL>", "<START>", "<END>", "cat", "dog", "sat"]
    word_to_idx = {w: i for i, w in enumerate(words)}
    N, T, D, Wd, H, V = 2, 4, 5, 3, 4, len(words)
    features = rng.standard_normal((N, D))
    captions = rng.integers(3, V, (N, T + 1))
    captions[:, 0] = 1
    captions[0, 3], captions[0, 4] = 2, 0  # <END>, then padding that the mask leaves out
    cases = []
    for cell in ("rnn", "lstm"):
        k = 1 if cell == "rnn" else 4
        shapes = {"W_embed": (V, Wd), "W_proj": (D, H), "b_proj": (H,), "Wx": (Wd, k * H),
                  "Wh": (H, k * H), "b": (k * H,), "W_vocab": (H, V), "b_vocab": (V,)}

        def reference(p: dict[str, np.ndarray], cell: str = cell) -> float:
            h0 = _affine(features, p["W_proj"], p["b_proj"])
            x = p["W_embed"][captions[:, :-1]]
            h = _recurrent(x, h0, p["Wx"], p["Wh"], p["b"], cell)
            scores = _affine(h.reshape(N * T, H), p["W_vocab"], p["b_vocab"])
            targets = captions[:, 1:].reshape(-1)
            keep = targets != word_to_idx["<NULL>"]
            return softmax_data_loss(scores[keep], targets[keep]) * keep.sum() / N

        cases.append(Case(f"cell_type='{cell}', N={N}, T={T}, padded captions",
                          dict(word_to_idx=word_to_idx, input_dim=D, wordvec_dim=Wd,
                               hidden_dim=H, cell_type=cell, dtype=np.float64),
                          shapes, (features, captions), reference))
    return cases


def _captioning_check(cls: type[Any], function: Callable[..., Any], seed: int) -> Result:
    return check_model("CaptioningRNN.loss", CS231N_3, cls, function, _captioning_cases(seed),
                       seed)


EXERCISES = [
    method_exercise("TwoLayerNet.loss", CS231N_1, ("self", "X", "y", "reg"), _neural_net_check),
    method_exercise("TwoLayerNet.loss", f"{CS231N_2} (fc_net.py)", ("self", "X", "y"),
                    _fc_two_layer_check),
    method_exercise("FullyConnectedNet.loss", CS231N_2, ("self", "X", "y"), _fc_check),
    method_exercise("ThreeLayerConvNet.loss", f"{CS231N_2} (cnn.py)", ("self", "X", "y"),
                    _cnn_check),
    method_exercise("CaptioningRNN.loss", CS231N_3, ("self", "features", "captions"),
                    _captioning_check),
]
