"""Validation of image input, shared by the image estimators."""

import numbers

import numpy as np

from skmm.utils._device import array_module, is_cupy_array
from skmm.utils._validation import _as_column, _is_missing, _sample_label

_CHANNELS = (1, 3, 4)


def _missing_error(name, label, value):
    return ValueError(
        f"{name} {label} is a missing value ({value!r}). Drop or impute missing "
        "images, read files with ImageReader(on_error='missing') and let a "
        "late-fusion model route samples without an image around this estimator."
    )


def check_images(X, *, name="Image", ensure_min_samples=0, estimator=None):
    """Validate decoded images and return them as a list of arrays.

    Each sample must be a NumPy array of shape ``(height, width)`` (gray) or
    ``(height, width, channels)`` with 1, 3 or 4 channels (channels last, as
    scikit-image's ``channel_axis=-1``), of a real numeric dtype, with
    finite values and at least one pixel. Arrays are neither copied nor
    converted. A 3-D array ``(n, height, width)`` or a 4-D array ``(n,
    height, width, channels)`` (NumPy or CuPy) is a batch of equally sized
    images, held to the same checks: they run vectorised over the whole
    batch, and only when one fails are the samples checked one by one to
    name the first bad one.

    Parameters
    ----------
    X : list, tuple, 1-D object array, pandas Series, one-column DataFrame, \
            or a 3-D/4-D ndarray
        One image per sample, e.g. the output of
        :class:`~skmm.image.ImageReader`.
    name : str, default="Image"
        How messages name the input ("Image sample 3 ...").
    ensure_min_samples : int, default=0
        Raise a ValueError when there are fewer samples (``fit`` asks for 1,
        as scikit-learn's ``check_array`` does).
    estimator : str, default=None
        The estimator named in that error.

    Returns
    -------
    images : list of ndarray
        The arrays, unconverted.

    Raises
    ------
    ValueError
        If an image is missing (None/NaN), empty, of the wrong number of
        dimensions or channels, or holds NaN or inf; or if there are fewer
        than ``ensure_min_samples`` images.
    TypeError
        If an image is not a NumPy array (a file path: read it with
        :class:`~skmm.image.ImageReader` first) or not of a real numeric
        dtype.

    Every message names the sample by position (and index label).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image._validation import check_images
    >>> [image.shape for image in check_images(np.zeros((2, 8, 6)))]
    [(8, 6), (8, 6)]
    """
    if _is_stacked_batch(X):
        if _batch_is_valid(X):
            return _enough(list(X), ensure_min_samples, name, estimator)
        # Some sample fails: the checks below find the first and name it.
        X = list(X)
    cells, labels = _as_column(X, kind="image")
    _enough(cells, ensure_min_samples, name, estimator)
    for position, image in enumerate(cells):
        # CuPy images are checked where they are, on the GPU.
        is_array = isinstance(image, np.ndarray) or is_cupy_array(image)
        if (
            is_array
            and image.dtype.kind in "biuf"
            and image.size
            and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in _CHANNELS))
            and (
                image.dtype.kind != "f"
                or bool(array_module(image).isfinite(image).all())
            )
        ):
            continue
        label = _sample_label(position, labels)
        where = f"{name} {label}"
        if _is_missing(image):
            raise _missing_error(name, label, image)
        if isinstance(image, numbers.Number | np.generic):
            image = np.asarray(image)
        if not (isinstance(image, np.ndarray) or is_cupy_array(image)):
            raise TypeError(
                f"{where} is of type {type(image).__name__}; expected an image "
                "array. Read files with skmm.image.ImageReader first."
            )
        if image.dtype.kind not in "biuf":
            raise TypeError(
                f"{where} has dtype {image.dtype}; expected a real numeric "
                "image (uint8, integer or float)."
            )
        if image.ndim not in (2, 3):
            raise ValueError(
                f"{where} is an array of shape {image.shape}; expected "
                "(height, width) or (height, width, channels)."
            )
        if image.ndim == 3 and image.shape[2] not in _CHANNELS:
            raise ValueError(
                f"{where} has shape {image.shape}: {image.shape[2]} channels in "
                "the last axis; expected 1, 3 or 4 (channels last)."
            )
        if image.size == 0:
            raise ValueError(f"{where} is empty, shape {image.shape}.")
        xp = array_module(image)
        n_bad = int(image.size - xp.count_nonzero(xp.isfinite(image)))
        raise ValueError(
            f"{where} holds {n_bad} non-finite pixel value(s) (NaN or inf)."
        )
    return cells


def _is_stacked_batch(X):
    """True for a 3-D ``(n, h, w)`` or 4-D ``(n, h, w, c)`` numeric array."""
    return (
        (isinstance(X, np.ndarray) or is_cupy_array(X))
        and X.dtype != object
        and X.ndim in (3, 4)
    )


def _batch_is_valid(batch):
    """Every image of a stacked batch passes :func:`check_images`'s checks,
    decided by whole-batch operations (one ``isfinite`` pass for floats)."""
    if batch.dtype.kind not in "biuf":
        return False
    if batch.ndim == 4 and batch.shape[3] not in _CHANNELS:
        return False
    if batch.shape[0] and not batch[0].size:
        return False
    if batch.dtype.kind == "f":
        return bool(array_module(batch).isfinite(batch).all())
    return True


def _enough(images, ensure_min_samples, name, estimator):
    if len(images) < ensure_min_samples:
        by = f" by {estimator}" if estimator else ""
        raise ValueError(
            f"Found {len(images)} {name.lower()} sample(s) while a minimum of "
            f"{ensure_min_samples} is required{by}."
        )
    return images


def check_same_size(images, *, name="Image"):
    """Raise unless every image has the height and width of the first.

    Returns ``(height, width)``.
    """
    height, width = images[0].shape[:2]
    for position, image in enumerate(images):
        if image.shape[:2] != (height, width):
            raise ValueError(
                f"{name} sample {position} is {image.shape[0]}x{image.shape[1]} "
                f"pixels but sample 0 is {height}x{width}; images in one call "
                "must share one size. Resize them with "
                f"ImageReader(size=({height}, {width})) first."
            )
    return height, width
