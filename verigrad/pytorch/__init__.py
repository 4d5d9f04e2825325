"""Learners' PyTorch backprop, checked: makemore's ``cmp`` that names the bug, and the
"backprop ninja" notebook run as a whole.

    from verigrad import cmp
    cmp('counts', dcounts, counts)     # makemore's line, then verigrad's verdict

compare   ``cmp``/``judge``: the verdicts (exact, rounding, wrong with a kind, unchecked)
graph     what autograd's recorded graph says: each use of a tensor and its share
makemore  ``verigrad check`` on makemore part 4's notebook

PyTorch is never imported by verigrad: these modules use the torch the learner imported.
"""
from .compare import CmpResult, cmp, judge

__all__ = ["cmp", "judge", "CmpResult"]
