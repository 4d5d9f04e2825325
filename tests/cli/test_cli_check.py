"""``verigrad check FILE`` and ``verigrad gradcheck``: output and exit codes."""
import textwrap

import pytest

from verigrad.cli import main

LEARNER = """
import numpy as np
from helpers import relu

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5))
Y = np.eye(2)[:, rng.integers(0, 2, 5)]
params = {"W1": rng.standard_normal((4, 3)), "b1": np.zeros((4, 1)),
          "W2": rng.standard_normal((2, 4)), "b2": np.zeros((2, 1))}

def forward(p):
    Z1 = p["W1"] @ X + p["b1"]
    A1 = relu(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    E = np.exp(Z2 - Z2.max(axis=0))
    return Z1, A1, E / E.sum(axis=0)

def cost(p):
    return -np.sum(Y * np.log(forward(p)[2])) / 5

def grads(p):
    Z1, A1, A2 = forward(p)
    dZ2 = (A2 - Y) / 5  # ERROR TERM
    dZ1 = p["W2"].T @ dZ2 * (Z1 > 0)
    return (dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True), dZ2 @ A1.T,
            dZ2.sum(axis=1, keepdims=True))

order = ["W1", "b1", "W2", "b2"]
"""


def write(tmp_path, text):
    (tmp_path / "helpers.py").write_text("import numpy as np\n\ndef relu(Z):\n"
                                         "    return np.maximum(Z, 0)\n")
    path = tmp_path / "my_backprop.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_check_prints_the_report_and_exits_0_for_correct_gradients(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, LEARNER))]) == 0
    out = capsys.readouterr().out
    assert "Result: OK" in out and "rel. error" in out and "W2" in out


def test_check_exits_1_and_names_the_bug(tmp_path, capsys):
    path = write(tmp_path, LEARNER.replace("(A2 - Y) / 5  # ERROR TERM", "(Y - A2) / 5"))
    assert main(["check", str(path), "--mode", "sample", "--samples", "3"]) == 1
    out = capsys.readouterr().out
    assert "[sign] W2" in out and "mode sample" in out and "Result: WRONG" in out


def test_check_exits_2_for_a_file_it_cannot_check(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, LEARNER.replace("def grads", "def gradients")))]) == 2
    assert "does not define grads" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    assert main(["check", str(write(tmp_path, LEARNER.replace('order = ["W1", "b1", '
                                                              '"W2", "b2"]', "")))]) == 2
    assert "order=" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [
    ["--layers", "6", "5", "3", "--dropout", "0.5", "--l2", "0.1"],
    ["--layers", "6", "5", "4", "2", "--activation", "tanh", "--loss", "binary"],
    ["--layers", "6", "4", "1", "--activation", "leaky_relu", "--loss", "mse", "--mode", "fast"],
    ["--layers", "6", "5", "4", "3", "--batch-norm", "--activation", "sigmoid", "--dropout", "0.3"],
])
def test_gradcheck_checks_a_builtin_network(flags, capsys):
    assert main(["gradcheck", *flags]) == 0
    out = capsys.readouterr().out
    assert "parameters:" in out and "Result: OK" in out


def test_gradcheck_on_mnist(data_dir, capsys):
    flags = ["--layers", "784", "10", "10", "--mnist", "--examples", "16", "--data",
             str(data_dir / "mnist"), "--mode", "sample"]
    assert main(["gradcheck", *flags]) == 0
    assert "(10, 784)" in capsys.readouterr().out
    assert main(["gradcheck", "--layers", "20", "10", "--mnist"]) == 2
