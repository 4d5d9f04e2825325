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


def test_a_spatial_batch_norm_backward_divided_by_the_batch_alone_is_named():
    from . import learners_normalization as learners
    result = run({"spatial_batchnorm_forward": learners.spatial_batchnorm_forward_cached,
                  "spatial_batchnorm_backward": learners.spatial_batchnorm_backward_over_batch,
                  })["spatial_batchnorm_backward"]
    assert result.ok is False and result.findings[0].kind == "norm_count", result.findings
    right = run({"spatial_batchnorm_forward": learners.spatial_batchnorm_forward_cached,
                 "spatial_batchnorm_backward": _spatial_backward_right})
    assert right["spatial_batchnorm_backward"].ok is True


def _spatial_backward_right(dout, cache):
    N, C, H, W = dout.shape
    xhat, xc, std, gamma = cache
    dxhat = dout * gamma.reshape(1, C, 1, 1)
    M = N * H * W
    dx = (M * dxhat - dxhat.sum(axis=(0, 2, 3), keepdims=True) -
          xhat * (dxhat * xhat).sum(axis=(0, 2, 3), keepdims=True)) / (M * std)
    return dx, (dout * xhat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def test_a_dropout_backward_is_judged_without_the_learners_forward():
    # the reference forward (a fixed mask in the assignment's cache) is what a backward is
    # checked with when the learner's dropout_forward is wrong or missing
    from . import learners_normalization as learners
    assert run({"dropout_backward": learners.dropout_backward})["dropout_backward"].ok is True
    wrong = run({"dropout_backward": learners.dropout_backward_unmasked})["dropout_backward"]
    assert wrong.findings[0].kind == "dropout_mask"


def test_a_right_sequence_backward_is_right_beside_a_wrong_cell_backward():
    import types

    from . import learners_recurrent as learners
    scope = dict(vars(learners))
    scope["rnn_cell_backward"] = learners.rnn_cell_backward_tanh_of_z
    sequence = types.FunctionType(learners.rnn_backward.__code__, scope, "rnn_backward")
    results = run({**with_helpers(learners), "rnn_cell_backward": scope["rnn_cell_backward"],
                   "rnn_backward": sequence})
    assert results["rnn_cell_backward"].ok is False
    assert results["rnn_backward"].ok is True, results["rnn_backward"].summary()
    assert scope["rnn_cell_backward"] is learners.rnn_cell_backward_tanh_of_z  # put back


def test_lstm_backward_is_judged_on_its_own_beside_a_wrong_cell_backward():
    import types

    from . import learners_recurrent as learners
    scope = dict(vars(learners))
    scope["lstm_cell_backward"] = learners.lstm_cell_backward_dc_prev_unforgotten
    sequence = types.FunctionType(learners.lstm_backward.__code__, scope, "lstm_backward")
    results = run({**with_helpers(learners), "lstm_backward": sequence,
                   "lstm_cell_backward": scope["lstm_cell_backward"]})
    assert results["lstm_cell_backward"].ok is False
    right = results["lstm_backward"]
    assert right.ok is True, right.summary()
    assert "checked with a right lstm_cell_backward in its place (verigrad's), and is right" in \
        right.summary()
    assert scope["lstm_cell_backward"] is learners.lstm_cell_backward_dc_prev_unforgotten
    # a sequence that is wrong itself stays wrong with the right cell in its place
    wrong = types.FunctionType(learners.rnn_backward_no_da_prevt.__code__, dict(vars(learners)),
                               "rnn_backward")
    assert run({**with_helpers(learners), "rnn_backward": wrong})["rnn_backward"].ok is False
    lost = types.FunctionType(learners.lstm_backward_no_dc_prevt.__code__, scope,
                              "lstm_backward")
    lost_result = run({**with_helpers(learners), "lstm_backward": lost,
                       "lstm_cell_backward": scope["lstm_cell_backward"]})["lstm_backward"]
    assert lost_result.ok is False
    assert lost_result.findings[0].kind == "mismatch"  # its own mistake first, then the note
    assert "is wrong on its own too" in lost_result.findings[-1].message


def test_a_right_conv_backward_is_right_beside_a_wrong_conv_single_step():
    import types
    scope = dict(vars(learners_conv))
    scope["conv_single_step"] = learners_conv.conv_single_step_bias_in_every_product
    forward = types.FunctionType(learners_conv.conv_forward.__code__, scope, "conv_forward")
    results = run({**with_helpers(learners_conv), "conv_forward": forward,
                   "conv_single_step": scope["conv_single_step"]})
    assert results["conv_single_step"].findings[0].kind == "bias_count"
    # conv_forward is right with a right conv_single_step in its place: its verdict is its own
    assert results["conv_forward"].ok is True
    assert results["conv_forward"].findings[0].kind == "right_callee"
    assert results["conv_backward"].ok is True, results["conv_backward"].summary()


def test_a_right_cs231n_dropout_backward_is_right_beside_a_wrong_forward():
    from . import learners_normalization as learners
    results = run({**with_helpers(learners),
                   "dropout_forward": learners.dropout_forward_scaled_test})
    assert results["dropout_forward"].ok is False
    assert results["dropout_backward"].ok is True, results["dropout_backward"].summary()
