"""What every learner module must show: its correct implementations pass on every generated
configuration (T = 1, m = 1, pad 0, stride 2, ties in a pooling window, ...), and each of its
mistakes is flagged, the first finding naming the mistake's kind."""
import pytest

from verigrad import exercises

from . import (
    learners_attention,
    learners_conv,
    learners_cs231n_knn,
    learners_cs231n_linear,
    learners_cs231n_models,
    learners_cs231n_optim,
    learners_dense,
    learners_globals,
    learners_gradient_checking,
    learners_initialization,
    learners_logistic,
    learners_normalization,
    learners_optimization,
    learners_recurrent,
    learners_regularization,
    learners_shallow,
)
from .checks import assert_all_pass, flagged, run, with_helpers

LEARNERS = [learners_dense, learners_regularization, learners_normalization, learners_conv,
            learners_recurrent, learners_cs231n_linear, learners_cs231n_optim,
            learners_cs231n_knn, learners_cs231n_models, learners_optimization,
            learners_shallow, learners_initialization, learners_gradient_checking,
            learners_logistic, learners_attention, learners_globals]
NAMES = {exercise.name for exercise in exercises.EXERCISES}


def _short(learners):
    return learners.__name__.rsplit(".", 1)[1].removeprefix("learners_")


@pytest.mark.parametrize("learners", LEARNERS, ids=_short)
def test_correct_implementations_pass_on_every_configuration(learners):
    functions = with_helpers(learners)
    # a helper that is an exercise itself (compute_cost, sigmoid) is checked too
    # a class is there for its methods, which are the exercises
    exercises_ = {name for name, f in learners.CORRECT.items() if not isinstance(f, type)}
    assert_all_pass(run(functions), exercises_ | (set(functions) & NAMES))


@pytest.mark.parametrize("learners, name, function, kind",
                         [(learners, *mistake) for learners in LEARNERS
                          for mistake in learners.MISTAKES],
                         ids=[f"{_short(learners)}-{mistake[1].__name__}"
                              for learners in LEARNERS for mistake in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(learners, name, function, kind):
    result = flagged(with_helpers(learners), name, function)
    assert result.findings[0].kind == kind, (result.findings, result.config)
