"""The CBOW trainer on bad settings and bad files: refused with a clear error, never a model
of NaN vectors or of words silently cut apart."""
import gzip
import hashlib
import json
import tracemalloc

import numpy as np
import pytest

import verigrad as vg
from verigrad.word2vec import CBOW, WordVectors

SENTENCES = [["the", "king", "rules", "the", "land"], ["the", "queen", "rules", "the", "sea"]] * 50


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_a_learning_rate_that_blows_the_vectors_up_stops_training(backend):
    model = CBOW(vector_size=8, window=2, min_count=1, alpha=1e20, min_alpha=1e19, epochs=3,
                 backend=backend, progress=False)
    with pytest.raises(vg.TrainingDiverged, match=r"alpha=1e\+20 is too large"), \
            np.errstate(all="ignore"):
        model.fit(SENTENCES)
    with pytest.raises(RuntimeError, match="not trained"):
        model.most_similar("king")


def test_vectors_with_nan_are_refused():
    with pytest.raises(ValueError, match="NaN or inf.*'b'"):
        WordVectors(["a", "b"], np.array([[1.0, 0.0], [np.nan, 1.0]]))
    with pytest.raises(TypeError, match="real numbers"):
        WordVectors(["a", "b"], np.array([[1j, 0], [0, 1]]))


def test_a_corpus_that_is_not_utf8_is_an_error_not_lost_words(tmp_path):
    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes("café au lait, café noir\n".encode("latin-1") * 10)
    with pytest.raises(ValueError, match="not UTF-8") as err:
        CBOW(min_count=1, progress=False).fit(corpus)
    assert str(corpus) in str(err.value)


def test_a_damaged_gzip_corpus_names_the_file(tmp_path):
    corpus = tmp_path / "corpus.txt.gz"
    data = gzip.compress(b"the king rules the land\n" * 200)
    corpus.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="damaged or truncated") as err:
        CBOW(min_count=1, progress=False).fit(corpus)
    assert str(corpus) in str(err.value)


def test_a_damaged_saved_model_names_the_file(tmp_path):
    model = CBOW(vector_size=4, window=2, min_count=1, epochs=1, progress=False).fit(SENTENCES)
    model.save(tmp_path / "model")
    (tmp_path / "model" / "config.json").write_text("{broken")
    with pytest.raises(ValueError, match="config.json"):
        CBOW.load(tmp_path / "model")
    model.save(tmp_path / "model")
    (tmp_path / "model" / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="weights.npz"):
        CBOW.load(tmp_path / "model")


