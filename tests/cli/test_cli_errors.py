"""Every user error of the command line: one line on stderr naming the flag or file and what
is allowed, exit status 2, no traceback (unless --debug), and nothing written.

The flag sweep walks the parser itself, so a flag added later is covered (and one added
without a checking type fails ``test_every_numeric_flag_checks_its_value``)."""
import argparse
import math

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
    (["cbow", "eval", "nowhere"], "nowhere"),
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
