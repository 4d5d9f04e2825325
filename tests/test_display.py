"""What Jupyter shows: the HTML of the reports (parsed, with the wrong parameter's row and the
finding's sentence in it), self-contained and theme-neutral; the plain reprs unchanged; the
SVG curves well formed with their spikes marked; LivePlot silent outside a kernel."""
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

import verigrad as vg
from verigrad.data import check_leakage
from verigrad.diagnostics import Monitor, describe_spikes
from verigrad.display.svg import curves_svg


class Parsed(HTMLParser):
    """Text of every table row and list item, which ones are marked vg-wrong / vg-finding /
    vg-warning, the cells marked vg-wrong, and every tag with its attributes."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.items, self.marked, self.tags, self._open = [], [], {}, [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("tr", "li", "td"):
            self._open.append([tag, attrs.get("class") or "", []])

    def handle_endtag(self, tag):
        if tag in ("tr", "li", "td") and self._open:
            kind, cls, parts = self._open.pop()
            text = " ".join(p.strip() for p in parts if p.strip())
            {"tr": self.rows, "li": self.items}.get(kind, []).append(text)
            for name in cls.split():
                self.marked.setdefault(name, []).append(text)

    def handle_data(self, data):
        for entry in self._open:
            entry[2].append(data)


def assert_self_contained(html):
    """No script, stylesheet, external reference or fixed text colour: it shows the same
    offline and takes the page's colours (light or dark theme)."""
    lowered = html.lower()
    for banned in ("<script", "<link", "<style", "<img", "@import", "url(", "href=", "src=",
                   "javascript:"):
        assert banned not in lowered, banned
    # the only address is the SVG namespace, which names and fetches nothing
    assert set(re.findall(r"https?://[^\"' ]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"(?<![-\w])color:\s*(#|rgb|black|white)", lowered)


def wrong_tanh_net():
    """A learner's tanh network whose dW1 misses the 1/m (m = 20)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 20))
    Y = np.sin(X[:1])
    params = {"W1": 0.5 * rng.normal(size=(4, 3)), "b1": np.zeros((4, 1)),
              "W2": 0.5 * rng.normal(size=(1, 4)), "b2": np.zeros((1, 1))}

    def forward(p):
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        return A1, p["W2"] @ A1 + p["b2"]

    def cost(p):
        return float(np.sum((forward(p)[1] - Y) ** 2) / 40)

    def grads(p):
        A1, Y_hat = forward(p)
        dY = Y_hat - Y
        dZ1 = (p["W2"].T @ dY) * (1 - A1 ** 2)
        return {"dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True) / 20,
                "dW2": dY @ A1.T / 20, "db2": dY.sum(axis=1, keepdims=True) / 20}

    return cost, grads, params


def test_gradcheck_report_html_highlights_the_wrong_row_and_says_the_finding():
    report = vg.check_backprop(*wrong_tanh_net())
    html = report._repr_html_()
    assert_self_contained(html)
    page = Parsed(html)
    assert [row.split()[0] for row in page.marked["vg-wrong"]] == ["W1"]
    assert page.rows[0].split()[:2] == ["parameter", "shape"]
    assert [row.split()[0] for row in page.rows[1:]] == ["W1", "b1", "W2", "b2"]
    [finding] = report.findings
    assert finding.kind == "scale" and finding.param == "W1"
    [item] = page.marked["vg-finding"]
    assert item.startswith("W1 (scale)") and item.endswith(finding.message)
    assert "a 1/m is missing" in finding.message
    assert "Result: WRONG, 1 of 4 gradients wrong (1 finding)." in html
    assert "Where: Going backward from the output" in html
    # the plain text is the text table, and repr stays the one-line summary
    assert str(report).splitlines()[1].split() == ["parameter", "shape", "checked", "rel.",
                                                   "error", "worst", "entry", "analytic",
                                                   "numeric", "verdict"]
    assert repr(report).startswith("GradcheckReport(ok=False, mode='full', findings=[(")


def test_gradcheck_report_of_a_right_model_has_no_highlight():
    model = vg.mlp([3, 4, 2], dtype="float64", seed=1)
    rng = np.random.default_rng(1)
    report = vg.gradcheck(model, rng.normal(size=(3, 5)), rng.integers(0, 2, 5))
    page = Parsed(report._repr_html_())
    assert report.ok and "vg-wrong" not in page.marked and "vg-finding" not in page.marked
    assert "Result: OK, every gradient matches." in report._repr_html_()


def test_sequential_html_is_a_layer_table_with_shapes_and_counts():
    model = vg.mlp([784, 128, 10], seed=0)
    html = model._repr_html_()
    assert_self_contained(html)
    rows = Parsed(html).rows
    assert rows[0] == "# layer outputs parameters"
    assert rows[1] == "0 Dense(n_in=784, n_out=128, init='he') (128, m) 100,480"
    assert rows[2] == "1 ReLU() (128, m) 0"
    assert rows[3] == "2 Dense(n_in=128, n_out=10, init='he') (10, m) 1,290"
    assert "parameters: 101,770" in html and "SoftmaxCrossEntropy()" in html
    assert repr(model).startswith("Sequential([Dense(n_in=784, n_out=128")
    assert model.summary().splitlines()[1].split()[-1] == "100,480"


def test_the_text_summary_keeps_its_columns_aligned_past_long_layer_reprs():
    model = vg.cnn("two-conv")
    table = model.summary().splitlines()[:-1]
    conv = "Conv2D(in_channels=32, out_channels=64, kernel_size=3, stride=1, padding=0, init='he')"
    assert table[3].startswith(f" 2  {conv}  ")
    # outputs and params end in the same columns on every line, header included
    ends = {(line.index(shape) + len(shape), len(line))
            for line, shape in zip(table, ["outputs", "(32, 26, 26, m)", "(32, 26, 26, m)",
                                           "(64, 24, 24, m)", "(64, 24, 24, m)",
                                           "(64, 12, 12, m)", "(64, 12, 12, m)", "(9216, m)",
                                           "(128, m)", "(128, m)", "(128, m)", "(10, m)"])}
    assert len(ends) == 1, table


def spiky_history(n=400, per_epoch=10, spikes=(50, 120, 300)):
    rng = np.random.default_rng(0)
    cost = (2.0 * np.exp(-np.arange(n) / 80) + 0.1) * (1 + 0.01 * rng.standard_normal(n))
    cost[list(spikes)] *= 1.5
    history = vg.History(batch_size=32, steps_per_epoch=per_epoch)
    history.step_cost = list(cost)
    epochs = n // per_epoch
    history.lr = [0.1] * epochs
    history.cost = [float(cost[e * per_epoch:(e + 1) * per_epoch].mean()) for e in range(epochs)]
    history.accuracy = list(np.linspace(0.5, 0.9, epochs))
    history.val_cost = [c * 1.1 for c in history.cost]
    history.val_accuracy = list(np.linspace(0.45, 0.85, epochs))
    return history


def test_history_html_draws_the_curves_and_marks_each_spike():
    history = spiky_history()
    html = history._repr_html_()
    assert_self_contained(html)
    svg = ET.fromstring(re.search(r"<svg.*</svg>", html, re.S).group(0))
    ns = "{http://www.w3.org/2000/svg}"
    spikes = [c for c in svg.iter(ns + "circle") if c.get("class") == "spike"]
    assert len(spikes) == len(history.spikes()) == 3
    # the rings sit at the spikes' steps: x = LEFT + width·(step / steps per epoch) / epochs
    xs = sorted(float(c.get("cx")) for c in spikes)
    assert xs == pytest.approx([46 + 244 * s / 10 / 40 for s in (51, 121, 301)], abs=0.06)
    texts = [t.text for t in svg.iter(ns + "text")]
    assert "cost" in texts and "accuracy" in texts and "spike" in texts
    # the per-step line (binned to at most 300 points), epoch dots and validation squares
    lines = list(svg.iter(ns + "polyline"))
    assert max(len(p.get("points").split()) for p in lines) == 300
    items = Parsed(html).marked["vg-spikes"]
    assert items == [line.strip() for line in describe_spikes(history).splitlines()]
    assert "40 epochs · cost" in html and "validation accuracy 85.00%" in html
    assert repr(history).startswith("History(epochs=40, last=")


def test_curves_of_a_regression_run_have_one_panel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 64))
    model = vg.Sequential([vg.Dense(2, 1)], loss=vg.MSE(), dtype="float64")
    history = model.fit(X, X[:1] * 2, epochs=3, batch_size=16, verbose=0)
    svg = ET.fromstring(curves_svg(history))
    assert svg.get("width") == "300"
    assert "accuracy" not in [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]


def test_monitor_html_flags_dead_units_and_gives_the_warning():
    X, y = vg.data.make_moons(500, seed=0)
    model = vg.mlp([2, 32, 2], seed=0)
    model.params["b1"] = np.full((32, 1), -20.0)
    monitor = Monitor(verbose=0)
    with pytest.warns(vg.TrainingWarning):
        model.fit(X, y, epochs=2, callbacks=[monitor], verbose=0)
    html = monitor._repr_html_()
    assert_self_contained(html)
    page = Parsed(html)
    # the dead column of layer 0 in epochs 1 and 2, and update ratios outside 1e-5..1e-1
    flagged = page.marked["vg-wrong"]
    assert flagged.count("100%") == 2
    assert all(not 1e-5 <= float(cell) <= 1e-1 for cell in flagged if cell != "100%")
    dead = [w for w in monitor.warnings if "dead" in w]
    assert dead and dead[0] in page.marked["vg-warning"]
    assert monitor.table().splitlines()[0].split()[:3] == ["epoch", "layer", "act"]


def test_leakage_html_flags_the_leaked_kinds():
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((20, 300)).astype(np.float32)
    X_test = rng.standard_normal((20, 100)).astype(np.float32)
    X_test[:, 3] = X_train[:, 5]
    report = check_leakage(X_train, X_test)
    html = report._repr_html_()
    assert_self_contained(html)
    page = Parsed(html)
    assert page.marked["vg-wrong"] == ["exact duplicates 1 1"]
    assert "train 5 = test 3" in html and "1.00% of the test set is (nearly) in the " in html
    clean = check_leakage(X_train, X_test[:, 4:])
    assert "vg-wrong" not in Parsed(clean._repr_html_()).marked
    assert "No test example is (nearly) in the training set." in clean._repr_html_()


def test_live_plot_is_silent_outside_a_notebook(capsys):
    X, y = vg.data.make_moons(200, seed=0)
    plot = vg.LivePlot(every=1)
    assert not plot.active
    vg.mlp([2, 8, 2]).fit(X, y, epochs=2, callbacks=[plot], verbose=0)
    vg.mlp([2, 8, 2]).fit(X, y, epochs=2, verbose=0, live=True)
    assert plot.drawings == 0
    assert capsys.readouterr() == ("", "")
    with pytest.raises(ValueError, match="every must be a positive int"):
        vg.LivePlot(every=0)
