"""Test examples that also sit in the training set make test results look better than they
are. ``check_leakage`` finds them: exact duplicates by hashing, near duplicates by distance.

A test column x is a near duplicate of a training column t when 0 < ‖x − t‖ ≤ tol·‖x‖
(within 10% of its own length by default). The search is exact but fast: a pair can only
be that close if the lengths of x and t differ by at most tol·‖x‖, and if their distance
after projecting both on the training set's leading principal axes (which never makes a
distance longer) is at most tol·‖x‖; only the pairs that pass both cheap filters are
measured in full.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_matrix

__all__ = ["check_leakage", "LeakageReport"]

_AXES = 32
_BLOCK = 2048
_TEST_BLOCK = 256
_SAMPLE = 5000


@dataclass(frozen=True, eq=False, repr=False)
class LeakageReport:
    """What ``check_leakage`` found.

    exact_pairs, near_pairs: integer arrays (k, 2) of (training index, test index);
    near_distances: ‖x_test − x_train‖ of each near pair; n_exact: test examples with an
    exact copy in the training set; n_near: test examples with a near copy and no exact one;
    pairs: all pairs as (train, test) tuples, exact ones first."""

    exact_pairs: np.ndarray
    near_pairs: np.ndarray
    near_distances: np.ndarray
    n_train: int
    n_test: int
    tol: float
    decimals: int | None

    @property
    def n_exact(self) -> int:
        return len(set(self.exact_pairs[:, 1].tolist()))

    @property
    def n_near(self) -> int:
        return len(set(self.near_pairs[:, 1].tolist()) - set(self.exact_pairs[:, 1].tolist()))

    @property
    def pairs(self) -> list[tuple[int, ...]]:
        return [tuple(p) for p in np.concatenate([self.exact_pairs, self.near_pairs]).tolist()]

    @property
    def n_leaked(self) -> int:
        return self.n_exact + self.n_near

    def __str__(self) -> str:
        rounded = "" if self.decimals is None else f" (after rounding to {self.decimals} decimals)"
        lines = [f"leakage check of {self.n_test} test examples against {self.n_train} "
                 f"training examples:",
                 f"  exact duplicates{rounded}: {self.n_exact} test examples "
                 f"({len(self.exact_pairs)} pairs)",
                 f"  near duplicates (0 < ‖x_test − x_train‖ ≤ {self.tol:g}·‖x_test‖): "
                 f"{self.n_near} test examples ({len(self.near_pairs)} pairs)"]
        shown = self.examples()
        if shown:
            lines.append("  e.g. " + ", ".join(shown))
        if self.n_leaked:
            lines.append("  " + self.advice())
        return "\n".join(lines)

    def examples(self, k: int = 5) -> list[str]:
        """Up to k pairs as text, exact ones first: 'train 3 = test 7', 'train 5 ≈ test 2
        (distance 0.01)'."""
        shown = [f"train {i} = test {j}" for i, j in self.exact_pairs[:k].tolist()]
        shown += [f"train {i} ≈ test {j} (distance {d:.3g})" for (i, j), d in
                  zip(self.near_pairs[:k].tolist(), self.near_distances[:k])]
        return shown[:k]

    def advice(self) -> str:
        """What the finding means for the test score, in one sentence."""
        if not self.n_leaked:
            return "No test example is (nearly) in the training set."
        return (f"{self.n_leaked / max(self.n_test, 1):.2%} of the test set is (nearly) in the "
                f"training set: remove those examples from one side before trusting the test "
                f"score")

    def _repr_html_(self) -> str:
        from ..display.html import leakage_html
        return leakage_html(self)

    def __repr__(self) -> str:
        return (f"LeakageReport(n_exact={self.n_exact}, n_near={self.n_near}, "
                f"n_train={self.n_train}, n_test={self.n_test}, tol={self.tol})")


