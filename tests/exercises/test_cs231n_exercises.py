"""CS231n's assignment 1 losses and optim.py's update rules: each version's correct code
passes and says which convention was assumed."""
from . import learners_cs231n_linear as linear
from . import learners_cs231n_optim as optim
from .checks import run


def test_each_l2_convention_passes_and_is_named():
    results = run(linear.CORRECT)
    assert "2016" in results["softmax_loss_naive"].exercise  # ½·reg·ΣW²
    assert "2017+" in results["softmax_loss_vectorized"].exercise


def test_adam_of_2017_with_t_used_then_incremented_passes_and_is_named():
    result = run({"adam": optim.adam_2017})["adam"]
    assert result.ok is True and "2017" in result.exercise
    assert "2018+" in run(optim.CORRECT)["adam"].exercise


def test_an_update_rule_that_returns_no_config_pair_is_wrong_and_says_what_it_returned():
    def sgd(w, dw, config=None):
        return w - 0.1 * dw

    result = run({"sgd": sgd})["sgd"]
    assert result.ok is False and result.findings[0].kind == "exception"
    assert "not the pair (next_w, config)" in result.findings[0].message


# ---- classes and package trees --------------------------------------------------------------

import importlib  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from verigrad import exercises  # noqa: E402
from verigrad.exercises import files  # noqa: E402
from verigrad.exercises.models import fc_net_version  # noqa: E402

from . import learners_cs231n_knn as knn  # noqa: E402

TREE = Path(__file__).resolve().parent / "fixtures" / "cs231n_2020"


def test_a_method_is_checked_on_the_learners_class_and_needs_it():
    alone = run({"KNearestNeighbor.predict_labels": knn.KNearestNeighbor.predict_labels})
    assert alone["KNearestNeighbor.predict_labels"].findings[0].kind == "missing"
    assert knn.KNearestNeighbor.predict_labels is knn.KNearestNeighbor.__dict__[
        "predict_labels"]  # the learner's class is not changed by a check


def test_a_files_classes_and_their_methods_are_found():
    namespace = {"KNearestNeighbor": knn.KNearestNeighbor, "np": np, "x": 1}
    members = files.class_members(namespace, {knn.__file__})
    assert members["KNearestNeighbor"] is knn.KNearestNeighbor
    assert "KNearestNeighbor.compute_distances_no_loops" in members and "np" not in members


def test_a_file_in_a_cs231n_tree_is_a_module_of_its_package(tmp_path):
    path = TREE / "cs231n" / "classifiers" / "fc_net.py"
    assert files.package_module(path) == (str(TREE), "cs231n.classifiers.fc_net")
    assert files.package_module(tmp_path / "fc_net.py") is None
    course = tmp_path / "cs231n" / "assignment2"  # a course folder named like the package
    assert files.package_module(course / "cs231n" / "optim.py") == (str(course), "cs231n.optim")


def _versions(dropout, normalization):
    class FullyConnectedNet:
        exec(f"def __init__(self, hidden_dims, {dropout}, {normalization}, reg=0.0): pass")
    return fc_net_version(FullyConnectedNet)


def test_the_fc_net_version_is_read_from_the_signature():
    assert _versions("dropout=0", "use_batchnorm=False")["keep"] is False  # 2017: p drops
    assert _versions("dropout=1", "normalization=None")["year"] == "2018-2019"
    assert _versions("dropout_keep_ratio=1", "normalization=None")["keep"] is True


def test_the_models_of_a_2020_package_tree_pass(monkeypatch):
    monkeypatch.syspath_prepend(str(TREE))
    try:
        for name in ("fc_net", "cnn", "rnn"):
            module = importlib.import_module(f"cs231n.classifiers.{name}")
            results = exercises.check_functions(files.class_members(vars(module),
                                                                    {module.__file__}))
            assert results and all(r.ok is True for r in results), results
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "cs231n"]:
            del sys.modules[name]


def test_a_wrong_model_in_a_package_tree_is_named_with_its_version(tmp_path):
    tree = tmp_path / "assignment2"
    shutil.copytree(TREE, tree)
    fc_net = tree / "cs231n" / "classifiers" / "fc_net.py"
    source = fc_net.read_text()
    wrong = source.replace('loss += 0.5 * self.reg * np.sum(self.params[f"W{l}"] ** 2)',
                           "pass")
    assert wrong != source
    fc_net.write_text(wrong.replace("dropout_keep_ratio", "dropout"))  # the 2018-19 version
    payload = files.check_file(fc_net)
    results = {r["name"]: r for r in payload["results"]}
    assert results["TwoLayerNet.loss"]["ok"] is True
    fc = results["FullyConnectedNet.loss"]
    assert fc["ok"] is False and fc["findings"][0]["kind"] == "reg_term"
    assert "2018-2019" in fc["exercise"]
    assert any("cs231n.classifiers.fc_net" in note for note in payload["notes"])


def test_missing_sibling_modules_are_said_plainly_not_blamed_on_the_learner(tmp_path):
    folder = tmp_path / "cs231n" / "classifiers"
    folder.mkdir(parents=True)
    shutil.copy(TREE / "cs231n" / "classifiers" / "fc_net.py", folder)
    payload = files.check_file(folder / "fc_net.py")
    assert files.exit_code(payload) == 2
    assert any("not in the cs231n folder" in note for note in payload["notes"])
    assert {r["findings"][0]["kind"] for r in payload["results"]} == {"missing"}


# ---- dropout's p across the years ---------------------------------------------------------------

def dropout_forward_2017(x, dropout_param):
    """
    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We drop each neuron output with probability p.
      - mode: 'test' or 'train'.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_forward_2019(x, dropout_param):
    """
    - p: Dropout parameter. We keep each neuron output with probability p.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def test_cs231n_2017_dropout_where_p_drops_is_right_and_says_which_convention():
    result = run({"dropout_forward": dropout_forward_2017})["dropout_forward"]
    assert result.ok is True and "2017" in result.assumed


def test_without_a_docstring_2017_code_is_right_under_the_2017_convention():
    bare = dropout_forward_2017
    stripped = type(bare)(bare.__code__, bare.__globals__, "dropout_forward")
    result = run({"dropout_forward": stripped})["dropout_forward"]
    assert result.ok is True and "2017" in result.assumed


def test_2017_code_under_a_docstring_that_says_keep_is_wrong_with_the_swapped_mask():
    wrong = dropout_forward_2017
    wrong_keep = type(wrong)(wrong.__code__, wrong.__globals__, "dropout_forward")
    wrong_keep.__doc__ = dropout_forward_2019.__doc__
    result = run({"dropout_forward": wrong_keep})["dropout_forward"]
    assert result.ok is False and result.findings[0].kind in ("dropout_p", "forward")


def test_the_later_convention_is_right_and_assumes_nothing():
    result = run({"dropout_forward": dropout_forward_2019})["dropout_forward"]
    assert result.ok is True and not result.assumed
