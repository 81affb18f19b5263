"""Cells of several items: one batched call of a transformer, pooled back."""

import re
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import (
    PerSampleOutputMixin,
    _is_audio_pair,
    _wrap_vectors,
    get_skmm_tags,
    is_stateless,
    with_input_kind,
)
from skmm.compose._per_item_xp import DEVICE_STATS, pool_segments
from skmm.encode._pooling import STATS, _check_stats, pool_flat
from skmm.utils._device import array_module, is_cupy_array, to_numpy
from skmm.utils._validation import _as_column, _is_missing, _sample_label

__all__ = ["PerItem"]

_SAMPLE_IN_MESSAGE = re.compile(r"\bsample (\d+)\b")


def _is_item_list(cell):
    """True for a cell of several items: a list or tuple, except the
    ``(samples, sample_rate)`` pair that audio readers take as one item."""
    return isinstance(cell, list | tuple) and not _is_audio_pair(cell)


def _missing_cell_error(label, value, item=None):
    what = "an empty list" if isinstance(value, list | tuple) else repr(value)
    where = f"item {item} of {label}" if item is not None else label
    return ValueError(
        f"{where} is missing ({what}); PerItem needs at least one item in "
        "every cell. Let LateFusionClassifier (or LateFusionRegressor) or "
        "SkipMissing hold this modality's pipeline: they treat None, NaN and "
        "empty lists as a missing modality for that row before PerItem sees it."
    )


def flatten_cells(X):
    """All items of a column of cells, and where each sample's items lie.

    Parameters
    ----------
    X : list, tuple, 1-D array, pandas Series or one-column DataFrame
        One cell per sample: one item, or a list or tuple of items.

    Returns
    -------
    items : list
        The items of every cell, in row order.
    offsets : ndarray of shape (n_samples + 1,), int64
        Sample ``i``'s items are ``items[offsets[i]:offsets[i + 1]]``.
    labels : list or None
        The pandas index labels of the samples, or None.
    """
    cells, labels = _as_column(X, kind="cell")
    items, counts = [], []
    for position, cell in enumerate(cells):
        label = _sample_label(position, labels)
        if _is_missing(cell):
            raise _missing_cell_error(label, cell)
        cell_items = list(cell) if _is_item_list(cell) else [cell]
        for index, item in enumerate(cell_items):
            if _is_missing(item):
                raise _missing_cell_error(label, item, item=index)
        items.extend(cell_items)
        counts.append(len(cell_items))
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return items, offsets, labels


@contextmanager
def _rows_named(offsets, labels):
    """Re-raise an error of the transformer that names "sample k" of the
    flattened batch of items, of the same type, saying which row and item
    that is (errors naming no sample, or of a type that cannot be rebuilt
    from a message, pass unchanged)."""
    try:
        yield
    except Exception as exc:
        match = _SAMPLE_IN_MESSAGE.search(str(exc))
        flat = None if match is None else int(match.group(1))
        if isinstance(exc, Warning) or flat is None or flat >= offsets[-1]:
            raise
        row = int(np.searchsorted(offsets, flat, side="right")) - 1
        n_items = offsets[row + 1] - offsets[row]
        note = (
            f"In PerItem's batch of items, sample {flat} is item "
            f"{flat - offsets[row]} of {n_items} of "
            f"{_sample_label(row, labels)}: "
        )
        try:
            named = type(exc)(note + str(exc))
        except Exception:
            raise exc from None
        raise named from exc


