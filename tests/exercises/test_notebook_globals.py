"""A function that computes with a notebook's variable where its argument belongs (issue 23
§4): named with the global and its line, from the names the code reads and the output that
ignores the argument, through check_functions and through `verigrad check`; never said of a
right function, nor of a wrong one whose output follows its arguments."""
import json
from pathlib import Path

import numpy as np
import pytest

from verigrad.cli import main
from verigrad.exercises.notebook_globals import globals_read

from . import learners_globals as learners
from .checks import flagged, run

FIXTURES = Path(__file__).parent / "fixtures"
THRESHOLD = 0.5


def test_the_global_names_a_function_reads_come_with_their_first_line():
    def uses(X):
        first = np.tanh(X) > THRESHOLD
        return [v * THRESHOLD for v in first] + [missing_name]  # noqa: F821

    line = uses.__code__.co_firstlineno
    assert globals_read(uses) == {"np": line + 1, "THRESHOLD": line + 1,
                                  "missing_name": line + 2}


@pytest.mark.parametrize("name, function", [(m[0], m[1]) for m in learners.MISTAKES],
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_a_notebook_global_read_for_an_argument_is_named_with_its_line(name, function):
    result = flagged(learners.CORRECT, name, function)
    first = result.findings[0]
    global_, read = learners.READS[function]
    assert first.kind == "notebook_global" and first.param == global_, result.findings
    assert f"where it should read {read}" in first.message
    line = globals_read(function)[global_]
    assert result.line == line and f"(line {line})" in first.message
    # the right functions beside the same globals are right
    assert run(learners.CORRECT)[name].ok is True


def test_a_wrong_function_whose_output_follows_its_arguments_is_not_said_to_read_a_global():
    # it reads the notebook's W1 (in an assert), but computes with parameters["W1"]: its
    # mistake is its own
    function = learners.forward_propagation_no_bias
    result = flagged(learners.CORRECT, "forward_propagation", function)
    assert "W1" in globals_read(function)
    assert [f.kind for f in result.findings][:1] == ["bias"], result.findings


def test_verigrad_check_names_the_notebooks_global(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = main(["check", str(FIXTURES / "dls_c1w3_notebook_global.ipynb"), "--json", str(out)])
    assert code == 1
    table = capsys.readouterr().out
    assert "notebook_global (W1)" in table
    rows = {t["name"]: t for t in json.loads(out.read_text())["tests"]}
    assert rows["compute_cost"]["score"] == rows["compute_cost"]["max_score"]
    assert "reads the notebook's globals W1 (line 7) and b1 (line 7)" in \
        rows["forward_propagation"]["output"]
    assert "cell 4, line 7" in table


def test_a_global_the_check_did_not_define_is_named_for_the_argument_it_stands_for():
    # the notebook's `A, W, b = linear_forward_test_case()` does not run in the check: the
    # learner's A is then undefined, and the NameError says which argument it stood for
    namespace = {"np": np}
    exec(compile("def linear_forward(A_prev, W, b):\n"
                 "    Z = np.dot(W, A) + b\n"
                 "    return Z, (A_prev, W, b)\n", "notebook.py", "exec"), namespace)
    result = run({"linear_forward": namespace["linear_forward"]})["linear_forward"]
    assert result.ok is False and result.line == 2
    first = result.findings[0]
    assert first.kind == "notebook_global" and first.param == "A", result.findings
    assert "reads A (line 2), which it never assigns, where it should read its argument " \
        "A_prev" in first.message
    assert result.findings[1].kind == "exception"  # the NameError itself, with its line


def test_verigrad_check_names_a_global_whose_cell_did_not_run(tmp_path, capsys):
    text = (FIXTURES / "dls_c1w3_notebook_global.ipynb").read_text()
    scratch = '"W1 = np.random.randn(n_h, n_x) * 0.01\\n",'
    assert scratch in text
    # W1 comes from a call the check does not run: it is undefined there
    (tmp_path / "nb.ipynb").write_text(text.replace(scratch, '"W1 = make_w1(n_h, n_x)\\n",'))
    assert main(["check", str(tmp_path / "nb.ipynb")]) == 1
    printed = " ".join(capsys.readouterr().out.split())
    assert "forward_propagation reads W1 (line 7), which it never assigns, where it should " \
        'read parameters["W1"]' in printed