def check_leakage(X_train: np.ndarray, X_test: np.ndarray, tol: float = 0.1,
                  decimals: int | None = None) -> LeakageReport:
    """Find test columns that are (nearly) duplicates of training columns.

    X_train (n_features, m_train), X_test (n_features, m_test): one example per column.
    Exact duplicates are columns with equal values (after ``np.round(·, decimals)`` if
    decimals is given), found by hashing; near duplicates are the other pairs within
    distance tol·‖x_test‖ (tol=0 skips them). Returns a ``LeakageReport``; MNIST's 60,000 ×
    10,000 takes a few seconds.

    Near duplicates mean something in many dimensions (images, embeddings), where even
    similar examples lie far apart: MNIST's closest train-test pair is 13% apart. In a
    dense low-dimensional cloud independent points are often that close: use tol=0 (or a
    small tol) there."""
    check_matrix(X_train, "X_train", ("n_features", "m"))
    check_matrix(X_test, "X_test", ("n_features", "m"))
    if X_train.shape[0] != X_test.shape[0]:
        raise ValueError(f"X_train has {X_train.shape[0]} features (rows) but X_test has "
                         f"{X_test.shape[0]}; both must be (n_features, m)")
    if not tol >= 0:
        raise ValueError(f"tol must be ≥ 0, got {tol!r}")
    exact = _exact_pairs(X_train, X_test, decimals)
    if tol > 0:
        near, distances = _near_pairs(X_train, X_test, tol)
        known = set(map(tuple, exact.tolist()))
        keep = np.array([tuple(p) not in known for p in near.tolist()], dtype=bool)
        near, distances = near[keep].reshape(-1, 2), distances[keep]
    else:
        near, distances = np.empty((0, 2), np.int64), np.empty(0)
    return LeakageReport(exact, near, distances, X_train.shape[1], X_test.shape[1], tol, decimals)


def _hashes(X: np.ndarray, decimals: int | None) -> np.ndarray:
    """A 64-bit hash of each column's values as float64 (after rounding; −0 made +0): the
    bit patterns times fixed odd multipliers, summed with wrap-around. Equal columns get
    equal hashes; unequal ones almost never do, and every match is verified."""
    # (asarray: numpy's stubs type integers(..., dtype=np.uint64) as one number)
    rng = np.random.default_rng(0)
    multipliers = np.asarray(rng.integers(1, 2 ** 63, X.shape[0], dtype=np.uint64))
    multipliers |= 1
    out = np.empty(X.shape[1], dtype=np.uint64)
    for s in range(0, X.shape[1], _BLOCK):
        block = _as_float64(X[:, s:s + _BLOCK], decimals)
        out[s:s + _BLOCK] = (block.view(np.uint64) * multipliers[:, None]).sum(axis=0)
    return out


def _as_float64(X: np.ndarray, decimals: int | None) -> np.ndarray:
    X = X.astype(np.float64)
    if decimals is not None:
        X = np.round(X, decimals)
    X += 0.0  # −0.0 becomes +0.0, so equal values have equal bits
    return X


def _exact_pairs(X_train: np.ndarray, X_test: np.ndarray, decimals: int | None) -> np.ndarray:
    train_hash, test_hash = _hashes(X_train, decimals), _hashes(X_test, decimals)
    order = np.argsort(train_hash, kind="stable")
    lo = np.searchsorted(train_hash[order], test_hash, "left")
    hi = np.searchsorted(train_hash[order], test_hash, "right")
    pairs = [(i, j) for j in np.flatnonzero(hi > lo) for i in order[lo[j]:hi[j]]
             if np.array_equal(_as_float64(X_train[:, i], decimals),
                               _as_float64(X_test[:, j], decimals))]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _principal_axes(X: np.ndarray, k: int) -> np.ndarray | None:
    """An (n, k) orthonormal basis close to the k directions in which the columns of X vary
    most (randomised subspace iteration on at most 5000 of them), or None if X has no more
    than k rows. Any orthonormal basis keeps the search exact; a good one makes it fast."""
    n, m = X.shape
    if n <= k:
        return None
    sample = X[:, np.linspace(0, m - 1, min(m, _SAMPLE)).astype(np.int64)].astype(np.float64)
    sample -= sample.mean(axis=1, keepdims=True)
    C = sample @ sample.T
    Q = np.random.default_rng(0).standard_normal((n, k))
    for _ in range(4):
        Q, _ = np.linalg.qr(C @ Q)
    return Q


