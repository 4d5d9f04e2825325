"""The learner-bug gallery: buggy and correct backprop code with what the check must say."""
from .cases import CASES, CORRECT, load_batch

__all__ = ["CASES", "CORRECT", "load_batch"]
