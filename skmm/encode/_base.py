"""What every descriptor-set encoder shares: input stacking, codebook
assignment dispatch, normalisation and the estimator base class."""

import functools

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skmm.base import with_input_kind
from skmm.encode import _assign_numba
from skmm.encode._assign_xp import row_norms
from skmm.utils._device import (
    any_cupy,
    array_module,
    is_cupy_array,
    resolve_device,
    to_numpy,
)
from skmm.utils._parallel import n_workers, numba_threads, thread_limits
from skmm.utils._progress import progress_bar
from skmm.utils._validation import _as_column, _sample_label, check_descriptor_sets

# With a progress bar, descriptors are encoded in chunks of at least this many
# rows (tens of milliseconds of work), and at most about _PROGRESS_STEPS
# chunks per call.
_PROGRESS_MIN_ROWS = 1 << 16
_PROGRESS_STEPS = 100
# Chunks sent to the workers of a joblib backend hold at least this many rows.
_TASK_MIN_ROWS = 1 << 12


def output_follows_input(transform):
    """Give CuPy output for CuPy descriptor sets to a ``transform`` that
    computes on the host: the sets cross to the host once (stacked, in
    ``_check_sets``) and the result crosses back once."""

    @functools.wraps(transform)
    def wrapped(self, X, *args, **kwargs):
        out = transform(self, X, *args, **kwargs)
        if _holds_cupy(X):
            import cupy

            return cupy.asarray(out)
        return out

    return wrapped


def _holds_cupy(X):
    if is_cupy_array(X):
        return True
    try:
        cells = X.iloc[:, 0] if getattr(X, "ndim", 1) == 2 else X
        return any_cupy(cells)
    except (TypeError, AttributeError):
        return False


def stack_sets(sets):
    """Stack validated sets into ``(flat, offsets)``.

    ``flat`` is float32 when every set is float32 and float64 otherwise; set
    ``i`` is ``flat[offsets[i]:offsets[i + 1]]``.
    """
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    non_empty = [s for s in sets if len(s)]
    all_float32 = bool(non_empty) and all(s.dtype == np.float32 for s in non_empty)
    dtype = np.float32 if all_float32 else np.float64
    width = sets[0].shape[1] if sets else 0
    # CuPy sets are stacked on the GPU.
    xp = array_module(sets[0]) if sets else np
    if not non_empty:
        return xp.zeros((0, width), dtype=dtype), offsets
    if xp is np:
        return np.concatenate(non_empty, axis=0, dtype=dtype), offsets
    flat = xp.concatenate([s.astype(dtype, copy=False) for s in non_empty], axis=0)
    return flat, offsets


def assignment_block_rows(device, n_centres):
    """Rows that :func:`nearest_centre` processes together: calls on row
    ranges starting at multiples of it give the labels of one call."""
    if device == "cuda":
        from skmm.encode import _assign_xp

        return _assign_xp._block_rows(n_centres)
    return int(np.lcm(_assign_numba._GEMM_BLOCK_ROWS, _assign_numba._CHUNK_ROWS))


def nearest_centre(X, centres, *, device="cpu", n_jobs=None):
    """Index of the nearest centre (squared Euclidean) of every row of ``X``.

    Ties go to the lowest index, as in
    ``sklearn.metrics.pairwise_distances_argmin``. Arithmetic runs in the
    dtype of ``X`` (float32 or float64).

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    centres : ndarray of shape (k, d)
    device : {"cpu", "cuda"}, default="cpu"
    n_jobs : int, default=None
        Threads of the CPU kernel. ``None`` means 1 unless in a
        :obj:`joblib.parallel_config` context; ``-1`` means all processors
        (see :func:`skmm.utils._parallel.n_workers`).

    Returns
    -------
    labels : ndarray of shape (n,), int64
    """
    if device != "cuda":
        X = to_numpy(X)
    xp = array_module(X)  # CuPy rows stay on the GPU for device="cuda"
    X = xp.ascontiguousarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    centres = np.ascontiguousarray(to_numpy(centres), dtype=X.dtype)
    if device == "cuda":
        from skmm.encode import _assign_xp

        labels, unsure = _assign_xp.nearest_centre(X, centres)
        if unsure.size:
            # Near ties the GPU's product may break otherwise: the CPU's
            # labels, so that both devices give the same codes.
            rows = to_numpy(X[xp.asarray(unsure) if xp is not np else unsure])
            labels[unsure] = nearest_centre(rows, centres, n_jobs=n_jobs)
        return labels
    labels = np.empty(X.shape[0], dtype=np.int64)
    if X.shape[0] == 0:
        return labels
    centres_t = np.ascontiguousarray(centres.T)
    centre_sq_norms = np.einsum("ij,ij->i", centres, centres)
    with numba_threads(n_jobs):
        if X.shape[1] >= _assign_numba._GEMM_MIN_FEATURES:
            # The row blocks run in parallel; BLAS threads would fight them.
            with thread_limits(limits=1, user_api="blas"):
                _assign_numba.assign_gemm(X, centres_t, centre_sq_norms, labels)
        else:
            _assign_numba.assign_direct(X, centres_t, centre_sq_norms, labels)
    return labels


