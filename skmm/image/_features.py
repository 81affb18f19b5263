"""What the per-image colour and texture transformers share.

:class:`~skmm.image.LBP`, :class:`~skmm.image.ColorHistogram`,
:class:`~skmm.image.HaralickTexture` and :class:`~skmm.image.HuMoments` each
turn one image of any size into one vector of a fixed length. The base class
here validates the images, converts each to what its kernel reads (naming
the sample when one cannot be), groups images of one prepared shape into a
batch for the kernel, and runs the batches on ``n_jobs`` threads with a
progress bar; a subclass says how to prepare an image and how to compute a
batch.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from skmm.base import StatelessMixin, with_input_kind
from skmm.utils._device import any_cupy, to_numpy
from skmm.utils._parallel import n_workers, parallel_map, runs_in_threads
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_images

# Images go to a kernel in chunks of about this many pixels when a progress
# bar is shown or a non-thread joblib backend takes the work.
_CHUNK_PIXELS = 1 << 23


def as_uint8(image, position):
    """``image`` as 8-bit values, one documented rule per dtype.

    uint8 passes through; bool becomes 0 and 255; uint16 keeps its high byte
    (``value >> 8``, as ``skimage.util.img_as_ubyte`` does); other integer
    dtypes must hold values in [0, 255]; floats must lie in [0, 1] and
    become ``rint(255 * value)`` (``img_as_ubyte``'s rule). Raises a
    ValueError naming the sample otherwise.
    """
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.view(np.uint8) * np.uint8(255)
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    low, high = image.min(), image.max()
    if image.dtype.kind in "iu":
        if low < 0 or high > 255:
            raise ValueError(
                f"Image sample {position} has dtype {image.dtype} with values "
                f"in [{low}, {high}]; integer images other than uint8 and "
                "uint16 must hold 8-bit values in [0, 255]. Convert it (to "
                "uint8, or to float in [0, 1]) first."
            )
        return image.astype(np.uint8)
    if low < 0 or high > 1:
        raise ValueError(
            f"Image sample {position} is a float image with values in "
            f"[{low:g}, {high:g}]; float images must lie in [0, 1] (they "
            "become 8-bit values rint(255 * value)). Rescale it first."
        )
    return np.rint(image.astype(np.float64) * 255).astype(np.uint8)


def gray_uint8(image, position):
    """A gray 8-bit version of ``image``: :func:`as_uint8` of a gray image,
    OpenCV's ``COLOR_RGB2GRAY`` of a colour one (alpha dropped)."""
    import cv2

    image = as_uint8(image, position)
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[..., 0]
    return cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)


def check_pair(value, name, minimum=1):
    """Raise unless ``value`` is a pair of integers >= ``minimum``."""
    if not (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum
            for v in value
        )
    ):
        raise ValueError(
            f"{name} must be a pair of integers >= {minimum} (rows, cols), "
            f"got {value!r}."
        )


def cell_bounds(size, n_cells):
    """Start of each of ``n_cells`` cells along an axis of ``size`` pixels,
    and the end: ``floor(k * size / n_cells)``, so cell sizes differ by one
    pixel at most and every pixel lies in one cell."""
    return (np.arange(n_cells + 1, dtype=np.int64) * size) // n_cells


def cell_of_column(width, n_cells):
    """The grid column of each pixel column (see :func:`cell_bounds`)."""
    bounds = cell_bounds(width, n_cells)
    return np.searchsorted(bounds, np.arange(width), side="right") - 1


def check_grid(height, width, grid, position, estimator):
    """Raise, naming the sample, when an image has fewer pixels than cells."""
    if height < grid[0] or width < grid[1]:
        raise ValueError(
            f"Image sample {position} is {height}x{width} pixels, smaller than "
            f"{estimator}'s grid={tuple(grid)} of cells (one pixel per cell at "
            "least). Use a coarser grid or larger images."
        )


def grid_names(grid, names):
    """``names`` per cell of ``grid``, prefixed ``cell{row}_{col}_`` unless
    the grid is one cell."""
    if tuple(grid) == (1, 1):
        return list(names)
    return [
        f"cell{r}_{c}_{name}"
        for r in range(grid[0])
        for c in range(grid[1])
        for name in names
    ]


