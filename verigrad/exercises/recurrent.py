"""Recurrent exercises: the Deep Learning Specialization's course 5 week 1 (``rnn_cell_*``,
``rnn_*``, ``lstm_cell_*``, ``lstm_*``) and CS231n's ``rnn_step_*``, ``rnn_*``,
``word_embedding_*``, ``temporal_affine_*`` and ``temporal_softmax_loss``.

Layouts: the course keeps sequences as (n_x, m, T_x) and the state as (n_a, m), with the
weights in a ``parameters`` dict (Wax, Waa, ba, Wya, by; Wf, Wi, Wc, Wo of shape
(n_a, n_a + n_x) acting on [a⟨t−1⟩; x⟨t⟩], bf … bo, Wy, by); CS231n keeps them as (N, T, D)
with Wx (D, H), Wh (H, H), b (H,), the LSTM's four blocks side by side in the order i, f,
o, g; verigrad's RNN, LSTM and Embedding work on (n_x, T, m). The references are those
layers; the predictions ŷ = softmax(Wya·a + by) use verigrad's softmax.

For a sequence's backward the check also says the first time step, counting back from T,
at which the learner's dx differs from the reference's: a gradient right at T and wrong
before it has lost the path through time (the gradient carried back from step t + 1); and
a weight or bias gradient that equals one step's own contribution (``dWax = dWax_t`` where
the steps' contributions add up) is named with that step (``time_sum``).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..functional import sigmoid, softmax
from ..gradcheck import LayerProblem
from ..gradcheck.findings import Finding
from ..gradcheck.report import join
from ..layers import LSTM, RNN, Dense, Embedding
from ..losses import SoftmaxCrossEntropy
from .core import (
    RIGHT_CALLEES,
    Config,
    Exercise,
    Mistake,
    Result,
    backward_exercise,
    close,
    forward_exercise,
    holds_global,
    pair_problem,
    register_mistakes,
    where,
)
from .dense import loss_exercise

KINDS = register_mistakes({
    "time_sum": ("a sequence backward's weight or bias gradient equals the contribution of one "
                 "time step alone instead of the sum over every step",
                 "the line in the loop over time that writes the parameter's gradient"),
})
TIME_SUM = KINDS["time_sum"]

COURSE5 = "Deep Learning Specialization, course 5 week 1"
CS231N = "CS231n"
TIME_STEP = "time_step"


# ---- the references on verigrad's layout (n_x, T, m) --------------------------------------


def _rnn_layer(Wax: np.ndarray, Waa: np.ndarray, ba: np.ndarray) -> RNN:
    layer = RNN(Wax.shape[1], Wax.shape[0])
    layer.params["Wax"][...], layer.params["Waa"][...] = Wax, Waa
    layer.params["ba"][...] = np.reshape(ba, (-1, 1))
    return layer


def _lstm_layer(blocks: dict[str, tuple[np.ndarray, ...]], n_x: int) -> LSTM:
    """blocks: gate letter -> (W (n_a, n_a + n_x), b (n_a, 1)) in the course's notation."""
    n_a = blocks["f"][0].shape[0]
    layer = LSTM(n_x, n_a)
    for g, (W, b) in blocks.items():
        layer.params[f"W{g}"][...], layer.params[f"b{g}"][...] = W, np.reshape(b, (-1, 1))
    return layer


def _run(layer: LSTM | RNN, X: np.ndarray, state: Any,
         dH: np.ndarray | None = None) -> tuple[Any, ...]:
    """(H (n_a, T, m), final state, dX, d_initial_state, grads) of layer on X (n_x, T, m)."""
    H = layer.forward(X, training=True, initial_state=state)
    final = layer.final_state
    if dH is None:
        return H, final
    dX = layer.backward(dH)
    return H, final, dX, layer.d_initial_state, {k: v.copy() for k, v in layer.grads.items()}


def _seq(x: np.ndarray) -> np.ndarray:
    """The course's (n_x, m, T) as (n_x, T, m), and back."""
    return x.transpose(0, 2, 1)


