"""Learner-style CS231n assignment 1 linear classifier losses for the tests: correct ones
(loops and vectorized; the 2017+ reg·ΣW² and the 2016 ½·reg·ΣW²) and buggy ones, each bug
marked ``# bug``. Test fixtures only."""
import numpy as np


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    counts = (margins > 0).astype(float)
    counts[np.arange(N), y] = -counts.sum(axis=1)
    return loss, X.T @ counts / N + 2 * reg * W


def softmax_loss_naive(W, X, y, reg):
    """The 2016 convention: ½·reg·ΣW², so dW gains reg·W."""
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        f = X[i].dot(W)
        f -= np.max(f)
        p = np.exp(f) / np.sum(np.exp(f))
        loss += -np.log(p[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    loss = loss / X.shape[0] + 0.5 * reg * np.sum(W * W)
    return loss, dW / X.shape[0] + reg * W


def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[range(num_train), y]).mean() + reg * (W ** 2).sum()
    dscores = probs
    dscores[range(num_train), y] -= 1
    return loss, X.T.dot(dscores) / num_train + 2 * reg * W


def svm_loss_vectorized_summed(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() + reg * np.sum(W * W)  # bug: no 1/N
    counts = (margins > 0).astype(float)
    counts[np.arange(N), y] = -counts.sum(axis=1)
    return loss, X.T @ counts / N + 2 * reg * W


def svm_loss_naive_no_reg_gradient(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    dW = dW / X.shape[0]  # bug: the L2 term's 2·reg·W is missing
    return loss, dW


def softmax_loss_naive_unstable(W, X, y, reg):
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        f = X[i].dot(W)
        p = np.exp(f) / np.sum(np.exp(f))  # bug: no shift by the largest score
        loss += -np.log(p[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    return loss, dW / X.shape[0] + 2 * reg * W


def softmax_loss_vectorized_no_reg(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[range(num_train), y]).mean()  # bug: the L2 term is missing
    probs[range(num_train), y] -= 1
    return loss, X.T.dot(probs) / num_train + 2 * reg * W


def softmax_loss_vectorized_no_minus_one(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[range(num_train), y]).mean() + reg * np.sum(W * W)
    dW = X.T.dot(probs) / num_train + 2 * reg * W  # bug: no −1 at the labels
    return loss, dW


CORRECT = {f.__name__: f for f in (svm_loss_naive, svm_loss_vectorized, softmax_loss_naive,
                                   softmax_loss_vectorized)}
MISTAKES = [
    ("svm_loss_vectorized", svm_loss_vectorized_summed, "scale"),
    ("svm_loss_naive", svm_loss_naive_no_reg_gradient, "reg_gradient"),
    ("softmax_loss_naive", softmax_loss_naive_unstable, "overflow"),
    ("softmax_loss_vectorized", softmax_loss_vectorized_no_reg, "reg_term"),
    ("softmax_loss_vectorized", softmax_loss_vectorized_no_minus_one, "softmax_label"),
]
