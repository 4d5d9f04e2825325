"""word2vec's continuous bag of words for real corpora: the ``CBOW`` trainer and the
``WordVectors`` it produces.

vectors    ``WordVectors``: look-up, similarity, evaluations, word2vec text format
corpus     ``EncodedCorpus``: the corpus read once into ids on disk, streamed in chunks
           every epoch
sampling   noise words for negative sampling (``alias_table``) and the gradient of its loss
trainers   ``CBOW`` and the per-chunk trainers (NumPy reference, numba kernel, softmax)
_kernels   the optional numba kernel
"""
from .sampling import negative_sampling_gradients
from .trainers import CBOW
from .vectors import WordVectors

__all__ = ["CBOW", "WordVectors", "negative_sampling_gradients"]
