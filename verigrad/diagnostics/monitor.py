"""``Monitor``: why a network does not learn, read from the training run itself.

``Monitor`` is a ``fit`` callback that measures each parameterised layer on a few steps of
every epoch:

    activation mean and std       of the activation's output A = g(Z) (Z taken after the
                                  batch norm, when one sits between the layer and g)
    dead                          fraction of units with Z at or below the activation's
                                  ``zero_gradient_below`` (ReLU: Z ≤ 0) for every example of
                                  the batch: they pass no gradient, so they never recover
    saturated                     fraction of outputs on the flat part of the curve, |Z|
                                  beyond the activation's ``saturation_limit`` (σ'(z) < 1%
                                  of its peak: |z| > 4.6; tanh: |z| > 2.65)
    max |Z|                       the largest pre-activation
    ‖dW‖                          Frobenius norm of the weight gradient
    ‖ΔW‖/‖W‖                      the update/weight ratio of the step, healthy near 1e-3

and warns, with a likely cause and a fix, when gradients vanish or explode, when most ReLUs
are dead, when sigmoid/tanh units saturate, or when the update/weight ratio is far from
1e-3.

Through time: for every layer that reports ``state_gradient_norms()`` (the recurrent
layers: ‖dJ/da⟨t⟩‖ for t = 1 … T after backward), ``time_records`` holds per epoch the
gradient norm reaching every hidden state (``norms``, means over the sampled steps), the
first and the last of them and their ratio; a ratio beyond 1e3 either way is reported as
gradients exploding or vanishing through time.

    monitor = vg.diagnostics.Monitor()
    model.fit(X, Y, epochs=10, callbacks=[monitor])
    print(monitor.table()); monitor.plot("diagnostics.png")

Attention: for every layer that reports ``attention_entropy()`` (multi-head attention and the
transformer block: each head's mean entropy −Σ_j P_ij·log P_ij over its queries, in nats),
``attention_records`` holds per epoch the entropy of every head (means over the sampled
steps). log T is uniform attention; a head below ``COLLAPSE_ENTROPY`` puts nearly all of
every query's weight on one key — collapsed — and is reported.
"""
from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from .._files import PathLike
from ..callbacks import Callback
from ..validation import check_positive_int
from .guard import TrainingWarning

if TYPE_CHECKING:
    from ..callbacks import History
    from ..layers import Layer
    from ..model import Sequential

#: Healthy range of the update/weight ratio ‖ΔW‖/‖W‖ per step (rule of thumb: about 1e-3).
UPDATE_RATIO_RANGE = (1e-5, 1e-1)
DEAD_LIMIT = 0.5
SATURATED_LIMIT = 0.5
#: Gradient RMS ratio, first to last layer, beyond which gradients vanish or explode with depth.
DEPTH_RATIO = 1e3
#: ‖dJ/da⟨1⟩‖ / ‖dJ/da⟨T⟩‖ beyond which gradients vanish or explode through time.
TIME_RATIO = 1e3
#: Growth of a layer's gradient norm since the first epoch that counts as exploding (when the
#: cost climbs too).
GROWTH_LIMIT = 100.0
#: Mean attention entropy (nats) of a head below which it has collapsed onto one key per
#: query (e^0.1 ≈ 1.1 keys' worth of weight).
COLLAPSE_ENTROPY = 0.1
COLUMNS = ("act_mean", "act_std", "dead", "saturated", "max_abs_z", "grad_norm", "update_ratio")


class _ThroughTime(Protocol):
    """A layer that reports ‖dJ/da⟨t⟩‖ for t = 1 … T after backward (the recurrent ones)."""

    def state_gradient_norms(self) -> np.ndarray: ...


class _Attending(Protocol):
    """A layer that reports each head's mean attention entropy (attention, transformer)."""

    def attention_entropy(self) -> np.ndarray: ...


