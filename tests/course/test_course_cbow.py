"""The course's CBOW functions against the lecture notebook's printed numbers."""
import numpy as np
import pytest

import verigrad as vg
from verigrad.course import cbow

# The lecture notebook's weights (seeds/003_*.txt): V = 5, N = 3.
W1 = np.array([[0.41687358, 0.08854191, -0.23495225, 0.28320538, 0.41800106],
               [0.32735501, 0.22795148, -0.23951958, 0.4117634, -0.23924344],
               [0.26637602, -0.23846886, -0.37770863, -0.11399446, 0.34008124]])
W2 = np.array([[-0.22182064, -0.43008631, 0.13310965],
               [0.08476603, 0.08123194, 0.1772054],
               [0.1871551, -0.06107263, -0.1790735],
               [0.07055222, -0.02015138, 0.36107434],
               [0.33480474, -0.39423389, -0.43959196]])
b1 = np.array([[0.09688219], [0.29239497], [-0.27364426]])
b2 = np.array([[0.0352008], [-0.36393384], [-0.12775555], [-0.34802326], [-0.07017815]])
WORDS = ["i", "am", "happy", "because", "i", "am", "learning"]


@pytest.fixture
def lecture_example():
    word2Ind, _ = cbow.get_dict(WORDS)
    x, y = next(cbow.get_training_example(WORDS, 2, word2Ind, 5))
    return x.reshape(5, 1), y.reshape(5, 1)


def test_first_training_example(lecture_example):
    x, y = lecture_example
    np.testing.assert_array_equal(x[:, 0], [0.25, 0.25, 0, 0.5, 0])
    np.testing.assert_array_equal(y[:, 0], [0, 0, 1, 0, 0])


def test_lecture_forward_and_loss(lecture_example):
    x, y = lecture_example
    z1 = W1 @ x + b1
    np.testing.assert_allclose(z1[:, 0], [0.36483875, 0.63710329, -0.3236647], atol=1e-8)
    z, h = cbow.forward_prop(x, W1, W2, b1, b2)
    np.testing.assert_allclose(h[:, 0], [0.36483875, 0.63710329, 0], atol=1e-8)
    np.testing.assert_allclose(
        z[:, 0], [-0.31973737, -0.28125477, -0.09838369, -0.33512159, -0.19919612], atol=1e-8)
    yhat = cbow.softmax(z)
    np.testing.assert_allclose(
        yhat[:, 0], [0.18519074, 0.19245626, 0.23107446, 0.18236353, 0.20891502], atol=1e-8)
    assert cbow.compute_cost(y, yhat, 1) == pytest.approx(1.4650152923611106, abs=1e-12)


def test_lecture_gradients_and_update(lecture_example):
    x, y = lecture_example
    z, h = cbow.forward_prop(x, W1, W2, b1, b2)
    yhat = cbow.softmax(z)
    lecture = cbow.back_prop(x, yhat, y, h, W1, W2, b1, b2, 1, rule="lecture")
    grad_W1, grad_W2, grad_b1, grad_b2 = lecture
    np.testing.assert_allclose(
        grad_b2[:, 0], [0.18519074, 0.19245626, -0.76892554, 0.18236353, 0.20891502], atol=1e-8)
    np.testing.assert_allclose(grad_W2, [[0.06756476, 0.11798563, 0.],
                                         [0.0702155, 0.12261452, 0.],
                                         [-0.28053384, -0.48988499, 0.],
                                         [0.06653328, 0.1161844, 0.],
                                         [0.07622029, 0.13310045, 0.]], atol=1e-8)
    np.testing.assert_allclose(grad_b1[:, 0], [0, 0, 0.17045858], atol=1e-8)
    np.testing.assert_allclose(grad_W1[2], [0.04261464, 0.04261464, 0, 0.08522929, 0],
                               atol=1e-8)
    alpha = 0.03
    np.testing.assert_allclose(W1 - alpha * grad_W1, [
        [0.41687358, 0.08854191, -0.23495225, 0.28320538, 0.41800106],
        [0.32735501, 0.22795148, -0.23951958, 0.4117634, -0.23924344],
        [0.26509758, -0.2397473, -0.37770863, -0.11655134, 0.34008124]], atol=1e-8)
    np.testing.assert_allclose(W2 - alpha * grad_W2, [[-0.22384758, -0.43362588, 0.13310965],
                                                      [0.08265956, 0.0775535, 0.1772054],
                                                      [0.19557112, -0.04637608, -0.1790735],
                                                      [0.06855622, -0.02363691, 0.36107434],
                                                      [0.33251813, -0.3982269, -0.43959196]],
                               atol=1e-8)
    np.testing.assert_allclose((b1 - alpha * grad_b1)[:, 0],
                               [0.09688219, 0.29239497, -0.27875802], atol=1e-8)
    np.testing.assert_allclose((b2 - alpha * grad_b2)[:, 0],
                               [0.02964508, -0.36970753, -0.10468778, -0.35349417, -0.0764456],
                               atol=1e-8)
    true_b1 = cbow.back_prop(x, yhat, y, h, W1, W2, b1, b2, 1)[2]
    np.testing.assert_allclose(true_b1[:, 0], [-0.08586182, -0.10309036, 0], atol=1e-8)


