"""HOG features equal to ``skimage.feature.hog``, computed in batches."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import StatelessMixin, with_input_kind
from skmm.utils._device import (
    any_cupy,
    array_module,
    is_cupy_array,
    on_device,
    resolve_device,
    to_numpy,
)
from skmm.utils._parallel import n_workers, numba_threads
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_images, check_same_size, per_sample_values

_BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
# With a progress bar, images go to the kernel in chunks of about this many
# pixels: enough images per chunk to keep every thread busy, and a bar that
# moves every fraction of a second.
_PROGRESS_CHUNK_PIXELS = 1 << 23
# A list of images is stacked and computed in chunks of about this many
# bytes of images (and of features): bounded memory beyond the output, and
# chunks large enough to keep every thread busy (4,096 images of 128x64).
_STREAM_CHUNK_BYTES = 1 << 25


def float_dtype(dtype):
    """scikit-image's float dtype for an image dtype (``_supported_float_type``):
    float32 for float32 and float16 images, float64 for everything else.
    HOG computes gradients in it; :class:`~skmm.plotting.HOGDisplay` draws
    in it."""
    return np.dtype(np.float32 if dtype in (np.float32, np.float16) else np.float64)


def _kernel_input(images):
    """Images as one contiguous ``(n, h, w, channels)`` array of a dtype the
    Numba kernels read (float16 widened to float32, bool as uint8)."""
    xp = array_module(images[0] if isinstance(images, list) else images)
    batch = xp.stack(images) if isinstance(images, list) else images
    if batch.ndim == 3:
        batch = batch[..., None]
    if batch.dtype == np.float16:
        batch = batch.astype(np.float32)
    elif batch.dtype == np.bool_:
        batch = batch.view(np.uint8)
    return xp.ascontiguousarray(batch)


def _minimum(image):
    """Smallest pixel value of ``image``, on its device."""
    return image.min()


def _check_finite_features(features):
    """Raise, naming the first image, when features overflowed.

    The images are finite (checked), so non-finite features can only come
    from overflow: cell histograms sum gradient magnitudes in float32, as
    scikit-image does, which overflows past 3.4e38 (pixel values of about
    1e36 and beyond); float64 gradients square past 1e154.
    """
    xp = array_module(features)
    # One reduction, no temporary of the output's size: finite features lie
    # in [0, 1] (each block divided by at least its norm), so their sum is
    # finite, and NaN and inf propagate through it.
    if bool(xp.isfinite(features.sum())):
        return
    position = int(xp.argmin(xp.isfinite(features).all(axis=1)))
    raise ValueError(
        f"Image sample {position} gives non-finite HOG features: its gradient "
        "magnitudes summed over a cell overflow float32 (3.4e38), in which "
        "HOG accumulates cells as scikit-image does. Rescale the images (to "
        "[0, 1], say) first."
    )


def _numpy_bins(batch, transform_sqrt, dtype, orientations):
    """NumPy's orientation bin of every pixel of ``batch`` ``(n, h, w,
    channels)``, ``(n, h, w)`` int64: what scikit-image's ``arctan2`` gives
    for the few images with pixels within an ulp of a bin boundary."""
    from skmm.image import _hog_xp

    g_row, g_col = _hog_xp.dominant_gradients(batch, transform_sqrt, dtype, np)
    bins = _hog_xp.orientation_bins(g_row, g_col, orientations, np)
    return bins.astype(np.int64)


def _bin_table(dtype, transform_sqrt, orientations):
    """The kernels' ``table`` argument: the bins of every integer gradient
    for images of 8-bit integers (whose gradients are such integers) without
    the square root, else none."""
    from skmm.image import _hog_numba as kernels

    if not transform_sqrt and np.dtype(dtype) in (np.uint8, np.int8):
        table = kernels.integer_gradient_bins(orientations)
        if table is not None:
            return table
    return kernels.no_table()


def cell_histograms(
    image, *, orientations=9, pixels_per_cell=(8, 8), transform_sqrt=False
):
    """Orientation histogram of each cell of one image, before block
    normalisation.

    The cells :class:`HOG` builds its blocks from, by the same Numba pass
    (with NumPy's bins for pixels on a bin boundary), equal to the
    ``orientation_histogram`` of ``skimage.feature.hog``: for each whole
    cell, the average gradient magnitude per orientation bin.
    :class:`~skmm.plotting.HOGDisplay` draws them.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, channels)
        One valid image (see :func:`~skmm.utils._validation.check_images`),
        on the host.
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : tuple of int (rows, cols), default=(8, 8)
        Size of a cell in pixels.
    transform_sqrt : bool, default=False
        Take the square root of each pixel first.

    Returns
    -------
    cells : ndarray of shape (n_cells_row, n_cells_col, orientations)
        float64 holding the float32 values scikit-image computes.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image._hog import cell_histograms
    >>> image = np.tile(np.arange(16.0), (16, 1))  # gradient along columns
    >>> cells = cell_histograms(image, orientations=4, pixels_per_cell=(8, 8))
    >>> cells.shape
    (2, 2, 4)
    >>> cells[0, 0]  # 56 of 64 pixels vote 2 into the 0-degree bin
    array([1.75, 0.  , 0.  , 0.  ])
    """
    from skmm.image import _hog_numba as kernels

    image = np.asarray(image)
    dtype = float_dtype(image.dtype)
    batch = _kernel_input([image])
    height, width, n_channels = batch.shape[1:]
    c_row, c_col = pixels_per_cell
    cells = np.empty((height // c_row, width // c_col, orientations))
    work = np.empty((n_channels, height, width), dtype=dtype)
    arguments = (
        c_row,
        c_col,
        kernels.bin_bounds(orientations),
        _bin_table(batch.dtype, transform_sqrt, orientations),
        bool(transform_sqrt),
    )
    n_ambiguous = kernels.cell_histograms(
        batch[0], *arguments, np.zeros((0, 0), dtype=np.int64), work, cells
    )
    if n_ambiguous:
        override = _numpy_bins(batch, bool(transform_sqrt), dtype, orientations)[0]
        kernels.cell_histograms(batch[0], *arguments, override, work, cells)
    return cells


class HOG(StatelessMixin, TransformerMixin, BaseEstimator):
    """Histogram of oriented gradients, equal to ``skimage.feature.hog``.

    Each image gives the vector ``skimage.feature.hog(image, ...,
    feature_vector=True)`` returns (with ``channel_axis=-1`` for colour
    images), computed for the whole batch by one Numba kernel: gradients,
    orientation binning into cells and block normalisation in one pass per
    image, images in parallel. With ``device="cuda"`` the same computation
    runs on the GPU with CuPy.

    Parameters
    ----------
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : tuple of int (rows, cols), default=(8, 8)
        Size of a cell in pixels. Rows and columns past the last whole cell
        are ignored, as scikit-image does.
    cells_per_block : tuple of int (rows, cols), default=(3, 3)
        Number of cells in each block.
    block_norm : {"L1", "L1-sqrt", "L2", "L2-Hys"}, default="L2-Hys"
        Block normalisation, with scikit-image's ``eps=1e-5`` and, for
        "L2-Hys", clipping at 0.2 before renormalising.
    transform_sqrt : bool, default=False
        Take the square root of each pixel first (power-law compression).
        Images with negative values raise.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute. "cuda" needs CuPy and a CUDA device; "auto" takes
        the GPU when there is one. The output's array library follows the
        input's: CuPy images (as ``ImageReader(device="cuda")`` returns)
        give a CuPy array, computed without leaving the GPU; NumPy images
        give NumPy, copied to the GPU chunk by chunk and the features back
        once.
    n_jobs : int, default=None
        Number of threads of the CPU kernel (images run in parallel).
        ``None`` means 1 unless in a :obj:`joblib.parallel_config` context.
        ``-1`` means using all processors. See :term:`Glossary <n_jobs>` for
        more details. A ``joblib.parallel_config`` context that picks
        another backend (dask, say) gets chunks of images instead, each
        computed on one thread.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` counting the images done. The images then go to the
        kernel in chunks (of about 8 million pixels), which gives the same
        features.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width)`` of the images seen in ``fit``, or ``(height,
        width, channels)`` for colour images. ``transform`` needs images of
        this height and width.
    n_features_out_ : int
        Length of each image's feature vector.
    device_ : {"cpu", "cuda"}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.image.ImageReader : Read image files into arrays, resized.
    skimage.feature.hog : The reference this transformer equals.

    Notes
    -----
    The features equal scikit-image's to about 1e-16 for float64 and integer
    images and to float32 rounding for float32 images: the kernel reproduces
    scikit-image's float32 bin boundaries, its cell sums accumulated in
    float32 and its choice of the colour channel of largest gradient
    magnitude. Integer and float64 images give float64 features, float32
    (and float16) images float32 features, as scikit-image does.

    NumPy's ``arctan2`` (SIMD on AVX-512 machines) and the C library's
    ``atan2`` differ in the last bit at times, which moves a pixel lying
    within an ulp of a bin boundary (a near-diagonal gradient of a rescaled
    image, say) to the other bin. The kernel counts pixels within 1e-12
    degrees of a boundary and recomputes the few images that have them with
    NumPy's bins, so the features stay scikit-image's.

    References
    ----------
    .. [1] N. Dalal and B. Triggs, "Histograms of Oriented Gradients for
       Human Detection", Proc. CVPR, 2005.
    .. [2] S. van der Walt et al., "scikit-image: image processing in
       Python", PeerJ 2:e453, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image._hog import HOG
    >>> images = np.random.default_rng(0).random((5, 32, 32))
    >>> hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit(images)
    >>> hog.transform(images).shape
    (5, 324)
    >>> hog.get_feature_names_out()[:3]
    array(['hog0', 'hog1', 'hog2'], dtype=object)
    """

    _parameter_constraints: dict = {
        "orientations": [Interval(numbers.Integral, 1, None, closed="left")],
        "pixels_per_cell": [tuple, list],
        "cells_per_block": [tuple, list],
        "block_norm": [StrOptions(set(_BLOCK_NORMS))],
        "transform_sqrt": ["boolean"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        orientations=9,
        pixels_per_cell=(8, 8),
        cells_per_block=(3, 3),
        block_norm="L2-Hys",
        transform_sqrt=False,
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.transform_sqrt = transform_sqrt
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

    def _check_params(self):
        for name in ("pixels_per_cell", "cells_per_block"):
            value = getattr(self, name)
            if len(value) != 2 or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                for v in value
            ):
                raise ValueError(
                    f"{name} must be a pair of positive integers (rows, cols), "
                    f"got {value!r}."
                )

    def _geometry(self, height, width):
        """``(n_cells_row, n_cells_col, n_features)`` for an image size, or
        raise when the image is smaller than one block."""
        c_row, c_col = self.pixels_per_cell
        b_row, b_col = self.cells_per_block
        n_cells_row, n_cells_col = height // c_row, width // c_col
        n_blocks_row = n_cells_row - b_row + 1
        n_blocks_col = n_cells_col - b_col + 1
        if n_blocks_row <= 0 or n_blocks_col <= 0:
            raise ValueError(
                f"Image sample 0 is {height}x{width} pixels, smaller than one "
                f"block of cells_per_block={tuple(self.cells_per_block)} cells "
                f"of pixels_per_cell={tuple(self.pixels_per_cell)} pixels: it "
                f"needs at least {b_row * c_row} rows and {b_col * c_col} "
                "columns (scikit-image raises too). Resize the images with "
                "ImageReader(size=...) or use smaller cells or blocks."
            )
        n_features = n_blocks_row * n_blocks_col * b_row * b_col * self.orientations
        return n_cells_row, n_cells_col, n_features

    def _validate_images(self, X, ensure_min_samples=0):
        images = check_images(
            X,
            name="Image",
            ensure_min_samples=ensure_min_samples,
            estimator=type(self).__name__,
        )
        if not images:
            return images, None, None
        height, width = check_same_size(images, name="Image")
        return images, height, width

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters, record the image size and resolve the device.

        Parameters
        ----------
        X : list of ndarray, pandas Series, or ndarray of shape (n, h, w) or \
                (n, h, w, channels)
            Images of one size, gray ``(h, w)`` or colour ``(h, w,
            channels)``.
        y : ignored

        Returns
        -------
        self : HOG
        """
        self._check_params()
        images, height, width = self._validate_images(X, ensure_min_samples=1)
        _, _, n_features = self._geometry(height, width)
        self.image_shape_ = tuple(images[0].shape)
        self.n_features_out_ = n_features
        self.device_ = resolve_device(self.device)
        return self

    def transform(self, X):
        """Compute the HOG feature vector of each image.

        Parameters
        ----------
        X : list of ndarray, pandas Series, or ndarray of shape (n, h, w) or \
                (n, h, w, channels)
            Images of the size seen in ``fit``, gray or colour (channels
            last), of any real dtype.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out_)
            float32 when every image is float32 (or float16), else float64.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        images, height, width = self._validate_images(X)
        if not images:
            # No image: no features, of the fitted width (and of the dtype
            # an empty stacked batch's dtype would give).
            dtype = float_dtype(X.dtype) if hasattr(X, "dtype") else np.float64
            return np.empty((0, self.n_features_out_), dtype=dtype)
        on_gpu = any_cupy(images)
        if on_gpu and self.device_ == "cpu":
            images = X = [to_numpy(image) for image in images]
        self._geometry(height, width)
        if (height, width) != tuple(self.image_shape_[:2]):
            fitted = "x".join(map(str, self.image_shape_[:2]))
            raise ValueError(
                f"Image sample 0 is {height}x{width} pixels but HOG was fitted "
                f"on {fitted} images, and the number of features depends on "
                f"the size. Resize the images with ImageReader(size="
                f"{tuple(self.image_shape_[:2])}) first."
            )
        if self.transform_sqrt:
            signed = [i for i, image in enumerate(images) if image.dtype.kind in "if"]
            minima = per_sample_values([images[i] for i in signed], _minimum)
            for position, low in zip(signed, minima, strict=True):
                if low < 0:
                    raise ValueError(
                        f"Image sample {position} has negative values, and "
                        "transform_sqrt=True takes their square root; rescale "
                        "the images to be non-negative or set "
                        "transform_sqrt=False."
                    )
        # Images of one dtype and channel count go to the kernel together.
        groups = {}
        for position, image in enumerate(images):
            key = (image.dtype, image.shape[2:])
            groups.setdefault(key, []).append(position)
        float_dtypes = {float_dtype(dtype) for dtype, _ in groups}
        out_dtype = np.float32 if float_dtypes == {np.dtype(np.float32)} else np.float64
        with progress_bar(
            len(images), verbose=self.verbose, desc=type(self).__name__, unit="image"
        ) as bar:
            stacked = isinstance(X, np.ndarray) or is_cupy_array(X)
            if len(groups) == 1 and stacked and X.dtype != object:
                # One array already: the kernels read it in place.
                (dtype,) = float_dtypes
                features = self._compute_in_chunks(_kernel_input(X), dtype, bar)
            else:
                features = self._stream(images, groups, out_dtype, bar)
        _check_finite_features(features)
        # Features cross between host and device once, to the input's side.
        return on_device(features, "cuda" if on_gpu else "cpu")

    def _stream(self, images, groups, out_dtype, bar):
        """Features of a list of images into one ``(n, n_features_out_)``
        output, each group of one dtype and channel count stacked and
        computed chunk by chunk: beyond the output, memory holds one chunk
        of images and its features (about ``_STREAM_CHUNK_BYTES`` each), not
        a stacked copy of the whole input."""
        features = None
        feature_bytes = self.n_features_out_ * np.dtype(out_dtype).itemsize
        for (dtype, _), positions in groups.items():
            per_image = max(images[positions[0]].nbytes, feature_bytes, 1)
            size = max(1, _STREAM_CHUNK_BYTES // per_image)
            for begin in range(0, len(positions), size):
                chunk = positions[begin : begin + size]
                batch = _kernel_input([images[p] for p in chunk])
                part = self._compute_in_chunks(batch, float_dtype(dtype), bar)
                del batch
                # On the device the kernels computed on, host or GPU.
                xp = array_module(part)
                if features is None:
                    shape = (len(images), self.n_features_out_)
                    features = xp.empty(shape, dtype=out_dtype)
                if chunk[-1] - chunk[0] == len(chunk) - 1:
                    features[chunk[0] : chunk[-1] + 1] = part
                else:
                    features[xp.asarray(chunk)] = part
                del part  # before the next chunk's features are computed
        return features

    def _compute_in_chunks(self, batch, dtype, bar):
        """:meth:`_compute` of the whole batch or, with a progress bar, of
        chunks of images, advancing ``bar``. An image's features depend on
        that image alone, so the chunks give the same features."""
        from skmm.utils._parallel import parallel_map, runs_in_threads

        n_images = batch.shape[0]
        pixels = max(1, int(np.prod(batch.shape[1:])))
        size = max(1, _PROGRESS_CHUNK_PIXELS // pixels)
        if self.device_ == "cpu" and not runs_in_threads():
            # A joblib backend (dask, say) was chosen: it takes chunks of
            # images, a few per worker, each run by the serial kernel.
            workers = n_workers(self.n_jobs)
            size = max(1, min(size, -(-n_images // (4 * workers))))
            parts = []
            for part in parallel_map(
                self._compute,
                (
                    (batch[begin : begin + size], dtype, 1)
                    for begin in range(0, n_images, size)
                ),
            ):
                parts.append(part)
                bar.update(part.shape[0])
            return np.concatenate(parts)
        if not self.verbose or n_images <= size:
            features = self._compute(batch, dtype)
            bar.update(n_images)
            return features
        parts = []
        for begin in range(0, n_images, size):
            parts.append(self._compute(batch[begin : begin + size], dtype))
            bar.update(parts[-1].shape[0])
        return array_module(parts[0]).concatenate(parts)

    def _compute(self, batch, dtype, n_jobs=None):
        """Features of a ``(n, h, w, channels)`` batch, computed in ``dtype``
        on ``n_jobs`` threads (None: the ``n_jobs`` parameter)."""
        if self.device_ == "cuda":
            from skmm.image import _hog_xp

            return _hog_xp.hog_batch(
                batch,
                tuple(self.pixels_per_cell),
                tuple(self.cells_per_block),
                self.orientations,
                self.block_norm,
                self.transform_sqrt,
                dtype,
            )
        from skmm.image import _hog_numba as kernels

        c_row, c_col = self.pixels_per_cell
        b_row, b_col = self.cells_per_block
        params = (
            c_row,
            c_col,
            b_row,
            b_col,
            kernels.bin_bounds(self.orientations),
            _bin_table(batch.dtype, self.transform_sqrt, self.orientations),
            kernels.NORMS[self.block_norm],
            bool(self.transform_sqrt),
        )
        out = np.empty((batch.shape[0], self.n_features_out_), dtype=dtype)
        n_ambiguous = np.zeros(batch.shape[0], dtype=np.int64)
        no_overrides = np.zeros((1, 0, 0), dtype=np.int64)
        with numba_threads(self.n_jobs if n_jobs is None else n_jobs) as n_threads:
            if n_threads == 1 or batch.shape[0] == 1:
                kernels.hog_batch(batch, *params, no_overrides, out, n_ambiguous)
            else:
                kernels.hog_batch_parallel(
                    batch, *params, no_overrides, out, n_ambiguous, 4 * n_threads
                )
        redo = np.flatnonzero(n_ambiguous)
        if redo.size:
            # Pixels within 1e-12 degrees of a bin boundary (near-diagonal
            # gradients of rescaled images, say): take NumPy's arctan2 bins,
            # as scikit-image does, for the few images that have them.
            overrides = _numpy_bins(
                batch[redo], self.transform_sqrt, dtype, self.orientations
            )
            redone = np.empty((redo.size, out.shape[1]), dtype=dtype)
            kernels.hog_batch(
                batch[redo], *params, overrides, redone, n_ambiguous[redo]
            )
            out[redo] = redone
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``hog0``, ``hog1``, ...

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_out_")
        return np.asarray(
            [f"hog{i}" for i in range(self.n_features_out_)], dtype=object
        )
