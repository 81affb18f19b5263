"""Block scaling: every modality block of a fused matrix weighs the same."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.sparsefuncs import inplace_column_scale, mean_variance_axis
from sklearn.utils.validation import check_is_fitted

from skmm.fusion._blocks import _BlockTransformer, _check_finite_output

__all__ = ["BlockScaler", "make_block_fusion"]


def _column_variances(block):
    if sp.issparse(block):
        return mean_variance_axis(block, axis=0)[1]
    return block.var(axis=0, dtype=np.float64)


def _block_spread(block):
    """Square root of a block's total variance, finite for any finite block.

    Values near the float64 limits (1e200) overflow their squares: such a
    block's spread is computed on the block divided by its largest magnitude.
    """
    spread = np.sqrt(_column_variances(block).sum())
    if np.isfinite(spread) and (spread > 0 or block.size == 0):
        return spread
    magnitude = abs(block).max() if block.size else 0.0
    if not np.isfinite(magnitude) or magnitude == 0:
        return spread if np.isfinite(spread) else 0.0
    return magnitude * np.sqrt(_column_variances(block / magnitude).sum())


def _check_weights(weights, blocks):
    names = [name for name, _ in blocks]
    if weights is None:
        return np.ones(len(blocks))
    if isinstance(weights, dict):
        unknown = set(weights) - set(names)
        if unknown:
            raise ValueError(
                f"weights name unknown blocks {sorted(unknown)}; blocks are {names}."
            )
        weights = [weights.get(name, 1.0) for name in names]
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(blocks),):
        raise ValueError(
            f"Got {weights.size} weights for {len(blocks)} blocks {names}."
        )
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError(f"weights must be finite and non-negative, got {weights}.")
    return weights


class BlockScaler(_BlockTransformer):
    """Scale each modality block of a fused matrix to a common total variance.

    A ``ColumnTransformer`` that puts a 1,000-column TF-IDF block beside a
    40-column MFCC block lets the wide block dominate any model whose
    penalty or kernel looks at the whole row: its norm, and so its share of
    the variance, grows with its width. ``BlockScaler`` learns in ``fit`` the
    *total variance* of each block (the sum of its columns' variances) and
    divides the block by its square root, times an optional per-block weight,
    so that after scaling every block has total variance ``weight ** 2``
    (1 by default) however wide it is. Blocks are not centred, so sparse
    input stays sparse.

    Parameters
    ----------
    transformer : ColumnTransformer, FeatureUnion or None, default=None
        When given, fitted first on the raw input; its output is scaled and
        its layout (``output_indices_``, else ``name__`` feature-name
        prefixes) gives the blocks. :func:`make_block_fusion` builds this.
        None scales the 2-D numeric input itself.
    blocks : list of (str, slice or array-like), dict or None, default=None
        The blocks: ``(name, columns)`` pairs, columns as a slice, integer
        indices or a boolean mask, or a dict such as a fitted
        ``ColumnTransformer.output_indices_``. None infers them (see the
        :mod:`~skmm.fusion` module notes): from ``transformer``, else from
        ``name__`` prefixes of DataFrame column names, else one block.
        Columns in no block pass through unchanged.
    weights : dict, array-like of shape (n_blocks,) or None, default=None
        Weight of each block, by name (missing names: 1) or in block order.
        A block's total variance after scaling is its weight squared; 0
        silences a block.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``, when given.
    blocks_ : list of (str, ndarray of int)
        The resolved blocks: name and column indices in the fused matrix.
    block_variances_ : ndarray of shape (n_blocks,)
        Total variance of each block on the training data.
    scales_ : ndarray of shape (n_blocks,)
        Factor applied to each block: ``weight / sqrt(total variance)``; a
        constant block (total variance 0) gets ``weight``.
    n_features_in_ : int
        Number of input features, when ``transformer`` is None.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input feature names, when the input had string column names.

    See Also
    --------
    make_block_fusion : ``BlockScaler`` around a ``ColumnTransformer``.
    sklearn.preprocessing.StandardScaler : Per-column scaling; use it inside
        each modality's pipeline, and ``BlockScaler`` across modalities.

    Notes
    -----
    With every column standardised first, a block's total variance is its
    width, so scaling by it equals dividing each block by the square root of
    its width, the usual block weighting of multiblock analysis [1]_.

    References
    ----------
    .. [1] J. Westerhuis, T. Kourti and J. MacGregor, "Analysis of multiblock
       and hierarchical PCA and PLS models", J. Chemometrics 12(5), 1998.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.fusion import BlockScaler
    >>> rng = np.random.default_rng(0)
    >>> X = np.hstack([rng.normal(size=(50, 100)), rng.normal(size=(50, 4))])
    >>> scaler = BlockScaler(blocks=[("wide", slice(0, 100)), ("narrow", [100, 101,
    ...     102, 103])]).fit(X)
    >>> Xt = scaler.transform(X)
    >>> [round(float(Xt[:, idx].var(axis=0).sum()), 6) for _, idx in scaler.blocks_]
    [1.0, 1.0]
    """

    _accept_sparse = True

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit_transform", "transform"]), None],
        "blocks": [list, dict, None],
        "weights": [dict, "array-like", None],
    }

    def __init__(self, transformer=None, *, blocks=None, weights=None):
        self.transformer = transformer
        self.blocks = blocks
        self.weights = weights

    def _learn(self, Z):
        weights = _check_weights(self.weights, self.blocks_)
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.array([_block_spread(Z[:, idx]) for _, idx in self.blocks_])
            self.block_variances_ = spread**2
        # A constant block carries no information to balance: leave its scale.
        self.scales_ = weights / np.where(spread > 0, spread, 1.0)

    def _apply(self, Z):
        column_scales = np.ones(Z.shape[1], dtype=Z.dtype)
        for (_, idx), scale in zip(self.blocks_, self.scales_, strict=True):
            column_scales[idx] = scale
        with np.errstate(over="ignore", invalid="ignore"):
            if sp.issparse(Z):
                Z = Z.copy()
                inplace_column_scale(Z, column_scales)
            else:
                Z = Z * column_scales
        return _check_finite_output(
            Z,
            "Scaling the blocks",
            "this sample is far larger than the training data.",
        )

    def get_feature_names_out(self, input_features=None):
        """The fused feature names, unchanged.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Used only when ``transformer`` is None, as in
            ``StandardScaler``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "blocks_")
        return np.asarray(self._check_input_features(input_features), dtype=object)


