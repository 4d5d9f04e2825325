"""Character vocabularies and next-character windows."""
import numpy as np
import pytest

from verigrad.data.chars import CharVocabulary, load_text, next_char_streams, next_char_windows


def test_vocabulary_round_trip_and_saved_copy(tmp_path):
    text = "To be, or not to be:\nthat is the question."
    vocab = CharVocabulary.from_text(text)
    assert vocab.size == len(set(text)) and vocab.chars == sorted(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    vocab.save(tmp_path / "vocab.json")
    again = CharVocabulary.load(tmp_path / "vocab.json")
    assert again.chars == vocab.chars and again.decode(ids) == text
    with pytest.raises(ValueError, match=r"not in the vocabulary: 'QZd'"):
        vocab.encode("Zounds, Q")
    with pytest.raises(ValueError, match="empty"):
        CharVocabulary.from_text("")


def test_windows_pair_each_character_with_the_next():
    ids = np.arange(23)
    X, Y = next_char_windows(ids, 5)
    assert X.shape == Y.shape == (5, 4)  # 22 usable pairs -> 4 blocks of 5, 2 dropped
    np.testing.assert_array_equal(X[:, 1], [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(Y, X + 1)
    with pytest.raises(ValueError, match="too short"):
        next_char_windows(ids[:5], 5)


def test_load_text_names_what_it_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("VERIGRAD_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="--data FILE"):
        load_text()
    (tmp_path / "t.txt").write_text("abc")
    assert load_text(tmp_path / "t.txt") == "abc"


def test_streams_continue_each_column_from_one_batch_to_the_next():
    ids = np.arange(50)
    X, Y = next_char_streams(ids, 4, streams=3)  # 3 parts of 16 ids -> 4 batches of 3 columns
    assert X.shape == Y.shape == (4, 12)
    np.testing.assert_array_equal(X[:, 0], [0, 1, 2, 3])        # part 0, block 0
    np.testing.assert_array_equal(X[:, 3], [4, 5, 6, 7])        # part 0, block 1: next batch
    np.testing.assert_array_equal(X[:, 1], [16, 17, 18, 19])    # part 1, block 0
    np.testing.assert_array_equal(Y, X + 1)
    with pytest.raises(ValueError, match="too short for 3 streams"):
        next_char_streams(ids[:12], 4, streams=3)
