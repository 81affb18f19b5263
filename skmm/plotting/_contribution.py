"""How much each modality of a late fusion contributes to its decisions."""

import numpy as np
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skmm.plotting._base import _axes, _check_fitted_like, _check_matplotlib

_METRIC_LABELS = {
    "accuracy": "accuracy alone",
    "weights": "fusion weight",
    "decisive_share": "decisive share",
}
# Drawn under the x label: the figure, not only the docstring, says what the
# least familiar of the three bars measures.
_DECISIVE_SHARE_CAPTION = (
    "decisive share: fraction of samples\n"
    "where only this modality predicted\n"
    "the fused class"
)


def _contributions(y_true, y_pred, modality_proba, classes):
    """Per-modality accuracy alone and decisive share; fused accuracy.

    ``modality_proba`` is ``(n_modalities, n_samples, n_classes)`` with NaN
    rows where a modality is absent.
    """
    present = ~np.isnan(modality_proba).any(axis=2)
    own = classes[np.nan_to_num(modality_proba).argmax(axis=2)]
    agrees = present & (own == y_pred[None, :])
    alone = agrees & (agrees.sum(axis=0) == 1)
    accuracy = np.array(
        [
            np.mean(own[m, rows] == y_true[rows]) if rows.any() else np.nan
            for m, rows in enumerate(present)
        ]
    )
    decisive_share = alone.mean(axis=1)
    fused_accuracy = float(np.mean(y_pred == y_true))
    return accuracy, decisive_share, fused_accuracy


