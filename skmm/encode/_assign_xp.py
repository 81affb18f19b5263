"""Array versions of the codebook kernels, used with ``device="cuda"``.

Plain array code on an ``xp`` namespace, NumPy's API: CuPy on the GPU (the
default, imported inside each function, so this module imports without it),
NumPy or the test suite's CuPy stand-in elsewhere. Distances are computed as
in the Numba kernels, ``||c||^2 - 2 x.c`` from one matrix product per block
of rows, and ``argmin`` returns the first minimum, so ties go to the lowest
centre index.
"""

import numpy as np

# Rows per block: bounds the (rows, k) product held on the device.
_BLOCK_ELEMENTS = 1 << 24


def _block_rows(n_centres):
    return max(1, _BLOCK_ELEMENTS // max(1, n_centres))


def _namespace(xp):
    if xp is None:
        import cupy as xp
    return xp


def _to_host(array):
    return array.get() if hasattr(array, "get") else np.asarray(array)


def nearest_centre(X, centres, xp=None):
    """Index of the nearest centre of every row of ``X``, computed on the GPU.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    centres : ndarray of shape (k, d), same dtype
    xp : module, default=None
        The array namespace; None is CuPy.

    Returns
    -------
    labels : ndarray of shape (n,), int64 (on the host)
    """
    cp = _namespace(xp)
    centres_gpu = cp.asarray(centres)
    centre_sq_norms = cp.sum(centres_gpu * centres_gpu, axis=1)
    labels = np.empty(X.shape[0], dtype=np.int64)
    step = _block_rows(centres.shape[0])
    for start in range(0, X.shape[0], step):
        block = cp.asarray(X[start : start + step])
        scores = centre_sq_norms[None, :] - 2 * (block @ centres_gpu.T)
        labels[start : start + step] = _to_host(cp.argmin(scores, axis=1))
    return labels


def sq_distances_softmin(X, centres, bandwidth, xp=None):
    """Kernel-codebook weights ``softmax(-||x - c||^2 / (2 bandwidth^2))``.

    Returns a host float64 array of shape ``(n, k)``; ``xp`` is the array
    namespace (None is CuPy).
    """
    cp = _namespace(xp)

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
        out[start : start + step] = _to_host(weights)
    return out


def fisher_vectors(X, offsets, weights, means, variances, include_weights, xp=None):
    """Fisher vectors of stacked descriptor sets, computed on the device.

    ``X`` (host or device) holds the sets stacked, set ``i`` being rows
    ``offsets[i]:offsets[i + 1]`` (host). Returns the device array
    ``(n_sets, [k +] 2 k d)`` of ``FisherVector.transform`` before power
    normalisation; empty sets give zero rows. ``xp`` defaults to CuPy.
    """
    xp = _namespace(xp)
    X = xp.asarray(X, dtype=xp.float64)
    k, d = means.shape
    n_sets = offsets.shape[0] - 1
    counts = np.diff(offsets)
    weights_d = xp.asarray(weights, dtype=xp.float64)
    means_d = xp.asarray(means, dtype=xp.float64)
    variances_d = xp.asarray(variances, dtype=xp.float64)
    precisions = 1.0 / variances_d
    constant = (
        xp.log(weights_d)
        - 0.5 * xp.sum(xp.log(2 * np.pi * variances_d), axis=1)
        - 0.5 * xp.sum(means_d**2 * precisions, axis=1)
    )
    scaled_means = means_d * precisions
    set_of_row = xp.asarray(np.repeat(np.arange(n_sets), counts))
    s0 = xp.zeros((n_sets, k))
    s1 = xp.zeros((n_sets, k, d))
    s2 = xp.zeros((n_sets, k, d))
    # Each block's (rows, k, d) moments stay near _BLOCK_ELEMENTS values.
    step = _block_rows(k * d)
    for start in range(0, X.shape[0], step):
        block = X[start : start + step]
        log_prob = (
            constant[None, :]
            + block @ scaled_means.T
            - 0.5 * ((block * block) @ precisions.T)
        )
        log_prob -= log_prob.max(axis=1, keepdims=True)
        gamma = xp.exp(log_prob)
        gamma /= gamma.sum(axis=1, keepdims=True)
        rows = set_of_row[start : start + step]
        xp.add.at(s0, rows, gamma)
        xp.add.at(s1, rows, gamma[:, :, None] * block[:, None, :])
        xp.add.at(s2, rows, gamma[:, :, None] * (block * block)[:, None, :])
    n = xp.asarray(np.maximum(counts, 1).astype(np.float64))[:, None]
    present = xp.asarray((counts > 0).astype(np.float64))[:, None]
    sqrt_w = xp.sqrt(weights_d)
    sigmas = xp.sqrt(variances_d)
    grad_w = (s0 / n - weights_d) / sqrt_w * present
    grad_mu = (s1 - s0[:, :, None] * means_d) / (
        n[:, :, None] * sqrt_w[:, None] * sigmas
    )
    centred_sq = s2 - 2 * means_d * s1 + (means_d**2 - variances_d) * s0[:, :, None]
    grad_sigma = centred_sq / (
        n[:, :, None] * np.sqrt(2) * sqrt_w[:, None] * variances_d
    )
    blocks = [grad_mu.reshape(n_sets, -1), grad_sigma.reshape(n_sets, -1)]
    if include_weights:
        blocks.insert(0, grad_w)
    return xp.concatenate(blocks, axis=1)


def row_norms(rows, norm, xp):
    """L1 or L2 norm of every row of a 2-D array, finite wherever the rows
    are: a row whose sum overflows is summed again scaled by its largest
    magnitude (norms of finite rows only overflow for magnitudes near the
    float maximum, so the extra pass is rare)."""
    with np.errstate(over="ignore"):
        if norm == "l1":
            scale = xp.abs(rows).sum(axis=1)
        elif xp is np:
            scale = np.sqrt(np.einsum("ij,ij->i", rows, rows))
        else:
            scale = xp.sqrt((rows * rows).sum(axis=1))
    overflow = ~xp.isfinite(scale)
    if bool(overflow.any()):
        big = rows[overflow]
        peak = xp.abs(big).max(axis=1)
        if bool(xp.isfinite(peak).all()):
            scale[overflow] = peak * row_norms(big / peak[:, None], norm, xp)
    return scale


def power_normalise(out, power, norm, xp):
    """``_base.power_normalise`` for device arrays (not in place)."""
    if power != 1:
        out = xp.copysign(xp.abs(out) ** power, out)
    if norm is not None:
        scale = row_norms(out, norm, xp)
        scale = xp.where(scale == 0, 1.0, scale)
        out = out / scale[:, None]
    return out