def power_normalise(out, power, norm):
    """Signed power ``sign(z)|z|^power`` then row normalisation, in place.

    All-zero rows (empty sets) stay zero; norms do not overflow for finite
    rows, and rows that already did stay non-finite, unwarned, for the
    encoder's output check to name.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if power != 1:
            np.copysign(np.abs(out) ** power, out, out=out)
        if norm is not None:
            scale = row_norms(out, norm, np)
            scale[scale == 0] = 1.0
            out /= scale[:, None]
    return out


def training_sample(flat, max_descriptors, rng):
    """At most ``max_descriptors`` rows of ``flat``, drawn without replacement
    (kept in their original order)."""
    if max_descriptors is None or flat.shape[0] <= max_descriptors:
        return flat
    rows = np.sort(rng.choice(flat.shape[0], size=max_descriptors, replace=False))
    return flat[rows]


def check_enough_descriptors(flat, n_clusters, name):
    if flat.shape[0] < n_clusters:
        raise ValueError(
            f"{name}={n_clusters} needs at least as many training descriptors, "
            f"got {flat.shape[0]}; lower {name} or give more data."
        )


class _DescriptorSetEncoder(TransformerMixin, BaseEstimator):
    """Base class: validation, tags and feature names for set encoders."""

    def _fit_sample(self, X, n_required, name):
        """Validate ``X``, resolve the device and draw the training sample of
        at most ``max_descriptors`` local descriptors; returns ``(sample,
        rng)``."""
        flat, _ = self._check_sets(X, reset=True)
        self.device_ = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        sample = training_sample(flat, self.max_descriptors, rng)
        check_enough_descriptors(sample, n_required, name)
        return sample, rng

    def _partial_kmeans_step(self, X, n_centres, name):
        """One ``MiniBatchKMeans.partial_fit`` step of a k-means encoder on
        the descriptors of ``X``, creating (and seeding, as ``fit`` does) the
        k-means on the first call; returns the descriptors used."""
        first = not hasattr(self, "_partial_rng")
        flat, _ = self._check_sets(X, reset=first)
        if first:
            self.device_ = resolve_device(self.device)
            self._partial_rng = check_random_state(self.random_state)
            self.kmeans_ = self._new_kmeans(self._partial_rng)
        sample = training_sample(flat, self.max_descriptors, self._partial_rng)
        if first:
            check_enough_descriptors(sample, n_centres, name)
        self.kmeans_.partial_fit(sample)
        return sample

    def _row_chunks(self, offsets, block_rows=1):
        """Split the stacked rows for a progress bar over the sets.

        Yields ``(begin, end, first, stop)``: encode rows ``begin:end``; sets
        ``first:stop`` then have all their rows encoded. Without ``verbose``
        there is one chunk, all the rows. With it, chunks start at multiples
        of ``block_rows``, the rows a kernel processes together, so that
        chunked and whole calls give the same numbers.
        """
        return self._split_rows(offsets, block_rows, n_workers=1)

    def _task_chunks(self, offsets, block_rows, n_workers):
        """:meth:`_row_chunks`, or, for ``n_workers`` workers of a joblib
        backend, a few chunks per worker (as many more as a bar asks for)."""
        if not n_workers:
            return list(self._row_chunks(offsets, block_rows))
        return list(self._split_rows(offsets, block_rows, n_workers))

    def _split_rows(self, offsets, block_rows, n_workers):
        n_rows, n_sets = int(offsets[-1]), offsets.shape[0] - 1
        size = max(_PROGRESS_MIN_ROWS, -(-n_rows // _PROGRESS_STEPS))
        if n_workers > 1:
            # A few chunks per worker, each worth a task of its own.
            size = min(size, max(_TASK_MIN_ROWS, -(-n_rows // (4 * n_workers))))
        size = -(-size // block_rows) * block_rows
        if (not self.verbose and n_workers == 1) or n_rows <= size:
            yield 0, n_rows, 0, n_sets
            return
        done = 0
        for begin in range(0, n_rows, size):
            end = min(n_rows, begin + size)
            # Every set ending at or before ``end`` is complete (empty sets
            # included); the last chunk completes all of them.
            stop = (
                n_sets
                if end == n_rows
                else int(np.searchsorted(offsets[1:], end, side="right"))
            )
            yield begin, end, done, stop
            done = stop

    def _distributed_workers(self):
        """Workers of the joblib backend chosen by a ``parallel_config``
        context (dask, say) when the CPU work should go there; else 0."""
        from skmm.utils._parallel import runs_in_threads

        if getattr(self, "device_", "cpu") != "cpu" or runs_in_threads():
            return 0
        return n_workers(getattr(self, "n_jobs", None))

    def _per_row(self, compute, flat, offsets, block_rows=1):
        """``compute(flat)`` (one output row per descriptor), in the chunks of
        :meth:`_row_chunks`, with a progress bar over the sets. Inside a
        ``joblib.parallel_config`` context that picks a backend other than
        threads, the chunks are that backend's tasks (``compute`` must then
        pickle)."""
        from skmm.utils._parallel import parallel_map

        n_workers = self._distributed_workers()
        chunks = self._task_chunks(offsets, block_rows, n_workers)
        if n_workers:
            results = parallel_map(
                compute, ((flat[begin:end],) for begin, end, _, _ in chunks)
            )
        else:
            results = (compute(flat[begin:end]) for begin, end, _, _ in chunks)
        parts = []
        with self._progress(offsets.shape[0] - 1) as bar:
            for (_, _, first, stop), part in zip(chunks, results, strict=True):
                parts.append(part)
                bar.update(stop - first)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _progress(self, n_sets):
        return progress_bar(
            n_sets, verbose=self.verbose, desc=type(self).__name__, unit="sample"
        )

    def _check_sets(self, X, *, reset, on_host=True):
        """Validate and stack ``X``; CuPy sets are stacked on the GPU and,
        with ``on_host``, copied to the host at once."""
        if reset:
            sets = check_descriptor_sets(X)
            flat, offsets = stack_sets(sets)
            self.n_descriptor_features_ = flat.shape[1]
        else:
            check_is_fitted(self)
            sets = check_descriptor_sets(X, n_features=self.n_descriptor_features_)
            flat, offsets = stack_sets(sets)
        return (to_numpy(flat) if on_host else flat), offsets

    def _checked_output(self, out, X):
        """``out``, once every row is finite; else a ``ValueError`` naming
        the first sample whose encoding overflowed. Validation bounds the
        descriptors, but not against a codebook or mixture learned at another
        scale (tiny variances, say)."""
        xp = array_module(out)
        finite_rows = xp.isfinite(out).all(axis=1)
        if not bool(finite_rows.all()):
            position = int(xp.flatnonzero(~finite_rows)[0])
            labels = (
                None
                if is_cupy_array(X) or isinstance(X, np.ndarray)
                else (_as_column(X, kind="descriptor set")[1])
            )
            raise ValueError(
                f"{type(self).__name__} overflowed encoding descriptor set "
                f"{_sample_label(position, labels)}: its values are too large "
                "for the fitted model. Rescale the descriptors (as they were "
                "for fit)."
            )
        return out

    def _feature_prefix(self):
        return type(self).__name__.lower()

    def get_feature_names_out(self, input_features=None):
        """Output feature names, ``{prefix}{i}`` for ``i < n_features_out_``.

        Parameters
        ----------
        input_features : None
            Ignored; descriptor sets have no input feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_out_")
        prefix = self._feature_prefix()
        return np.asarray(
            [f"{prefix}{i}" for i in range(self.n_features_out_)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "descriptor_set")
