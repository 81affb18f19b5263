"""VLAD: vectors of locally aggregated descriptors."""

import functools
import numbers

import numpy as np
from sklearn.base import _fit_context
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.encode._assign_numba import residual_sums
from skmm.encode._assign_xp import row_norms
from skmm.encode._base import (
    _DescriptorSetEncoder,
    assignment_block_rows,
    nearest_centre,
    output_follows_input,
    power_normalise,
)


class VLAD(_DescriptorSetEncoder):
    """Vector of locally aggregated descriptors (VLAD) of descriptor sets.

    ``fit`` learns ``n_clusters`` centres with scikit-learn's
    ``MiniBatchKMeans`` on (a random subsample of) the training descriptors.
    ``transform`` assigns each local descriptor to its nearest centre and sums
    the residuals ``x - c`` per centre, giving ``n_clusters * d`` values per
    sample, which are then normalised:

    1. intra-normalisation: each centre's block is scaled to unit L2 norm
       (Arandjelović and Zisserman), if ``intra_norm``;
    2. signed power ``sign(z) |z|^power`` (Jégou et al.), if ``power != 1``;
    3. global normalisation by ``norm``.

    Parameters
    ----------
    n_clusters : int, default=64
        Number of centres (the visual/audio vocabulary).
    intra_norm : bool, default=True
        L2-normalise the residual sum of each centre.
    power : float, default=0.5
        Exponent of the signed power normalisation; 1 disables it.
    norm : {"l2", "l1"} or None, default="l2"
        Normalisation of the whole vector, applied last.
    max_descriptors : int or None, default=100_000
        At most this many training descriptors, drawn at random without
        replacement, are clustered; None uses all.
    batch_size : int, default=1024
        ``MiniBatchKMeans`` mini-batch size. Mini-batch k-means is used
        rather than ``KMeans`` because codebooks are learned on up to
        ``max_descriptors`` descriptors, where full Lloyd iterations cost
        much more for little gain in the encoding.
    max_iter : int, default=100
        ``MiniBatchKMeans`` maximum number of passes over the sample.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample and of ``MiniBatchKMeans``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where assignment runs. "cuda" needs CuPy and a GPU; "auto" uses one
        when present.
        CuPy descriptor sets give a CuPy array; they are stacked on the
        GPU, copied to the host once for encoding and the result copied
        back once (only assignment has a GPU kernel here so far).
    n_jobs : int, default=None
        The number of threads of the CPU assignment kernel.
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

    Attributes
    ----------
    kmeans_ : MiniBatchKMeans
        The fitted clustering.
    codebook_ : ndarray of shape (n_clusters, d)
        The centres.
    device_ : {"cpu", "cuda"}
        The resolved device.
    n_descriptor_features_ : int
        Width ``d`` of the local descriptors.
    n_features_out_ : int
        ``n_clusters * d``; block ``c`` (columns ``c*d`` to ``(c+1)*d``)
        belongs to centre ``c``.

    See Also
    --------
    BagOfWords : Counts per centre only.
    FisherVector : Soft assignment to a Gaussian mixture, first and second
        order statistics.

    Notes
    -----
    Residuals are summed in float64 and the output is float64. A centre that
    receives no descriptor keeps a zero block; a sample with no descriptors
    becomes the zero vector.

    References
    ----------
    .. [1] H. Jégou, M. Douze, C. Schmid and P. Pérez, "Aggregating local
       descriptors into a compact image representation", CVPR 2010.
    .. [2] R. Arandjelović and A. Zisserman, "All about VLAD", CVPR 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import VLAD
    >>> rng = np.random.default_rng(0)
    >>> sets = [rng.normal(size=(int(rng.integers(5, 20)), 4)) for _ in range(30)]
    >>> vlad = VLAD(n_clusters=8, random_state=0).fit(sets)
    >>> codes = vlad.transform(sets)
    >>> codes.shape
    (30, 32)
    >>> bool(np.allclose(np.linalg.norm(codes, axis=1), 1.0))
    True
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "intra_norm": ["boolean"],
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "norm": [StrOptions({"l1", "l2"}), None],
        "max_descriptors": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_clusters=64,
        intra_norm=True,
        power=0.5,
        norm="l2",
        max_descriptors=100_000,
        batch_size=1024,
        max_iter=100,
        random_state=None,
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.n_clusters = n_clusters
        self.intra_norm = intra_norm
        self.power = power
        self.norm = norm
        self.max_descriptors = max_descriptors
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _new_kmeans(self, rng):
        return MiniBatchKMeans(
            n_clusters=self.n_clusters,
            batch_size=self.batch_size,
            max_iter=self.max_iter,
            n_init="auto",
            random_state=rng.randint(np.iinfo(np.int32).max),
        )

    def _finish_fit(self):
        self.codebook_ = self.kmeans_.cluster_centers_
        self.n_features_out_ = self.n_clusters * self.n_descriptor_features_

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the centres from the training descriptors.

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
        sample, rng = self._fit_sample(X, self.n_clusters, "n_clusters")
        self.kmeans_ = self._new_kmeans(rng).fit(sample)
        self._partial_rng = rng
        self._finish_fit()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the centres with one batch of descriptor sets.

        For codebooks learned from more descriptors than fit in memory,
        streamed batch by batch. The first call (on an unfitted encoder)
        creates ``MiniBatchKMeans``, seeded from ``random_state`` as in
        ``fit``, and initialises its centres on this batch's descriptors
        (subsampled to ``max_descriptors``, so the first batch needs at
        least ``n_clusters`` of them); every call, the first included,
        takes one ``MiniBatchKMeans.partial_fit`` step on the batch's
        descriptors. A call after ``fit`` refines the fitted centres.

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
        self._partial_kmeans_step(X, self.n_clusters, "n_clusters")
        self._finish_fit()
        return self

    @output_follows_input
    def transform(self, X):
        """VLAD vector of each sample.

        Parameters
        ----------
        X : list of ndarray of shape (n_local, d), pandas Series or 3-D array
            Descriptor sets, one per sample.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters * d), float64
        """
        check_is_fitted(self)
        flat, offsets = self._check_sets(X, reset=False)
        labels = self._per_row(
            functools.partial(
                nearest_centre,
                centres=self.codebook_,
                device=self.device_,
                n_jobs=self.n_jobs,
            ),
            flat,
            offsets,
            assignment_block_rows(self.device_, self.n_clusters),
        )
        n_samples, d = offsets.shape[0] - 1, self.n_descriptor_features_
        sums = np.zeros((n_samples, self.n_clusters, d), dtype=np.float64)
        residual_sums(flat, offsets, labels, self.codebook_.astype(np.float64), sums)
        if self.intra_norm:
            block_norms = row_norms(sums.reshape(-1, d), "l2", np)
            block_norms[block_norms == 0] = 1.0
            sums /= block_norms.reshape(n_samples, self.n_clusters, 1)
        out = power_normalise(
            sums.reshape(n_samples, self.n_features_out_), self.power, self.norm
        )
        return self._checked_output(out, X)

    def _feature_prefix(self):
        return "vlad"
