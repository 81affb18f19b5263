"""Bag of (visual or audio) words: histograms of codeword assignments."""

import functools
import numbers
import warnings

import numpy as np
from sklearn.base import _fit_context
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.encode._base import (
    _DescriptorSetEncoder,
    assignment_block_rows,
    nearest_centre,
    output_follows_input,
    power_normalise,
)
from skmm.utils._parallel import n_workers, thread_limits

# Rows per block of the soft-assignment distance matrix.
_SOFT_BLOCK_ELEMENTS = 1 << 22


def _soft_weights_cpu(X, centres, bandwidth, n_jobs=None):
    """Per-descriptor kernel-codebook weights, float64 ``(n, k)``, with BLAS
    on ``n_workers(n_jobs)`` threads. Overflow is not warned about here:
    ``transform`` names the sample it made non-finite."""
    with (
        thread_limits(limits=n_workers(n_jobs), user_api="blas"),
        np.errstate(over="ignore", invalid="ignore", divide="ignore"),
    ):
        return _soft_weights_unchecked(X, centres, bandwidth)


def _soft_weights_unchecked(X, centres, bandwidth):
    X = X.astype(np.float64, copy=False)
    centres = centres.astype(np.float64, copy=False)
    centre_sq_norms = np.einsum("ij,ij->i", centres, centres)
    out = np.empty((X.shape[0], centres.shape[0]), dtype=np.float64)
    step = max(1, _SOFT_BLOCK_ELEMENTS // centres.shape[0])
    for start in range(0, X.shape[0], step):
        block = X[start : start + step]
        logits = out[start : start + step]
        np.matmul(block, centres.T, out=logits)
        logits *= 2
        logits -= centre_sq_norms
        logits -= np.einsum("ij,ij->i", block, block)[:, None]
        np.minimum(logits, 0, out=logits)  # -||x - c||^2, rounding clipped
        logits /= 2 * bandwidth**2
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
    return out


class BagOfWords(_DescriptorSetEncoder):
    """Bag-of-words histograms of descriptor sets over a learned codebook.

    ``fit`` learns a codebook of ``n_clusters`` codewords with scikit-learn's
    ``MiniBatchKMeans`` on (a random subsample of) all training descriptors.
    ``transform`` assigns each local descriptor to codewords and counts them
    per sample: bag of visual words for SIFT sets, bag of audio words for
    MFCC frames.

    Parameters
    ----------
    n_clusters : int, default=256
        Codebook size: the number of k-means clusters (codewords), named as
        in ``KMeans`` and ``MiniBatchKMeans``.
    assignment : {"hard", "soft"}, default="hard"
        "hard" counts each descriptor for its nearest codeword (squared
        Euclidean distance, ties to the lowest index). "soft" is the
        kernel codebook of van Gemert et al.: a descriptor spreads one unit
        of weight over all codewords in proportion to
        ``exp(-||x - c||^2 / (2 * bandwidth^2))``.
    bandwidth : float or "auto", default="auto"
        Gaussian kernel width of soft assignment, in descriptor units.
        "auto" takes the root mean squared distance of the training sample's
        descriptors to their nearest codeword. Ignored for hard assignment.
    norm : {"l1", "l2"} or None, default="l1"
        Row normalisation applied last. "l1" gives codeword frequencies.
    power : float, default=1.0
        Exponent of the signed power ``sign(h) |h|^power`` applied to the
        histogram before ``norm``. ``power=0.5`` with ``norm="l2"`` (or
        "l1" applied by the caller beforehand) is the Hellinger mapping: the
        square root of the codeword frequencies.
    max_descriptors : int or None, default=100_000
        At most this many training descriptors, drawn at random without
        replacement, are used to learn the codebook; None uses all.
    batch_size : int, default=1024
        ``MiniBatchKMeans`` mini-batch size.
    max_iter : int, default=100
        ``MiniBatchKMeans`` maximum number of passes over the sample.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample and of ``MiniBatchKMeans``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where assignment runs. "cuda" needs CuPy and a GPU; "auto" uses one
        when present. The codebook is always learned on the CPU.
        CuPy descriptor sets give a CuPy array; they are stacked on the
        GPU, copied to the host once for encoding and the result copied
        back once (only assignment has a GPU kernel here so far).
    n_jobs : int, default=None
        The number of threads of the CPU assignment kernels (Numba's for
        hard assignment, BLAS's for soft).
        ``None`` means 1 unless in a :obj:`joblib.parallel_config` context.
        ``-1`` means using all processors. See :term:`Glossary <n_jobs>`
        for more details.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` counting the samples encoded; the descriptors are then
        assigned in chunks of rows that start on the kernels' block
        boundaries, which gives the same output. ``fit`` shows none: its
        cost is k-means on the training descriptors, not a loop over
        samples, and ``MiniBatchKMeans``'s own ``verbose`` prints text
        lines, so it is not passed on.
    n_words : int, default="deprecated"
        Former name of ``n_clusters``; when set, it is used in its place.

        .. deprecated:: 0.1
           ``n_words`` was renamed ``n_clusters`` in 0.1 and will be removed
           in 0.3.

    Attributes
    ----------
    kmeans_ : MiniBatchKMeans
        The fitted clustering.
    codebook_ : ndarray of shape (n_clusters, d)
        The codewords (``kmeans_.cluster_centers_``).
    bandwidth_ : float
        The soft-assignment bandwidth in use (only with ``assignment="soft"``).
    device_ : {"cpu", "cuda"}
        The resolved device.
    n_descriptor_features_ : int
        Width ``d`` of the local descriptors.
    n_features_out_ : int
        ``n_clusters``.

    See Also
    --------
    VLAD, FisherVector : Encoders that keep more than counts per codeword.
    StatsPooling : Codebook-free pooling.

    Notes
    -----
    The output is float64. A sample with no descriptors gets an all-zero
    histogram (also after normalisation).

    References
    ----------
    .. [1] J. Sivic and A. Zisserman, "Video Google: A text retrieval approach
       to object matching in videos", ICCV 2003.
    .. [2] J. C. van Gemert, C. J. Veenman, A. W. M. Smeulders and
       J.-M. Geusebroek, "Visual word ambiguity", IEEE TPAMI 32(7), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import BagOfWords
    >>> rng = np.random.default_rng(0)
    >>> sets = [rng.normal(size=(int(rng.integers(5, 20)), 4)) for _ in range(30)]
    >>> bow = BagOfWords(n_clusters=8, random_state=0).fit(sets)
    >>> histograms = bow.transform(sets)
    >>> histograms.shape
    (30, 8)
    >>> bool(np.allclose(histograms.sum(axis=1), 1.0))
    True
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "assignment": [StrOptions({"hard", "soft"})],
        "bandwidth": [
            Interval(numbers.Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "norm": [StrOptions({"l1", "l2"}), None],
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_descriptors": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
        "n_words": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Hidden(StrOptions({"deprecated"})),
        ],
    }

    def __init__(
        self,
        *,
        n_clusters=256,
        assignment="hard",
        bandwidth="auto",
        norm="l1",
        power=1.0,
        max_descriptors=100_000,
        batch_size=1024,
        max_iter=100,
        random_state=None,
        device="cpu",
        n_jobs=None,
        verbose=False,
        n_words="deprecated",
    ):
        self.n_clusters = n_clusters
        self.assignment = assignment
        self.bandwidth = bandwidth
        self.norm = norm
        self.power = power
        self.max_descriptors = max_descriptors
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.n_words = n_words

    def _codebook_size(self):
        """``n_clusters``, or the deprecated ``n_words`` when it is set,
        with the parameter name that gave it."""
        if isinstance(self.n_words, str) and self.n_words == "deprecated":
            return self.n_clusters, "n_clusters"
        warnings.warn(
            "`n_words` was renamed `n_clusters` in 0.1 and will be removed in "
            "0.3; it is used in place of `n_clusters` until then.",
            FutureWarning,
            # Past fit (or partial_fit) and its _fit_context wrapper.
            stacklevel=4,
        )
        return self.n_words, "n_words"

    def _new_kmeans(self, rng):
        return MiniBatchKMeans(
            n_clusters=self._n_clusters,
            batch_size=self.batch_size,
            max_iter=self.max_iter,
            n_init="auto",
            random_state=rng.randint(np.iinfo(np.int32).max),
        )

    def _finish_fit(self, sample):
        self.codebook_ = self.kmeans_.cluster_centers_
        self.n_features_out_ = self.codebook_.shape[0]
        self.__dict__.pop("bandwidth_", None)
        if self.assignment == "soft":
            if self.bandwidth == "auto":
                labels = nearest_centre(
                    sample, self.codebook_, device=self.device_, n_jobs=self.n_jobs
                )
                residuals = sample - self.codebook_.astype(sample.dtype)[labels]
                rms = np.sqrt(
                    np.mean(np.square(residuals, dtype=np.float64)) * (sample.shape[1])
                )
                self.bandwidth_ = float(rms) if rms > 0 else 1.0
            else:
                self.bandwidth_ = float(self.bandwidth)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the codebook from the training descriptors.

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
        self._n_clusters, name = self._codebook_size()
        sample, rng = self._fit_sample(X, self._n_clusters, name)
        self.kmeans_ = self._new_kmeans(rng).fit(sample)
        self._partial_rng = rng
        self._finish_fit(sample)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the codebook with one batch of descriptor sets.

        The first call starts ``MiniBatchKMeans`` on this batch's
        descriptors (subsampled to ``max_descriptors``); later calls take one
        ``MiniBatchKMeans.partial_fit`` step each.

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
        if not hasattr(self, "_partial_rng"):
            self._n_clusters, name = self._codebook_size()
        else:
            name = None  # checked on the first call only
        sample = self._partial_kmeans_step(X, self._n_clusters, name)
        self._finish_fit(sample)
        return self

    @output_follows_input
    def transform(self, X):
        """Histogram of codeword assignments of each sample.

        Parameters
        ----------
        X : list of ndarray of shape (n_local, d), pandas Series or 3-D array
            Descriptor sets, one per sample.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters), float64
        """
        check_is_fitted(self)
        flat, offsets = self._check_sets(X, reset=False)
        n_samples = offsets.shape[0] - 1
        if self.assignment == "hard":
            labels = self._per_row(
                functools.partial(
                    nearest_centre,
                    centres=self.codebook_,
                    device=self.device_,
                    n_jobs=self.n_jobs,
                ),
                flat,
                offsets,
                assignment_block_rows(self.device_, self.n_features_out_),
            )
        elif self.device_ == "cuda":
            from skmm.encode._assign_xp import _block_rows, sq_distances_softmin

            weights = self._per_row(
                functools.partial(
                    sq_distances_softmin,
                    centres=self.codebook_,
                    bandwidth=self.bandwidth_,
                ),
                flat,
                offsets,
                _block_rows(self.n_features_out_),
            )
        else:
            weights = self._per_row(
                functools.partial(
                    _soft_weights_cpu,
                    centres=self.codebook_,
                    bandwidth=self.bandwidth_,
                    n_jobs=self.n_jobs,
                ),
                flat,
                offsets,
                max(1, _SOFT_BLOCK_ELEMENTS // self.n_features_out_),
            )
        k = self.n_features_out_
        if self.assignment == "hard":
            owner = np.repeat(np.arange(n_samples), np.diff(offsets))
            counts = np.bincount(owner * k + labels, minlength=n_samples * k)
            histograms = counts.reshape(n_samples, k).astype(np.float64)
        else:
            histograms = np.zeros((n_samples, k), dtype=np.float64)
            # Empty sets own no rows, so the starts of the others delimit them.
            non_empty = np.flatnonzero(np.diff(offsets) > 0)
            if non_empty.size:
                histograms[non_empty] = np.add.reduceat(
                    weights, offsets[non_empty], axis=0
                )
        return self._checked_output(
            power_normalise(histograms, self.power, self.norm), X
        )

    def _feature_prefix(self):
        return "bagofwords"
