"""Interpolated precision-recall curve of category retrieval."""

import numbers

import numpy as np
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skmm.plotting._base import _axes, _check_fitted_like, _check_matplotlib


def _prevalence(query_labels, database_labels):
    """Precision of a random ranking, averaged as the curve averages queries.

    A random ranking's precision at any depth is, in expectation, the
    fraction of the database that shares the query's label; queries without
    any such item take no part in the curve, nor here.
    """
    query_labels = column_or_1d(query_labels)
    database_labels = column_or_1d(database_labels)
    n_relevant = (database_labels[None, :] == query_labels[:, None]).sum(axis=1)
    n_relevant = n_relevant[n_relevant > 0]
    if n_relevant.size == 0:
        return None
    return float(n_relevant.mean() / database_labels.shape[0])


class RetrievalPrecisionRecallDisplay:
    """Interpolated precision-recall curve of retrieval, with its MAP.

    Relevant database items share the query's label; the curve is
    :func:`skmm.metrics.precision_recall_curve` (the highest precision at
    recall at least ``r``, averaged over queries) and the legend gives the
    mean average precision (:func:`skmm.metrics.mean_average_precision`).
    With ``plot_chance_level=True``, a horizontal line marks the precision of
    a random ranking: the fraction of the database relevant to a query,
    averaged over the queries the curve averages (those with a relevant
    item).

    It is recommended to use :meth:`from_estimator` or
    :meth:`from_predictions` to create a display. All parameters are stored
    as attributes. To compare methods or directions, draw several displays
    on one axes: pass ``ax=display.ax_`` to the next.

    Parameters
    ----------
    precision : ndarray of shape (n_points,)
        Interpolated precision at each recall level.
    recall : ndarray of shape (n_points,)
        Recall levels.
    mean_average_precision : float, default=None
        MAP, shown in the legend; None shows none.
    name : str, default=None
        Name of the curve in the legend.
    prevalence : float, default=None
        Precision of a random ranking, the chance level; None draws no
        chance line.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.
    chance_level_ : matplotlib Line2D or None
        The chance line; None when not drawn.
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    skmm.metrics.precision_recall_curve : The curve drawn.
    skmm.metrics.mean_average_precision : The MAP in the legend.
    skmm.retrieval.SemanticMatching : A retrieval estimator to draw.

    Examples
    --------
    >>> from skmm.plotting import RetrievalPrecisionRecallDisplay
    >>> display = RetrievalPrecisionRecallDisplay.from_predictions(
    ...     [0, 1], [0, 1, 0], [[0.9, 0.5, 0.1], [0.2, 0.8, 0.3]],
    ...     name="toy")  # doctest: +SKIP
    >>> round(display.mean_average_precision, 3)  # doctest: +SKIP
    0.917
    """

    def __init__(
        self,
        precision,
        recall,
        *,
        mean_average_precision=None,
        name=None,
        prevalence=None,
    ):
        self.precision = precision
        self.recall = recall
        self.mean_average_precision = mean_average_precision
        self.name = name
        self.prevalence = prevalence

    def plot(
        self,
        ax=None,
        *,
        name=None,
        curve_kwargs=None,
        plot_chance_level=False,
        chance_level_kw=None,
    ):
        """Plot the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None. Pass another
            display's ``ax_`` to draw several curves together.
        name : str, default=None
            Name of the curve in the legend; ``self.name`` when None.
        curve_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot``.
        plot_chance_level : bool, default=False
            Whether to draw the chance level, the precision of a random
            ranking (``prevalence``).
        chance_level_kw : dict, default=None
            Keyword arguments of matplotlib's ``axhline`` for the chance line.

        Returns
        -------
        display : RetrievalPrecisionRecallDisplay
        """
        if plot_chance_level and self.prevalence is None:
            raise ValueError(
                "plot_chance_level=True needs the prevalence: give prevalence= "
                "or create the display with from_predictions or from_estimator."
            )
        ax, figure = _axes(ax, f"{type(self).__name__}.plot")
        name = self.name if name is None else name
        precision = np.asarray(self.precision, dtype=float)
        recall = np.asarray(self.recall, dtype=float)
        if precision.shape != recall.shape or precision.ndim != 1:
            raise ValueError(
                f"precision {precision.shape} and recall {recall.shape} must be "
                "1-D of one length."
            )
        if self.mean_average_precision is None:
            label = name
        elif name is None:
            label = f"MAP = {self.mean_average_precision:.3f}"
        else:
            label = f"{name} (MAP = {self.mean_average_precision:.3f})"
        kwargs = _validate_style_kwargs(
            {"marker": "o", "label": label}, curve_kwargs or {}
        )
        (self.line_,) = ax.plot(recall, precision, **kwargs)
        self.chance_level_ = None
        if plot_chance_level:
            chance = _validate_style_kwargs(
                {
                    "color": "black",
                    "linestyle": "--",
                    "label": f"chance ({self.prevalence:.3f})",
                },
                chance_level_kw or {},
            )
            self.chance_level_ = ax.axhline(self.prevalence, **chance)
        # A short title, so that displays side by side keep theirs apart.
        ax.set(
            xlabel="Recall",
            ylabel="Interpolated precision",
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
            title="Precision-recall",
        )
        if kwargs.get("label") is not None or self.chance_level_ is not None:
            ax.legend(loc="upper right")
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_predictions(
        cls,
        query_labels,
        database_labels,
        scores=None,
        *,
        ranking=None,
        n_points=11,
        name=None,
        ax=None,
        curve_kwargs=None,
        plot_chance_level=False,
        chance_level_kw=None,
    ):
        """Plot the curve of ranked (or scored) retrieval results.

        Parameters
        ----------
        query_labels : array-like of shape (n_queries,)
            Label of each query.
        database_labels : array-like of shape (n_database,)
            Label of each database item.
        scores : array-like of shape (n_queries, n_database), default=None
            Similarity of each query to each database item, higher is better.
        ranking : array-like of int of shape (n_queries, k), default=None
            Database indices, best first, instead of ``scores``.
        n_points : int, default=11
            Number of recall levels (11: the classic 11-point curve).
        name : str, default=None
            Name of the curve in the legend.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        curve_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot``.
        plot_chance_level : bool, default=False
            Whether to draw the precision of a random ranking.
        chance_level_kw : dict, default=None
            Keyword arguments of matplotlib's ``axhline`` for the chance line.

        Returns
        -------
        display : RetrievalPrecisionRecallDisplay
        """
        from skmm.metrics import mean_average_precision, precision_recall_curve

        _check_matplotlib(f"{cls.__name__}.from_predictions")
        precision, recall = precision_recall_curve(
            query_labels,
            database_labels,
            scores,
            ranking=ranking,
            n_points=n_points,
        )
        average = mean_average_precision(
            query_labels, database_labels, scores, ranking=ranking
        )
        display = cls(
            precision,
            recall,
            mean_average_precision=average,
            name=name,
            prevalence=_prevalence(query_labels, database_labels),
        )
        return display.plot(
            ax=ax,
            curve_kwargs=curve_kwargs,
            plot_chance_level=plot_chance_level,
            chance_level_kw=chance_level_kw,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        query_modality=None,
        n_points=11,
        name=None,
        ax=None,
        curve_kwargs=None,
        plot_chance_level=False,
        chance_level_kw=None,
    ):
        """Plot the curve of a fitted cross-modal matching on a labelled table.

        As :meth:`~skmm.retrieval.SemanticMatching.score` does, each sample's
        item of the query modality queries the items of the other modality
        of all samples (samples lacking a modality take no part on its
        side); relevant items share the query's label. The MAP in the legend
        equals ``estimator.score(X, y, query_modality=...)`` for that
        direction.

        Parameters
        ----------
        estimator : CorrelationMatching, SemanticMatching or \
                SemanticCorrelationMatching
            Fitted cross-modal matching.
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Labelled evaluation table, as in the estimator's ``fit``.
        y : array-like of shape (n_samples,)
            Labels.
        query_modality : str, default=None
            Name of the queries' modality; the first modality when None (as
            in ``retrieve``). Draw the other direction with a second call.
        n_points : int, default=11
            Number of recall levels.
        name : str, default=None
            Name of the curve; ``"<Estimator>: <query> → <database>"`` when
            None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        curve_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot``.
        plot_chance_level : bool, default=False
            Whether to draw the precision of a random ranking.
        chance_level_kw : dict, default=None
            Keyword arguments of matplotlib's ``axhline`` for the chance line.

        Returns
        -------
        display : RetrievalPrecisionRecallDisplay
        """
        caller = f"{cls.__name__}.from_estimator"
        _check_matplotlib(caller)
        _check_fitted_like(
            estimator,
            ["_rank_table", "_index"],
            "a cross-modal matching of skmm.retrieval (CorrelationMatching, "
            "SemanticMatching or SemanticCorrelationMatching)",
            caller,
        )
        check_is_fitted(estimator)
        if not isinstance(n_points, numbers.Integral) or n_points < 2:
            raise ValueError(f"n_points must be an int >= 2, got {n_points!r}.")
        [(q, query_labels, database_labels, ranking)] = estimator._rank_table(
            X, y, (estimator._index(query_modality),)
        )
        names = estimator.modality_names_
        d = 1 - q
        if name is None:
            name = f"{type(estimator).__name__}: {names[q]} \u2192 {names[d]}"
        return cls.from_predictions(
            query_labels,
            database_labels,
            ranking=ranking,
            n_points=n_points,
            name=name,
            ax=ax,
            curve_kwargs=curve_kwargs,
            plot_chance_level=plot_chance_level,
            chance_level_kw=chance_level_kw,
        )
