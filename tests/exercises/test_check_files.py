"""``verigrad check`` on notebooks and files of exercises: one table, --json with points,
exit 0 / 1 / 2, the learner's code in a process of its own."""
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from verigrad.cli import main
from verigrad.exercises import files

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_notebook_with_two_wrong_functions_exits_1_and_names_both(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = main(["check", str(FIXTURES / "two_wrong.ipynb"), "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 1
    table = printed.split("\n\n")[0].splitlines()
    rows = {line.split()[0]: line for line in table[1:]}
    assert "WRONG" in rows["linear_backward"] and "scale (W)" in rows["linear_backward"]
    assert "WRONG" in rows["affine_backward"]
    assert "ok" in rows["linear_forward"] and "ok" in rows["affine_forward"]
    assert "two_wrong.ipynb, cell 3, line 4" in rows["linear_backward"]  # dW = ...
    assert "testCases is one of the course's helper modules" in printed  # noted, not fatal
    results = json.loads(out.read_text())
    assert results["exit_code"] == 1 and results["score"] == 2 and results["max_score"] == 4
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["linear_backward"]["score"] == 0 and "[scale]" in tests["linear_backward"][
        "output"]
    assert tests["affine_forward"] == {"name": "affine_forward", "score": 1, "max_score": 1,
                                       "status": "passed", "output": ""}


def test_only_definitions_run_unless_every_cell_is_asked_for(tmp_path, capsys):
    # the notebook's endless training loop runs only with --all; it is stopped at the time
    # limit of one statement (a quarter of --timeout) and the functions are still checked
    code = main(["check", str(FIXTURES / "two_wrong.ipynb"), "--all", "--timeout", "16"])
    printed = capsys.readouterr().out
    assert code == 1 and "linear_backward  WRONG" in printed
    assert "cell 6, line 2 ran longer than 4 s and was stopped" in printed


def _write(tmp_path, text, name="learner.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_all_right_exits_0_and_the_learners_sys_exit_does_not_decide(tmp_path, capsys):
    path = _write(tmp_path, """
        import sys
        import numpy as np

        def relu_forward(x):
            return np.maximum(0, x), x

        def relu_backward(dout, cache):
            return dout * (cache > 0)

        sys.exit(1)
        """)
    assert main(["check", str(path), "--all"]) == 0
    output = capsys.readouterr().out
    assert "relu_backward  ok" in output and "called sys.exit" in output


def test_a_file_that_does_not_parse_exits_2_naming_the_line(tmp_path, capsys):
    path = _write(tmp_path, "import numpy as np\n\ndef affine_forward(x, w, b)\n    return x\n")
    assert main(["check", str(path)]) == 2
    assert "learner.py, line 3 does not parse" in capsys.readouterr().err


def test_a_notebook_that_is_not_json_exits_2(tmp_path, capsys):
    path = _write(tmp_path, "not a notebook", name="broken.ipynb")
    assert main(["check", str(path)]) == 2
    assert "is not a Jupyter notebook" in capsys.readouterr().err


def test_a_function_with_the_wrong_arity_exits_2_with_a_message(tmp_path, capsys):
    path = _write(tmp_path, """
        def affine_backward(dout):
            return dout
        """)
    assert main(["check", str(path)]) == 2
    printed = capsys.readouterr().out
    assert "cannot check" in printed and "affine_backward(dout) cannot be called" in printed


def test_no_exercise_in_the_file_exits_2(tmp_path, capsys):
    path = _write(tmp_path, "def helper(x):\n    return x\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err  # a user error: one line on stderr
    assert "nothing to check" in err and err.count("\n") == 1


def test_a_declared_pair_outside_the_catalogue_is_checked(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np

        def scale_shift_forward(x, gamma):
            return gamma * x, (x, gamma)

        def scale_shift_backward(dout, cache):
            x, gamma = cache
            return dout * gamma, np.sum(dout * x, axis=1)  # should sum over axis 0

        VERIGRAD_CHECKS = {
            "scale_shift_forward": {"backward": "scale_shift_backward",
                                    "inputs": (np.linspace(-1, 1, 12).reshape(4, 3),
                                               np.array([0.5, -1.0, 2.0]))},
        }
        """)
    assert main(["check", str(path)]) == 1
    printed = capsys.readouterr().out
    assert "scale_shift_backward  WRONG    shape (gamma)" in printed


def test_the_helpers_beside_the_notebook_are_importable(tmp_path, capsys):
    shutil.copy(FIXTURES / "two_wrong.ipynb", tmp_path / "nb.ipynb")
    (tmp_path / "testCases.py").write_text("def linear_backward_test_case():\n    return 0\n")
    assert main(["check", str(tmp_path / "nb.ipynb")]) == 1
    assert "testCases" not in capsys.readouterr().out


def test_statements_keep_definitions_imports_and_simple_assignments():
    cells = [("nb.ipynb [cell 1]", "import numpy as np\n%matplotlib inline\nx = np.ones(3)\n"
              "y = train(x)\nfor i in range(3):\n    pass\ndef f():\n    return 1\n")]
    kept = [type(node).__name__ for _, node, _ in files.statements(cells)]
    assert kept == ["Import", "Assign", "FunctionDef"]
    assert len(files.statements(cells, run_all=True)) == 5


@pytest.mark.parametrize("name", ["two_wrong.ipynb"])
def test_reading_cells_counts_code_cells_only(name):
    cells = files.read_cells(FIXTURES / name)
    assert [c[0].rsplit(" ", 1)[-1] for c in cells[:2]] == ["1]", "2]"]
    assert cells[1][1].startswith("def linear_forward")
