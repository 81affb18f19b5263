"""Blocks of a fused feature matrix, and the base of the block estimators.

A ``ColumnTransformer`` (or ``FeatureUnion``) over per-modality pipelines
concatenates each modality's features side by side. The estimators here treat
that matrix as a list of *blocks*, one per modality: :class:`BlockScaler`
balances their scales, :class:`ProductFusion` multiplies them (tensor fusion)
and :class:`ModalityImputer` fills the rows of a modality that was missing
(as :class:`SkipMissing` leaves them) and says so in an indicator column.

Every block estimator finds its blocks in one of three ways, first match
wins:

1. ``blocks`` given explicitly: ``[(name, columns), ...]`` where ``columns``
   is a slice, integer indices or a boolean mask, or a dict ``{name:
   columns}`` such as a fitted ``ColumnTransformer.output_indices_``;
2. ``transformer`` given (a ``ColumnTransformer`` or ``FeatureUnion``): it is
   fitted as the first step and its own layout (``output_indices_``, else the
   ``name__`` prefixes of its feature names) gives the blocks. This is what
   works in a ``Pipeline`` whatever the blocks' widths, and with sparse
   output, which carries no column names to the next step;
3. the input is a DataFrame (``set_output(transform="pandas")``) whose column
   names all read ``name__feature``: one block per prefix.

Otherwise the whole input is one block named ``"features"``.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils import check_array
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

_SINGLE_BLOCK = "features"


def _as_indices(columns, n_features, name):
    """Column indices of one block, from a slice, indices or a boolean mask."""
    if isinstance(columns, slice):
        return np.arange(n_features)[columns]
    columns = np.asarray(columns)
    if columns.dtype == bool:
        if columns.shape != (n_features,):
            raise ValueError(
                f"Block {name!r}: boolean mask of shape {columns.shape} does not "
                f"match the {n_features} input features."
            )
        return np.flatnonzero(columns)
    if columns.ndim != 1 or (columns.size and columns.dtype.kind not in "iu"):
        raise ValueError(
            f"Block {name!r}: columns must be a slice, integer indices or a "
            f"boolean mask, got {columns!r}."
        )
    columns = columns.astype(np.intp)
    if columns.size and (columns.min() < 0 or columns.max() >= n_features):
        raise ValueError(
            f"Block {name!r}: column indices must be in [0, {n_features}), got "
            f"{columns.min()}..{columns.max()}."
        )
    return columns


def _blocks_from_names(names):
    """One block per ``name__`` prefix when every name has one, else None."""
    if names is None or len(names) == 0:
        return None
    names = [str(n) for n in names]
    if not all("__" in n for n in names):
        return None
    prefixes = [n.split("__", 1)[0] for n in names]
    order = list(dict.fromkeys(prefixes))
    prefixes = np.asarray(prefixes, dtype=object)
    return [(p, np.flatnonzero(prefixes == p)) for p in order]


def _resolve_blocks(blocks, n_features, names=None):
    """``blocks`` (explicit, a dict, or None to infer) as ``[(name, indices)]``.

    Empty blocks (the unused ``remainder`` of a ColumnTransformer) are dropped;
    overlapping blocks raise. Columns in no block are left alone.
    """
    if blocks is None:
        resolved = _blocks_from_names(names) or [(_SINGLE_BLOCK, np.arange(n_features))]
    else:
        items = blocks.items() if isinstance(blocks, dict) else blocks
        resolved = []
        for item in items:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise ValueError(
                    f"Each block must be a (name, columns) pair, got {item!r}."
                )
            name, columns = item
            resolved.append((str(name), _as_indices(columns, n_features, name)))
    resolved = [(name, idx) for name, idx in resolved if idx.size]
    if not resolved:
        raise ValueError("No non-empty block: nothing to fuse.")
    seen = np.zeros(n_features, dtype=np.intp)
    for _, idx in resolved:
        np.add.at(seen, idx, 1)
    if (seen > 1).any():
        raise ValueError(
            f"Blocks overlap at columns {np.flatnonzero(seen > 1)[:10].tolist()}."
        )
    names_seen = [name for name, _ in resolved]
    if len(set(names_seen)) != len(names_seen):
        raise ValueError(f"Block names must be unique, got {names_seen}.")
    return resolved


def _check_finite_output(out, owner, advice):
    """``out``, or a ValueError naming the first sample with a non-finite
    value (an overflow: the input was checked finite)."""
    values = out.data if sp.issparse(out) else out
    bad = ~np.isfinite(values)
    if not bad.any():
        return out
    if sp.issparse(out):
        out = out.tocsr()
        position = np.flatnonzero(~np.isfinite(out.data))[0]
        row = int(np.searchsorted(out.indptr, position, side="right") - 1)
    else:
        row = int(np.flatnonzero(bad.any(axis=1))[0])
    raise ValueError(
        f"{owner} overflows float64 in sample {row} (the output holds inf or "
        f"NaN for finite input); {advice}"
    )


def _layout_of(transformer):
    """The blocks of a fitted ColumnTransformer / FeatureUnion, or None."""
    indices = getattr(transformer, "output_indices_", None)
    if indices is not None:
        return dict(indices)
    try:
        return _blocks_from_names(transformer.get_feature_names_out())
    except (AttributeError, ValueError):
        return None


class _BlockTransformer(TransformerMixin, BaseEstimator):
    """Base of the block estimators: ``transformer``, ``blocks``, fit/transform.

    It fuses the input (runs ``transformer``, or validates a 2-D input),
    resolves ``blocks_``, and calls two hooks of the subclass on the fused
    matrix ``Z``: ``_learn(Z)`` in ``fit`` sets the fitted state,
    ``_apply(Z)`` in ``transform`` returns the output. ``fit_transform``
    runs ``transformer`` once.
    """

    _accept_sparse = False
    _allow_nan = False

    def _check_fused(self, Z):
        return check_array(
            Z,
            accept_sparse=["csr", "csc"] if self._accept_sparse else False,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if self._allow_nan else True,
        )

    def _fit_input(self, X, y):
        """Fused matrix of ``X`` for fitting; sets ``blocks_``."""
        if self.transformer is None:
            Z = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"] if self._accept_sparse else False,
                dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan" if self._allow_nan else True,
            )
            self._names_fused = _check_feature_names_in(self, None)
            layout = None
        else:
            self.transformer_ = clone(self.transformer)
            Z = self.transformer_.fit_transform(X, y)
            names = getattr(Z, "columns", None)
            if names is None:
                try:
                    names = self.transformer_.get_feature_names_out()
                except (AttributeError, ValueError):
                    names = None
            Z = self._check_fused(Z)
            if names is None:
                names = [f"x{i}" for i in range(Z.shape[1])]
            self._names_fused = np.asarray(names, dtype=object)
            layout = _layout_of(self.transformer_)
        blocks = self.blocks if self.blocks is not None else layout
        self.blocks_ = _resolve_blocks(blocks, Z.shape[1], self._names_fused)
        self.n_fused_features_ = Z.shape[1]
        return Z

    def _transform_input(self, X):
        check_is_fitted(self, "blocks_")
        if self.transformer is None:
            return validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"] if self._accept_sparse else False,
                dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan" if self._allow_nan else True,
                reset=False,
            )
        Z = self._check_fused(self.transformer_.transform(X))
        if Z.shape[1] != self.n_fused_features_:
            raise ValueError(
                f"The transformer gave {Z.shape[1]} features, {self.n_fused_features_}"
                " when fitted."
            )
        return Z

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Resolve the blocks and learn from the fused matrix.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or \
                the input of ``transformer``
            The fused features, or the raw input that ``transformer``
            fuses.
        y : array-like of shape (n_samples,), default=None
            Passed to ``transformer``.

        Returns
        -------
        self : object
        """
        self._learn(self._fit_input(X, y))
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit, then transform ``X``, running ``transformer`` once.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or \
                the input of ``transformer``
        y : array-like of shape (n_samples,), default=None
            Passed to ``transformer``.

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
        """
        Z = self._fit_input(X, y)
        self._learn(Z)
        return self._apply(Z)

    def transform(self, X):
        """Transform the blocks of ``X`` as learned in ``fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), or \
                the input of ``transformer``

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            See the class for the output of each estimator.
        """
        return self._apply(self._transform_input(X))

    def _check_input_features(self, input_features):
        if self.transformer is None:
            return _check_feature_names_in(self, input_features)
        return self._names_fused

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._accept_sparse
        tags.input_tags.allow_nan = self._allow_nan
        if self.transformer is not None:
            inner = self.transformer.__sklearn_tags__()
            tags.input_tags.two_d_array = inner.input_tags.two_d_array
            tags.input_tags.string = inner.input_tags.string
        return tags
