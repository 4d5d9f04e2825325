"""The CBOW trainer: gradients, the numba kernel, training, evaluation, files, CLI."""
import json
import math

import numpy as np
import pytest

import verigrad as vg
from verigrad.cli import main
from verigrad.course.tokenize import simple_tokenize
from verigrad.word2vec import CBOW, WordVectors, negative_sampling_gradients
from verigrad.word2vec.corpus import EncodedCorpus
from verigrad.word2vec.sampling import alias_table
from verigrad.word2vec.trainers import _NumpySoftmax


def dense(shape, rows, values):
    out = np.zeros(shape)
    np.add.at(out, rows, values)
    return out


def test_negative_sampling_gradient_passes_check_backprop():
    rng = np.random.default_rng(0)
    V, N = 9, 4
    w_in, w_out = rng.normal(size=(V, N)), rng.normal(size=(V, N))
    context = np.array([[1, 2, 3, 1], [4, 5, 0, 0], [6, 7, 8, 2]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 1, 0]], dtype=bool)
    rows = np.array([[0, 5, 6], [3, 3, 1], [2, 8, 8]])      # (3, 3) has a noise row = centre

    def cost(p):
        return negative_sampling_gradients(p["w_in"], p["w_out"], context, mask, rows)[0]

    def grads(p):
        _, (in_rows, in_grads), (out_rows, out_grads) = negative_sampling_gradients(
            p["w_in"], p["w_out"], context, mask, rows)
        return {"w_in": dense(w_in.shape, in_rows, in_grads),
                "w_out": dense(w_out.shape, out_rows, out_grads)}

    report = vg.check_backprop(cost, grads, {"w_in": w_in, "w_out": w_out})
    assert report.ok, report
    loss = cost({"w_in": w_in, "w_out": w_out})
    h0 = w_in[[1, 2, 3, 1]].mean(axis=0)
    sig = lambda s: 1 / (1 + math.exp(-s))
    first = (-math.log(sig(h0 @ w_out[0])) - math.log(sig(-h0 @ w_out[5]))
             - math.log(sig(-h0 @ w_out[6])))
    h1 = w_in[[4, 5]].mean(axis=0)
    second = -math.log(sig(h1 @ w_out[3])) - math.log(sig(-h1 @ w_out[1]))
    h2 = w_in[[7, 8]].mean(axis=0)
    third = -math.log(sig(h2 @ w_out[2])) - 2 * math.log(sig(-h2 @ w_out[8]))
    assert loss == pytest.approx(first + second + third, rel=1e-12)


def test_numba_kernel_takes_the_verified_gradient_steps():
    kernels = pytest.importorskip("verigrad.word2vec._kernels")
    rng = np.random.default_rng(1)
    V, N, alpha, noise_row = 6, 5, 0.1, 4
    w_in = rng.normal(size=(V, N)).astype(np.float32)
    w_out = rng.normal(size=(V, N)).astype(np.float32)
    sentence = np.array([0, 1, 2, 1, 4], dtype=np.int32)
    # An alias table that always draws noise_row, window 1 (never shrinks), no
    # subsampling and one noise word (word2vec updates noise rows one after the other)
    # make the kernel's steps deterministic.
    alias_prob, alias_index = np.zeros(V), np.full(V, noise_row, dtype=np.int64)
    got_in, got_out = w_in.copy(), w_out.copy()
    kernels.train_negative_chunk(
        sentence, np.array([0, 5]), np.arange(V, dtype=np.int32), np.ones(V, np.float32),
        got_in, got_out, alias_prob, alias_index, 1, 1, alpha, alpha, 7,
        np.empty(5, np.int64), np.empty(N, np.float32), np.empty(N, np.float32))
    want_in, want_out = w_in.astype(np.float64), w_out.astype(np.float64)
    for i in range(5):
        context = [j for j in (i - 1, i + 1) if 0 <= j < 5]
        rows = np.array([[sentence[i], noise_row]])
        _, (in_rows, in_grads), (out_rows, out_grads) = negative_sampling_gradients(
            want_in, want_out, sentence[context][None, :], np.ones((1, len(context)), bool),
            rows)
        np.add.at(want_out, out_rows, -alpha * out_grads)
        # word2vec moves each context vector by count x its gradient
        np.add.at(want_in, in_rows, -alpha * len(context) * in_grads)
    np.testing.assert_allclose(got_in, want_in, atol=1e-5)
    np.testing.assert_allclose(got_out, want_out, atol=1e-5)


