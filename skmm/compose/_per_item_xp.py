"""Statistics of each sample's item vectors, in array code for NumPy and CuPy.

The CPU path pools with :func:`skmm.encode.pool_flat` (Numba); this one keeps
item vectors that a GPU transformer returned on the device.
"""

import numpy as np

from skmm.utils._device import array_module

#: The statistics computed here; others go through the host.
DEVICE_STATS = ("mean", "std", "var", "min", "max")


def pool_segments(flat, offsets, stats):
    """Statistics of ``flat[offsets[i]:offsets[i + 1]]`` for every ``i``.

    Parameters
    ----------
    flat : array of shape (n_items, d), NumPy or CuPy
        Item vectors of every sample, stacked.
    offsets : ndarray of shape (n_samples + 1,), int64, on the host
        Where each sample's items lie; every sample holds at least one.
    stats : tuple of str
        Statistics among :data:`DEVICE_STATS`, stat-major in the output.

    Returns
    -------
    pooled : array of shape (n_samples, len(stats) * d), float64
        In ``flat``'s array library.
    """
    xp = array_module(flat)
    counts = np.diff(offsets)
    n_samples, d = counts.shape[0], flat.shape[1]
    if n_samples == 0:
        return xp.zeros((0, len(stats) * d))
    # Gather every sample's items into (n_samples, widest, d); a shorter
    # sample repeats its last item, which leaves its min and max as they
    # are and is masked out of its sums.
    widest = int(counts.max())
    steps = np.arange(widest)
    index = offsets[:-1, None] + np.minimum(steps, counts[:, None] - 1)
    stacked = flat.astype(xp.float64)[xp.asarray(index)]
    mask = xp.asarray((steps < counts[:, None])[:, :, None].astype(np.float64))
    n = xp.asarray(counts[:, None].astype(np.float64))
    blocks = {"mean": (stacked * mask).sum(axis=1) / n}
    if "std" in stats or "var" in stats:
        centred = (stacked - blocks["mean"][:, None, :]) * mask
        blocks["var"] = (centred * centred).sum(axis=1) / n
        blocks["std"] = xp.sqrt(blocks["var"])
    if "min" in stats:
        blocks["min"] = stacked.min(axis=1)
    if "max" in stats:
        blocks["max"] = stacked.max(axis=1)
    return xp.concatenate([blocks[stat] for stat in stats], axis=1)
