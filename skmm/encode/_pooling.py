"""Statistics pooling: a set of local descriptors becomes their statistics."""

import numbers

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import StatelessMixin
from skmm.encode._base import _DescriptorSetEncoder, output_follows_input
from skmm.encode._pooling_numba import set_medians, set_moments
from skmm.utils._validation import _as_column, _sample_label

STATS = ("mean", "std", "var", "min", "max", "median", "skew", "kurtosis")


def _check_stats(stats):
    stats = (stats,) if isinstance(stats, str) else tuple(stats)
    if not stats or any(s not in STATS for s in stats):
        raise ValueError(
            f"stats must be one of {STATS} or a non-empty sequence of them, got "
            f"{stats!r}."
        )
    if len(set(stats)) != len(stats):
        raise ValueError(f"stats must not repeat a statistic, got {stats!r}.")
    return stats


def pool_flat(flat, offsets, stats=("mean", "std")):
    """Statistics of every descriptor set in a stacked array.

    Parameters
    ----------
    flat : ndarray of shape (total_local, d)
        All sets stacked; float32, float64 or integer.
    offsets : ndarray of shape (n_sets + 1,), int64
        Set ``i`` is ``flat[offsets[i]:offsets[i + 1]]``; non-decreasing,
        starting at 0 and ending at ``total_local``.
    stats : str or sequence of str, default=("mean", "std")
        Any of "mean", "std", "var" (biased, ``ddof=0``), "min", "max",
        "median", "skew" and "kurtosis" (as ``scipy.stats.skew`` and
        ``scipy.stats.kurtosis`` by default: biased, Fisher's excess
        kurtosis). A column without spread has skew and kurtosis 0 (SciPy
        gives NaN).

    Returns
    -------
    pooled : ndarray of shape (n_sets, len(stats) * d), float64
        Stat-major: the first ``d`` columns hold the first statistic.

    Raises
    ------
    ValueError
        If a set is empty (its index is named) or ``offsets`` is malformed.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import pool_flat
    >>> flat = np.array([[1.0], [3.0], [10.0]])
    >>> pool_flat(flat, np.array([0, 2, 3]), ("mean", "max"))
    array([[ 2.,  3.],
           [10., 10.]])
    """
    stats = _check_stats(stats)
    flat = np.asarray(flat)
    if flat.ndim != 2:
        raise ValueError(f"flat must be 2-D, got shape {flat.shape}.")
    if flat.dtype not in (np.float32, np.float64):
        flat = flat.astype(np.float64)
    flat = np.ascontiguousarray(flat)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    if (
        offsets.ndim != 1
        or offsets.shape[0] < 1
        or offsets[0] != 0
        or offsets[-1] != flat.shape[0]
        or np.any(np.diff(offsets) < 0)
    ):
        raise ValueError(
            "offsets must be a non-decreasing 1-D array from 0 to "
            f"len(flat)={flat.shape[0]}."
        )
    empty = np.flatnonzero(np.diff(offsets) == 0)
    if empty.size:
        raise ValueError(
            f"Descriptor set {empty[0]} is empty; statistics of an empty set "
            "are undefined."
        )
    n_sets, d = offsets.shape[0] - 1, flat.shape[1]
    higher = "skew" in stats or "kurtosis" in stats
    extrema = "min" in stats or "max" in stats

    def buffer(wanted):
        return np.zeros((n_sets if wanted else 0, d), dtype=np.float64)

    mean, var = buffer(True), buffer(True)
    m3, m4, low, high = buffer(higher), buffer(higher), buffer(extrema), buffer(extrema)
    set_moments(flat, offsets, higher, extrema, mean, var, m3, m4, low, high)
    blocks = {"mean": mean, "var": var, "min": low, "max": high}
    if "std" in stats:
        blocks["std"] = np.sqrt(var)
    if "median" in stats:
        blocks["median"] = buffer(True)
        set_medians(flat, offsets, blocks["median"])
    if higher:
        # Standardised moments; a column without spread has 0 for both.
        blocks["skew"] = m3
        blocks["kurtosis"] = np.where(var > 0, m4 - 3.0, 0.0)
    return np.concatenate([blocks[s] for s in stats], axis=1)


