"""Co-training: each modality's model labels confident samples for the others."""

import numbers

import numpy as np
from sklearn.base import ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from skmm.base import _join_front, _ModalityColumnsMixin, _named_errors, _split_front
from skmm.fusion._late import align_proba
from skmm.utils._parallel import budgeted, budgeted_blas


def _unlabeled_mask(y):
    """True where ``y`` is -1 (unlabeled), for numeric and object labels."""
    if y.dtype.kind in "iuf":
        return y == -1
    if y.dtype == object:
        return np.fromiter(
            (isinstance(v, numbers.Number) and v == -1 for v in y),
            dtype=bool,
            count=len(y),
        )
    # String labels cannot hold the integer -1: every sample is labelled.
    return np.zeros(len(y), dtype=bool)


def _most_confident_per_class(proba, quotas):
    """Mask of the ``quotas[c]`` rows most confidently predicted as class
    ``c``, for every class ``c``."""
    predicted = proba.argmax(axis=1)
    picked = np.zeros(len(proba), dtype=bool)
    for c, quota in enumerate(quotas.astype(int)):
        rows = np.flatnonzero(predicted == c)
        best = np.argsort(-proba[rows, c], kind="stable")[:quota]
        picked[rows[best]] = True
    return picked


def _fit_modality(name, estimator, X, y):
    with _named_errors(name, "fit"):
        return estimator.fit(X, y)


