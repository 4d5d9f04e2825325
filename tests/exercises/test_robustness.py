"""``verigrad check`` on the files learners really have: a stub is "not done", an exception
is that function's verdict, a missing course helper or package and NumPy 1 code are the
environment's, IPython syntax and a failing cell are skipped -- and every other function in
the file is still checked."""
import textwrap

import numpy as np
import pytest

from verigrad.cli import main
from verigrad.exercises import check_functions, environment, files, stubs

from .test_check_files import FIXTURES


def _rows(printed):
    return {line.split()[0]: line for line in printed.split("\n\n")[0].splitlines()[1:]}


# file -> (exit code, verdict by function, texts the output must hold)
CASES = {
    "dls_c1w4_2018_stub.ipynb": (1, {
        "linear_forward": "ok", "linear_backward": "ok", "linear_activation_forward": "ok",
        "compute_cost": "ok", "linear_activation_backward": "NOT DONE"}, [
        "`dZ = None` (line 7)", "pip install h5py", "dnn_utils_v2 is one of the course's helper",
        "the file uses relu, sigmoid from dnn_utils_v2", "cell 7, line 2 does not parse"]),
    "dls_c1w4_2021_template.ipynb": (1, {
        "linear_forward": "ok", "linear_activation_forward": "ok",
        "linear_backward": "NOT DONE", "linear_activation_backward": "ok"}, [
        "block between the template's START and END CODE HERE comments is empty",
        "linear_activation_backward calls your linear_backward, not right itself (see above); "
        "it was checked with a right linear_backward in its place (verigrad's), and is right",
        "relu, relu_backward, sigmoid, sigmoid_backward from dnn_utils"]),
    "dls_c1w3_stub_helper_wrong.ipynb": (1, {
        "layer_sizes": "ok", "forward_propagation": "ok", "compute_cost": "WRONG",
        "initialize_parameters": "NOT DONE"}, [
        "`W1 = None` (line 7)", "planar_utils is one of the course's helper modules",
        "the file uses sigmoid from planar_utils", "compute_cost's cost equals the cross-entropy "
        "summed over the m examples"]),
    "cs231n_cells_fail.ipynb": (1, {
        "affine_forward": "ok", "affine_backward": "ok", "relu_forward": "NOT DONE",
        "relu_backward": "ok"}, [
        "cell 1, line 5 (and 3 more imports of it): cs231n is one of the course's helper",
        "cell 2, line 1 was skipped: it uses get_CIFAR10_data, from cs231n",
        "`out = None` (line 2)"]),
    "cs231n_template_2017.py": (1, {
        "affine_forward": "ok", "affine_backward": "ok", "svm_loss": "ok",
        "relu_forward": "NOT DONE", "relu_backward": "NOT DONE", "softmax_loss": "NOT DONE"}, [
        "softmax_loss returned only zeros", "`dx = None` (line 44)"]),
    "numpy1_idioms.py": (0, {"linear_forward": "ok", "linear_backward": "ok",
                             "compute_cost": "ok"}, [
        "float() of a one-element array, np.asscalar, np.float, np.int", "NumPy 1.x did"]),
    "no_numpy_import.py": (0, {"affine_forward": "ok", "affine_backward": "ok",
                               "relu_forward": "ok", "relu_backward": "ok"}, [
        "the file uses np but never imports NumPy: add `import numpy as np`"]),
    "dls_c1w4_2017_float_db.py": (0, {"linear_forward": "ok", "linear_backward": "ok",
                                      "linear_activation_backward": "ok"}, [
        "linear_backward: recognised the 2017-2018 version of the notebook"]),
    "one_raises.py": (1, {"affine_forward": "WRONG", "affine_backward": "ok",
                          "relu_forward": "ok", "relu_backward": "ok",
                          "softmax_loss": "WRONG"}, [
        "affine_forward raised AssertionError at one_raises.py, line 8",
        "(it compared the shape (1, 2) with (1, 3))",
        "softmax_loss raised IndexError: index 1 is out of bounds"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_function_gets_its_own_verdict(name, capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)  # the messages name files relative to where check runs
    code, verdicts, texts = CASES[name]
    assert main(["check", str(FIXTURES / name)]) == code
    printed = capsys.readouterr().out
    rows = _rows(printed)
    assert set(rows) == set(verdicts), printed
    for function, verdict in verdicts.items():
        assert f" {verdict} " in rows[function] + " ", (function, printed)
    flat = " ".join(printed.split())
    for text in texts:
        assert " ".join(text.split()) in flat, (text, printed)


def test_an_old_versions_function_with_a_mistake_is_still_wrong(tmp_path, capsys):
    source = (FIXTURES / "dls_c1w4_2017_float_db.py").read_text()
    wrong = source.replace("keepdims=True)) / m", "keepdims=True))")  # bug: no 1/m in db
    assert wrong != source
    (tmp_path / "old.py").write_text(wrong)
    assert main(["check", str(tmp_path / "old.py")]) == 1
    rows = _rows(capsys.readouterr().out)
    assert "WRONG" in rows["linear_backward"] and "scale (b)" in rows["linear_backward"]


def test_a_function_that_hangs_is_stopped_and_the_others_are_checked(capsys):
    assert main(["check", str(FIXTURES / "hangs.py"), "--timeout", "16"]) == 1
    rows = _rows(capsys.readouterr().out)
    assert "WRONG" in rows["relu_backward"] and "time_limit" in rows["relu_backward"]
    assert all("ok" in rows[n] for n in ("relu_forward", "affine_forward", "affine_backward"))


def test_a_stub_returning_none_does_not_cost_the_other_functions():
    namespace = {"np": np}
    exec(textwrap.dedent("""
        def affine_forward(x, w, b):
            return None

        def affine_backward(dout, cache):
            x, w, b = cache
            return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(0)

        def relu_forward(x):
            return np.maximum(0, x), x

        def relu_backward(dout, cache):
            return [1, 2]
        """), namespace)
    results = {r.name: r for r in check_functions(
        {k: v for k, v in namespace.items() if callable(v)})}
    assert results["affine_forward"].verdict == "NOT DONE"
    assert results["affine_backward"].ok is True  # checked with the reference forward
    assert results["relu_forward"].ok is True
    assert results["relu_backward"].ok is False
    assert results["relu_backward"].findings[0].kind == "returns"


def test_template_reason_on_functions_with_source(tmp_path, monkeypatch):
    path = tmp_path / "template_functions.py"
    path.write_text(textwrap.dedent('''
        def placeholder(A, W):
            """doc"""
            ### START CODE HERE ###
            Z = None
            ### END CODE HERE ###
            return Z

        def finished(A, W):
            cache = None
            cache = (A, W)
            return W @ A, cache

        def empty(A):
            """doc"""
            pass

        def not_implemented(A):
            raise NotImplementedError("fill me in")

        def empty_block(A):
            # YOUR CODE STARTS HERE

            # YOUR CODE ENDS HERE
            return Z
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    import template_functions as t
    assert stubs.template_reason(t.placeholder) == \
        "`Z = None` (line 5) is still the template's placeholder"
    assert stubs.template_reason(t.finished) is None
    assert "only `pass`" in stubs.template_reason(t.empty)
    assert "NotImplementedError" in stubs.template_reason(t.not_implemented)
    assert "is empty" in stubs.template_reason(t.empty_block)
    assert stubs.all_zero((0.0, np.zeros((2, 3)))) and not stubs.all_zero((0.0, np.eye(2)))


def test_numpy_1_is_seen_by_the_learners_namespace_only():
    numpy_1 = environment.Numpy1()
    namespace = {"np": np}
    numpy_1.install(namespace)
    exec("a = np.zeros(2, dtype=np.float)\nb = float(np.array([[2.5]]))\n"
         "c = isinstance(np.float64(1), float), isinstance(1, float)\n"
         "d = np.zeros(2, dtype=float).dtype, np.asscalar(np.array([3]))", namespace)
    assert namespace["a"].dtype == np.float64 and namespace["b"] == 2.5
    assert namespace["c"] == (True, False)
    assert namespace["d"] == (np.dtype("float64"), 3)
    assert "np.float" in numpy_1.note() and "np.asscalar" in numpy_1.note()
    assert not hasattr(np, "float") and not hasattr(np, "asscalar")  # NumPy itself untouched
    with pytest.raises(TypeError):
        float(np.array([[2.5]]))


def test_the_provided_helpers_follow_the_module_that_failed_to_import():
    Z = np.array([[-1.0, 0.5], [2.0, -3.0]])
    dnn = environment.provided_helpers(["dnn_utils"], {"sigmoid", "relu_backward", "relu"})
    A, cache = dnn["sigmoid"](Z)
    np.testing.assert_allclose(A, 1 / (1 + np.exp(-Z)))
    assert cache is Z
    np.testing.assert_array_equal(dnn["relu_backward"](np.ones_like(Z), Z), Z > 0)
    planar = environment.provided_helpers(["planar_utils"], {"sigmoid", "softmax"})
    np.testing.assert_allclose(planar["sigmoid"](Z), 1 / (1 + np.exp(-Z)))
    np.testing.assert_allclose(planar["softmax"](Z).sum(axis=0), 1.0)
    assert environment.provided_helpers([], {"relu"}, unpacked={"relu"})["relu"](Z)[1] is Z
    assert environment.is_course_module("testCases_v4a")
    assert environment.is_course_module("dnn_app_utils_v3") and not \
        environment.is_course_module("h5py")


@pytest.mark.parametrize("source, kept", [
    ("%matplotlib inline\nx = 1\n", "\nx = 1"),
    ("%%bash\nls -l\n", ""),
    ("%%time\nx = 1\n", "\nx = 1"),
    ("files = !ls\nnp.dot?\n??np\nx = 2\n", "\n\n\nx = 2"),
    ("!pip install h5py \\\n    numpy\ny = 3\n", "\n\ny = 3"),
    ("d = {'a': 1}\nprint(d['a'])\n", "d = {'a': 1}\nprint(d['a'])"),
])
def test_ipython_syntax_is_blanked_keeping_line_numbers(source, kept):
    assert files._without_magics(source) == kept


def test_numpy_2s_refusals_of_numpy_1_code_are_told_from_the_learners_errors():
    from verigrad.exercises.environment import is_numpy_removal

    messages = []
    try:
        np.float  # noqa: B018 -- the alias NumPy 2 removed
    except AttributeError as err:
        messages.append(str(err))
    try:
        float(np.ones(2))
    except TypeError as err:
        messages.append(str(err))
    assert len(messages) == 2 and all(is_numpy_removal(m) for m in messages)
    for learners in ("name 'W1' is not defined", "shapes (3,4) and (5,1) not aligned",
                     "'dict' object has no attribute 'shape'"):
        assert not is_numpy_removal(learners)
