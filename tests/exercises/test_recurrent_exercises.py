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


@pytest.mark.parametrize("name, function", [("rnn_backward", learners.rnn_backward_assigned),
                                            ("lstm_backward", learners.lstm_backward_assigned)])
def test_a_weight_gradient_of_one_time_step_is_named_with_the_step(name, function):
    result = flagged(learners.CORRECT, name, function)
    first = result.findings[0]
    # T = 1 comes first, where one step's gradient is the whole gradient: nothing to name
    assert result.config == "T=4, m=1"
    assert first.kind == "time_sum" and first.param == ("Wax" if name == "rnn_backward" else "Wf")
    assert "t = 1 of T = 4" in first.message
    # every weight gradient is explained by it; dx, right, is not mentioned
    assert not [f for f in result.findings if f.kind == "mismatch"], result.findings
    assert run({**learners.CORRECT})[name].ok is True


@pytest.mark.parametrize("name, function, said", learners.CS231N_TIME_SUM,
                         ids=[m[1].__name__ for m in learners.CS231N_TIME_SUM])
def test_cs231ns_sequence_backward_of_one_time_step_is_named(name, function, said):
    result = flagged(learners.CS231N_SEQUENCES, name, function)
    first = result.findings[0]
    assert result.exercise == "CS231n" and not result.config.startswith("T=1")
    assert first.kind == "time_sum" and first.param == "Wx", result.findings
    assert f"{name}'s {said} equal the contribution of time step t = 1 of" in first.message
    # the right dWh of the LSTM's is not in the finding, and nothing else is wrong
    assert not [f for f in result.findings if f.kind == "mismatch"], result.findings
    assert run(learners.CS231N_SEQUENCES)[name].ok is True
