"""The convolution and pooling exercises: correct loops and vectorised variants pass on every
configuration (pad 0 and > 0, stride 1 and 2, m = 1, non-square, ties in a max-pool window),
and each learner mistake is flagged with its kind."""
import pytest

from . import learners_conv as learners
from .checks import assert_all_pass, flagged, run


def test_correct_implementations_pass_on_every_configuration():
    assert_all_pass(run(learners.CORRECT), learners.CORRECT)


def test_the_backwards_pass_with_the_notebooks_cache_alone():
    results = run({"conv_backward": learners.conv_backward,
                   "pool_backward": learners.pool_backward})
    assert all(r.ok for r in results.values()), results


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_flagged_with_its_kind(name, function, kind):
    result = flagged(learners.CORRECT, name, function)
    assert result.findings[0].kind == kind, (result.findings, result.config)
