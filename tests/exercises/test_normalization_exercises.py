"""The normalization and dropout exercises: correct implementations pass, each learner
mistake is flagged with its kind."""
import pytest

from . import learners_normalization as learners
from .checks import assert_all_pass, flagged, run


def test_correct_implementations_pass_on_every_configuration():
    assert_all_pass(run(learners.CORRECT), learners.CORRECT)


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(name, function, kind):
    result = flagged(learners.CORRECT, name, function)
    assert result.findings[0].kind == kind, (result.findings, result.config)
