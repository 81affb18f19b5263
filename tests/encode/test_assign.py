"""The nearest-codeword kernels against scikit-learn's pairwise_distances_argmin."""

import numpy as np
import pytest
from sklearn.metrics import pairwise_distances_argmin

from skmm.encode._base import nearest_centre
from skmm.utils._device import cuda_is_available

gpu = pytest.mark.skipif(not cuda_is_available(), reason="needs CuPy and a CUDA device")


def _near_tie_free(X, centres, labels):
    """True where the chosen centre is the nearest up to float32 rounding."""
    X64, C64 = X.astype(np.float64), centres.astype(np.float64)
    sq = ((X64[:, None, :] - C64[None, :, :]) ** 2).sum(axis=2)
    chosen = sq[np.arange(len(X)), labels]
    return np.all(chosen <= sq.min(axis=1) * (1 + 1e-4) + 1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("d", [3, 13, 70, 130])
@pytest.mark.parametrize("k", [1, 5, 64])
def test_float64_matches_sklearn(seed, d, k):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(1003, d))
    centres = rng.normal(size=(k, d))
    expected = pairwise_distances_argmin(X, centres)
    np.testing.assert_array_equal(nearest_centre(X, centres), expected)


@pytest.mark.parametrize("d", [13, 128])
def test_float32_matches_sklearn_up_to_near_ties(d):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2001, d)).astype(np.float32)
    centres = rng.normal(size=(32, d)).astype(np.float32)
    labels = nearest_centre(X, centres)
    expected = pairwise_distances_argmin(X, centres)
    assert np.mean(labels == expected) > 0.999
    assert _near_tie_free(X, centres, labels)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 80])
def test_ties_go_to_lowest_index(dtype, d):
    # Integer coordinates make the expanded distances exact, so ties are real.
    rng = np.random.default_rng(4)
    centres = rng.integers(-3, 4, size=(6, d)).astype(dtype)
    centres = np.concatenate([centres, centres[::-1]])  # every centre twice
    X = rng.integers(-3, 4, size=(501, d)).astype(dtype)
    labels = nearest_centre(X, centres)
    np.testing.assert_array_equal(labels, pairwise_distances_argmin(X, centres))
    assert labels.max() < 6


def test_midpoint_tie():
    centres = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 5.0]])
    X = np.zeros((5, 2))
    np.testing.assert_array_equal(nearest_centre(X, centres), 0)
    np.testing.assert_array_equal(nearest_centre(X, centres[[1, 0, 2]]), 0)


def test_empty_and_single_thread():
    centres = np.eye(3)
    assert nearest_centre(np.zeros((0, 3)), centres).shape == (0,)
    X = np.random.default_rng(5).normal(size=(100, 3))
    np.testing.assert_array_equal(
        nearest_centre(X, centres, n_jobs=1), pairwise_distances_argmin(X, centres)
    )


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gpu_matches_cpu(dtype):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(5000, 39)).astype(dtype)
    centres = rng.normal(size=(64, 39)).astype(dtype)
    gpu_labels = nearest_centre(X, centres, device="cuda")
    cpu_labels = nearest_centre(X, centres)
    assert np.mean(gpu_labels == cpu_labels) > 0.999
    assert _near_tie_free(X, centres, gpu_labels)