def _check_segments(segments):
    segments = (segments,) if isinstance(segments, numbers.Integral) else segments
    segments = tuple(segments)
    if not segments or any(
        not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1
        for k in segments
    ):
        raise ValueError(
            "segments must be a positive integer or a non-empty sequence of "
            f"them, got {segments!r}."
        )
    return segments


def segment_layout(offsets, n_segments):
    """Rows and offsets of ``n_segments`` consecutive parts of every set.

    Part ``j`` of a set of ``n`` descriptors is rows ``round(j n / k)`` to
    ``round((j + 1) n / k)``; a part that would be empty (a set shorter than
    ``k``) takes the one row at its start instead, so every part of a
    non-empty set has at least one descriptor.

    Returns
    -------
    rows : ndarray of shape (total,), int64
        Indices into the stacked descriptors, part after part.
    part_offsets : ndarray of shape (n_sets * n_segments + 1,), int64
    """
    lengths = np.diff(offsets)
    j = np.arange(n_segments + 1)
    bounds = np.rint(lengths[:, None] * j[None, :] / n_segments).astype(np.int64)
    starts = np.minimum(bounds[:, :-1], np.maximum(lengths[:, None] - 1, 0))
    ends = np.maximum(bounds[:, 1:], starts + (lengths[:, None] > 0))
    starts = starts + offsets[:-1, None]
    ends = ends + offsets[:-1, None]
    sizes = (ends - starts).ravel()
    part_offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=part_offsets[1:])
    rows = np.repeat(starts.ravel() - part_offsets[:-1], sizes) + np.arange(
        part_offsets[-1]
    )
    return rows, part_offsets


def _pool_segments(flat, offsets, stats, segments):
    """Statistics of every set and of its parts for each number of segments."""
    blocks = []
    for k in segments:
        if k == 1:
            blocks.append(pool_flat(flat, offsets, stats))
            continue
        rows, part_offsets = segment_layout(offsets, k)
        pooled = pool_flat(flat[rows], part_offsets, stats)
        blocks.append(pooled.reshape(len(offsets) - 1, -1))
    return np.concatenate(blocks, axis=1)