def _is_batch_of(X, images, prepared):
    """True when ``X`` is a contiguous stacked batch whose images are the
    prepared arrays themselves."""
    return (
        isinstance(X, np.ndarray)
        and X.ndim >= 3
        and X.flags.c_contiguous
        and all(p is i for p, i in zip(prepared, images, strict=True))
    )


class PerImageFeatures(StatelessMixin, TransformerMixin, BaseEstimator):
    """Base of transformers that map each image to one fixed-length vector.

    Subclasses define ``_check_params()``, ``_names()`` (the feature names,
    whose count is the output width), ``_prepare(image, position)`` (the
    host array the kernel reads, raising with the sample's position when the
    image cannot be used) and ``_compute(batch, n_threads, key)`` (features
    of a stacked batch of prepared arrays of one shape, ``(n, n_features)``
    float64). Images whose ``_batch_key(image)`` differ (None by default)
    go to separate batches, and ``_compute`` receives the key.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the images; learn nothing.

        Parameters
        ----------
        X : list of ndarray, pandas Series, or ndarray of shape (n, h, w) or \
                (n, h, w, channels)
            Images, gray ``(h, w)`` or colour ``(h, w, channels)``, of any
            sizes.
        y : ignored

        Returns
        -------
        self : object
        """
        self._check_params()
        check_images(
            X, name="Image", ensure_min_samples=1, estimator=type(self).__name__
        )
        self.n_features_out_ = len(self._names())
        return self

    def transform(self, X):
        """Compute the feature vector of each image.

        Parameters
        ----------
        X : list of ndarray, pandas Series, or ndarray of shape (n, h, w) or \
                (n, h, w, channels)
            Images, gray or colour (channels last, an alpha channel
            allowed), of any sizes.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out_)
            float64. CuPy images give a CuPy array (computed on the host).
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        images = check_images(X, name="Image", estimator=type(self).__name__)
        on_gpu = any_cupy(images)
        features = np.empty((len(images), self.n_features_out_))
        # Images of one prepared shape (and dtype) go to the kernel together.
        groups = {}
        prepared = []
        for position, image in enumerate(images):
            if on_gpu:
                image = to_numpy(image)
            array = self._prepare(image, position)
            if not array.flags.c_contiguous:
                array = np.ascontiguousarray(array)
            prepared.append(array)
            key = (array.shape, array.dtype, self._batch_key(image))
            groups.setdefault(key, []).append(position)
        with progress_bar(
            len(images), verbose=self.verbose, desc=type(self).__name__, unit="image"
        ) as bar:
            for (_, _, key), positions in groups.items():
                if len(groups) == 1 and _is_batch_of(X, images, prepared):
                    batch = X  # no copy: the kernel reads the input itself
                else:
                    batch = np.stack([prepared[p] for p in positions])
                features[positions] = self._compute_in_chunks(batch, key, bar)
        if not np.isfinite(features).all():
            position = int(np.argmin(np.isfinite(features).all(axis=1)))
            raise ValueError(
                f"Image sample {position} gives non-finite "
                f"{type(self).__name__} features."
            )
        if on_gpu:
            from skmm.utils._device import to_cupy

            return to_cupy(features)
        return features

    def _batch_key(self, image):
        return None

    def _compute_in_chunks(self, batch, key, bar):
        """:meth:`_compute` of the whole batch on ``n_jobs`` threads or, with
        a progress bar or another joblib backend, of chunks of images. An
        image's features depend on that image alone, so chunks give the same
        features."""
        n_images = batch.shape[0]
        size = max(1, _CHUNK_PIXELS // max(1, int(np.prod(batch.shape[1:]))))
        workers = n_workers(self.n_jobs)
        if not runs_in_threads():
            size = max(1, min(size, -(-n_images // (4 * workers))))
            parts = []
            for part in parallel_map(
                self._compute,
                ((batch[b : b + size], 1, key) for b in range(0, n_images, size)),
            ):
                parts.append(part)
                bar.update(part.shape[0])
            return np.concatenate(parts)
        if not self.verbose or n_images <= size:
            features = self._compute(batch, workers, key)
            bar.update(n_images)
            return features
        parts = []
        for begin in range(0, n_images, size):
            parts.append(self._compute(batch[begin : begin + size], workers, key))
            bar.update(parts[-1].shape[0])
        return np.concatenate(parts)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_out_")
        return np.asarray(self._names(), dtype=object)
