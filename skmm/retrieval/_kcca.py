"""Kernel canonical correlation analysis through Nystroem feature maps."""

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import chi2_kernel
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skmm.retrieval._cca import CrossModalCCA, _CommonSpaceMixin

# Positive semi-definite kernels that Nystroem accepts ("additive_chi2" is
# only conditionally positive definite: its Nystroem map is meaningless).
_KERNELS = (
    "rbf",
    "laplacian",
    "chi2",
    "poly",
    "polynomial",
    "sigmoid",
    "linear",
    "cosine",
)
_GAMMA_KERNELS = ("rbf", "laplacian", "chi2", "poly", "polynomial", "sigmoid")


def _mean_square(Z):
    return Z.multiply(Z).mean() if sparse.issparse(Z) else np.mean(Z * Z)


def _writeable(Z):
    return Z if Z.flags.writeable else Z.copy()


def _scaled_gamma(kernel, Z):
    """Data-scaled ``gamma``: the inverse of the typical "distance" the kernel
    sees, so that the kernel values spread over (0, 1) whatever the units.

    rbf, poly, sigmoid: ``1 / (n_features * Z.var())``, as ``SVC(gamma="scale")``
    (the mean squared distance to the mean, over all entries); laplacian: the
    inverse mean L1 distance of the rows to their mean; chi2: the inverse mean
    chi-squared distance of the rows to their mean. 1.0 when that spread is 0.
    """
    if kernel == "laplacian":
        centre = np.asarray(Z.mean(axis=0)).ravel()
        Z = Z.toarray() if sparse.issparse(Z) else Z
        spread = np.mean(np.abs(Z - centre).sum(axis=1))
    elif kernel == "chi2":
        centre = Z.mean(axis=0)
        total = Z + centre
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(total > 0, (Z - centre) ** 2 / total, 0.0)
        spread = np.mean(terms.sum(axis=1))
    else:
        mean = Z.mean()
        spread = Z.shape[1] * (_mean_square(Z) - mean * mean)
    return 1.0 / spread if spread > 0 else 1.0


