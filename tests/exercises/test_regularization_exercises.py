"""Course 2 week 1 (L2, dropout, the gradient checker): correct implementations pass,
each learner mistake is flagged with its kind."""
import pytest

from verigrad import exercises

from . import learners_regularization as learners


def run(functions):
    helpers = {f.__name__: f for f in learners.HELPERS}
    return {r.name: r for r in exercises.check_functions({**helpers, **functions})}


def test_correct_implementations_pass_on_every_configuration():
    results = run(learners.CORRECT)
    assert set(results) == set(learners.CORRECT) | {"compute_cost"}  # a helper, checked too
    for name, result in results.items():
        assert result.ok is True, (name, result.config, result.summary())


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(name, function, kind):
    result = run({**learners.CORRECT, name: function})[name]
    assert result.ok is False, result
    assert result.findings[0].kind == kind, (result.findings, result.config)
