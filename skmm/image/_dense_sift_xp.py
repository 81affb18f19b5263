"""Dense upright SIFT of a batch of equally sized images as array code.

Written against an array module ``xp`` with operations NumPy and CuPy share:
CuPy runs it for ``device="cuda"``, and the CPU test suite runs this very
code under NumPy and compares it with the Numba kernels. With every keypoint
upright and of one size, the weights of the descriptor bins separate into a
row factor and a column factor (see ``_dense_sift_numba``), so the
descriptors of a whole grid are two matrix products per orientation map:
``rows.T @ E_o @ columns``, with ``E_o`` the gradient magnitude spread over
orientation bin ``o`` and ``columns`` (``(width, n_x * 4)``) holding, for
every grid column and spatial bin, the weight of every image column. cuBLAS
does the work on the GPU.
"""

import numpy as np

from skmm.image._dense_sift_numba import _N_ORIENTATIONS, _WIDTH


def bin_matrix(positions, length, lower, weight_lower, weight_upper):
    """Host ``(length, len(positions) * 4)`` float32 matrix: entry ``[p, k *
    4 + b]`` is the weight of pixel ``p`` (along one axis) for spatial bin
    ``b`` of the keypoint centred at ``positions[k]``.

    Pixels outside ``1..length-2`` are left out: OpenCV skips them."""
    radius = (lower.shape[0] - 1) // 2
    offsets = np.arange(-radius, radius + 1)
    pixel = positions[:, None] + offsets[None, :]  # (n, n_offsets)
    keep = (pixel >= 1) & (pixel <= length - 2)
    keypoint = np.broadcast_to(np.arange(positions.shape[0])[:, None], pixel.shape)
    matrix = np.zeros((length, positions.shape[0] * _WIDTH), dtype=np.float64)
    for bin_offset, weight in ((0, weight_lower), (1, weight_upper)):
        bins = np.broadcast_to(lower[None, :] + bin_offset, pixel.shape)
        weights = np.broadcast_to(weight[None, :], pixel.shape)
        valid = keep & (bins >= 0) & (bins < _WIDTH) & (weights != 0)
        np.add.at(
            matrix,
            (pixel[valid], keypoint[valid] * _WIDTH + bins[valid]),
            weights[valid],
        )
    return matrix.astype(np.float32)


def orientation_maps(blurred, xp):
    """``(n, height, width, 8)`` gradient magnitude of each pixel spread over
    its two nearest orientation bins, zero on the one-pixel frame, as
    ``_dense_sift_numba.gradient_bins``."""
    n, height, width = blurred.shape
    dx = xp.zeros_like(blurred)
    dy = xp.zeros_like(blurred)
    dx[:, 1:-1, 1:-1] = blurred[:, 1:-1, 2:] - blurred[:, 1:-1, :-2]
    dy[:, 1:-1, 1:-1] = blurred[:, :-2, 1:-1] - blurred[:, 2:, 1:-1]
    magnitude = xp.sqrt(dx * dx + dy * dy)
    angle = xp.arctan2(dy, dx) * np.float32(180.0 / np.pi)
    angle = xp.where(angle < 0, angle + np.float32(360.0), angle)
    position = angle * np.float32(_N_ORIENTATIONS / 360.0)
    lower = xp.floor(position)
    fraction = (position - lower).astype(np.float32)
    lower = lower.astype(np.int32) % _N_ORIENTATIONS
    upper = (lower + 1) % _N_ORIENTATIONS
    magnitude_upper = magnitude * fraction
    magnitude_lower = magnitude - magnitude_upper
    bins = xp.arange(_N_ORIENTATIONS, dtype=np.int32)
    return (
        magnitude_lower[..., None] * (lower[..., None] == bins)
        + magnitude_upper[..., None] * (upper[..., None] == bins)
    ).astype(np.float32)


def normalise(descriptors, xp):
    """OpenCV's finish on the last axis: clip at 0.2 of the L2 norm,
    rescale to norm 512, round half to even, saturate to 0..255."""
    norm = xp.sqrt((descriptors * descriptors).sum(axis=-1, keepdims=True))
    descriptors = xp.minimum(descriptors, norm * np.float32(0.2))
    norm = xp.sqrt((descriptors * descriptors).sum(axis=-1, keepdims=True))
    scale = np.float32(512.0) / xp.maximum(norm, np.float32(1.1920929e-07))
    return xp.clip(xp.rint(descriptors * scale), 0, 255).astype(np.float32)


def dense_sift_batch(blurred, xs, ys, tables, xp=None):
    """Descriptors of a batch of blurred images, on the device.

    Parameters
    ----------
    blurred : ndarray of shape (n, height, width), float32
        Images already blurred as ``_dense_sift.blur`` does.
    xs, ys : ndarray of int64
        Grid columns and rows.
    tables : list of tuple
        ``_dense_sift._offset_table`` of each size.
    xp : module, default=None
        Array module; CuPy when None.

    Returns
    -------
    descriptors : ndarray of shape (n, n_sizes * len(ys) * len(xs), 128)
        Each image's descriptors as the CPU path orders them: sizes outer,
        then rows, then columns.
    """
    if xp is None:
        import cupy as xp
    n, height, width = blurred.shape
    n_x, n_y = xs.shape[0], ys.shape[0]
    maps = orientation_maps(xp.asarray(blurred, dtype=np.float32), xp)
    # (n, height, 8, width): each orientation map a matrix whose rows are
    # image rows.
    maps = xp.ascontiguousarray(maps.transpose(0, 1, 3, 2))
    parts = []
    for lower, weight_lower, weight_upper in tables:
        columns = xp.asarray(bin_matrix(xs, width, lower, weight_lower, weight_upper))
        rows = xp.asarray(bin_matrix(ys, height, lower, weight_lower, weight_upper))
        along_x = (maps.reshape(-1, width) @ columns).reshape(
            n, height, _N_ORIENTATIONS * n_x * _WIDTH
        )
        hist = xp.matmul(rows.T[None], along_x)  # (n, n_y * 4, 8 * n_x * 4)
        hist = hist.reshape(n, n_y, _WIDTH, _N_ORIENTATIONS, n_x, _WIDTH)
        hist = hist.transpose(0, 1, 4, 2, 5, 3).reshape(n, n_y * n_x, -1)
        parts.append(normalise(hist, xp))
    result = xp.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    return xp.ascontiguousarray(result, dtype=np.float32)
