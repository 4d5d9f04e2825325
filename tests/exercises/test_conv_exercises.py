"""The convolution and pooling exercises beyond what test_catalogue.py asks of every topic."""

from . import learners_conv as learners
from .checks import run


def test_the_backwards_pass_with_the_notebooks_cache_alone():
    results = run({"conv_backward": learners.conv_backward,
                   "pool_backward": learners.pool_backward})
    assert all(r.ok for r in results.values()), results

