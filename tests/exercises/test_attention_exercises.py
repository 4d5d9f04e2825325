"""The attention exercises beyond what test_catalogue.py asks of every topic: other correct
styles and the 2021 notebook's mask convention pass, the file's own masks decide the
convention, TensorFlow code says it needs TensorFlow, and the references equal PyTorch's."""
import numpy as np
import pytest

from verigrad.exercises import attention

from . import learners_attention as learners
from .checks import assert_all_pass, flagged, run, with_helpers


@pytest.mark.parametrize("style", sorted(learners.STYLES))
def test_other_correct_styles_and_versions_pass(style):
    functions = learners.STYLES[style]
    assert_all_pass(run(functions), set(functions) - {"create_look_ahead_mask"})


def test_without_the_files_masks_either_convention_passes():
    for function in (learners.scaled_dot_product_attention,
                     learners.scaled_dot_product_attention_2021):
        result = run({"scaled_dot_product_attention": function})["scaled_dot_product_attention"]
        assert result.ok is True, result.summary()


def test_the_files_own_masks_decide_the_convention():
    assert attention.mask_convention(with_helpers(learners)) == "attend"
    assert attention.mask_convention(learners.STYLES["the 2021 notebook"]) == "hide"
    result = flagged(learners.STYLES["the 2021 notebook"], "scaled_dot_product_attention",
                     learners.scaled_dot_product_attention)
    assert result.findings[0].kind == "mask_sign"
    assert "1 = hide" in result.findings[0].message


def test_tensorflow_code_needs_tensorflow_and_is_not_called_wrong():
    for name, function in (("scaled_dot_product_attention",
                            learners.scaled_dot_product_attention_tf),):
        result = run({name: function})[name]
        assert result.ok is None and result.findings[0].kind == "needs_tensorflow", result


def test_the_references_equal_pytorchs_attention():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 6, 4)), \
        rng.standard_normal((2, 3, 6, 2))
    keep = rng.random((2, 1, 1, 6)) < 0.7
    keep[..., 0] = True
    out, weights = attention.attention(q, k, v, keep)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(keep))
    assert np.allclose(out, expected.numpy(), atol=1e-12)
    assert np.allclose(weights.sum(-1), 1)
    assert not np.broadcast_to(~keep, weights.shape)[weights > 0].any()
    causal = attention.attention(q, q, v[:, :, :5], None, causal=True)[0]
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, q, v[:, :, :5])), is_causal=True)
    assert np.allclose(causal, expected.numpy(), atol=1e-12)
