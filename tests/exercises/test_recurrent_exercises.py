"""The recurrent exercises: correct cells and sequences pass (T = 1, m = 1, repeated word
indices, masked steps), each learner mistake is flagged with its kind, and a sequence
backward that loses the path through time is placed at its first wrong time step."""
import pytest

from . import learners_recurrent as learners
from .checks import assert_all_pass, flagged, run


def test_correct_implementations_pass_on_every_configuration():
    assert_all_pass(run(learners.CORRECT), learners.CORRECT)


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(name, function, kind):
    result = flagged(learners.CORRECT, name, function)
    assert result.findings[0].kind == kind, (result.findings, result.config)


def test_the_first_wrong_time_step_is_counted_back_from_T():
    result = run({**learners.CORRECT, "rnn_backward": learners.rnn_backward_no_da_prevt})[
        "rnn_backward"]
    step = next(f for f in result.findings if f.kind == "time_step")
    assert result.config == "T=4, m=1"
    assert "at t = 3 of T = 4" in step.message and "da_prevt" in step.message


def test_cs231n_sequences_are_told_from_the_courses_by_their_signatures():
    results = run(learners.CS231N_SEQUENCES)
    assert set(results) == set(learners.CS231N_SEQUENCES)
    for name, result in results.items():
        assert result.ok is True and result.exercise == "CS231n", (name, result.summary())
    course = run({"rnn_forward": learners.rnn_forward, "rnn_backward": learners.rnn_backward})
    assert all(r.ok and r.exercise.startswith("Deep Learning") for r in course.values())
