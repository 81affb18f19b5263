"""Hu moments equal to OpenCV's ``cv2.HuMoments(cv2.moments(image))``."""

import numbers

import numpy as np

from skmm.image._features import PerImageFeatures, gray_uint8
from skmm.utils._parallel import parallel_map

# Image dtypes cv2.moments reads as they are.
_CV2_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


def _hu_moments(batch, binary_image, log_scale):
    """``(n, 7)`` Hu moments of a batch of 2-D images, one OpenCV call each."""
    import cv2

    out = np.empty((batch.shape[0], 7))
    for n, image in enumerate(batch):
        out[n] = cv2.HuMoments(cv2.moments(image, binary_image)).ravel()
    if log_scale:
        magnitude = np.abs(out)
        nonzero = magnitude > 0
        out[nonzero] = -np.sign(out[nonzero]) * np.log10(magnitude[nonzero])
    return out


class HuMoments(PerImageFeatures):
    """Hu's seven invariant moments of each image or its silhouette, as
    OpenCV computes them, log-scaled.

    Each image gives ``cv2.HuMoments(cv2.moments(image, binary_image))``,
    and by default the usual log scaling ``-sign(h) * log10(|h|)`` of each
    (zeros stay zero). The moments are invariant to translation, scale and
    rotation (the seventh changes sign under reflection): a shape
    descriptor.

    Parameters
    ----------
    binary_image : bool, default=False
        OpenCV's ``binaryImage``: every nonzero pixel counts as 1, so the
        moments are those of the silhouette rather than of the intensities.
    use_alpha : bool, default=True
        For images with an alpha channel, take the moments of the alpha
        channel (the picture's opacity, its silhouette with
        ``binary_image=True``) instead of the gray image: what shape means
        for clip art and cut-outs.
    log_scale : bool, default=True
        Return ``-sign(h) * log10(|h|)`` (0 for ``h = 0``) instead of the
        raw moments, which span many orders of magnitude.
    n_jobs : int, default=None
        Number of threads (OpenCV releases the GIL). ``None`` means 1
        unless in a :obj:`joblib.parallel_config` context. ``-1`` means
        using all processors. See :term:`Glossary <n_jobs>`.
    verbose : bool or int, default=False
        Show a progress bar counting the images done.

    Attributes
    ----------
    n_features_out_ : int
        7.

    See Also
    --------
    cv2.HuMoments, cv2.moments : The reference, called per image.

    Notes
    -----
    OpenCV's moments are already a tight C++ loop, so this transformer calls
    them per image (on ``n_jobs`` threads) rather than reimplementing them.
    Gray images go to ``cv2.moments`` as they are when OpenCV reads their
    dtype (uint8, uint16, int16, float32, float64), other dtypes as
    float64; colour images as OpenCV's 8-bit ``COLOR_RGB2GRAY`` (see
    :class:`ColorHistogram` for the 8-bit rule). An all-zero image (or a
    fully transparent one with ``use_alpha=True``) has no mass: OpenCV
    gives zeros, and so does this transformer.

    References
    ----------
    .. [1] M.-K. Hu, "Visual pattern recognition by moment invariants", IRE
       Trans. Information Theory 8(2), 179-187, 1962.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image import HuMoments
    >>> rectangle = np.zeros((32, 32), dtype=np.uint8)
    >>> rectangle[8:24, 4:28] = 255
    >>> hu = HuMoments().fit([rectangle])
    >>> hu.transform([rectangle]).round(2)[0, :2]
    array([3.15, 7.13])
    >>> hu.get_feature_names_out()[:2]
    array(['hu1', 'hu2'], dtype=object)
    """

    _parameter_constraints: dict = {
        "binary_image": ["boolean"],
        "use_alpha": ["boolean"],
        "log_scale": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        binary_image=False,
        use_alpha=True,
        log_scale=True,
        n_jobs=None,
        verbose=False,
    ):
        self.binary_image = binary_image
        self.use_alpha = use_alpha
        self.log_scale = log_scale
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        pass

    def _names(self):
        return [f"hu{k}" for k in range(1, 8)]

    def _prepare(self, image, position):
        if image.ndim == 3 and image.shape[2] == 4 and self.use_alpha:
            image = image[..., 3]
        elif image.ndim == 3 and image.shape[2] > 1:
            image = gray_uint8(image, position)
        elif image.ndim == 3:
            image = image[..., 0]
        if image.dtype == np.bool_:
            return image.view(np.uint8)
        if image.dtype not in _CV2_DTYPES:
            return image.astype(np.float64)
        return image

    def _compute(self, batch, n_threads, key=None):
        size = -(-batch.shape[0] // n_threads)
        chunks = (
            (batch[begin : begin + size], bool(self.binary_image), self.log_scale)
            for begin in range(0, batch.shape[0], size)
        )
        return np.concatenate(list(parallel_map(_hu_moments, chunks, n_jobs=n_threads)))
