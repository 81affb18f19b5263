"""Missing modalities in early fusion.

:class:`SkipMissing` runs a modality's transformer on the samples that hold
the modality and leaves NaN rows for the others; :class:`ModalityImputer`
fills those rows after the fusion and marks each missing block in an
indicator column.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils import check_array
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from skmm.base import (
    _describe_unread,
    _fitted_split,
    _join_front,
    _present_mask,
    _run_front,
    _split_front,
    _warn_unread,
    get_skmm_tags,
    with_input_kind,
)
from skmm.fusion._blocks import _BlockTransformer
from skmm.utils._validation import _is_missing

__all__ = ["ModalityImputer", "SkipMissing"]


class ModalityImputer(_BlockTransformer):
    """Fill missing modality blocks and add one missing-indicator per block.

    After early fusion with :class:`SkipMissing`, a sample whose modality was
    missing has a row of NaN in that modality's block. ``ModalityImputer``
    replaces every NaN by the column's training mean (or 0) and appends, for
    each block, a column that is 1 where the whole block was NaN (the
    modality was missing) and 0 elsewhere, so that a downstream model can
    learn how much to trust the imputed values.

    Parameters
    ----------
    transformer : ColumnTransformer, FeatureUnion or None, default=None
        Fitted first on the raw input; its layout gives the blocks, see
        :class:`BlockScaler`. Typically a ColumnTransformer over
        :class:`SkipMissing` pipelines.
    blocks : list of (str, slice or array-like), dict or None, default=None
        The blocks, see :class:`BlockScaler`.
    strategy : {"mean", "zero"}, default="mean"
        Fill each NaN with the column's mean over the training rows where it
        is present, or with 0.
    add_indicator : bool, default=True
        Append one indicator column per block.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``, when given.
    blocks_ : list of (str, ndarray of int)
        The resolved blocks.
    statistics_ : ndarray of shape (n_fused_features,)
        Fill value of each column (0 for a column never observed).
    missing_rate_ : ndarray of shape (n_blocks,)
        Fraction of training rows with the block missing.
    n_features_in_ : int
        Number of input features, when ``transformer`` is None.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input feature names, when the input had string column names.

    See Also
    --------
    SkipMissing : Run a modality's pipeline on its present rows only.
    sklearn.impute.SimpleImputer : Per-column imputation, one indicator per
        column rather than per modality.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.fusion import ModalityImputer
    >>> X = np.array([[1.0, 2.0, 5.0], [np.nan, np.nan, 7.0], [3.0, 4.0, np.nan]])
    >>> imputer = ModalityImputer(blocks=[("a", [0, 1]), ("b", [2])]).fit(X)
    >>> imputer.transform(X)
    array([[1., 2., 5., 0., 0.],
           [2., 3., 7., 1., 0.],
           [3., 4., 6., 0., 1.]])
    >>> imputer.get_feature_names_out().tolist()
    ['x0', 'x1', 'x2', 'a__missing', 'b__missing']
    """

    _allow_nan = True

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit_transform", "transform"]), None],
        "blocks": [list, dict, None],
        "strategy": [StrOptions({"mean", "zero"})],
        "add_indicator": ["boolean"],
    }

    def __init__(
        self, transformer=None, *, blocks=None, strategy="mean", add_indicator=True
    ):
        self.transformer = transformer
        self.blocks = blocks
        self.strategy = strategy
        self.add_indicator = add_indicator

    def _block_missing(self, nan):
        return np.column_stack(
            [nan[:, idx].all(axis=1) for _, idx in self.blocks_]
        ).astype(np.float64)

    def _learn(self, Z):
        nan = np.isnan(Z)
        if self.strategy == "zero":
            self.statistics_ = np.zeros(Z.shape[1])
        else:
            counts = (~nan).sum(axis=0)
            sums = np.where(nan, 0.0, Z).sum(axis=0, dtype=np.float64)
            self.statistics_ = sums / np.maximum(counts, 1)
        self.missing_rate_ = self._block_missing(nan).mean(axis=0)

    def _apply(self, Z):
        nan = np.isnan(Z)
        filled = np.where(nan, self.statistics_.astype(Z.dtype), Z)
        if not self.add_indicator:
            return filled
        return np.hstack([filled, self._block_missing(nan).astype(Z.dtype)])

    def get_feature_names_out(self, input_features=None):
        """The fused names, then ``{block}__missing`` for each block.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "statistics_")
        names = list(self._check_input_features(input_features))
        if self.add_indicator:
            names += [f"{name}__missing" for name, _ in self.blocks_]
        return np.asarray(names, dtype=object)


