"""Late fusion: one model per modality, their predictions combined."""

import numbers
import warnings

import numpy as np
from scipy.optimize import minimize, nnls
from sklearn import get_config
from sklearn.base import (
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import check_cv
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from skmm.base import (
    _describe_unread,
    _fitted_split,
    _join_front,
    _ModalityColumnsMixin,
    _named_errors,
    _run_front,
    _split_front,
    _warn_unread,
)
from skmm.utils._parallel import budgeted, small_fits_blas
from skmm.utils._progress import progress_bar
from skmm.utils._validation import _sample_label

# Probabilities are floored before logarithms (product fusion, log loss) so
# that one modality's hard zero cannot veto a class on its own.
_PROBA_FLOOR = 1e-12


def _fit_front(name, front, X, y, rows, labels):
    """Fit a pipeline's stateless front; its features of the samples of ``X``
    it could read, their positions in ``X`` and the readers' warnings."""
    with _named_errors(name, "fit", X, rows, labels):
        features, kept, messages = _run_front(front, X, y, fit=True)
    return front, features, kept, messages


# The fit tasks limit BLAS themselves too (the caller's limit already holds
# in its threads): a process worker of n_jobs then fits on one BLAS thread
# as well, so that n_jobs never changes the numbers.


def _fit_estimator(name, estimator, X, y, params, rows, labels):
    # ``rows`` of the table are those of ``X``; None when ``X`` holds features.
    cells = None if rows is None else X
    with small_fits_blas(), _named_errors(name, "fit", cells, rows, labels):
        return estimator.fit(X, y, **params)


def _fit_and_predict(
    name, estimator, X_train, y_train, X_test, params, method, train, test, labels
):
    with (
        small_fits_blas(),
        _named_errors(name, "fit", None if train is None else X_train, train, labels),
    ):
        estimator.fit(X_train, y_train, **params)
    with _named_errors(name, method, None if test is None else X_test, test, labels):
        return estimator, getattr(estimator, method)(X_test)


def align_proba(proba, estimator_classes, classes):
    """``proba`` of a classifier that saw ``estimator_classes``, as columns
    of ``classes`` (sorted); 0 for a class it never saw."""
    proba = np.asarray(proba, dtype=float)
    aligned = np.zeros((proba.shape[0], len(classes)))
    aligned[:, np.searchsorted(classes, estimator_classes)] = proba
    return aligned


class _BaseLateFusion(MetaEstimatorMixin, _ModalityColumnsMixin):
    """Late fusion's work: column selection, present rows, out-of-fold fits,
    stacking, fixed weights.

    As scikit-learn's ``_BaseStacking``, the subclasses only say what is
    theirs: ``_check_targets`` (encode ``y``), ``_default_final``,
    ``_base_method`` and ``_align_output`` / ``_output_shape_tail`` (what a
    base estimator outputs), ``_modality_score`` and ``_learn_weights``.
    """

    # A ``groups`` fit argument is requested by default under metadata
    # routing, so that ``GridSearchCV(...).fit(X, y, groups=g)`` hands the
    # groups of each training split down to the internal cross-validation.
    __metadata_request__fit = {"groups": True}

    _parameter_constraints: dict = {
        "estimators": [list],
        "weights": ["array-like", StrOptions({"learn"}), None],
        "final_estimator": [None, HasMethods("fit")],
        "cv": ["cv_object"],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
        "all_missing": [StrOptions({"raise", "prior"})],
    }

    @property
    def named_estimators(self):
        """The unfitted base estimators by name.

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**dict(self._estimators))

    def __init__(
        self,
        estimators,
        *,
        fusion="mean",
        weights=None,
        final_estimator=None,
        cv=5,
        n_jobs=None,
        verbose=False,
        all_missing="raise",
    ):
        self.estimators = estimators
        self.fusion = fusion
        self.weights = weights
        self.final_estimator = final_estimator
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.all_missing = all_missing

    @_fit_context(
        # the base and final estimators are validated when they are fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, groups=None, **fit_params):
        """Fit every modality's estimator, then the fusion.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)
            One column (or several) per modality; a missing cell is None or
            NaN.
        y : array-like of shape (n_samples,)
            Class labels (classifier) or targets (regressor).
        groups : array-like of shape (n_samples,), default=None
            Group labels for the internal cross-validation (with a group
            splitter as ``cv``).
        **fit_params : dict
            Without metadata routing: passed to every base estimator's
            ``fit`` (sample-aligned ones restricted to its rows), and
            ``sample_weight`` also to the final estimator. With routing:
            routed to the estimators that request them. Learned weights do
            not use sample weights.

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        y = self._check_targets(column_or_1d(y, warn=True))
        # Many small fits: one BLAS thread each (several, in NumPy's and
        # SciPy's OpenBLAS pools, made each logistic regression up to 20x
        # slower on a busy two-core machine); n_jobs runs fits in parallel.
        with small_fits_blas():
            oof, oof_present, final_params = self._fit_base(
                X, y, groups, fit_params, need_oof=self._needs_oof()
            )
            self._fit_fusion(y, oof, oof_present, final_params)
        return self

    def _needs_oof(self):
        """Whether the fusion learns from out-of-fold outputs (learned
        weights, stacking), so that the base fits need the inner
        cross-validation."""
        return self._learns_weights() or self.fusion == "stacking"

    def _fit_fusion(self, y, oof, oof_present, final_params):
        """Fit the fusion itself (weights or final estimator) once the base
        estimators are fitted; ``oof`` may come from a fit shared with other
        rules (see :func:`~skmm.fusion.cross_validate_rules`), and is only
        used when this rule needs it."""
        learn = self._learns_weights()
        stacking = self.fusion == "stacking"
        self.modality_scores_ = None
        if self._needs_oof():
            self.modality_scores_ = {
                name: self._modality_score(y[rows], oof[m, rows])
                if rows.any()
                else float("nan")
                for m, (name, rows) in enumerate(
                    zip(self.named_estimators_, oof_present, strict=True)
                )
            }
        if stacking:
            self.weights_ = None
            self.final_estimator_ = clone(self._final_or_default()).fit(
                self._meta_features(oof, oof_present), y, **final_params
            )
        elif learn:
            self.weights_ = self._learn_weights(oof, oof_present, y)
        else:
            n_estimators = len(self.estimators_)
            weights = self._resolved_weights(n_estimators)
            if weights is None:
                weights = np.full(n_estimators, 1.0 / n_estimators)
            self.weights_ = weights

    def _final_or_default(self):
        if self.final_estimator is not None:
            return self.final_estimator
        return self._default_final()

    def _validate_estimators(self):
        names, estimators, columns = self._validate_triples()
        self._check_estimators_are_instances(estimators)
        method = self._base_method
        for name, estimator in zip(names, estimators, strict=True):
            if not hasattr(estimator, "fit") or not hasattr(estimator, method):
                raise TypeError(
                    f"Estimator {name!r} ({type(estimator).__name__}) must "
                    f"implement fit and {method}."
                )
        return list(names), list(estimators), list(columns)

    def _resolved_weights(self, n_estimators):
        """Fixed weights normalised to sum 1, or None when none are given."""
        if self.weights is None or (
            isinstance(self.weights, str) and self.weights == "learn"
        ):
            return None
        weights = np.asarray(self.weights, dtype=float)
        if weights.shape != (n_estimators,):
            raise ValueError(
                f"weights has {weights.size} values, expected one per estimator "
                f"({n_estimators})."
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(f"weights must be finite and >= 0, got {self.weights}.")
        if weights.sum() == 0:
            raise ValueError("weights must not all be zero.")
        return weights / weights.sum()

    def _learns_weights(self):
        """Whether ``fit`` learns weights; refuses "learn" where they are
        ignored, which would run an inner cross-validation for nothing."""
        learn = isinstance(self.weights, str) and self.weights == "learn"
        if learn and self.fusion in self._fusions_without_weights:
            raise ValueError(
                f"weights='learn' has no effect with fusion={self.fusion!r}, "
                "which ignores weights: learning them would cost an inner "
                "cross-validation for nothing. Use weights=None with "
                f"fusion={self.fusion!r}, or learn weights for another rule."
            )
        if self.fusion == "stacking":
            return False
        return learn or (self.fusion == "weighted" and self.weights is None)

    # -- fitting --------------------------------------------------------------

    def _route(self, names, groups, fit_params):
        """Fit parameters for each base estimator and for the final one."""
        if get_config()["enable_metadata_routing"]:
            if groups is not None:
                fit_params = {**fit_params, "groups": groups}
            routed = process_routing(self, "fit", **fit_params)
            per_estimator = {name: dict(routed[name].fit) for name in names}
            final = dict(routed.final_estimator.fit)
        else:
            per_estimator = {name: dict(fit_params) for name in names}
            # As in sklearn's stacking, sample weights also weigh the final fit.
            final = {
                key: value
                for key, value in fit_params.items()
                if key == "sample_weight"
            }
        return per_estimator, final

    def _fit_base(self, X, y, groups, fit_params, *, need_oof):
        """Fit every base estimator on its present rows, and out-of-fold.

        Returns the out-of-fold outputs ``(n_estimators, n_samples, ...)``
        (NaN where a modality is absent or got no out-of-fold prediction) and
        their presence mask, or ``(None, None)`` when ``need_oof`` is False.

        With the inner cross-validation, a modality pipeline's stateless
        front (readers, extractors, pooling: see ``_split_front``) runs
        once, on the modality's present rows; the full fit and every fold fit
        only the rest, on rows of those features. The fitted pipeline is the
        fitted front followed by the fitted rest.
        """
        names, estimators, columns = self._validate_estimators()
        X = self._check_X(X, reset=True)
        labels = list(X.index) if hasattr(X, "index") else None
        selections, present = self._selections(X, names, columns, need=None)
        n_samples = present.shape[1]
        if len(y) != n_samples:
            raise ValueError(
                f"X has {n_samples} samples but y has {len(y)}; they must match."
            )
        routed, final_params = self._route(names, groups, fit_params)
        method = self._base_method
        present_rows = [np.flatnonzero(rows) for rows in present]

        # What each modality fits: the whole estimator on its selection
        # (indexed by row), or the rest of its pipeline on the front's
        # features of its present rows (indexed by position among them). The
        # front runs once even without an inner cross-validation: that is
        # where a reader's unreadable cells show up as missing.
        splits_front = [
            _split_front(estimator, routed[name])
            for name, estimator in zip(names, estimators, strict=True)
        ]
        fitted_parts = [
            estimator if split is None else split[1]
            for estimator, split in zip(estimators, splits_front, strict=True)
        ]
        data = list(selections)
        positions = [None] * len(names)
        fronts = [None] * len(names)
        unread = []
        with_front = [m for m, split in enumerate(splits_front) if split]
        if with_front:
            computed = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(budgeted(_fit_front, self.n_jobs))(
                    names[m],
                    clone(splits_front[m][0]),
                    _safe_indexing(selections[m], present_rows[m]),
                    y[present_rows[m]],
                    present_rows[m],
                    labels,
                )
                for m in with_front
            )
            for m, (front, features, kept, messages) in zip(
                with_front, computed, strict=True
            ):
                fronts[m], data[m] = front, features
                unread += self._drop_unread(
                    m,
                    names[m],
                    selections[m],
                    present,
                    present_rows,
                    kept,
                    messages,
                    labels,
                )
                positions[m] = np.cumsum(present[m]) - 1
        _warn_unread(unread, "fit")
        self._check_rows(names, present, y, labels)
        present_rows = [np.flatnonzero(rows) for rows in present]

        def _rows_of(m, rows):
            return _safe_indexing(
                data[m], rows if positions[m] is None else positions[m][rows]
            )

        def _raw(m, rows):
            # Rows of the table behind what the estimator sees, to name a bad
            # cell in an error; None when it sees the front's features.
            return rows if positions[m] is None else None

        def _tasks():
            for m, name in enumerate(names):
                rows = present_rows[m]
                params = _check_method_params(X, routed[name], rows)
                yield (
                    (m, None, None),
                    delayed(budgeted(_fit_estimator, self.n_jobs))(
                        name,
                        clone(fitted_parts[m]),
                        _rows_of(m, rows),
                        y[rows],
                        params,
                        _raw(m, rows),
                        labels,
                    ),
                )
            if not need_oof:
                return
            for m, name in enumerate(names):
                for train, test in splits:
                    train = train[present[m, train]]
                    test = test[present[m, test]]
                    if train.size == 0 or test.size == 0:
                        continue
                    params = _check_method_params(X, routed[name], train)
                    yield (
                        (m, train, test),
                        delayed(budgeted(_fit_and_predict, self.n_jobs))(
                            name,
                            clone(fitted_parts[m]),
                            _rows_of(m, train),
                            y[train],
                            _rows_of(m, test),
                            params,
                            method,
                            _raw(m, train),
                            _raw(m, test),
                            labels,
                        ),
                    )

        if need_oof:
            # One split of all rows, shared by every modality (as stacking
            # does), restricted per modality to its present rows. Not
            # ``cross_val_predict``: each modality fits on a different subset
            # of rows, a fold may hold no row of one modality, and the
            # modality x fold fits run in one flat parallel loop.
            cv = check_cv(self.cv, y, classifier=is_classifier(self))
            splits = self._split(cv, X, y, groups)
            n_tasks = len(names) * (1 + len(splits))
        else:
            n_tasks = len(names)
        keys, jobs = zip(*_tasks(), strict=True)
        # Threads: no worker start nor copies (process workers started cold
        # took 16.5 s for a fit of 3.2 s on one thread, embedded digits with
        # learned weights); a parallel_config backend still takes over.
        results = Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(
            jobs
        )
        with progress_bar(
            n_tasks, verbose=self.verbose, desc=type(self).__name__, unit="fit"
        ) as bar:
            done = []
            for result in results:
                done.append(result)
                bar.update()
        results = done

        fitted = [None] * len(names)
        oof = oof_present = None
        if need_oof:
            oof_present = np.zeros_like(present)
            oof = [None] * len(names)
        for (m, train, test), result in zip(keys, results, strict=True):
            if train is None:
                fitted[m] = (
                    result
                    if fronts[m] is None
                    else _join_front(estimators[m], fronts[m], result)
                )
                continue
            estimator, output = result
            output = self._align_output(estimator, output)
            if oof[m] is None:
                oof[m] = np.full((n_samples,) + output.shape[1:], np.nan)
            oof[m][test] = output
            oof_present[m, test] = True
        if need_oof:
            for m in range(len(names)):
                if oof[m] is None:
                    oof[m] = np.full((n_samples,) + self._output_shape_tail(), np.nan)
            oof = np.stack(oof)
        self.estimators_ = fitted
        self.named_estimators_ = Bunch(**dict(zip(names, fitted, strict=True)))
        return oof, oof_present, final_params

    def _split(self, cv, X, y, groups):
        """The inner cross-validation's splits; a group splitter without
        groups gets an error that says how groups reach it."""
        try:
            return list(cv.split(X, y, groups))
        except ValueError as exc:
            if groups is not None or "groups" not in str(exc):
                raise
            raise ValueError(
                f"{type(self).__name__}'s internal cv={cv!r} splits by groups, "
                "but fit got groups=None. Pass fit(X, y, groups=g). Inside "
                "GridSearchCV or cross_val_score, groups reach this estimator "
                "only with metadata routing: call "
                "sklearn.set_config(enable_metadata_routing=True) (fit requests "
                "groups by default, as set_fit_request(groups=True) would), "
                "then search.fit(X, y, groups=g)."
            ) from exc

    def _drop_unread(
        self, m, name, selection, present, present_rows, kept, messages, labels
    ):
        """Mark modality ``m``'s rows that its front could not read as
        missing; a description of them for the warning (or nothing)."""
        rows = present_rows[m]
        lost = np.setdiff1d(np.arange(rows.size), kept)
        if not lost.size:
            return []
        present[m, rows[lost]] = False
        present_rows[m] = rows[kept]
        return [
            _describe_unread(
                name, rows[lost], _cells(selection, rows[lost]), labels, messages
            )
        ]

    def _check_rows(self, names, present, y, labels):
        """Every modality has rows to fit on (two classes for a classifier);
        rows without any modality follow ``all_missing``."""
        for name, rows in zip(names, present, strict=True):
            if not rows.any():
                raise ValueError(
                    f"Every training sample lacks modality {name!r}: there is "
                    "nothing to fit its estimator on."
                )
            if is_classifier(self) and np.unique(y[rows]).size < 2:
                raise ValueError(
                    f"Modality {name!r} has samples of only one class in its "
                    f"present rows ({np.unique(y[rows]).tolist()}); its "
                    "estimator needs at least 2 classes."
                )
        self._check_empty(names, present, labels, "fit")

    def _check_empty(self, names, present, labels, stage):
        empty = np.flatnonzero(~present.any(axis=0))
        if not empty.size:
            return
        shown = ", ".join(_sample_label(i, labels) for i in empty[:5])
        more = f" and {empty.size - 5} more" if empty.size > 5 else ""
        what = f"Every modality ({', '.join(names)}) is missing in {shown}{more}"
        if self.all_missing == "raise":
            raise ValueError(
                f"{what}; {type(self).__name__} needs at least one per sample "
                "(a cell counts as missing when it is None or NaN, or when its "
                "pipeline's reader could not read it). Drop those samples, or "
                "set all_missing='prior' to predict the training prior for them."
            )
        outcome = (
            "they are left out of the fit"
            if stage == "fit"
            else "they get the training prior (all_missing='prior')"
        )
        warnings.warn(f"{what}: {outcome}.", UserWarning, stacklevel=4)

    def _base_outputs(self, X):
        """Outputs of the fitted base estimators, NaN where a modality is
        absent (missing in ``X``, or unreadable by its pipeline's front)."""
        check_is_fitted(self)
        names, _, columns = zip(*self.estimators, strict=True)
        X = self._check_X(X, reset=False)
        labels = list(X.index) if hasattr(X, "index") else None
        selections, present = self._selections(X, names, columns, need=None)
        n_samples = present.shape[1]
        method = self._base_method
        outputs = np.full((len(names), n_samples) + self._output_shape_tail(), np.nan)
        unread = []
        for m, estimator in enumerate(self.estimators_):
            rows = np.flatnonzero(present[m])
            if not rows.size:
                continue
            cells = _safe_indexing(selections[m], rows)
            split = _fitted_split(estimator)
            with _named_errors(names[m], method, cells, rows, labels):
                if split is None:
                    output = getattr(estimator, method)(cells)
                else:
                    front, rest = split
                    features, kept, messages = _run_front(front, cells, fit=False)
                    present_rows = {m: rows}
                    unread += self._drop_unread(
                        m,
                        names[m],
                        selections[m],
                        present,
                        present_rows,
                        kept,
                        messages,
                        labels,
                    )
                    rows = present_rows[m]
                    output = getattr(rest, method)(features) if rows.size else None
            if rows.size:
                outputs[m, rows] = self._align_output(estimator, output)
        _warn_unread(unread, method)
        self._check_empty(names, present, labels, method)
        return outputs, present

    def _meta_features(self, outputs, present):
        """Stacking input: each modality's outputs (0 where absent) and presence."""
        blocks = []
        for output, rows in zip(outputs, present, strict=True):
            output = output.reshape(output.shape[0], -1)
            blocks.append(np.where(rows[:, None], np.nan_to_num(output), 0.0))
            blocks.append(rows[:, None].astype(float))
        return np.hstack(blocks)

    @staticmethod
    def _pool_weights(weights, present):
        """Per-sample weights ``(n_estimators, n_samples)``, renormalised over
        the modalities present; uniform over them where all present ones
        weigh zero."""
        w = weights[:, None] * present
        total = w.sum(axis=0)
        w = np.where(total > 0, w, present.astype(float))
        total = w.sum(axis=0)
        # A sample without any modality gets zero weights (and, later, the
        # prior of ``all_missing="prior"``).
        return w / np.where(total > 0, total, 1.0)

    def _weighted_mean(self, outputs, present, weights):
        """``sum_m w_m output_m`` over the modalities present in each sample."""
        w = self._pool_weights(weights, present)
        w = w.reshape(w.shape + (1,) * (outputs.ndim - 2))
        return (w * np.nan_to_num(outputs)).sum(axis=0)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``fit`` consumes ``groups`` itself (requested by default) and gives it
        to the internal cross-validation splitter; other fit metadata goes to
        the base estimators and the final estimator that request it.

        Returns
        -------
        routing : MetadataRouter
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        for name, estimator, _ in self.estimators:
            router.add(
                **{name: estimator},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        final_estimator = getattr(self, "final_estimator_", None)
        if final_estimator is None:
            final_estimator = self._final_or_default()
        router.add(
            final_estimator=final_estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _cells(selection, rows):
    """The cells of rows ``rows`` of a one-column selection (None for each
    row of a multi-column one), to name their paths."""
    cells = _safe_indexing(selection, rows)
    if getattr(cells, "ndim", 1) != 1:
        return [None] * len(rows)
    return list(cells)


def _final_has(method):
    def check(self):
        if self.fusion != "stacking":
            return True
        final = getattr(self, "final_estimator_", None)
        if final is None:
            final = self._final_or_default()
        return hasattr(final, method)

    return check


class LateFusionClassifier(ClassifierMixin, _BaseLateFusion):
    """Late fusion of one classifier per modality.

    Each base estimator (usually a modality pipeline such as
    ``make_pipeline(AudioReader(), MFCC(), LogisticRegression())``) sees only
    its own column(s) of ``X`` and only the rows where they are present. Their
    class probabilities are then combined by a fixed rule, by weights learned
    on out-of-fold probabilities, or by a final classifier (stacking).

    Parameters
    ----------
    estimators : list of (str, estimator, column) tuples
        Name, classifier with ``predict_proba``, and the column(s) of ``X`` it
        sees, selected as :class:`~sklearn.compose.ColumnTransformer` does: a
        string or list of strings (a DataFrame's column names), an int, a list
        of ints, a slice, a boolean mask, or a callable returning one of
        those. A string or int gives the estimator a 1-D column (a Series for
        a DataFrame), a list a 2-D selection.
    fusion : {"mean", "weighted", "product", "max", "vote", "stacking"}, \
            default="mean"
        How the per-modality probabilities ``p_m`` are combined, per sample,
        over the modalities present in that sample (weights renormalised over
        them):

        - "mean": ``sum_m w_m p_m``; uniform ``w`` unless ``weights`` is given.
        - "weighted": the same with ``weights`` (with ``weights=None`` they are
          learned, as with ``weights="learn"``).
        - "product": weighted geometric mean ``prod_m p_m ** w_m``,
          renormalised; probabilities are floored at 1e-12 first so a single
          zero cannot veto a class.
        - "max": per class the largest probability over modalities,
          renormalised; ``weights`` are ignored.
        - "vote": each modality votes for its most probable class with weight
          ``w_m``; ``predict_proba`` is the share of (weighted) votes, ties go
          to the first class in ``classes_``.
        - "stacking": ``final_estimator`` is trained on out-of-fold
          probabilities of every modality (0 where the modality is absent)
          plus one presence indicator per modality; ``weights`` are ignored.
    weights : array-like of shape (n_estimators,), "learn" or None, \
            default=None
        Non-negative weight per estimator (normalised to sum 1), or "learn":
        the weights minimising the multiclass log loss of the fused
        out-of-fold probabilities over the probability simplex (SLSQP). For
        "product" the loss is that of the geometric pool, otherwise of the
        weighted mean (also used as vote weights for "vote"). "max" and
        "stacking" ignore weights, and refuse "learn" (a ``ValueError``).
    final_estimator : classifier, default=None
        Final classifier of "stacking"; None means ``LogisticRegression()``
        (with ``max_iter=1000``). Unused by the other rules.
    cv : int, cross-validation generator or iterable, default=5
        Splitting of the internal cross-validation that gives the out-of-fold
        probabilities, as in :func:`~sklearn.model_selection.check_cv`
        (stratified for an int). One split of all samples is shared by every
        modality; each modality then uses its present rows of each fold.
        Only run when needed: for learned weights and for stacking.
    n_jobs : int, default=None
        Number of jobs fitting the base estimators (modalities and folds) in
        parallel with joblib, on threads unless a ``joblib.parallel_config``
        context picks another backend; each fit runs one BLAS thread. None
        means 1 unless in a ``joblib.parallel_config`` context.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        base-estimator fits: one per modality, plus one per modality and
        fold of the internal cross-validation.
    all_missing : {"raise", "prior"}, default="raise"
        A sample whose every modality is missing (or unreadable, see the
        notes): "raise" a ``ValueError`` naming it; "prior": leave it out of
        ``fit`` and predict the training class prior ``class_prior_`` for it,
        with a warning.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Frequency of each class in the training targets.
    estimators_ : list of estimators
        The base estimators, each fitted on all rows where its modality is
        present (on the original labels ``y``).
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The fitted base estimators by name.
    weights_ : ndarray of shape (n_estimators,) or None
        The normalised weights used (learned, given, or uniform); None for
        "stacking".
    final_estimator_ : classifier
        The fitted final classifier (only for "stacking").
    modality_scores_ : dict or None
        Name -> out-of-fold accuracy of that modality alone over the samples
        where it is present (and got an out-of-fold prediction). None when
        the fusion rule needs no internal cross-validation (fixed weights).
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    sklearn.ensemble.VotingClassifier : Soft/hard voting of estimators that
        all see every feature.
    sklearn.ensemble.StackingClassifier : Stacking of estimators that all see
        every feature.

    Notes
    -----
    Missing modalities: a row of a modality's selection is missing when its
    cell is None, NaN, a pandas missing value or an empty list or tuple (a
    cell of several items holding none; for a multi-column selection: when
    all its cells are). Such a row is never shown to that modality's
    estimator, neither in ``fit`` nor in ``predict``, and fusion uses only the
    modalities present in each sample. Every row of ``X`` gets a prediction; a
    sample missing every modality follows ``all_missing``.

    Unreadable cells: the stateless front of a modality's ``Pipeline``
    (readers, extractors, pooling: steps tagged ``requires_fit=False``) runs
    first, step by step, in ``fit`` and in prediction. A sample that a step
    outputs as None (a reader with ``on_error="missing"`` that could not read
    the file) is missing for that modality from there on, as a missing cell
    is; one :class:`~skmm.exceptions.UnreadableSampleWarning` per call names
    those samples and their paths.

    Columns selected by name are looked up by name, as
    :class:`~sklearn.compose.ColumnTransformer` does: at prediction time
    ``X`` may hold them in another order and hold other columns too.

    Class labels that a modality never saw in training (absent from its
    present rows, or from a fold) get probability 0 from it. A modality whose
    present rows hold a single class is an error.

    ``decision_function`` is the log of the fused probabilities (for two
    classes, the log odds of the second class), or the final estimator's
    ``decision_function`` when stacking with a final estimator that has one.

    Under metadata routing, ``groups`` is requested by ``fit`` by default and
    reaches the internal cross-validation, so that a grouped outer search
    keeps groups intact inside too.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skmm.fusion import LateFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = rng.normal(size=(100, 4)) + y[:, None]
    >>> X[:10, :2] = np.nan  # the first modality is missing in 10 samples
    >>> late = LateFusionClassifier(
    ...     [("a", LogisticRegression(), [0, 1]), ("b", GaussianNB(), [2, 3])],
    ...     fusion="product",
    ... ).fit(X, y)
    >>> late.predict_proba(X).shape
    (100, 2)
    >>> late.predict_proba_per_modality(X[:2]).round(2)[:, :, 1]
    array([[ nan,  nan],
           [0.46, 0.75]])
    """

    _parameter_constraints: dict = {
        **_BaseLateFusion._parameter_constraints,
        "fusion": [
            StrOptions({"mean", "weighted", "product", "max", "vote", "stacking"})
        ],
    }

    @staticmethod
    def _default_final():
        return LogisticRegression(max_iter=1000)

    def _output_shape_tail(self):
        return (len(self.classes_),)

    def _align_output(self, estimator, proba):
        """Put a base estimator's probability columns in ``classes_`` order."""
        return align_proba(proba, estimator.classes_, self.classes_)

    _base_method = "predict_proba"
    _fusions_without_weights = ("max", "stacking")

    def _check_targets(self, y):
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        check_classification_targets(y)
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        counts = np.bincount(self._label_encoder.transform(y))
        self.class_prior_ = counts / counts.sum()
        return y

    def _modality_score(self, y, output):
        return float(np.mean(self.classes_[output.argmax(axis=1)] == y))

    def _learn_weights(self, oof, present, y):
        """Simplex weights minimising the log loss of the fused out-of-fold
        probabilities."""
        n_estimators = oof.shape[0]
        rows = present.any(axis=0)
        y_encoded = self._label_encoder.transform(y[rows])
        oof, present = oof[:, rows], present[:, rows]
        oof = np.nan_to_num(oof)
        pool = "product" if self.fusion == "product" else "mean"

        def loss(weights):
            proba = self._fuse(oof, present, np.maximum(weights, 0), pool)
            picked = proba[np.arange(len(y_encoded)), y_encoded]
            return -np.mean(np.log(np.maximum(picked, _PROBA_FLOOR)))

        start = np.full(n_estimators, 1.0 / n_estimators)
        result = minimize(
            loss,
            start,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * n_estimators,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
        )
        weights = np.clip(result.x, 0, None)
        if not np.isfinite(weights).all() or weights.sum() == 0:
            return start
        return weights / weights.sum()

    def _fuse(self, probas, present, weights, fusion):
        """Fused probabilities ``(n_samples, n_classes)`` of per-modality
        probabilities ``(n_estimators, n_samples, n_classes)``; the class
        prior for a sample without any modality."""
        empty = ~present.any(axis=0)
        if empty.any():
            fused = np.empty((present.shape[1], len(self.classes_)))
            fused[empty] = self.class_prior_
            fused[~empty] = self._fuse(
                probas[:, ~empty], present[:, ~empty], weights, fusion
            )
            return fused
        if fusion in ("mean", "weighted"):
            return self._weighted_mean(probas, present, weights)
        probas = np.nan_to_num(probas)
        w = self._pool_weights(weights, present)[:, :, None]
        if fusion == "product":
            log_pool = (w * np.log(np.maximum(probas, _PROBA_FLOOR))).sum(axis=0)
            log_pool -= log_pool.max(axis=1, keepdims=True)
            fused = np.exp(log_pool)
        elif fusion == "max":
            fused = np.where(present[:, :, None], probas, 0.0).max(axis=0)
        else:  # vote
            votes = np.zeros_like(probas)
            np.put_along_axis(votes, probas.argmax(axis=2)[:, :, None], 1.0, axis=2)
            return (w * votes).sum(axis=0)
        return fused / fused.sum(axis=1, keepdims=True)

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
        probas, _ = self._base_outputs(X)
        return probas

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X):
        """Fused class probabilities.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._proba_from(*self._base_outputs(X))

    def _proba_from(self, probas, present):
        """``predict_proba`` from the base estimators' outputs."""
        if self.fusion == "stacking":
            proba = self.final_estimator_.predict_proba(
                self._meta_features(probas, present)
            )
            proba[~present.any(axis=0)] = self.class_prior_
            return proba
        return self._fuse(probas, present, self.weights_, self.fusion)

    def decision_function(self, X):
        """Log fused probabilities, or the final estimator's decision function.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            For two classes, a 1-D score whose sign gives the second class.
        """
        return self._decision_from(*self._base_outputs(X))

    def _decision_from(self, probas, present):
        """``decision_function`` from the base estimators' outputs."""
        if self.fusion == "stacking":
            meta = self._meta_features(probas, present)
            empty = ~present.any(axis=0)
            if hasattr(self.final_estimator_, "decision_function") and not empty.any():
                return self.final_estimator_.decision_function(meta)
            proba = self.final_estimator_.predict_proba(meta)
            proba[empty] = self.class_prior_
        else:
            proba = self._fuse(probas, present, self.weights_, self.fusion)
        log_proba = np.log(np.maximum(proba, _PROBA_FLOOR))
        if log_proba.shape[1] == 2:
            return log_proba[:, 1] - log_proba[:, 0]
        return log_proba

    def predict(self, X):
        """Predicted class of each sample.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._predict_from(*self._base_outputs(X))

    def _predict_from(self, probas, present):
        """``predict`` from the base estimators' outputs."""
        if self.fusion == "stacking":
            y_pred = self.final_estimator_.predict(self._meta_features(probas, present))
            y_pred[~present.any(axis=0)] = self.classes_[self.class_prior_.argmax()]
            return y_pred
        fused = self._fuse(probas, present, self.weights_, self.fusion)
        return self.classes_[fused.argmax(axis=1)]


class LateFusionRegressor(RegressorMixin, _BaseLateFusion):
    """Late fusion of one regressor per modality.

    Each base estimator sees only its own column(s) of ``X`` and only the
    rows where they are present; the per-modality predictions are averaged
    (over the modalities present in each sample, weights renormalised) or
    fed to a final regressor (stacking).

    Parameters
    ----------
    estimators : list of (str, estimator, column) tuples
        Name, regressor, and the column(s) of ``X`` it sees, selected as
        :class:`~sklearn.compose.ColumnTransformer` does (see
        :class:`LateFusionClassifier`).
    fusion : {"mean", "weighted", "stacking"}, default="mean"
        "mean": (weighted) mean of the predictions, uniform unless
        ``weights`` is given; "weighted": the same with ``weights`` (learned
        when None); "stacking": ``final_estimator`` trained on out-of-fold
        predictions (0 where absent) plus a presence indicator per modality.
    weights : array-like of shape (n_estimators,), "learn" or None, \
            default=None
        Non-negative weights (normalised to sum 1), or "learn": non-negative
        least squares (``scipy.optimize.nnls``) of ``y`` on the out-of-fold
        predictions, renormalised to sum 1. For the fit, a modality's absent
        prediction is replaced by the mean of the sample's present ones.
        "stacking" ignores weights and refuses "learn" (a ``ValueError``).
    final_estimator : regressor, default=None
        Final regressor of "stacking"; None means ``RidgeCV()``.
    cv : int, cross-validation generator or iterable, default=5
        Internal cross-validation for learned weights and stacking (one split
        shared by all modalities).
    n_jobs : int, default=None
        Number of jobs fitting modalities and folds in parallel.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        base-estimator fits: one per modality, plus one per modality and
        fold of the internal cross-validation.
    all_missing : {"raise", "prior"}, default="raise"
        A sample whose every modality is missing: a ``ValueError`` naming
        it, or the training mean ``y_mean_`` with a warning.

    Attributes
    ----------
    y_mean_ : float
        Mean of the training targets.
    estimators_ : list of estimators
        The fitted base estimators.
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The fitted base estimators by name.
    weights_ : ndarray of shape (n_estimators,) or None
        The normalised weights used; None for "stacking".
    final_estimator_ : regressor
        The fitted final regressor (only for "stacking").
    modality_scores_ : dict or None
        Name -> out-of-fold R^2 of that modality alone over its present
        samples; None when no internal cross-validation ran.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    LateFusionClassifier : The same for classification, with more rules.
    sklearn.ensemble.StackingRegressor : Stacking of estimators that all see
        every feature.

    Notes
    -----
    Missing modalities are handled as in :class:`LateFusionClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skmm.fusion import LateFusionRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = X[:, 0] + 0.1 * rng.normal(size=100)
    >>> late = LateFusionRegressor(
    ...     [("good", LinearRegression(), [0]), ("noise", LinearRegression(), [1])],
    ...     weights="learn",
    ... ).fit(X, y)
    >>> bool(late.weights_[0] > 0.8)
    True
    """

    _parameter_constraints: dict = {
        **_BaseLateFusion._parameter_constraints,
        "fusion": [StrOptions({"mean", "weighted", "stacking"})],
    }

    @staticmethod
    def _default_final():
        return RidgeCV()

    def _output_shape_tail(self):
        return ()

    def _align_output(self, estimator, prediction):
        prediction = np.asarray(prediction, dtype=float)
        if prediction.ndim != 1:
            prediction = column_or_1d(prediction)
        return prediction

    _base_method = "predict"
    _fusions_without_weights = ("stacking",)

    def _check_targets(self, y):
        y = check_array(
            y, ensure_2d=False, dtype="numeric", estimator=self, input_name="y"
        )
        self.y_mean_ = float(np.mean(y))
        return y

    def _modality_score(self, y, output):
        return _r2(y, output)

    def _learn_weights(self, oof, present, y):
        """Non-negative least squares of ``y`` on the out-of-fold predictions
        (a sample's absent ones replaced by the mean of its present ones)."""
        n_estimators = oof.shape[0]
        rows = present.any(axis=0)
        oof, present = oof[:, rows], present[:, rows]
        row_mean = np.nanmean(np.where(present, oof, np.nan), axis=0)
        design = np.where(present, oof, row_mean).T
        weights, _ = nnls(design, y[rows])
        if weights.sum() > 0:
            return weights / weights.sum()
        return np.full(n_estimators, 1.0 / n_estimators)

    def predict_per_modality(self, X):
        """Each modality's prediction, NaN where it is absent.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        predictions : ndarray of shape (n_estimators, n_samples)
        """
        predictions, _ = self._base_outputs(X)
        return predictions

    def predict(self, X):
        """Fused prediction of each sample.

        Parameters
        ----------
        X : pandas DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._predict_from(*self._base_outputs(X))

    def _predict_from(self, predictions, present):
        """``predict`` from the base estimators' outputs."""
        if self.fusion == "stacking":
            y_pred = self.final_estimator_.predict(
                self._meta_features(predictions, present)
            )
        else:
            y_pred = self._weighted_mean(predictions, present, self.weights_)
        y_pred[~present.any(axis=0)] = self.y_mean_
        return y_pred


def _r2(y_true, y_pred):
    residual = np.sum((y_true - y_pred) ** 2)
    total = np.sum((y_true - y_true.mean()) ** 2)
    return float(1 - residual / total) if total > 0 else float("nan")
