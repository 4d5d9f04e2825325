"""The NLP course's continuous bag-of-words model, function for function (``cbow``), and
its tokenizer (``tokenize``), to compare a learner's code with. The trainer for real
corpora is ``verigrad.CBOW`` in ``verigrad.word2vec``."""
from __future__ import annotations

from . import cbow, tokenize

__all__ = ["cbow", "tokenize"]
