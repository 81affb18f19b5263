"""Generalized CCA (MAXVAR) of any number of modalities, with missing cells."""

import numbers

import numpy as np
from scipy import linalg
from sklearn.base import _fit_context, clone
from sklearn.kernel_approximation import Nystroem
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skmm.retrieval._cca import _inverse_sqrt, _ridge
from skmm.retrieval._kcca import _GAMMA_KERNELS, _scaled_gamma, _writeable
from skmm.retrieval._matching import _BaseMatching, _dense, _present_rows
from skmm.retrieval._retrieve import retrieve

# Kernels of the optional Nystroem maps (those of KernelCCA).
_KERNELS = ("rbf", "laplacian", "chi2", "poly", "polynomial", "sigmoid", "cosine")


def _fit_maxvar(blocks, present, n_components, reg, view_weights=None):
    """MAXVAR generalized CCA of views with missing rows, in closed form.

    Minimises ``sum_j w_j ||K_j (G - X_j W_j)||^2`` over the shared scores
    ``G`` (n x k) and the projections ``W_j``, subject to ``G' K G = (n - 1)
    I``, where ``K_j`` is the diagonal 0/1 mask of the rows holding view
    ``j`` and ``K = sum_j w_j K_j / sum_j w_j`` (van de Velden and Bijmolt,
    2006; the identity without missing rows, so that ``G`` has unit
    variance). With
    ``P_j = X_j (X_j' X_j + r_j I)^-1 X_j'`` the ridge hat matrix of view
    ``j`` on its present rows, ``K^{1/2} G`` spans the top eigenvectors of
    ``K^{-1/2} (sum_j w_j P_j) K^{-1/2}`` (each ``P_j`` padded with zeros
    for the missing rows), which are the top left singular vectors of the
    stacked whitened views ``B = [sqrt(w_j) K^{-1/2} X_j C_j^{-1/2}]``: one
    eigendecomposition of ``B'B`` or ``BB'``, whichever is smaller.

    Parameters
    ----------
    blocks : list of ndarray of shape (n_present_j, d_j)
        Each view on the rows that hold it.
    present : ndarray of bool of shape (n_views, n_samples)
    n_components : int
    reg : float
        Relative ridge, as in :class:`CrossModalCCA`.
    view_weights : sequence of float or None

    Returns
    -------
    means : list of ndarray of shape (d_j,)
    weights : list of ndarray of shape (d_j, n_components)
    eigenvalues : ndarray of shape (n_components,)
    """
    n_views, n_samples = present.shape
    view_weights = np.ones(n_views) if view_weights is None else view_weights
    # A sample's weight over that of a complete sample: 1 without missing cells.
    counts = (view_weights[:, None] * present).sum(axis=0) / view_weights.sum()
    scale = 1.0 / np.sqrt(counts)
    means, whiteners, whitened, stacked = [], [], [], []
    for X, rows, weight in zip(blocks, present, view_weights, strict=True):
        mean = X.mean(axis=0)
        X = X - mean
        whitener = _inverse_sqrt(_ridge(X.T @ X, reg))
        means.append(mean)
        whiteners.append(whitener)
        whitened.append(X @ whitener)
        padded = np.zeros((n_samples, whitener.shape[1]))
        padded[rows] = whitened[-1]
        stacked.append(np.sqrt(weight) * scale[:, None] * padded)
    B = np.hstack(stacked)
    if B.shape[1] <= n_samples:
        eigenvalues, V = linalg.eigh(B.T @ B, check_finite=False)
        eigenvalues, V = eigenvalues[::-1], V[:, ::-1]
        found = int(np.sum(eigenvalues > eigenvalues[0] * 1e-12))
        k = min(n_components, found)
        U = (B @ V[:, :k]) / np.sqrt(eigenvalues[:k])
    else:
        eigenvalues, U = linalg.eigh(B @ B.T, check_finite=False)
        eigenvalues, U = eigenvalues[::-1], U[:, ::-1]
        found = int(np.sum(eigenvalues > eigenvalues[0] * 1e-12))
        k = min(n_components, found)
        U = U[:, :k]
    G = np.zeros((n_samples, n_components))
    G[:, :k] = scale[:, None] * U * np.sqrt(n_samples - 1)
    # Deterministic signs: the largest shared score of each component > 0.
    largest = np.argmax(np.abs(G), axis=0)
    signs = np.sign(G[largest, np.arange(n_components)])
    signs[signs == 0] = 1.0
    G *= signs
    # W_j = C_j^-1 X_j' G_j, with C_j^-1 = whitener whitener'.
    weights = [
        whitener @ (A.T @ G[rows])
        for whitener, A, rows in zip(whiteners, whitened, present, strict=True)
    ]
    values = np.zeros(n_components)
    values[:k] = np.clip(eigenvalues[:k], 0.0, None)
    return means, weights, values


