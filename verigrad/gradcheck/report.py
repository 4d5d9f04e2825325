"""The gradient check's report: the table of parameters and verdicts, the findings, and the
sentence saying where in backprop to look for the mistake."""
from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .findings import Finding

if TYPE_CHECKING:
    from .problems import Problem


@dataclass(frozen=True)
class ParamCheck:
    """The check of one parameter.

    name, shape; rel_error: ‖a − n‖ / (‖a‖ + ‖n‖) over the entries compared (in fast mode,
    of the directional derivative); ok; worst_index, analytic, numeric: the entry with the
    largest |a − n| and its two values (None when no entry was compared); checked: how many
    entries were compared ("direction" in fast mode); kinks: entries left out because their
    step crossed a kink of a layer's derivative; unreliable: entries left out because their
    numeric estimate is noise (two step sizes disagree), and noise, the largest error
    estimated among them; coarse: entries judged with a coarser step because the step
    eps is noise there (their error at that step is far below the difference found), and
    coarse_step, that step; note: why the verdict is what it is, when that
    needs saying ("unreliable": no entry could be judged).
    """

    name: str
    shape: tuple[int, ...]
    rel_error: float
    ok: bool
    worst_index: tuple[int, ...] | None = None
    analytic: float | None = None
    numeric: float | None = None
    checked: int | str = 0
    kinks: int = 0
    note: str = ""
    unreliable: int = 0
    noise: float = 0.0
    coarse: int = 0
    coarse_step: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(self.shape))

    def __repr__(self) -> str:
        return (f"ParamCheck({self.name!r}, shape={self.shape}, rel_error={self.rel_error:.3g}, "
                f"ok={self.ok}, worst_index={self.worst_index})")


