"""CS231n's 2016 files were written for Python 2.7: their print statements run as calls and
their xrange as range, in the file and in the package siblings it imports, and the notes
say so; the exercises get the verdict their code earns."""
from pathlib import Path

import pytest

from verigrad.exercises import files
from verigrad.exercises.python2 import with_print_calls

TREE = Path(__file__).resolve().parent / "fixtures" / "cs231n_2016" / "cs231n" / "classifiers"


@pytest.mark.parametrize("source, expected, lines", [
    ("def f(x):\n  print x, 'a'  # c\n  return x\n",
     "def f(x):\n  print( x, 'a')  # c\n  return x\n", [2]),
    ("for i in xrange(3):\n    print i,\nprint\n",
     "for i in xrange(3):\n    print( i, end=' ')\nprint()\n", [2, 3]),
    ("if v: print '%d' % (1,\n  2)\n", "if v: print( '%d' % (1,\n  2))\n", [1]),
    ("print('already a call')\nprint = 3\n", "print('already a call')\nprint = 3\n", []),
    ("print >>f, x\n", "print >>f, x\n", []),  # left as it is: still a syntax error
])
def test_print_statements_become_calls_on_their_own_lines(source, expected, lines):
    assert with_print_calls(source) == (expected, lines)


def test_a_python2_file_and_its_python2_sibling_are_checked():
    payload = files.check_file(TREE / "linear_classifier.py")
    verdicts = {r["name"]: r["verdict"] for r in payload["results"]}
    assert verdicts == {"LinearClassifier.train": "ok", "LinearClassifier.predict": "ok"}
    notes = " ".join(payload["notes"])
    assert "cs231n.classifiers.linear_svm has Python 2's print statement" in notes
    assert "xrange" in notes and "line 23" in notes

    payload = files.check_file(TREE / "linear_svm.py")
    verdicts = {r["name"]: r["verdict"] for r in payload["results"]}
    assert verdicts == {"svm_loss_naive": "ok", "svm_loss_vectorized": "NOT DONE"}
    assert files.exit_code(payload) == 1


def test_a_python2_file_alone_runs_cell_by_cell_with_its_prints_as_calls(tmp_path):
    path = tmp_path / "linear_svm.py"
    path.write_text((TREE / "linear_svm.py").read_text().replace(
        "  pass\n  return loss, dW", "  return 1 + loss, dW"))  # a wrong vectorized loss
    payload = files.check_file(path)
    results = {r["name"]: r for r in payload["results"]}
    assert results["svm_loss_naive"]["ok"] is True
    assert results["svm_loss_vectorized"]["verdict"] == "WRONG"
    assert any("linear_svm.py, line 17: Python 2's print statement (lines 17, 25)" in note
               for note in payload["notes"]), payload["notes"]