class StatsPooling(StatelessMixin, _DescriptorSetEncoder):
    """Pool each descriptor set into statistics of its local descriptors.

    The statistics of every descriptor dimension over a sample's local
    descriptors (MFCC frames of a clip, SIFT descriptors of an image) are
    concatenated, stat-major, into one vector per sample.

    Parameters
    ----------
    stats : str or sequence of str, default=("mean", "std")
        Statistics to compute: "mean", "std", "var" (biased, ``ddof=0`` as
        NumPy), "min", "max", "median", "skew" and "kurtosis" (as
        ``scipy.stats.skew`` and ``scipy.stats.kurtosis`` with their
        defaults: biased, Fisher's excess kurtosis). A dimension without
        spread gets skew and kurtosis 0, where SciPy gives NaN.
    segments : int or sequence of int, default=1
        A temporal pyramid for ordered sets (MFCC frames): for each ``k``,
        split the set into ``k`` consecutive parts of (nearly) equal length
        and pool each part; ``segments=(1, 5)`` gives the statistics of the
        whole clip followed by those of its five fifths. The default pools the
        whole set. Parts of a set shorter than ``k`` repeat its descriptors.
        Unordered sets (keypoint descriptors) should keep 1.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` counting the samples pooled; the sets are then pooled
        in chunks of whole sets, which gives the same output. ``fit`` learns
        nothing and shows none.

    Attributes
    ----------
    n_descriptor_features_ : int
        Width ``d`` of the local descriptors seen in ``fit``.
    n_features_out_ : int
        ``sum(segments) * len(stats) * d``.

    See Also
    --------
    pool_flat : The same statistics for stacked sets, without an estimator.
    BagOfWords, VLAD, FisherVector : Codebook-based encoders.

    Notes
    -----
    Statistics are computed in float64 and returned as float64. An empty set
    has no statistics: ``transform`` raises ``ValueError`` naming the
    sample.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import StatsPooling
    >>> sets = [np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[4.0, 4.0]])]
    >>> pooling = StatsPooling(stats=("mean", "max")).fit(sets)
    >>> pooling.transform(sets)
    array([[1., 2., 2., 3.],
           [4., 4., 4., 4.]])
    >>> pooling.get_feature_names_out().tolist()
    ['mean0', 'mean1', 'max0', 'max1']

    Means of the first and second halves of each set of frames:

    >>> frames = [np.arange(8.0).reshape(4, 2)]
    >>> StatsPooling(stats="mean", segments=2).fit_transform(frames)
    array([[1., 2., 5., 6.]])
    """

    _parameter_constraints: dict = {
        "stats": [StrOptions(set(STATS)), list, tuple],
        "segments": [Interval(numbers.Integral, 1, None, closed="left"), list, tuple],
        "verbose": ["verbose"],
    }

    def __init__(self, *, stats=("mean", "std"), segments=1, verbose=False):
        self.stats = stats
        self.segments = segments
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the descriptor width; pooling has nothing to learn.

        Parameters
        ----------
        X : list of ndarray of shape (n_local, d), pandas Series or 3-D array
            Descriptor sets, one per sample.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        stats = _check_stats(self.stats)
        segments = _check_segments(self.segments)
        self._check_sets(X, reset=True)
        self.n_features_out_ = sum(segments) * len(stats) * self.n_descriptor_features_
        return self

    @output_follows_input
    def transform(self, X):
        """Pool each sample's descriptors.

        Parameters
        ----------
        X : list of ndarray of shape (n_local, d), pandas Series or 3-D array
            Descriptor sets, one per sample.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out_), float64
            A CuPy array for CuPy descriptor sets (pooled on the host: one
            copy there, one back).
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        flat, offsets = self._check_sets(X, reset=False)
        empty = np.flatnonzero(np.diff(offsets) == 0)
        if empty.size:
            labels = (
                _as_column(X, kind="descriptor set")[1]
                if not isinstance(X, np.ndarray)
                else None
            )
            raise ValueError(
                f"Descriptor set {_sample_label(int(empty[0]), labels)} is empty; "
                "StatsPooling needs at least one descriptor per sample."
            )
        stats = _check_stats(self.stats)
        segments = _check_segments(self.segments)
        from skmm.utils._parallel import parallel_map

        # Every set is pooled on its own, so chunks of whole sets give the
        # statistics of one call (empty chunks lie within one long set).
        n_workers = self._distributed_workers()
        bounds = [
            (first, stop)
            for _, _, first, stop in self._task_chunks(offsets, 1, n_workers)
            if stop > first
        ]
        tasks = (
            (
                flat[offsets[first] : offsets[stop]],
                offsets[first : stop + 1] - offsets[first],
                stats,
                segments,
            )
            for first, stop in bounds
        )
        if n_workers:
            pooled = parallel_map(_pool_segments, tasks)
        else:
            pooled = (_pool_segments(*task) for task in tasks)
        chunks = []
        with self._progress(offsets.shape[0] - 1) as bar:
            for (first, stop), chunk in zip(bounds, pooled, strict=True):
                chunks.append(chunk)
                bar.update(stop - first)
        out = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        return self._checked_output(out, X)

    def get_feature_names_out(self, input_features=None):
        """Output feature names, ``{stat}{i}`` (``mean0``, ..., ``std0``, ...);
        with segments, parts of ``k`` segments are named
        ``seg{k}.{j}_{stat}{i}``.

        Parameters
        ----------
        input_features : None
            Ignored; descriptor sets have no input feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = [
            f"{stat}{i}"
            for stat in _check_stats(self.stats)
            for i in range(self.n_descriptor_features_)
        ]
        out = []
        for k in _check_segments(self.segments):
            if k == 1:
                out.extend(names)
            else:
                out.extend(f"seg{k}.{j}_{name}" for j in range(k) for name in names)
        return np.asarray(out, dtype=object)
