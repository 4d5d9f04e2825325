"""CS231n's transformer_layers.py classes, checked as the learner's PyTorch modules:
correct ones in three styles pass, each mistake is named, dropout's place is checked apart
from the eval-mode output, and the references agree with PyTorch's own attention."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from verigrad.exercises import attention, torch_attention  # noqa: E402

from . import learners_torch_attention as learners  # noqa: E402
from .checks import assert_all_pass, flagged, run  # noqa: E402


@pytest.mark.parametrize("style", sorted(learners.CORRECT_STYLES))
def test_correct_modules_pass(style):
    functions = learners.CORRECT_STYLES[style]
    assert_all_pass(run(functions), {name for name in functions if "." in name})


@pytest.mark.parametrize("name, function, kind", learners.MISTAKES,
                         ids=[m[1].__name__ for m in learners.MISTAKES])
def test_each_mistake_is_named(name, function, kind):
    result = flagged(learners.classes(), name, function)
    assert result.findings[0].kind == kind, (result.findings, result.config)
    assert result.exercise == torch_attention.CS231N


@pytest.mark.parametrize("name, cls, kind", learners.WRONG_CLASSES)
def test_a_wrong_init_is_named(name, cls, kind):
    functions = {**learners.classes(), name: cls, f"{name}.forward": cls.forward}
    result = run(functions)[f"{name}.forward"]
    assert result.ok is False and result.findings[0].kind == kind, result.findings


def test_the_reference_equals_pytorchs_multihead_attention():
    rng = np.random.default_rng(3)
    module = learners.MultiHeadAttention(8, 2, dropout=0.0).double().eval()
    weights = torch_attention._weights(module, torch)
    query, key = rng.standard_normal((2, 3, 8)), rng.standard_normal((2, 5, 8))
    keep = rng.random((3, 5)) < 0.6
    keep[:, 0] = True
    reference = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([module.query.weight, module.key.weight,
                                                  module.value.weight]))
        reference.in_proj_bias.copy_(torch.cat([module.query.bias, module.key.bias,
                                                module.value.bias]))
        reference.out_proj.weight.copy_(module.proj.weight)
        reference.out_proj.bias.copy_(module.proj.bias)
        expected = reference(torch.tensor(query), torch.tensor(key), torch.tensor(key),
                             attn_mask=torch.tensor(~keep), need_weights=False)[0].numpy()
    got = torch_attention._mha_reference(weights, 2, query, key, key, keep)
    assert np.allclose(got, expected, atol=1e-12)
    assert np.allclose(attention.attention(query[:, None], key[:, None], key[:, None], keep)[0],
                       torch.nn.functional.scaled_dot_product_attention(
                           torch.tensor(query[:, None]), torch.tensor(key[:, None]),
                           torch.tensor(key[:, None]), attn_mask=torch.tensor(keep)).numpy(),
                       atol=1e-12)
