"""Cross-modal matching of Rasiwasia et al. (2010) on multimodal tables.

Correlation matching (a common space by CCA), semantic matching (class
posteriors of each modality) and semantic correlation matching (posteriors
computed in the CCA space). Each is fitted on a table ``X`` with one column
(or several) per modality and the category labels ``y``; it then embeds
either modality, ranks one modality's items for queries of the other, and
scores itself by mean average precision, so that ``GridSearchCV`` can tune a
whole retrieval pipeline from raw data.
"""

import numbers

import numpy as np
from scipy.sparse import issparse
from sklearn.base import MetaEstimatorMixin, TransformerMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skmm.base import (
    _describe_unread,
    _join_front,
    _ModalityColumnsMixin,
    _run_front,
    _split_front,
    _warn_unread,
)
from skmm.retrieval._cca import CrossModalCCA
from skmm.retrieval._retrieve import _METRICS, retrieve
from skmm.utils._parallel import small_fits_blas


def _present_rows(Xm, rows):
    return _safe_indexing(Xm, np.flatnonzero(rows))


def _n_items(data):
    return data.shape[0] if hasattr(data, "shape") else len(data)


def _dense(Z):
    Z = Z.toarray() if issparse(Z) else np.asarray(Z)
    return Z.reshape(-1, 1) if Z.ndim == 1 else Z


