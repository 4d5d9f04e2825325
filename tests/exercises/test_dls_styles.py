"""``verigrad check`` on Deep Learning Specialization files written as learners write them,
in the notebook versions of 2017-2021 (fixtures/dls_styles: test data, not solutions):
loops or vectorised, ``np.dot`` or ``@``, helpers of the learner's own, a function
redefined in a later cell, outputs with errors saved, ``!pip``, ``np.float``, a cost of
shape (1, 1), template stubs, and functions that call a wrong or unfinished exercise of the
same file -- which are then judged with a right one in its place, on their own."""
import pytest

from verigrad.cli import main

from .test_check_files import FIXTURES

STYLES = FIXTURES / "dls_styles"


def _rows(printed):
    return {line.split()[0]: line for line in printed.split("\n\n")[0].splitlines()[1:]}


def _check(path, capsys):
    code = main(["check", str(path)])
    printed = capsys.readouterr().out
    return code, _rows(printed), " ".join(printed.split())


CALLS_WRONG = "calls your {callee}, not right itself (see above); it was checked with a right " \
              "{callee} in its place (verigrad's), and is {verdict}"

# file -> (exit code, verdict by function, texts the output must hold)
CASES = {
    "c1w2_2018_loops.ipynb": (0, dict.fromkeys(
        ("sigmoid", "initialize_with_zeros", "propagate", "optimize", "predict"), "ok"), [
        "cell 2, line 2 was skipped: it uses train_set_x_orig, which c1w2_2018_loops.ipynb, "
        "cell 2, line 1 was to set (load_dataset, from lr_utils, did not import)"]),
    "c1w2_2021_stubs.ipynb": (1, {
        "sigmoid": "NOT DONE", "initialize_with_zeros": "ok", "propagate": "ok",
        "optimize": "ok", "predict": "NOT DONE"}, [
        "propagate " + CALLS_WRONG.format(callee="sigmoid", verdict="right")]),
    # the cache with an extra entry (X), boolean predictions, from __future__ imports
    "c1w3_2021_extra_cache_key.py": (0, dict.fromkeys(
        ("layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
         "backward_propagation", "update_parameters", "predict"), "ok"),
        ["planar_utils is one of the course's helper modules"]),
    "c1w4_2021_styles.ipynb": (0, dict.fromkeys(
        ("update_parameters", "initialize_parameters_deep", "linear_forward", "linear_backward",
         "linear_activation_forward", "linear_activation_backward", "L_model_forward",
         "compute_cost", "L_model_backward"), "ok"), ["np.float, which NumPy 2 no longer"]),
    "c4w1_2018_half_done.ipynb": (1, {
        "zero_pad": "ok", "conv_single_step": "WRONG bias_count", "conv_forward": "ok",
        "conv_backward": "ok", "pool_forward": "ok", "create_mask_from_window": "NOT DONE",
        "distribute_value": "NOT DONE", "pool_backward": "ok"}, [
        "conv_forward " + CALLS_WRONG.format(callee="conv_single_step", verdict="right"),
        "pool_backward calls your create_mask_from_window, distribute_value, not right itself "
        "(see above); it was checked with a right create_mask_from_window, distribute_value in "
        "their place"]),
    "c5w1_rnn_half_done.py": (1, {
        "rnn_cell_forward": "NOT DONE", "rnn_cell_backward": "WRONG tanh_derivative",
        "rnn_forward": "ok", "rnn_backward": "ok", "lstm_cell_forward": "ok",
        "lstm_forward": "ok"}, [
        "1 − tanh(a_next)², tanh applied twice", "rnn_utils is one of the course's helper",
        "rnn_forward " + CALLS_WRONG.format(callee="rnn_cell_forward", verdict="right"),
        # with the cells of the forward it is checked with
        "rnn_backward calls your rnn_cell_backward, rnn_cell_forward, not right itself"]),
    "c5w4_numpy_early.ipynb": (0, dict.fromkeys(
        ("get_angles", "positional_encoding", "scaled_dot_product_attention"), "ok"),
        ["pip install tensorflow"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_learners_files_of_every_version_get_their_verdicts(name, capsys, monkeypatch):
    monkeypatch.chdir(STYLES)  # the messages name files relative to where check runs
    code, verdicts, texts = CASES[name]
    got, rows, flat = _check(STYLES / name, capsys)
    assert got == code, flat
    assert set(rows) == set(verdicts), flat
    for function, verdict in verdicts.items():
        assert f" {verdict} " in " ".join(rows[function].split()) + " ", (function, flat)
    for text in texts:
        assert " ".join(text.split()) in flat, (text, flat)


def test_callers_of_a_stub_and_a_wrong_exercise_are_judged_on_their_own(tmp_path, capsys):
    source = (STYLES / "c1w4_v4a.py").read_text()
    edits = [("    Z = np.dot(W, A) + b\n", "    ### START CODE HERE ###\n    Z = None\n"
              "    ### END CODE HERE ###\n"),  # linear_forward: a stub
             ("db = 1./m * np.sum(dZ, axis = 1, keepdims = True)",
              "db = np.sum(dZ, axis = 1, keepdims = True)"),  # linear_backward: no 1/m in db
             ("dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
              "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)")]  # L_model_backward: sign
    for old, new in edits:
        assert old in source
        source = source.replace(old, new)
    (tmp_path / "half.py").write_text(source)
    code, rows, flat = _check(tmp_path / "half.py", capsys)
    assert code == 1
    assert "NOT DONE" in rows["linear_forward"] and "WRONG" in rows["linear_backward"]
    for right in ("linear_activation_forward", "linear_activation_backward", "L_model_forward"):
        assert " ok " in rows[right] and "right_callee" in rows[right], flat
    assert "WRONG" in rows["L_model_backward"] and "sign" in rows["L_model_backward"], flat
    assert "L_model_backward calls your linear_backward, linear_forward, not right itself " \
           "(see above); it was checked with a right linear_backward, linear_forward in their " \
           "place (verigrad's), and is wrong on its own too" in flat


def test_a_one_element_z_stored_in_one_entry_is_numpy_2s_change_not_a_mistake(tmp_path, capsys):
    # 2017-2018: conv_single_step returned Z + b of shape (1, 1, 1), and NumPy 1 stored it
    # in Z[i, h, w, c]; NumPy 2 refuses
    source = (STYLES / "c4w1_2018_half_done.ipynb").read_text()
    for old, new in (("np.multiply(a_slice_prev, W) + b", "np.multiply(a_slice_prev, W)"),
                     ("Z = float(Z)", "Z = Z + b")):
        assert old in source
        source = source.replace(old, new)
    (tmp_path / "z_array.ipynb").write_text(source)
    code, rows, flat = _check(tmp_path / "z_array.ipynb", capsys)
    assert code == 1  # the template's stubs
    for right in ("conv_single_step", "conv_forward", "conv_backward", "pool_backward"):
        assert " ok " in rows[right], flat
    assert "conv_forward stores what your conv_single_step returns in one entry of an array; " \
           "that returns a one-element array, which NumPy 1 stored there and NumPy 2 " \
           "refuses" in flat
