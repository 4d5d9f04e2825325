"""Attention, positional encodings, GELU and the transformer block: gradient checks inside
models in float64, saving and loading, the declared facts and the errors that name bad
input (PyTorch comparisons are in test_attention_torch.py)."""
import numpy as np
import pytest

import verigrad as vg
from verigrad.layers.positional import sinusoidal_table

V, D, T, M = 7, 8, 5, 3


def tiny_model(*middle, dtype="float64"):
    return vg.Sequential([vg.Embedding(V, D), *middle, vg.Dense(D, V)],
                         loss=vg.SequenceSoftmaxCrossEntropy(), dtype=dtype, seed=1)


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, V, (T, M)), rng.integers(0, V, (T, M))


@pytest.mark.parametrize("middle", [
    lambda: [vg.MultiHeadAttention(D, 2)],
    lambda: [vg.MultiHeadAttention(D, 4, causal=True, dropout=0.3)],
    lambda: [vg.PositionalEncoding(D, 16, learned=True), vg.LayerNorm(D)],
    lambda: [vg.Dense(D, D), vg.GELU(), vg.Dense(D, D), vg.GELU("tanh")],
    lambda: [vg.PositionalEncoding(D, T), vg.TransformerBlock(D, 2, 12),
             vg.TransformerBlock(D, 2, 12, dropout=0.2, approximate="tanh")],
], ids=["attention", "causal-dropout", "positions-layernorm", "gelu", "blocks"])
def test_gradcheck_passes_inside_a_model(middle):
    report = vg.gradcheck(tiny_model(*middle()), *batch(), mode="full")
    assert report.ok, report


def test_a_wrong_softmax_backward_is_caught():
    """The check can fail: the softmax backward without its row sum is named."""
    class Broken(vg.MultiHeadAttention):
        def backward(self, dY):
            P = self.P
            self.P = P * 0  # dS = P ⊙ dP with P zeroed: the q and k paths lost
            try:
                return super().backward(dY)
            finally:
                self.P = P

    vg.register_layer(Broken)
    report = vg.gradcheck(tiny_model(Broken(D, 2)), *batch(), mode="full")
    assert not report.ok
    wrong = {p.name for p in report.params if not p.ok}
    assert {"Wq2", "Wk2"} <= wrong and "Wv2" not in wrong


def test_causal_attention_does_not_read_the_future():
    layer = vg.MultiHeadAttention(D, 2, causal=True)
    X = np.random.default_rng(0).standard_normal((D, T, M))
    Y = layer.forward(X)
    X2 = X.copy()
    X2[:, 3:] += 5.0
    np.testing.assert_allclose(layer.forward(X2)[:, :3], Y[:, :3], rtol=1e-12, atol=1e-12)
    P = layer.P
    assert np.all(P[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] == 0)
    np.testing.assert_allclose(P.sum(axis=-1), 1)


def test_padded_keys_get_no_weight_and_change_nothing():
    layer = vg.MultiHeadAttention(D, 2)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((D, T, M))
    lengths = np.array([5, 2, 3])
    Y = layer.forward(X, lengths=lengths)
    assert np.all(layer.P[1, :, :, 2:] == 0) and np.all(layer.P[2, :, :, 3:] == 0)
    X[3:, 2:, 1] = 100.0  # the padding of sequence 1 changed: its real steps see nothing new
    np.testing.assert_allclose(layer.forward(X, lengths=lengths)[:, :2, 1], Y[:, :2, 1])


def test_attention_dropout_keeps_the_expected_output_and_freezes():
    layer = vg.MultiHeadAttention(D, 2, dropout=0.5)
    layer.set_rng(np.random.default_rng(0))
    X = np.random.default_rng(2).standard_normal((D, T, 400))
    evaluation = layer.forward(X)
    trained = layer.forward(X, training=True)
    assert not np.allclose(trained, evaluation)
    # dropout on the weights is inverted: the mean over many draws is the evaluation output
    np.testing.assert_allclose(trained.mean(axis=2), evaluation.mean(axis=2), atol=0.1)
    assert layer.keep_random_draws()
    np.testing.assert_array_equal(layer.forward(X, True), layer.forward(X, True))


def test_sinusoidal_table_follows_the_paper():
    table = sinusoidal_table(6, 10)
    t, two_i = 7, 4  # the feature pair (4, 5): both take the exponent 2i/d = 4/6
    assert table[4, t] == pytest.approx(np.sin(t / 10000 ** (two_i / 6)))
    assert table[5, t] == pytest.approx(np.cos(t / 10000 ** (two_i / 6)))
    np.testing.assert_allclose(table[0::2, 0], 0)
    np.testing.assert_allclose(table[1::2, 0], 1)
    assert sinusoidal_table(5, 3).shape == (5, 3)
    layer = vg.PositionalEncoding(6, 10)
    X = np.zeros((6, 4, 2))
    np.testing.assert_allclose(layer.forward(X)[:, :, 1], table[:, :4])


def test_attention_entropy_per_head():
    layer = vg.MultiHeadAttention(D, 2)
    layer.forward(np.zeros((D, T, M)))  # equal scores: uniform attention, entropy log T
    np.testing.assert_allclose(layer.attention_entropy(), [np.log(T)] * 2)
    layer.params["Wq"][...] = 0
    layer.params["bq"][...] = 0
    layer.params["bk"][...] = 0
    layer.forward(np.random.default_rng(0).standard_normal((D, T, M)))
    np.testing.assert_allclose(layer.attention_entropy(), np.log(T))


