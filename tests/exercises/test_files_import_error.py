"""An ImportError raised by a statement that imports nothing (a call into an installed
module) is noted like a failed import: it no longer stops the whole check."""
import textwrap

from verigrad.exercises import files


def test_an_import_error_from_an_assignment_does_not_stop_the_check(tmp_path):
    (tmp_path / "helperlib.py").write_text(
        "def load():\n    raise ImportError('the backend could not be loaded')\n")
    learner = tmp_path / "learner.py"
    learner.write_text(textwrap.dedent("""\
        import numpy as np
        import helperlib
        x = helperlib.load()

        def sigmoid(z):
            return 1 / (1 + np.exp(-z))
        """))
    payload = files.check_file(learner, timeout=60)
    assert [(r["name"], r["ok"]) for r in payload["results"]] == [("sigmoid", True)]
    assert any("line 3" in note for note in payload["notes"])