def _project(X: np.ndarray, axes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the columns of X on ``axes`` plus one: the length of what the axes
    leave out. Distances between such points never exceed the true ones, since
    ‖x − t‖² = ‖P(x − t)‖² + ‖R(x − t)‖² ≥ ‖Px − Pt‖² + (‖Rx‖ − ‖Rt‖)². Also returns ‖x‖."""
    k = X.shape[0] if axes is None else axes.shape[1] + 1
    projected, norms = np.empty((k, X.shape[1])), np.empty(X.shape[1])
    for s in range(0, X.shape[1], _BLOCK):
        block = X[:, s:s + _BLOCK].astype(np.float64)
        norms[s:s + _BLOCK] = np.linalg.norm(block, axis=0)
        if axes is None:
            projected[:, s:s + _BLOCK] = block
        else:
            inside = axes.T @ block
            rest = np.maximum(norms[s:s + _BLOCK] ** 2 - np.einsum("ij,ij->j", inside, inside), 0)
            projected[:-1, s:s + _BLOCK] = inside
            projected[-1, s:s + _BLOCK] = np.sqrt(rest)
    return projected, norms


def _near_pairs(X_train: np.ndarray, X_test: np.ndarray,
                tol: float) -> tuple[np.ndarray, np.ndarray]:
    """(pairs (k, 2), distances (k,)) with 0 < ‖x_test − x_train‖ ≤ tol·‖x_test‖."""
    axes = _principal_axes(X_train, _AXES)
    P_train, norm_train = _project(X_train, axes)
    P_test, norm_test = _project(X_test, axes)
    radius = tol * norm_test
    # Test examples in order of length, a small block at a time, each against the training
    # examples of about their length: |‖x‖ − ‖t‖| ≤ ‖x − t‖ rules out the rest.
    by_norm = np.argsort(norm_train, kind="stable")
    sorted_norms = norm_train[by_norm]
    P_sorted = np.asfortranarray(P_train[:, by_norm], dtype=np.float32)
    sq_sorted = np.einsum("ij,ij->j", P_train, P_train)[by_norm].astype(np.float32)
    test_order = np.argsort(norm_test, kind="stable")
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    for start in range(0, len(test_order), _TEST_BLOCK):
        tests = test_order[start:start + _TEST_BLOCK]
        lo = np.searchsorted(sorted_norms, (norm_test[tests] - radius[tests]).min(), "left")
        hi = np.searchsorted(sorted_norms, (norm_test[tests] + radius[tests]).max(), "right")
        if lo >= hi:
            continue
        Pt = P_test[:, tests]
        # d² = ‖t‖² + ‖x‖² − 2 t·x in float32, with a margin for its rounding: a filter only.
        offset = (np.einsum("ij,ij->j", Pt, Pt) - radius[tests] ** 2).astype(np.float32)
        d2 = P_sorted[:, lo:hi].T @ Pt.astype(np.float32)
        d2 *= -2
        d2 += sq_sorted[lo:hi, None]
        d2 += offset[None, :]
        margin = 1e-4 * (float(sq_sorted[lo:hi].max()) + float(norm_test[tests].max() ** 2))
        close = np.flatnonzero(d2.min(axis=0) <= margin)  # usually none: skip the rest
        ii, jj = np.nonzero(d2[:, close] <= margin)
        found_i.append(by_norm[lo + ii])
        found_j.append(tests[close[jj]])
    if not found_i:
        return np.empty((0, 2), np.int64), np.empty(0)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    distances = np.empty(len(i))
    for s in range(0, len(i), _BLOCK):
        diff = (X_train[:, i[s:s + _BLOCK]].astype(np.float64) -
                X_test[:, j[s:s + _BLOCK]].astype(np.float64))
        distances[s:s + _BLOCK] = np.linalg.norm(diff, axis=0)
    keep = (distances > 0) & (distances <= radius[j])
    order = np.lexsort((i[keep], j[keep]))
    pairs = np.stack([i[keep], j[keep]], axis=1)[order]
    return pairs.astype(np.int64), distances[keep][order]
