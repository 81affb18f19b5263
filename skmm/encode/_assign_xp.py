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
        On the host (copied block by block) or on the device.
    centres : ndarray of shape (k, d), same dtype
    xp : module, default=None
        The array namespace; None is CuPy.

    Returns
    -------
    labels : ndarray of shape (n,), int64 (on the host)
    unsure : ndarray of int64
        Rows whose two nearest centres lie within the rounding error of the
        product (cuBLAS sums in another order than the CPU's BLAS), so that
        the CPU may pick the other: the caller recomputes them there.
    """
    cp = _namespace(xp)
    centres_gpu = cp.asarray(centres)
    centre_sq_norms = cp.sum(centres_gpu * centres_gpu, axis=1)
    # |x|^2 + |c|^2 bounds the magnitude of the terms each score sums; the
    # rounding of a d-term product is within d * eps of that.
    eps = float(np.finfo(centres.dtype).eps)
    slack = 4.0 * centres.shape[1] * eps
    peak_centre = float(centre_sq_norms.max()) if centres.shape[0] else 0.0
    labels = np.empty(X.shape[0], dtype=np.int64)
    unsure = []
    step = _block_rows(centres.shape[0])
    for start in range(0, X.shape[0], step):
        block = cp.asarray(X[start : start + step])
        scores = centre_sq_norms[None, :] - 2 * (block @ centres_gpu.T)
        best = cp.argmin(scores, axis=1)
        labels[start : start + step] = _to_host(best)
        if centres.shape[0] < 2:
            continue
        two = cp.partition(scores, 1, axis=1)[:, :2]
        bound = slack * (cp.sum(block * block, axis=1) + peak_centre)
        close = cp.flatnonzero(two[:, 1] - two[:, 0] <= bound)
        if close.size:
            unsure.append(_to_host(close) + start)
    unsure = np.concatenate(unsure) if unsure else np.zeros(0, dtype=np.int64)
    return labels, unsure.astype(np.int64, copy=False)


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
    s0 = xp.zeros((n_sets, k))
    s1 = xp.zeros((n_sets, k, d))
    s2 = xp.zeros((n_sets, k, d))
    # Each block's (rows, k) posteriors and (rows, d) descriptors, padded per
    # set, stay near _BLOCK_ELEMENTS values.
    step = _block_rows(max(k, d))
    for start in range(0, X.shape[0], step):
        stop = min(start + step, X.shape[0])
        block = X[start:stop]
        log_prob = (
            constant[None, :]
            + block @ scaled_means.T
            - 0.5 * ((block * block) @ precisions.T)
        )
        log_prob -= log_prob.max(axis=1, keepdims=True)
        gamma = xp.exp(log_prob)
        gamma /= gamma.sum(axis=1, keepdims=True)
        _accumulate_moments(gamma, block, offsets, start, stop, (s0, s1, s2), xp)
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


def _set_pieces(offsets, start, stop):
    """``(sets, begins, lengths)`` of the sets holding rows ``start:stop``,
    each piece clipped to those rows, positions relative to ``start``."""
    first = int(np.searchsorted(offsets, start, side="right")) - 1
    last = int(np.searchsorted(offsets, stop, side="left"))
    sets = np.arange(first, last)
    begins = np.maximum(offsets[first:last], start)
    ends = np.minimum(offsets[first + 1 : last + 1], stop)
    keep = ends > begins
    return sets[keep], (begins - start)[keep], (ends - begins)[keep]


def _accumulate_moments(gamma, block, offsets, start, stop, moments, xp):
    """Add the zeroth, first and second order statistics of rows
    ``start:stop`` (``gamma`` ``(rows, k)``, ``block`` ``(rows, d)``) to each
    set's ``moments`` ``(s0, s1, s2)`` by batched matrix products.

    The sets' rows are gathered into a zero-padded ``(sets, length, .)``
    batch, then ``s1[set] += gamma_set.T @ x_set`` for all sets in one
    batched product (cuBLAS's strided batched GEMM on a GPU), in place of
    one atomic addition per (row, centre, feature) of ``add.at``. Sets
    longer than twice the mean piece go one product each, so that the padding
    stays within twice the block.
    """
    s0, s1, s2 = moments
    sets, begins, lengths = _set_pieces(offsets, start, stop)
    if sets.size == 0:
        return
    long = lengths > max(1, 2 * -(-(stop - start) // sets.size))
    pieces = zip(sets[long], begins[long], lengths[long], strict=True)
    for set_, begin, length in pieces:
        g = gamma[begin : begin + length]
        x = block[begin : begin + length]
        s0[set_] += g.sum(axis=0)
        s1[set_] += g.T @ x
        s2[set_] += g.T @ (x * x)
    sets, begins, lengths = sets[~long], begins[~long], lengths[~long]
    if sets.size == 0:
        return
    width = int(lengths.max())
    positions = np.arange(width)
    inside = positions[None, :] < lengths[:, None]
    rows = np.where(inside, begins[:, None] + positions[None, :], 0)
    rows_d = xp.asarray(rows)
    g = gamma[rows_d] * xp.asarray(inside.astype(gamma.dtype))[:, :, None]
    x = block[rows_d]
    g_t = xp.ascontiguousarray(xp.swapaxes(g, 1, 2))
    sets_d = xp.asarray(sets)
    # Each set appears once per block: plain indexed additions are safe.
    s0[sets_d] += g.sum(axis=1)
    s1[sets_d] += xp.matmul(g_t, x)
    s2[sets_d] += xp.matmul(g_t, x * x)


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