def test_softmax_trainer_steps_along_the_course_back_prop(tmp_path):
    from verigrad.course import cbow
    sentence = ["a", "b", "c", "a", "d", "b", "a"]
    # window 1 never shrinks and sample=0 keeps every word: the batch is known.
    model = CBOW(vector_size=3, window=1, loss="softmax", sample=0, min_count=1,
                 batch_size=100, workers=1, progress=False)
    encoded = EncodedCorpus([sentence], tmp_path)
    model._build_vocabulary(encoded)
    trainer = _NumpySoftmax(model, np.random.default_rng(0))
    W1, W2 = trainer.W1_t.T.astype(np.float64), trainer.W2.astype(np.float64)
    b1, b2 = trainer.b1.astype(np.float64), trainer.b2.astype(np.float64)
    rows = [model.words.index(w) for w in sentence]
    V = len(model.words)
    x, y = np.zeros((V, len(rows))), np.zeros((V, len(rows)))
    for i, row in enumerate(rows):
        context = [rows[j] for j in (i - 1, i + 1) if 0 <= j < len(rows)]
        for c in context:
            x[c, i] += 1 / len(context)
        y[row, i] = 1
    z, h = cbow.forward_prop(x, W1, W2, b1, b2)
    # The trainer sums the batch's gradients: the course's back_prop with batch_size 1.
    grads = cbow.back_prop(x, cbow.softmax(z), y, h, W1, W2, b1, b2, 1)
    alpha = 0.1
    trainer.train_chunk(np.asarray(encoded.ids), encoded.starts, alpha, alpha, 1)
    for got, start, grad in zip([trainer.W1_t.T, trainer.W2, trainer.b1, trainer.b2],
                                [W1, W2, b1, b2], grads):
        np.testing.assert_allclose(got, start - alpha * grad, atol=1e-6)


def test_alias_table_reproduces_the_distribution():
    p = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    prob, alias = alias_table(p)
    recovered = prob / len(p)
    for i, target in enumerate(alias):
        recovered[target] += (1 - prob[i]) / len(p)
    np.testing.assert_allclose(recovered, p, atol=1e-12)


