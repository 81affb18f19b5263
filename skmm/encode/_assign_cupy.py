"""CuPy versions of the codebook kernels, used with ``device="cuda"``.

CuPy is imported inside each function, so this module imports without it.
Distances are computed as in the Numba kernels, ``||c||^2 - 2 x.c`` from one
matrix product per block of rows, and ``argmin`` returns the first minimum,
so ties go to the lowest centre index.
"""

import numpy as np

# Rows per block: bounds the (rows, k) product held on the device.
_BLOCK_ELEMENTS = 1 << 24


def _block_rows(n_centres):
    return max(1, _BLOCK_ELEMENTS // max(1, n_centres))


def nearest_centre(X, centres):
    """Index of the nearest centre of every row of ``X``, computed on the GPU.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    centres : ndarray of shape (k, d), same dtype

    Returns
    -------
    labels : ndarray of shape (n,), int64 (on the host)
    """
    import cupy as cp

    centres_gpu = cp.asarray(centres)
    centre_sq_norms = cp.sum(centres_gpu * centres_gpu, axis=1)
    labels = np.empty(X.shape[0], dtype=np.int64)
    step = _block_rows(centres.shape[0])
    for start in range(0, X.shape[0], step):
        block = cp.asarray(X[start : start + step])
        scores = centre_sq_norms[None, :] - 2 * (block @ centres_gpu.T)
        labels[start : start + step] = cp.argmin(scores, axis=1).get()
    return labels


def sq_distances_softmin(X, centres, bandwidth):
    """Kernel-codebook weights ``softmax(-||x - c||^2 / (2 bandwidth^2))``.

    Returns a host float64 array of shape ``(n, k)``.
    """
    import cupy as cp

    centres_gpu = cp.asarray(centres, dtype=cp.float64)
    centre_sq_norms = cp.sum(centres_gpu * centres_gpu, axis=1)
    out = np.empty((X.shape[0], centres.shape[0]), dtype=np.float64)
    step = _block_rows(centres.shape[0])
    for start in range(0, X.shape[0], step):
        block = cp.asarray(X[start : start + step], dtype=cp.float64)
        sq = (
            cp.sum(block * block, axis=1)[:, None]
            + centre_sq_norms[None, :]
            - 2 * (block @ centres_gpu.T)
        )
        logits = -cp.maximum(sq, 0) / (2 * bandwidth**2)
        logits -= logits.max(axis=1, keepdims=True)
        weights = cp.exp(logits)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start : start + step] = weights.get()
    return out


def gaussian_posteriors(X, means, variances, weights):
    """Posterior of each diagonal Gaussian component for every row of ``X``.

    Returns a host float64 array of shape ``(n, k)``.
    """
    import cupy as cp

    precisions = cp.asarray(1.0 / variances, dtype=cp.float64)
    means_gpu = cp.asarray(means, dtype=cp.float64)
    constant = (
        cp.log(cp.asarray(weights, dtype=cp.float64))
        - 0.5 * cp.sum(cp.log(2 * np.pi * cp.asarray(variances)), axis=1)
        - 0.5 * cp.sum(means_gpu**2 * precisions, axis=1)
    )
    scaled_means = means_gpu * precisions
    out = np.empty((X.shape[0], means.shape[0]), dtype=np.float64)
    step = _block_rows(means.shape[0])
    for start in range(0, X.shape[0], step):
        block = cp.asarray(X[start : start + step], dtype=cp.float64)
        log_prob = (
            constant[None, :]
            + block @ scaled_means.T
            - 0.5 * ((block * block) @ precisions.T)
        )
        log_prob -= log_prob.max(axis=1, keepdims=True)
        prob = cp.exp(log_prob)
        prob /= prob.sum(axis=1, keepdims=True)
        out[start : start + step] = prob.get()
    return out
