"""Input validation shared by every modality."""

import math
import numbers

import numpy as np
import pandas as pd


def _is_missing(value):
    """True for None, NaN and pandas' missing-value scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and (
        math.isnan(value)
    )


def _sample_label(position, labels):
    """Name a sample by its position, and by its index label when it has one."""
    if labels is None or labels[position] == position:
        return f"sample {position}"
    return f"sample {position} (index label {labels[position]!r})"


def _as_column(X, *, kind):
    """Return ``(values, labels)`` for a one-column raw input.

    Accepts a list or tuple, a 1-D array, a pandas Series, a one-column
    DataFrame (what ``ColumnTransformer`` passes for a list of one column) or
    an ``(n, 1)`` array. ``labels`` is the pandas index as a list, or None.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected one {kind} column, got a DataFrame with {X.shape[1]} "
                f"columns {list(X.columns)}; select one column first."
            )
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return list(X.to_numpy(dtype=object)), list(X.index)
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                f"Expected a 1-D sequence of {kind} samples, got an array of "
                f"shape {X.shape}."
            )
        return list(X), None
    try:
        return list(X), None
    except TypeError:
        raise TypeError(
            f"Expected an iterable of {kind} samples, got {type(X).__name__}."
        ) from None


def check_documents(X):
    """Validate raw text input and return it as a list of ``str``.

    Parameters
    ----------
    X : iterable of str, pandas Series or one-column DataFrame
        One document per sample.

    Returns
    -------
    documents : list of str

    Raises
    ------
    ValueError
        If ``X`` is a single string, or a document is missing (None, NaN or
        pandas' NA); the message names the sample.
    TypeError
        If a document is not a string; the message names the sample.
    """
    if isinstance(X, str | bytes):
        raise ValueError(
            "Iterable over raw text documents expected, string object received."
        )
    documents, labels = _as_column(X, kind="text")
    for position, document in enumerate(documents):
        if isinstance(document, str):
            continue
        name = _sample_label(position, labels)
        if _is_missing(document):
            raise ValueError(
                f"Text {name} is a missing value ({document!r}). Drop or impute "
                "missing documents, or let a late-fusion model route samples "
                "without text around this estimator."
            )
        raise TypeError(
            f"Text {name} is of type {type(document).__name__}; expected str."
        )
    return documents
