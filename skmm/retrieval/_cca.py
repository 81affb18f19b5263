"""Regularised canonical correlation analysis for cross-modal retrieval."""

import numbers

import numpy as np
from scipy import linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skmm.retrieval._retrieve import retrieve


def _inverse_sqrt(C):
    """``W`` with ``W.T @ C @ W = I`` on the range of the symmetric ``C``.

    Directions whose eigenvalue is below ``eps * d * max`` are dropped (only
    possible with ``reg=0``), so ``W`` may have fewer columns than ``C``.
    """
    eigenvalues, eigenvectors = linalg.eigh(C, check_finite=False)
    tol = eigenvalues[-1] * C.shape[0] * np.finfo(np.float64).eps
    keep = eigenvalues > max(tol, 0.0)
    return eigenvectors[:, keep] / np.sqrt(eigenvalues[keep])


def _ridge(C, reg):
    """``C + reg * tr(C) / d * I`` (the scale falls back to 1 when tr(C) = 0)."""
    scale = np.trace(C) / C.shape[0]
    C = C.copy()
    C.flat[:: C.shape[0] + 1] += reg * (scale if scale > 0 else 1.0)
    return C


class _CommonSpaceMixin:
    """``retrieve`` for estimators with ``transform`` (X side) and
    ``transform_y`` (Y side) into one common space."""

    @property
    def _n_features_out(self):
        return self.n_components

    def _check_y(self, Y, n_features, accept_sparse=False):
        """The second modality as a 2-D float array of ``n_features`` columns."""
        Y = check_array(
            Y,
            accept_sparse=accept_sparse,
            dtype=np.float64,
            ensure_2d=False,
            input_name="Y",
        )
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.shape[1] != n_features:
            raise ValueError(
                f"Y has {Y.shape[1]} features, but {type(self).__name__} was "
                f"fitted with {n_features} Y features."
            )
        return Y

    def retrieve(
        self,
        queries,
        database,
        *,
        direction="x_to_y",
        k=None,
        metric="cosine",
        device="cpu",
    ):
        """Rank database items of one modality for queries of the other.

        Parameters
        ----------
        queries : array-like of shape (n_queries, d_x) or (n_queries, d_y)
            Queries in their own modality's features.
        database : array-like of shape (n_database, d_y) or (n_database, d_x)
            Items of the other modality.
        direction : {"x_to_y", "y_to_x"}, default="x_to_y"
            "x_to_y": the queries are X-modality, the database Y-modality;
            "y_to_x" the reverse.
        k : int or None, default=None
            Number of items kept per query; all when None.
        metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
            Similarity in the common space (see :func:`retrieve`); "cosine" is
            the normalised correlation of Rasiwasia et al.
        device : {"cpu", "cuda", "auto"}, default="cpu"
            Where the ranking runs, as in :func:`retrieve` (the projections
            always run on the CPU).

        Returns
        -------
        ranking : ndarray of shape (n_queries, k), int64
            Database indices, best first.
        scores : ndarray of shape (n_queries, k), float64
        """
        check_is_fitted(self)
        if direction not in ("x_to_y", "y_to_x"):
            raise ValueError(
                f"direction must be 'x_to_y' or 'y_to_x', got {direction!r}."
            )
        if direction == "x_to_y":
            Q, D = self.transform(queries), self.transform_y(database)
        else:
            Q, D = self.transform_y(queries), self.transform(database)
        return retrieve(Q, D, k=k, metric=metric, device=device)


