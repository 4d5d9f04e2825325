"""The recurrent exercises beyond what test_catalogue.py asks of every topic: a sequence
backward that loses the path through time is placed at its first wrong time step,
CS231n's sequences are told from the courses', and CS231n's lstm_forward names its step's
mistake."""

import pytest

from . import learners_recurrent as learners
from .checks import flagged, run


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


@pytest.mark.parametrize("function, kind", learners.CS231N_LSTM_MISTAKES,
                         ids=[m[0].__name__ for m in learners.CS231N_LSTM_MISTAKES])
def test_cs231ns_lstm_forward_names_its_steps_mistake(function, kind):
    result = flagged(learners.CS231N_SEQUENCES, "lstm_forward", function)
    assert result.exercise == "CS231n"
    assert result.findings[0].kind == kind and result.findings[0].param == "h", result.findings