def _predict(W: np.ndarray, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    return softmax(W @ a + b)


# ---- course 5 -----------------------------------------------------------------------------


def _rnn_parameters(rng: np.random.Generator, n_x: int, n_a: int,
                    n_y: int) -> dict[str, np.ndarray]:
    return {"Waa": rng.standard_normal((n_a, n_a)) * 0.5, "Wax": rng.standard_normal((n_a, n_x)),
            "Wya": rng.standard_normal((n_y, n_a)), "ba": rng.standard_normal((n_a, 1)),
            "by": rng.standard_normal((n_y, 1))}


def _lstm_parameters(rng: np.random.Generator, n_x: int, n_a: int,
                     n_y: int) -> dict[str, np.ndarray]:
    parameters = {f"W{g}": rng.standard_normal((n_a, n_a + n_x)) * 0.5 for g in "fico"}
    parameters.update({f"b{g}": rng.standard_normal((n_a, 1)) for g in "fico"})
    parameters.update({"Wy": rng.standard_normal((n_y, n_a)), "by": rng.standard_normal((n_y, 1))})
    return parameters


def _cell_configs(lstm: bool) -> Callable[..., Any]:
    def make(seed: int) -> list[Config]:
        rng = np.random.default_rng(seed)
        cases = []
        for label, n_x, n_a, n_y, m in (("m=1", 3, 4, 2, 1), ("m=5", 3, 4, 2, 5)):
            params = (_lstm_parameters if lstm else _rnn_parameters)(rng, n_x, n_a, n_y)
            state = [rng.standard_normal((n_a, m)) for _ in range(1 + lstm)]
            cases.append(Config(label, (rng.standard_normal((n_x, m)), *state, params), m=m))
        return cases
    return make


def _sequence_configs(lstm: bool) -> Callable[..., Any]:
    def make(seed: int) -> list[Config]:
        rng = np.random.default_rng(seed)
        cases = []
        for label, n_x, n_a, n_y, m, T in (("T=1, m=2", 3, 4, 2, 2, 1), ("T=4, m=1", 2, 3, 2, 1, 4),
                                           ("T=3, m=3", 3, 2, 2, 3, 3)):
            params = (_lstm_parameters if lstm else _rnn_parameters)(rng, n_x, n_a, n_y)
            cases.append(Config(label, (rng.standard_normal((n_x, m, T)),
                                        rng.standard_normal((n_a, m)), params), m=m))
        return cases
    return make


def _rnn_cell_reference(xt: np.ndarray, a_prev: np.ndarray,
                        parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    layer = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"])
    a_next = _run(layer, xt[:, None, :], a_prev)[1]
    return a_next, _predict(parameters["Wya"], parameters["by"], a_next)


def _rnn_cell_softmax_rows(xt: np.ndarray, a_prev: np.ndarray,
                           parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    a_next = _rnn_cell_reference(xt, a_prev, parameters)[0]
    return a_next, softmax(parameters["Wya"] @ a_next + parameters["by"], axis=1)


def _rnn_cell_builder(xt: np.ndarray, a_prev: np.ndarray,
                      parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                                  tuple[Any, ...]]:
    a_next, yt_pred = _rnn_cell_reference(xt, a_prev, parameters)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def _rnn_cell_tanh_from_z(xt: np.ndarray, a_prev: np.ndarray, parameters: dict[str, np.ndarray],
                          douts: list[np.ndarray], twice: bool = False) -> dict[str, np.ndarray]:
    """The cell's gradients with tanh' computed from the pre-activation z as 1 − z², or
    (twice) as 1 − tanh(a_next)², tanh applied again to a_next = tanh(z)."""
    z = parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"]
    dz = douts[0] * (1 - (np.tanh(np.tanh(z)) if twice else z) ** 2)
    return {"xt": parameters["Wax"].T @ dz, "a_prev": parameters["Waa"].T @ dz,
            "Wax": dz @ xt.T, "Waa": dz @ a_prev.T, "ba": dz.sum(axis=1, keepdims=True)}


def _rnn_reference(x: np.ndarray, a0: np.ndarray,
                   parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    layer = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"])
    H = _seq(_run(layer, _seq(x), a0)[0])
    y = np.stack([_predict(parameters["Wya"], parameters["by"], H[:, :, t])
                  for t in range(H.shape[2])], axis=2)
    return H, y


def _rnn_state_not_carried(x: np.ndarray, a0: np.ndarray,
                           parameters: dict[str, np.ndarray]) -> tuple[np.ndarray]:
    """Every step started from a0: a_next never passed on to the next step."""
    layer = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"])
    H = np.stack([_run(layer, x[:, :, t][:, None, :], a0)[1] for t in range(x.shape[2])], axis=2)
    return (H,)


def _rnn_builder(x: np.ndarray, a0: np.ndarray,
                 parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                             tuple[Any, ...]]:
    a, y = _rnn_reference(x, a0, parameters)
    caches = [(a[:, :, t], a0 if t == 0 else a[:, :, t - 1], x[:, :, t], parameters)
              for t in range(x.shape[2])]
    return a, y, (caches, x)


def _rnn_grads(x: np.ndarray, a0: np.ndarray, parameters: dict[str, np.ndarray],
               da: np.ndarray) -> dict[str, np.ndarray]:
    """The reference's gradients of J = Σ⟨da, a⟩ by name."""
    layer = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"])
    _, _, dX, d0, grads = _run(layer, _seq(x), a0, _seq(da))
    return {"x": _seq(dX), "a0": d0, **grads}


def _rnn_no_path_through_time(x: np.ndarray, a0: np.ndarray, parameters: dict[str, np.ndarray],
                              douts: list[np.ndarray]) -> dict[str, np.ndarray] | None:
    """Each step's gradient from da[:, :, t] alone: the da_prevt from step t + 1 not added
    (each step is a one-step reference from the reference's own a⟨t−1⟩)."""
    if x.shape[2] == 1:
        return None
    a = _rnn_reference(x, a0, parameters)[0]
    wrong = {"x": np.zeros(x.shape), "Wax": 0, "Waa": 0, "ba": 0}
    for t in range(x.shape[2]):
        layer = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"])
        _, _, dX, _, grads = _run(layer, x[:, :, t][:, None, :], a0 if t == 0 else a[:, :, t - 1],
                                  douts[0][:, :, t][:, None, :])
        wrong["x"][:, :, t] = dX[:, 0, :]
        for k in ("Wax", "Waa", "ba"):
            wrong[k] = wrong[k] + grads[k]
    return wrong


def _lstm_blocks(parameters: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, ...]]:
    return {g: (parameters[f"W{g}"], parameters[f"b{g}"]) for g in "fico"}


def _lstm_cell_reference(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray,
                         parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    layer = _lstm_layer(_lstm_blocks(parameters), xt.shape[0])
    a_next, c_next = _run(layer, xt[:, None, :], (a_prev, c_prev))[1]
    return a_next, c_next, _predict(parameters["Wy"], parameters["by"], a_next)


def _lstm_gates(blocks: dict[str, tuple[np.ndarray, ...]], xt: np.ndarray,
                a_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ft, it, cct, ot) of one LSTM step on [a_prev; xt] (columns are examples); blocks as
    for _lstm_layer."""
    concat = np.concatenate([a_prev, xt])
    z = {g: W @ concat + np.reshape(b, (-1, 1)) for g, (W, b) in blocks.items()}
    return sigmoid(z["f"]), sigmoid(z["i"]), np.tanh(z["c"]), sigmoid(z["o"])


def _lstm_step_variant(blocks: dict[str, tuple[np.ndarray, ...]], xt: np.ndarray,
                       a_prev: np.ndarray, c_prev: np.ndarray, swapped: bool = False,
                       output_gate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(a_next, c_next) of one LSTM step with a known mistake: the forget and update gates
    swapped in the cell state's update (swapped), or a_next = tanh(c_next) without the
    output gate."""
    ft, it, cct, ot = _lstm_gates(blocks, xt, a_prev)
    if swapped:
        ft, it = it, ft
    c_next = ft * c_prev + it * cct
    return (ot if output_gate else 1) * np.tanh(c_next), c_next


def _lstm_sequence_variant(blocks: dict[str, tuple[np.ndarray, ...]], X: np.ndarray,
                           a0: np.ndarray, c0: np.ndarray,
                           **mistake: bool) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(H (n_a, T, m), (a, c) final) of _lstm_step_variant run over X (n_x, T, m)."""
    state, H = (a0, c0), []
    for t in range(X.shape[1]):
        state = _lstm_step_variant(blocks, X[:, t, :], *state, **mistake)
        H.append(state[0])
    return np.stack(H, axis=1), state


#: the LSTM mistakes named in every LSTM forward, cell or sequence, course or CS231n:
#: kind, what the learner's output equals, the variant's keywords
LSTM_MISTAKES = (
    ("lstm_gate", "the forget and update gates swapped in the cell state's update (it "
     "multiplying c_prev, ft the candidate cct)", {"swapped": True}),
    ("output_gate", "the hidden state tanh(c_next), without the output gate ot",
     {"output_gate": False}),
)


def _lstm_mistakes(variant: Callable[..., Any]) -> list[Mistake]:
    """Mistake entries for one LSTM exercise; variant(**mistake) -> its wrong forward."""
    return [Mistake(kind, f"the one computed with {message}", variant(**mistake))
            for kind, message, mistake in LSTM_MISTAKES]


def _lstm_cell_variant(**mistake: bool) -> Callable[..., Any]:
    def forward(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray,
                parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a_next, c_next = _lstm_step_variant(_lstm_blocks(parameters), xt, a_prev, c_prev,
                                            **mistake)
        return a_next, c_next, _predict(parameters["Wy"], parameters["by"], a_next)
    return forward


def _lstm_forward_variant(**mistake: bool) -> Callable[..., Any]:
    def forward(x: np.ndarray, a0: np.ndarray,
                parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        H = _lstm_sequence_variant(_lstm_blocks(parameters), _seq(x), a0, np.zeros_like(a0),
                                   **mistake)[0]
        return _with_predictions(_seq(H), parameters)
    return forward


def _lstm_cell_builder(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray,
                       parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray, tuple[Any, ...]]:
    """The notebook's cache (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters),
    the gates from the reference's own pre-activations."""
    a_next, c_next, yt = _lstm_cell_reference(xt, a_prev, c_prev, parameters)
    ft, it, cct, ot = _lstm_gates(_lstm_blocks(parameters), xt, a_prev)
    return a_next, c_next, yt, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt,
                                parameters)


def _lstm_reference(x: np.ndarray, a0: np.ndarray,
                    parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    layer = _lstm_layer(_lstm_blocks(parameters), x.shape[0])
    return _with_predictions(_seq(_run(layer, _seq(x), (a0, np.zeros_like(a0)))[0]), parameters)


def _with_predictions(a: np.ndarray,
                      parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(a, y): the hidden states a (n_a, m, T) and each step's softmax prediction."""
    return a, np.stack([_predict(parameters["Wy"], parameters["by"], a[:, :, t])
                        for t in range(a.shape[2])], axis=2)


def _lstm_grads(x: np.ndarray, a0: np.ndarray, parameters: dict[str, np.ndarray],
                da: np.ndarray) -> dict[str, np.ndarray]:
    layer = _lstm_layer(_lstm_blocks(parameters), x.shape[0])
    _, _, dX, d0, grads = _run(layer, _seq(x), (a0, np.zeros_like(a0)), _seq(da))
    return {"x": _seq(dX), "a0": d0[0], **grads}


def _gate_block(config: Config, findings: list[Finding],
                error: BaseException | None) -> Finding | None:
    """da_prev or dxt of shape (n_a + n_x, m): the whole gate matrix's transpose times the
    gate gradients, where only its hidden-state (or input) block belongs."""
    xt = config.args[0]
    n_a = config.args[1].shape[0]
    rows = n_a + xt.shape[0]
    for f in findings:
        if f.kind == "shape" and f.param in ("a_prev", "xt") and f"({rows}, " in f.message:
            block = "Wf[:, :n_a]" if f.param == "a_prev" else "Wf[:, n_a:]"
            return Finding("gate_block", f.param, (
                f"on {config.label}, d{f.param} has {rows} = n_a + n_x rows: it multiplies the "
                f"whole gate matrices' transposes (Wfᵀ·dZf + ...) where only their "
                f"{'hidden-state' if f.param == 'a_prev' else 'input'} block belongs, "
                f"{block}ᵀ·dZf + ... (and likewise for Wi, Wc, Wo)"))
    return None


def _first_wrong_step(name: str, grads_of: Callable[..., Any], config: Config,
                      problem: LayerProblem) -> Finding | None:
    """The first time step, counting back from T, at which the learner's dx differs from the
    reference's, as a finding (None when dx is right or was not returned)."""
    x, a0, parameters = config.args
    dx = problem.analytic.get("x")
    if dx is None or dx.shape != x.shape:
        return None
    expected = grads_of(x, a0, parameters, problem.douts[0])["x"]
    T = x.shape[2]
    for t in range(T - 1, -1, -1):
        if not close(dx[:, :, t], expected[:, :, t]):
            if t == T - 1:
                where = "already at the last step, t = T"
            else:
                where = (f"at t = {t + 1} of T = {T}, {T - 1 - t} step(s) back from the end "
                         f"(1-based), after being right at every later step")
            hint = (" A gradient right at T and wrong before it has lost (or doubled) the "
                    "gradient carried back from step t + 1: each step's da_next is "
                    "da[:, :, t] + da_prevt." if t < T - 1 else "")
            return Finding(TIME_STEP, "x", f"on {config.label}, {name}'s dx is first wrong "
                                           f"{where}.{hint}")
    return None


def _step_contributions(layer: LSTM | RNN, X: np.ndarray, state: Any,
                        dH: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Each time step's own share of the layer's parameter gradients (of J = Σ⟨dH, H⟩, with
    X and dH of shape (·, T, m)): the gradients of the steps from t on, started from the
    state the steps before t left, less those of the steps from t + 1 on. They add up to
    the whole sequence's gradients."""
    T = X.shape[1]
    states = [state]
    for t in range(T - 1):
        states.append(_run(layer, X[:, t:t + 1], states[-1])[1])
    suffixes = [_run(layer, X[:, t:], states[t], dH[:, t:])[4] for t in range(T)]
    suffixes.append({k: np.zeros_like(v) for k, v in suffixes[0].items()})
    return [{k: suffixes[t][k] - suffixes[t + 1][k] for k in suffixes[t]} for t in range(T)]


def _course_steps(lstm: bool) -> Callable[..., list[dict[str, np.ndarray]]]:
    """steps(args, da) -> each time step's contribution to the course's dWax … (or dWf …)
    for a sequence config's args (x, a0, parameters)."""
    def steps(args: tuple[Any, ...], da: np.ndarray) -> list[dict[str, np.ndarray]]:
        x, a0, parameters = args
        layer: LSTM | RNN
        if lstm:
            layer, state = _lstm_layer(_lstm_blocks(parameters), x.shape[0]), (
                a0, np.zeros_like(a0))
        else:
            layer, state = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"]), a0
        return _step_contributions(layer, _seq(x), state, _seq(da))
    return steps


def _first_step_only(name: str, config: Config, problem: LayerProblem, wrong: set[str],
                     steps: list[dict[str, np.ndarray]],
                     order: tuple[str, ...]) -> tuple[Finding, set[str]] | None:
    """(a finding, the parameters it explains) for the wrong weight and bias gradients
    that equal one time step's contribution alone (``steps``: each step's, by name), or
    None; order: the exercise's gradients, as the notebook names them. A step whose
    contribution is the whole gradient (T = 1) is never named."""
    total = {k: sum(step[k] for step in steps) for k in steps[0]}
    matched: dict[int, list[str]] = {}
    for p in [g[1:] for g in order if g[1:] in wrong & set(total) & set(problem.analytic)]:
        for t, step in enumerate(steps):
            if np.shape(problem.analytic[p]) == np.shape(step[p]) and close(
                    problem.analytic[p], step[p]) and not close(step[p], total[p]):
                matched.setdefault(t, []).append("d" + p)
                break
    if not matched:
        return None
    T = len(steps)
    said = "; ".join(f"{join(names)} {'equals' if len(names) == 1 else 'equal'} the "
                     f"contribution of time step t = {t + 1} of T = {T} alone"
                     for t, names in sorted(matched.items()))
    explained = [n[1:] for t in sorted(matched) for n in matched[t]]
    return Finding(TIME_SUM, explained[0], (
        f"on {config.label}, {name}'s {said}: a weight's or bias's gradient is the sum of "
        f"its contributions at every time step, so each step's is added to what the later "
        f"steps gave, not put in its place")), set(explained)


def _named_through_time(base: Exercise, configs: Callable[..., Any],
                        builder: Callable[..., Any] | None, steps: Callable[..., Any],
                        grads_of: Callable[..., Any] | None = None) -> Callable[..., Result]:
    """base.check, with a failing sequence backward's gradients read further: a weight
    gradient that holds one time step's contribution (``time_sum``), and, given the
    reference's gradients ``grads_of``, the first wrong time step of dx."""
    name, partner = base.name, base.partner or ""

    def check(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        result = base.check(functions, seed)
        if result.ok is not False or result.report is None:
            return result
        config = next(c for c in configs(seed) if c.label == result.config)
        _, problem = pair_problem(functions.get(partner, builder), functions[name], config)
        if problem.blocked:
            return result
        wrong = {row.name for row in result.report.params if not row.ok}
        found = _first_step_only(name, config, problem, wrong,
                                 steps(config.args, problem.douts[0]), base.gradients)
        if found:
            finding, explained = found
            result.findings = [finding, *(f for f in result.findings
                                          if f.param not in explained)]
            result.file, result.line = where(functions[name], None, result.findings)
        if grads_of is not None:
            step = _first_wrong_step(name, grads_of, config, problem)
            if step:
                result.findings.append(step)
        return result

    return check


def _rnn_cell_grads(da_next: np.ndarray, cache: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """The reference's gradients of one RNN step, in the notebook's dictionary: what a right
    cell backward returns for the notebook's cache (a_next, a_prev, xt, parameters)."""
    _, a_prev, xt, parameters = cache
    layer = _rnn_layer(parameters["Wax"], parameters["Waa"], parameters["ba"])
    _, _, dX, d0, grads = _run(layer, xt[:, None, :], a_prev, da_next[:, None, :])
    return {"dxt": dX[:, 0, :], "da_prev": d0, "dWax": grads["Wax"], "dWaa": grads["Waa"],
            "dba": grads["ba"]}


def _lstm_cell_grads(da_next: np.ndarray, dc_next: np.ndarray,
                     cache: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """The reference's gradients of one LSTM step, in the notebook's dictionary: what a right
    cell backward returns for the notebook's cache (a_next, c_next, a_prev, c_prev, ft, it,
    cct, ot, xt, parameters); dc_next reaches the step's final cell state."""
    a_prev, c_prev, xt, parameters = cache[2], cache[3], cache[8], cache[9]
    layer = _lstm_layer(_lstm_blocks(parameters), xt.shape[0])
    layer.forward(xt[:, None, :], training=True, initial_state=(a_prev, c_prev))
    dX = layer.backward(da_next[:, None, :], d_final_state=(np.zeros_like(da_next), dc_next))
    da_prev, dc_prev = layer.d_initial_state
    return {"dxt": dX[:, 0, :], "da_prev": da_prev, "dc_prev": dc_prev,
            **{f"d{k}": v.copy() for k, v in layer.grads.items()}}


def _sequence_backward(name: str, partner: str, configs: Callable[..., Any],
                       builder: Callable[..., Any] | None, grads_of: Callable[..., Any],
                       mistakes: list[Any], gradients: tuple[str, ...],
                       steps: Callable[..., Any]) -> Exercise:
    """A sequence backward: the pair check, then a gradient of one time step and the first
    wrong time step (``_named_through_time``)."""
    base = backward_exercise(name, COURSE5, ("da", "caches"), partner, configs, builder,
                             mistakes, gradients=gradients)
    check = _named_through_time(base, configs, builder, steps, grads_of)

    return Exercise(name, COURSE5, ("da", "caches"), check, partner, base.gradients)


EXERCISES = [
    forward_exercise("rnn_cell_forward", COURSE5, ("xt", "a_prev", "parameters"),
                     _cell_configs(False), _rnn_cell_reference,
                     [Mistake("softmax_axis", "the prediction with the softmax taken over the "
                              "examples (axis=1) instead of the classes (axis=0)",
                              _rnn_cell_softmax_rows)],
                     outputs=2, names=("a_next", "yt_pred")),
    backward_exercise("rnn_cell_backward", COURSE5, ("da_next", "cache"), "rnn_cell_forward",
                      _cell_configs(False), _rnn_cell_builder,
                      [Mistake("tanh_derivative", "the gradient with tanh' taken as 1 − z² of "
                               "the pre-activation z: look at the array tanh's derivative is "
                               "computed from",
                               _rnn_cell_tanh_from_z),
                       Mistake("tanh_derivative", "the gradient with tanh' taken as "
                               "1 − tanh(a_next)², tanh applied twice: look at what "
                               "a_next already holds",
                               partial(_rnn_cell_tanh_from_z, twice=True))],
                      gradients=("dxt", "da_prev", "dWax", "dWaa", "dba")),
    forward_exercise("rnn_forward", COURSE5, ("x", "a0", "parameters"), _sequence_configs(False),
                     _rnn_reference,
                     [Mistake("state", "the hidden states of steps that all start from a0: "
                              "a_next must be carried into the next step",
                              _rnn_state_not_carried)],
                     outputs=2, names=("a", "y_pred")),
    _sequence_backward("rnn_backward", "rnn_forward", _sequence_configs(False), _rnn_builder,
                       _rnn_grads,
                       [Mistake("time_path", "the gradient of steps that each see da[:, :, t] "
                                "alone: the gradient from step t + 1 (da_prevt) is not added, "
                                "so nothing flows back through time",
                                _rnn_no_path_through_time)],
                       ("dx", "da0", "dWax", "dWaa", "dba"), _course_steps(lstm=False)),
    forward_exercise("lstm_cell_forward", COURSE5, ("xt", "a_prev", "c_prev", "parameters"),
                     _cell_configs(True), _lstm_cell_reference,
                     _lstm_mistakes(_lstm_cell_variant),
                     outputs=3, names=("a_next", "c_next", "yt_pred")),
    backward_exercise("lstm_cell_backward", COURSE5, ("da_next", "dc_next", "cache"),
                      "lstm_cell_forward", _cell_configs(True), _lstm_cell_builder,
                      explain=_gate_block,
                      gradients=("dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi",
                                 "dWc", "dbc", "dWo", "dbo")),
    forward_exercise("lstm_forward", COURSE5, ("x", "a0", "parameters"), _sequence_configs(True),
                     _lstm_reference, _lstm_mistakes(_lstm_forward_variant), outputs=2,
                     names=("a", "y")),
    _sequence_backward("lstm_backward", "lstm_forward", _sequence_configs(True), None,
                       _lstm_grads, [], ("dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc",
                                         "dWo", "dbo"), _course_steps(lstm=True)),
]


# ---- CS231n: examples first, (N, T, D) ----------------------------------------------------


def _cs_rnn_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, T, D, H in (("T=1, N=2", 2, 1, 3, 4), ("T=4, N=1", 1, 4, 2, 3),
                              ("T=3, N=3", 3, 3, 3, 2)):
        cases.append(Config(label, (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
                                    rng.standard_normal((D, H)), rng.standard_normal((H, H)) * 0.5,
                                    rng.standard_normal(H))))
    return cases


def _cs_step_configs(seed: int) -> list[Config]:
    return [Config(c.label.split(", ")[1], (c.args[0][:, 0, :], *c.args[1:]))
            for c in _cs_rnn_configs(seed)[:2]]


def _cs_rnn(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
            b: np.ndarray) -> np.ndarray:
    layer = _rnn_layer(Wx.T, Wh.T, b)
    return _run(layer, x.transpose(2, 1, 0), h0.T)[0].transpose(2, 1, 0)


def _cs_rnn_step(x: np.ndarray, prev_h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                 b: np.ndarray) -> tuple[np.ndarray]:
    return (_cs_rnn(x[:, None, :], prev_h, Wx, Wh, b)[:, 0, :],)


def _cs_rnn_step_builder(x: np.ndarray, prev_h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                         b: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    return _cs_rnn_step(x, prev_h, Wx, Wh, b)[0], (x, prev_h, Wx, Wh, b)


def _cs_lstm_blocks(Wx: np.ndarray, Wh: np.ndarray,
                    b: np.ndarray) -> dict[str, tuple[np.ndarray, ...]]:
    """CS231n's packed Wx (D, 4H), Wh (H, 4H), b (4H,), blocks i, f, o, g, as the course's
    gates acting on [a; x]."""
    H = Wh.shape[0]
    blocks = {}
    for k, g in enumerate("ifoc"):
        cols = slice(k * H, (k + 1) * H)
        blocks[g] = (np.concatenate([Wh[:, cols].T, Wx[:, cols].T], axis=1), b[cols])
    return blocks


def _cs_lstm(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray,
             c0: np.ndarray | None = None) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(h (N, T, H), final (h, c)) of CS231n's LSTM on x (N, T, D)."""
    layer = _lstm_layer(_cs_lstm_blocks(Wx, Wh, b), x.shape[2])
    c0 = np.zeros_like(h0) if c0 is None else c0
    H, final = _run(layer, x.transpose(2, 1, 0), (h0.T, c0.T))
    return H.transpose(2, 1, 0), final


def _cs_lstm_configs(seed: int, steps: bool = True) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, T, D, H in (("T=1, N=2", 2, 1, 3, 2), ("T=3, N=1", 1, 3, 2, 3)):
        x = rng.standard_normal((N, T, D))
        args = (rng.standard_normal((N, H)), rng.standard_normal((D, 4 * H)) * 0.5,
                rng.standard_normal((H, 4 * H)) * 0.5, rng.standard_normal(4 * H))
        if steps:
            cases.append(Config(label.split(", ")[1], (x[:, 0, :], args[0],
                                                        rng.standard_normal((N, H)), *args[1:])))
        else:
            cases.append(Config(label, (x, *args)))
    return cases


def _cs_lstm_step(x: np.ndarray, prev_h: np.ndarray, prev_c: np.ndarray, Wx: np.ndarray,
                  Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, (a, c) = _cs_lstm(x[:, None, :], prev_h, Wx, Wh, b, prev_c)
    return a.T, c.T


def _cs_lstm_step_variant(**mistake: bool) -> Callable[..., Any]:
    def forward(x: np.ndarray, prev_h: np.ndarray, prev_c: np.ndarray, Wx: np.ndarray,
                Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        next_h, next_c = _lstm_step_variant(_cs_lstm_blocks(Wx, Wh, b), x.T, prev_h.T,
                                            prev_c.T, **mistake)
        return next_h.T, next_c.T
    return forward


def _cs_lstm_forward_variant(**mistake: bool) -> Callable[..., Any]:
    def forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                b: np.ndarray) -> tuple[np.ndarray]:
        H = _lstm_sequence_variant(_cs_lstm_blocks(Wx, Wh, b), x.transpose(2, 1, 0), h0.T,
                                   np.zeros_like(h0.T), **mistake)[0]
        return (H.transpose(2, 1, 0),)
    return forward


def _cs_lstm_step_builder(x: np.ndarray, prev_h: np.ndarray, prev_c: np.ndarray, Wx: np.ndarray,
                          Wh: np.ndarray,
                          b: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    next_h, next_c = _cs_lstm_step(x, prev_h, prev_c, Wx, Wh, b)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, b)


def _cs_steps(lstm: bool) -> Callable[..., list[dict[str, np.ndarray]]]:
    """steps(args, dh) -> each time step's contribution to CS231n's dWx, dWh and db for a
    sequence config's args (x, h0, Wx, Wh, b), in CS231n's layout (the LSTM's blocks i, f,
    o, g side by side)."""
    def steps(args: tuple[Any, ...], dh: np.ndarray) -> list[dict[str, np.ndarray]]:
        x, h0, Wx, Wh, b = args
        H = Wh.shape[0]
        layer: LSTM | RNN
        if lstm:
            layer, state = _lstm_layer(_cs_lstm_blocks(Wx, Wh, b), x.shape[2]), (
                h0.T, np.zeros_like(h0.T))
        else:
            layer, state = _rnn_layer(Wx.T, Wh.T, b), h0.T
        contributions = _step_contributions(layer, x.transpose(2, 1, 0), state,
                                            dh.transpose(2, 1, 0))
        if not lstm:
            return [{"Wx": g["Wax"].T, "Wh": g["Waa"].T, "b": g["ba"].ravel()}
                    for g in contributions]
        return [{"Wx": np.concatenate([g[f"W{c}"][:, H:].T for c in "ifoc"], axis=1),
                 "Wh": np.concatenate([g[f"W{c}"][:, :H].T for c in "ifoc"], axis=1),
                 "b": np.concatenate([g[f"b{c}"].ravel() for c in "ifoc"])}
                for g in contributions]
    return steps


def _cs_sequence_backward(name: str, configs: Callable[..., Any], lstm: bool) -> Exercise:
    """CS231n's rnn_backward or lstm_backward, checked with the learner's forward, with a
    gradient of one time step named (``_named_through_time``)."""
    base = backward_exercise(name, CS231N, ("dh", "cache"), name.replace("backward", "forward"),
                             configs, gradients=("dx", "dh0", "dWx", "dWh", "db"))
    check = _named_through_time(base, configs, None, _cs_steps(lstm))
    step = name.replace("_backward", "_step_backward")
    return base._replace(check=_after_learners_step(check, name, step))


def _after_learners_step(check: Callable[..., Any], name: str,
                         step: str) -> Callable[..., Any]:
    """check, but a sequence backward that fails while it calls the learner's step backward,
    which is wrong itself, cannot be judged yet: that step reads the cache in the learner's
    own format, so no right step can stand in for it (as the course's format allows for
    its cells: ``core.RIGHT_CALLEES``)."""

    def checked(functions: dict[str, Callable[..., Any]], seed: int = 0) -> Result:
        result = check(functions, seed)
        mine = functions.get(step)
        if result.ok is not False or mine is None or \
                not holds_global(functions[name], step, mine):
            return result
        verdict = next(e for e in EXERCISES if e.name == step).check(functions, seed)
        if verdict.ok is not False:
            return result
        return Result(name, result.exercise, None, [Finding("missing", None, (
            f"{name} calls your {step}, which is {verdict.verdict.lower()} (see above); "
            f"check it again once {step} is right"))], where=(result.file, result.line))

    return checked


def _embedding_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    x = np.array([[0, 3, 3, 1], [2, 3, 0, 0]])  # repeated word indices in and across rows
    return [Config("repeated words, N=2, T=4", (x, rng.standard_normal((5, 3)))),
            Config("N=1, T=1", (np.array([[4]]), rng.standard_normal((5, 2))))]


def _embedding(x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray]:
    layer = Embedding(W.shape[0], W.shape[1])
    layer.params["W"][...] = W.T
    return (layer.forward(x.T).transpose(2, 1, 0),)


def _embedding_builder(x: np.ndarray,
                       W: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    return _embedding(x, W)[0], (x, W)


def _embedding_lost_repeats(x: np.ndarray, W: np.ndarray,
                            douts: list[np.ndarray]) -> dict[str, np.ndarray]:
    dW = np.zeros(W.shape)
    dW[x] += douts[0]
    return {"W": dW}


def _temporal_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    return [Config("N=2, T=3", (rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)),
                                rng.standard_normal(5))),
            Config("N=1, T=1", (rng.standard_normal((1, 1, 3)), rng.standard_normal((3, 2)),
                                rng.standard_normal(2)))]


def _temporal_affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray]:
    N, T, D = x.shape
    layer = Dense(D, w.shape[1])
    layer.params["W"][...], layer.params["b"][...] = w.T, b[:, None]
    return (layer.forward(x.reshape(N * T, D).T).T.reshape(N, T, -1),)


def _temporal_affine_builder(x: np.ndarray, w: np.ndarray,
                             b: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    return _temporal_affine(x, w, b)[0], (x, w, b, _temporal_affine(x, w, b)[0])


def _temporal_loss_configs(seed: int) -> list[Config]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, N, T, V in (("N=2, T=3, some steps masked", 2, 3, 4), ("N=1, T=1", 1, 1, 3)):
        mask = rng.random((N, T)) < 0.7
        mask[0, 0] = True
        cases.append(Config(label, (rng.standard_normal((N, T, V)), rng.integers(0, V, (N, T)),
                                    mask), m=N))
    return cases


def _temporal_loss(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[float]:
    N, T, V = x.shape
    keep = mask.reshape(-1)
    if not keep.any():
        return (0.0,)
    loss = SoftmaxCrossEntropy().forward(x.reshape(N * T, V)[keep].T, y.reshape(-1)[keep])
    return (loss * keep.sum() / N,)


def _temporal_loss_unmasked(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[float]:
    return _temporal_loss(x, y, np.ones_like(mask))


# the sequences call the cells: checked with these where the learner's cell is not right
RIGHT_CALLEES.update({(COURSE5, "rnn_cell_forward"): _rnn_cell_builder,
                      (COURSE5, "lstm_cell_forward"): _lstm_cell_builder,
                      (COURSE5, "rnn_cell_backward"): _rnn_cell_grads,
                      (COURSE5, "lstm_cell_backward"): _lstm_cell_grads})

EXERCISES += [
    forward_exercise("rnn_step_forward", CS231N, ("x", "prev_h", "Wx", "Wh", "b"),
                     _cs_step_configs, _cs_rnn_step, names=("next_h",)),
    backward_exercise("rnn_step_backward", CS231N, ("dnext_h", "cache"), "rnn_step_forward",
                      _cs_step_configs, _cs_rnn_step_builder,
                      gradients=("dx", "dprev_h", "dWx", "dWh", "db")),
    forward_exercise("rnn_forward", CS231N, ("x", "h0", "Wx", "Wh", "b"), _cs_rnn_configs,
                     lambda *args: (_cs_rnn(*args),), names=("h",)),
    _cs_sequence_backward("rnn_backward", _cs_rnn_configs, lstm=False),
    forward_exercise("lstm_step_forward", CS231N, ("x", "prev_h", "prev_c", "Wx", "Wh", "b"),
                     _cs_lstm_configs, _cs_lstm_step, _lstm_mistakes(_cs_lstm_step_variant),
                     outputs=2, names=("next_h", "next_c")),
    backward_exercise("lstm_step_backward", CS231N, ("dnext_h", "dnext_c", "cache"),
                      "lstm_step_forward", _cs_lstm_configs, _cs_lstm_step_builder,
                      gradients=("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")),
    forward_exercise("lstm_forward", CS231N, ("x", "h0", "Wx", "Wh", "b"),
                     lambda seed: _cs_lstm_configs(seed, steps=False),
                     lambda *args: (_cs_lstm(*args)[0],),
                     _lstm_mistakes(_cs_lstm_forward_variant), names=("h",)),
    _cs_sequence_backward("lstm_backward", lambda seed: _cs_lstm_configs(seed, steps=False),
                          lstm=True),
    forward_exercise("word_embedding_forward", CS231N, ("x", "W"), _embedding_configs,
                     _embedding),
    backward_exercise("word_embedding_backward", CS231N, ("dout", "cache"),
                      "word_embedding_forward", _embedding_configs, _embedding_builder,
                      [Mistake("repeated_index", "dW[x] += dout, which keeps one update per "
                               "word where a word occurs several times: NumPy's fancy "
                               "indexing does not accumulate repeats",
                               _embedding_lost_repeats)],
                      gradients=("dW",)),
    forward_exercise("temporal_affine_forward", CS231N, ("x", "w", "b"), _temporal_configs,
                     _temporal_affine),
    backward_exercise("temporal_affine_backward", CS231N, ("dout", "cache"),
                      "temporal_affine_forward", _temporal_configs, _temporal_affine_builder,
                      gradients=("dx", "dw", "db")),
    loss_exercise("temporal_softmax_loss", _temporal_loss, _temporal_loss_configs,
                   [Mistake("unmasked", "the loss over every time step, the masked ones too: "
                            "multiply each step's loss by mask", _temporal_loss_unmasked)],
                   ("x", "y", "mask"), CS231N),
]