def _missing_rows(X):
    """Boolean mask of missing samples in a one-column raw input or 2-D array.

    A cell is missing when it is None, NaN, a pandas missing scalar or an
    empty list or tuple (a cell of several items holding none); a row
    of a 2-D numeric array is missing when all of it is NaN.
    """
    columns = getattr(X, "columns", None)
    if columns is not None:
        if len(columns) == 1:
            X = X.iloc[:, 0]
        else:
            return ~_present_mask(X)
    if isinstance(X, np.ndarray) and X.ndim == 2:
        if X.dtype.kind in "fc":
            return np.isnan(X).all(axis=1)
        return np.array([all(_is_missing(v) for v in row) for row in X], dtype=bool)
    return np.array([_is_missing(v) for v in X], dtype=bool)


def _is_cell_column(X):
    """True for one column of raw cells rather than a 2-D numeric array."""
    if isinstance(X, list | tuple):
        return True
    columns = getattr(X, "columns", None)
    if columns is not None:
        return len(columns) == 1 and X.dtypes.iloc[0].kind not in "biufc"
    if hasattr(X, "iloc"):
        return True
    return isinstance(X, np.ndarray) and X.dtype == object


def _take(X, rows):
    """Rows ``rows`` of ``X`` in its own container type."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    return [X[i] for i in rows]


def _cell_list(cells):
    """The cells of a one-column input as a list (None per row of a 2-D one)."""
    if getattr(cells, "ndim", 1) == 2:
        if hasattr(cells, "iloc") and cells.shape[1] == 1:
            return list(cells.iloc[:, 0])
        return [None] * len(cells)
    return list(cells)


def _stack_cells(X):
    """Present samples as rows of a 2-D float array (``transformer=None``)."""
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype != object:
        return check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
    cells = X.iloc[:, 0] if getattr(X, "ndim", 1) == 2 and hasattr(X, "iloc") else X
    rows = [np.ravel(np.asarray(cell, dtype=np.float64)) for cell in cells]
    return check_array(np.stack(rows) if rows else np.zeros((0, 0)), dtype=np.float64)


class SkipMissing(TransformerMixin, BaseEstimator):
    """Run a modality's transformer on its present samples; NaN rows for others.

    ``ColumnTransformer`` hands a modality's whole column to its pipeline,
    and skmm's extractors refuse missing cells. ``SkipMissing`` fits and
    runs ``transformer`` on the rows whose cell is present (not None, NaN or
    a pandas missing scalar) and puts a row of NaN where the cell is missing,
    keeping the rows in order. Follow the fusion with
    :class:`ModalityImputer`, which fills them and marks the missing
    modality.

    Parameters
    ----------
    transformer : estimator or None, default=None
        A transformer with fixed-width output (a modality pipeline ending in
        a vector per sample). None stacks the present cells (arrays of any
        shape, raveled, or the rows of a 2-D array) as they are: for columns
        of precomputed feature vectors.

    Attributes
    ----------
    transformer_ : estimator or None
        The fitted clone of ``transformer``, fitted on the present rows.
    n_features_out_ : int
        Output width.
    missing_rate_ : float
        Fraction of training samples that were missing.

    See Also
    --------
    ModalityImputer : Fill the NaN rows and add missing indicators.

    Notes
    -----
    A row of a 2-D numeric input is missing when it is all NaN (other NaN
    are passed to ``transformer``). The output
    is a dense float array, since missing rows are NaN rows: a sparse output
    of ``transformer`` (TF-IDF) is densified.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm.fusion import SkipMissing
    >>> cells = [np.array([1.0, 2.0]), None, np.array([3.0, 6.0])]
    >>> SkipMissing(StandardScaler()).fit_transform(cells)
    array([[-1., -1.],
           [nan, nan],
           [ 1.,  1.]])
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(self, transformer=None):
        self.transformer = transformer

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        if self.transformer is not None:
            inner = self.transformer.__sklearn_tags__()
            tags.input_tags.two_d_array = inner.input_tags.two_d_array
            tags.input_tags.one_d_array = inner.input_tags.one_d_array
            tags.input_tags.string = inner.input_tags.string
            tags = with_input_kind(tags, get_skmm_tags(self.transformer).input_kind)
        return tags

    def _present_output(self, X, fit, y=None):
        """Output rows of the samples of ``X`` that ``transformer`` could
        read, their positions in ``X``, and the readers' warnings.

        A pipeline's stateless front (see :func:`~skmm.base.is_stateless`)
        runs first, step by step: a sample that a reader could not read
        (None in its output) is missing from there on, as a missing cell.
        """
        kept, messages = np.arange(len(X)), []
        if self.transformer is None:
            return _stack_cells(X), kept, messages
        split = (_split_front if fit else _fitted_split)(self.transformer_)
        model = self.transformer_
        if split is not None:
            model = split[1]
            X, kept, messages = _run_front(split[0], X, y, fit=fit)
            if fit and y is not None:
                y = _take(y, kept)
        if not kept.size:
            if fit:
                raise ValueError(
                    "No present sample could be read: nothing to fit on. "
                    + " ".join(messages)
                )
            return np.zeros((0, self.n_features_out_)), kept, messages
        result = model.fit_transform(X, y) if fit else model.transform(X)
        if fit and split is not None:
            self.transformer_ = _join_front(self.transformer_, split[0], model)
        if isinstance(result, list):
            raise TypeError(
                f"{type(self.transformer_).__name__} returns one array per sample; "
                "SkipMissing needs a transformer with one fixed-width row per "
                "sample (end the pipeline with an encoder or pooling)."
            )
        if sp.issparse(result):
            result = result.toarray()
        return np.asarray(result, dtype=np.float64), kept, messages

    def _run(self, X, missing, fit, y=None):
        """The output of every sample: the transformer's on the present
        samples it could read, NaN rows for the others (with one warning
        naming the unreadable ones)."""
        present = np.flatnonzero(~missing)
        cells = _take(X, present)
        values, kept, messages = self._present_output(cells, fit, y)
        if kept.size < present.size:
            lost = np.setdiff1d(np.arange(present.size), kept)
            labels = list(X.index) if hasattr(X, "index") else None
            texts = _describe_unread(
                "input",
                present[lost],
                _cell_list(_take(X, present[lost])),
                labels,
                messages,
            )
            _warn_unread(
                [texts.replace("modality 'input': ", "")],
                f"SkipMissing.{'fit' if fit else 'transform'}",
                "are NaN rows, as missing samples are",
            )
        if fit:
            self.n_features_out_ = values.shape[1]
        out = np.full((len(missing), self.n_features_out_), np.nan)
        out[present[kept]] = values
        return out

    def _check_input(self, X, reset):
        if not _is_cell_column(X):
            # 2-D numeric input: validated as usual, NaN allowed; a row is
            # skipped when it is all NaN, other NaN go to the transformer.
            values = validate_data(
                self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=reset
            )
            return values, np.isnan(values).all(axis=1)
        return X, _missing_rows(X)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit on the present samples and transform all of ``X``.

        Parameters
        ----------
        X : list, pandas Series, one-column DataFrame or 2-D array
            One modality's samples, missing ones as None/NaN.
        y : array-like of shape (n_samples,), default=None
            Targets; the present samples' are passed to ``transformer``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out_), float64
            NaN rows for missing samples.
        """
        X, missing = self._check_input(X, reset=True)
        present = np.flatnonzero(~missing)
        if present.size == 0:
            raise ValueError("Every sample is missing: nothing to fit on.")
        self.missing_rate_ = float(missing.mean())
        self.transformer_ = (
            None if self.transformer is None else clone(self.transformer)
        )
        if y is not None and not hasattr(y, "iloc"):
            y = np.asarray(y)
        y_present = None if y is None else _take(y, present)
        return self._run(X, missing, True, y_present)

    def fit(self, X, y=None):
        """Fit ``transformer`` on the present samples.

        Parameters
        ----------
        X : list, pandas Series, one-column DataFrame or 2-D array
            One modality's samples, missing ones as None/NaN.
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SkipMissing
        """
        self.fit_transform(X, y)
        return self

    def transform(self, X):
        """Transform the present samples; NaN rows for the missing ones.

        Parameters
        ----------
        X : list, pandas Series, one-column DataFrame or 2-D array

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out_), float64
        """
        check_is_fitted(self, "n_features_out_")
        X, missing = self._check_input(X, reset=False)
        return self._run(X, missing, False)

    def get_feature_names_out(self, input_features=None):
        """The wrapped transformer's names (``x0, ...`` when it has none).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Passed to the wrapped transformer.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_out_")
        if self.transformer_ is None:
            if hasattr(self, "n_features_in_"):
                return _check_feature_names_in(self, input_features)
            return np.asarray(
                [f"x{i}" for i in range(self.n_features_out_)], dtype=object
            )
        if hasattr(self.transformer_, "get_feature_names_out"):
            return np.asarray(
                self.transformer_.get_feature_names_out(input_features), dtype=object
            )
        return np.asarray([f"x{i}" for i in range(self.n_features_out_)], dtype=object)
