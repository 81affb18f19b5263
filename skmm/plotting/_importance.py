"""Modality importance of a fitted model, as bars."""

import numpy as np
from sklearn.utils._plotting import _validate_style_kwargs

from skmm.plotting._base import _axes, _check_matplotlib

_STRATEGY_LABELS = {
    "permute": "Drop in score with the modality permuted",
    "drop": "Drop in score with the modality missing",
}


class ModalityImportanceDisplay:
    """Importance of each modality of a fitted model, as horizontal bars.

    Each bar is a modality's mean drop in score when it is taken away (see
    :func:`~skmm.inspection.modality_importance`), with its standard
    deviation over the repeats as an error bar and every repeat as a dot.

    It is recommended to use :meth:`from_estimator` or :meth:`from_result`
    to create a display. All parameters are stored as attributes.

    Parameters
    ----------
    modality_names : list of str
        Name of each modality.
    importances : ndarray of shape (n_modalities, n_repeats)
        Drop in score of each modality at each repeat.
    baseline_score : float, default=None
        Score with nothing taken away, shown in the title.
    strategy : {"permute", "drop"}, default="permute"
        How the modalities were taken away, for the x label.
    name : str, default=None
        Name of the model, shown in the title.

    Attributes
    ----------
    importances_mean : ndarray of shape (n_modalities,)
        Mean of ``importances`` over the repeats.
    importances_std : ndarray of shape (n_modalities,)
        Its standard deviation.
    bars_ : matplotlib BarContainer
        The bars.
    repeats_ : matplotlib PathCollection
        One dot per modality and repeat.
    ax_ : matplotlib Axes
        Axes with the bars.
    figure_ : matplotlib Figure
        Figure containing the bars.

    See Also
    --------
    skmm.inspection.modality_importance : The numbers drawn.
    ModalityContributionDisplay : Accuracy alone, weights and decisive share
        of each modality of a late fusion.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.fusion import LateFusionClassifier
    >>> from skmm.plotting import ModalityImportanceDisplay
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 100)
    >>> X = rng.normal(size=(200, 4)) + np.outer(y, [2.0, 2.0, 0.0, 0.0])
    >>> late = LateFusionClassifier(
    ...     [("signal", LogisticRegression(), [0, 1]),
    ...      ("noise", LogisticRegression(), [2, 3])],
    ... ).fit(X, y)
    >>> display = ModalityImportanceDisplay.from_estimator(
    ...     late, X, y, random_state=0)  # doctest: +SKIP
    >>> display.importances_mean.round(2)  # doctest: +SKIP
    array([0.41, 0.  ])
    """

    def __init__(
        self,
        modality_names,
        importances,
        *,
        baseline_score=None,
        strategy="permute",
        name=None,
    ):
        self.modality_names = modality_names
        self.importances = importances
        self.baseline_score = baseline_score
        self.strategy = strategy
        self.name = name

    @property
    def importances_mean(self):
        """Mean drop in score per modality."""
        return np.asarray(self.importances, dtype=float).mean(axis=1)

    @property
    def importances_std(self):
        """Standard deviation of the drop per modality."""
        return np.asarray(self.importances, dtype=float).std(axis=1)

    def plot(self, ax=None, *, name=None, bar_kwargs=None, repeat_kwargs=None):
        """Plot the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        name : str, default=None
            Name of the model for the title; ``self.name`` when None.
        bar_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``barh``.
        repeat_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``scatter`` for the repeats.

        Returns
        -------
        display : ModalityImportanceDisplay
        """
        importances = np.asarray(self.importances, dtype=float)
        n_modalities = len(self.modality_names)
        if importances.ndim != 2 or importances.shape[0] != n_modalities:
            raise ValueError(
                f"importances has shape {importances.shape}, expected "
                f"(n_modalities, n_repeats) with n_modalities={n_modalities}."
            )
        if self.strategy not in _STRATEGY_LABELS:
            raise ValueError(
                f"strategy must be one of {sorted(_STRATEGY_LABELS)}, got "
                f"{self.strategy!r}."
            )
        ax, figure = _axes(ax, f"{type(self).__name__}.plot")
        name = self.name if name is None else name
        # Most important on top.
        positions = np.arange(n_modalities)[::-1]
        kwargs = _validate_style_kwargs(
            {"xerr": importances.std(axis=1), "color": "tab:blue", "alpha": 0.7},
            bar_kwargs or {},
        )
        self.bars_ = ax.barh(positions, importances.mean(axis=1), **kwargs)
        kwargs = _validate_style_kwargs(
            {"color": "black", "s": 10, "zorder": 3}, repeat_kwargs or {}
        )
        self.repeats_ = ax.scatter(
            importances.ravel(),
            np.repeat(positions, importances.shape[1]),
            **kwargs,
        )
        ax.axvline(0.0, color="0.5", linewidth=0.8)
        title = "Modality importance"
        if name is not None:
            title = f"{title}: {name}"
        if self.baseline_score is not None:
            title = f"{title}\n(score {float(self.baseline_score):.3f})"
        ax.set(
            yticks=positions,
            yticklabels=list(self.modality_names),
            xlabel=_STRATEGY_LABELS[self.strategy],
            ylabel="Modality",
            title=title,
        )
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_result(
        cls,
        result,
        *,
        strategy="permute",
        name=None,
        ax=None,
        bar_kwargs=None,
        repeat_kwargs=None,
    ):
        """Plot what :func:`~skmm.inspection.modality_importance` returned.

        Parameters
        ----------
        result : :class:`~sklearn.utils.Bunch`
            One result (for several scorers, one value of the dict).
        strategy : {"permute", "drop"}, default="permute"
            The strategy that gave ``result``, for the x label.
        name : str, default=None
            Name of the model for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        bar_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``barh``.
        repeat_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``scatter``.

        Returns
        -------
        display : ModalityImportanceDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_result")
        if isinstance(result, dict) and "importances" not in result:
            raise TypeError(
                "result holds several scorers' results "
                f"({', '.join(map(str, result))}); pass one of them."
            )
        display = cls(
            list(result["modality_names"]),
            np.asarray(result["importances"], dtype=float),
            baseline_score=result.get("baseline_score"),
            strategy=strategy,
            name=name,
        )
        return display.plot(ax=ax, bar_kwargs=bar_kwargs, repeat_kwargs=repeat_kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        modalities=None,
        scoring=None,
        n_repeats=5,
        strategy="permute",
        random_state=None,
        n_jobs=None,
        name=None,
        ax=None,
        bar_kwargs=None,
        repeat_kwargs=None,
    ):
        """Compute and plot the modality importance of a fitted model.

        Parameters
        ----------
        estimator : estimator
            Fitted model on a multimodal table, as for
            :func:`~skmm.inspection.modality_importance`.
        X : pandas DataFrame or array-like of shape (n_samples, n_features)
            Evaluation data, held out from the fit for honest numbers.
        y : array-like of shape (n_samples,)
            Targets.
        modalities : dict of str to column(s), default=None
            Name -> column(s); read from the estimator when None.
        scoring : str or callable, default=None
            One scorer; None uses the estimator's ``score``.
        n_repeats : int, default=5
            Permutations per modality.
        strategy : {"permute", "drop"}, default="permute"
            Permute the modality's columns, or set them missing.
        random_state : int, RandomState instance or None, default=None
            Seeds the permutations.
        n_jobs : int, default=None
            Modalities scored in parallel.
        name : str, default=None
            Name of the model for the title; the class name when None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        bar_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``barh``.
        repeat_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``scatter``.

        Returns
        -------
        display : ModalityImportanceDisplay
        """
        from skmm.inspection import modality_importance

        _check_matplotlib(f"{cls.__name__}.from_estimator")
        if isinstance(scoring, list | tuple | set | dict):
            raise TypeError(
                f"{cls.__name__} draws one scorer; got several ({scoring!r})."
            )
        result = modality_importance(
            estimator,
            X,
            y,
            modalities=modalities,
            scoring=scoring,
            n_repeats=n_repeats,
            strategy=strategy,
            random_state=random_state,
            n_jobs=n_jobs,
        )
        return cls.from_result(
            result,
            strategy=strategy,
            name=type(estimator).__name__ if name is None else name,
            ax=ax,
            bar_kwargs=bar_kwargs,
            repeat_kwargs=repeat_kwargs,
        )
