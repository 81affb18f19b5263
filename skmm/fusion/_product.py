"""Product fusion: the outer product of the modality blocks (tensor fusion)."""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from skmm.fusion._blocks import _BlockTransformer, _check_finite_output

__all__ = ["ProductFusion"]


class ProductFusion(_BlockTransformer):
    """Tensor fusion: the outer product of the blocks, each with a 1 appended.

    For blocks ``z_1, ..., z_m`` of a sample, the output is the flattened
    outer product ``[1, z_1] ⊗ [1, z_2] ⊗ ... ⊗ [1, z_m]`` (Zadeh et al.,
    2017). The constant 1 keeps every lower-order term: the output holds the
    constant, each block's own features (unimodal terms), and every product
    of features of two or more different blocks (bimodal, trimodal terms), so
    a linear model on it can weigh interactions between modalities.

    The width is ``prod(d_b + 1)``, which explodes with wide blocks. With
    ``rank=r`` each block is first projected onto its ``r`` leading principal
    components (``PCA``, centred; ``TruncatedSVD`` for sparse blocks), learned
    in ``fit``, giving ``prod(min(r, d_b) + 1)`` columns.

    Parameters
    ----------
    transformer : ColumnTransformer, FeatureUnion or None, default=None
        Fitted first on the raw input; its layout gives the blocks, see
        :class:`BlockScaler`.
    blocks : list of (str, slice or array-like), dict or None, default=None
        The blocks, see :class:`BlockScaler`. Columns in no block are
        dropped.
    rank : int or None, default=None
        Dimensions each block is projected to before the product; None keeps
        the blocks whole (full tensor fusion).
    random_state : int, RandomState instance or None, default=None
        Seed of the ``TruncatedSVD`` / randomised ``PCA`` solvers.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``, when given.
    blocks_ : list of (str, ndarray of int)
        The resolved blocks.
    projections_ : list of (PCA, TruncatedSVD or None)
        Each block's fitted projection (None with ``rank=None``, or when the
        block is at most ``rank`` wide).
    n_features_out_ : int
        Output width.
    n_features_in_ : int
        Number of input features, when ``transformer`` is None.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input feature names, when the input had string column names.

    See Also
    --------
    BlockScaler : Balance the blocks before concatenating them instead.

    Notes
    -----
    The low-rank variant here reduces each block before the product; the
    low-rank *multimodal* fusion of Liu et al. (2018) factorises the weight
    tensor of a downstream layer instead, which needs gradient training.
    Products of unscaled features are dominated by the largest values:
    standardise (and, for many blocks, use ``rank``) first.

    References
    ----------
    .. [1] A. Zadeh, M. Chen, S. Poria, E. Cambria and L.-P. Morency, "Tensor
       Fusion Network for Multimodal Sentiment Analysis", EMNLP 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.fusion import ProductFusion
    >>> X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> fusion = ProductFusion(blocks=[("a", [0]), ("b", [1, 2])]).fit(X)
    >>> fusion.transform(X)
    array([[ 1.,  2.,  3.,  1.,  2.,  3.],
           [ 1.,  5.,  6.,  4., 20., 24.]])
    >>> fusion.get_feature_names_out().tolist()
    ['1', 'x1', 'x2', 'x0', 'x0*x1', 'x0*x2']
    """

    _accept_sparse = True

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit_transform", "transform"]), None],
        "blocks": [list, dict, None],
        "rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, transformer=None, *, blocks=None, rank=None, random_state=None):
        self.transformer = transformer
        self.blocks = blocks
        self.rank = rank
        self.random_state = random_state

    def _learn(self, Z):
        self.projections_ = []
        for _, idx in self.blocks_:
            if self.rank is None or idx.size <= self.rank:
                self.projections_.append(None)
                continue
            block = Z[:, idx]
            n_components = min(self.rank, block.shape[0])
            if sp.issparse(block):
                # TruncatedSVD needs fewer components than columns.
                n_components = min(n_components, block.shape[1] - 1)
                projection = TruncatedSVD(
                    n_components=n_components, random_state=self.random_state
                )
            else:
                projection = PCA(
                    n_components=n_components, random_state=self.random_state
                )
            self.projections_.append(projection.fit(block))
        widths = [
            idx.size if p is None else p.n_components
            for (_, idx), p in zip(self.blocks_, self.projections_, strict=True)
        ]
        self.n_features_out_ = int(np.prod([w + 1 for w in widths]))

    def _apply(self, Z):
        n_samples = Z.shape[0]
        out = np.ones((n_samples, 1), dtype=np.float64)
        # An overflow is reported below with the sample it happened in.
        with np.errstate(over="ignore", invalid="ignore"):
            for (_, idx), projection in zip(
                self.blocks_, self.projections_, strict=True
            ):
                block = Z[:, idx]
                block = block if projection is None else projection.transform(block)
                block = block.toarray() if sp.issparse(block) else np.asarray(block)
                augmented = np.hstack([np.ones((n_samples, 1)), block])
                out = (out[:, :, None] * augmented[:, None, :]).reshape(n_samples, -1)
        return _check_finite_output(
            out,
            "The product of the blocks",
            "standardise the blocks first (StandardScaler in each modality's "
            "pipeline, or BlockScaler) or reduce them with rank.",
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the products: factors joined by ``*``, ``"1"`` for the
        constant; projected blocks name their components ``{block}_pc{i}``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "projections_")
        names_in = np.asarray(self._check_input_features(input_features), dtype=object)
        names = [""]
        for (block, idx), projection in zip(
            self.blocks_, self.projections_, strict=True
        ):
            factors = (
                list(names_in[idx])
                if projection is None
                else [f"{block}_pc{i}" for i in range(projection.n_components)]
            )
            names = [
                "*".join(part for part in (left, right) if part)
                for left in names
                for right in ["", *factors]
            ]
        return np.asarray([name or "1" for name in names], dtype=object)
