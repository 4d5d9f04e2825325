"""What the exercise tests (and docs/make_layers_walkthrough.py) share: the checker's
results by name, a learner module's correct functions with their helpers, the test that a
set of correct implementations passes, and the result of one mistake put in place of its
correct function."""
from verigrad import exercises


def run(functions):
    """The checker's result for each of ``functions`` ({name: function}), by name."""
    return {r.name: r for r in exercises.check_functions(functions)}


def with_helpers(learners):
    """A learner module's correct implementations, with the course's helpers they call."""
    return {**{f.__name__: f for f in getattr(learners, "HELPERS", ())}, **learners.CORRECT}


def assert_all_pass(results, names):
    """Exactly ``names`` were checked, and every one passed."""
    assert set(results) == set(names)
    for name, result in results.items():
        assert result.ok is True, (name, result.config, result.summary())


def flagged(functions, name, mistake):
    """The failing result of ``mistake`` checked in place of ``functions[name]``."""
    result = run({**functions, name: mistake})[name]
    assert result.ok is False, result
    return result