def _course_cost(x, y, batch_size):
    def cost(p):
        z, _ = cbow.forward_prop(x, p["W1"], p["W2"], p["b1"], p["b2"])
        return cbow.compute_cost(y, cbow.softmax(z), batch_size)
    return cost


def _course_grads(x, y, batch_size, rule="gradient"):
    def grads(p):
        z, h = cbow.forward_prop(x, p["W1"], p["W2"], p["b1"], p["b2"])
        return dict(zip(["W1", "W2", "b1", "b2"],
                        cbow.back_prop(x, cbow.softmax(z), y, h, p["W1"], p["W2"], p["b1"],
                                       p["b2"], batch_size, rule=rule)))
    return grads


def test_back_prop_is_the_gradient_and_the_lecture_rule_is_not(lecture_example):
    x, y = lecture_example
    params = {"W1": W1, "W2": W2, "b1": b1, "b2": b2}
    cost = _course_cost(x, y, 1)
    assert vg.check_backprop(cost, _course_grads(x, y, 1), params).ok
    lecture = vg.check_backprop(cost, _course_grads(x, y, 1, rule="lecture"), params)
    assert not lecture.ok
    assert lecture["W2"].ok and lecture["b2"].ok
    assert lecture["W1"].rel_error > 0.5 and lecture["b1"].rel_error > 0.5
    assert {f.kind for f in lecture.findings} == {"mask"}


def test_batch_back_prop_divides_by_batch_size():
    rng = np.random.default_rng(0)
    V, N, m = 7, 4, 6
    params = dict(zip(["W1", "W2", "b1", "b2"], cbow.initialize_model(N, V, random_seed=3)))
    params = {k: v - 0.5 for k, v in params.items()}
    x = rng.random((V, m))
    x /= x.sum(axis=0)
    y = np.eye(V)[:, rng.integers(0, V, m)]
    report = vg.check_backprop(_course_cost(x, y, m), _course_grads(x, y, m), params)
    assert report.ok, report
    grads = _course_grads(x, y, m)(params)
    doubled = _course_grads(x, y, 2 * m)(params)
    for name in grads:
        np.testing.assert_allclose(doubled[name], grads[name] / 2, rtol=1e-12)


def test_initialize_model_draws_like_the_course():
    W1_, W2_, b1_, b2_ = cbow.initialize_model(4, 10, random_seed=1)
    np.random.seed(1)
    expected = [np.random.rand(4, 10), np.random.rand(10, 4), np.random.rand(4, 1),
                np.random.rand(10, 1)]
    for got, want in zip([W1_, W2_, b1_, b2_], expected):
        np.testing.assert_array_equal(got, want)
    assert W1_[0, 0] == pytest.approx(0.417022004702574)


