"""Fisher vectors of descriptor sets under a diagonal Gaussian mixture."""

import numbers

import numpy as np
from sklearn import config_context
from sklearn.base import _fit_context
from sklearn.mixture import GaussianMixture
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.encode._base import (
    _DescriptorSetEncoder,
    power_normalise,
    training_sample,
)
from skmm.utils._device import is_cupy_array, to_numpy

# Rows per block of the (rows, n_components) posterior computation.
_BLOCK_ELEMENTS = 1 << 22


def _posteriors_cpu(X, means, variances, weights, step=None):
    """Component posteriors of every row of ``X``, float64 ``(n, k)``, in
    blocks of ``step`` rows (a memory bound of the kernel by default)."""
    precisions = 1.0 / variances
    constant = (
        np.log(weights)
        - 0.5 * np.sum(np.log(2 * np.pi * variances), axis=1)
        - 0.5 * np.sum(means**2 * precisions, axis=1)
    )
    scaled_means = means * precisions
    out = np.empty((X.shape[0], means.shape[0]), dtype=np.float64)
    if step is None:
        step = max(1, _BLOCK_ELEMENTS // means.shape[0])
    for start in range(0, X.shape[0], step):
        block = X[start : start + step]
        log_prob = out[start : start + step]
        np.matmul(block, scaled_means.T, out=log_prob)
        log_prob -= 0.5 * ((block * block) @ precisions.T)
        log_prob += constant
        log_prob -= log_prob.max(axis=1, keepdims=True)
        np.exp(log_prob, out=log_prob)
        log_prob /= log_prob.sum(axis=1, keepdims=True)
    return out


def _fisher_gradients(flat, offsets, weights, means, variances, block_rows):
    """Fisher gradients of the sets ``offsets`` delimits in ``flat``, with
    posteriors in blocks of ``block_rows`` (rows beyond the last set are only
    there to align those blocks). Overflow (descriptors far larger than
    the mixture's scale) is not warned about here: ``transform`` names the
    sample it made non-finite."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _fisher_gradients_unchecked(
            flat, offsets, weights, means, variances, block_rows
        )


def _fisher_gradients_unchecked(flat, offsets, weights, means, variances, block_rows):
    posteriors = _posteriors_cpu(flat, means, variances, weights, block_rows)
    n_sets = offsets.shape[0] - 1
    k, d = means.shape
    grad_w = np.zeros((n_sets, k))
    grad_mu = np.zeros((n_sets, k, d))
    grad_sigma = np.zeros((n_sets, k, d))
    sigmas = np.sqrt(variances)
    sqrt_w = np.sqrt(weights)
    for i in range(n_sets):
        start, stop = offsets[i], offsets[i + 1]
        if stop == start:
            continue
        n = stop - start
        gamma = posteriors[start:stop]
        x = flat[start:stop]
        s0 = gamma.sum(axis=0)
        s1 = gamma.T @ x
        s2 = gamma.T @ (x * x)
        grad_w[i] = (s0 / n - weights) / sqrt_w
        grad_mu[i] = (s1 - s0[:, None] * means) / (n * sqrt_w[:, None] * sigmas)
        # sum gamma ((x - mu)^2 - sigma^2), expanded over the moments.
        centred_sq = s2 - 2 * means * s1 + (means**2 - variances) * s0[:, None]
        grad_sigma[i] = centred_sq / (n * np.sqrt(2) * sqrt_w[:, None] * variances)
    return grad_w, grad_mu, grad_sigma


class FisherVector(_DescriptorSetEncoder):
    """Fisher vector encoding of descriptor sets (Perronnin et al.).

    ``fit`` learns a Gaussian mixture with diagonal covariances
    (``sklearn.mixture.GaussianMixture``) on (a random subsample of) the
    training descriptors. ``transform`` describes each sample's ``N`` local
    descriptors by the normalised gradient of their average log-likelihood
    with respect to the mixture's parameters. With posteriors
    ``gamma_t(k)``, weights ``w_k``, means ``mu_k`` and standard deviations
    ``sigma_k``:

    - means: ``1 / (N sqrt(w_k)) sum_t gamma_t(k) (x_t - mu_k) / sigma_k``
    - variances: ``1 / (N sqrt(2 w_k)) sum_t gamma_t(k)
      ((x_t - mu_k)^2 / sigma_k^2 - 1)``
    - weights (if ``include_weights``): ``1 / (N sqrt(w_k))
      sum_t (gamma_t(k) - w_k)``

    which is the analytic diagonal Fisher-information normalisation of
    Perronnin et al. (2010). The improved Fisher vector then applies the
    signed power ``sign(z) |z|^power`` and L2 normalisation.

    Parameters
    ----------
    n_components : int, default=16
        Number of mixture components.
    improved : bool, default=True
        Apply the power and global normalisation (``power``, ``norm``).
        False returns the plain normalised gradients and ignores ``power``
        and ``norm``.
    power : float, default=0.5
        Exponent of the signed power normalisation (``alpha`` in
        ``skimage.feature.fisher_vector``); 1 disables it.
    norm : {"l2", "l1"} or None, default="l2"
        Normalisation of the whole vector, applied last.
    include_weights : bool, default=False
        Prepend the ``n_components`` gradients with respect to the mixture
        weights, as ``skimage.feature.fisher_vector`` does. Perronnin et al.
        leave them out since they carry little information.
    max_descriptors : int or None, default=100_000
        At most this many training descriptors, drawn at random without
        replacement, fit the mixture; None uses all.
    reg_covar : float, default=1e-6
        Added to the variances, as in ``GaussianMixture``.
    max_iter : int, default=100
        EM iterations of ``GaussianMixture``.
    n_init : int, default=1
        EM restarts of ``GaussianMixture``.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample and of ``GaussianMixture``.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where ``transform`` computes (posteriors, moments and normalisation
        alike). "cuda" needs CuPy and a GPU; "auto" uses one when present.
        The output's array library follows the input's: CuPy descriptor
        sets (as ``MFCC(device="cuda", pooling=None)`` returns for CuPy
        waveforms) give a CuPy array, computed without leaving the GPU;
        NumPy sets give NumPy, copied to the GPU once and back once. The
        mixture is always fitted on the CPU (``fit`` copies CuPy sets to the
        host).
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` counting the samples encoded; the posteriors are then
        computed in chunks of rows that start on the kernels' block
        boundaries, which gives the same output. ``fit`` shows none: its
        cost is EM on the training descriptors, not a loop over samples,
        and ``GaussianMixture``'s own ``verbose`` prints text lines, so it
        is not passed on.

    Attributes
    ----------
    gmm_ : GaussianMixture
        The fitted mixture (``covariance_type="diag"``).
    device_ : {"cpu", "cuda"}
        The resolved device.
    n_descriptor_features_ : int
        Width ``d`` of the local descriptors.
    n_features_out_ : int
        ``2 * n_components * d`` (plus ``n_components`` with
        ``include_weights``). Order: weight gradients if any, then the mean
        gradients component by component, then the variance gradients.

    See Also
    --------
    VLAD : Hard-assignment residuals, first order only.
    BagOfWords : Counts per codeword.

    Notes
    -----
    Computed and returned in float64. A sample with no descriptors becomes
    the zero vector.

    ``skimage.feature.fisher_vector`` computes the same vector with the
    variance gradients negated (it uses ``1 - (x - mu)^2 / sigma^2``) and
    always includes the weight gradients. With ``include_weights=True``,
    ``power=alpha`` and ``norm="l2"``, this class gives scikit-image's
    vector up to the sign of the variance block, for ``improved`` either
    way.

    References
    ----------
    .. [1] F. Perronnin, J. Sánchez and T. Mensink, "Improving the Fisher
       kernel for large-scale image classification", ECCV 2010.
    .. [2] F. Perronnin and C. Dance, "Fisher kernels on visual vocabularies
       for image categorization", CVPR 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import FisherVector
    >>> rng = np.random.default_rng(0)
    >>> sets = [rng.normal(size=(int(rng.integers(5, 20)), 4)) for _ in range(30)]
    >>> fv = FisherVector(n_components=3, random_state=0).fit(sets)
    >>> fv.transform(sets).shape
    (30, 24)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "improved": ["boolean"],
        "power": [Interval(numbers.Real, 0, None, closed="neither")],
        "norm": [StrOptions({"l1", "l2"}), None],
        "include_weights": ["boolean"],
        "max_descriptors": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reg_covar": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_components=16,
        improved=True,
        power=0.5,
        norm="l2",
        include_weights=False,
        max_descriptors=100_000,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        random_state=None,
        device="cpu",
        verbose=False,
    ):
        self.n_components = n_components
        self.improved = improved
        self.power = power
        self.norm = norm
        self.include_weights = include_weights
        self.max_descriptors = max_descriptors
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the Gaussian mixture to the training descriptors.

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
        sample, rng = self._fit_sample(X, self.n_components, "n_components")
        self._fit_mixture(sample, rng)
        for name in ("_partial_rng", "_partial_stats", "n_partial_steps_"):
            self.__dict__.pop(name, None)
        return self

    def _fit_mixture(self, sample, rng):
        # The mixture is learnt on the host sample with its k-means
        # initialisation, which array API dispatch (on for a GPU pipeline
        # downstream) would refuse.
        with config_context(array_api_dispatch=False):
            self.gmm_ = GaussianMixture(
                n_components=self.n_components,
                covariance_type="diag",
                reg_covar=self.reg_covar,
                max_iter=self.max_iter,
                n_init=self.n_init,
                random_state=rng.randint(np.iinfo(np.int32).max),
            ).fit(sample.astype(np.float64, copy=False))
        self.n_features_out_ = 2 * self.n_components * self.n_descriptor_features_ + (
            self.n_components if self.include_weights else 0
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the mixture with one batch of descriptor sets (online EM).

        For mixtures learned from more descriptors than fit in memory,
        streamed batch by batch. The first call on an unfitted encoder fits
        the mixture on this batch's descriptors exactly as :meth:`fit` does
        (subsampled to ``max_descriptors``, so it needs at least
        ``n_components`` of them). Every later call, and every call after
        ``fit``, takes one step of stepwise EM (Cappé and Moulines, 2009):
        the batch's posterior-weighted moments under the current mixture,
        ``s = (mean(g), mean(g x), mean(g x**2))`` per component, are
        blended into running statistics ``S <- (1 - eta) S + eta s`` with
        ``eta = (t + 2) ** -0.6`` at step ``t = 0, 1, ...`` (``S`` starts from
        the mixture of the first fit), and the mixture is re-estimated from
        ``S``: weights ``S0 / sum(S0)``, means ``S1 / S0`` and variances
        ``S2 / S0 - means**2 + reg_covar``. ``n_partial_steps_`` counts the
        steps taken.

        Parameters
        ----------
        X : list of ndarray of shape (n_local, d), pandas Series or 3-D array
            Descriptor sets, one per sample.
        y : None
            Ignored.

        Returns
        -------
        self : object

        References
        ----------
        .. [1] O. Cappé and E. Moulines, "On-line expectation-maximization
           algorithm for latent data models", Journal of the Royal
           Statistical Society B 71(3), 2009.
        """
        from sklearn.utils import check_random_state

        if not hasattr(self, "gmm_"):
            sample, rng = self._fit_sample(X, self.n_components, "n_components")
            self._fit_mixture(sample, rng)
            self._partial_rng = rng
            self.n_partial_steps_ = 0
            return self
        flat, _ = self._check_sets(X, reset=False)
        if not hasattr(self, "_partial_rng"):
            self._partial_rng = check_random_state(self.random_state)
            self.n_partial_steps_ = 0
        sample = training_sample(flat, self.max_descriptors, self._partial_rng)
        if sample.shape[0] == 0:
            return self
        x = sample.astype(np.float64, copy=False)
        gmm = self.gmm_
        if not hasattr(self, "_partial_stats"):
            w, mu = gmm.weights_, gmm.means_
            self._partial_stats = (
                w.copy(),
                w[:, None] * mu,
                w[:, None] * (gmm.covariances_ - self.reg_covar + mu**2),
            )
        gamma = _posteriors_cpu(x, gmm.means_, gmm.covariances_, gmm.weights_)
        n = x.shape[0]
        batch = (gamma.sum(axis=0) / n, gamma.T @ x / n, gamma.T @ (x * x) / n)
        eta = (self.n_partial_steps_ + 2.0) ** -0.6
        s0, s1, s2 = (
            (1.0 - eta) * old + eta * new
            for old, new in zip(self._partial_stats, batch, strict=True)
        )
        self._partial_stats = (s0, s1, s2)
        # A component no descriptor has reached keeps a tiny, finite weight.
        mass = np.maximum(s0, 10 * np.finfo(np.float64).eps)
        means = s1 / mass[:, None]
        variances = np.maximum(s2 / mass[:, None] - means**2, 0.0) + self.reg_covar
        gmm.weights_ = mass / mass.sum()
        gmm.means_ = means
        gmm.covariances_ = variances
        gmm.precisions_ = 1.0 / variances
        gmm.precisions_cholesky_ = 1.0 / np.sqrt(variances)
        self.n_partial_steps_ += 1
        return self

    def transform(self, X):
        """Fisher vector of each sample.

        Parameters
        ----------
        X : list of ndarray of shape (n_local, d), pandas Series or 3-D array
            Descriptor sets, one per sample.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out_), float64
        """
        check_is_fitted(self)
        flat, offsets = self._check_sets(X, reset=False, on_host=False)
        on_gpu = is_cupy_array(flat)
        weights = self.gmm_.weights_
        means = self.gmm_.means_
        variances = self.gmm_.covariances_
        if self.device_ == "cuda":
            import cupy

            from skmm.encode import _assign_xp

            with self._progress(offsets.shape[0] - 1) as bar:
                out = _assign_xp.fisher_vectors(
                    flat,
                    offsets,
                    weights,
                    means,
                    variances,
                    self.include_weights,
                    xp=cupy,
                )
                if self.improved:
                    out = _assign_xp.power_normalise(out, self.power, self.norm, cupy)
                bar.update(offsets.shape[0] - 1)
            self._checked_output(out, X)
            return out if on_gpu else to_numpy(out)
        flat = to_numpy(flat).astype(np.float64, copy=False)
        out = self._checked_output(
            self._transform_cpu(flat, offsets, weights, means, variances), X
        )
        if on_gpu:
            import cupy

            return cupy.asarray(out)
        return out

    def _transform_cpu(self, flat, offsets, weights, means, variances):
        from skmm.utils._parallel import parallel_map

        block_rows = max(1, _BLOCK_ELEMENTS // self.n_components)
        n_samples = offsets.shape[0] - 1
        k, d = means.shape
        grad_w = np.zeros((n_samples, k))
        grad_mu = np.zeros((n_samples, k, d))
        grad_sigma = np.zeros((n_samples, k, d))
        n_workers = self._distributed_workers()
        chunks = [
            chunk
            for chunk in self._task_chunks(offsets, block_rows, n_workers)
            if chunk[3] > chunk[2]
        ]
        tasks = []
        for _, end, first, last in chunks:
            # The posteriors of sets first:last, from the start of the block
            # holding their first row to the chunk's end (a block boundary or
            # the last row): the kernel's blocks fall where they fall in one
            # whole call, so chunked and whole calls give the same numbers.
            begin = int(offsets[first]) // block_rows * block_rows
            tasks.append(
                (
                    flat[begin:end],
                    offsets[first : last + 1] - begin,
                    weights,
                    means,
                    variances,
                    block_rows,
                )
            )
        if n_workers:
            results = parallel_map(_fisher_gradients, tasks)
        else:
            results = (_fisher_gradients(*task) for task in tasks)
        with self._progress(n_samples) as bar:
            for (_, _, first, last), (w, mu, sigma) in zip(
                chunks, results, strict=True
            ):
                grad_w[first:last], grad_mu[first:last] = w, mu
                grad_sigma[first:last] = sigma
                bar.update(last - first)
        blocks = [grad_mu.reshape(n_samples, -1), grad_sigma.reshape(n_samples, -1)]
        if self.include_weights:
            blocks.insert(0, grad_w)
        out = np.concatenate(blocks, axis=1)
        if self.improved:
            power_normalise(out, self.power, self.norm)
        return out

    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``fishervector_w{k}`` (with
        ``include_weights``), ``fishervector_mu{k}_{j}`` and
        ``fishervector_sigma{k}_{j}`` for component ``k`` and dimension ``j``.

        Parameters
        ----------
        input_features : None
            Ignored; descriptor sets have no input feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        k, d = self.n_components, self.n_descriptor_features_
        names = [f"fishervector_w{c}" for c in range(k)] if self.include_weights else []
        for part in ("mu", "sigma"):
            names += [f"fishervector_{part}{c}_{j}" for c in range(k) for j in range(d)]
        return np.asarray(names, dtype=object)
