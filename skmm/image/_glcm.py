"""Haralick texture: ``skimage.feature.graycoprops`` of
``skimage.feature.graycomatrix``, computed in batches."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval

from skmm.image._features import PerImageFeatures, gray_uint8
from skmm.utils._parallel import numba_threads


class HaralickTexture(PerImageFeatures):
    """Grey-level co-occurrence (Haralick) texture properties, equal to
    scikit-image's.

    Each image gives ``skimage.feature.graycoprops(P, prop)`` for each of
    ``props``, where ``P = skimage.feature.graycomatrix(image, distances,
    angles, levels, symmetric)``: one value per property, distance and
    angle, property major, then distance, then angle. One Numba kernel
    computes the batch, images in parallel, from the pixel pairs without
    building the ``levels x levels`` matrices.

    Parameters
    ----------
    distances : sequence of int, default=(1,)
        Pixel pair distances (scikit-image's ``distances``).
    angles : sequence of float, default=(0, pi/4, pi/2, 3*pi/4)
        Pixel pair angles in radians (scikit-image's ``angles``).
    levels : int, default=256
        Grey levels (2 to 256). The 8-bit gray image is quantised to
        ``value * levels // 256`` first (the image itself for 256).
    symmetric : bool, default=False
        Count each pair in both orders (scikit-image's ``symmetric``).
    props : sequence of str, default=("contrast", "dissimilarity", \
            "homogeneity", "ASM", "energy", "correlation")
        ``graycoprops`` properties, among those and "mean", "variance",
        "std" and "entropy".
    n_jobs : int, default=None
        Number of threads of the kernel (images in parallel). ``None``
        means 1 unless in a :obj:`joblib.parallel_config` context. ``-1``
        means using all processors. See :term:`Glossary <n_jobs>`.
    verbose : bool or int, default=False
        Show a progress bar counting the images done.

    Attributes
    ----------
    n_features_out_ : int
        ``len(props) * len(distances) * len(angles)``.

    See Also
    --------
    skimage.feature.graycomatrix, skimage.feature.graycoprops : The
        reference.
    skmm.image.LBP : Local binary pattern texture histograms.

    Notes
    -----
    Images become 8-bit gray first: see :class:`ColorHistogram` for the
    8-bit rule per dtype; colour images through OpenCV's
    ``COLOR_RGB2GRAY`` (alpha dropped). An image too small to hold one
    pixel pair at some distance and angle raises (scikit-image would
    return the properties of an empty matrix).

    References
    ----------
    .. [1] R. M. Haralick, K. Shanmugam and I. Dinstein, "Textural Features
       for Image Classification", IEEE Trans. SMC 3(6), 610-621, 1973.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image import HaralickTexture
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 16, 16), dtype=np.uint8)
    >>> texture = HaralickTexture(distances=(1, 2), levels=8).fit(images)
    >>> texture.transform(images).shape  # 6 properties x 2 distances x 4 angles
    (2, 48)
    >>> texture.get_feature_names_out()[:2]
    array(['contrast_d1_a0', 'contrast_d1_a45'], dtype=object)
    """

    _parameter_constraints: dict = {
        "distances": [tuple, list, np.ndarray],
        "angles": [tuple, list, np.ndarray],
        "levels": [Interval(numbers.Integral, 2, 256, closed="both")],
        "symmetric": ["boolean"],
        "props": [tuple, list],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        distances=(1,),
        angles=(0, np.pi / 4, np.pi / 2, 3 * np.pi / 4),
        levels=256,
        symmetric=False,
        props=(
            "contrast",
            "dissimilarity",
            "homogeneity",
            "ASM",
            "energy",
            "correlation",
        ),
        n_jobs=None,
        verbose=False,
    ):
        self.distances = distances
        self.angles = angles
        self.levels = levels
        self.symmetric = symmetric
        self.props = props
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        from skmm.image._glcm_numba import PROPS

        if len(self.distances) == 0 or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0
            for d in self.distances
        ):
            raise ValueError(
                "distances must be a non-empty sequence of non-negative "
                f"integers, got {self.distances!r}."
            )
        if len(self.angles) == 0 or not all(
            isinstance(a, numbers.Real) and np.isfinite(a) for a in self.angles
        ):
            raise ValueError(
                f"angles must be a non-empty sequence of finite radians, got "
                f"{self.angles!r}."
            )
        unknown = [p for p in self.props if p not in PROPS]
        if len(self.props) == 0 or unknown:
            raise ValueError(
                f"props must be a non-empty sequence of {PROPS}; unknown: {unknown}."
            )

    def _names(self):
        return [
            f"{prop}_d{distance}_a{np.degrees(angle):g}"
            for prop in self.props
            for distance in self.distances
            for angle in self.angles
        ]

    def _prepare(self, image, position):
        from skmm.image._glcm_numba import offsets

        image = gray_uint8(image, position)
        pairs = offsets(self.distances, self.angles)
        height, width = image.shape
        too_far = (np.abs(pairs[:, 0]) >= height) | (np.abs(pairs[:, 1]) >= width)
        if too_far.any():
            d_row, d_col = pairs[np.argmax(too_far)]
            raise ValueError(
                f"Image sample {position} is {height}x{width} pixels: no pixel "
                f"pair lies {abs(d_row)} rows and {abs(d_col)} columns apart "
                "in it, so its co-occurrence matrix at that distance and angle "
                "is empty. Use larger images or smaller distances."
            )
        if self.levels < 256:
            image = (image.astype(np.uint16) * self.levels // 256).astype(np.uint8)
        return image

    def _compute(self, batch, n_threads, key=None):
        from skmm.image import _glcm_numba as kernels

        pairs = kernels.offsets(self.distances, self.angles)
        props = np.array([kernels.PROPS.index(p) for p in self.props])
        out = np.empty((batch.shape[0], len(props), len(pairs)))
        arguments = (batch, pairs, bool(self.symmetric), self.levels, props, out)
        with numba_threads(n_threads) as threads:
            if threads == 1 or batch.shape[0] == 1:
                kernels.glcm_properties(*arguments)
            else:
                n_chunks = min(batch.shape[0], 4 * threads)
                kernels.glcm_properties_parallel(*arguments, n_chunks)
        return out.reshape(batch.shape[0], -1)