class _BaseMatching(TransformerMixin, MetaEstimatorMixin, _ModalityColumnsMixin):
    """Two modalities, each embedded into one common space; ranked there."""

    _steps_attr = "transformers"
    # Whether per-modality classifiers are fitted (they need two classes).
    _classifies = True

    _parameter_constraints: dict = {
        "metric": [StrOptions(set(_METRICS))],
    }

    # -- modalities -----------------------------------------------------------

    def _modalities(self):
        names, estimators, columns = self._validate_triples()
        if len(names) != 2:
            raise ValueError(
                f"{type(self).__name__} matches exactly two modalities; "
                f"{self._steps_attr!r} names {len(names)} ({', '.join(names)})."
            )
        self._check_steps(names, estimators)
        return names, estimators, columns

    def _check_steps(self, names, estimators):
        for name, estimator in zip(names, estimators, strict=True):
            if estimator == "passthrough":
                continue
            if not (hasattr(estimator, "fit") and hasattr(estimator, "transform")):
                raise TypeError(
                    f"Transformer {name!r} ({type(estimator).__name__}) must "
                    "implement fit and transform, or be 'passthrough'."
                )

    def _index(self, modality):
        names = self.modality_names_
        if modality is None:
            return 0
        if modality not in names:
            raise ValueError(
                f"Unknown modality {modality!r}; this "
                f"{type(self).__name__} matches {names[0]!r} and {names[1]!r}."
            )
        return names.index(modality)

    # -- fitting --------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the embeddings of both modalities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            One column (or several) per modality. A missing cell is None or
            NaN; see the class notes for how rows with a missing modality are
            used.
        y : array-like of shape (n_samples,)
            Category of each sample: two items are relevant to each other when
            they share it.

        Returns
        -------
        self : object
        """
        names, estimators, columns = self._modalities()
        X = self._check_X(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        selections, present = self._selections(X, names, columns)
        if len(y) != present.shape[1]:
            raise ValueError(
                f"X has {present.shape[1]} samples but y has {len(y)}; they must match."
            )
        self.modality_names_ = list(names)
        self.classes_ = np.unique(y)
        for name, rows in zip(names, present, strict=True):
            if self._classifies and np.unique(y[rows]).size < 2:
                raise ValueError(
                    f"Modality {name!r} has samples of only one class in its "
                    f"present rows ({np.unique(y[rows]).tolist()}); at least 2 "
                    "are needed."
                )
        # A few small fits (extraction's rest, CCA, classifiers): one BLAS
        # thread each was 10x to 17x faster than two on a busy two-core
        # machine (benchmarks/bench_fusion_speed.py).
        with small_fits_blas():
            self._fit(estimators, selections, present, y)
        return self

    def _fit_transformers(self, estimators, selections, present, y):
        """Fit each modality's transformer on its present rows; features.

        A pipeline's stateless front runs first, step by step: rows whose
        cell it could not read (None from a reader) become absent from
        ``present`` for that modality, with one warning naming them.
        """
        self.transformers_ = []
        features = []
        unread = []
        for name, estimator, Xm, rows in zip(
            self.modality_names_, estimators, selections, present, strict=True
        ):
            index = np.flatnonzero(rows)
            cells, y_m = _safe_indexing(Xm, index), y[index]
            if estimator == "passthrough":
                self.transformers_.append("passthrough")
                features.append(_dense(cells).astype(np.float64))
                continue
            fitted = clone(estimator)
            split = _split_front(fitted)
            if split is None:
                features.append(_dense(fitted.fit_transform(cells, y_m)))
            else:
                front, rest = split
                data, kept, messages = _run_front(front, cells, y_m, fit=True)
                if kept.size < index.size:
                    lost = np.setdiff1d(np.arange(index.size), kept)
                    rows[index[lost]] = False
                    shown = _safe_indexing(cells, lost)
                    shown = list(shown) if getattr(shown, "ndim", 1) == 1 else None
                    unread.append(
                        _describe_unread(
                            name,
                            index[lost],
                            shown or [None] * lost.size,
                            None,
                            messages,
                        )
                    )
                features.append(_dense(rest.fit_transform(data, y_m[kept])))
                fitted = _join_front(fitted, front, rest)
            self.transformers_.append(fitted)
        _warn_unread(unread, f"{type(self).__name__}.fit")
        return features

    def _fit_cca(self, features, present, names):
        """CCA on the rows where both modalities are present."""
        paired = present[0] & present[1]
        self.n_pairs_ = int(paired.sum())
        if self.n_pairs_ < 2:
            raise ValueError(
                f"Only {self.n_pairs_} sample(s) hold both {names[0]!r} and "
                f"{names[1]!r}; the CCA needs at least 2 pairs."
            )
        Z_x = features[0][paired[present[0]]]
        Z_y = features[1][paired[present[1]]]
        cca = CrossModalCCA() if self.cca is None else clone(self.cca)
        self.cca_ = cca.fit(Z_x, Z_y)

    def _features(self, m, data):
        transformer = self.transformers_[m]
        if transformer == "passthrough":
            return _dense(data).astype(np.float64)
        return _dense(transformer.transform(data))

    def _project(self, m, data):
        Z = self._features(m, data)
        return self.cca_.transform(Z) if m == 0 else self.cca_.transform_y(Z)

    # -- using the embeddings -----------------------------------------------

    def embed(self, data, modality=None):
        """Map items of one modality into the common space.

        Parameters
        ----------
        data : array-like, Series or list
            Items of that modality alone, as its estimator takes them (for a
            string column, ``X[column]``).
        modality : str, default=None
            Name of the modality; the first one when None.

        Returns
        -------
        embedding : ndarray of shape (n_items, n_dims)
            CCA scores or class posteriors, depending on the method.
        """
        check_is_fitted(self)
        return self._embedded(self._index(modality), data)

    def _embedded(self, m, data):
        """``_embed``, or an empty embedding of the right width for no item."""
        if _n_items(data) == 0:
            return np.zeros((0, self._n_dims()))
        return self._embed(m, data)

    def transform(self, X):
        """Embed both modalities of a table, side by side.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            As in ``fit``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, 2 * n_dims)
            The first modality's embedding, then the second's; NaN where a
            sample lacks the modality.
        """
        check_is_fitted(self)
        selections, present = self._check_table(X)
        blocks = []
        for m, (Xm, rows) in enumerate(zip(selections, present, strict=True)):
            index = np.flatnonzero(rows)
            embedded = self._embedded(m, _safe_indexing(Xm, index))
            block = np.full((len(rows), embedded.shape[1]), np.nan)
            block[index] = embedded
            blocks.append(block)
        return np.hstack(blocks)

    def _check_table(self, X):
        names, _, columns = self._validate_triples()
        X = self._check_X(X, reset=False)
        return self._selections(X, names, columns, need=None)

    def retrieve(self, queries, database, *, query_modality=None, k=None, device="cpu"):
        """Rank one modality's database for queries of the other.

        Parameters
        ----------
        queries : array-like, Series or list
            Items of ``query_modality``, as its estimator takes them.
        database : array-like, Series or list
            Items of the other modality.
        query_modality : str, default=None
            Name of the queries' modality; the first one when None.
        k : int or None, default=None
            Items kept per query; all when None.
        device : {"cpu", "cuda", "auto"}, default="cpu"
            Where the ranking runs, as in :func:`retrieve`; worth it for
            large databases (the embeddings are computed on the CPU).

        Returns
        -------
        ranking : ndarray of shape (n_queries, k), int64
            Database indices, best first.
        scores : ndarray of shape (n_queries, k), float64
            Similarities (``metric``) in the common space.
        """
        check_is_fitted(self)
        q = self._index(query_modality)
        Q = self._embedded(q, queries)
        D = self._embedded(1 - q, database)
        return retrieve(Q, D, k=k, metric=self.metric, device=device)

    def score(self, X, y, query_modality=None):
        """Mean average precision of retrieval within a labelled table.

        Each sample's item of one modality queries the items of the other
        modality of all samples; relevant items share the query's label.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            As in ``fit``. Samples that lack a modality take no part on that
            modality's side.
        y : array-like of shape (n_samples,)
            Labels.
        query_modality : str, default=None
            Score the queries of this modality only; None averages the MAP
            of both directions.

        Returns
        -------
        score : float
        """
        from skmm.metrics import mean_average_precision

        maps = [
            mean_average_precision(query_labels, database_labels, ranking=ranking)
            for _, query_labels, database_labels, ranking in self._rank_table(
                X, y, self._directions(query_modality)
            )
        ]
        return float(np.mean(maps))

    def _directions(self, query_modality):
        """Query modality indices: both when None, else the one named."""
        if query_modality is None:
            return (0, 1)
        return (self._index(query_modality),)

    def _rank_table(self, X, y, directions, k=None):
        """Within a labelled table, rank the other modality's items for the
        items of each query modality in ``directions``; samples lacking a
        modality take no part on its side.

        Returns a list of ``(q, query_labels, database_labels, ranking)``.
        """
        check_is_fitted(self)
        selections, present = self._check_table(X)
        y = column_or_1d(y, warn=True)
        if len(y) != present.shape[1]:
            raise ValueError(
                f"X has {present.shape[1]} samples but y has {len(y)}; they must match."
            )
        rankings = []
        # Each modality is embedded once, whether it queries, is queried, or
        # both (both directions): its pipeline runs once over the table.
        embedded = {}
        for q in directions:
            d = 1 - q
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
            Q, D = embedded[q], embedded[d]
            ranking, _ = retrieve(Q, D, k=k, metric=self.metric)
            rankings.append((q, y[present[q]], y[present[d]], ranking))
        return rankings

    @property
    def named_transformers_(self):
        """The fitted per-modality transformers by name.

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        check_is_fitted(self)
        return Bunch(**dict(zip(self.modality_names_, self.transformers_, strict=True)))

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, ``<modality>__<dim>``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        n_dims = self._n_dims()
        return np.asarray(
            [f"{name}__{i}" for name in self.modality_names_ for i in range(n_dims)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


class CorrelationMatching(_BaseMatching):
    """Correlation matching: cross-modal retrieval in a CCA space.

    Each modality's transformer (a feature pipeline from raw data, or
    ``"passthrough"`` for precomputed features) turns its column(s) of ``X``
    into features; a :class:`CrossModalCCA` fitted on the paired features
    projects both modalities into a common space, where items of one modality
    are ranked for queries of the other (Rasiwasia et al., 2010, "CM").

    The labels ``y`` are not used by the CCA (only by supervised
    transformers, and by :meth:`score`); this estimator is the table-based,
    labelled counterpart of :class:`CrossModalCCA` that ``GridSearchCV`` can
    tune end to end.

    Parameters
    ----------
    transformers : list of two (str, transformer or "passthrough", column) tuples
        Name, feature extractor and column(s) of ``X`` of each modality,
        selected as in :class:`~skmm.fusion.LateFusionClassifier`: a
        DataFrame column name or list of names, an int, a list of ints, a
        slice, a boolean mask or a callable. The first modality is the CCA's
        X side. Sparse features are made dense: reduce wide sparse features
        first (e.g. ``TruncatedSVD``).
    cca : CrossModalCCA or None, default=None
        The CCA to fit (cloned); ``CrossModalCCA()`` when None. Any
        estimator with ``fit(X, Y)``, ``transform`` and ``transform_y`` will
        do (for instance :class:`KernelCCA`).
    metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
        Similarity in the common space; "cosine" is the normalised
        correlation of the paper.

    Attributes
    ----------
    transformers_ : list
        The fitted transformers (or ``"passthrough"``), one per modality.
    cca_ : CrossModalCCA
        The fitted CCA.
    n_pairs_ : int
        Number of samples holding both modalities, on which the CCA was fitted.
    modality_names_ : list of str
        The two modality names.
    classes_ : ndarray
        Labels seen in ``fit``.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    SemanticMatching : Retrieval among class posteriors.
    SemanticCorrelationMatching : Class posteriors in the CCA space.
    CrossModalCCA : The CCA on two feature arrays.

    Notes
    -----
    Each transformer is fitted on the samples that hold its modality; the
    CCA on the samples that hold both (``n_pairs_``), since an unpaired item
    tells it nothing. ``transform`` returns NaN for a missing modality.

    References
    ----------
    .. [1] N. Rasiwasia, J. Costa Pereira, E. Coviello, G. Doyle, G. R. G.
       Lanckriet, R. Levy and N. Vasconcelos, "A new approach to cross-modal
       multimedia retrieval", ACM Multimedia 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.retrieval import CorrelationMatching, CrossModalCCA
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(3), 40)
    >>> centres = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])[y]
    >>> X = np.hstack([  # modality a in columns 0-3, b in columns 4-6
    ...     centres @ rng.normal(size=(2, 4)), centres @ rng.normal(size=(2, 3))
    ... ]) + 0.3 * rng.normal(size=(120, 7))
    >>> cm = CorrelationMatching(
    ...     [("a", "passthrough", slice(0, 4)), ("b", "passthrough", slice(4, 7))],
    ...     cca=CrossModalCCA(n_components=2),
    ... ).fit(X, y)
    >>> round(cm.score(X, y), 2)  # mean average precision, both directions
    0.98
    >>> ranking, scores = cm.retrieve(X[:2, :4], X[:, 4:], query_modality="a", k=3)
    >>> y[ranking]
    array([[0, 0, 0],
           [0, 0, 0]])
    """

    _parameter_constraints: dict = {
        **_BaseMatching._parameter_constraints,
        "transformers": [list],
        "cca": [None, HasMethods(["fit", "transform", "transform_y"])],
    }

    _classifies = False

    def __init__(self, transformers, *, cca=None, metric="cosine"):
        self.transformers = transformers
        self.cca = cca
        self.metric = metric

    def _fit(self, estimators, selections, present, y):
        features = self._fit_transformers(estimators, selections, present, y)
        self._fit_cca(features, present, self.modality_names_)

    def _embed(self, m, data):
        return self._project(m, data)

    def _n_dims(self):
        return (
            self.cca_.x_weights_.shape[1]
            if hasattr(self.cca_, "x_weights_")
            else self.cca_.n_components
        )


class SemanticCorrelationMatching(_BaseMatching):
    """Semantic correlation matching: class posteriors in a CCA space.

    As :class:`CorrelationMatching`, each modality is turned into features
    and both are projected by a CCA into a common space; then a probabilistic
    classifier per modality, fitted on that modality's projections, maps its
    items to class posteriors, and retrieval ranks by the similarity of the
    posteriors (Rasiwasia et al., 2010, "SCM").

    Parameters
    ----------
    transformers : list of two (str, transformer or "passthrough", column) tuples
        As in :class:`CorrelationMatching`.
    cca : CrossModalCCA or None, default=None
        The CCA to fit (cloned); ``CrossModalCCA()`` when None.
    classifier : classifier or None, default=None
        Fitted (a clone per modality) on the CCA projections; it must have
        ``predict_proba``. ``LogisticRegression(max_iter=1000)`` when None
        (the paper's multiclass logistic regression).
    shared_classifier : bool, default=False
        Fit one classifier on the projections of both modalities stacked
        (twice the training data, and one semantic map for both sides of the
        common space) instead of one per modality.
    metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
        Similarity between posteriors; "cosine" is the paper's normalised
        correlation.

    Attributes
    ----------
    transformers_ : list
        The fitted transformers (or ``"passthrough"``), one per modality.
    cca_ : CrossModalCCA
        The fitted CCA.
    classifiers_ : list of classifiers
        The fitted classifier of each modality (the same object twice when
        ``shared_classifier``).
    n_pairs_ : int
        Number of samples holding both modalities, on which the CCA was fitted.
    modality_names_ : list of str
    classes_ : ndarray
        Labels seen in ``fit``; the columns of the posteriors.
    n_features_in_ : int
    feature_names_in_ : ndarray

    See Also
    --------
    CorrelationMatching : Retrieval in the CCA space itself.
    SemanticMatching : Posteriors of the modalities' own features.

    Notes
    -----
    The CCA is fitted on the samples holding both modalities; each
    classifier on all samples holding its modality. A class absent from a
    modality's samples gets posterior 0 there.

    References
    ----------
    .. [1] N. Rasiwasia et al., "A new approach to cross-modal multimedia
       retrieval", ACM Multimedia 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.retrieval import CrossModalCCA, SemanticCorrelationMatching
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(3), 40)
    >>> centres = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])[y]
    >>> X = np.hstack([  # modality a in columns 0-3, b in columns 4-6
    ...     centres @ rng.normal(size=(2, 4)), centres @ rng.normal(size=(2, 3))
    ... ]) + 0.3 * rng.normal(size=(120, 7))
    >>> scm = SemanticCorrelationMatching(
    ...     [("a", "passthrough", slice(0, 4)), ("b", "passthrough", slice(4, 7))],
    ...     cca=CrossModalCCA(n_components=2),
    ... ).fit(X, y)
    >>> scm.embed(X[:1, 4:], modality="b").round(2)  # posteriors of 3 classes
    array([[0.97, 0.02, 0.02]])
    >>> round(scm.score(X, y), 2)
    0.99
    """

    _parameter_constraints: dict = {
        **_BaseMatching._parameter_constraints,
        "transformers": [list],
        "cca": [None, HasMethods(["fit", "transform", "transform_y"])],
        "classifier": [None, HasMethods(["fit", "predict_proba"])],
        "shared_classifier": ["boolean"],
    }

    def __init__(
        self,
        transformers,
        *,
        cca=None,
        classifier=None,
        shared_classifier=False,
        metric="cosine",
    ):
        self.transformers = transformers
        self.cca = cca
        self.classifier = classifier
        self.shared_classifier = shared_classifier
        self.metric = metric

    def _fit(self, estimators, selections, present, y):
        features = self._fit_transformers(estimators, selections, present, y)
        self._fit_cca(features, present, self.modality_names_)
        projections = [
            self.cca_.transform(features[0]),
            self.cca_.transform_y(features[1]),
        ]
        classifier = (
            LogisticRegression(max_iter=1000)
            if self.classifier is None
            else self.classifier
        )
        if self.shared_classifier:
            shared = clone(classifier).fit(
                np.vstack(projections), np.concatenate([y[present[0]], y[present[1]]])
            )
            self.classifiers_ = [shared, shared]
        else:
            self.classifiers_ = [
                clone(classifier).fit(Z, y[rows])
                for Z, rows in zip(projections, present, strict=True)
            ]

    def _embed(self, m, data):
        classifier = self.classifiers_[m]
        return _aligned_proba(classifier, self._project(m, data), self.classes_)

    def _n_dims(self):
        return len(self.classes_)


def _aligned_proba(classifier, X, classes):
    """``predict_proba`` with one column per class of ``classes``."""
    proba = classifier.predict_proba(X)
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, np.searchsorted(classes, classifier.classes_)] = proba
    return out


class SemanticMatching(_BaseMatching):
    """Semantic matching: cross-modal retrieval among class posteriors.

    Each modality has its own probabilistic classifier (usually a pipeline
    from raw data, such as ``make_pipeline(HOG(), LogisticRegression())``),
    which maps its items to posterior probabilities of the categories. Items
    of both modalities then live in the same space, the probability simplex,
    and are ranked there (Rasiwasia et al., 2010, "SM"). No pairing is
    needed: each classifier learns from its own modality's labelled samples.

    Parameters
    ----------
    estimators : list of two (str, classifier, column) tuples
        Name, classifier with ``predict_proba`` and column(s) of ``X`` of
        each modality, selected as in
        :class:`~skmm.fusion.LateFusionClassifier`.
    metric : {"cosine", "correlation", "euclidean", "dot"}, default="cosine"
        Similarity between posteriors; "cosine" is the paper's normalised
        correlation.

    Attributes
    ----------
    estimators_ : list of classifiers
        The fitted classifier of each modality.
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The same, by name.
    modality_names_ : list of str
    classes_ : ndarray
        Labels seen in ``fit``; the columns of the posteriors.
    n_features_in_ : int
    feature_names_in_ : ndarray

    See Also
    --------
    SemanticCorrelationMatching : Posteriors computed in a CCA space.
    CorrelationMatching : Retrieval in a CCA space.

    Notes
    -----
    Each classifier is fitted on the samples that hold its modality, so the
    two modalities may come from different, unpaired samples. A class absent
    from a modality's samples gets posterior 0 there.

    References
    ----------
    .. [1] N. Rasiwasia et al., "A new approach to cross-modal multimedia
       retrieval", ACM Multimedia 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skmm.retrieval import SemanticMatching
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(3), 40)
    >>> centres = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])[y]
    >>> X = np.hstack([  # modality a in columns 0-3, b in columns 4-6
    ...     centres @ rng.normal(size=(2, 4)), centres @ rng.normal(size=(2, 3))
    ... ]) + 0.3 * rng.normal(size=(120, 7))
    >>> sm = SemanticMatching([
    ...     ("a", LogisticRegression(), slice(0, 4)),
    ...     ("b", GaussianNB(), slice(4, 7)),
    ... ]).fit(X, y)
    >>> sm.embed(X[:2, :4], modality="a").round(2)
    array([[0.84, 0.12, 0.05],
           [0.97, 0.02, 0.01]])
    >>> round(sm.score(X, y), 3)
    0.995
    """

    _steps_attr = "estimators"

    _parameter_constraints: dict = {
        **_BaseMatching._parameter_constraints,
        "estimators": [list],
    }

    def __init__(self, estimators, *, metric="cosine"):
        self.estimators = estimators
        self.metric = metric

    def _check_steps(self, names, estimators):
        self._check_estimators_are_instances(estimators)
        for name, estimator in zip(names, estimators, strict=True):
            if not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
                raise TypeError(
                    f"Estimator {name!r} ({type(estimator).__name__}) must "
                    "implement fit and predict_proba."
                )

    def _fit(self, estimators, selections, present, y):
        self.estimators_ = [
            clone(estimator).fit(_safe_indexing(Xm, np.flatnonzero(rows)), y[rows])
            for estimator, Xm, rows in zip(estimators, selections, present, strict=True)
        ]

    @property
    def named_estimators_(self):
        """The fitted classifiers by name.

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        check_is_fitted(self)
        return Bunch(**dict(zip(self.modality_names_, self.estimators_, strict=True)))

    @property
    def named_transformers_(self):
        raise AttributeError(
            "SemanticMatching has classifiers, not transformers: see named_estimators_."
        )

    def _embed(self, m, data):
        return _aligned_proba(self.estimators_[m], data, self.classes_)

    def _n_dims(self):
        return len(self.classes_)


class _RetrievalScorer:
    """Callable ``scorer(estimator, X, y)`` for ``GridSearchCV(scoring=...)``."""

    def __init__(self, query_modality, measure, k):
        self.query_modality = query_modality
        self.measure = measure
        self.k = k

    def __call__(self, estimator, X, y):
        if self.measure == "map":
            return estimator.score(X, y, query_modality=self.query_modality)
        from skmm.metrics import precision_at_k, recall_at_k

        function = precision_at_k if self.measure == "precision" else recall_at_k
        rankings = estimator._rank_table(
            X, y, estimator._directions(self.query_modality), k=self.k
        )
        return float(
            np.mean(
                [
                    function(query_labels, database_labels, ranking=ranking, k=self.k)
                    for _, query_labels, database_labels, ranking in rankings
                ]
            )
        )

    def __repr__(self):
        return (
            f"make_retrieval_scorer(query_modality={self.query_modality!r}, "
            f"measure={self.measure!r}, k={self.k!r})"
        )


def make_retrieval_scorer(query_modality=None, *, measure="map", k=10):
    """A scorer of cross-modal retrieval for ``GridSearchCV`` and friends.

    For :class:`CorrelationMatching`, :class:`SemanticMatching` and
    :class:`SemanticCorrelationMatching`: on a
    labelled validation table, each sample's item of one modality queries
    the other modality's items of all samples, relevant being "same label".

    Parameters
    ----------
    query_modality : str or None, default=None
        Score queries of this modality only; None averages both directions.
    measure : {"map", "precision", "recall"}, default="map"
        Mean average precision over the whole ranking, or mean precision or
        recall in the top ``k``.
    k : int, default=10
        Cut-off of "precision" and "recall" (ignored by "map").

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y) -> float``, higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmm.retrieval import (
    ...     CorrelationMatching, CrossModalCCA, make_retrieval_scorer)
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(np.arange(3), 40)
    >>> centres = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])[y]
    >>> X = np.hstack([  # modality a in columns 0-3, b in columns 4-6
    ...     centres @ rng.normal(size=(2, 4)), centres @ rng.normal(size=(2, 3))
    ... ]) + 0.3 * rng.normal(size=(120, 7))
    >>> cm = CorrelationMatching(
    ...     [("a", "passthrough", slice(0, 4)), ("b", "passthrough", slice(4, 7))],
    ...     cca=CrossModalCCA(),
    ... )
    >>> search = GridSearchCV(
    ...     cm, {"cca__n_components": [1, 2, 3]},
    ...     scoring=make_retrieval_scorer("a", measure="precision", k=5),
    ... ).fit(X, y)
    >>> search.best_params_["cca__n_components"] in (1, 2, 3)
    True
    """
    if measure not in ("map", "precision", "recall"):
        raise ValueError(
            f"measure must be 'map', 'precision' or 'recall', got {measure!r}."
        )
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}.")
    return _RetrievalScorer(query_modality, measure, int(k))
