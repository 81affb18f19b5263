"""Input validation shared by every modality."""

import math
import numbers
import sys

import numpy as np

from skmm.utils._device import array_module, is_cupy_array


def _pandas():
    """pandas if something imported it, else None.

    Input can only be a pandas object (or hold pandas' missing-value scalars)
    once pandas is imported, so validation never imports it itself: pandas
    costs a fifth of a second at start-up.
    """
    return sys.modules.get("pandas")


def _is_missing(value):
    """True for None, NaN and pandas' missing-value scalars."""
    if value is None:
        return True
    pd = _pandas()
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return True
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and (math.isnan(value))
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
    pd = _pandas()
    if pd is not None and isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected one {kind} column, got a DataFrame with {X.shape[1]} "
                f"columns {list(X.columns)}; select one column first."
            )
        X = X.iloc[:, 0]
    if pd is not None and isinstance(X, pd.Series):
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


def _largest_encodable(dtype, n_local, n_features):
    """Largest magnitude a set of this shape and dtype may hold (see
    :func:`check_descriptor_sets`)."""
    headroom = 2.0**16
    per_set = float(np.finfo(np.float64).max) / (n_local * n_features)
    per_row = float(np.finfo(dtype).max) / n_features
    return math.sqrt(min(per_set, per_row) / headroom)


def check_descriptor_sets(X, *, n_features=None):
    """Validate descriptor sets and return them as a list of 2-D float arrays.

    Parameters
    ----------
    X : list, tuple, pandas Series, one-column DataFrame or 3-D ndarray
        One ``(n_local, n_features)`` array of local descriptors per sample. A
        3-D array ``(n_samples, n_local, n_features)`` is a batch of
        equal-sized sets. An empty set may be ``(0, n_features)`` or any
        empty array.
    n_features : int, default=None
        Required width of every set (the width seen in ``fit``); None takes
        the width of the first non-empty set.

    Returns
    -------
    sets : list of ndarray
        One C-contiguous 2-D array per sample: float32 where the input is
        float32, float64 otherwise (integers are converted). CuPy arrays
        stay CuPy arrays, on the GPU. Empty sets have
        shape ``(0, n_features)``.

    Raises
    ------
    ValueError
        If there are no sets at all; if a set is missing (None, NaN), is not
        2-D, holds NaN or infinity, has the wrong width, or holds values so
        large that encoding it would overflow (see Notes); the message names
        the sample.
    TypeError
        If a set is not numeric; the message names the sample.

    Notes
    -----
    Encoders square the descriptors' values and sum the squares (distances to
    codewords, variances, second-order Fisher statistics), over a set's
    values in float64 and over a descriptor's in the set's dtype. A set is
    refused when its largest magnitude ``m`` would bring such a sum within a
    factor ``2**16`` of overflow: ``m**2 * n_local * n_features`` past
    ``finfo(float64).max / 2**16``, or, for float32 sets, ``m**2 *
    n_features`` past ``finfo(float32).max / 2**16``. In float64 that is
    ``m`` above about ``1e148`` for a million values; rescale such
    descriptors. A 3-D batch is checked set by set, as a list is.
    """
    if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3:
        X = list(X)
    cells, labels = _as_column(X, kind="descriptor set")
    if not cells:
        raise ValueError(
            "Found 0 descriptor sets (no samples), while a minimum of 1 is "
            "required."
        )
    sets = []
    for position, cell in enumerate(cells):
        if _is_missing(cell):
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} is a missing "
                f"value ({cell!r}). Drop or impute missing samples, or let a "
                "late-fusion model route them around this estimator."
            )
        try:
            array = cell if is_cupy_array(cell) else np.asarray(cell)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Descriptor set {_sample_label(position, labels)} is not a "
                f"numeric array: {exc}"
            ) from None
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Descriptor set {_sample_label(position, labels)} has dtype "
                f"{array.dtype}; expected a numeric (float or integer) array."
            )
        dtype = np.float32 if array.dtype == np.float32 else np.float64
        if array.size == 0 and array.ndim != 2:
            sets.append(None)  # width filled in below
            continue
        if array.ndim != 2:
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} has shape "
                f"{array.shape}; expected a 2-D array (n_local, n_features)."
            )
        if n_features is None and array.shape[0] > 0:
            n_features = array.shape[1]
        if n_features is not None and array.shape[1] != n_features:
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} has "
                f"{array.shape[1]} features per descriptor; expected "
                f"{n_features}."
            )
        xp = array_module(array)
        array = xp.ascontiguousarray(array, dtype=dtype)
        if array.size:
            # Two reductions, no temporary: NaN propagates through both.
            high, low = float(array.max()), float(array.min())
            if not (math.isfinite(high) and math.isfinite(low)):
                raise ValueError(
                    f"Descriptor set {_sample_label(position, labels)} contains "
                    "NaN or infinity."
                )
            peak = max(high, -low)
            limit = _largest_encodable(dtype, *array.shape)
            if peak > limit:
                raise ValueError(
                    f"Descriptor set {_sample_label(position, labels)} holds "
                    f"values up to {peak:.3g} in magnitude; encoders sum their "
                    "squares, which would overflow. Rescale the descriptors "
                    f"(below {limit:.3g} for this set's size and dtype)."
                )
        sets.append(array)
    width = 0 if n_features is None else n_features
    xp = next((array_module(a) for a in sets if a is not None), np)
    for position, array in enumerate(sets):
        if array is None:
            sets[position] = xp.zeros((0, width), dtype=np.float64)
        elif array.shape[1] != width:
            # An empty (0, w) set seen before the first non-empty one.
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} has "
                f"{array.shape[1]} features per descriptor; expected {width}."
            )
    return sets
