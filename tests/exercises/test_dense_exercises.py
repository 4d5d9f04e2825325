"""The dense exercises of the catalogue (what every topic must show is in test_catalogue.py):
the reference layers wrapped in the course's signatures pass too, every exercise but the
whole-model backward is tried on several configurations, the line to look at, and nothing the
learner passes is changed."""

from verigrad import exercises

from . import learners_dense as learners
from .checks import run


def test_the_reference_layers_in_the_courses_signatures_pass_on_several_configurations():
    results = run({**learners.CORRECT, **learners.REFERENCE})
    assert set(results) == set(learners.CORRECT)
    for name, result in results.items():
        assert result.ok is True, (name, result.summary(), result.config)
        assert result.configs >= 2 or name == "L_model_backward"


def test_the_line_to_look_at_is_the_wrong_gradients_assignment():
    result = run({**learners.CORRECT, "linear_backward": learners.linear_backward_no_m})[
        "linear_backward"]
    code = learners.linear_backward_no_m.__code__
    assert result.file == code.co_filename and result.line == code.co_firstlineno + 2


def test_a_backward_is_checked_with_the_learners_forward_or_the_notebooks_cache():
    alone = run({"linear_backward": learners.linear_backward})
    assert alone["linear_backward"].ok is True  # the cache (A, W, b) is the notebook's
    batchless = run({"L_model_backward": learners.L_model_backward})
    assert batchless["L_model_backward"].ok is None
    assert batchless["L_model_backward"].findings[0].kind == "missing"


def test_a_function_with_the_wrong_parameters_cannot_be_checked():
    def affine_backward(dout):
        return dout

    result = run({"affine_backward": affine_backward})["affine_backward"]
    assert result.ok is None and result.findings[0].kind == "signature"
    assert "(dout, cache)" in result.findings[0].message


def test_a_check_leaves_nothing_behind_for_the_next():
    functions = {**learners.CORRECT, "relu_backward": learners.relu_backward_in_place}
    first = [(r.name, r.ok, r.config) for r in exercises.check_functions(functions)]
    again = [(r.name, r.ok, r.config) for r in exercises.check_functions(functions)]
    assert first == again
