"""CS231n's assignment 1 losses and optim.py's update rules: each version's correct code
passes and says which convention was assumed."""
from . import learners_cs231n_linear as linear
from . import learners_cs231n_optim as optim
from .checks import run


def test_each_l2_convention_passes_and_is_named():
    results = run(linear.CORRECT)
    assert "2016" in results["softmax_loss_naive"].exercise  # ½·reg·ΣW²
    assert "2017+" in results["softmax_loss_vectorized"].exercise


def test_adam_of_2017_with_t_used_then_incremented_passes_and_is_named():
    result = run({"adam": optim.adam_2017})["adam"]
    assert result.ok is True and "2017" in result.exercise
    assert "2018+" in run(optim.CORRECT)["adam"].exercise


def test_an_update_rule_that_returns_no_config_pair_is_an_exception_of_the_learner():
    def sgd(w, dw, config=None):
        return w - 0.1 * dw

    result = run({"sgd": sgd})["sgd"]
    assert result.ok is None and result.findings[0].kind == "exception"