class ModalityContributionDisplay:
    """Per-modality contribution to a late fusion's decisions, as bars.

    For each modality, three fractions side by side: its accuracy alone (on
    the samples that hold it), its weight in the fusion, and its *decisive
    share*: the fraction of all samples whose fused prediction agrees with
    this modality's own most probable class while every other modality
    present in the sample predicts another class, i.e. the decisions that
    this modality alone carried. A dashed line marks the fused accuracy.

    It is recommended to use :meth:`from_estimator` or
    :meth:`from_predictions` to create a display. All parameters are stored
    as attributes.

    Parameters
    ----------
    modality_names : list of str
        Name of each modality, in the order of the other arrays.
    accuracy : ndarray of shape (n_modalities,)
        Accuracy of each modality alone over the samples holding it (NaN
        when none does).
    decisive_share : ndarray of shape (n_modalities,)
        Fraction of all samples whose decision the modality alone carried.
    weights : ndarray of shape (n_modalities,), default=None
        Normalised fusion weights; None (as for stacking) draws no weight
        bars.
    fused_accuracy : float, default=None
        Accuracy of the fused prediction; None draws no line.
    name : str, default=None
        Name of the fused model, shown as the legend's title.

    Attributes
    ----------
    bars_ : dict of str to matplotlib BarContainer
        The bars of each quantity drawn: ``"accuracy"``,
        ``"decisive_share"`` and, when weights are given, ``"weights"``.
    fused_line_ : matplotlib Line2D or None
        The fused accuracy line.
    caption_ : matplotlib Text
        The definition of the decisive share, under the x label.
    ax_ : matplotlib Axes
        Axes with the bars.
    figure_ : matplotlib Figure
        Figure containing the bars.

    See Also
    --------
    skmm.fusion.LateFusionClassifier : The late fusion this display explains.
    MissingModalityDisplay : Score as one modality goes missing.

    Notes
    -----
    The decisive share counts only samples where exactly one present
    modality agrees with the fused prediction; a sample that holds a single
    modality counts for it when the fusion follows it (always, except for
    stacking). Samples where several modalities agree with the fused
    prediction, or none does (possible with "product" or stacking), count
    for no modality, so the shares sum to at most 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.fusion import LateFusionClassifier
    >>> from skmm.plotting import ModalityContributionDisplay
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = rng.normal(size=(100, 4)) + np.outer(y, [1.0, 1.0, 0.2, 0.2])
    >>> late = LateFusionClassifier(
    ...     [("strong", LogisticRegression(), [0, 1]),
    ...      ("weak", LogisticRegression(), [2, 3])],
    ...     weights="learn",
    ... ).fit(X, y)
    >>> display = ModalityContributionDisplay.from_estimator(
    ...     late, X, y)  # doctest: +SKIP
    >>> display.accuracy.round(2)  # doctest: +SKIP
    array([0.72, 0.52])
    """

    def __init__(
        self,
        modality_names,
        accuracy,
        decisive_share,
        *,
        weights=None,
        fused_accuracy=None,
        name=None,
    ):
        self.modality_names = modality_names
        self.accuracy = accuracy
        self.decisive_share = decisive_share
        self.weights = weights
        self.fused_accuracy = fused_accuracy
        self.name = name

    def plot(self, ax=None, *, name=None, bar_kwargs=None, fused_line_kwargs=None):
        """Plot the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        name : str, default=None
            Name of the fused model for the legend's title; ``self.name``
            when None.
        bar_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``bar``, for every group.
        fused_line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``axhline`` for the fused
            accuracy line.

        Returns
        -------
        display : ModalityContributionDisplay
        """
        ax, figure = _axes(ax, f"{type(self).__name__}.plot")
        name = self.name if name is None else name
        quantities = {"accuracy": self.accuracy}
        if self.weights is not None:
            quantities["weights"] = self.weights
        quantities["decisive_share"] = self.decisive_share
        n_modalities = len(self.modality_names)
        for key, values in quantities.items():
            if len(values) != n_modalities:
                raise ValueError(
                    f"{key} has {len(values)} values but there are "
                    f"{n_modalities} modalities."
                )
        positions = np.arange(n_modalities)
        width = 0.8 / len(quantities)
        self.bars_ = {}
        for k, (key, values) in enumerate(quantities.items()):
            kwargs = _validate_style_kwargs(
                {"label": _METRIC_LABELS[key]}, bar_kwargs or {}
            )
            offset = (k - (len(quantities) - 1) / 2) * width
            self.bars_[key] = ax.bar(
                positions + offset, np.asarray(values, dtype=float), width, **kwargs
            )
        self.fused_line_ = None
        if self.fused_accuracy is not None:
            kwargs = _validate_style_kwargs(
                {
                    "color": "black",
                    "linestyle": "--",
                    "label": f"fused accuracy ({self.fused_accuracy:.2f})",
                },
                fused_line_kwargs or {},
            )
            self.fused_line_ = ax.axhline(self.fused_accuracy, **kwargs)
        # A short title, so that displays side by side keep theirs apart; the
        # model's name heads the legend.
        ax.set(
            xticks=positions,
            xticklabels=list(self.modality_names),
            xlabel="Modality",
            ylabel="Fraction",
            ylim=(0, 1.3),
            yticks=np.linspace(0, 1, 6),
            title="Contributions",
        )
        ax.legend(
            loc="upper center",
            ncols=2,
            fontsize="small",
            title=name,
            title_fontsize="small",
        )
        self.caption_ = ax.annotate(
            _DECISIVE_SHARE_CAPTION,
            xy=(0.5, 0),
            xycoords=ax.xaxis.label,
            xytext=(0, -4),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize="small",
            color="0.3",
        )
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        modality_proba,
        *,
        classes,
        modality_names=None,
        weights=None,
        name=None,
        ax=None,
        bar_kwargs=None,
        fused_line_kwargs=None,
    ):
        """Plot the contributions from per-modality probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_pred : array-like of shape (n_samples,)
            Fused predictions.
        modality_proba : array-like of shape (n_modalities, n_samples, \
                n_classes)
            Each modality's class probabilities, NaN where the sample lacks
            the modality (as
            :meth:`~skmm.fusion.LateFusionClassifier.predict_proba_per_modality`
            returns).
        classes : array-like of shape (n_classes,)
            The labels of the probability columns.
        modality_names : list of str, default=None
            ``"modality 0"``, ``"modality 1"``, ... when None.
        weights : array-like of shape (n_modalities,), default=None
            Fusion weights to show.
        name : str, default=None
            Name of the fused model for the legend's title.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        bar_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``bar``.
        fused_line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``axhline``.

        Returns
        -------
        display : ModalityContributionDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")
        y_true = column_or_1d(y_true)
        y_pred = column_or_1d(y_pred)
        classes = column_or_1d(classes)
        proba = np.asarray(modality_proba, dtype=float)
        if proba.ndim != 3 or proba.shape[1:] != (len(y_true), len(classes)):
            raise ValueError(
                f"modality_proba has shape {proba.shape}, expected "
                f"(n_modalities, n_samples, n_classes) = (?, {len(y_true)}, "
                f"{len(classes)})."
            )
        if len(y_pred) != len(y_true):
            raise ValueError(
                f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}."
            )
        if modality_names is None:
            modality_names = [f"modality {m}" for m in range(proba.shape[0])]
        if len(modality_names) != proba.shape[0]:
            raise ValueError(
                f"{len(modality_names)} modality names for {proba.shape[0]} modalities."
            )
        accuracy, decisive_share, fused_accuracy = _contributions(
            y_true, y_pred, proba, classes
        )
        display = cls(
            list(modality_names),
            accuracy,
            decisive_share,
            weights=None if weights is None else np.asarray(weights, dtype=float),
            fused_accuracy=fused_accuracy,
            name=name,
        )
        return display.plot(
            ax=ax, bar_kwargs=bar_kwargs, fused_line_kwargs=fused_line_kwargs
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        name=None,
        ax=None,
        bar_kwargs=None,
        fused_line_kwargs=None,
    ):
        """Plot the contributions of a fitted late fusion on data ``(X, y)``.

        Parameters
        ----------
        estimator : LateFusionClassifier
            Fitted late fusion (anything with ``predict``,
            ``predict_proba_per_modality``, ``classes_`` and
            ``named_estimators_``).
        X : pandas DataFrame or array-like of shape (n_samples, n_features)
            Evaluation data, held out from the fit for honest numbers.
        y : array-like of shape (n_samples,)
            True labels.
        name : str, default=None
            Name of the fused model for the legend's title; the class name
            when None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        bar_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``bar``.
        fused_line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``axhline``.

        Returns
        -------
        display : ModalityContributionDisplay
        """
        caller = f"{cls.__name__}.from_estimator"
        _check_matplotlib(caller)
        _check_fitted_like(
            estimator,
            ["predict_proba_per_modality", "predict"],
            "a late fusion classifier such as skmm.fusion.LateFusionClassifier",
            caller,
        )
        check_is_fitted(estimator)
        proba = estimator.predict_proba_per_modality(X)
        y_pred = estimator.predict(X)
        return cls.from_predictions(
            y,
            y_pred,
            proba,
            classes=estimator.classes_,
            modality_names=list(estimator.named_estimators_),
            weights=getattr(estimator, "weights_", None),
            name=type(estimator).__name__ if name is None else name,
            ax=ax,
            bar_kwargs=bar_kwargs,
            fused_line_kwargs=fused_line_kwargs,
        )
