"""The HTML that Jupyter shows for verigrad's objects (their ``_repr_html_``): the gradient
check's report, a ``Sequential``'s layer table, a ``History``'s curves, the Monitor's
per-layer table and the leakage report.

Each is one self-contained block: inline styles only (no stylesheet, no script, nothing
fetched), text in the page's own colour, lines and highlights semi-transparent, so that it
reads in light and dark themes alike. Rows or cells that need attention get a translucent
red background and ``class="vg-wrong"``; findings are sentences in a list.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from .svg import curves_svg

if TYPE_CHECKING:
    from ..callbacks import History
    from ..diagnostics.leakage import LeakageReport
    from ..diagnostics.monitor import Monitor
    from ..gradcheck.report import GradcheckReport
    from ..model import Sequential

WRONG = "background: rgba(239, 68, 68, 0.22);"
BLOCK = ("font-family: var(--jp-content-font-family, sans-serif); font-size: 13px; "
         "color: inherit; max-width: 100%; overflow-x: auto;")
CELL = "padding: 2px 8px; border-bottom: 1px solid rgba(128, 128, 128, 0.35); "


def block(title: str, *parts: str) -> str:
    """A titled block of HTML parts."""
    return (f'<div class="verigrad" style="{BLOCK}"><div style="font-weight: bold; '
            f'margin-bottom: 4px;">{escape(title)}</div>{"".join(parts)}</div>')


def table(header: Sequence[object], rows: Iterable[Sequence[object]],
          wrong_rows: Collection[int] = (), wrong_cells: Collection[tuple[int, int]] = (),
          right: Collection[int] = ()) -> str:
    """A table of strings. wrong_rows: indices of rows to highlight; wrong_cells: (row,
    column) pairs to highlight; right: columns aligned right (numbers)."""
    def cell(tag: str, text: object, i: int, j: int) -> str:
        style = CELL + ("text-align: right; " if j in right else "text-align: left; ")
        cls = ""
        if (i, j) in wrong_cells:
            style += WRONG
            cls = ' class="vg-wrong"'
        return f'<{tag}{cls} style="{style}">{escape(str(text))}</{tag}>'

    head = "".join(cell("th", h, -1, j) for j, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        attrs = f' class="vg-wrong" style="{WRONG}"' if i in wrong_rows else ""
        body.append(f"<tr{attrs}>" + "".join(cell("td", c, i, j) for j, c in enumerate(row))
                    + "</tr>")
    return (f'<table style="border-collapse: collapse; margin: 4px 0; color: inherit; '
            f'background: transparent;"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def paragraph(text: str, strong: bool = False) -> str:
    text = escape(text)
    return f'<p style="margin: 4px 0;">{f"<strong>{text}</strong>" if strong else text}</p>'


def sentences(items: Iterable[tuple[str | None, str]], css_class: str = "vg-finding") -> str:
    """A bulleted list of (label or None, sentence) pairs."""
    out = []
    for label, text in items:
        head = f"<strong>{escape(label)}</strong>: " if label else ""
        out.append(f'<li class="{css_class}" style="margin: 2px 0;">{head}{escape(text)}</li>')
    return f'<ul style="margin: 4px 0; padding-left: 20px;">{"".join(out)}</ul>'


def gradcheck_html(report: GradcheckReport) -> str:
    """The gradient check's table, wrong parameters highlighted, then the findings, where to
    look, the kinks and the result."""
    header, rows = report.table_rows()
    wrong = {i for i, row in enumerate(rows) if row[-1].startswith("WRONG")}
    parts = [paragraph(report.heading()),
             table(header, rows, wrong_rows=wrong, right={2, 3, 5, 6})]
    if report.findings:
        parts.append(sentences([(f"{f.param or 'check'} ({f.kind})", f.message)
                                for f in report.findings]))
    for note in report.notes():
        parts.append(paragraph(note))
    parts.append(paragraph("Result: " + report.result(), strong=True))
    return block("Gradient check", *parts)


def sequential_html(model: Sequential) -> str:
    """The layer table of ``Sequential.summary`` with the loss, l2, dtype and total."""
    rows, total = model.summary_rows()
    footer = (f"loss: {model.loss!r} · l2: {model.l2:g} · dtype: {model.dtype.name} · "
              f"parameters: {total:,}")
    return block("Sequential", table(("#", "layer", "outputs", "parameters"), rows,
                                     right={0, 3}), paragraph(footer))


def history_html(history: History) -> str:
    """The curves of a run, its last values and what its spikes mean."""
    from ..diagnostics.curves import describe_spikes

    if not history.step_cost and not history.cost:
        return block("History", paragraph("no epochs yet"))
    parts = [paragraph(summary_line(history)), curves_svg(history)]
    if len(history.step_cost) >= 4:
        lines = describe_spikes(history).splitlines()
        parts.append(sentences([(None, line.strip()) for line in lines], "vg-spikes"))
    return block("History", *parts)


def summary_line(history: History) -> str:
    """'5 epochs · cost 0.3142 · accuracy 91.xx% · validation ...' from the last epoch."""
    parts = [f"{history.epochs} epoch{'s' if history.epochs != 1 else ''}"]
    series: list[tuple[str, Sequence[float | None], bool]] = [
        ("cost", history.cost, False), ("accuracy", history.accuracy, True),
        ("validation cost", history.val_cost, False),
        ("validation accuracy", history.val_accuracy, True)]
    for name, values, percent in series:
        if values and values[-1] is not None:
            parts.append(f"{name} {values[-1]:.2%}" if percent else f"{name} {values[-1]:.4g}")
    return " · ".join(parts)


def monitor_html(monitor: Monitor) -> str:
    """The Monitor's table, out-of-range cells highlighted, and its warnings as sentences."""
    header, rows, flagged = monitor.table_cells()
    parts = [table(header, rows, wrong_cells=flagged, right=set(range(2, len(header))))]
    if monitor.time_records:
        header, rows = monitor.time_cells()
        parts.append(table(header, rows, right={2, 3, 4}))
    if monitor.warnings:
        parts.append(sentences([(None, w) for w in monitor.warnings], "vg-warning"))
    else:
        parts.append(paragraph("No warnings: every layer stayed in its healthy range."))
    return block("Monitor: per-layer statistics", *parts)


def leakage_html(report: LeakageReport) -> str:
    """The leakage counts, a few pairs, and what to do when the test set leaked."""
    rows = [("exact duplicates", report.n_exact, len(report.exact_pairs)),
            ("near duplicates", report.n_near, len(report.near_pairs))]
    wrong = {i for i, row in enumerate(rows) if row[1]}
    parts = [paragraph(f"{report.n_test} test examples against {report.n_train} training "
                       f"examples; near: 0 < ‖x_test − x_train‖ ≤ {report.tol:g}·‖x_test‖"
                       + ("" if report.decimals is None else
                          f"; rounded to {report.decimals} decimals")),
             table(("kind", "test examples", "pairs"), rows, wrong_rows=wrong, right={1, 2})]
    examples = report.examples()
    if examples:
        parts.append(paragraph("e.g. " + ", ".join(examples)))
    parts.append(paragraph(report.advice(), strong=bool(report.n_leaked)))
    return block("Leakage check", *parts)
