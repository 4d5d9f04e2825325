"""Every user error of the command line: one line on stderr naming the flag or file and what
is allowed, exit status 2, no traceback (unless --debug), and nothing written.

The flag sweep walks the parser itself, so a flag added later is covered (and one added
without a checking type fails ``test_every_numeric_flag_checks_its_value``)."""
import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verigrad.cli import build_parser, main, values

#: each argument type -> strategy of texts it must refuse
NOT_A_NUMBER = st.sampled_from(["", "abc", "1e", "0x10", "1,5", "nan", "inf", "-inf", "1 2"])
FINITE = {"allow_nan": False, "allow_infinity": False}
BAD_TEXT = {
    values.positive_int: st.integers(max_value=0).map(str) | NOT_A_NUMBER
    | st.floats(0.1, 1e6, **FINITE).filter(lambda v: v != int(v)).map(repr),
    values.count: st.integers(max_value=-1).map(str) | NOT_A_NUMBER | st.just("2.5"),
    values.seed: (st.integers(max_value=-1) | st.integers(min_value=2 ** 32)).map(str)
    | NOT_A_NUMBER,
    values.positive: st.floats(max_value=0, **FINITE).map(repr) | NOT_A_NUMBER,
    values.non_negative: st.floats(max_value=-1e-300, **FINITE).map(repr) | NOT_A_NUMBER,
    values.rate: (st.floats(max_value=-1e-300, **FINITE) | st.floats(min_value=1, **FINITE))
    .map(repr) | NOT_A_NUMBER,
    values.factor: (st.floats(max_value=0, **FINITE) | st.floats(min_value=1.0000001, **FINITE))
    .map(repr) | NOT_A_NUMBER,
    values.fraction: (st.floats(max_value=0, **FINITE) | st.floats(min_value=1, **FINITE))
    .map(repr) | NOT_A_NUMBER,
}


