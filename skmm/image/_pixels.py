"""Raw pixels as features: each image flattened to one row."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from skmm.base import StatelessMixin, with_input_kind
from skmm.utils._device import array_module
from skmm.utils._validation import check_images, check_same_size


class Pixels(StatelessMixin, TransformerMixin, BaseEstimator):
    """Flatten each image into one row of pixel values.

    The pixels of an image, row by row (and channel by channel within a
    pixel, as ``ndarray.ravel`` gives them), become that image's feature
    vector: the baseline of image classification, and what a
    ``FunctionTransformer`` that stacks and flattens images would do, with
    skmm's checks of the images (every message names the sample) and
    feature names. It learns nothing: ``fit`` records the image shape, which
    ``transform`` then requires.

    Parameters
    ----------
    dtype : {"float64", "float32"}, default="float64"
        dtype of the features.

    Attributes
    ----------
    image_shape_ : tuple of int
        Shape of the images seen in ``fit``: ``(height, width)`` or
        ``(height, width, channels)``.
    n_features_out_ : int
        Number of pixel values per image.

    See Also
    --------
    skmm.image.ImageReader : Read image files into arrays of one size.
    skmm.image.HOG : Gradient histograms, usually better features.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image import Pixels
    >>> images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    >>> Pixels().fit_transform(images).shape
    (2, 12)
    >>> Pixels().fit(images).get_feature_names_out()[:3]
    array(['pixel_0_0', 'pixel_0_1', 'pixel_0_2'], dtype=object)
    """

    _parameter_constraints: dict = {
        "dtype": [StrOptions({"float64", "float32"})],
    }

    def __init__(self, *, dtype="float64"):
        self.dtype = dtype

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the images and record their shape.

        Parameters
        ----------
        X : list of ndarray, pandas Series, or ndarray of shape (n, h, w) or \
                (n, h, w, channels)
            Images of one shape, as :class:`~skmm.image.ImageReader` gives.
        y : ignored

        Returns
        -------
        self : Pixels
        """
        images = check_images(X, ensure_min_samples=1, estimator=type(self).__name__)
        self._check_shapes(images, tuple(images[0].shape))
        self.image_shape_ = tuple(images[0].shape)
        self.n_features_out_ = int(np.prod(self.image_shape_))
        return self

    @staticmethod
    def _check_shapes(images, shape):
        check_same_size(images)
        for position, image in enumerate(images):
            if image.shape != shape:
                raise ValueError(
                    f"Image sample {position} has shape {image.shape} but "
                    f"{shape} was expected: Pixels needs images of one size "
                    "and one number of channels. Read them with "
                    "ImageReader(size=..., color=...) first."
                )

    def transform(self, X):
        """Flatten each image.

        Parameters
        ----------
        X : list of ndarray, pandas Series, or ndarray of shape (n, h, w) or \
                (n, h, w, channels)
            Images of the shape seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out_)
            The pixel values, in NumPy or CuPy as the images are.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        images = check_images(X, estimator=type(self).__name__)
        if not images:
            return np.empty((0, self.n_features_out_), dtype=self.dtype)
        self._check_shapes(images, self.image_shape_)
        xp = array_module(images[0])
        if isinstance(X, np.ndarray | getattr(xp, "ndarray", np.ndarray)) and (
            X.dtype != object and X.ndim >= 3
        ):
            return xp.asarray(X, dtype=self.dtype).reshape(len(X), -1)
        return xp.stack(
            [xp.asarray(image, dtype=self.dtype).ravel() for image in images]
        )

    def get_feature_names_out(self, input_features=None):
        """Names ``pixel_{row}_{col}`` (with ``_{channel}`` for colour).

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "image_shape_")
        index = np.indices(self.image_shape_).reshape(len(self.image_shape_), -1).T
        return np.asarray(
            ["pixel_" + "_".join(map(str, position)) for position in index],
            dtype=object,
        )