class CoTrainingClassifier(ClassifierMixin, MetaEstimatorMixin, _ModalityColumnsMixin):
    """Co-training across modalities, for partly labelled multimodal tables.

    Unlabelled samples have ``y == -1``, as for scikit-learn's
    :class:`~sklearn.semi_supervised.SelfTrainingClassifier`. Each modality
    has its own classifier, which sees only its column(s) of ``X``. In every
    round, each modality's classifier is fitted on the labels it may use,
    then labels the unlabelled samples it is most confident about, *for the
    other modalities*: a label a modality gives trains the classifiers of
    the other modalities, never its own (Blum and Mitchell's co-training,
    for two or more modalities). A sample picked by several modalities in
    one round takes the label of the most confident one. ``predict_proba``
    is the mean of the final classifiers' probabilities over the modalities
    present in a sample.

    Parameters
    ----------
    estimators : list of (str, estimator, column) tuples
        Name, classifier with ``predict_proba``, and the column(s) of ``X``
        it sees, selected as :class:`~skmm.fusion.LateFusionClassifier`
        selects them. Two or more.
    threshold : float in [0, 1), default=0.75
        With ``criterion="threshold"``: a modality labels the unlabelled
        samples whose largest predicted probability exceeds this.
    criterion : {"threshold", "k_best"}, default="threshold"
        How a modality picks the samples it labels in a round: those above
        ``threshold``, or its ``k_best`` most confident ones, shared among
        the classes in proportion to the given labels (as Blum and Mitchell
        label p positive and n negative samples per round).
    k_best : int, default=10
        With ``criterion="k_best"``: samples each modality labels per round,
        each class's share rounded and at least 1 (fewer when fewer
        remain).
    max_iter : int or None, default=10
        Most labelling rounds; None labels until no modality adds a label.
        0 fits each modality on the given labels only.
    n_jobs : int, default=None
        Number of jobs fitting the modalities of a round in parallel, each
        with its share of the cores' threads.
    verbose : bool, default=False
        Print how many labels each round adds.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (of the labelled samples).
    estimators_ : list of estimators
        Each modality's classifier, fitted in the last round.
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The same by name.
    transduction_ : ndarray of shape (n_samples,)
        The labels used in the last round: given ones and those the
        modalities assigned; -1 for samples no modality labelled.
    labeled_iter_ : ndarray of shape (n_samples,)
        The round after which each sample got its label: 0 for given labels,
        -1 for samples never labelled.
    labeled_by_ : ndarray of shape (n_samples,)
        Index (in ``estimators``) of the modality that labelled each sample;
        -1 for given labels and unlabelled samples.
    n_iter_ : int
        Rounds run. Every round fits each modality's classifier; all but the
        last label samples, so ``n_iter_`` is at most ``max_iter + 1``.
    termination_condition_ : {"max_iter", "no_change", "all_labeled"}
        Why fitting stopped: ``max_iter`` labelling rounds were done, a
        round added no label, or no sample that another modality could use
        was left unlabelled.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : One classifier labels
        samples for itself.
    LateFusionClassifier : Supervised late fusion of the same kind of
        per-modality classifiers.

    Notes
    -----
    Missing modalities: as in :class:`LateFusionClassifier`, a missing cell
    (None, NaN) keeps a sample away from that modality's classifier, and
    every sample must hold at least one modality. A modality only labels
    samples that hold at least one other modality, since its labels train
    only the others; a sample holding a single modality gets no label from
    co-training and is predicted by that modality alone.

    A modality's stateless front (reader, extractor, pooling: see
    :class:`LateFusionClassifier`) runs once per ``fit``; each round refits
    only the rest of its pipeline.

    References
    ----------
    .. [1] A. Blum and T. Mitchell, "Combining labeled and unlabeled data
       with co-training", COLT 1998.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.fusion import CoTrainingClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 100)
    >>> X = rng.normal(size=(200, 4)) + 1.5 * y[:, None]
    >>> y_partial = np.where(rng.random(200) < 0.1, y, -1)  # 10% labelled
    >>> co = CoTrainingClassifier(
    ...     [("a", LogisticRegression(), [0, 1]),
    ...      ("b", LogisticRegression(), [2, 3])],
    ... ).fit(X, y_partial)
    >>> co.termination_condition_, bool((co.labeled_iter_ > 0).sum() > 100)
    ('no_change', True)
    >>> bool(co.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "estimators": [list],
        "threshold": [Interval(numbers.Real, 0.0, 1.0, closed="left")],
        "criterion": [StrOptions({"threshold", "k_best"})],
        "k_best": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimators,
        *,
        threshold=0.75,
        criterion="threshold",
        k_best=10,
        max_iter=10,
        n_jobs=None,
        verbose=False,
    ):
        self.estimators = estimators
        self.threshold = threshold
        self.criterion = criterion
        self.k_best = k_best
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.verbose = verbose

    @property
    def named_estimators(self):
        """The unfitted classifiers by name.

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**dict(self._estimators))

    def _validate_estimators(self):
        names, estimators, columns = self._validate_triples()
        if len(names) < 2:
            raise ValueError(
                f"{type(self).__name__} needs two or more modalities, got "
                f"{len(names)} ({names[0]!r}); for one, use "
                "sklearn.semi_supervised.SelfTrainingClassifier."
            )
        for name, estimator in zip(names, estimators, strict=True):
            if not hasattr(estimator, "fit") or not hasattr(estimator, "predict_proba"):
                raise TypeError(
                    f"Estimator {name!r} ({type(estimator).__name__}) must "
                    "implement fit and predict_proba."
                )
        return names, estimators, columns

    @_fit_context(
        # the modality classifiers are validated when they are fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Co-train the modalities' classifiers on labelled and unlabelled rows.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)
            One column (or several) per modality; a missing cell is None or
            NaN.
        y : array-like of shape (n_samples,)
            Class labels, -1 for unlabelled samples.

        Returns
        -------
        self : object
        """
        names, estimators, columns = self._validate_estimators()
        X = self._check_X(X, reset=True)
        y = check_array(
            column_or_1d(y, warn=True), ensure_2d=False, dtype=None, input_name="y"
        )
        selections, present = self._selections(X, names, columns)
        n_samples = present.shape[1]
        if len(y) != n_samples:
            raise ValueError(
                f"X has {n_samples} samples but y has {len(y)}; they must match."
            )
        unlabeled = _unlabeled_mask(y)
        if unlabeled.all():
            raise ValueError(
                "y holds no labelled sample (every value is -1); co-training "
                "needs some labels to start from."
            )
        check_classification_targets(y[~unlabeled])
        encoder = LabelEncoder().fit(y[~unlabeled])
        self.classes_ = encoder.classes_
        labels = np.full(n_samples, -1, dtype=np.intp)
        labels[~unlabeled] = encoder.transform(y[~unlabeled])
        for name, rows in zip(names, present, strict=True):
            if not rows.any():
                raise ValueError(
                    f"Every training sample lacks modality {name!r}: there is "
                    "nothing to fit its estimator on."
                )
            classes = np.unique(labels[rows & ~unlabeled])
            if classes.size < 2:
                raise ValueError(
                    f"Modality {name!r} has labelled samples of only "
                    f"{classes.size} class in its present rows "
                    f"({self.classes_[classes].tolist()}); its classifier needs "
                    "at least 2 classes to start from."
                )

        # The stateless front of each pipeline runs once; every round fits
        # the rest on rows of its features.
        features, positions, fronts, rests = [], [], [], []
        for m, (name, estimator) in enumerate(zip(names, estimators, strict=True)):
            split = _split_front(estimator)
            rows = np.flatnonzero(present[m])
            cells = _safe_indexing(selections[m], rows)
            if split is None:
                features.append(cells)
                fronts.append(None)
                rests.append(estimator)
            else:
                with _named_errors(name, "fit", cells, rows):
                    front = clone(split[0])
                    features.append(front.fit_transform(cells))
                fronts.append(front)
                rests.append(split[1])
            positions.append(np.cumsum(present[m]) - 1)

        def rows_of(m, rows):
            return _safe_indexing(features[m], positions[m][rows])

        # Blum and Mitchell's balance: each round's k_best labels of a
        # modality are shared among the classes as the given labels are, so
        # that the most confident samples of one class do not take them all.
        priors = np.bincount(labels[~unlabeled], minlength=len(self.classes_))
        quotas = np.maximum(1, np.round(self.k_best * priors / priors.sum()))
        fit_modality = budgeted(_fit_modality, self.n_jobs)
        labeled_iter = np.where(unlabeled, -1, 0)
        labeled_by = np.full(n_samples, -1, dtype=np.intp)
        # A modality only labels samples that another modality can learn from.
        shared = present.sum(axis=0) >= 2
        n_iter = 0
        while True:
            n_iter += 1
            training = [
                np.flatnonzero(present[m] & (labels >= 0) & (labeled_by != m))
                for m in range(len(names))
            ]
            with budgeted_blas(self.n_jobs):
                fitted = Parallel(n_jobs=self.n_jobs)(
                    delayed(fit_modality)(
                        names[m],
                        clone(rests[m]),
                        rows_of(m, rows),
                        self.classes_[labels[rows]],
                    )
                    for m, rows in enumerate(training)
                )
            candidates = (labels < 0) & shared
            if not candidates.any():
                termination = "all_labeled"
                break
            if self.max_iter is not None and n_iter > self.max_iter:
                termination = "max_iter"
                break
            best_confidence = np.full(n_samples, -np.inf)
            best_label = np.full(n_samples, -1, dtype=np.intp)
            best_modality = np.full(n_samples, -1, dtype=np.intp)
            for m, estimator in enumerate(fitted):
                rows = np.flatnonzero(candidates & present[m])
                if rows.size == 0:
                    continue
                with _named_errors(names[m], "predict_proba"):
                    proba = self._align(
                        estimator, estimator.predict_proba(rows_of(m, rows))
                    )
                confidence = proba.max(axis=1)
                if self.criterion == "threshold":
                    picked = confidence > self.threshold
                else:
                    picked = _most_confident_per_class(proba, quotas)
                rows, confidence = rows[picked], confidence[picked]
                better = confidence > best_confidence[rows]
                rows, confidence = rows[better], confidence[better]
                best_confidence[rows] = confidence
                # Columns are in ``classes_`` order: the argmax is the code.
                best_label[rows] = proba[picked][better].argmax(axis=1)
                best_modality[rows] = m
            new = np.flatnonzero(best_modality >= 0)
            if self.verbose:
                print(f"Co-training round {n_iter}: {new.size} new labels.")
            if new.size == 0:
                termination = "no_change"
                break
            labels[new] = best_label[new]
            labeled_by[new] = best_modality[new]
            labeled_iter[new] = n_iter

        self.estimators_ = [
            estimator if front is None else _join_front(original, front, estimator)
            for original, front, estimator in zip(
                estimators, fronts, fitted, strict=True
            )
        ]
        self.named_estimators_ = Bunch(
            **dict(zip(names, self.estimators_, strict=True))
        )
        transduction = np.array(y, dtype=object if y.dtype.kind in "OUS" else y.dtype)
        assigned = labels >= 0
        transduction[assigned] = self.classes_[labels[assigned]]
        self.transduction_ = transduction
        self.labeled_iter_ = labeled_iter
        self.labeled_by_ = labeled_by
        self.n_iter_ = n_iter
        self.termination_condition_ = termination
        return self

    def _align(self, estimator, proba):
        """Probability columns in ``classes_`` order (0 for a class the
        modality's classifier never saw)."""
        return align_proba(proba, estimator.classes_, self.classes_)

    def predict_proba_per_modality(self, X):
        """Each modality's class probabilities, NaN where it is absent.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        probas : ndarray of shape (n_estimators, n_samples, n_classes)
            In the order of ``estimators``; columns in the order of
            ``classes_``.
        """
        check_is_fitted(self)
        names, _, columns = self._validate_triples()
        X = self._check_X(X, reset=False)
        labels = list(X.index) if hasattr(X, "index") else None
        selections, present = self._selections(X, names, columns)
        probas = np.full((len(names), present.shape[1], len(self.classes_)), np.nan)
        for m, estimator in enumerate(self.estimators_):
            rows = np.flatnonzero(present[m])
            if rows.size:
                cells = _safe_indexing(selections[m], rows)
                with _named_errors(names[m], "predict_proba", cells, rows, labels):
                    probas[m, rows] = self._align(
                        estimator, estimator.predict_proba(cells)
                    )
        return probas

    def predict_proba(self, X):
        """Mean class probabilities over the modalities present in a sample.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        # Every sample holds a modality (checked), so no mean is over nothing.
        return np.nanmean(self.predict_proba_per_modality(X), axis=0)

    def predict(self, X):
        """Predicted class of each sample.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
