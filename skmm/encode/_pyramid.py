"""Spatial pyramids: encode the descriptors of each cell of a grid over the
image, at several grid sizes, and concatenate (Lazebnik et al., 2006)."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import with_input_kind
from skmm.encode._base import power_normalise
from skmm.utils._validation import _as_column, _sample_label, check_descriptor_sets


class DescriptorSet(np.ndarray):
    """A descriptor set that knows where its descriptors lie in the image.

    An ``ndarray`` of shape ``(n_local, n_dims)``, usable wherever a plain
    descriptor set is (every encoder reads it as the array it is), plus two
    attributes that :class:`SpatialPyramid` reads:

    - ``positions``: ``(n_local, 2)`` float64, the ``x`` (column) and ``y``
      (row) in pixels of each descriptor, as OpenCV's ``KeyPoint.pt``;
    - ``image_shape``: ``(height, width)`` of the image.

    Extractors return them with ``positions=True`` (:class:`~skmm.image.DAISY`,
    :class:`~skmm.image.ORB`); sets from elsewhere are wrapped by hand, e.g.
    ``DescriptorSet(d, keypoints[:, :2], image.shape[:2])`` for
    :meth:`skmm.image.SIFT.transform_with_keypoints` or
    ``DescriptorSet(d, dense_sift.grid(h, w)[:, :2], (h, w))``.

    Arrays derived from one (slices, arithmetic) are plain sets again: their
    rows may no longer match the positions. Pickling keeps them (so do
    joblib's process and dask backends).

    Parameters
    ----------
    descriptors : array-like of shape (n_local, n_dims)
    positions : array-like of shape (n_local, 2)
        ``x``, ``y`` of each row, in pixels.
    image_shape : tuple of int
        ``(height, width)`` (further entries, channels, are ignored).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import DescriptorSet
    >>> located = DescriptorSet(np.ones((2, 3)), [[0, 0], [5, 9]], (10, 6))
    >>> located.positions[1], located.image_shape
    (array([5., 9.]), (10, 6))
    """

    def __new__(cls, descriptors, positions, image_shape):
        obj = np.asarray(descriptors).view(cls)
        positions = np.asarray(positions, dtype=np.float64)
        if obj.ndim != 2 or positions.shape != (obj.shape[0], 2):
            raise ValueError(
                f"positions must have shape (n_local, 2) = ({len(obj)}, 2) for "
                f"descriptors of shape {obj.shape}, got {positions.shape}."
            )
        height, width = (int(v) for v in tuple(image_shape)[:2])
        if height < 1 or width < 1:
            raise ValueError(f"image_shape must be positive, got {image_shape!r}.")
        obj.positions = positions
        obj.image_shape = (height, width)
        return obj

    def __array_finalize__(self, obj):
        self.positions = None
        self.image_shape = None

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # Results of ufuncs are plain arrays.
        result = np.asarray(array).view(np.ndarray)
        if return_scalar and result.ndim == 0:
            return result[()]
        return result

    def __reduce__(self):
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.positions, self.image_shape)

    def __setstate__(self, state):
        array_state, self.positions, self.image_shape = state
        super().__setstate__(array_state)


def level_weights(levels, weighting):
    """Weight of each level: Lazebnik et al.'s ``1 / 2^L`` for the coarsest
    and ``1 / 2^(L - l + 1)`` for level ``l >= 1`` of ``L + 1`` levels, or
    all ones."""
    n = len(levels)
    if weighting == "uniform":
        return np.ones(n)
    top = n - 1
    return np.array(
        [2.0**-top if level == 0 else 2.0 ** -(top - level + 1) for level in range(n)]
    )


def _located(X):
    """``(sets, labels)``, raising when a set has no positions."""
    cells, labels = _as_column(X, kind="descriptor set")
    for position, cell in enumerate(cells):
        if getattr(cell, "positions", None) is None and cell is not None:
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} carries no "
                "positions; SpatialPyramid needs them. Ask the extractor for "
                "them (DAISY(positions=True), ORB(positions=True)) or wrap "
                "the set: DescriptorSet(descriptors, xy, image_shape)."
            )
    return cells, labels


class SpatialPyramid(TransformerMixin, BaseEstimator):
    """Encode descriptor sets per cell of a spatial pyramid (Lazebnik et al.).

    Each image is cut into ``g x g`` cells for every ``g`` of ``levels``
    (1 x 1, 2 x 2 and 4 x 4 by default); the descriptors of each cell,
    found by their positions (sets that are :class:`DescriptorSet`), are
    encoded by the fitted ``encoder`` (:class:`BagOfWords`, :class:`VLAD`,
    :class:`FisherVector`, :class:`StatsPooling`, ...). The cell vectors are
    concatenated, level by level (cells row-major), each level scaled by its
    weight, and the whole vector normalised by ``norm``.

    ``fit`` fits a clone of ``encoder`` on the sets as they are (the
    codebook does not depend on the cells).

    Parameters
    ----------
    encoder : estimator
        A descriptor-set encoder; cloned by ``fit``.
    levels : sequence of int, default=(1, 2, 4)
        Cells per side at each level, coarsest first.
    weighting : {"lazebnik", "uniform"}, default="lazebnik"
        ``"lazebnik"``: the pyramid match kernel's weights, ``1/2^L`` for
        the first level and ``1/2^(L-l+1)`` for level ``l`` of ``L + 1``
        (1/4, 1/4, 1/2 for three levels). ``"uniform"``: all 1.
    norm : {"l2", "l1"} or None, default="l2"
        Normalisation of the concatenated vector.

    Attributes
    ----------
    encoder_ : estimator
        The fitted clone of ``encoder``.
    level_weights_ : ndarray of shape (n_levels,)
    n_features_out_ : int
        ``sum(g * g for g in levels) * encoder_.n_features_out_``.

    Notes
    -----
    A cell that no descriptor falls in gets a zero block (encoders that have
    no value for an empty set, :class:`StatsPooling`, are never asked).
    Each cell is encoded as the encoder encodes a whole set, its own
    normalisation included. Cell ``(i, j)`` of a ``g x g`` level holds the
    descriptors with ``floor(g y / height) = i`` and ``floor(g x / width)
    = j``.

    References
    ----------
    .. [1] S. Lazebnik, C. Schmid and J. Ponce, "Beyond bags of features:
       spatial pyramid matching for recognizing natural scene categories",
       CVPR 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.encode import BagOfWords, DescriptorSet, SpatialPyramid
    >>> rng = np.random.default_rng(0)
    >>> def located_set():
    ...     xy = rng.uniform(0, 32, size=(30, 2))
    ...     return DescriptorSet(rng.normal(size=(30, 4)), xy, (32, 32))
    >>> sets = [located_set() for _ in range(10)]
    >>> pyramid = SpatialPyramid(BagOfWords(n_clusters=8, random_state=0))
    >>> pyramid.fit(sets).transform(sets).shape  # (1 + 4 + 16) cells x 8 words
    (10, 168)
    """

    _parameter_constraints: dict = {
        "encoder": [HasMethods(["fit", "transform"])],
        "levels": ["array-like"],
        "weighting": [StrOptions({"lazebnik", "uniform"})],
        "norm": [StrOptions({"l1", "l2"}), None],
    }

    def __init__(self, encoder, *, levels=(1, 2, 4), weighting="lazebnik", norm="l2"):
        self.encoder = encoder
        self.levels = levels
        self.weighting = weighting
        self.norm = norm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "descriptor_set")

    def _levels(self):
        levels = list(self.levels)
        if not levels or not all(
            isinstance(g, numbers.Integral) and not isinstance(g, bool) and g >= 1
            for g in levels
        ):
            raise ValueError(
                f"levels must be a non-empty sequence of positive integers, got "
                f"{self.levels!r}."
            )
        return [int(g) for g in levels]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the encoder on the descriptor sets.

        Parameters
        ----------
        X : list of DescriptorSet
            Descriptor sets with positions, one per sample.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        levels = self._levels()
        encoder = clone(self.encoder).fit(X)
        _located(X)
        self.encoder_ = encoder
        self.level_weights_ = level_weights(levels, self.weighting)
        self.n_features_out_ = sum(g * g for g in levels) * int(
            self.encoder_.n_features_out_
        )
        return self

    def _cell_sets(self, cells, levels):
        """Every sample's descriptors split by pyramid cell: a list of
        ``(sample, block, rows)`` for the non-empty cells, block counting
        cells over all levels."""
        pieces = []
        for sample, cell in enumerate(cells):
            array = np.asarray(cell)
            if array.size == 0:
                continue
            height, width = cell.image_shape
            x, y = cell.positions[:, 0], cell.positions[:, 1]
            first = 0
            for g in levels:
                column = np.clip(np.floor(x * g / width), 0, g - 1).astype(np.int64)
                row = np.clip(np.floor(y * g / height), 0, g - 1).astype(np.int64)
                owner = row * g + column
                order = np.argsort(owner, kind="stable")
                bounds = np.searchsorted(owner[order], np.arange(g * g + 1))
                for c in range(g * g):
                    if bounds[c + 1] > bounds[c]:
                        rows = array[order[bounds[c] : bounds[c + 1]]]
                        pieces.append((sample, first + c, rows))
                first += g * g
        return pieces

    def transform(self, X):
        """Pyramid vector of each sample.

        Parameters
        ----------
        X : list of DescriptorSet
            Descriptor sets with positions, one per sample.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out_), float64
        """
        check_is_fitted(self)
        levels = self._levels()
        # Every set is checked (NaN, width, ...) as the encoder checks it,
        # naming it, before the cells lose track of which sample is which.
        check_descriptor_sets(
            X, n_features=getattr(self.encoder_, "n_descriptor_features_", None)
        )
        cells, _ = _located(X)
        width = int(self.encoder_.n_features_out_)
        n_blocks = sum(g * g for g in levels)
        out = np.zeros((len(cells), n_blocks, width), dtype=np.float64)
        pieces = self._cell_sets(cells, levels)
        if pieces:
            encoded = np.asarray(self.encoder_.transform([p[2] for p in pieces]))
            samples = np.array([p[0] for p in pieces])
            blocks = np.array([p[1] for p in pieces])
            out[samples, blocks] = encoded
        block_weights = np.repeat(self.level_weights_, [g * g for g in levels])
        out *= block_weights[None, :, None]
        return power_normalise(out.reshape(len(cells), -1), 1, self.norm)

    def get_feature_names_out(self, input_features=None):
        """``{g}x{g}_{row}_{col}_{encoder's name}`` for every cell.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        inner = self.encoder_.get_feature_names_out()
        names = [
            f"{g}x{g}_{c // g}_{c % g}_{name}"
            for g in self._levels()
            for c in range(g * g)
            for name in inner
        ]
        return np.asarray(names, dtype=object)
