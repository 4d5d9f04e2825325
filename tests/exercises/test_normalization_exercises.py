"""The normalization and dropout exercises: correct implementations pass, each learner
mistake is flagged with its kind."""
import pytest

from verigrad import exercises

from . import learners_normalization as learners


def run(functions):
    return {r.name: r for r in exercises.check_functions(functions)}


def test_correct_implementations_pass_on_every_configuration():
    results = run(learners.CORRECT)
    assert set(results) == set(learners.CORRECT)
    for name, result in results.items():
        assert result.ok is True, (name, result.config, result.summary())


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(name, function, kind):
    result = run({**learners.CORRECT, name: function})[name]
    assert result.ok is False, result
    assert result.findings[0].kind == kind, (result.findings, result.config)