def test_a_word2vec_file_cannot_make_the_reader_allocate_its_header_claim(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text(f"{10 ** 9} {10 ** 6}\nking 1 2\n")
    with pytest.raises(ValueError, match="line 2"):
        WordVectors.load_word2vec_format(path)
    path.write_text("2 2\nking 1 2\nqueen 1 x\n")
    with pytest.raises(ValueError, match="line 3"):
        WordVectors.load_word2vec_format(path)


def test_topn_must_be_positive():
    vectors = WordVectors(["a", "b", "c"], np.eye(3))
    with pytest.raises(ValueError, match="topn"):
        vectors.most_similar("a", topn=0)


def test_the_query_words_are_never_among_the_answers():
    """Asked for more neighbours than there are other words, most_similar and analogy
    used to return the query words themselves, at −inf."""
    wv = WordVectors(["a", "b", "c", "d"], np.eye(4) + 0.1)
    assert sorted(w for w, _ in wv.most_similar("a", topn=10)) == ["b", "c", "d"]
    assert all(np.isfinite(s) for _, s in wv.most_similar("a", topn=10))
    assert [w for w, _ in wv.analogy("a", "b", "c", topn=10)] == ["d"]


def test_word_pairs_with_a_score_that_is_not_a_number_name_the_line(tmp_path):
    wv = WordVectors(["a", "b", "c"], np.eye(3) + 0.1)
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("a\tb\t1.0\nb\tc\tnan\na\tc\t2.0\n")
    with pytest.raises(ValueError, match=r"pairs.txt.*line 2.*'nan'"):
        wv.evaluate_word_pairs(pairs)
    pairs.write_text("a\tb\t1.0\nb\tc\tten\na\tc\t2.0\n")
    with pytest.raises(ValueError, match=r"pairs.txt.*line 2.*'ten'"):
        wv.evaluate_word_pairs(pairs)


@pytest.mark.parametrize("token", ["", "new york", "a\rb", "\n"])
def test_a_token_the_word2vec_format_cannot_hold_is_refused_before_training(token,
                                                                            monkeypatch):
    trained = []
    monkeypatch.setattr(CBOW, "_train", lambda self, *args: trained.append(1))
    with pytest.raises(ValueError, match=r"sentence 2 .*no space or line break.*" +
                       repr(token).replace("\\", "\\\\")):
        CBOW(min_count=1, progress=False).fit([["a", "b"], ["c", token, "d"]])
    assert not trained


@pytest.mark.parametrize("word", ["new york", "a\rb", "a\nb", ""])
def test_word_vectors_refuse_a_word_they_could_not_export(word):
    with pytest.raises(ValueError, match="no space or line break"):
        WordVectors(["a", word], np.eye(2))


def test_exported_vectors_read_back_exactly(tmp_path):
    words = ["a", "b\tc", "é\xa0z", "d\u2028e"]
    wv = WordVectors(words, np.random.default_rng(0).standard_normal((4, 3)))
    wv.save_word2vec_format(tmp_path / "v.txt")
    back = WordVectors.load_word2vec_format(tmp_path / "v.txt")
    assert back.words == words
    np.testing.assert_array_equal(back.vectors, wv.vectors)


def test_an_interrupted_save_never_pairs_new_vectors_with_the_old_words(tmp_path,
                                                                        monkeypatch):
    """config.json (the word list) comes last and holds the other files' SHA-256: a save
    interrupted after weights.npz leaves a folder that load refuses, by name."""
    folder = tmp_path / "model"
    settings = dict(vector_size=4, window=2, min_count=1, epochs=1, progress=False)
    CBOW(**settings, seed=1).fit(SENTENCES).save(folder)
    other = CBOW(**settings, seed=2).fit(SENTENCES)
    # the same words in another order (ties in the counts broken by first appearance)
    other.words = other.wv.words = other.words[::-1]

    def interrupted(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(WordVectors, "save_word2vec_format", interrupted)
    with pytest.raises(KeyboardInterrupt):
        other.save(folder)
    with pytest.raises(ValueError, match=r"weights.npz is not the file .*config.json was "
                                         r"saved with.*interrupted"):
        CBOW.load(folder)
    monkeypatch.undo()
    other.save(folder)
    assert CBOW.load(folder).wv.words == other.wv.words
    config = json.loads((folder / "config.json").read_text())
    del config["sha256"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="config.json is not the config.*sha256"):
        CBOW.load(folder)


def rewrite_weights(folder, members):
    """Replace weights.npz by ``members`` ({name.npy: bytes or (header, n zeros)}) and
    record its checksum in config.json, as a hostile file's author would."""
    from tests.test_io_untrusted import write_members

    write_members(folder / "weights.npz", members)
    config = json.loads((folder / "config.json").read_text())
    config["sha256"]["weights.npz"] = hashlib.sha256(
        (folder / "weights.npz").read_bytes()).hexdigest()
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("change, words", [
    ("bomb", ["vectors.npy", "max_ratio"]),
    ("shape", ["vectors", "(6, 4)", "(7, 4)"]),
    ("counts as float", ["counts", "float64"]),
    ("extra", ["extra"]),
    ("missing", ["counts"]),
    ("nan", ["NaN"]),
    ("pickle", ["object"]),
])
def test_a_saved_models_weights_are_checked_before_they_are_read(tmp_path, change, words):
    """config.json's checksums cannot vouch for weights.npz (whoever wrote one wrote both):
    its arrays must be those of the words and vector size config.json declares, read only
    once their headers say so, and expand in proportion."""
    from tests.test_io_untrusted import npy, npy_header

    folder = tmp_path / "model"
    CBOW(vector_size=4, window=2, min_count=1, epochs=1, progress=False).fit(
        SENTENCES).save(folder)
    with np.load(folder / "weights.npz") as saved:
        members = {f"{name}.npy": npy(saved[name]) for name in saved.files}
    if change == "bomb":
        members["vectors.npy"] = (npy_header((10 ** 7, 1)), 4 * 10 ** 7)
    elif change == "shape":
        members["vectors.npy"] = npy(np.ones((7, 4), np.float32))
    elif change == "counts as float":
        members["counts.npy"] = npy(np.ones(6))
    elif change == "extra":
        members["extra.npy"] = npy(np.ones(6))
    elif change == "missing":
        del members["counts.npy"]
    elif change == "nan":
        members["vectors.npy"] = npy(np.full((6, 4), np.nan, np.float32))
    else:
        members["counts.npy"] = npy_header((6,), "|O") + b"\x80\x04N."
    rewrite_weights(folder, members)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            CBOW.load(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert "weights.npz" in message and all(w in message for w in words), message
    assert peak < 4 * 10 ** 6