def commands(parser, path=()):
    """(command path, parser) of every command that runs (the leaves of the parser tree)."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, parser
    for action in subparsers:
        for name, child in action.choices.items():
            yield from commands(child, (*path, name))


def required_arguments(path, tmp_path):
    """The smallest valid command line of each command (before the flag under test)."""
    (tmp_path / "learner.py").write_text("params = {}\n")
    (tmp_path / "corpus.txt").write_text("a b c\n")
    return {
        ("train",): ["train", "toy"],
        ("gradcheck",): ["gradcheck"],
        ("check",): ["check", str(tmp_path / "learner.py")],
        ("plot",): ["plot", str(tmp_path)],
        ("cbow", "train"): ["cbow", "train", str(tmp_path / "corpus.txt"),
                            "--out", str(tmp_path / "out")],
        ("cbow", "similar"): ["cbow", "similar", str(tmp_path), "word"],
        ("cbow", "eval"): ["cbow", "eval", str(tmp_path)],
        ("sample",): ["sample", str(tmp_path)],
    }[path]


def checked_flags():
    """(command path, flag, argument type) of every option that takes a number."""
    found = []
    for path, parser in commands(build_parser()):
        for action in parser._actions:
            if action.option_strings and action.type in BAD_TEXT:
                found.append((path, action.option_strings[-1], action.type))
    return found


def test_every_command_has_a_minimal_command_line(tmp_path):
    for path, _ in commands(build_parser()):
        assert required_arguments(path, tmp_path)[:len(path)] == list(path)


def test_every_numeric_flag_checks_its_value():
    """A flag typed plain int or float would let 0, negative, NaN or inf values through."""
    for path, parser in commands(build_parser()):
        for action in parser._actions:
            assert action.type not in (int, float), (path, action.option_strings)


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(checked_flags()).flatmap(
    lambda case: st.tuples(st.just(case), BAD_TEXT[case[2]])))
def test_a_bad_value_of_any_flag_is_one_line_naming_it(case, tmp_path, monkeypatch, capsys):
    (path, flag, _), text = case
    monkeypatch.chdir(tmp_path)
    argv = required_arguments(path, tmp_path) + [f"{flag}={text}"]
    before = files_under(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err, err
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("argv, named", [
    (["train", "toy", "--val-size", "400", "--samples", "300"], "--val-size"),
    (["train", "toy", "--train-size", "5000"], "--train-size"),
    (["train", "toy", "--momentum", "0.5"], "--momentum"),
    (["train", "toy", "--optimizer", "adam", "--gamma", "0.5"], "--gamma"),
    (["train", "toy", "--schedule", "exponential", "--step-size", "3"], "--step-size"),
    (["train", "toy", "--dataset", "moons", "--classes", "3"], "--classes"),
    (["train", "toy", "--download"], "--download"),
    (["train", "mnist", "--noise", "0.1"], "--noise"),
    (["train", "shakespeare", "--samples", "10"], "--samples"),
    (["train", "toy", "--seq-len", "10"], "--seq-len"),
    (["train", "shakespeare", "--dropout", "0.1"], "--dropout"),
    (["train", "shakespeare", "--dropout", "0"], "--dropout"),
    (["train", "shakespeare", "--activation", "tanh"], "--activation"),
    (["train", "shakespeare", "--init", "he"], "--init"),
    (["train", "shakespeare", "--batch-norm"], "--batch-norm"),
    (["train", "shakespeare", "--download"], "--download"),
    (["train", "shakespeare", "--model", "transformer", "--dropout", "0.1"], "--dropout"),
    (["train", "shakespeare", "--model", "transformer", "--hidden", "32"], "--hidden"),
    (["train", "shakespeare", "--model", "transformer", "--schedule", "cosine"], "--schedule"),
    (["train", "mnist", "--model", "cnn", "--activation", "tanh"], "--activation"),
    (["train", "mnist", "--model", "cnn", "--activation", "relu"], "--activation"),
    (["train", "mnist", "--model", "two-conv", "--hidden", "10"], "--hidden"),
    (["train", "fashion-mnist", "--model", "lenet5", "--init", "xavier"], "--init"),
    (["train", "mnist", "--model", "cnn", "--batch-norm"], "--batch-norm"),
    (["train", "shakespeare", "--data", "missing.txt"], "missing.txt"),
    (["sample", "nowhere"], "nowhere"),
    (["gradcheck", "--layers", "5"], "--layers"),
    (["gradcheck", "--data", "somewhere"], "--data"),
    (["gradcheck", "--mnist", "--layers", "20", "10"], "--mnist"),
    (["cbow", "train", "corpus.txt", "--out", "o", "--alpha", "0.01", "--min-alpha", "0.1"],
     "--min-alpha"),
    (["cbow", "train", "corpus.txt", "--out", "o", "--loss", "softmax", "--negative", "3"],
     "--negative"),
    (["cbow", "train", "missing.txt", "--out", "o"], "missing.txt"),
    (["cbow", "similar", "nowhere", "king"], "nowhere"),
    (["cbow", "eval", "nowhere", "--pairs", "corpus.txt"], "nowhere"),
    (["cbow", "eval", "nowhere"], "nothing to evaluate"),
    (["plot", "nowhere"], "nowhere"),
    (["check", "missing.py"], "missing.py"),
    (["check", "corpus.txt", "--json", "nowhere/out.json"], "--json"),
])
def test_flags_that_do_not_fit_together_are_refused_before_any_work(argv, named, tmp_path,
                                                                    monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.txt").write_text("the cat sat on the mat\n" * 20)
    before = files_under(tmp_path)
    assert main(argv + ["--quiet"] if argv[0] == "train" else argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err, err
    assert files_under(tmp_path) == before


def test_missing_data_is_one_line_listing_where_it_was_looked_for(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.delenv("VERIGRAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["train", "mnist", "--data", "nowhere", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mnist not found" in err and "nowhere" in err, err
    assert files_under(tmp_path) == []


def test_debug_adds_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "nowhere"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["plot", "nowhere", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err
    assert main(["--debug", "plot", "nowhere"]) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("history", [
    "{not json", "[1, 2]", '{"cost": ["a"]}', '{"cost": [1, 2], "lr": [1]}', '{"cost": []}',
    b"\xff\xfe", '{"cost": [1, true]}'])
def test_plot_of_a_damaged_history_names_the_file(history, tmp_path, capsys):
    file = tmp_path / "history.json"
    file.write_bytes(history if isinstance(history, bytes) else history.encode())
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "history.json" in err and "Traceback" not in err, err
    assert not (tmp_path / "curves.png").exists()


def test_every_value_type_accepts_its_bounds():
    """The types refuse only what lies outside: their edges pass."""
    assert values.positive_int("1") == 1 and values.count("0") == 0
    assert values.seed(str(2 ** 32 - 1)) == 2 ** 32 - 1
    assert values.rate("0") == 0 and values.factor("1") == 1
    assert values.non_negative("0") == 0 and math.isclose(values.fraction("0.5"), 0.5)


# ---- damaged and foreign input files ---------------------------------------------------
#: file contents a command must survive: junk bytes, text in other encodings, JSON of any
#: shape, and truncations of the real file (drawn per test)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3), max_leaves=6)
JUNK = (st.binary(max_size=80) | st.text(max_size=80).map(str.encode)
        | st.text(max_size=20).map(lambda t: t.encode("utf-16"))
        | st.sampled_from([b"", b"\xff\xfe", "café".encode("latin-1") * 5])
        | JSON_VALUES.map(lambda v: json.dumps(v).encode()))


def damaged(real):
    """Contents drawn for a file whose real contents are ``real`` (bytes)."""
    return JUNK | st.integers(0, max(len(real) - 1, 0)).map(lambda n: real[:n])


def replaced_field(real_json):
    """The real JSON object with one field (top level, or inside "config") replaced."""
    record = json.loads(real_json)
    paths = [(key,) for key in record] + [("config", key) for key in record.get("config", {})]

    def put(path, value):
        copy = json.loads(real_json)
        (copy if len(path) == 1 else copy[path[0]])[path[-1]] = value
        return json.dumps(copy).encode()

    return st.tuples(st.sampled_from(paths), JSON_VALUES).map(lambda pv: put(*pv))


def one_clear_line(status, err):
    """A command either ran (0) or stopped with one line, exit 2; never a traceback."""
    assert "Traceback" not in err, err
    assert status == 0 or (status == 2 and err.count("\n") == 1), (status, err)


TINY_TEXT_RUN = ["--epochs", "1", "--hidden", "3", "--embedding", "2", "--seq-len", "3",
                 "--batch-size", "4", "--val-size", "0", "--quiet"]
SWEEP = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory):
    """A tiny language-model run and a tiny saved CBOW model, made once."""
    folder = tmp_path_factory.mktemp("runs")
    text = folder / "text.txt"
    text.write_text("to be or not to be, that is the question\n" * 3)
    assert main(["train", "shakespeare", "--data", str(text), "--out",
                 str(folder / "lm"), *TINY_TEXT_RUN]) == 0
    corpus = folder / "corpus.txt"
    corpus.write_text("the king rules the land and the queen rules the sea\n" * 10)
    assert main(["cbow", "train", str(corpus), "--out", str(folder / "cbow"), "--dim", "4",
                 "--min-count", "1", "--epochs", "1", "--backend", "numpy"]) == 0
    return folder


@settings(SWEEP, max_examples=15)
@given(data=st.data())
def test_train_shakespeare_on_any_text_file(data, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "text.txt"
    text.write_bytes(data.draw(JUNK, "text"))
    status = main(["train", "shakespeare", "--data", str(text), "--out", "run",
                   "--overwrite", *TINY_TEXT_RUN])
    one_clear_line(status, capsys.readouterr().err)


@SWEEP
@given(data=st.data())
def test_sample_with_a_damaged_run_folder(data, saved_runs, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    for name in ("model.npz", "vocab.json"):
        (run / name).write_bytes((saved_runs / "lm" / name).read_bytes())
    name = data.draw(st.sampled_from(["model.npz", "vocab.json"]), "file")
    real = (saved_runs / "lm" / name).read_bytes()
    drawn = damaged(real) | (replaced_field(real) if name == "vocab.json" else st.nothing())
    (run / name).write_bytes(data.draw(drawn, "contents"))
    status = main(["sample", str(run), "--length", "3"])
    out = capsys.readouterr()
    one_clear_line(status, out.err)
    if status == 2:
        assert name in out.err or str(run) in out.err, out.err


@SWEEP
@given(data=st.data())
def test_cbow_commands_with_damaged_files(data, saved_runs, tmp_path, capsys):
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    for name in ("config.json", "weights.npz", "vectors.txt"):
        (model / name).write_bytes((saved_runs / "cbow" / name).read_bytes())
    name = data.draw(st.sampled_from(["config.json", "weights.npz", "pairs", "analogies",
                                      "corpus"]), "file")
    pairs, analogies = tmp_path / "pairs.txt", tmp_path / "analogies.txt"
    pairs.write_text("king\tqueen\t8\nland\tsea\t6\nthe\tking\t1\n")
    analogies.write_text(": s\nking queen land sea\n")
    target = {"pairs": pairs, "analogies": analogies,
              "corpus": tmp_path / "corpus.txt"}.get(name, model / name)
    real = target.read_bytes() if target.exists() else b"the king rules the land\n"
    drawn = damaged(real) | (replaced_field(real) if name == "config.json" else st.nothing())
    target.write_bytes(data.draw(drawn, "contents"))
    if name == "corpus":
        argv = ["cbow", "train", str(target), "--out", str(tmp_path / "new"), "--overwrite",
                "--dim", "2", "--min-count", "1", "--epochs", "1", "--backend", "numpy"]
    else:
        argv = data.draw(st.sampled_from([
            ["cbow", "similar", str(model), "king"],
            ["cbow", "eval", str(model), "--pairs", str(pairs), "--analogies", str(analogies)],
        ]), "command")
    status = main(argv)
    one_clear_line(status, capsys.readouterr().err)


NOTEBOOK = json.dumps({"cells": [{"cell_type": "code", "source": [
    "import numpy as np\n", "def sigmoid(z):\n", "    return 1 / (1 + np.exp(-z))\n"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@settings(SWEEP, max_examples=12)
@given(data=st.data())
def test_check_on_any_file(data, tmp_path, capsys):
    """verigrad check on junk, text in other encodings, damaged notebooks (invalid JSON,
    cells missing or of the wrong shape, truncated): a verdict (0 or 1) or one line, 2."""
    suffix = data.draw(st.sampled_from([".py", ".ipynb"]), "suffix")
    real = NOTEBOOK if suffix == ".ipynb" else json.loads(NOTEBOOK)["cells"][0]["source"]
    real = real if isinstance(real, bytes) else "".join(real).encode()
    drawn = damaged(real) | (replaced_field(real) if suffix == ".ipynb" else st.nothing())
    target = tmp_path / f"learner{suffix}"
    target.write_bytes(data.draw(drawn, "contents"))
    status = main(["check", str(target), "--timeout", "20", "--json",
                   str(tmp_path / "out.json")])
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out, err
    # a verdict (the table: some functions could not be checked is 2 too), or one line
    assert status in (0, 1) or (status == 2 and (err.count("\n") == 1 or "verdict" in out)), (
        status, err)


def test_check_of_a_latin1_file_says_what_to_do(tmp_path, capsys):
    for name in ("latin.py", "latin_backprop.py"):
        body = ("def linear_forward(A, W, b):\n    return W @ A + b, (A, W, b)\n"
                if name == "latin.py" else
                "import numpy as np\nparams = {'W': np.ones(2)}\ndef cost(p):\n"
                "    return float(np.sum(p['W'] ** 2))\ndef grads(p):\n"
                "    return {'dW': 2 * p['W']}\n")
        (tmp_path / name).write_bytes(("# café\n" + body).encode("latin-1"))
        assert main(["check", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not utf-8 text (byte 0xe9" in err, err
        (tmp_path / name).write_bytes(("# -*- coding: latin-1 -*-\n# café\n" + body)
                                      .encode("latin-1"))
        assert main(["check", str(tmp_path / name)]) == 0


def test_a_json_file_that_cannot_be_written_after_the_check_is_one_line(tmp_path, capsys,
                                                                        monkeypatch):
    import verigrad.cli.output as output

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    learner = tmp_path / "learner.py"
    learner.write_text("import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    backprop = tmp_path / "backprop.py"
    backprop.write_text("import numpy as np\nparams = {'W': np.ones(2)}\n"
                        "def cost(p):\n    return float(np.sum(p['W'] ** 2))\n"
                        "def grads(p):\n    return {'dW': 2 * p['W']}\n")
    monkeypatch.setattr(output, "write_text", refuse)
    for path in (learner, backprop):
        assert main(["check", str(path), "--json", str(tmp_path / "out.json")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cannot be written" in err and "--json" in err, err


def test_unwritable_json_output_is_refused_before_the_check(tmp_path, capsys):
    learner = tmp_path / "learner.py"
    learner.write_text("import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    for target, says in ((tmp_path, "is a folder"), (tmp_path / "no" / "x.json", "does not exist"),
                         (Path("/proc/verigrad.json"), "cannot be written")):
        assert main(["check", str(learner), "--json", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--json" in err and says in err, err


def test_cbow_errors_name_the_file_and_the_fault(saved_runs, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "latin.txt").write_bytes("king\tqueen\t5\n".encode("utf-16"))
    model = str(saved_runs / "cbow")
    for argv, says in (
            (["cbow", "train", str(tmp_path / "empty.txt"), "--out", str(tmp_path / "o")],
             "empty.txt has no words"),
            (["cbow", "eval", model, "--pairs", str(tmp_path / "latin.txt")],
             "latin.txt is not UTF-8 text"),
            (["cbow", "eval", model, "--analogies", str(tmp_path / "latin.txt")],
             "latin.txt is not UTF-8 text"),
            (["cbow", "eval", model], "nothing to evaluate")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, err


def test_a_reader_that_goes_away_ends_the_command_quietly():
    # `verigrad gradcheck | head -1`: the pipe closes before the report is printed
    child = subprocess.Popen([sys.executable, "-m", "verigrad.cli", "gradcheck", "--layers",
                              "4", "3", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait() == 141 and err == ""  # 128 + SIGPIPE, and no traceback