def _tiny_corpus(text_dir, lines=12000):
    with open(text_dir / "tinyshakespeare" / "input.txt", encoding="utf-8") as f:
        return [simple_tokenize(line) for _, line in zip(range(lines), f)]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_training_learns_shakespeare_neighbours(text_dir, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    corpus = _tiny_corpus(text_dir, 40000)
    # One thread: lock-free threads make runs differ, this test should not.
    model = CBOW(vector_size=32, window=5, epochs=3, min_count=5, seed=3, backend=backend,
                 workers=1, progress=False).fit(corpus)
    assert model.stats["backend"] == backend
    assert model.stats["trained_words"] > 300000

    def near(word):
        return {w for w, _ in model.most_similar(word, 10)}
    assert len(near("thou") & {"art", "hast", "dost", "wilt", "canst", "shalt"}) >= 2
    assert near("king") & {"edward", "richard", "henry", "bolingbroke", "prince", "duke"}
    assert near("father") & {"mother", "brother", "wife", "husband", "son"}


def test_softmax_loss_cost_falls(text_dir):
    corpus = _tiny_corpus(text_dir, 3000)
    # One thread, so that the run is the same every time.
    before = CBOW(vector_size=20, loss="softmax", epochs=1, alpha=1e-9, min_alpha=1e-9,
                  workers=1, progress=False, seed=2).fit(corpus)
    after = CBOW(vector_size=20, loss="softmax", epochs=5, alpha=0.05, workers=1,
                 progress=False, seed=2).fit(corpus)

    def cross_entropy(model):
        """Mean full-softmax cost of the course model over the corpus windows."""
        trainer = model._trainer
        index = {w: i for i, w in enumerate(model.words)}
        ids = [index[w] for s in corpus for w in s if w in index]
        total = 0.0
        for i in range(2, len(ids) - 2):
            h = np.maximum(trainer.W1_t[ids[i - 2:i] + ids[i + 1:i + 3]].mean(0)
                           + trainer.b1[:, 0], 0)
            z = trainer.W2 @ h + trainer.b2[:, 0]
            total += np.log(np.exp(z - z.max()).sum()) + z.max() - z[ids[i]]
        return total / (len(ids) - 4)

    assert cross_entropy(after) < cross_entropy(before) - 0.5
    assert cross_entropy(before) == pytest.approx(np.log(len(before.words)), abs=0.05)


def test_corpus_streams_from_gzip_or_a_one_shot_generator(text_dir, tmp_path):
    import gzip
    lines = (text_dir / "lee_background.cor").read_text(encoding="utf-8").splitlines()
    with gzip.open(tmp_path / "lee.txt.gz", "wt", encoding="utf-8") as out:
        out.write("\n".join(lines))
    settings = dict(vector_size=8, epochs=1, backend="numpy", progress=False)
    from_gzip = CBOW(**settings).fit(tmp_path / "lee.txt.gz")
    from_generator = CBOW(**settings).fit(simple_tokenize(line) for line in lines)
    assert from_gzip.words == from_generator.words
    np.testing.assert_array_equal(from_gzip.counts, from_generator.counts)
    assert from_gzip.stats["corpus_words"] == sum(len(simple_tokenize(line))
                                                 for line in lines)
    assert from_gzip.words[:3] == ["the", "to", "of"]


def test_word2vec_format_round_trip_and_gensim(tmp_path):
    rng = np.random.default_rng(5)
    words = ["alpha", "beta", "gamma", "delta"]
    wv = WordVectors(words, rng.normal(size=(4, 3)).astype(np.float32))
    wv.save_word2vec_format(tmp_path / "v.txt")
    assert (tmp_path / "v.txt").read_text().splitlines()[0] == "4 3"
    back = WordVectors.load_word2vec_format(tmp_path / "v.txt")
    assert back.words == words
    np.testing.assert_array_equal(back.vectors, wv.vectors)
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert list(kv.index_to_key) == words
    np.testing.assert_array_equal(kv["gamma"], wv["gamma"])
    kv.save_word2vec_format(str(tmp_path / "g.txt"))
    imported = CBOW.load_word2vec_format(tmp_path / "g.txt")
    np.testing.assert_array_equal(imported.wv.vectors, wv.vectors)
    (word, cosine), = imported.most_similar("alpha", 1)
    (gensim_word, gensim_cosine), = kv.most_similar("alpha", topn=1)
    assert word == gensim_word and cosine == pytest.approx(gensim_cosine, abs=1e-6)


def test_evaluations_match_definitions(tmp_path):
    words = ["a", "b", "c", "d", "e"]
    vectors = np.array([[1, 0], [0.8, 0.6], [0, 1], [-1, 0], [0.6, -0.8]], dtype=np.float32)
    wv = WordVectors(words, vectors)
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# comment\nA\tb\t9\na\tc\t5\na\td\t1\nb\te\t4\na\tzzz\t3\n")
    result = wv.evaluate_word_pairs(pairs)
    assert result["pairs"] == 4 and result["oov_ratio"] == pytest.approx(20.0)
    cosines = [0.8, 0.0, -1.0, 0.0]
    assert result["pearson"] == pytest.approx(np.corrcoef([9, 5, 1, 4], cosines)[0, 1])
    # ranks of the cosines with the tie shared: [4, 2.5, 1, 2.5]
    assert result["spearman"] == pytest.approx(np.corrcoef([4, 3, 1, 2], [4, 2.5, 1, 2.5])[0, 1])
    analogies = tmp_path / "q.txt"
    analogies.write_text(": one\na b d e\na c b d\n: two\na zzz b c\n")
    report = wv.evaluate_word_analogies(analogies)
    assert report["questions"] == 2 and report["skipped"] == 1
    # b - a + d = (-1.2, 0.6) is nearest to c (wrong); c - a + b = (-0.2, 1.6) to d (right)
    assert wv.analogy("a", "b", "d")[0][0] == "c" and wv.analogy("a", "c", "b")[0][0] == "d"
    assert report["correct"] == 1 and report["sections"] == {"one": 0.5}


def test_save_load_and_cli(text_dir, tmp_path, capsys):
    corpus = text_dir / "lee_background.cor"
    out = tmp_path / "model"
    assert main(["cbow", "train", str(corpus), "--out", str(out), "--dim", "20",
                 "--epochs", "2", "--backend", "numpy", "--plot", "government",
                 "minister", "police", "australia"]) == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert stats["corpus_words"] > 50000 and stats["vocabulary"] > 1000
    assert (out / "pca.png").read_bytes()[:4] == b"\x89PNG"
    model = CBOW.load(out)
    assert model.config()["vector_size"] == 20
    again = WordVectors.load_word2vec_format(out / "vectors.txt")
    np.testing.assert_allclose(again.vectors, model.wv.vectors, rtol=1e-6)
    assert main(["cbow", "similar", str(out), "police", "--topn", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(line.split("\t")[0] in model.wv for line in lines)
    assert main(["cbow", "eval", str(out), "--pairs", str(text_dir / "wordsim353.tsv")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report[str(text_dir / "wordsim353.tsv")]) == {"pearson", "spearman",
                                                             "oov_ratio", "pairs"}


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="vector_size must be a positive integer, got 0"):
        CBOW(vector_size=0)
    with pytest.raises(ValueError, match="loss must be 'negative' or 'softmax', got 'hs'"):
        CBOW(loss="hs")
    with pytest.raises(TypeError, match="corpus must yield lists of str tokens, got str"):
        CBOW(progress=False).fit(["a sentence as one string"])
    with pytest.raises(FileNotFoundError, match="corpus file not found"):
        CBOW(progress=False).fit(tmp_path / "missing.txt")
    with pytest.raises(RuntimeError, match="call fit"):
        CBOW().most_similar("king")
    with pytest.raises(KeyError, match="'zzz' is not in the vocabulary"):
        WordVectors(["a"], np.ones((1, 2))).most_similar("zzz")
