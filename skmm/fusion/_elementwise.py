"""Element-wise fusion: the modalities' blocks in one space, summed or multiplied."""

import numbers
import warnings

import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.fusion._blocks import _BlockTransformer, _check_finite_output
from skmm.retrieval._gcca import _fit_maxvar

__all__ = ["CommonSpaceFusion"]


class CommonSpaceFusion(_BlockTransformer):
    """Element-wise fusion of the modality blocks in a common space.

    Sum, mean and product fusion need every modality in one space of one
    width. Each block of the fused feature matrix (one per modality, as in
    :class:`BlockScaler`) is projected to ``n_components`` dimensions:

    - ``"gcca"``: the generalized CCA (MAXVAR) of the blocks, which puts
      them in one common space, dimension ``i`` of every modality estimating
      the same shared score (see :class:`~skmm.retrieval.GeneralizedCCA`);
    - ``"pca"``: each block's own whitened principal components (one width,
      but the axes of different modalities are not aligned);
    - ``"pls"``: each block's partial least squares regression onto the
      class indicators of ``y`` (a regression target as is), as predicted
      values: every modality's estimate of the same target, so the axes are
      aligned and the width is the number of classes (``n_components`` is
      the number of PLS components);
    - None: the blocks already share a space (for instance a
      :class:`~skmm.retrieval.GeneralizedCCA` as ``transformer``) and must
      have one width.

    The projected blocks ``z_1 .. z_m`` of a sample are then combined:
    ``"sum"``, ``"mean"``, ``"product"`` (Hadamard) or ``"concat"``.

    A missing modality (its whole block NaN, as :class:`SkipMissing`
    leaves it) is left out: ``"mean"`` averages the present blocks, ``"sum"``
    is that mean times ``m`` (the sum renormalised to ``m`` modalities).
    ``"product"`` and ``"concat"`` replace a missing block by the mean of the
    present ones, its best estimate in the common space, so that a sample
    keeps the scale of a complete one (a product with missing factors left
    out would change its order of magnitude). A sample with every modality
    missing is an error. A NaN among the features of a present block is
    replaced by that feature's training mean.

    Parameters
    ----------
    transformer : ColumnTransformer, FeatureUnion or None, default=None
        Fitted first on the raw input; its layout gives the blocks, see
        :class:`BlockScaler`.
    blocks : list of (str, slice or array-like), dict or None, default=None
        The blocks (at least two), see :class:`BlockScaler`.
    projection : {"gcca", "pca", "pls"} or None, default="gcca"
        How each block reaches the common width (see above).
    n_components : int, default=10
        Width of the common space ("gcca", "pca"), or PLS components ("pls").
    combine : {"sum", "mean", "product", "concat"}, default="sum"
        How the projected blocks are combined.
    reg : float, default=1e-3
        Ridge of the generalized CCA, relative to each block's mean feature
        variance.
    random_state : int, RandomState instance or None, default=None
        Seed of the randomised PCA solver.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``, when given.
    blocks_ : list of (str, ndarray of int)
        The resolved blocks.
    projections_ : list
        Per block: ``(mean, weights)`` of the generalized CCA, a fitted
        ``PCA`` or ``PLSRegression``, or None.
    eigenvalues_ : ndarray of shape (n_components,)
        The generalized CCA's eigenvalues (``projection="gcca"`` only).
    feature_means_ : ndarray of shape (n_fused_features,)
        Training mean of each feature over its non-NaN values, which fills a
        NaN inside a present block.
    classes_ : ndarray
        Classes of the PLS targets (``projection="pls"`` with class labels).
    n_features_out_ : int
        Output width.
    n_features_in_ : int
        Number of input features, when ``transformer`` is None.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Input feature names, when the input had string column names.

    See Also
    --------
    BlockScaler : Weighted concatenation of the raw blocks.
    ProductFusion : Outer (tensor) product of the blocks.
    skmm.retrieval.GeneralizedCCA : The common space on a multimodal table.

    Notes
    -----
    Each projection is fitted on the rows that hold its block (the
    generalized CCA on every row, masking the missing blocks).

    In an aligned space (``"gcca"``, ``"pls"``) every block estimates the
    same scores, so their product is close to a power of them: with an
    even number of modalities it loses their sign, and a linear model
    downstream sees mostly the magnitude. The product is meant for models
    that use interactions, or beside the sum (a ``FeatureUnion`` of both).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.fusion import CommonSpaceFusion
    >>> rng = np.random.default_rng(0)
    >>> shared = rng.normal(size=(100, 2))
    >>> X = np.hstack([
    ...     shared @ rng.normal(size=(2, 5)), shared @ rng.normal(size=(2, 3))
    ... ])
    >>> X[:10, 5:] = np.nan  # 10 samples lack the second modality
    >>> fusion = CommonSpaceFusion(
    ...     blocks=[("a", slice(0, 5)), ("b", slice(5, 8))], n_components=2,
    ...     combine="product",
    ... ).fit(X)
    >>> fusion.transform(X).shape
    (100, 2)
    >>> fusion.get_feature_names_out().tolist()
    ['product0', 'product1']
    """

    _allow_nan = True

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit_transform", "transform"]), None],
        "blocks": [list, dict, None],
        "projection": [StrOptions({"gcca", "pca", "pls"}), None],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "combine": [StrOptions({"sum", "mean", "product", "concat"})],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        transformer=None,
        *,
        blocks=None,
        projection="gcca",
        n_components=10,
        combine="sum",
        reg=1e-3,
        random_state=None,
    ):
        self.transformer = transformer
        self.blocks = blocks
        self.projection = projection
        self.n_components = n_components
        self.combine = combine
        self.reg = reg
        self.random_state = random_state

    def _present(self, Z):
        """(n_blocks, n_samples) mask of the present blocks (not all NaN);
        an error for a sample without any block."""
        present = np.array(
            [~np.isnan(Z[:, idx]).all(axis=1) for _, idx in self.blocks_]
        )
        empty = np.flatnonzero(~present.any(axis=0))
        if empty.size:
            raise ValueError(
                f"Every block ({', '.join(name for name, _ in self.blocks_)}) is "
                f"missing in sample {empty[0]}; {type(self).__name__} needs at "
                "least one per sample."
            )
        return present

    def _filled(self, Z):
        """Z with the NaN of present blocks replaced by the training means."""
        nan = np.isnan(Z)
        if not nan.any():
            return Z
        return np.where(nan, self.feature_means_, Z)

    def fit(self, X, y=None):
        """Resolve the blocks and fit their projections.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or the input of \
                ``transformer``
            The fused features, a missing modality's block all NaN.
        y : array-like of shape (n_samples,), default=None
            Passed to ``transformer``; the target of ``projection="pls"``.

        Returns
        -------
        self : object
        """
        self._y = y
        try:
            return super().fit(X, y)
        finally:
            del self._y

    def fit_transform(self, X, y=None):
        """Fit, then fuse ``X``, running ``transformer`` once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or the input of \
                ``transformer``
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
        """
        self._y = y
        try:
            return super().fit_transform(X, y)
        finally:
            del self._y

    def _learn(self, Z):
        if len(self.blocks_) < 2:
            raise ValueError(
                f"{type(self).__name__} fuses at least two blocks (modalities); "
                f"got one, {self.blocks_[0][0]!r} of {self.blocks_[0][1].size} "
                "feature(s). Give blocks, or a transformer whose layout has one "
                "block per modality."
            )
        present = self._present(Z)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            self.feature_means_ = np.nan_to_num(np.nanmean(Z, axis=0))
        Z = self._filled(Z)
        for (name, _), rows in zip(self.blocks_, present, strict=True):
            if rows.sum() < self.n_components and self.projection is not None:
                raise ValueError(
                    f"Block {name!r} is present in {int(rows.sum())} sample(s), "
                    f"fewer than n_components={self.n_components}."
                )
        if self.projection == "gcca":
            blocks = [
                Z[rows][:, idx]
                for (_, idx), rows in zip(self.blocks_, present, strict=True)
            ]
            means, weights, self.eigenvalues_ = _fit_maxvar(
                blocks,
                present,
                self.n_components,
                self.reg,
            )
            self.projections_ = list(zip(means, weights, strict=True))
        elif self.projection == "pca":
            self.projections_ = []
            for (name, idx), rows in zip(self.blocks_, present, strict=True):
                if idx.size < self.n_components:
                    raise ValueError(
                        f"Block {name!r} has {idx.size} features, fewer than "
                        f"n_components={self.n_components}."
                    )
                pca = PCA(
                    n_components=self.n_components,
                    whiten=True,
                    random_state=self.random_state,
                )
                self.projections_.append(pca.fit(Z[rows][:, idx]))
        elif self.projection == "pls":
            self.projections_ = self._fit_pls(Z, present)
        else:
            widths = {idx.size for _, idx in self.blocks_}
            if len(widths) > 1:
                raise ValueError(
                    "With projection=None the blocks must share one width, got "
                    f"{[(name, idx.size) for name, idx in self.blocks_]}."
                )
            self.projections_ = [None] * len(self.blocks_)
        width = self._common_width()
        n_blocks = len(self.blocks_)
        self.n_features_out_ = width * n_blocks if self.combine == "concat" else width

    def _fit_pls(self, Z, present):
        if self._y is None:
            raise ValueError('projection="pls" needs the target y in fit.')
        y = np.asarray(self._y)
        if y.ndim == 1 and y.dtype.kind in "OUSbiu":
            binarizer = LabelBinarizer().fit(y)
            self.classes_ = binarizer.classes_
            target = binarizer.transform(y).astype(np.float64)
            if target.shape[1] == 1:  # two classes: both indicators
                target = np.hstack([1.0 - target, target])
        else:
            target = y.reshape(len(y), -1).astype(np.float64)
        projections = []
        for (_, idx), rows in zip(self.blocks_, present, strict=True):
            n_components = min(self.n_components, idx.size)
            pls = PLSRegression(n_components=n_components, scale=False)
            projections.append(pls.fit(Z[rows][:, idx], target[rows]))
        return projections

    def _common_width(self):
        if self.projection in ("gcca", "pca"):
            return self.n_components
        if self.projection == "pls":
            return self.projections_[0].coef_.shape[0]
        return self.blocks_[0][1].size

    def _project(self, block, projection):
        if self.projection == "gcca":
            mean, weights = projection
            return (block - mean) @ weights
        if self.projection == "pca":
            return projection.transform(block)
        if self.projection == "pls":
            return projection.predict(block)
        return block

    def _apply(self, Z):
        present = self._present(Z)
        Z = self._filled(Z)
        n_samples, width = Z.shape[0], self._common_width()
        projected = np.full((len(self.blocks_), n_samples, width), np.nan)
        for b, ((_, idx), projection, rows) in enumerate(
            zip(self.blocks_, self.projections_, present, strict=True)
        ):
            projected[b, rows] = self._project(Z[rows][:, idx], projection)
        n_present = present.sum(axis=0)[:, None]
        mean = np.where(present[:, :, None], projected, 0.0).sum(axis=0) / n_present
        if self.combine == "mean":
            return mean
        if self.combine == "sum":
            return mean * len(self.blocks_)
        filled = np.where(present[:, :, None], projected, mean[None])
        if self.combine == "concat":
            return np.hstack(list(filled))
        with np.errstate(over="ignore", invalid="ignore"):
            product = np.prod(filled, axis=0)
        return _check_finite_output(
            product,
            "The element-wise product of the blocks",
            "use fewer or standardised blocks, or combine='sum'.",
        )

    def get_feature_names_out(self, input_features=None):
        """``{combine}{i}``, or ``{block}__{i}`` for ``"concat"``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "projections_")
        width = self._common_width()
        if self.combine == "concat":
            names = [f"{name}__{i}" for name, _ in self.blocks_ for i in range(width)]
        else:
            names = [f"{self.combine}{i}" for i in range(width)]
        return np.asarray(names, dtype=object)