class CrossModalCCA(
    _CommonSpaceMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Regularised canonical correlation analysis of two paired modalities.

    Fitted on paired samples ``(X[i], Y[i])`` of two modalities (say image
    and text features of the same document), it finds projections
    ``x_weights_`` and ``y_weights_`` into a common ``n_components``-d space
    where the paired projections are maximally correlated. Items of either
    modality can then be compared in that space: the "correlation matching"
    of Rasiwasia et al. (2010).

    The solution is in closed form (no iterations):

    1. centre both blocks (and divide each feature by its standard deviation
       if ``scale``);
    2. covariances ``C_xx``, ``C_yy``, ``C_xy`` (divided by ``n - 1``), and
       ridge terms added to the diagonal blocks,
       ``C_xx + reg * tr(C_xx) / d_x * I`` and likewise for ``C_yy``: the
       ridge is ``reg`` times the mean feature variance, so it does not
       depend on the units of the features;
    3. whitening ``W_x = C_xx^{-1/2}`` by symmetric eigendecomposition;
    4. SVD ``W_x^T C_xy W_y = U S V^T``; then ``x_weights_ = W_x U[:, :k]``,
       ``y_weights_ = W_y V[:, :k]`` and ``canonical_correlations_ = S[:k]``.

    With ``reg=0`` this is classical CCA and matches
    ``sklearn.cross_decomposition.CCA(scale=False)`` (up to the sign and
    scale of the weights), without its iterations. The ridge keeps the
    problem well posed when features outnumber samples, where unregularised
    CCA finds spurious correlations of 1.

    Parameters
    ----------
    n_components : int, default=10
        Dimension ``k`` of the common space; at most ``min(d_x, d_y)``.
    reg : float, default=1e-3
        Relative ridge added to both covariance matrices (see above).
    scale : bool, default=False
        Standardise each feature before the analysis. Off by default, unlike
        scikit-learn's ``CCA``: the ridge already makes the result invariant
        to the overall scale of each modality.

    Attributes
    ----------
    x_weights_ : ndarray of shape (d_x, n_components)
        Projection of the (centred, scaled) X block.
    y_weights_ : ndarray of shape (d_y, n_components)
        Projection of the (centred, scaled) Y block.
    x_mean_ : ndarray of shape (d_x,)
    y_mean_ : ndarray of shape (d_y,)
    x_std_ : ndarray of shape (d_x,)
        Ones unless ``scale``.
    y_std_ : ndarray of shape (d_y,)
        Ones unless ``scale``.
    canonical_correlations_ : ndarray of shape (n_components,)
        Regularised canonical correlations, non-increasing; with a small
        ``reg`` they are the correlations of the paired training scores.
        Components beyond the rank of the data get 0 and zero weights.
    n_features_in_ : int
        Width ``d_x`` of X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns of X, when X is a DataFrame with string names.

    See Also
    --------
    sklearn.cross_decomposition.CCA : Iterative (NIPALS) CCA.
    skmm.retrieval.retrieve : Rank a database for each query.

    Notes
    -----
    Projected scores of the training data have unit variance (exactly so
    with ``reg=0``). Signs are fixed so that the largest absolute entry of
    each column of ``x_weights_`` is positive. Cost: ``O(n (d_x^2 + d_y^2)
    + d_x^3 + d_y^3)``.

    ``fit_transform(X, Y)`` returns the projection of X only (the
    ``TransformerMixin`` contract), whereas ``transform(X, Y)`` returns both
    projections, as scikit-learn's ``CCA.transform`` does.

    References
    ----------
    .. [1] N. Rasiwasia, J. Costa Pereira, E. Coviello, G. Doyle, G. R. G.
       Lanckriet, R. Levy and N. Vasconcelos, "A new approach to cross-modal
       multimedia retrieval", ACM Multimedia 2010.
    .. [2] H. D. Vinod, "Canonical ridge and econometrics of joint production",
       Journal of Econometrics 4(2), 1976.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.retrieval import CrossModalCCA
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.normal(size=(200, 2))
    >>> X = latent @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(200, 6))
    >>> Y = latent @ rng.normal(size=(2, 4)) + 0.1 * rng.normal(size=(200, 4))
    >>> cca = CrossModalCCA(n_components=2).fit(X, Y)
    >>> cca.canonical_correlations_.round(2)
    array([1.  , 0.98])
    >>> X_c, Y_c = cca.transform(X, Y)
    >>> X_c.shape, Y_c.shape
    ((200, 2), (200, 2))
    >>> ranking, scores = cca.retrieve(X[:3], Y, k=5)
    >>> ranking.shape
    (3, 5)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "scale": ["boolean"],
    }

    def __init__(self, n_components=10, *, reg=1e-3, scale=False):
        self.n_components = n_components
        self.reg = reg
        self.scale = scale

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the projections on paired samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, d_x)
            First modality.
        y : array-like of shape (n_samples, d_y) or (n_samples,)
            Second modality, row ``i`` paired with ``X[i]``.

        Returns
        -------
        self : object
        """
        X, Y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=2,
        )
        if Y.ndim == 1:
            Y = Y[:, None]
        d_x, d_y = X.shape[1], Y.shape[1]
        if self.n_components > min(d_x, d_y):
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"min(d_x, d_y) = min({d_x}, {d_y}) = {min(d_x, d_y)}."
            )
        self.x_mean_, self.y_mean_ = X.mean(axis=0), Y.mean(axis=0)
        X, Y = X - self.x_mean_, Y - self.y_mean_
        self.x_std_, self.y_std_ = self._stds(X), self._stds(Y)
        X /= self.x_std_
        Y /= self.y_std_

        n = X.shape[0]
        C_xx = _ridge(X.T @ X / (n - 1), self.reg)
        C_yy = _ridge(Y.T @ Y / (n - 1), self.reg)
        C_xy = X.T @ Y / (n - 1)
        W_x, W_y = _inverse_sqrt(C_xx), _inverse_sqrt(C_yy)
        U, S, Vt = linalg.svd(
            W_x.T @ C_xy @ W_y, full_matrices=False, check_finite=False
        )
        x_weights, y_weights = W_x @ U, W_y @ Vt.T
        # Signs follow the X weights (deterministic output), Y follows X so
        # that paired scores stay positively correlated.
        largest = np.argmax(np.abs(x_weights), axis=0)
        signs = np.sign(x_weights[largest, np.arange(x_weights.shape[1])])
        signs[signs == 0] = 1.0
        x_weights *= signs
        y_weights *= signs

        k = self.n_components
        self.x_weights_ = np.zeros((d_x, k))
        self.y_weights_ = np.zeros((d_y, k))
        self.canonical_correlations_ = np.zeros(k)
        found = min(k, S.size)
        self.x_weights_[:, :found] = x_weights[:, :found]
        self.y_weights_[:, :found] = y_weights[:, :found]
        self.canonical_correlations_[:found] = np.clip(S[:found], 0.0, 1.0)
        return self

    def _stds(self, Z):
        if not self.scale:
            return np.ones(Z.shape[1])
        std = Z.std(axis=0, ddof=1)
        std[std == 0] = 1.0
        return std

    def transform(self, X, Y=None):
        """Project X, and Y when given, into the common space.

        Parameters
        ----------
        X : array-like of shape (n_samples, d_x)
        Y : array-like of shape (n_samples_y, d_y) or (n_samples_y,), default=None

        Returns
        -------
        X_c : ndarray of shape (n_samples, n_components)
            When Y is None.
        (X_c, Y_c) : tuple of ndarray
            When Y is given.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        X_c = ((X - self.x_mean_) / self.x_std_) @ self.x_weights_
        if Y is None:
            return X_c
        return X_c, self.transform_y(Y)

    def transform_y(self, Y):
        """Project the second modality alone into the common space.

        Parameters
        ----------
        Y : array-like of shape (n_samples, d_y) or (n_samples,)

        Returns
        -------
        Y_c : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        Y = self._check_y(Y, self.y_weights_.shape[0])
        return ((Y - self.y_mean_) / self.y_std_) @ self.y_weights_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        return tags
