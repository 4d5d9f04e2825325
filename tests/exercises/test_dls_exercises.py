"""The Deep Learning Specialization's exercises beyond the backward ones (course 1 weeks 2-4,
course 2 weeks 1-2): correct code of the notebooks' other versions and styles passes, and a
course notebook is checked end to end by ``verigrad check``."""
import json
from pathlib import Path

import pytest

from verigrad.cli import main

from . import (
    learners_gradient_checking,
    learners_initialization,
    learners_logistic,
    learners_optimization,
    learners_shallow,
)
from .checks import run, with_helpers

FIXTURES = Path(__file__).parent / "fixtures"
MODULES = [learners_logistic, learners_shallow, learners_initialization,
           learners_gradient_checking, learners_optimization]


@pytest.mark.parametrize("learners, name, function",
                         [(m, name, f) for m in MODULES for name, f in m.OTHER_CORRECT],
                         ids=[f.__name__ for m in MODULES for _, f in m.OTHER_CORRECT])
def test_other_versions_and_styles_pass(learners, name, function):
    result = run({**with_helpers(learners), name: function})[name]
    assert result.ok is True, (result.config, result.summary())


def _check(path, tmp_path):
    out = tmp_path / "results.json"
    code = main(["check", str(path), "--json", str(out)])
    return code, {f["name"]: f for f in json.loads(out.read_text())["functions"]}


def test_the_optimization_notebook_is_right_end_to_end(tmp_path, capsys):
    code, functions = _check(FIXTURES / "optimization_methods.ipynb", tmp_path)
    assert code == 0
    assert sorted(functions) == sorted(learners_optimization.CORRECT)
    assert all(f["ok"] for f in functions.values())
    assert "opt_utils_v1a" in capsys.readouterr().out  # the missing helper is noted


def test_a_bias_correction_without_t_in_the_notebook_is_named(tmp_path):
    notebook = (FIXTURES / "optimization_methods.ipynb").read_text()
    wrong = notebook.replace("(1 - beta1 ** t)", "(1 - beta1)")
    assert wrong != notebook
    (tmp_path / "nb.ipynb").write_text(wrong)
    code, functions = _check(tmp_path / "nb.ipynb", tmp_path)
    assert code == 1
    adam = functions.pop("update_parameters_with_adam")
    assert adam["findings"][0]["kind"] == "bias_correction"
    assert "step 2" in adam["config"]  # at t = 1 the two corrections agree
    assert all(f["ok"] for f in functions.values())


PLANAR_UTILS = '''import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def plot_decision_boundary(model, X, y):
    raise RuntimeError("not in the check")


load_planar_dataset = load_extra_datasets = plot_decision_boundary
'''


def test_the_older_planar_notebook_is_right_beside_its_helper_file(tmp_path):
    notebook = tmp_path / "planar.ipynb"
    notebook.write_text((FIXTURES / "planar_one_hidden_layer.ipynb").read_text())
    (tmp_path / "planar_utils.py").write_text(PLANAR_UTILS)
    code, functions = _check(notebook, tmp_path)
    assert code == 0, functions
    assert sorted(functions) == sorted(learners_shallow.CORRECT)
    # compute_cost(A2, Y, parameters) and update_parameters(..., learning_rate=1.2) of two
    # named layers are this older notebook's, and right
    assert "two-layer network" in functions["update_parameters"]["exercise"]


def test_a_relu_hidden_layer_in_the_planar_notebook_is_named(tmp_path):
    notebook = tmp_path / "planar.ipynb"
    text = (FIXTURES / "planar_one_hidden_layer.ipynb").read_text()
    notebook.write_text(text.replace("A1 = np.tanh(Z1)", "A1 = np.maximum(0, Z1)"))
    (tmp_path / "planar_utils.py").write_text(PLANAR_UTILS)
    code, functions = _check(notebook, tmp_path)
    assert code == 1
    assert functions["forward_propagation"]["findings"][0]["kind"] == "activation"
    # predict is checked with a correct forward in place of the file's: its verdict is its own
    assert functions["predict"]["ok"] is True
    assert functions["backward_propagation"]["ok"] is True