def test_the_monitor_reports_attention_entropy_and_warns_on_collapse():
    model = tiny_model(vg.MultiHeadAttention(D, 2, causal=True))
    X, Y = batch()
    monitor = vg.diagnostics.Monitor(verbose=0)
    model.fit(X, Y, epochs=1, batch_size=M, callbacks=[monitor], verbose=0)
    record = monitor.attention_records[0]
    assert record["layer"] == 2 and len(record["entropy"]) == 2
    assert all(0 < e <= np.log(T) for e in record["entropy"])
    # a head whose queries all pick one key: scores scaled up 1e4 times
    for name in ("Wq2", "Wk2"):
        model.params[name] = 100 * model.params[name]
    with pytest.warns(vg.TrainingWarning, match="collapsed"):
        model.fit(X, Y, epochs=1, batch_size=M, callbacks=[monitor], verbose=0)


@pytest.mark.parametrize("make", [
    lambda: vg.MultiHeadAttention(D, 4, causal=True, dropout=0.1),
    lambda: vg.PositionalEncoding(D, 9, learned=True),
    lambda: vg.TransformerBlock(D, 2, 12, causal=False, dropout=0.1, approximate="tanh"),
])
def test_saves_and_loads(make, tmp_path):
    model = tiny_model(make(), dtype="float32")
    X, _ = batch()
    model.save(tmp_path / "m.npz")
    loaded = vg.load(tmp_path / "m.npz")
    assert repr(loaded.layers[1]) == repr(model.layers[1])
    assert list(loaded.params) == list(model.params)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_block_parameters_are_named_by_their_part():
    model = tiny_model(vg.TransformerBlock(D, 2, 12))
    names = [n for n in model.params if n.endswith("2")]
    assert names == ["gamma_attn2", "beta_attn2", "Wq2", "Wk2", "Wv2", "Wo2", "bq2", "bk2",
                     "bv2", "bo2", "gamma_ffn2", "beta_ffn2", "Wup2", "bup2", "Wdown2", "bdown2"]
    assert model.layers[1].params["Wq"] is model.params["Wq2"]


@pytest.mark.parametrize("make,error,message", [
    (lambda: vg.MultiHeadAttention(10, 3), ValueError, r"d_model \(10\) must be a multiple "
                                                       r"of num_heads \(3\)"),
    (lambda: vg.MultiHeadAttention(8, 2, dropout=1.0), ValueError, "dropout must be"),
    (lambda: vg.TransformerBlock(8, 3, 16), ValueError, "multiple of num_heads"),
    (lambda: vg.PositionalEncoding(8, 0), ValueError, "max_len must be a positive integer"),
    (lambda: vg.GELU("fast"), ValueError, "approximate must be one of"),
    (lambda: vg.PositionalEncoding(D, 4).forward(np.zeros((D, 5, 1))), ValueError,
     "T = 5 steps, longer than its max_len = 4"),
    (lambda: vg.MultiHeadAttention(D, 2).forward(np.zeros((D + 1, 3, 1))), ValueError,
     r"\(d_model, T, m\) = \(8, T, m\), got shape \(9, 3, 1\)"),
    (lambda: vg.MultiHeadAttention(D, 2).forward(np.zeros((D, 3, 2)),
                                                 key_mask=np.ones((2, 3), bool)),
     ValueError, r"key_mask must be a boolean array of shape \(T, m\) = \(3, 2\), .*got bool "
                 r"of shape \(2, 3\)"),
    (lambda: vg.MultiHeadAttention(D, 2).forward(np.zeros((D, 3, 2)), lengths=[3, 0]),
     ValueError, r"lengths must be in \[1, T\]"),
    (lambda: vg.Sequential([vg.Embedding(V, D), vg.MultiHeadAttention(D + 2, 2)]),
     ValueError, r"takes sequences \(d_model, T, m\) = \(10, T, m\)"),
])
def test_bad_input_is_refused_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_gpt_trains_saves_and_samples(tmp_path):
    from verigrad.sampling import sample_ids
    model = vg.gpt(V, d_model=8, num_heads=2, num_layers=2, block_size=T, seed=0)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Embedding", "PositionalEncoding", "TransformerBlock", "TransformerBlock",
        "LayerNorm", "Dense"]
    X, Y = batch()
    before = model.evaluate(X, Y)["cost"]
    model.fit(X, Y, epochs=20, batch_size=M, verbose=0,
              optimizer=vg.AdamW(1e-2, schedule=vg.WarmupCosine(5, 20), clip_norm=1.0))
    assert model.evaluate(X, Y)["cost"] < before - 0.5
    model.save(tmp_path / "gpt.npz")
    loaded = vg.load(tmp_path / "gpt.npz")
    drawn = sample_ids(loaded, [1, 2], 2 * T, seed=0)  # longer than block_size: cropped
    assert drawn.shape == (2 * T,) and drawn.max() < V
    np.testing.assert_array_equal(drawn, sample_ids(model, [1, 2], 2 * T, seed=0))