def test_get_batches_columns_are_training_examples():
    word2Ind, _ = cbow.get_dict(WORDS)
    batches = cbow.get_batches(WORDS, word2Ind, 5, 2, 4)
    x, y = next(batches)
    examples = list(cbow.get_training_example(WORDS, 2, word2Ind, 5))
    assert x.shape == (5, 4) and y.shape == (5, 4)
    for column in range(4):     # 3 windows, then the stream starts over
        ex_x, ex_y = examples[column % 3]
        np.testing.assert_allclose(x[:, column], ex_x)
        np.testing.assert_array_equal(y[:, column], ex_y)


def test_shakespeare_tokens_and_vocabulary(text_dir):
    text = (text_dir / "shakespeare.txt").read_text(encoding="utf-8")
    expected = (text_dir / "shakespeare_c2w4_tokens_nltk35.txt").read_text().split()
    tokens = cbow.tokenize(text)
    assert len(tokens) == 60996
    assert tokens == expected
    word2Ind, Ind2word = cbow.get_dict(tokens)
    assert len(word2Ind) == 5778
    assert word2Ind["king"] == 2745 and Ind2word[2745] == "king"
    assert tokens.count(".") == 9630 and tokens.count("the") == 1521


def test_tokenize_sentence_rules():
    # A period ends a sentence unless it follows an abbreviation ("ill" is one for Punkt)
    # or an initial that the next word does not clearly end; Treebank only splits the
    # sentence's last period, so "ill." inside a sentence is dropped as non-alphabetic.
    assert cbow.tokenize("He looks ill, it eats drily.") == ["he", "looks", "it", "eats",
                                                             "drily", "."]
    assert cbow.tokenize("Captain ill. Tired with all") == ["captain", "ill", ".", "tired",
                                                           "with", "all"]
    assert cbow.tokenize("'Tis true; I cannot.") == ["is", "true", ".", "i", "can", "not",
                                                     "."]
    with pytest.raises(TypeError, match="text must be a str"):
        cbow.tokenize(["a"])


def test_gradient_descent_cost_falls(text_dir):
    tokens = cbow.tokenize((text_dir / "shakespeare.txt").read_text(encoding="utf-8"))
    data = tokens[:3000]
    word2Ind, _ = cbow.get_dict(data)
    costs = []
    cbow.gradient_descent(data, word2Ind, 20, len(word2Ind), 60, alpha=0.03,
                          batch_size=64, costs=costs, verbose=False)
    assert len(costs) == 60
    # From above log(V) (a uniform guess) to clearly below it.
    assert np.mean(costs[:10]) > np.log(len(word2Ind)) > np.mean(costs[-10:])
    assert np.mean(costs[-10:]) < np.mean(costs[:10]) - 0.3


def test_compute_pca_matches_svd():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 5)) @ rng.normal(size=(5, 5))
    projected = cbow.compute_pca(X, 2)
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reference = centred @ vt[:2].T
    np.testing.assert_allclose(np.abs(projected), np.abs(reference), atol=1e-10)


def test_embeddings_average_the_two_matrices():
    np.testing.assert_allclose(cbow.embeddings(W1, W2), (W1.T + W2) / 2)
    with pytest.raises(ValueError, match=r"W2 must have shape \(5, 3\), got \(3, 5\)"):
        cbow.embeddings(W1, W1)


def test_bad_shapes_are_named():
    x = np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"x must have shape \(5, any\), got \(4, 1\)"):
        cbow.forward_prop(x, W1, W2, b1, b2)
    with pytest.raises(ValueError, match="rule must be 'gradient' or 'lecture'"):
        cbow.back_prop(np.zeros((5, 1)), np.zeros((5, 1)), np.zeros((5, 1)),
                       np.zeros((3, 1)), W1, W2, b1, b2, 1, rule="relu")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        cbow.compute_cost(np.ones((5, 1)), np.ones((5, 1)), 0)