def make_block_fusion(*transformers, weights=None, **kwargs):
    """Early fusion with balanced blocks: ``BlockScaler(ColumnTransformer(...))``.

    Parameters
    ----------
    *transformers : tuples of (str, transformer, columns)
        As for ``sklearn.compose.ColumnTransformer``; each name is a block.
    weights : dict or None, default=None
        Weight of each block by name, see :class:`BlockScaler`.
    **kwargs
        Passed to ``ColumnTransformer`` (``remainder``, ``sparse_threshold``,
        ``n_jobs``, ...).

    Returns
    -------
    fusion : BlockScaler
        Unfitted. Its ``transformer`` parameter is the ColumnTransformer, so
        grid parameters read ``transformer__text__max_features``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm.fusion import make_block_fusion
    >>> X = pd.DataFrame({"text": ["one two", "two three", "three four", "one"],
    ...                   "size": [1.0, 2.0, 3.0, 5.0]})
    >>> fusion = make_block_fusion(("text", TfidfVectorizer(), "text"),
    ...                            ("size", StandardScaler(), ["size"]))
    >>> fusion.fit_transform(X).shape
    (4, 5)
    >>> [name for name, _ in fusion.blocks_]
    ['text', 'size']
    """
    from sklearn.compose import ColumnTransformer

    return BlockScaler(ColumnTransformer(list(transformers), **kwargs), weights=weights)