class Monitor(Callback):
    """Per-layer statistics of training (see the module text), measured on ``samples`` evenly
    spaced steps of every epoch from the step's own forward pass (``model.activations``),
    so the overhead stays small.

    Every parameterised layer is measured, with the elementwise activation after it if there
    is one: Z is the layer's output, A = g(Z) the activation's. What the activation declares
    decides the columns: ``zero_gradient_below`` gives ``dead`` (the fraction of units, the
    entries along axis 0: rows of a dense layer, channels of a convolution, whose Z is at or
    below it for every example and position), ``saturation_limit`` gives ``saturated``; each
    is None for a layer whose activation declares no such limit. The weights are the
    parameters whose name starts with W (all of a layer's parameters if none does).

    After ``fit``: ``records`` holds one dict per epoch and layer (epoch, ``layer`` k of the
    model's numbering 1..L, ``name`` and the ``COLUMNS`` averaged over the sampled steps),
    ``names`` the name of each layer k, ``warnings`` the messages issued (each issued as a
    ``TrainingWarning`` when found), ``table()`` the records as text and ``plot(path)`` a
    PNG. verbose=1 prints the table at the end of training, 2 each epoch's rows after the
    epoch, 0 nothing.
    """

    update_ratio_range = UPDATE_RATIO_RANGE

    def __init__(self, samples: int = 4, verbose: int = 1):
        self.samples, self.verbose = check_positive_int(samples, "samples"), verbose
        self.records: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.names: dict[int, str] = {}

    # ---- collecting --------------------------------------------------------------------

    def on_train_begin(self, model: Sequential, history: History) -> None:
        self.records, self.warnings = [], []
        self._warned: set[Any] = set()
        # k -> index in model.layers; a normalization layer right after a parameterised one
        # is measured with it
        # (model.parameterised[k - 1] is layer k's index)
        self._layers = {k: i for k, i in enumerate(model.parameterised, 1)
                        if not (i > 0 and model.layers[i - 1].params
                                and model.layers[i].normalizes)}
        self.names = {k: self._name(model, i) for k, i in self._layers.items()}
        after = {k: _activation_after(model, i) for k, i in self._layers.items()}
        self._kinds = {k: type(a).__name__ for k, a in after.items() if a is not None}
        self._dead_below = {k: a.zero_gradient_below for k, a in after.items()
                            if a is not None}
        self._sizes = {k: sum(W.size for W in _weights(model.layers[i]).values())
                       for k, i in self._layers.items()}
        steps = history.steps_per_epoch or 1
        self._sampled = set(np.linspace(0, steps - 1, min(self.samples, steps)).round().astype(int))
        self._first_grad: dict[Any, Any] = {}
        self.time_records: list[dict[str, Any]] = []
        self._recurrent = [i for i, layer in enumerate(model.layers)
                           if hasattr(layer, "state_gradient_norms")]
        self.attention_records: list[dict[str, Any]] = []
        self._attending = [i for i, layer in enumerate(model.layers)
                           if hasattr(layer, "attention_entropy")]

    @staticmethod
    def _name(model: Sequential, i: int) -> str:
        label = model.layer_label(i)
        norm, after = _normalization_after(model, i), _activation_after(model, i)
        through = f" → {type(norm).__name__}" if norm is not None else ""
        if after is not None:
            return f"{label}{through} → {type(after).__name__}"
        return f"{label}{through} → output" if i == len(model.layers) - 1 else label + through

    def on_epoch_begin(self, model: Sequential, epoch: int) -> None:
        self._offset = 0
        self._snapshot: dict[int, dict[str, np.ndarray]] | None = None
        self._samples: dict[int, list[Any]] = {k: [] for k in self._layers}
        self._time_samples: dict[int, list[np.ndarray]] = {i: [] for i in self._recurrent}
        self._entropy_samples: dict[int, list[np.ndarray]] = {i: [] for i in self._attending}

    def on_backward_end(self, model: Sequential, step: int, cost: float) -> None:
        if self._offset in self._sampled:
            snapshot: dict[int, dict[str, np.ndarray]] = {}
            self._snapshot = snapshot
            for k, i in self._layers.items():
                weights = {name: W.copy() for name, W in _weights(model.layers[i]).items()}
                snapshot[k] = weights
                self._samples[k].append(self._measure(model, i, weights))
            for i in self._recurrent:
                layer = cast(_ThroughTime, model.layers[i])
                self._time_samples[i].append(layer.state_gradient_norms())
            for i in self._attending:
                heads = cast(_Attending, model.layers[i])
                self._entropy_samples[i].append(heads.attention_entropy())
        self._offset += 1

    def on_step_end(self, model: Sequential, step: int, cost: float) -> None:
        if self._snapshot is None:
            return
        for k, i in self._layers.items():
            before = self._snapshot[k]
            now = _weights(model.layers[i])
            W_norm = _norm(before.values())
            change = _norm(now[name] - W for name, W in before.items())
            self._samples[k][-1]["update_ratio"] = (change / W_norm if W_norm > 0
                                                    else float("inf"))
        self._snapshot = None

    def _measure(self, model: Sequential, i: int,
                 weights: dict[str, np.ndarray]) -> dict[str, float | None]:
        """Statistics of layer i in this step's forward pass, before the update. Z is the
        input of its activation: the output of the batch norm in Dense → BatchNorm → g."""
        j = i + 1 + (_normalization_after(model, i) is not None)
        Z = model.activations[j]
        after = _activation_after(model, i)
        A = Z if after is None else model.activations[j + 1]
        dead = saturated = None
        if after is not None and after.zero_gradient_below is not None:
            below = (Z <= after.zero_gradient_below).reshape(Z.shape[0], -1)
            dead = float(np.mean(below.all(axis=1)))
        if after is not None and after.saturation_limit is not None:
            saturated = float(np.mean(np.abs(Z) > after.saturation_limit))
        grads = model.layers[i].grads
        return {"act_mean": float(A.mean()), "act_std": float(A.std()), "dead": dead,
                "saturated": saturated, "max_abs_z": float(np.abs(Z).max()),
                "grad_norm": _norm(grads[name] for name in weights)}

    def on_epoch_end(self, model: Sequential, epoch: int, history: History) -> None:
        rows: list[dict[str, Any]] = []
        for k in self._layers:
            samples = self._samples[k]
            if not samples:
                continue
            row: dict[str, Any] = {"epoch": epoch + 1, "layer": k, "name": self.names[k]}
            for key in COLUMNS:
                values = [s[key] for s in samples if s.get(key) is not None]
                row[key] = float(np.mean(values)) if values else None
            rows.append(row)
        self.records.extend(rows)
        # a gradient that grows while the cost falls is a network leaving a plateau (after
        # vanishing gradients, say), not one that overshoots
        climbing = len(history.cost) > 1 and history.cost[-1] > min(history.cost[:-1])
        self._check(model, rows, climbing)
        self._check_time(model, epoch + 1)
        self._check_attention(model, epoch + 1)
        if self.verbose >= 2:
            print(self.table(rows))

    def on_train_end(self, model: Sequential, history: History) -> None:
        if self.verbose == 1:
            print(self.table())

    # ---- judging -----------------------------------------------------------------------

    def _warn(self, key: Hashable, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(message)
            warnings.warn(message, TrainingWarning, stacklevel=2)

    def _check(self, model: Sequential, rows: list[dict[str, Any]], climbing: bool) -> None:
        if not rows:
            return
        epoch = rows[0]["epoch"]
        for row in rows:
            i, name = row["layer"], row["name"]
            self._first_grad.setdefault(i, row["grad_norm"])
            if row["dead"] is not None and row["dead"] > DEAD_LIMIT:
                self._warn(("dead", i), (
                    f"{name}: {row['dead']:.0%} of the {self._kinds[i]} units are dead in "
                    f"epoch {epoch} (Z ≤ {self._dead_below[i]:g} for every example, so they "
                    f"pass no gradient and never "
                    f"recover). Likely cause: a learning rate too large, which pushed their "
                    f"weights and biases far negative, or unscaled inputs. Fix: lower the "
                    f"learning rate, keep init='he', scale the inputs, or use LeakyReLU"))
            if row["saturated"] is not None and row["saturated"] > SATURATED_LIMIT:
                self._warn(("saturated", i), (
                    f"{name}: {row['saturated']:.0%} of the outputs are saturated in "
                    f"epoch {epoch} (on the flat part of the curve, where the gradient is "
                    f"under 1% of its peak). Likely cause: weights or inputs too large. Fix: "
                    f"scale the inputs, use init='xavier', lower the learning rate, or use "
                    f"ReLU in hidden layers"))
            if climbing and row["grad_norm"] > GROWTH_LIMIT * self._first_grad[i] > 0:
                self._warn(("growing", i), (
                    f"{name}: exploding gradients — ‖dW‖ grew from "
                    f"{self._first_grad[i]:.3g} in the first epoch to {row['grad_norm']:.3g} in "
                    f"epoch {epoch}, while the cost climbed. Likely cause: a learning rate too "
                    f"large (each step overshoots). Fix: lower the learning rate, or clip the "
                    f"gradient norm (clip_norm=)"))
            low, high = UPDATE_RATIO_RANGE
            ratio = row["update_ratio"]
            if ratio is not None and ratio > high:
                self._warn(("ratio", i), (
                    f"{name}: each step changes W by {ratio:.2g} of its size in epoch "
                    f"{epoch} (healthy: about 1e-3). Likely cause: a learning rate too large. "
                    f"Fix: lower the learning rate (the ratio scales with it) towards 1e-3"))
            elif ratio is not None and ratio < low:
                self._warn(("ratio", i), (
                    f"{name}: each step changes W by only {ratio:.2g} of its size in "
                    f"epoch {epoch} (healthy: about 1e-3), so it barely learns. Likely "
                    f"cause: a learning rate too small, or vanishing gradients. Fix: raise "
                    f"the learning rate (try 10×) or check the gradient norms"))
        self._check_depth(rows, epoch)

    def _check_depth(self, rows: list[dict[str, Any]], epoch: int) -> None:
        """Gradients that shrink or grow layer after layer on their way back."""
        if len(rows) < 2:
            return
        first, last = rows[0], rows[-1]
        g_first, g_last = (r["grad_norm"] / np.sqrt(self._sizes[r["layer"]]) for r in (first, last))
        if g_last > 0 and g_first < g_last / DEPTH_RATIO:
            self._warn("vanishing", (
                f"vanishing gradients in epoch {epoch}: the RMS weight gradient of "
                f"{first['name']} ({g_first:.2g}) is {g_last / max(g_first, 1e-300):.2g}× "
                f"smaller than that of {last['name']} ({g_last:.2g}), so the first "
                f"layers barely learn. Likely cause: saturating sigmoid/tanh layers or dead "
                f"ReLUs in between, or weights initialised too small. Fix: ReLU with "
                f"init='he', batch normalization after each Dense layer "
                f"(mlp(..., batch_norm=True)), fewer layers, or scaled inputs"))
        elif g_first > g_last * DEPTH_RATIO:
            self._warn("exploding", (
                f"exploding gradients in epoch {epoch}: the RMS weight gradient of "
                f"{first['name']} ({g_first:.2g}) is {g_first / max(g_last, 1e-300):.2g}× "
                f"larger than that of {last['name']} ({g_last:.2g}); it grows layer "
                f"after layer on the way back. Likely cause: weights initialised too large. "
                f"Fix: init='he' (ReLU) or 'xavier' (sigmoid/tanh), or clip_norm="))

    def _check_time(self, model: Sequential, epoch: int) -> None:
        """Gradients that shrink or grow step after step on their way back through time."""
        for i in self._recurrent:
            samples = self._time_samples[i]
            if not samples or len({len(norms) for norms in samples}) > 1:
                continue  # nothing sampled, or sequences of several lengths
            profile = np.mean(samples, axis=0)
            first, last = float(profile[0]), float(profile[-1])
            name = model.layer_label(i)
            ratio = first / last if last > 0 else float("inf")
            self.time_records.append({"epoch": epoch, "layer": model.layer_number(i), "name": name,
                                      "first": first, "last": last, "ratio": ratio,
                                      "norms": profile.tolist()})
            if ratio < 1 / TIME_RATIO:
                self._warn(("time-vanishing", i), (
                    f"{name}: gradients vanish through time in epoch {epoch}: "
                    f"‖dJ/da⟨1⟩‖ = {first:.2g} is {1 / max(ratio, 1e-300):.2g}× smaller than "
                    f"‖dJ/da⟨T⟩‖ = {last:.2g}, so what the first steps read barely affects "
                    f"the cost. Likely cause: a plain RNN's tanh and Waa shrinking the "
                    f"gradient at every step. Fix: an LSTM or GRU, shorter sequences, or "
                    f"outputs at every step (return_sequences=True)"))
            elif ratio > TIME_RATIO:
                self._warn(("time-exploding", i), (
                    f"{name}: gradients explode through time in epoch {epoch}: "
                    f"‖dJ/da⟨1⟩‖ = {first:.2g} is {ratio:.2g}× larger than ‖dJ/da⟨T⟩‖ = "
                    f"{last:.2g}; they grow at every step back. Likely cause: recurrent "
                    f"weights too large. Fix: clip the gradient norm (clip_norm=5), a "
                    f"smaller init or learning rate, or shorter sequences"))

    def _check_attention(self, model: Sequential, epoch: int) -> None:
        """Heads whose every query attends to (nearly) one key."""
        for i in self._attending:
            if not self._entropy_samples[i]:
                continue
            entropy = np.mean(self._entropy_samples[i], axis=0)
            name = model.layer_label(i)
            self.attention_records.append({"epoch": epoch, "layer": model.layer_number(i),
                                           "name": name, "entropy": entropy.tolist()})
            collapsed = [h for h, e in enumerate(entropy) if e < COLLAPSE_ENTROPY]
            if collapsed:
                self._warn(("collapsed", i), (
                    f"{name}: attention collapsed in epoch {epoch}: head"
                    f"{'s' if len(collapsed) > 1 else ''} {', '.join(map(str, collapsed))} "
                    f"put{'' if len(collapsed) > 1 else 's'} nearly all of every query's "
                    f"weight on one key (mean entropy "
                    f"{min(entropy[h] for h in collapsed):.2g} nats; uniform would be "
                    f"log T). Likely cause: scores too large — a missing 1/√d_head, a "
                    f"learning rate too large, or weights grown large. Fix: check the "
                    f"scale, lower the learning rate, add weight decay or warm-up"))

    # ---- reporting ---------------------------------------------------------------------

    def table_cells(self, rows: list[dict[str, Any]] | None = None
                    ) -> tuple[tuple[str, ...], list[tuple[str, ...]], set[tuple[int, int]]]:
        """(header, rows, flagged) of the records (or ``rows``): the cells as strings, and
        the (row, column) pairs out of their healthy range (dead or saturated beyond half
        the units, an update ratio outside ``UPDATE_RATIO_RANGE``)."""
        rows = self.records if rows is None else rows
        header = ("epoch", "layer", "act mean", "act std", "dead", "satur.", "max|Z|", "‖dW‖",
                  "‖ΔW‖/‖W‖")

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value:.0%}"

        cells: list[tuple[str, ...]] = []
        flagged: set[tuple[int, int]] = set()
        low, high = UPDATE_RATIO_RANGE
        for k, r in enumerate(rows):
            cells.append((str(r["epoch"]), r["name"], f"{r['act_mean']:.3g}",
                          f"{r['act_std']:.3g}", pct(r["dead"]), pct(r["saturated"]),
                          f"{r['max_abs_z']:.3g}", f"{r['grad_norm']:.2e}",
                          _sci(r["update_ratio"])))
            ratio = r["update_ratio"]
            for column, bad in ((4, r["dead"] is not None and r["dead"] > DEAD_LIMIT),
                                (5, r["saturated"] is not None
                                 and r["saturated"] > SATURATED_LIMIT),
                                (8, ratio is not None and not low <= ratio <= high)):
                if bad:
                    flagged.add((k, column))
        return header, cells, flagged

    def table(self, rows: list[dict[str, Any]] | None = None) -> str:
        """The records (or ``rows``) as a text table, one line per epoch and layer."""
        header, cells, _ = self.table_cells(rows)
        width = max([26, *(len(row[1]) + 1 for row in cells)])
        widths = (9, 9, 7, 7, 9, 10, 10)
        lines = [f"{row[0]:>5}  {row[1]:<{width}}" + "".join(
            f"{c:>{w}}" for c, w in zip(row[2:], widths)) for row in [header, *cells]]
        if self.time_records and (rows is None or rows is self.records):
            header, cells = self.time_cells()
            lines += ["", f"{header[0]:>5}  {header[1]:<{width}}{header[2]:>12}"
                          f"{header[3]:>12}{header[4]:>10}"]
            lines += [f"{r[0]:>5}  {r[1]:<{width}}{r[2]:>12}{r[3]:>12}{r[4]:>10}"
                      for r in cells]
        if self.attention_records and (rows is None or rows is self.records):
            lines += ["", f"{'epoch':>5}  {'attention entropy per head (nats)':<{width}}"]
            lines += [f"{r['epoch']:>5}  {r['name']:<{width}}"
                      + "".join(f"{e:>8.3f}" for e in r["entropy"])
                      for r in self.attention_records]
        return "\n".join(lines)

    def time_cells(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """(header, rows) of the recurrent layers' gradient norms at the first and last
        time step, per epoch, as strings."""
        return (("epoch", "recurrent layer", "‖dJ/da⟨1⟩‖", "‖dJ/da⟨T⟩‖", "ratio"),
                [(str(r["epoch"]), r["name"], f"{r['first']:.3g}", f"{r['last']:.3g}",
                  f"{r['ratio']:.3g}") for r in self.time_records])

    def _repr_html_(self) -> str:
        from ..display.html import monitor_html
        return monitor_html(self)

    def plot(self, path: PathLike, title: str | None = None) -> PathLike:
        """Save the statistics per epoch and layer as a PNG (needs matplotlib)."""
        from ..plots import plot_diagnostics
        return plot_diagnostics(self, path, title=title)


def _sci(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


def _normalization_after(model: Sequential, i: int) -> Layer | None:
    """The normalization layer right after layer i (Dense → BatchNorm → g), or None."""
    after = model.layers[i + 1] if i + 1 < len(model.layers) else None
    return after if after is not None and after.normalizes else None


def _activation_after(model: Sequential, i: int) -> Layer | None:
    """The elementwise activation after layer i, past a normalization layer, or None."""
    j = i + 1 + (_normalization_after(model, i) is not None)
    after = model.layers[j] if j < len(model.layers) else None
    return after if after is not None and after.elementwise else None


def _weights(layer: Layer) -> dict[str, np.ndarray]:
    """The layer's weights: its parameters named W..., or all of them if none is."""
    weights = {name: p for name, p in layer.params.items() if name[0] == "W"}
    return weights or layer.params


def _norm(arrays: Iterable[np.ndarray]) -> float:
    """The Frobenius norm of several arrays taken together."""
    return float(np.sqrt(sum(float(np.vdot(a, a)) for a in arrays)))
