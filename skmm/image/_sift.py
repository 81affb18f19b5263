"""SIFT keypoints and descriptors through OpenCV, one descriptor set per image."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_images

_N_DESCRIPTOR_FEATURES = 128


def to_gray_uint8(image, position, name="Image"):
    """One image as the 8-bit gray image OpenCV's SIFT reads.

    Float images must hold values in [0, 1] and are scaled by 255 and
    rounded to the nearest integer (half to even); integer images must hold
    values in 0..255 and are taken as they are; boolean images become 0 and
    255. Colour images (``(h, w, 3)`` RGB or ``(h, w, 4)`` RGBA, channels
    last) are converted as ``cv2.cvtColor(..., COLOR_RGB2GRAY)`` does after
    the conversion to 8 bits; ``(h, w, 1)`` is taken as gray.

    Raises ValueError, naming the sample by ``position``, for values out of
    range.
    """
    import cv2

    if image.dtype == np.uint8:
        gray = image
    elif image.dtype == bool:
        gray = image.astype(np.uint8) * np.uint8(255)
    else:
        low, high = image.min(), image.max()
        if image.dtype.kind == "f":
            if low < 0 or high > 1:
                raise ValueError(
                    f"{name} sample {position} is a float image with values in "
                    f"[{low:g}, {high:g}]; float images must lie in [0, 1] (they "
                    "are scaled by 255 to 8 bits). Divide by 255 if it holds "
                    "0-255 gray levels, or pass it as uint8."
                )
            gray = np.rint(image * 255.0).astype(np.uint8)
        else:
            if low < 0 or high > 255:
                raise ValueError(
                    f"{name} sample {position} is an integer image with values "
                    f"in [{low}, {high}]; integer images must hold 8-bit gray "
                    "levels 0..255. Rescale it (e.g. skimage.util.img_as_ubyte) "
                    "first."
                )
            gray = image.astype(np.uint8)
    if gray.ndim == 3:
        if gray.shape[2] == 1:
            gray = gray[:, :, 0]
        else:
            code = cv2.COLOR_RGB2GRAY if gray.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
            gray = cv2.cvtColor(np.ascontiguousarray(gray), code)
    return np.ascontiguousarray(gray)


def check_gray_images(X, *, name="Image", ensure_min_samples=0, estimator=None):
    """``check_images`` then ``to_gray_uint8`` on every image."""
    images = check_images(
        X, name=name, ensure_min_samples=ensure_min_samples, estimator=estimator
    )
    return [
        to_gray_uint8(image, position, name) for position, image in enumerate(images)
    ]


def root_sift(descriptors):
    """RootSIFT (Arandjelović and Zisserman, 2012): L1-normalise each row,
    then take the element-wise square root. Rows of zeros stay zero."""
    total = np.abs(descriptors).sum(axis=1, keepdims=True)
    return np.sqrt(
        np.abs(descriptors) / np.where(total > 0, total, 1), dtype=np.float32
    )


def keypoint_table(keypoints):
    """``x``, ``y``, ``size`` and ``angle`` of OpenCV keypoints, float32
    ``(n, 4)``."""
    return np.array(
        [(k.pt[0], k.pt[1], k.size, k.angle) for k in keypoints], dtype=np.float32
    ).reshape(-1, 4)


def located_sets(descriptors, keypoints, images):
    """:class:`~skmm.encode.DescriptorSet` objects of descriptors at keypoints
    (``x, y`` first) of images."""
    from skmm.encode._pyramid import DescriptorSet

    return [
        DescriptorSet(d, k[:, :2], image.shape)
        for d, k, image in zip(descriptors, keypoints, images, strict=True)
    ]


def detect_in_each(detector, images):
    """``detector._detect_and_compute(image)`` for each image, as two lists
    (descriptors, keypoints), on ``detector.n_jobs`` threads with a progress
    bar if ``detector.verbose``."""
    from skmm.utils._parallel import n_workers, parallel_map

    if n_workers(detector.n_jobs) == 1 or len(images) < 2:
        described = (detector._detect_and_compute(image) for image in images)
    else:
        # In order, as each image is done, so that the bar moves; on
        # threads unless a joblib backend (dask, say) was chosen.
        described = parallel_map(
            detector._detect_and_compute,
            ((image,) for image in images),
            n_jobs=detector.n_jobs,
        )
    results = []
    name = type(detector).__name__
    with progress_bar(
        len(images), verbose=detector.verbose, desc=name, unit="image"
    ) as bar:
        for result in described:
            results.append(result)
            bar.update()
    return [r[0] for r in results], [r[1] for r in results]


class SIFT(StatelessMixin, PerSampleOutputMixin, TransformerMixin, BaseEstimator):
    """SIFT keypoints and descriptors of each image, by OpenCV.

    Runs ``cv2.SIFT_create(...).detectAndCompute`` on each image (converted
    to 8-bit gray, see Notes) and returns its descriptors as a *descriptor
    set*: one ``(n_keypoints, 128)`` float32 array per image, ready for the
    encoders of :mod:`skmm.encode`. An image without keypoints (flat, tiny,
    low contrast) gives an empty ``(0, 128)`` array; the encoders turn it
    into their "no descriptor" row. :meth:`transform_with_keypoints` also
    returns where each descriptor was found, for spatial pooling.

    The transformer is stateless: ``fit`` only validates the parameters and
    the images.

    Parameters
    ----------
    n_features : int, default=0
        Keep the best this many keypoints (by response) per image; 0 keeps
        all. OpenCV's ``nfeatures``.
    n_octave_layers : int, default=3
        Layers per octave of the difference-of-Gaussians scale space.
        OpenCV's ``nOctaveLayers``.
    contrast_threshold : float, default=0.04
        Discards weak keypoints in low-contrast regions; larger gives fewer.
        OpenCV's ``contrastThreshold`` (divided by ``n_octave_layers`` inside
        OpenCV).
    edge_threshold : float, default=10
        Discards edge-like keypoints; larger keeps more. OpenCV's
        ``edgeThreshold``.
    sigma : float, default=1.6
        Gaussian blur of the base of the scale space. OpenCV's ``sigma``.
    root_sift : bool, default=False
        Return RootSIFT [2]_ descriptors: each descriptor L1-normalised, then
        square-rooted (so Euclidean distance between them compares like the
        Hellinger kernel). Otherwise OpenCV's values: integers 0..255 (as
        float32) of unit-norm descriptors scaled by 512.
    positions : bool, default=False
        Make :meth:`transform` return each set as a
        :class:`~skmm.encode.DescriptorSet` carrying the keypoints' ``x, y``
        and the image size, for :class:`~skmm.encode.SpatialPyramid`.
    n_jobs : int, default=None
        Number of threads over images (OpenCV releases the GIL). ``None``
        means 1 unless in a :obj:`joblib.parallel_config` context. ``-1``
        means using all processors. See :term:`Glossary <n_jobs>` for more
        details. OpenCV also threads inside each image.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` and ``transform_with_keypoints`` counting the images
        done.

    Attributes
    ----------
    n_descriptor_features_ : int
        Width of each descriptor, 128.

    See Also
    --------
    skmm.image.DenseSIFT : SIFT descriptors on a regular grid, no detection.
    skmm.encode.VLAD : Encode descriptor sets into one vector per image.
    cv2.SIFT_create : The detector and descriptor this transformer runs.

    Notes
    -----
    Images are ``(h, w)`` gray or ``(h, w, 3)`` RGB / ``(h, w, 4)`` RGBA
    (channels last, as scikit-image and :class:`~skmm.image.ImageReader`
    give them), of any real dtype. OpenCV's SIFT reads 8-bit images only, so
    each image is converted:

    - ``uint8``: as is;
    - other integer dtypes: must hold values 0..255, cast to ``uint8``;
    - float: must hold values in [0, 1]; multiplied by 255 and rounded to
      the nearest integer;
    - bool: 0 and 255.

    Out-of-range values raise ``ValueError`` naming the sample. Colour is
    then converted to gray with OpenCV's RGB weights (``COLOR_RGB2GRAY``:
    0.299 R + 0.587 G + 0.114 B); an image in OpenCV's BGR order must be
    flipped (``image[..., ::-1]``) first.

    References
    ----------
    .. [1] D. G. Lowe, "Distinctive image features from scale-invariant
       keypoints", International Journal of Computer Vision 60(2), 2004.
    .. [2] R. Arandjelović and A. Zisserman, "Three things everyone should
       know to improve object retrieval", CVPR 2012.

    Examples
    --------
    >>> from skimage import data
    >>> from skmm.image._sift import SIFT
    >>> images = [data.camera(), data.coins()]
    >>> sift = SIFT(n_features=50).fit(images)
    >>> [d.shape for d in sift.transform(images)]
    [(50, 128), (50, 128)]
    >>> descriptors, keypoints = sift.transform_with_keypoints(images[:1])
    >>> keypoints[0].shape  # x, y, size, angle of each descriptor row
    (50, 4)
    """

    _parameter_constraints: dict = {
        "n_features": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_octave_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "contrast_threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "edge_threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "sigma": [Interval(numbers.Real, 0, None, closed="neither")],
        "root_sift": ["boolean"],
        "positions": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_features=0,
        n_octave_layers=3,
        contrast_threshold=0.04,
        edge_threshold=10,
        sigma=1.6,
        root_sift=False,
        positions=False,
        n_jobs=None,
        verbose=False,
    ):
        self.n_features = n_features
        self.n_octave_layers = n_octave_layers
        self.contrast_threshold = contrast_threshold
        self.edge_threshold = edge_threshold
        self.sigma = sigma
        self.root_sift = root_sift
        self.positions = positions
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

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
        self : SIFT
        """
        check_gray_images(X, ensure_min_samples=1, estimator=type(self).__name__)
        self.n_descriptor_features_ = _N_DESCRIPTOR_FEATURES
        return self

    def transform(self, X):
        """SIFT descriptors of each image.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.

        Returns
        -------
        descriptors : list of ndarray of shape (n_keypoints, 128), float32
            One descriptor set per image; ``(0, 128)`` where no keypoint was
            found (:class:`~skmm.encode.DescriptorSet` objects with ``positions``).
        """
        descriptors, keypoints = self.transform_with_keypoints(X)
        if not self.positions:
            return descriptors
        return located_sets(descriptors, keypoints, check_images(X))

    def transform_with_keypoints(self, X):
        """SIFT descriptors of each image and where they were found.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.

        Returns
        -------
        descriptors : list of ndarray of shape (n_keypoints, 128), float32
            As :meth:`transform`.
        keypoints : list of ndarray of shape (n_keypoints, 4), float32
            For each descriptor row, its keypoint's ``x`` (column) and ``y``
            (row) in pixels, ``size`` (diameter in pixels) and ``angle``
            (degrees, OpenCV's convention), as ``cv2.KeyPoint`` holds them.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform_with_keypoints(X)
        return detect_in_each(self, check_gray_images(X))

    def _detect_and_compute(self, image):
        import cv2

        sift = cv2.SIFT_create(
            nfeatures=int(self.n_features),
            nOctaveLayers=int(self.n_octave_layers),
            contrastThreshold=float(self.contrast_threshold),
            edgeThreshold=float(self.edge_threshold),
            sigma=float(self.sigma),
        )
        keypoints, descriptors = sift.detectAndCompute(image, None)
        if descriptors is None or len(keypoints) == 0:
            return (
                np.zeros((0, _N_DESCRIPTOR_FEATURES), dtype=np.float32),
                np.zeros((0, 4), dtype=np.float32),
            )
        descriptors = np.ascontiguousarray(descriptors, dtype=np.float32)
        if self.root_sift:
            descriptors = root_sift(descriptors)
        return descriptors, keypoint_table(keypoints)

    def get_feature_names_out(self, input_features=None):
        """Names of the descriptor columns: ``sift0`` to ``sift127``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return np.asarray(
            [f"sift{i}" for i in range(_N_DESCRIPTOR_FEATURES)], dtype=object
        )