@dataclass(frozen=True)
class GradcheckReport:
    """What a gradient check found. ``print(report)`` shows it as a table.

    ok: every parameter right and nothing found. params: ParamCheck per parameter, in layer
    order (``report["W1"]`` picks one). findings: the Finding list. first_wrong_layer and
    location: going backward from the output, the first layer with a wrong gradient, and a
    sentence pointing at the backward step to look at (None when all are right). mode, eps,
    tol, cost: how it was checked and the cost J at the point checked (objective: what J is
    called in the heading). kinks, unreliable: how many entries were left out at a kink, and
    because their numeric estimate is noise. remarks: what the reader should know that is
    not a mistake (a dropout mask frozen for the check, inputs whose gradient backward does
    not return and which are therefore not checked). precision: the floating type the
    checked code computes in ("float32" code is judged with float32's step and tolerance).

    Invariant (checked at construction, a ValueError otherwise): a parameter judged wrong
    always has a finding that makes it wrong (one about it, or one about the whole check),
    so that no verdict says "wrong" without saying why.
    """

    params: list[ParamCheck]
    findings: list[Finding]
    mode: str
    eps: float
    tol: float
    cost: float
    first_wrong_layer: int | None = None
    location: str | None = None
    objective: str = "cost J"
    remarks: tuple[str, ...] = ()
    precision: str = "float64"

    def __post_init__(self) -> None:
        object.__setattr__(self, "remarks", tuple(self.remarks))
        about = {f.param for f in self.findings}
        unexplained = [p.name for p in self.params
                       if not p.ok and p.note not in ("not checked", "unreliable")
                       and p.name not in about and None not in about]
        if unexplained:
            raise ValueError(f"a gradient check's report judges {', '.join(unexplained)} "
                             f"wrong without a finding that says why")

    @property
    def ok(self) -> bool:
        return not self.findings and all(p.ok for p in self.params)

    @property
    def kinks(self) -> int:
        return sum(p.kinks for p in self.params)

    @property
    def unreliable(self) -> int:
        return sum(p.unreliable for p in self.params)

    def __getitem__(self, name: str) -> ParamCheck:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"no parameter {name!r}; checked: {[p.name for p in self.params]}")

    def __repr__(self) -> str:
        return (f"GradcheckReport(ok={self.ok}, mode={self.mode!r}, "
                f"findings={[(f.kind, f.param) for f in self.findings]})")

    def heading(self) -> str:
        """How the check was made: mode, eps, tol and the cost at the point checked."""
        described = {"full": "every entry", "sample": "sampled entries",
                     "fast": "one random direction per array"}[self.mode]
        heading = (f"Gradient check, mode {self.mode} ({described}), eps={self.eps:g}, "
                   f"tol={self.tol:g}, {self.objective} = {self.cost:.6g}")
        if self.precision != "float64":
            heading += (f"; the code checked computes in {self.precision}, so it is judged "
                        f"with {self.precision}'s step and tolerance")
        return heading

    def table_rows(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """(header, rows): one row of strings per parameter, as the table shows them."""
        header = ("parameter", "shape", "checked", "rel. error", "worst entry", "analytic",
                  "numeric", "verdict")
        rows: list[tuple[str, ...]] = []
        for p in self.params:
            worst = ("-" if p.worst_index is None else
                     "[" + ", ".join(map(str, p.worst_index)) + "]")
            rows.append((p.name, str(p.shape), str(p.checked),
                         "-" if np.isnan(p.rel_error) else f"{p.rel_error:.1e}", worst,
                         "-" if p.analytic is None else f"{p.analytic:.6g}",
                         "-" if p.numeric is None else f"{p.numeric:.6g}",
                         _verdict(p, self.findings)))
        return header, rows

    def notes(self) -> list[str]:
        """The paragraphs after the findings: where to look, the entries at a kink and the
        unreliable ones."""
        notes = list(self.remarks)
        if self.location:
            notes.append("Where: " + self.location)
        if self.kinks:
            notes.append(f"{self.kinks} entries sit at a kink: their ±eps step crosses a point "
                         f"where the slope jumps (a ReLU's 0), so the central difference "
                         f"averages two slopes; they are left out of the verdict.")
        if any(p.coarse for p in self.params):
            notes.append(self._coarse_note())
        if self.unreliable:
            notes.append(self._unreliable_note())
        return notes

    def __str__(self) -> str:
        header, rows = self.table_rows()
        rows = [header, *rows]
        lines = [self.heading()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        right = {2, 3, 5, 6}
        for r in rows:
            lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if self.findings:
            lines.append("")
            lines.append("Findings:")
            for f in self.findings:
                lines.append(textwrap.fill(str(f), 100, initial_indent="- ",
                                           subsequent_indent="  "))
        for note in self.notes():
            lines.append("")
            indent = "  " if note.startswith("Where: ") else ""
            lines.append(textwrap.fill(note, 100, subsequent_indent=indent))
        lines.append("")
        lines.append("Result: " + self.result())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..display.html import gradcheck_html
        return gradcheck_html(self)

    def _coarse_note(self) -> str:
        parts = [f"{p.coarse} of {int(np.prod(p.shape))} entries of {p.name}"
                 for p in self.params if p.coarse]
        step = max(p.coarse_step for p in self.params)
        note = (f"Coarser steps: {join(parts)} are judged with central differences of step "
                f"{step:g}, because with eps the cost loses precision there and the "
                f"estimate is noise; at the coarser step it settles, and its error, measured "
                f"against the neighbouring steps, is far below the difference from the "
                f"analytic value.")
        # the cause is told once, after the entries no step could judge when there are some
        return note if self.unreliable else note + " " + _SATURATION

    def _unreliable_note(self) -> str:
        parts = [(f"all {p.unreliable}" if p.note == "unreliable" else
                  f"{p.unreliable} of {int(np.prod(p.shape))}") + f" entries of {p.name}"
                 for p in self.params if p.unreliable]
        rounding = np.finfo(np.float64).eps * abs(self.cost)
        error = max(p.noise for p in self.params) * self.eps
        return (f"Unreliable: {join(parts)} are left out of the verdict and of the patterns, "
                f"because their numeric estimate is noise: central differences with steps "
                f"eps and eps/10 disagree far more than float64 rounding explains. The cost "
                f"itself loses precision near these parameters: its rounding error reaches "
                f"about {error:.1g}, where float64's would be {rounding:.1g}. " + _SATURATION)

    def result(self) -> str:
        """The verdict in one line: OK, NOT CHECKED, NOT OK or WRONG, and how many."""
        if self.ok:
            return "OK, every gradient matches."
        findings = f"{len(self.findings)} finding{'s' if len(self.findings) != 1 else ''}"
        if all(p.note == "not checked" for p in self.params):
            return f"NOT CHECKED, see the {findings} above."
        unjudged = sum(p.note == "unreliable" for p in self.params)
        wrong = sum(not p.ok for p in self.params) - unjudged
        tail = f"; {unjudged} not judged (numeric estimate unreliable)" if unjudged else ""
        if not wrong and not self.findings:
            return f"NOT CHECKED: {unjudged} of {len(self.params)} gradients not judged."
        if not wrong:
            return f"NOT OK: every gradient matches, but see the {findings} above{tail}."
        return f"WRONG, {wrong} of {len(self.params)} gradients wrong ({findings}){tail}."


_SATURATION = (
    "The usual cause is log(1 − A) or log(A) of a sigmoid output A within 1e-12 of 1 or 0 (a "
    "large |z|): 1 − A keeps only a few significant digits. Compute the cross-entropy from Z "
    "(log σ(z) = −np.logaddexp(0, −z), log(1 − σ(z)) = −np.logaddexp(0, z)), or keep the "
    "output out of saturation (scale the inputs, initialise the weights small).")


def _verdict(p: ParamCheck, findings: list[Finding]) -> str:
    kinds = [f.kind for f in findings if f.param == p.name]
    if p.note in ("not checked", "unreliable"):
        return "not judged (unreliable)" if p.note == "unreliable" else p.note
    if p.ok:
        verdict = "ok"
        if p.note:
            verdict += f" ({p.note})"
    else:
        verdict = "WRONG" + (": " + ", ".join(kinds) if kinds else "")
        if p.note and not (p.note == "wrong shape" and "shape" in kinds):
            verdict += f" ({p.note})"
    if p.kinks:
        verdict += f", {p.kinks} at a kink"
    return verdict


def localise(problem: Problem, rows: Sequence[ParamCheck]) -> tuple[int | None, str | None]:
    """Going backward from the output, the first layer with a wrong gradient, and where in
    backprop to look for the mistake."""
    layers: dict[int, list[ParamCheck]] = {}
    for row in rows:
        key = problem.layer_key(row.name)
        if key is None:
            return None, None
        layers.setdefault(key, []).append(row)
    wrong = sorted((k for k, group in layers.items()
                    if not all(r.ok or r.note == "unreliable" for r in group)), reverse=True)
    if not wrong:
        return None, None
    k, top = wrong[0], max(layers)
    bad = [r.name for r in layers[k] if not r.ok and r.note != "unreliable"]
    good = [r.name for r in layers[k] if r.ok]
    # layers none of whose entries could be judged say nothing about where the error starts
    below = [j for j in layers
             if j < k and not all(r.note == "unreliable" for r in layers[j])]
    above = [problem.layer_label(j) for j in sorted(layers, reverse=True) if j > k]
    if above:
        start = (f"Going backward from the output, {join(above)} "
                 f"{'is' if len(above) == 1 else 'are'} right and {problem.layer_label(k)} is "
                 f"the first with wrong gradients. ")
    else:
        start = (f"Going backward from the output, the first wrong gradients are already those "
                 f"of the output layer, {problem.layer_label(k)}. ")
    if good:
        return k, start + (f"{join(good)} {'is' if len(good) == 1 else 'are'} right, so the "
                           f"error signal dZ of this layer is right and the mistake is in the "
                           f"formula of {join(problem.grad_names[n] for n in bad)} alone. "
                           + problem.param_formula(k))
    if below and not any(j in wrong for j in below):
        return k, start + ("The layers below are right, so the error signal dZ of this layer "
                           "is right and the mistake is in how its parameter gradients are "
                           "formed from it. " + problem.param_formula(k))
    if k == top:
        return k, start + problem.output_step(k) + (
            " Fix it first: the layers below may only inherit the error." if below else "")
    return k, start + problem.activation_step(k)


def join(names: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
