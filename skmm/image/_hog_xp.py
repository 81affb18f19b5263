"""HOG of a batch of images as array code, for NumPy and CuPy alike.

The computation is written against an array module ``xp`` using only
operations NumPy and CuPy share: CuPy runs it for ``device="cuda"``, NumPy
runs it in the CPU test suite and in the CPU path's recomputation of pixels
on a bin boundary (:func:`dominant_gradients`, :func:`orientation_bins`). It
follows
:mod:`skmm.image._hog_numba` step for step: gradients in the image's float
dtype, the dominant channel as scikit-image's ``argmax`` of ``hypot`` picks it
(see :func:`dominant_gradients`), orientations binned
against scikit-image's float32 boundaries, and cell sums accumulated in
float32 in scikit-image's pixel order (one vectorised step per pixel position
in the cell: adding zero to the other bins leaves them unchanged).
"""

import numpy as np

from skmm.image._hog_numba import _EPS, AMBIGUOUS, bin_bounds

# Pixels (times channels) per chunk of images: bounds the float64 temporaries.
_CHUNK_PIXELS = 2**24


def _gradients(images, xp):
    """Central differences along rows and columns, zero on the border."""
    g_row = xp.zeros_like(images)
    g_col = xp.zeros_like(images)
    g_row[:, 1:-1] = images[:, 2:] - images[:, :-2]
    g_col[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
    return g_row, g_col


def _normalise(blocks, norm, xp):
    """scikit-image's block normalisation over the last three axes."""
    axes = (-3, -2, -1)
    if norm in ("L1", "L1-sqrt"):
        out = blocks / (abs(blocks).sum(axis=axes, keepdims=True) + _EPS)
        return xp.sqrt(out) if norm == "L1-sqrt" else out
    out = blocks / xp.sqrt((blocks**2).sum(axis=axes, keepdims=True) + _EPS**2)
    if norm == "L2-Hys":
        out = xp.minimum(out, 0.2)
        out = out / xp.sqrt((out**2).sum(axis=axes, keepdims=True) + _EPS**2)
    return out


def _dominant_channel(g_row, g_col, xp):
    """Channel of largest ``hypot(g_row, g_col)`` in the gradients' dtype,
    the first on ties, ``(n, h, w)``: scikit-image's ``argmax``.

    With NumPy, that argmax itself. Elsewhere (CuPy), CUDA's ``hypot`` is not
    NumPy's (not correctly rounded: equal magnitudes may compare unequal), so
    squared magnitudes in float64 decide, exactly for integer gradients;
    pixels where two channels lie within rounding of each other take
    NumPy's ``hypot`` on the host (few: exact ties of integer gradients).
    """
    if xp is np:
        return np.argmax(np.hypot(g_row, g_col), axis=3)
    row, col = g_row.astype(xp.float64), g_col.astype(xp.float64)
    squared = row * row + col * col
    dominant = xp.argmax(squared, axis=3)
    tolerance = 1e-6 if g_row.dtype == np.float32 else 1e-14
    best = squared.max(axis=3, keepdims=True)
    close = xp.count_nonzero(squared >= best * (1.0 - tolerance), axis=3) > 1
    near = xp.nonzero(close)
    if near[0].size:
        host = np.hypot(g_row[near].get(), g_col[near].get())
        dominant[near] = xp.asarray(np.argmax(host, axis=1))
    return dominant


def dominant_gradients(images, transform_sqrt, dtype, xp):
    """``(g_row, g_col)`` in float64, ``(n, h, w)``, as scikit-image computes
    them: in ``dtype``, of the channel of largest ``hypot`` (the first on
    ties) for colour images ``(n, h, w, channels)``."""
    images = images.astype(dtype)
    if transform_sqrt:
        images = xp.sqrt(images)
    g_row, g_col = _gradients(images, xp)
    if images.shape[3] > 1:
        dominant = _dominant_channel(g_row, g_col, xp)[..., None]
        g_row = xp.take_along_axis(g_row, dominant, axis=3)
        g_col = xp.take_along_axis(g_col, dominant, axis=3)
    return g_row[..., 0].astype(xp.float64), g_col[..., 0].astype(xp.float64)


def orientation_bins(g_row, g_col, orientations, xp):
    """scikit-image's orientation bin of each gradient, -1 for none.

    Orientations within ``_hog_numba.AMBIGUOUS`` degrees of a bin boundary
    (where CUDA's ``atan2`` and NumPy's may round differently) are recomputed
    on the host with NumPy, whose results scikit-image's are.
    """
    bounds = bin_bounds(orientations)
    orientation = xp.rad2deg(xp.arctan2(g_row, g_col)) % 180
    # Bin i holds bounds[i] <= o < bounds[i + 1]; at or past bounds[-1]: none.
    bins = xp.searchsorted(xp.asarray(bounds), orientation, side="right") - 1
    if xp is not np:
        distance = xp.abs(orientation[..., None] - xp.asarray(bounds)).min(axis=-1)
        near = xp.nonzero(distance < AMBIGUOUS)
        if near[0].size:
            host = np.rad2deg(np.arctan2(g_row[near].get(), g_col[near].get())) % 180
            bins[near] = xp.asarray(np.searchsorted(bounds, host, side="right") - 1)
    bins[bins >= orientations] = -1
    return bins


def _hog_chunk(
    images,
    pixels_per_cell,
    cells_per_block,
    orientations,
    norm,
    transform_sqrt,
    dtype,
    xp,
):
    """Features ``(n, n_features)`` of one chunk ``(n, h, w, channels)``."""
    n, h, w, n_channels = images.shape
    c_row, c_col = pixels_per_cell
    b_row, b_col = cells_per_block
    n_cells_row, n_cells_col = h // c_row, w // c_col
    g_row, g_col = dominant_gradients(images, transform_sqrt, dtype, xp)
    g_row = g_row[:, : n_cells_row * c_row, : n_cells_col * c_col]
    g_col = g_col[:, : n_cells_row * c_row, : n_cells_col * c_col]
    # sqrt of the sum of squares, as the CPU kernel: IEEE sqrt rounds
    # correctly on every device, where CUDA's hypot does not.
    magnitude = xp.sqrt(g_col * g_col + g_row * g_row)
    bins = orientation_bins(g_row, g_col, orientations, xp)
    del g_row, g_col
    bin_ids = xp.arange(orientations)
    hist = xp.zeros((n, n_cells_row, n_cells_col, orientations), dtype=xp.float32)
    for dy in range(c_row):
        for dx in range(c_col):
            m = magnitude[:, dy::c_row, dx::c_col, None]
            votes = xp.where(bins[:, dy::c_row, dx::c_col, None] == bin_ids, m, 0.0)
            hist = (hist.astype(xp.float64) + votes).astype(xp.float32)
    cells = (hist.astype(xp.float64) / (c_row * c_col)).astype(xp.float32)
    cells = cells.astype(xp.float64)
    n_blocks_row = n_cells_row - b_row + 1
    n_blocks_col = n_cells_col - b_col + 1
    blocks = xp.stack(
        [
            xp.stack(
                [
                    cells[:, r : r + n_blocks_row, c : c + n_blocks_col]
                    for c in range(b_col)
                ],
                axis=3,
            )
            for r in range(b_row)
        ],
        axis=3,
    )  # (n, n_blocks_row, n_blocks_col, b_row, b_col, orientations)
    return _normalise(blocks, norm, xp).astype(dtype).reshape(n, -1)


def hog_batch(
    images,
    pixels_per_cell,
    cells_per_block,
    orientations,
    norm,
    transform_sqrt,
    dtype,
    xp=None,
):
    """HOG features ``(n, n_features)`` of ``images`` ``(n, h, w, channels)``
    (on the host, copied chunk by chunk, or on the device), computed in
    ``dtype`` (scikit-image's float dtype); the features stay on the
    device.

    Same numbers as ``_hog_numba.hog_batch``. ``xp`` defaults to CuPy.
    """
    if xp is None:
        import cupy as xp
    n, h, w, n_channels = images.shape
    step = max(1, _CHUNK_PIXELS // (h * w * n_channels))
    parts = []
    for begin in range(0, n, step):
        chunk = xp.asarray(images[begin : begin + step])
        features = _hog_chunk(
            chunk,
            pixels_per_cell,
            cells_per_block,
            orientations,
            norm,
            transform_sqrt,
            dtype,
            xp,
        )
        parts.append(features)
    return xp.concatenate(parts) if len(parts) > 1 else parts[0]
