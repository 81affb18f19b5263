"""Local binary pattern histograms equal to
``skimage.feature.local_binary_pattern``, computed in batches."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.image._features import (
    PerImageFeatures,
    cell_bounds,
    cell_of_column,
    check_grid,
    check_pair,
    gray_uint8,
    grid_names,
)
from skmm.utils._parallel import numba_threads

_MAX_CODE_BITS = 16


def n_codes(P, method):
    """Number of distinct codes of ``method`` for ``P`` points (the bins of
    each cell's histogram)."""
    if method in ("default", "ror"):
        return 2**P
    if method == "uniform":
        return P + 2
    return P * (P - 1) + 3  # nri_uniform


def lbp_codes(image, P, R, method="default"):
    """The LBP code image of one gray image, as
    ``skimage.feature.local_binary_pattern(image, P, R, method)`` returns it.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A gray image of any real dtype.
    P : int
        Number of circularly symmetric neighbour points.
    R : float
        Radius of the circle.
    method : {"default", "ror", "uniform", "nri_uniform", "var"}

    Returns
    -------
    codes : ndarray of shape (height, width), float64
        The code of each pixel (the local variance for "var", NaN where it
        is zero, as scikit-image gives).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image._lbp import lbp_codes
    >>> image = np.array([[5, 4, 2], [5, 4, 1], [9, 9, 9]], dtype=np.uint8)
    >>> lbp_codes(image, 4, 1, "uniform")
    array([[1., 2., 1.],
           [5., 3., 3.],
           [1., 5., 1.]])
    """
    from skmm.image import _lbp_numba as kernels

    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = image.astype(np.float64)
    code = kernels.METHODS[method]
    geometry = kernels.geometry(*kernels.sample_offsets(P, R), *image.shape, code)
    return kernels.lbp_codes(np.ascontiguousarray(image), code, geometry)


class LBP(PerImageFeatures):
    """Local binary pattern histograms, equal to scikit-image's codes.

    Each image gives the histogram of its
    ``skimage.feature.local_binary_pattern(image, P, R, method)`` codes in
    each cell of a ``grid`` over the image, concatenated: one bin per
    possible code of the method, each cell's histogram normalised to sum 1
    by default. One Numba kernel computes the codes and counts them for the
    whole batch, images in parallel, without storing a code image.

    Parameters
    ----------
    P : int, default=8
        Number of circularly symmetric neighbour points (scikit-image's
        ``P``).
    R : float, default=1.0
        Radius of the circle (scikit-image's ``R``).
    method : {"default", "ror", "uniform", "nri_uniform", "var"}, \
            default="uniform"
        scikit-image's pattern: "default" (``2**P`` codes), "ror" (rotation
        invariant, ``2**P`` bins of which only the smallest rotations
        occur), "uniform" (rotation invariant uniform, ``P + 2`` codes),
        "nri_uniform" (non rotation-invariant uniform, ``P * (P - 1) + 3``
        codes) or "var" (local variance, a contrast measure, histogrammed
        into ``var_bins`` bins). "default" and "ror" allow ``P <= 16``.
    grid : tuple of int (rows, cols), default=(1, 1)
        Cells the image is split into, each with its own histogram;
        ``(1, 1)`` is the whole image. Cell ``k`` of ``n`` along an axis of
        ``size`` pixels spans ``[floor(k * size / n), floor((k + 1) * size /
        n))``. Images with fewer rows or columns than cells raise.
    normalize : bool, default=True
        Divide each cell's histogram by its pixel count (so it sums to 1);
        False gives counts.
    var_bins : int, default=16
        Bins of the "var" histogram: equal widths in local standard
        deviation (the square root of the variance) from 0 to half the
        dtype's value range (0.5 for float and bool images, 127.5 for 8-bit
        ones and colour images, 32767.5 for uint16, 127.5 for other integer
        dtypes); larger values count in the last bin, and pixels of zero
        variance (NaN in scikit-image) in the first. Ignored by the other
        methods.
    n_jobs : int, default=None
        Number of threads of the kernel (images in parallel). ``None``
        means 1 unless in a :obj:`joblib.parallel_config` context. ``-1``
        means using all processors. See :term:`Glossary <n_jobs>`. A context
        that picks another joblib backend (dask, say) gets chunks of images.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        images done; images then go to the kernel in chunks.

    Attributes
    ----------
    n_features_out_ : int
        Length of each image's vector: cells times bins.

    See Also
    --------
    skimage.feature.local_binary_pattern : The codes this transformer counts.
    skmm.image.HaralickTexture : Grey-level co-occurrence texture.

    Notes
    -----
    Gray images ``(h, w)`` (and one-channel ones) are used as they are, in
    float64, as scikit-image does, so the codes equal scikit-image's for
    any dtype (scikit-image warns that float images with tiny differences
    between neighbours give unstable codes; integer images are safest).
    Colour images become 8-bit gray first: OpenCV's ``COLOR_RGB2GRAY`` of
    the 8-bit image (see :class:`ColorHistogram` for the 8-bit rule), the
    alpha channel dropped. Any image size is accepted: the vector's length
    depends only on the parameters.

    References
    ----------
    .. [1] T. Ojala, M. Pietikainen and T. Maenpaa, "Multiresolution
       gray-scale and rotation invariant texture classification with local
       binary patterns", IEEE TPAMI 24(7), 971-987, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image import LBP
    >>> images = (np.random.default_rng(0).random((4, 32, 32)) * 255).astype(np.uint8)
    >>> lbp = LBP(P=8, R=1, method="uniform", grid=(2, 2)).fit(images)
    >>> features = lbp.transform(images)
    >>> features.shape  # 4 cells of 10 bins
    (4, 40)
    >>> float(features[0, :10].sum())
    1.0
    >>> lbp.get_feature_names_out()[:2]
    array(['cell0_0_lbp0', 'cell0_0_lbp1'], dtype=object)
    """

    _parameter_constraints: dict = {
        "P": [Interval(numbers.Integral, 1, 31, closed="both")],
        "R": [Interval(numbers.Real, 0, None, closed="neither")],
        "method": [StrOptions({"default", "ror", "uniform", "nri_uniform", "var"})],
        "grid": [tuple, list],
        "normalize": ["boolean"],
        "var_bins": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        P=8,
        R=1.0,
        method="uniform",
        grid=(1, 1),
        normalize=True,
        var_bins=16,
        n_jobs=None,
        verbose=False,
    ):
        self.P = P
        self.R = R
        self.method = method
        self.grid = grid
        self.normalize = normalize
        self.var_bins = var_bins
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        check_pair(self.grid, "grid")
        if self.method in ("default", "ror") and self.P > _MAX_CODE_BITS:
            raise ValueError(
                f"LBP(method={self.method!r}) has 2**P bins per cell; P must be "
                f"at most {_MAX_CODE_BITS}, got P={self.P}. Use method="
                "'uniform' or 'nri_uniform' for more points."
            )

    def _n_bins(self):
        if self.method == "var":
            return self.var_bins
        return n_codes(self.P, self.method)

    def _names(self):
        return grid_names(self.grid, [f"lbp{k}" for k in range(self._n_bins())])

    def _prepare(self, image, position):
        if image.ndim == 3 and image.shape[2] > 1:
            image = gray_uint8(image, position)
        elif image.ndim == 3:
            image = image[..., 0]
        check_grid(*image.shape, self.grid, position, "LBP")
        # The kernel reads uint8 or float64 (exact for every other dtype, as
        # scikit-image converts too), so it compiles for two types only.
        return image if image.dtype == np.uint8 else image.astype(np.float64)

    def _batch_key(self, image):
        """Half the value range of the image's dtype: the last "var" edge."""
        if image.ndim == 3 and image.shape[2] > 1:
            return 127.5  # colour images become 8-bit gray
        if image.dtype.kind in "fb":
            return 0.5
        return 32767.5 if image.dtype == np.uint16 else 127.5

    def _compute(self, batch, n_threads, half_range=127.5):
        from skmm.image import _lbp_numba as kernels

        n, height, width = batch.shape
        rp, cp = kernels.sample_offsets(self.P, self.R)
        edges = np.linspace(0.0, half_range, self.var_bins + 1) ** 2
        out = np.empty((n, self.n_features_out_))
        method = kernels.METHODS[self.method]
        arguments = (
            method,
            kernels.geometry(rp, cp, height, width, method),
            cell_bounds(height, self.grid[0]),
            cell_of_column(width, self.grid[1]),
            edges,
            bool(self.normalize),
        )
        with numba_threads(n_threads) as threads:
            if threads == 1 or n == 1:
                kernels.lbp_histograms(batch, *arguments, out)
            else:
                n_chunks = min(n, 4 * threads)
                kernels.lbp_histograms_parallel(batch, *arguments, out, n_chunks)
        return out