class KernelCCA(
    _CommonSpaceMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Kernel canonical correlation analysis of two paired modalities.

    Each modality goes through its own Nystroem approximation of a kernel
    feature map, then a :class:`CrossModalCCA` finds the maximally
    correlated projections of the two mapped blocks. It catches non-linear
    relations between the modalities that linear CCA misses, at the cost of
    ``O(n m^2 + m^3)`` for ``m = n_kernel_components`` landmarks instead of
    the ``O(n^3)`` of exact kernel CCA.

    The kernel is specified as for :class:`sklearn.kernel_approximation.Nystroem`
    and applies to both modalities; ``gamma`` may differ between them.

    Parameters
    ----------
    n_components : int, default=10
        Dimension ``k`` of the common space; at most
        ``min(n_kernel_components, n_samples)``.
    reg : float, default=1e-3
        Ridge added to the covariance of each mapped modality: ``reg`` times
        its total variance (the trace of the covariance) on the diagonal. It
        does not depend on ``n_kernel_components``, and it is what keeps
        kernel CCA from finding spurious correlations of 1: with an
        expressive kernel (rbf with a large ``gamma``) an unregularised
        kernel CCA correlates any two modalities perfectly.
    kernel : {"rbf", "laplacian", "chi2", "poly", "polynomial", "sigmoid", \
"linear", "cosine"} or callable, default="rbf"
        Kernel of both modalities (see ``sklearn.metrics.pairwise.KERNEL_PARAMS``).
        "chi2" suits non-negative histograms (bags of words); a callable
        takes two rows and returns a float, with ``kernel_params``.
    gamma : float, (float or None, float or None) tuple or None, default=None
        Kernel coefficient of "rbf", "laplacian", "chi2", "poly" and "sigmoid";
        a pair gives one value per modality ``(gamma_x, gamma_y)``. None
        scales it to each modality's data at ``fit``:
        ``1 / (n_features * Z.var())`` for rbf, poly and sigmoid (the
        ``gamma="scale"`` of :class:`sklearn.svm.SVC`), the inverse of the mean
        L1 distance of the rows to their mean for laplacian, and the inverse
        of the mean chi-squared distance to the mean row for chi2. The value
        used is ``x_map_.gamma`` (``y_map_.gamma``). Ignored by the other
        kernels.
    degree : float, default=None
        Degree of the polynomial kernel; None is the kernel's own default (3).
    coef0 : float, default=None
        Independent term of the polynomial and sigmoid kernels; None is the
        kernel's own default (1).
    kernel_params : dict, default=None
        Further keyword arguments of a callable kernel.
    n_kernel_components : int, default=500
        Number ``m`` of training samples (landmarks) that the kernel maps are
        built from; capped at ``n_samples``, where the maps are exact.
    random_state : int, RandomState instance or None, default=None
        Draws the landmarks. Both modalities use the same landmark rows, so
        that they are paired as the training samples are.

    Attributes
    ----------
    x_map_ : :class:`~sklearn.kernel_approximation.Nystroem`
        Fitted kernel map of X.
    y_map_ : :class:`~sklearn.kernel_approximation.Nystroem`
        Fitted kernel map of Y.
    cca_ : CrossModalCCA
        CCA fitted on the mapped training data.
    canonical_correlations_ : ndarray of shape (n_components,)
        Regularised canonical correlations of the mapped data,
        non-increasing. They are training-set values: with an expressive
        kernel and a small ``reg`` they overstate the held-out correlations.
    n_features_in_ : int
        Width ``d_x`` of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns of X, when X is a DataFrame with string names.

    See Also
    --------
    CrossModalCCA : Linear CCA, which this reduces to with a linear kernel.
    sklearn.kernel_approximation.Nystroem : The kernel feature map.
    skmm.retrieval.retrieve : Rank a database for each query.

    Notes
    -----
    With the linear kernel and ``n_kernel_components >= n_samples`` the map
    of X is an isometry of its rows onto an ``m``-d space, and the result is
    that of ``CrossModalCCA(reg=reg * d)`` when both modalities have ``d``
    features (the ridge of :class:`CrossModalCCA` is relative to the mean
    variance of the features, this one to their total); with ``reg`` near 0
    both are classical CCA.

    X and Y may be sparse (CSR) unless the kernel is "chi2". As for
    :class:`CrossModalCCA`, ``fit_transform(X, Y)`` returns the projection of
    X only, whereas ``transform(X, Y)`` returns both projections.

    References
    ----------
    .. [1] D. R. Hardoon, S. Szedmak and J. Shawe-Taylor, "Canonical
       correlation analysis: an overview with application to learning
       methods", Neural Computation 16(12), 2004.
    .. [2] C. K. I. Williams and M. Seeger, "Using the Nystroem method to
       speed up kernel machines", NIPS 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.retrieval._kcca import KernelCCA
    >>> rng = np.random.default_rng(0)
    >>> angle = rng.uniform(0, 2 * np.pi, size=300)
    >>> X = np.c_[np.cos(angle), np.sin(angle)] + 0.05 * rng.normal(size=(300, 2))
    >>> Y = np.c_[np.cos(2 * angle), np.sin(2 * angle)]
    >>> kcca = KernelCCA(n_components=2, n_kernel_components=100, random_state=0)
    >>> kcca.fit(X, Y).canonical_correlations_.round(2)
    array([0.99, 0.99])
    >>> X_c, Y_c = kcca.transform(X, Y)
    >>> X_c.shape, Y_c.shape
    ((300, 2), (300, 2))
    >>> ranking, scores = kcca.retrieve(X[:3], Y, k=5)
    >>> ranking.shape
    (3, 5)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "kernel": [StrOptions(set(_KERNELS)), callable],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither"), tuple, None],
        "degree": [Interval(numbers.Real, 1, None, closed="left"), None],
        "coef0": [Interval(numbers.Real, None, None, closed="neither"), None],
        "kernel_params": [dict, None],
        "n_kernel_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=10,
        *,
        reg=1e-3,
        kernel="rbf",
        gamma=None,
        degree=None,
        coef0=None,
        kernel_params=None,
        n_kernel_components=500,
        random_state=None,
    ):
        self.n_components = n_components
        self.reg = reg
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.n_kernel_components = n_kernel_components
        self.random_state = random_state

    def _gammas(self):
        if not isinstance(self.gamma, tuple):
            return self.gamma, self.gamma
        if len(self.gamma) != 2 or not all(
            g is None or (isinstance(g, numbers.Real) and g > 0) for g in self.gamma
        ):
            raise ValueError(
                "gamma as a tuple must be a pair (gamma_x, gamma_y) of positive "
                f"floats or None, got {self.gamma!r}."
            )
        return self.gamma

    def _accept_sparse(self):
        return False if self.kernel == "chi2" else "csr"

    def _map(self, kernel_map, Z):
        if self.kernel != "chi2":
            return kernel_map.transform(Z)
        # Nystroem.transform, with writeable copies: scikit-learn's chi2 kernel
        # (Cython) refuses read-only buffers, such as joblib's memory maps of a
        # fitted estimator or of its input.
        kernel = chi2_kernel(
            _writeable(Z), _writeable(kernel_map.components_), gamma=kernel_map.gamma
        )
        return kernel @ kernel_map.normalization_.T

    def _kernel_map(self, Z, name, gamma, n_landmarks, seed):
        if self.kernel == "chi2" and Z.min() < 0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__} as "
                f"{name}: the chi2 kernel takes non-negative features "
                "(histograms)."
            )
        if self.kernel == "chi2":
            Z = _writeable(Z)
        if gamma is None and self.kernel in _GAMMA_KERNELS:
            gamma = _scaled_gamma(self.kernel, Z)
        kernel_map = Nystroem(
            kernel=self.kernel,
            gamma=gamma if self.kernel in _GAMMA_KERNELS else None,
            coef0=self.coef0,
            degree=self.degree,
            kernel_params=self.kernel_params,
            n_components=n_landmarks,
            random_state=seed,
        )
        return kernel_map, kernel_map.fit_transform(Z)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the kernel maps and the projections on paired samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, d_x)
            First modality.
        y : {array-like, sparse matrix} of shape (n_samples, d_y) or (n_samples,)
            Second modality, row ``i`` paired with ``X[i]``.

        Returns
        -------
        self : object
        """
        X, Y = validate_data(
            self,
            X,
            y,
            accept_sparse=self._accept_sparse(),
            dtype=np.float64,
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=2,
        )
        if Y.ndim == 1:
            Y = Y[:, None]
        gamma_x, gamma_y = self._gammas()
        n_landmarks = min(self.n_kernel_components, X.shape[0])
        if self.n_components > n_landmarks:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"min(n_kernel_components, n_samples) = "
                f"min({self.n_kernel_components}, {X.shape[0]}) = {n_landmarks}."
            )
        # One seed for both maps: the same permutation, hence paired landmarks.
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self.x_map_, X_mapped = self._kernel_map(X, "X", gamma_x, n_landmarks, seed)
        self.y_map_, Y_mapped = self._kernel_map(Y, "Y", gamma_y, n_landmarks, seed)
        # CrossModalCCA's ridge is reg times the mean variance of the m mapped
        # features: times m, it is reg times their total variance.
        self.cca_ = CrossModalCCA(
            n_components=self.n_components, reg=self.reg * n_landmarks
        ).fit(X_mapped, Y_mapped)
        self.canonical_correlations_ = self.cca_.canonical_correlations_
        return self

    def transform(self, X, Y=None):
        """Project X, and Y when given, into the common space.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, d_x)
        Y : {array-like, sparse matrix} of shape (n_samples_y, d_y) or \
(n_samples_y,), default=None

        Returns
        -------
        X_c : ndarray of shape (n_samples, n_components)
            When Y is None.
        (X_c, Y_c) : tuple of ndarray
            When Y is given.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=self._accept_sparse(), dtype=np.float64, reset=False
        )
        X_c = self.cca_.transform(self._map(self.x_map_, X))
        if Y is None:
            return X_c
        return X_c, self.transform_y(Y)

    def transform_y(self, Y):
        """Project the second modality alone into the common space.

        Parameters
        ----------
        Y : {array-like, sparse matrix} of shape (n_samples, d_y) or (n_samples,)

        Returns
        -------
        Y_c : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        Y = self._check_y(
            Y, self.y_map_.n_features_in_, accept_sparse=self._accept_sparse()
        )
        return self.cca_.transform_y(self._map(self.y_map_, Y))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.kernel != "chi2"
        tags.input_tags.positive_only = self.kernel == "chi2"
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        return tags
