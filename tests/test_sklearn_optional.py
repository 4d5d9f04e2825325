"""scikit-learn stays optional: the core never imports it, and ``verigrad.sklearn`` says how
to install it when it is missing. Runs in fresh interpreters, with or without scikit-learn."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)


def test_import_verigrad_does_not_import_sklearn():
    done = run_python("import sys, verigrad; print('sklearn' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_verigrad_sklearn_without_sklearn_names_the_extra():
    # A finder that refuses every sklearn module makes the interpreter behave as if
    # scikit-learn were not installed.
    code = """
import sys
class NoSklearn:
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoSklearn())
import verigrad
try:
    import verigrad.sklearn
except ImportError as err:
    print(err)
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert "pip install verigrad[sklearn]" in done.stdout
