# ruff: noqa: UP004, UP031, B007 - kept as learners write them (the template's style)
"""Learner-style CS231n assignment 1 classes for the tests: KNearestNeighbor and
LinearClassifier (correct methods in the template's class, and buggy methods, each bug
marked ``# bug``, put in place of one). Test fixtures only."""
from collections import Counter

import numpy as np


class KNearestNeighbor(object):
    """a kNN classifier with L2 distance"""

    def __init__(self):
        pass

    def train(self, X, y):
        self.X_train = X
        self.y_train = y

    def compute_distances_two_loops(self, X):
        num_test, num_train = X.shape[0], self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            for j in range(num_train):
                dists[i, j] = np.sqrt(np.sum(np.square(X[i] - self.X_train[j])))
        return dists

    def compute_distances_one_loop(self, X):
        dists = np.zeros((X.shape[0], self.X_train.shape[0]))
        for i in range(X.shape[0]):
            dists[i, :] = np.linalg.norm(self.X_train - X[i], axis=1)
        return dists

    def compute_distances_no_loops(self, X):
        test_sq = np.sum(X ** 2, axis=1, keepdims=True)
        train_sq = np.sum(self.X_train ** 2, axis=1)
        return np.sqrt(np.maximum(test_sq + train_sq - 2 * X.dot(self.X_train.T), 0))

    def predict_labels(self, dists, k=1):
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test)
        for i in range(num_test):
            closest_y = self.y_train[np.argsort(dists[i])[:k]]
            y_pred[i] = np.argmax(np.bincount(closest_y))
        return y_pred


def compute_distances_no_loops_squared(self, X):
    test_sq = np.sum(X ** 2, axis=1, keepdims=True)
    train_sq = np.sum(self.X_train ** 2, axis=1)
    return test_sq + train_sq - 2 * X.dot(self.X_train.T)  # bug: no square root


def compute_distances_one_loop_transposed(self, X):
    dists = np.zeros((self.X_train.shape[0], X.shape[0]))
    for i in range(X.shape[0]):
        dists[:, i] = np.sqrt(((self.X_train - X[i]) ** 2).sum(axis=1))  # bug: (train, test)
    return dists


def predict_labels_k_ignored(self, dists, k=1):
    return self.y_train[np.argmin(dists, axis=1)].astype(float)  # bug: only the nearest


def predict_labels_counter(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0])
    for i in range(dists.shape[0]):
        closest_y = list(self.y_train[np.argsort(dists[i])[:k]])
        y_pred[i] = Counter(closest_y).most_common(1)[0][0]  # bug: ties go to the nearest
    return y_pred


class LinearClassifier(object):
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
              verbose=False):
        num_train, dim = X.shape
        num_classes = np.max(y) + 1
        if self.W is None:
            self.W = 0.001 * np.random.randn(dim, num_classes)
        loss_history = []
        for it in range(num_iters):
            batch = np.random.choice(num_train, batch_size, replace=True)
            X_batch, y_batch = X[batch], y[batch]
            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(loss)
            self.W -= learning_rate * grad
            if verbose and it % 100 == 0:
                print("iteration %d / %d: loss %f" % (it, num_iters, loss))
        return loss_history

    def predict(self, X):
        return np.argmax(X.dot(self.W), axis=1)

    def loss(self, X_batch, y_batch, reg):
        pass


def train_labels_resampled(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100,
                           batch_size=200, verbose=False):
    num_train, dim = X.shape
    if self.W is None:
        self.W = 0.001 * np.random.randn(dim, np.max(y) + 1)
    loss_history = []
    for it in range(num_iters):
        X_batch = X[np.random.choice(num_train, batch_size)]
        y_batch = y[np.random.choice(num_train, batch_size)]  # bug: other indices
        loss, grad = self.loss(X_batch, y_batch, reg)
        loss_history.append(loss)
        self.W -= learning_rate * grad
    return loss_history


def train_ascending(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
                    verbose=False):
    num_train, dim = X.shape
    if self.W is None:
        self.W = 0.001 * np.random.randn(dim, np.max(y) + 1)
    loss_history = []
    for it in range(num_iters):
        idx = np.random.choice(num_train, batch_size, replace=False)
        loss, grad = self.loss(X[idx], y[idx], reg)
        loss_history.append(loss)
        self.W += learning_rate * grad  # bug: up the gradient
    return loss_history


def members(cls, names):
    """The class and its methods ``names`` as the checker's functions: {"Class": class,
    "Class.method": function}."""
    return {cls.__name__: cls, **{f"{cls.__name__}.{n}": cls.__dict__[n] for n in names}}


CORRECT = {
    **members(KNearestNeighbor, ("compute_distances_two_loops", "compute_distances_one_loop",
                                 "compute_distances_no_loops", "predict_labels")),
    **members(LinearClassifier, ("train", "predict")),
}
MISTAKES = [
    ("KNearestNeighbor.compute_distances_no_loops", compute_distances_no_loops_squared,
     "distance"),
    ("KNearestNeighbor.compute_distances_one_loop", compute_distances_one_loop_transposed,
     "distance"),
    ("KNearestNeighbor.predict_labels", predict_labels_k_ignored, "knn_vote"),
    ("KNearestNeighbor.predict_labels", predict_labels_counter, "knn_vote"),
    ("LinearClassifier.train", train_labels_resampled, "sgd_step"),
    ("LinearClassifier.train", train_ascending, "sgd_step"),
]