def _check_finite(Z, name, samples):
    """A ValueError naming the first sample whose features hold NaN or inf."""
    bad = ~np.isfinite(Z).all(axis=1)
    if bad.any():
        raise ValueError(
            f"Modality {name!r}: the features of sample {samples[np.argmax(bad)]} "
            "hold NaN or infinity (a missing modality is a cell of None, or a "
            "row of NaN across all its columns)."
        )


class GeneralizedCCA(_BaseMatching):
    """Generalized CCA: one common space for any number of modalities.

    Each modality's transformer (a feature pipeline from raw data, or
    ``"passthrough"``) turns its column(s) of the table ``X`` into features;
    the MAXVAR generalized CCA of Carroll (1968) and Kettenring (1971) then
    finds shared scores ``G`` of the samples and one projection ``W_j`` per
    modality such that every modality's projection ``X_j W_j`` is as close
    as possible to ``G``. Items of any modality are embedded by their own
    projection, and compared across modalities in the common space: any
    modality can query any other.

    A sample that lacks some modalities still counts, through the ones it
    has: the objective masks the missing cells, ``sum_j w_j ||K_j (G - X_j
    W_j)||^2`` with ``K_j`` selecting the samples that hold modality ``j``
    (van de Velden and Bijmolt, 2006), whereas a pairwise CCA must drop
    every sample that lacks either of its two modalities. The solution is in
    closed form, one symmetric eigendecomposition (see Notes).

    With ``label_view`` the class indicators of ``y`` are one more modality,
    seen in ``fit`` only: a "semantic view" that pulls the common space
    towards the categories (Gong et al., 2014).

    Parameters
    ----------
    transformers : list of (str, transformer or "passthrough", column) tuples
        Name, feature extractor and column(s) of ``X`` of each modality (at
        least two), selected as in :class:`~skmm.fusion.LateFusionClassifier`.
        Each is fitted on the samples holding its modality. Sparse features
        are made dense.
    n_components : int, default=10
        Dimension ``k`` of the common space.
    reg : float, default=1e-3
        Ridge added to each modality's scatter matrix, relative to its mean
        feature variance, as in :class:`CrossModalCCA`.
    label_view : bool or float, default=False
        Add the one-hot class indicators of ``y`` as a view of this weight
        (True is weight 1; the modalities weigh 1 each).
    eigenvalue_power : float, default=0.0
        Scale embedding dimension ``i`` by ``eigenvalues_[i] ** p``, which
        favours the well-shared directions in the similarity (Gong et al.
        use ``p = 4``); 0 leaves the embedding alone.
    kernel : {"rbf", "laplacian", "chi2", "poly", "polynomial", "sigmoid", \
"cosine"} or None, default=None
        Map each modality's features through a Nystroem approximation of this
        kernel first, as :class:`KernelCCA` does; None is linear GCCA.
    gamma : float or None, default=None
        Kernel coefficient; None scales it to each modality's data, as in
        :class:`KernelCCA`.
    n_kernel_components : int, default=500
        Landmarks of each kernel map, capped at the modality's samples.
    metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
        Similarity in the common space.
    random_state : int, RandomState instance or None, default=None
        Draws the kernel maps' landmarks.

    Attributes
    ----------
    transformers_ : list
        The fitted transformers (or ``"passthrough"``), one per modality.
    kernel_maps_ : list of Nystroem or None
        The fitted kernel map of each modality (None without ``kernel``).
    means_ : list of ndarray
        Mean feature vector of each modality over its present samples.
    weights_ : list of ndarray of shape (d_j, n_components)
        Projection of each modality's centred features.
    eigenvalues_ : ndarray of shape (n_components,)
        Top eigenvalues of the weighted sum of the modalities' hat matrices,
        non-increasing, over ``K``: ``1 + rho`` with two complete modalities
        and ``reg=0``, where ``rho`` is the canonical correlation; at most
        the number of views. Components beyond the rank of the data get 0.
    n_present_ : ndarray of int of shape (n_modalities,)
        Training samples holding each modality.
    modality_names_ : list of str
    classes_ : ndarray
        Labels seen in ``fit``, when ``y`` was given.
    n_features_in_ : int
    feature_names_in_ : ndarray

    See Also
    --------
    CrossModalCCA : CCA of two modalities, which this equals up to scale.
    CorrelationMatching : Retrieval in a pairwise CCA space.
    skmm.fusion.CommonSpaceFusion : Sum or product of the embeddings.

    Notes
    -----
    The shared scores satisfy ``G' K G = (n - 1) I`` with ``K = sum_j w_j
    K_j / sum_j w_j`` (unit variance without missing cells); ``K^{1/2} G``
    holds the top eigenvectors of ``K^{-1/2} (sum_j w_j P_j) K^{-1/2}``,
    with ``P_j = X_j (X_j' X_j + r_j I)^{-1} X_j'`` the ridge hat matrix
    of modality ``j`` on its present samples. They come
    from the symmetric eigendecomposition of ``B'B`` (or ``BB'``) for the
    stacked whitened modalities ``B = [sqrt(w_j) K^{-1/2} X_j
    (X_j'X_j + r_j I)^{-1/2}]``, so the cost is ``O(n D min(n, D) + D^3)``
    for ``D`` features in all. Each ``W_j`` is the ridge regression of ``G``
    on modality ``j``. Without missing cells this is the GCCA of
    ``cca_zoo.linear.GCCA`` (whose shrinkage is another ridge scale).

    ``transform`` returns every modality's embedding side by side, NaN
    where a sample lacks the modality; ``embed`` one modality's.

    References
    ----------
    .. [1] J. R. Kettenring, "Canonical analysis of several sets of
       variables", Biometrika 58(3), 1971.
    .. [2] M. van de Velden and T. H. A. Bijmolt, "Generalized canonical
       correlation analysis of matrices with missing rows: a simulation
       study", Psychometrika 71(2), 2006.
    .. [3] Y. Gong, Q. Ke, M. Isard and S. Lazebnik, "A multi-view embedding
       space for modeling internet images, tags, and their semantics",
       IJCV 106(2), 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.retrieval import GeneralizedCCA
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(3), 40)
    >>> centres = rng.normal(size=(3, 2))[y]
    >>> X = np.hstack([  # modalities a (0-3), b (4-6) and c (7-8)
    ...     centres @ rng.normal(size=(2, 4)),
    ...     centres @ rng.normal(size=(2, 3)),
    ...     centres @ rng.normal(size=(2, 2)),
    ... ]) + 0.3 * rng.normal(size=(120, 9))
    >>> X[:30, 4:7] = np.nan  # 30 samples lack modality b
    >>> gcca = GeneralizedCCA(
    ...     [("a", "passthrough", slice(0, 4)), ("b", "passthrough", slice(4, 7)),
    ...      ("c", "passthrough", slice(7, 9))],
    ...     n_components=2,
    ... ).fit(X, y)
    >>> gcca.n_present_.tolist()
    [120, 90, 120]
    >>> gcca.embed(X[:2, 7:9], modality="c").shape
    (2, 2)
    >>> ranking, scores = gcca.retrieve(
    ...     X[40:42, :4], X[:, 7:9], query_modality="a", database_modality="c", k=3)
    >>> ranking.shape
    (2, 3)
    >>> round(gcca.score(X, y), 2)  # MAP, mean over the 6 ordered pairs
    0.79
    >>> round(gcca.pair_scores(X, y)[("a", "c")], 2)
    0.74
    """

    _steps_attr = "transformers"

    _parameter_constraints: dict = {
        **_BaseMatching._parameter_constraints,
        "transformers": [list],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "label_view": ["boolean", Interval(numbers.Real, 0, None, closed="left")],
        "eigenvalue_power": [Interval(numbers.Real, 0, None, closed="left")],
        "kernel": [StrOptions(set(_KERNELS)), None],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "n_kernel_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        transformers,
        *,
        n_components=10,
        reg=1e-3,
        label_view=False,
        eigenvalue_power=0.0,
        kernel=None,
        gamma=None,
        n_kernel_components=500,
        metric="cosine",
        random_state=None,
    ):
        self.transformers = transformers
        self.n_components = n_components
        self.reg = reg
        self.label_view = label_view
        self.eigenvalue_power = eigenvalue_power
        self.kernel = kernel
        self.gamma = gamma
        self.n_kernel_components = n_kernel_components
        self.metric = metric
        self.random_state = random_state

    # -- modalities -----------------------------------------------------------

    def _modalities(self):
        names, estimators, columns = self._validate_triples()
        if len(names) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two modalities; "
                f"{self._steps_attr!r} names one ({names[0]!r})."
            )
        self._check_steps(names, estimators)
        return names, estimators, columns

    def _index(self, modality):
        names = self.modality_names_
        if modality is not None and modality not in names:
            raise ValueError(
                f"Unknown modality {modality!r}; this {type(self).__name__} "
                f"was fitted on {', '.join(map(repr, names))}."
            )
        return super()._index(modality)

    # -- fitting --------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the common space on the samples' present modalities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            One column (or several) per modality; a missing cell is None or
            NaN. Every sample must hold at least one modality, and every
            modality must be present in at least ``n_components`` samples.
        y : array-like of shape (n_samples,), default=None
            Categories: needed by ``label_view`` (and by supervised
            transformers), otherwise unused.

        Returns
        -------
        self : object
        """
        names, estimators, columns = self._modalities()
        X = self._check_X(X, reset=True)
        selections, present = self._selections(X, names, columns)
        n_samples = present.shape[1]
        if y is not None:
            y = column_or_1d(y, warn=True)
            if len(y) != n_samples:
                raise ValueError(
                    f"X has {n_samples} samples but y has {len(y)}; they must match."
                )
            self.classes_ = np.unique(y)
        elif self.label_view:
            raise ValueError("label_view needs the labels y in fit.")
        if self.label_view:
            check_classification_targets(y)
        for name, rows in zip(names, present, strict=True):
            if rows.sum() < self.n_components:
                raise ValueError(
                    f"Modality {name!r} is present in {int(rows.sum())} "
                    f"sample(s), fewer than n_components={self.n_components}."
                    + (" It is missing in every row." if not rows.any() else "")
                )
        self.modality_names_ = list(names)
        self.n_present_ = present.sum(axis=1)
        features = self._fit_features(estimators, selections, present, y)
        weights = np.ones(len(names))
        if self.label_view:
            labels = np.searchsorted(self.classes_, y)
            features.append(np.eye(len(self.classes_))[labels])
            present = np.vstack([present, np.ones(n_samples, dtype=bool)])
            weights = np.append(weights, float(self.label_view))
        means, projections, self.eigenvalues_ = _fit_maxvar(
            features, present, self.n_components, self.reg, weights
        )
        self.means_ = means[: len(names)]
        self.weights_ = projections[: len(names)]
        return self

    def _fit_features(self, estimators, selections, present, y):
        """Each modality's features on its present rows (transformers and
        kernel maps fitted there)."""
        self.transformers_, self.kernel_maps_ = [], []
        features = []
        seeds = check_random_state(self.random_state).randint(
            np.iinfo(np.int32).max, size=len(estimators)
        )
        for name, estimator, Xm, rows, seed in zip(
            self.modality_names_, estimators, selections, present, seeds, strict=True
        ):
            Xm = _present_rows(Xm, rows)
            y_m = None if y is None else y[rows]
            if estimator == "passthrough":
                fitted, Z = "passthrough", _dense(Xm).astype(np.float64)
            else:
                fitted = clone(estimator)
                Z = _dense(fitted.fit_transform(Xm, y_m)).astype(np.float64)
            self.transformers_.append(fitted)
            _check_finite(Z, name, np.flatnonzero(rows))
            kernel_map = None
            if self.kernel is not None:
                kernel_map, Z = self._kernel_map(Z, name, seed)
            self.kernel_maps_.append(kernel_map)
            features.append(Z)
        return features

    def _kernel_map(self, Z, name, seed):
        if self.kernel == "chi2" and Z.min() < 0:
            raise ValueError(
                "The chi2 kernel takes non-negative features (histograms); "
                f"modality {name!r} has negative values."
            )
        gamma = self.gamma
        if gamma is None and self.kernel in _GAMMA_KERNELS:
            gamma = _scaled_gamma(self.kernel, Z)
        kernel_map = Nystroem(
            kernel=self.kernel,
            gamma=gamma if self.kernel in _GAMMA_KERNELS else None,
            n_components=min(self.n_kernel_components, Z.shape[0]),
            random_state=seed,
        )
        return kernel_map, kernel_map.fit_transform(_writeable(Z))

    # -- embedding ------------------------------------------------------------

    def _embed(self, m, data):
        Z = self._features(m, data)
        _check_finite(Z, self.modality_names_[m], np.arange(len(Z)))
        kernel_map = self.kernel_maps_[m]
        if kernel_map is not None:
            Z = kernel_map.transform(_writeable(Z))
        embedded = (Z - self.means_[m]) @ self.weights_[m]
        if self.eigenvalue_power:
            embedded *= self.eigenvalues_**self.eigenvalue_power
        return embedded

    def _n_dims(self):
        return self.n_components

    # -- retrieval ------------------------------------------------------------

    def retrieve(
        self,
        queries,
        database,
        *,
        query_modality=None,
        database_modality=None,
        k=None,
        device="cpu",
    ):
        """Rank one modality's database for queries of another.

        Parameters
        ----------
        queries : array-like, Series or list
            Items of ``query_modality``, as its transformer takes them.
        database : array-like, Series or list
            Items of ``database_modality``.
        query_modality : str, default=None
            Name of the queries' modality; the first one when None.
        database_modality : str, default=None
            Name of the database's modality; when None, the second modality
            if the queries are of the first, else the first.
        k : int or None, default=None
            Items kept per query; all when None.
        device : {"cpu", "cuda", "auto"}, default="cpu"
            Where the ranking runs, as in :func:`retrieve`.

        Returns
        -------
        ranking : ndarray of shape (n_queries, k), int64
            Database indices, best first.
        scores : ndarray of shape (n_queries, k), float64
            Similarities (``metric``) in the common space.
        """
        check_is_fitted(self)
        q = self._index(query_modality)
        d = self._database_index(q, database_modality)
        Q = self._embedded(q, queries)
        D = self._embedded(d, database)
        return retrieve(Q, D, k=k, metric=self.metric, device=device)

    def _database_index(self, q, database_modality):
        if database_modality is None:
            return 1 if q == 0 else 0
        return self._index(database_modality)

    def _directions(self, query_modality, database_modality=None):
        """Ordered ``(query, database)`` modality pairs, all when None."""
        n = len(self.modality_names_)
        queries = range(n) if query_modality is None else [self._index(query_modality)]
        databases = (
            range(n) if database_modality is None else [self._index(database_modality)]
        )
        return [(q, d) for q in queries for d in databases if q != d]

    def score(self, X, y, query_modality=None, database_modality=None):
        """Mean average precision of retrieval within a labelled table.

        Each sample's item of a query modality queries the items of a
        database modality of all samples; relevant items share its label.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            As in ``fit``; samples lacking a modality take no part on its
            side.
        y : array-like of shape (n_samples,)
            Labels.
        query_modality : str, default=None
            Only the queries of this modality; None: all modalities.
        database_modality : str, default=None
            Only this database modality; None: all other modalities.

        Returns
        -------
        score : float
            The MAP of every ordered pair selected, averaged.
        """
        return float(
            np.mean(
                list(self.pair_scores(X, y, query_modality, database_modality).values())
            )
        )

    def pair_scores(self, X, y, query_modality=None, database_modality=None):
        """MAP of each ordered pair of modalities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
        y : array-like of shape (n_samples,)
        query_modality, database_modality : str, default=None
            Restrict the pairs, as in :meth:`score`.

        Returns
        -------
        scores : dict
            ``{(query_modality, database_modality): MAP}``.
        """
        from skmm.metrics import mean_average_precision

        check_is_fitted(self)
        directions = self._directions(query_modality, database_modality)
        if not directions:
            raise ValueError(
                "query_modality and database_modality name the same modality "
                f"{query_modality!r}; retrieval needs two."
            )
        names = self.modality_names_
        return {
            (names[q], names[d]): mean_average_precision(
                query_labels, database_labels, ranking=ranking
            )
            for (q, d), query_labels, database_labels, ranking in self._rank_table(
                X, y, directions
            )
        }

    def _rank_table(self, X, y, directions, k=None):
        """Rankings of ``directions``, ``(q, d)`` pairs, within a labelled
        table; a list of ``((q, d), query_labels, database_labels, ranking)``."""
        check_is_fitted(self)
        selections, present = self._check_table(X)
        y = column_or_1d(y, warn=True)
        if len(y) != present.shape[1]:
            raise ValueError(
                f"X has {present.shape[1]} samples but y has {len(y)}; they must match."
            )
        embedded = {}
        rankings = []
        for q, d in directions:
            for m in (q, d):
                if not present[m].any():
                    raise ValueError(
                        f"No sample holds modality {self.modality_names_[m]!r}; "
                        "there is nothing to retrieve."
                    )
                if m not in embedded:
                    embedded[m] = self._embed(
                        m, _present_rows(selections[m], present[m])
                    )
            ranking, _ = retrieve(embedded[q], embedded[d], k=k, metric=self.metric)
            rankings.append(((q, d), y[present[q]], y[present[d]], ranking))
        return rankings

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
