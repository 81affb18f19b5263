"""Modality columns of a multimodal table: selection, missing cells, params.

Shared by the estimators that take ``(name, estimator, column)`` triples
(late fusion, cross-modal matching), in the manner of ColumnTransformer.
"""

import numbers

import numpy as np
from scipy.sparse import issparse
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_array,
)

from skmm.utils._validation import _is_missing, _pandas, _sample_label


def _is_dataframe(X):
    pd = _pandas()
    return pd is not None and isinstance(X, pd.DataFrame)


def _present_mask(Xm):
    """True for each row of a column selection that is not missing.

    A row of a multi-column selection is missing only when all its cells are.
    """
    if _is_dataframe(Xm) or (
        _pandas() is not None and isinstance(Xm, _pandas().Series)
    ):
        pd = _pandas()
        frame = Xm.to_frame() if isinstance(Xm, pd.Series) else Xm
        present = np.zeros(len(frame), dtype=bool)
        for _, column in frame.items():
            if pd.api.types.is_numeric_dtype(column.dtype):
                values = column.to_numpy(dtype=float, na_value=np.nan)
                present |= ~np.isnan(values)
            else:
                present |= np.fromiter(
                    (not _is_missing(v) for v in column), dtype=bool, count=len(column)
                )
        return present
    Xm = np.asarray(Xm)
    if Xm.ndim == 1:
        Xm = Xm[:, None]
    if Xm.dtype.kind in "fc":
        return ~np.isnan(Xm).all(axis=1)
    if Xm.dtype == object:
        missing = np.frompyfunc(_is_missing, 1, 1)(Xm).astype(bool)
        return ~missing.all(axis=1)
    return np.ones(Xm.shape[0], dtype=bool)


class _ModalityColumnsMixin(_BaseComposition):
    """``(name, estimator, column)`` triples held in ``self.<_steps_attr>``.

    Gives ``get_params``/``set_params`` with ``<name>__<param>`` access, and
    the checks and column selection of a multimodal table ``X``.
    """

    _steps_attr = "estimators"

    # -- parameters ---------------------------------------------------------

    @property
    def _estimators(self):
        """``(name, estimator)`` pairs, for ``_BaseComposition`` only."""
        steps = getattr(self, self._steps_attr)
        try:
            return [(name, est) for name, est, _ in steps]
        except (TypeError, ValueError):
            return steps

    @_estimators.setter
    def _estimators(self, value):
        steps = getattr(self, self._steps_attr)
        try:
            steps = [
                (name, est, column)
                for ((name, est), (_, _, column)) in zip(value, steps, strict=True)
            ]
        except (TypeError, ValueError):
            steps = value
        setattr(self, self._steps_attr, steps)

    def get_params(self, deep=True):
        """Get parameters, including those of the per-modality estimators.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the per-modality estimators, as
            ``<name>__<parameter>`` (and deeper, ``<name>__<step>__<param>``
            for a pipeline).

        Returns
        -------
        params : dict
        """
        return self._get_params("_estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, including ``<name>__<parameter>`` of the modalities.

        Parameters
        ----------
        **params : dict
            Estimator parameters; a per-modality estimator can be replaced by
            its name.

        Returns
        -------
        self : object
        """
        self._set_params("_estimators", **params)
        return self

    def _validate_triples(self):
        """Names, estimators and columns; checks the shape of the triples."""
        steps = getattr(self, self._steps_attr)
        if not steps or not all(
            isinstance(item, tuple | list)
            and len(item) == 3
            and isinstance(item[0], str)
            for item in steps
        ):
            raise ValueError(
                f"{self._steps_attr!r} should be a non-empty list of (name, "
                "estimator, column) tuples."
            )
        names, estimators, columns = zip(*steps, strict=True)
        self._validate_names(names)
        return list(names), list(estimators), list(columns)

    # -- input ----------------------------------------------------------------

    def _check_X(self, X, *, reset):
        if _is_dataframe(X):
            _check_feature_names(self, X, reset=reset)
            _check_n_features(self, X, reset=reset)
            return X
        if issparse(X):
            raise TypeError(
                f"{type(self).__name__} does not accept sparse X, but dense data "
                "is required; give a DataFrame with one column per modality or "
                "a dense 2-D array."
            )
        X = check_array(X, dtype=None, ensure_all_finite=False, estimator=self)
        _check_feature_names(self, X, reset=reset)
        _check_n_features(self, X, reset=reset)
        return X

    def _select(self, X, name, column):
        """Column(s) of X that estimator ``name`` sees, as ColumnTransformer does."""
        if callable(column):
            column = column(X)
        as_list = (
            [column] if isinstance(column, str | numbers.Integral) else column
        )
        if isinstance(as_list, list) and any(isinstance(c, str) for c in as_list):
            if not _is_dataframe(X):
                raise ValueError(
                    f"Estimator {name!r} selects column(s) {column!r} by name, "
                    f"which needs a pandas DataFrame; got {type(X).__name__}."
                )
            absent = [c for c in as_list if c not in X.columns]
            if absent:
                raise KeyError(
                    f"Estimator {name!r} needs column(s) {absent} that X lacks; "
                    f"X has columns {list(X.columns)}."
                )
        elif isinstance(as_list, list) and all(
            isinstance(c, numbers.Integral) and not isinstance(c, bool)
            for c in as_list
        ):
            n_columns = X.shape[1]
            out = [c for c in as_list if not -n_columns <= c < n_columns]
            if out:
                raise ValueError(
                    f"Estimator {name!r} selects column(s) {out}, but X has only "
                    f"{n_columns} columns."
                )
        Xm = _safe_indexing(X, column, axis=1)
        if Xm.ndim == 2 and Xm.shape[1] == 0:
            raise ValueError(f"Estimator {name!r} selects no column of X.")
        return Xm

    def _selections(self, X, names, columns, *, need="one"):
        """Per modality: the selection and its present rows.

        ``need="one"``: every row must hold at least one modality;
        ``need=None``: no check.
        """
        selections = [
            self._select(X, name, column)
            for name, column in zip(names, columns, strict=True)
        ]
        present = np.array([_present_mask(Xm) for Xm in selections])
        if need == "one":
            empty = np.flatnonzero(~present.any(axis=0))
            if empty.size:
                labels = list(X.index) if _is_dataframe(X) else None
                shown = ", ".join(_sample_label(i, labels) for i in empty[:5])
                more = f" and {empty.size - 5} more" if empty.size > 5 else ""
                raise ValueError(
                    f"Every modality ({', '.join(names)}) is missing in "
                    f"{shown}{more}; {type(self).__name__} needs at least one "
                    "per sample."
                )
        return selections, present
