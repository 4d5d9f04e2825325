"""Course 2 week 1 (L2, dropout, the gradient checker): correct implementations pass,
each learner mistake is flagged with its kind."""
import pytest

from . import learners_regularization as learners
from .checks import assert_all_pass, flagged
from .checks import run as checks_run

HELPERS = {f.__name__: f for f in learners.HELPERS}


def run(functions):
    return checks_run({**HELPERS, **functions})


def test_correct_implementations_pass_on_every_configuration():
    assert_all_pass(run(learners.CORRECT),
                    set(learners.CORRECT) | {"compute_cost"})  # a helper, checked too


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(name, function, kind):
    result = flagged({**HELPERS, **learners.CORRECT}, name, function)
    assert result.findings[0].kind == kind, (result.findings, result.config)
