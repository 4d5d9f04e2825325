"""The tutorial notebooks in docs/notebooks run in a real Jupyter kernel (nbclient), without
an error cell, and show what their text says they show."""
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "docs" / "notebooks"


def execute(name, data_dir, monkeypatch):
    """The notebook after running every cell in a fresh kernel (which inherits this
    process's environment: the data folder, this checkout first on the path, one BLAS
    thread); ``name`` is a file in docs/notebooks or a notebook object."""
    monkeypatch.setenv("VERIGRAD_DATA", str(data_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, "1")
    notebook = (nbformat.read(NOTEBOOKS / name, as_version=4) if isinstance(name, str)
                else name)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    return [c for c in notebook.cells if c.cell_type == "code"]


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def html_of(cell):
    return "".join(o.data["text/html"] for o in cell.outputs
                   if o.output_type in ("display_data", "execute_result")
                   and "text/html" in o.get("data", {}))


class Rows(HTMLParser):
    """The text of each table row, and of each row or list item marked class="vg-wrong" /
    class="vg-finding"."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.wrong, self.findings, self._open = [], [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("tr", "li"):
            self._open.append([tag, dict(attrs).get("class", ""), []])

    def handle_endtag(self, tag):
        if tag in ("tr", "li") and self._open:
            _, cls, parts = self._open.pop()
            text = " ".join(p.strip() for p in parts if p.strip())
            (self.rows if tag == "tr" else []).append(text)
            if "vg-wrong" in cls:
                self.wrong.append(text)
            if "vg-finding" in cls:
                self.findings.append(text)

    def handle_data(self, data):
        for entry in self._open:
            entry[2].append(data)


def needs(data_dir, *parts):
    path = data_dir.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found")


def test_mnist_mlp_notebook_trains_with_live_curves(data_dir, monkeypatch):
    needs(data_dir, "mnist")
    cells = execute("mnist_mlp.ipynb", data_dir, monkeypatch)
    model_cell, fit_cell, history_cell, test_cell = cells[1], cells[2], cells[3], cells[4]
    table = Rows(html_of(model_cell))
    assert any("Dense(n_in=784, n_out=128" in row and "100,480" in row for row in table.rows)
    # the live plot drew into one output: 3 times inside each of the 4 epochs (every 50 of
    # 157 steps) and once at each epoch's end; its last drawing is the final state
    drawings = int(re.search(r"(\d+) drawings", text_of(fit_cell)).group(1))
    assert drawings == 4 * 3 + 4
    live = [o for o in fit_cell.outputs if o.output_type == "display_data"]
    assert len(live) == 1 and "<svg" in live[0].data["text/html"]
    assert "4 epochs" in live[0].data["text/html"]
    assert "<svg" in html_of(history_cell) and "validation accuracy" in html_of(history_cell)
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", text_of(test_cell)).group(1))
    assert 93.0 <= accuracy <= 97.5


def test_find_the_bug_notebook_names_the_planted_bug(monkeypatch, tmp_path):
    cells = execute("find_the_bug.ipynb", tmp_path, monkeypatch)
    report = Rows(html_of(cells[2]))
    assert [row.split()[0] for row in report.wrong] == ["W1"]
    assert any("W1 (scale)" in f and "a 1/m is missing" in f for f in report.findings)
    assert text_of(cells[3]).strip() == "False ['scale in W1']"
    layer = Rows(html_of(cells[4]))
    assert [row.split()[0] for row in layer.wrong] == ["x"]
    assert text_of(cells[5]).strip() == "False ['mismatch in x']"


def test_cbow_notebook_trains_the_course_model(data_dir, monkeypatch):
    needs(data_dir, "text", "shakespeare.txt")
    cells = execute("cbow.ipynb", data_dir, monkeypatch)
    first, last = map(float, re.search(r"first batch ([\d.]+), last ten ([\d.]+)",
                                       text_of(cells[2])).groups())
    assert last < first - 1.0
    assert len(text_of(cells[3]).splitlines()) == 10
    assert any("image/png" in o.get("data", {}) for o in cells[4].outputs)


def test_fit_live_draws_in_a_kernel_instead_of_the_progress_bars(monkeypatch, tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import verigrad as vg\n"
        "X, y = vg.data.make_moons(600, seed=0)\n"
        "history = vg.mlp([2, 16, 2]).fit(X, y, epochs=3, batch_size=32, live=True)\n"
        "print(history.epochs)")])
    [cell] = execute(notebook, tmp_path, monkeypatch)
    live = [o for o in cell.outputs if o.output_type == "display_data"]
    assert len(live) == 1 and "<svg" in live[0].data["text/html"]
    assert "3 epochs" in live[0].data["text/html"]
    # no progress bar: the only stream is the print
    assert [(o.name, o.text) for o in cell.outputs if o.output_type == "stream"] == [
        ("stdout", "3\n")]
