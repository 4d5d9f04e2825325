"""check_leakage: planted duplicates are found exactly, the filtered search agrees with a
brute-force one, and the official MNIST and Fashion-MNIST splits are reported as they are."""
import numpy as np
import pytest

import verigrad as vg
from verigrad.data import check_leakage


def brute_force_near(X_train, X_test, tol):
    """Every (train, test) pair with 0 < ‖x_test − x_train‖ ≤ tol·‖x_test‖, by full float64
    distance matrices."""
    A, B = X_train.astype(np.float64), X_test.astype(np.float64)
    D = np.sqrt(((A[:, :, None] - B[:, None, :]) ** 2).sum(axis=0))
    i, j = np.nonzero((D > 0) & (D <= tol * np.linalg.norm(B, axis=0)))
    return sorted(zip(i.tolist(), j.tolist()))


def test_planted_duplicates_are_found():
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((50, 3000)).astype(np.float32)
    X_test = rng.standard_normal((50, 800)).astype(np.float32)
    X_train[:, 2999] = X_train[:, 17]  # a duplicate inside the training set
    for i, j in ((5, 3), (17, 9), (100, 700)):
        X_test[:, j] = X_train[:, i]
    X_test[:, 50] = X_train[:, 200] * 1.01  # 1% off: a near duplicate
    X_test[:, 60] = X_train[:, 300] * 1.3  # 30% off: no duplicate at tol 0.1
    report = check_leakage(X_train, X_test)
    assert report.n_exact == 3 and report.n_near == 1 and report.n_leaked == 4
    assert report.exact_pairs.tolist() == [[5, 3], [17, 9], [2999, 9], [100, 700]]
    assert report.near_pairs.tolist() == [[200, 50]]
    assert report.near_distances[0] == pytest.approx(
        0.01 * np.linalg.norm(X_train[:, 200].astype(np.float64)), rel=1e-5)
    assert report.pairs == [(5, 3), (17, 9), (2999, 9), (100, 700), (200, 50)]
    text = str(report)
    assert "exact duplicates: 3 test examples (4 pairs)" in text
    assert "≤ 0.1·‖x_test‖): 1 test examples (1 pairs)" in text
    assert "train 5 = test 3" in text and "0.50% of the test set" in text
    assert check_leakage(X_train, X_test, tol=0.35).n_near == 2
    assert check_leakage(X_train, X_test, tol=0).n_near == 0


def test_filtered_search_agrees_with_brute_force():
    """Clustered data with many close pairs, in more dimensions than the 32 principal axes
    (so the projection filter is used) and in 2-D (no projection)."""
    rng = np.random.default_rng(1)
    found = []
    for n in (60, 2):
        centres = rng.standard_normal((n, 40))
        X_train = (centres[:, rng.integers(0, 40, 600)] + 0.05 * rng.standard_normal((n, 600)))
        X_test = (centres[:, rng.integers(0, 40, 300)] + 0.05 * rng.standard_normal((n, 300)))
        for tol in (0.02, 0.05, 0.08):
            expected = brute_force_near(X_train, X_test, tol)
            report = check_leakage(X_train, X_test, tol=tol)
            assert sorted(map(tuple, report.near_pairs.tolist())) == expected
            found.append(len(expected))
        assert max(found[-3:]) > 1000 and sorted(found[-3:]) == found[-3:]


def test_exact_means_equal_values_whatever_the_dtype_or_sign_of_zero():
    X_train = np.array([[0.0, 1.0, 2.5], [-0.0, 3.0, 1.0]])
    X_test = np.array([[0.0, 2.5], [0.0, 1.0]], dtype=np.float32)
    report = check_leakage(X_train, X_test)
    assert report.exact_pairs.tolist() == [[0, 0], [2, 1]] and report.n_near == 0
    shifted = X_test.astype(np.float64) + 1e-9
    assert check_leakage(X_train, shifted).n_exact == 0
    assert check_leakage(X_train, shifted, decimals=6).exact_pairs.tolist() == [[0, 0], [2, 1]]
    pixels = np.array([[0, 255], [7, 7]], dtype=np.uint8)
    assert check_leakage(pixels, pixels[:, ::-1]).exact_pairs.tolist() == [[1, 0], [0, 1]]


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="X_train has 3 features .* but X_test has 2"):
        check_leakage(np.zeros((3, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X_test must be 2-D"):
        check_leakage(np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(TypeError, match="X_train must be a NumPy array"):
        check_leakage([[1.0]], np.zeros((1, 1)))
    with pytest.raises(ValueError, match="tol must be ≥ 0"):
        check_leakage(np.zeros((1, 2)), np.zeros((1, 2)), tol=-1)


def test_official_mnist_split(data_dir):
    """MNIST's test set shares no image with its training set, exactly or within 10% of its
    length. The two closest pairs are plain, similar '1's by different writers (test 3070 at
    13.5% from train 27111, test 5859 at 14% from train 31839); at 20%, 147 test images have
    a training neighbour. All three counts agree with a brute-force nearest-neighbour search
    over the full 60,000 × 10,000 distance matrix."""
    if not (data_dir / "mnist").is_dir():
        pytest.skip(f"MNIST not found in {data_dir}")
    X_train, _, X_test, _ = vg.data.load_mnist(data_dir / "mnist")
    report = check_leakage(X_train, X_test, tol=0.15)
    assert report.n_exact == 0 and report.n_near == 2
    assert report.near_pairs.tolist() == [[27111, 3070], [31839, 5859]]
    relative = report.near_distances / np.linalg.norm(X_test[:, [3070, 5859]], axis=0)
    np.testing.assert_allclose(relative, [0.1348, 0.1398], atol=5e-4)  # > 0.1: none by default


def test_official_fashion_mnist_split(data_dir):
    """Fashion-MNIST has no exact duplicates across its split, but 32 test images lie within
    10% of a training image (40 pairs; e.g. the same trousers photographed alike): 0.32% of
    the test set. Verified by a brute-force float64 search of all 6·10⁸ pairs."""
    if not (data_dir / "fashion-mnist").is_dir():
        pytest.skip(f"Fashion-MNIST not found in {data_dir}")
    X_train, _, X_test, _ = vg.data.load_fashion_mnist(data_dir / "fashion-mnist")
    report = check_leakage(X_train, X_test)
    assert (report.n_exact, report.n_near, len(report.near_pairs)) == (0, 32, 40)
    assert report.near_pairs[:2].tolist() == [[51970, 436], [27804, 534]]
