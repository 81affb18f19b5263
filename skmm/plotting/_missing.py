"""Score of a fitted multimodal model as one modality goes missing."""

import numbers

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skmm.plotting._base import _axes, _check_matplotlib

_DEFAULT_RATES = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)


def _score_name(estimator, scoring):
    if scoring is None:
        if is_classifier(estimator):
            return "Accuracy"
        if is_regressor(estimator):
            return "R^2"
        return "Score"
    if isinstance(scoring, str):
        return scoring.replace("_", " ").capitalize()
    return getattr(scoring, "__name__", "Score").replace("_", " ").capitalize()


def _check_rates(rates):
    rates = np.asarray(rates, dtype=float)
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError(f"rates must be a non-empty 1-D sequence, got {rates!r}.")
    if not np.all(np.isfinite(rates)) or rates.min() < 0 or rates.max() > 1:
        raise ValueError(f"rates must lie in [0, 1], got {rates.tolist()}.")
    return rates


class MissingModalityDisplay:
    """Score of a fitted model against the missing rate of each modality.

    One line per modality: at missing rate ``r``, a fraction ``r`` of that
    modality's cells are set to None (the other modalities untouched) and
    the fitted model is scored on the result.

    It is recommended to use :meth:`from_estimator` to create a display. All
    parameters are stored as attributes.

    Parameters
    ----------
    rates : ndarray of shape (n_rates,)
        Missing rates, the x values.
    scores : ndarray of shape (n_modalities, n_rates, n_repeats)
        Score at each rate for each modality and repeat.
    modalities : list of str
        The modality (column) of each line.
    score_name : str, default="Score"
        Label of the y axis.
    name : str, default=None
        Name of the model, shown in the y label.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per modality: the mean score over repeats at each rate.
    bands_ : list of matplotlib PolyCollection or None
        Mean plus or minus one standard deviation over repeats, one per
        modality; None with a single repeat.
    ax_ : matplotlib Axes
        Axes with the lines.
    figure_ : matplotlib Figure
        Figure containing the lines.

    See Also
    --------
    ModalityContributionDisplay : What each modality contributes to the
        decisions.
    skmm.fusion.LateFusionClassifier : A model that predicts samples missing
        a modality from the others.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.fusion import LateFusionClassifier
    >>> from skmm.plotting import MissingModalityDisplay
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = pd.DataFrame({"a": rng.normal(size=100) + 2 * y,
    ...                   "b": rng.normal(size=100) + y})
    >>> late = LateFusionClassifier(
    ...     [("a", LogisticRegression(), ["a"]), ("b", LogisticRegression(), ["b"])]
    ... ).fit(X, y)
    >>> display = MissingModalityDisplay.from_estimator(
    ...     late, X, y, rates=[0, 0.5, 1], random_state=0)  # doctest: +SKIP
    >>> display.scores.shape  # doctest: +SKIP
    (2, 3, 1)
    """

    def __init__(self, rates, scores, modalities, *, score_name="Score", name=None):
        self.rates = rates
        self.scores = scores
        self.modalities = modalities
        self.score_name = score_name
        self.name = name

    def plot(self, ax=None, *, name=None, line_kwargs=None, band_kwargs=None):
        """Plot one line per modality.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        name : str, default=None
            Name of the model for the y label; ``self.name`` when None.
        line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot``, for every line.
        band_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``fill_between`` for the
            standard deviation bands (drawn with more than one repeat).

        Returns
        -------
        display : MissingModalityDisplay
        """
        ax, figure = _axes(ax, f"{type(self).__name__}.plot")
        name = self.name if name is None else name
        rates = np.asarray(self.rates, dtype=float)
        scores = np.asarray(self.scores, dtype=float)
        expected = (len(self.modalities), len(rates))
        if scores.ndim != 3 or scores.shape[:2] != expected:
            raise ValueError(
                f"scores has shape {scores.shape}, expected (n_modalities, "
                f"n_rates, n_repeats) with (n_modalities, n_rates) = {expected}."
            )
        mean = scores.mean(axis=2)
        std = scores.std(axis=2)
        self.lines_ = []
        self.bands_ = [] if scores.shape[2] > 1 else None
        for modality, m_mean, m_std in zip(self.modalities, mean, std, strict=True):
            kwargs = _validate_style_kwargs(
                {"marker": "o", "label": str(modality)}, line_kwargs or {}
            )
            (line,) = ax.plot(rates, m_mean, **kwargs)
            self.lines_.append(line)
            if self.bands_ is not None:
                band = _validate_style_kwargs(
                    {"alpha": 0.2, "color": line.get_color(), "linewidth": 0},
                    band_kwargs or {},
                )
                self.bands_.append(
                    ax.fill_between(rates, m_mean - m_std, m_std + m_mean, **band)
                )
        # A short title, so that displays side by side keep theirs apart; the
        # model's name goes to the y label.
        ylabel = self.score_name if name is None else f"{self.score_name} ({name})"
        ax.set(
            xlabel="Missing rate of the modality",
            ylabel=ylabel,
            xlim=(-0.02, 1.02),
            title="Missing modalities",
        )
        ax.legend(title="Missing modality")
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        modalities=None,
        rates=_DEFAULT_RATES,
        scoring=None,
        n_repeats=1,
        random_state=None,
        name=None,
        ax=None,
        line_kwargs=None,
        band_kwargs=None,
    ):
        """Score a fitted model with one modality missing at several rates.

        For each modality (in order) and each repeat, one random permutation
        ``order`` of the rows is drawn (``rng.permutation(n_samples)`` with
        ``rng = check_random_state(random_state)``); at rate ``r`` the cells
        of the rows ``order[:round(r * n_samples)]`` in that modality's
        column are set to None. The missing rows of a lower rate are thus a
        subset of those of a higher one, so the curves show the effect of
        the rate rather than of the draw. Cells that were already missing
        stay missing. A missing cell is None in an object column and NaN in
        a numeric one.

        Parameters
        ----------
        estimator : estimator
            Fitted model that predicts every row of ``X`` whatever its
            missing cells, such as :class:`~skmm.fusion.LateFusionClassifier`.
        X : pandas DataFrame of shape (n_samples, n_columns)
            Evaluation data, one column per modality. Not modified.
        y : array-like of shape (n_samples,)
            True targets.
        modalities : list of str, default=None
            Columns of ``X`` to remove, one line each; all columns when None.
        rates : array-like of float in [0, 1], \
                default=(0, 0.1, 0.3, 0.5, 0.7, 0.9)
            Missing rates.
        scoring : str, callable or None, default=None
            As in :func:`sklearn.metrics.check_scoring`; the estimator's
            ``score`` (accuracy for a classifier) when None.
        n_repeats : int, default=1
            Random draws of the missing rows per modality; the line is the
            mean score, with a band of one standard deviation.
        random_state : int, RandomState instance or None, default=None
            Seeds the missing rows.
        name : str, default=None
            Name of the model for the y label; the class name when None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot``.
        band_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``fill_between``.

        Returns
        -------
        display : MissingModalityDisplay
        """
        import pandas as pd

        _check_matplotlib(f"{cls.__name__}.from_estimator")
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "X must be a pandas DataFrame with one column per modality; got "
                f"{type(X).__name__}."
            )
        if not hasattr(estimator, "predict"):
            raise TypeError(
                f"{cls.__name__}.from_estimator needs a fitted estimator with "
                f"predict; got {type(estimator).__name__}."
            )
        check_is_fitted(estimator)
        columns = list(X.columns)
        if modalities is None:
            modalities = columns
        elif isinstance(modalities, str):
            modalities = [modalities]
        modalities = list(modalities)
        unknown = [m for m in modalities if m not in columns]
        if unknown or not modalities:
            raise ValueError(
                f"Unknown modalities {unknown}; X has the columns {columns}."
                if unknown
                else "modalities must name at least one column of X."
            )
        rates = _check_rates(rates)
        if (
            not isinstance(n_repeats, numbers.Integral)
            or isinstance(n_repeats, bool)
            or n_repeats < 1
        ):
            raise ValueError(f"n_repeats must be a positive int, got {n_repeats!r}.")
        y = column_or_1d(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}.")
        scorer = check_scoring(estimator, scoring=scoring)
        rng = check_random_state(random_state)
        n_samples = len(X)
        scores = np.empty((len(modalities), len(rates), n_repeats))
        for m, modality in enumerate(modalities):
            position = columns.index(modality)
            # A numeric column becomes float with NaN for missing cells.
            numeric = pd.api.types.is_numeric_dtype(X[modality].dtype)
            for repeat in range(n_repeats):
                order = rng.permutation(n_samples)
                for r, rate in enumerate(rates):
                    X_missing = X.copy()
                    rows = order[: round(rate * n_samples)]
                    if rows.size:
                        column = X.iloc[:, position].to_numpy(
                            dtype=float if numeric else object, copy=True
                        )
                        column[rows] = np.nan if numeric else None
                        X_missing.isetitem(position, column)
                    scores[m, r, repeat] = scorer(estimator, X_missing, y)
        display = cls(
            rates,
            scores,
            modalities,
            score_name=_score_name(estimator, scoring),
            name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(ax=ax, line_kwargs=line_kwargs, band_kwargs=band_kwargs)