class PerItem(PerSampleOutputMixin, TransformerMixin, BaseEstimator):
    """Apply a transformer to cells holding one item or a list of items.

    A cell of a multimodal table may hold several items for one sample: the
    photos of a product, the clips of a scene. ``PerItem`` flattens the items
    of every cell of a batch into one list, calls ``transformer`` once on it
    (so batched kernels stay batched), and pools each sample's item vectors
    back into one row. Single-item cells (a path, an array, a string) and
    list cells mix in one column; rows keep their order.

    Parameters
    ----------
    transformer : estimator
        Maps a list of items to one row per item (a 2-D array or sparse
        matrix), or to one array per item (a descriptor set each), such as a
        ``Pipeline`` of a reader and an extractor.
    pooling : {"mean", "std", "var", "min", "max", "median", "skew", \
"kurtosis"}, list of them, or None, default="mean"
        How a sample's item vectors become one row: a statistic, or a list
        of statistics whose blocks are concatenated (stat-major, as
        :class:`~skmm.encode.StatsPooling`). None returns, per sample, the
        ``(n_items, n_features)`` array of its item vectors (a descriptor
        set, for any :mod:`skmm.encode` encoder); when ``transformer``
        outputs a descriptor set per item, None stacks the sets of a
        sample's items into one.

    Attributes
    ----------
    transformer_ : estimator
        ``transformer`` fitted on the items of the training cells (each item
        with its sample's target, when ``y`` is given).

    See Also
    --------
    skmm.encode.StatsPooling : The same statistics over a descriptor set.
    skmm.fusion.LateFusionClassifier : Routes rows whose cell is missing
        (None, NaN, an empty list) around a modality.
    skmm.fusion.SkipMissing : The same for early fusion.

    Notes
    -----
    A cell is a list or tuple of items, or one item. A tuple ``(samples,
    sample_rate)`` of an array and a number is one audio item, as
    :class:`~skmm.audio.AudioReader` reads it. A missing cell (None, NaN,
    an empty list) or a missing item raises a ``ValueError`` naming the row:
    wrap the pipeline in :class:`~skmm.fusion.LateFusionClassifier` or
    :class:`~skmm.fusion.SkipMissing` to treat those rows as missing. An
    error of ``transformer`` that names "sample k" of the flattened batch is
    re-raised with the row and item it is.

    Item vectors on a GPU (a transformer with ``device="cuda"`` returns
    CuPy arrays) are pooled there: "mean", "std", "var", "min" and "max" in
    array code, other statistics through the host; the output stays on the
    device.

    ``PerItem`` is stateless (its tags say ``requires_fit=False``) exactly
    when ``transformer`` is (:func:`skmm.base.is_stateless`): then
    ``transform`` works unfitted. Sparse item vectors (TF-IDF of several
    captions) stay sparse with ``pooling="mean"``; other statistics densify
    them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skmm.compose import PerItem
    >>> first = FunctionTransformer(lambda items: np.array([[v[0]] for v in items]))
    >>> cells = [np.array([1.0]), [np.array([2.0]), np.array([4.0])]]
    >>> PerItem(first, pooling=["mean", "max"]).fit_transform(cells)
    array([[1., 1.],
           [3., 4.]])
    >>> [s.shape for s in PerItem(first, pooling=None).fit_transform(cells)]
    [(1, 1), (2, 1)]
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"])],
        "pooling": [StrOptions(set(STATS)), list, tuple, None],
    }

    def __init__(self, transformer, *, pooling="mean"):
        self.transformer = transformer
        self.pooling = pooling

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = not is_stateless(self.transformer)
        kind = get_skmm_tags(self.transformer).input_kind
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        tags = with_input_kind(tags, kind)
        return tags

    def _stats(self):
        return None if self.pooling is None else _check_stats(self.pooling)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``transformer`` on all the items of the cells, in
        one call.

        Parameters
        ----------
        X : list, tuple, 1-D array, pandas Series or one-column DataFrame
            The training cells, each one item or a list or tuple of them.
        y : array-like of shape (n_samples,) or None, default=None
            One target per cell, repeated for each of its items.
        **fit_params : dict
            Passed to ``transformer.fit``.

        Returns
        -------
        self : object
        """
        self._fit(X, y, **fit_params)
        return self

    @_wrap_vectors
    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None, **fit_params):
        """Fit ``transformer`` on the items and pool its output per sample.

        Parameters
        ----------
        X : list, tuple, 1-D array, pandas Series or one-column DataFrame
            One cell per sample: one item or a list or tuple of items.
        y : array-like of shape (n_samples,) or None, default=None
            Targets; each item gets its sample's.
        **fit_params : dict
            Passed to ``transformer.fit_transform``.

        Returns
        -------
        X_out : ndarray or sparse matrix of shape (n_samples, n_features_out) \
or list of ndarray
            As :meth:`transform`.
        """
        return self._fit(X, y, output=True, **fit_params)

    def _fit(self, X, y=None, output=False, **fit_params):
        stats = self._stats()
        items, offsets, labels = flatten_cells(X)
        item_y = None
        if y is not None:
            y = np.asarray(y)
            if len(y) != len(offsets) - 1:
                raise ValueError(
                    f"X has {len(offsets) - 1} samples but y has {len(y)}."
                )
            item_y = np.repeat(y, np.diff(offsets), axis=0)
        transformer = clone(self.transformer)
        with _rows_named(offsets, labels):
            if output:
                Z = transformer.fit_transform(items, item_y, **fit_params)
            else:
                transformer.fit(items, item_y, **fit_params)
        self.transformer_ = transformer
        if output:
            return self._pool(Z, offsets, stats)
        return None

    def transform(self, X):
        """Transform all items in one call and pool them per sample.

        Parameters
        ----------
        X : list, tuple, 1-D array, pandas Series or one-column DataFrame
            One cell per sample: one item or a list or tuple of items.

        Returns
        -------
        X_out : ndarray or sparse matrix of shape (n_samples, n_features_out) \
or list of ndarray
            Pooled item vectors, one row per sample; with ``pooling=None``,
            one ``(n_items, n_features)`` array per sample.
        """
        stats = self._stats()
        items, offsets, labels = flatten_cells(X)
        fitted = hasattr(self, "transformer_")
        if not fitted and not is_stateless(self.transformer):
            check_is_fitted(self)
        with _rows_named(offsets, labels):
            if fitted:
                Z = self.transformer_.transform(items)
            else:
                # Stateless: fitting learns nothing, so a fresh clone gives
                # what a fitted PerItem would.
                Z = clone(self.transformer).fit(items).transform(items)
        return self._pool(Z, offsets, stats)

    def _pool(self, Z, offsets, stats):
        n_items = int(offsets[-1])
        if hasattr(Z, "to_numpy"):
            Z = Z.to_numpy()
        if len(Z) != n_items if isinstance(Z, list) else Z.shape[0] != n_items:
            raise ValueError(
                f"{type(self.transformer).__name__} returned {len(Z)} rows for "
                f"{n_items} items; PerItem needs one output per item."
            )
        bounds = list(zip(offsets[:-1], offsets[1:], strict=True))
        if isinstance(Z, list):
            if stats is not None:
                raise ValueError(
                    f"{type(self.transformer).__name__} returns one array per "
                    "item (descriptor sets); pool them with pooling=None, which "
                    "stacks each sample's sets, and an encoder of skmm.encode."
                )
            return [
                np.concatenate([np.atleast_2d(np.asarray(z)) for z in Z[a:b]])
                for a, b in bounds
            ]
        if stats is None:
            if sp.issparse(Z):
                Z = Z.toarray()
            if not is_cupy_array(Z):
                Z = np.asarray(Z)
            return [Z[a:b] for a, b in bounds]
        if sp.issparse(Z) and stats == ("mean",):
            counts = np.diff(offsets)
            means = sp.csr_matrix(
                (
                    np.repeat(1.0 / np.maximum(counts, 1), counts),
                    np.arange(n_items),
                    offsets,
                ),
                shape=(len(counts), n_items),
            )
            return (means @ sp.csr_matrix(Z)).asformat(Z.format)
        if is_cupy_array(Z):
            return self._pool_on_device(Z, offsets, stats)
        if sp.issparse(Z):
            Z = Z.toarray()
        Z = np.asarray(Z)
        if Z.ndim != 2:
            raise ValueError(
                f"{type(self.transformer).__name__} returned an array of shape "
                f"{Z.shape}; PerItem pools 2-D outputs (one row per item)."
            )
        if len(offsets) == 1:
            return np.zeros((0, len(stats) * Z.shape[1]))
        return pool_flat(Z, offsets, stats)

    def _pool_on_device(self, Z, offsets, stats):
        """Pooling of CuPy item vectors, which stay on the device."""
        if Z.ndim != 2:
            raise ValueError(
                f"{type(self.transformer).__name__} returned an array of shape "
                f"{Z.shape}; PerItem pools 2-D outputs (one row per item)."
            )
        if all(stat in DEVICE_STATS for stat in stats):
            return pool_segments(Z, offsets, stats)
        xp = array_module(Z)
        return xp.asarray(pool_flat(to_numpy(Z), offsets, stats))

    def get_feature_names_out(self, input_features=None):
        """The transformer's feature names, suffixed by the statistic
        (``hog0_mean``, ..., ``hog0_max``, ...); unchanged with
        ``pooling=None``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Passed to the transformer's ``get_feature_names_out``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = self.transformer_.get_feature_names_out(input_features)
        stats = self._stats()
        if stats is None:
            return np.asarray(names, dtype=object)
        return np.asarray(
            [f"{name}_{stat}" for stat in stats for name in names], dtype=object
        )
