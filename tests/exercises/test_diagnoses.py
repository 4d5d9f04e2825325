"""Sharper diagnoses (issue 23 §4): a mistake is named only where it changes the output, and
a backward's verdict is its own when the forward or cell it is checked with is wrong."""
from . import learners_conv, learners_regularization
from .checks import run, with_helpers


def test_a_right_backward_is_right_beside_a_wrong_dropout_forward():
    functions = with_helpers(learners_regularization)
    for wrong in (learners_regularization.forward_propagation_with_dropout_unscaled,
                  learners_regularization.forward_propagation_with_dropout_unmasked):
        results = run({**functions, "forward_propagation_with_dropout": wrong})
        assert results["forward_propagation_with_dropout"].ok is False
        assert results["backward_propagation_with_dropout"].ok is True, \
            results["backward_propagation_with_dropout"].summary()


def test_a_mistake_that_changes_nothing_on_a_configuration_is_not_named_there():
    # db / m with dA_prev and dW right, on pad = 0, stride = 1 first: the gradients of a
    # missing stride equal the right ones there, so "stride" must not be named
    result = run({**with_helpers(learners_conv),
                  "conv_backward": learners_conv.conv_backward_db_over_m})["conv_backward"]
    assert result.config.startswith("pad=0, stride=1")
    assert [f.kind for f in result.findings][:1] == ["scale"]
    assert "stride" not in {f.kind for f in result.findings}
