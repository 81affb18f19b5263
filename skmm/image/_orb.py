"""ORB keypoints and binary descriptors through OpenCV, one set per image."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.image._sift import (
    check_gray_images,
    detect_in_each,
    keypoint_table,
    located_sets,
)
from skmm.utils._validation import check_images

_N_BYTES = 32  # OpenCV's ORB descriptors: 256 bits


class ORB(StatelessMixin, PerSampleOutputMixin, TransformerMixin, BaseEstimator):
    """ORB keypoints and binary descriptors of each image, by OpenCV.

    Runs ``cv2.ORB_create(...).detectAndCompute`` on each image (converted
    to 8-bit gray as :class:`SIFT` converts it) and returns a *descriptor
    set* per image. ORB descriptors are 256 bits compared by Hamming
    distance; with ``unpack_bits=True`` (the default) each is returned as 256
    float32 values 0 or 1 (``numpy.unpackbits``, most significant bit of
    each byte first), so that the squared Euclidean distance the encoders of
    :mod:`skmm.encode` use *is* the Hamming distance, and their k-means
    centres are the bitwise means. With ``unpack_bits=False`` the 32 bytes
    are returned as OpenCV gives them (``uint8``), e.g. to match with
    ``cv2.BFMatcher(cv2.NORM_HAMMING)``.

    Parameters
    ----------
    n_features : int, default=500
        At most this many keypoints per image (OpenCV's ``nfeatures``).
    scale_factor : float, default=1.2
        Pyramid decimation ratio, above 1 (``scaleFactor``).
    n_levels : int, default=8
        Pyramid levels (``nlevels``).
    edge_threshold : int, default=31
        Border where no keypoint is detected (``edgeThreshold``).
    first_level : int, default=0
        Pyramid level of the source image (``firstLevel``).
    wta_k : {2, 3, 4}, default=2
        Points compared per descriptor element (``WTA_K``). With 3 or 4,
        OpenCV's bytes hold 2-bit codes compared by ``NORM_HAMMING2``, and
        the unpacked bits are not their Hamming code; keep 2 for encoders.
    score_type : {"harris", "fast"}, default="harris"
        Keypoint ranking (``scoreType``).
    patch_size : int, default=31
        Size of the oriented BRIEF patch (``patchSize``).
    fast_threshold : int, default=20
        FAST detector threshold (``fastThreshold``).
    unpack_bits : bool, default=True
        Return 256 float32 bits per descriptor instead of OpenCV's 32 bytes.
    positions : bool, default=False
        Return each set as a :class:`~skmm.encode.DescriptorSet` carrying
        the keypoints' ``x, y`` and the image size, for
        :class:`~skmm.encode.SpatialPyramid`.
    n_jobs : int, default=None
        Number of threads over images (OpenCV releases the GIL). ``None``
        means 1 unless in a :obj:`joblib.parallel_config` context. ``-1``
        means using all processors. See :term:`Glossary <n_jobs>` for more
        details.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        images done.

    Attributes
    ----------
    n_descriptor_features_ : int
        Width of each descriptor: 256 bits or 32 bytes.

    See Also
    --------
    skmm.image.SIFT : SIFT keypoints and descriptors, by OpenCV.
    skmm.encode.BagOfWords : Encode descriptor sets into one vector per image.

    Notes
    -----
    Images are converted to 8-bit gray exactly as :class:`SIFT` does
    (uint8 as is, other integers must hold 0..255, floats must lie in
    [0, 1] and are scaled by 255, colour through ``COLOR_RGB2GRAY``); values
    out of range (16-bit images, say) raise ``ValueError`` naming the
    sample. An image without keypoints (flat, or smaller than the border)
    gives an empty set.

    References
    ----------
    .. [1] E. Rublee, V. Rabaud, K. Konolige and G. Bradski, "ORB: an
       efficient alternative to SIFT or SURF", ICCV 2011.

    Examples
    --------
    >>> from skimage import data
    >>> from skmm.image import ORB
    >>> images = [data.camera(), data.astronaut()]
    >>> orb = ORB(n_features=100).fit(images)
    >>> [d.shape for d in orb.transform(images)]
    [(100, 256), (100, 256)]
    >>> descriptors, keypoints = orb.transform_with_keypoints(images[:1])
    >>> keypoints[0].shape  # x, y, size, angle of each descriptor row
    (100, 4)
    """

    _parameter_constraints: dict = {
        "n_features": [Interval(numbers.Integral, 1, None, closed="left")],
        "scale_factor": [Interval(numbers.Real, 1, None, closed="neither")],
        "n_levels": [Interval(numbers.Integral, 1, None, closed="left")],
        "edge_threshold": [Interval(numbers.Integral, 0, None, closed="left")],
        "first_level": [Interval(numbers.Integral, 0, None, closed="left")],
        "wta_k": [Interval(numbers.Integral, 2, 4, closed="both")],
        "score_type": [StrOptions({"harris", "fast"})],
        "patch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "fast_threshold": [Interval(numbers.Integral, 0, None, closed="left")],
        "unpack_bits": ["boolean"],
        "positions": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_features=500,
        scale_factor=1.2,
        n_levels=8,
        edge_threshold=31,
        first_level=0,
        wta_k=2,
        score_type="harris",
        patch_size=31,
        fast_threshold=20,
        unpack_bits=True,
        positions=False,
        n_jobs=None,
        verbose=False,
    ):
        self.n_features = n_features
        self.scale_factor = scale_factor
        self.n_levels = n_levels
        self.edge_threshold = edge_threshold
        self.first_level = first_level
        self.wta_k = wta_k
        self.score_type = score_type
        self.patch_size = patch_size
        self.fast_threshold = fast_threshold
        self.unpack_bits = unpack_bits
        self.positions = positions
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

    def _width(self):
        return 8 * _N_BYTES if self.unpack_bits else _N_BYTES

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the images.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.
        y : ignored

        Returns
        -------
        self : ORB
        """
        check_gray_images(X, ensure_min_samples=1, estimator=type(self).__name__)
        self.n_descriptor_features_ = self._width()
        return self

    def transform(self, X):
        """ORB descriptors of each image.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.

        Returns
        -------
        descriptors : list of ndarray of shape (n_keypoints, n_descriptor_features_)
            float32 bits or uint8 bytes, one set per image (a
            :class:`~skmm.encode.DescriptorSet` with ``positions``).
        """
        descriptors, keypoints = self.transform_with_keypoints(X)
        if not self.positions:
            return descriptors
        return located_sets(descriptors, keypoints, check_images(X))

    def transform_with_keypoints(self, X):
        """ORB descriptors of each image and where they were found.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.

        Returns
        -------
        descriptors : list of ndarray
            As :meth:`transform` without ``positions``.
        keypoints : list of ndarray of shape (n_keypoints, 4), float32
            ``x`` (column), ``y`` (row), ``size`` and ``angle`` (degrees) of
            each descriptor's keypoint, as ``cv2.KeyPoint`` holds them.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform_with_keypoints(X)
        images = check_gray_images(X)
        for position, image in enumerate(images):
            self._check_size(image, position)
        return detect_in_each(self, images)

    def _check_size(self, image, position):
        """Raise, naming the sample, when a level of OpenCV's pyramid would
        have no pixel (OpenCV fails inside ``resize``)."""
        smallest = min(image.shape[:2])
        for level in range(int(self.n_levels)):
            scale = float(self.scale_factor) ** (level - int(self.first_level))
            if round(smallest / scale) < 1:
                height, width = image.shape[:2]
                raise ValueError(
                    f"Image sample {position} is {height}x{width} pixels, too "
                    f"small for ORB's pyramid of n_levels={self.n_levels} at "
                    f"scale_factor={self.scale_factor}: its level {level} would "
                    "have no pixel. Resize the images (ImageReader(size=...)) "
                    "or use fewer levels."
                )

    def _detector(self):
        import cv2

        return cv2.ORB_create(
            nfeatures=int(self.n_features),
            scaleFactor=float(self.scale_factor),
            nlevels=int(self.n_levels),
            edgeThreshold=int(self.edge_threshold),
            firstLevel=int(self.first_level),
            WTA_K=int(self.wta_k),
            scoreType=(
                cv2.ORB_HARRIS_SCORE
                if self.score_type == "harris"
                else cv2.ORB_FAST_SCORE
            ),
            patchSize=int(self.patch_size),
            fastThreshold=int(self.fast_threshold),
        )

    def _detect_and_compute(self, image):
        keypoints, descriptors = self._detector().detectAndCompute(image, None)
        if descriptors is None or len(keypoints) == 0:
            dtype = np.float32 if self.unpack_bits else np.uint8
            return (
                np.zeros((0, self._width()), dtype=dtype),
                np.zeros((0, 4), dtype=np.float32),
            )
        descriptors = np.ascontiguousarray(descriptors, dtype=np.uint8)
        if self.unpack_bits:
            descriptors = np.unpackbits(descriptors, axis=1).astype(np.float32)
        return descriptors, keypoint_table(keypoints)

    def get_feature_names_out(self, input_features=None):
        """Names of the descriptor columns: ``orb_bit0``... or ``orb_byte0``...

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        kind = "bit" if self.unpack_bits else "byte"
        return np.asarray(
            [f"orb_{kind}{i}" for i in range(self.n_descriptor_features_)],
            dtype=object,
        )
