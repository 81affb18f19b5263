"""Dense SIFT: OpenCV's SIFT descriptor on a regular grid of keypoints."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.image._sift import (
    _N_DESCRIPTOR_FEATURES,
    root_sift,
    to_gray_uint8,
)
from skmm.utils._device import any_cupy, array_module, resolve_device, to_numpy
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_images

# OpenCV's constants (sift.dispatch.cpp / sift.simd.hpp).
_INIT_SIGMA = 0.5  # blur assumed already in the input image
_HIST_WIDTH_FACTOR = 3.0  # SIFT_DESCR_SCL_FCTR: bin width per keypoint radius
_WIDTH = 4  # SIFT_DESCR_WIDTH: spatial bins per side
# Images per GPU batch are capped so that the orientation maps of a batch
# (8 float32 values per pixel) stay near this many bytes.
_GPU_BATCH_BYTES = 512 * 2**20
# Images of a CPU call are split into this many chunks per worker: a few
# balance uneven progress and advance the bar; offset tables are rebuilt once
# per chunk.
_CHUNKS_PER_WORKER = 4


def grid_positions(length, step):
    """Keypoint centres along one axis: every ``step`` pixels, the grid
    centred in ``0..length-1`` (equal margins, the extra pixel, if any, at
    the end)."""
    count = (length - 1) // step + 1
    offset = (length - 1 - (count - 1) * step) // 2
    return offset + step * np.arange(count, dtype=np.int64)


def _offset_table(size, height, width):
    """Per pixel offset ``t`` from a keypoint of ``size`` (``-radius..
    radius``), its lower spatial bin (``-1..3``) and its weights for that
    bin and the next, Gaussian window included, as float32 like OpenCV's
    ``calcSIFTDescriptor``.

    OpenCV places offset ``t`` at bin coordinate ``t / hist_width + 1.5``,
    ``hist_width = 3 * size / 2``, weights it by ``exp(-(t / hist_width)^2 /
    8)`` per axis, and keeps samples within ``radius = round(hist_width *
    sqrt(2) * 2.5)`` (at most the image diagonal) with bin coordinates in
    ``(-1, 4)``.
    """
    scale = np.float32(size) * np.float32(0.5)
    hist_width = np.float32(_HIST_WIDTH_FACTOR) * scale
    radius = int(np.rint(hist_width * np.float32(1.4142135623730951) * np.float32(2.5)))
    radius = min(radius, int(np.sqrt(float(width) ** 2 + float(height) ** 2)))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    relative = offsets * (np.float32(1.0) / hist_width)
    position = relative + np.float32(_WIDTH / 2 - 0.5)
    gaussian = np.exp(relative * relative * np.float32(-2.0 / _WIDTH**2))
    lower = np.floor(position)
    fraction = position - lower
    inside = (position > -1) & (position < _WIDTH)
    weight_upper = np.where(inside, gaussian * fraction, 0).astype(np.float32)
    weight_lower = np.where(inside, gaussian * (1 - fraction), 0).astype(np.float32)
    lower = np.where(inside, lower, 0).astype(np.int64)
    return lower, weight_lower, weight_upper


def blur(gray, sigma):
    """The image OpenCV's SIFT computes descriptors on for keypoints of
    octave 0: the gray image as float32, blurred by ``cv2.GaussianBlur``
    with ``sqrt(max(sigma^2 - 0.5^2, 0.01))`` (OpenCV's
    ``createInitialImage`` without upsampling)."""
    import cv2

    sigma_diff = float(
        np.sqrt(np.float32(max(sigma * sigma - _INIT_SIGMA**2, 0.01)), dtype=np.float32)
    )
    return cv2.GaussianBlur(
        gray.astype(np.float32), (0, 0), sigmaX=sigma_diff, sigmaY=sigma_diff
    )


class DenseSIFT(StatelessMixin, PerSampleOutputMixin, TransformerMixin, BaseEstimator):
    """SIFT descriptors on a dense grid, equal to OpenCV's on the same keypoints.

    Keypoints are placed every ``step`` pixels in both directions (the grid
    centred in the image, see :meth:`grid`), with angle 0 (upright) and
    diameter ``size``; each gets the 128-value SIFT descriptor exactly as
    ``cv2.SIFT_create(sigma=sigma).compute(image, keypoints)`` computes it
    for ``cv2.KeyPoint(x, y, size, 0)``: gradients of the image blurred by
    OpenCV's initial blur, a Gaussian window, trilinear interpolation into
    4 x 4 spatial by 8 orientation bins, normalisation, clipping at 0.2,
    renormalisation, and OpenCV's final scaling to integers 0..255. Samples
    of the window that fall outside the image (or on its outermost pixels)
    are skipped, as OpenCV does, so keypoints near the border keep their
    place in the grid.

    Because every keypoint is upright and of one size, the descriptor is
    separable (see ``_dense_sift_numba``) and runs many times faster than
    OpenCV's per-keypoint loop, on the CPU by Numba kernels and on the GPU
    (``device="cuda"``) as two matrix products per image with CuPy.

    Parameters
    ----------
    step : int, default=8
        Pixels between neighbouring keypoint centres, in x and in y.
    size : float or list of float, default=16
        Keypoint diameter in pixels, as ``cv2.KeyPoint.size``: each of the
        4 x 4 spatial bins spans ``1.5 * size`` pixels, so the descriptor
        covers ``6 * size`` pixels per side. A list computes the grid once
        per size and concatenates the sets (all keypoints of the first size,
        then of the second, ...).
    sigma : float, default=1.6
        Blur of the scale space's base, as ``cv2.SIFT_create(sigma=...)``.
    root_sift : bool, default=False
        Return RootSIFT descriptors (L1-normalised, then square-rooted)
        instead of OpenCV's 0..255 values.
    positions : bool, default=False
        Return each set as a :class:`~skmm.encode.DescriptorSet` carrying
        the keypoints' ``x, y`` (the first two columns of :meth:`grid`) and
        the image size, for :class:`~skmm.encode.SpatialPyramid`; such sets
        are NumPy arrays, whatever the device.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to compute. "cuda" needs CuPy and a CUDA device; "auto" takes
        the GPU when there is one. The output's array library follows the
        input's: CuPy images give CuPy descriptor sets, NumPy images NumPy
        ones (copied back once per batch). The gray conversion and the blur
        are OpenCV's, so CuPy images are copied to the host once for them;
        the descriptors are computed on the GPU and stay there.
    n_jobs : int, default=None
        Number of threads over images on the CPU. ``None`` means 1 unless in
        a :obj:`joblib.parallel_config` context. ``-1`` means using all
        processors. See :term:`Glossary <n_jobs>` for more details. A
        ``joblib.parallel_config`` context that picks another backend (dask,
        say) gets chunks of images instead.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) in
        ``transform`` counting the images done (batch by batch on the GPU).

    Attributes
    ----------
    n_descriptor_features_ : int
        Width of each descriptor, 128.
    device_ : {"cpu", "cuda"}
        The device ``transform`` computes on.

    See Also
    --------
    skmm.image.SIFT : Keypoints detected by OpenCV's SIFT, with descriptors.
    skmm.encode.VLAD : Encode descriptor sets into one vector per image.

    Notes
    -----
    Images are converted to 8-bit gray exactly as :class:`SIFT` does
    (float images in [0, 1] scaled by 255 and rounded, integer images
    0..255, RGB or RGBA colour converted with OpenCV's ``COLOR_RGB2GRAY``
    weights), so the descriptors equal OpenCV's on that 8-bit image.

    What OpenCV does for keypoints passed to ``compute``: keypoints created
    as ``cv2.KeyPoint(x, y, size, 0)`` have ``octave == 0``, so OpenCV does
    not upsample the image (it does only when some keypoint has octave -1):
    the descriptor is computed on the base of its Gaussian pyramid, the gray
    image as float32 blurred by ``GaussianBlur`` with ``sqrt(sigma^2 -
    0.5^2)`` (1.52 for the default ``sigma``), at the keypoint centre rounded
    to the nearest pixel and ``size`` unchanged. The descriptor is scaled to
    L2 norm 512 and saturated to 0..255 integers even when returned as
    float32. This transformer reproduces that, blurring with OpenCV itself;
    the remaining differences are float rounding (about 90% of descriptors
    are bit-identical, the rest differ by 1 in a few entries).

    Examples
    --------
    >>> from skimage import data
    >>> from skmm.image._dense_sift import DenseSIFT
    >>> images = [data.camera(), data.coins()]  # 512x512 and 303x384
    >>> dsift = DenseSIFT(step=32, size=8).fit(images)
    >>> [d.shape for d in dsift.transform(images)]
    [(256, 128), (120, 128)]
    >>> dsift.grid(303, 384)[:2]  # x, y, size of the first two rows
    array([[15.,  7.,  8.],
           [47.,  7.,  8.]])
    """

    _parameter_constraints: dict = {
        "step": [Interval(numbers.Integral, 1, None, closed="left")],
        "size": [Interval(numbers.Real, 0, None, closed="neither"), list, tuple],
        "sigma": [Interval(numbers.Real, 0, None, closed="neither")],
        "root_sift": ["boolean"],
        "positions": ["boolean"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        step=8,
        size=16,
        sigma=1.6,
        root_sift=False,
        positions=False,
        device="cpu",
        n_jobs=None,
        verbose=False,
    ):
        self.step = step
        self.size = size
        self.sigma = sigma
        self.root_sift = root_sift
        self.positions = positions
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

    def _sizes(self):
        sizes = list(self.size) if isinstance(self.size, list | tuple) else [self.size]
        if not sizes or not all(
            isinstance(s, numbers.Real) and not isinstance(s, bool) and s > 0
            for s in sizes
        ):
            raise ValueError(
                f"size must be a positive number or a non-empty list of them, "
                f"got {self.size!r}."
            )
        return [float(s) for s in sizes]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the images; resolve the device.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.
        y : ignored

        Returns
        -------
        self : DenseSIFT
        """
        self._sizes()
        images = check_images(X, ensure_min_samples=1, estimator=type(self).__name__)
        for position, image in enumerate(images):
            to_gray_uint8(to_numpy(image), position, "Image")
        self.device_ = resolve_device(self.device)
        self.n_descriptor_features_ = _N_DESCRIPTOR_FEATURES
        return self

    def grid(self, height, width):
        """Keypoints of an image of ``height x width`` pixels, in the order
        of the descriptor rows ``transform`` returns for it.

        Parameters
        ----------
        height, width : int

        Returns
        -------
        keypoints : ndarray of shape (n_keypoints, 3)
            ``x`` (column), ``y`` (row) and ``size`` of each keypoint: for
            each size, the grid row by row (y outer, x inner).
        """
        xs = grid_positions(int(width), int(self.step))
        ys = grid_positions(int(height), int(self.step))
        y, x = np.meshgrid(ys, xs, indexing="ij")
        return np.concatenate(
            [
                np.column_stack([x.ravel(), y.ravel(), np.full(x.size, size)]).astype(
                    np.float64
                )
                for size in self._sizes()
            ]
        )

    def transform(self, X):
        """Dense SIFT descriptors of each image.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.

        Returns
        -------
        descriptors : list of ndarray of shape (n_keypoints, 128), float32
            One descriptor set per image, rows in the order of
            ``grid(height, width)`` (:class:`~skmm.encode.DescriptorSet` objects
            with ``positions``).
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        checked = check_images(X)
        if not checked:
            return []
        on_gpu = any_cupy(checked)
        # Gray conversion and the blur are OpenCV's, on the host.
        images = [
            to_gray_uint8(to_numpy(image), position, "Image")
            for position, image in enumerate(checked)
        ]
        sizes = self._sizes()
        with progress_bar(
            len(images), verbose=self.verbose, desc=type(self).__name__, unit="image"
        ) as bar:
            if self.device_ == "cuda":
                results = self._transform_gpu(images, sizes, bar, on_gpu)
            else:
                results = self._transform_cpu(images, sizes, bar)
                if on_gpu:
                    import cupy

                    results = [cupy.asarray(d) for d in results]
        if self.root_sift:
            results = [_root_sift(d) for d in results]
        if self.positions:
            from skmm.encode._pyramid import DescriptorSet

            results = [
                DescriptorSet(to_numpy(d), self.grid(*image.shape)[:, :2], image.shape)
                for d, image in zip(results, images, strict=True)
            ]
        return results

    def _transform_cpu(self, images, sizes, bar):
        from skmm.utils._parallel import n_workers, parallel_map, runs_in_threads

        workers = max(1, min(n_workers(self.n_jobs), len(images)))
        # A few chunks per worker balance uneven images and move the bar.
        n_chunks = min(len(images), _CHUNKS_PER_WORKER * workers)
        chunks = np.array_split(np.arange(len(images)), max(1, n_chunks))
        tasks = (
            ([images[i] for i in chunk], self.sigma, self.step, sizes)
            for chunk in chunks
        )
        if workers == 1 and runs_in_threads():
            described = (_describe_chunk(*task) for task in tasks)
        else:
            described = parallel_map(
                _describe_chunk,
                tasks,
                n_jobs=workers if runs_in_threads() else None,
            )
        results = []
        for descriptors in described:
            results.extend(descriptors)
            bar.update(len(descriptors))
        return results

    def _transform_gpu(self, images, sizes, bar, on_gpu):
        """Descriptors on the device; with ``on_gpu`` False, each batch's
        descriptors are copied to the host at once."""
        from skmm.image._dense_sift_xp import dense_sift_batch

        results = [None] * len(images)
        by_shape = {}
        for i, image in enumerate(images):
            by_shape.setdefault(image.shape, []).append(i)
        for (height, width), indices in by_shape.items():
            xs = grid_positions(width, self.step)
            ys = grid_positions(height, self.step)
            tables = [_offset_table(size, height, width) for size in sizes]
            per_batch = max(1, _GPU_BATCH_BYTES // (32 * height * width))
            for begin in range(0, len(indices), per_batch):
                batch = indices[begin : begin + per_batch]
                blurred = np.stack([blur(images[i], self.sigma) for i in batch])
                descriptors = dense_sift_batch(blurred, xs, ys, tables)
                if not on_gpu:
                    descriptors = to_numpy(descriptors)
                for i, d in zip(batch, descriptors, strict=True):
                    results[i] = d
                bar.update(len(batch))
        return results

    def get_feature_names_out(self, input_features=None):
        """Names of the descriptor columns: ``dsift0`` to ``dsift127``.

        Columns run over 4 rows of spatial bins (top to bottom), 4 columns
        (left to right) and 8 orientations (counter-clockwise from +x), the
        orientation fastest, as OpenCV orders them.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return np.asarray(
            [f"dsift{i}" for i in range(_N_DESCRIPTOR_FEATURES)], dtype=object
        )


def _root_sift(descriptors):
    """``root_sift`` in the descriptors' array library (NumPy or CuPy)."""
    xp = array_module(descriptors)
    if xp is np:
        return root_sift(descriptors)
    magnitude = xp.abs(descriptors)
    total = magnitude.sum(axis=1, keepdims=True)
    return xp.sqrt(magnitude / xp.where(total > 0, total, 1)).astype(np.float32)


def _describe_chunk(images, sigma, step, sizes):
    """Descriptors of each image of a chunk (a task of its own)."""
    from skmm.image import _dense_sift_numba as kernels

    tables = {}
    return [
        _describe_cpu(blur(image, sigma), step, sizes, tables, kernels)
        for image in images
    ]


def _describe_cpu(blurred, step, sizes, tables, kernels):
    """Descriptors of one blurred float32 image for every size, concatenated.

    ``tables`` caches offset tables per ``(size, height, width)`` across the
    images of one thread.
    """
    height, width = blurred.shape
    xs = grid_positions(width, step)
    ys = grid_positions(height, step)
    lower_bin = np.empty((height, width), dtype=np.int8)
    magnitude_lower = np.empty((height, width), dtype=np.float32)
    magnitude_upper = np.empty((height, width), dtype=np.float32)
    kernels.gradient_bins(blurred, lower_bin, magnitude_lower, magnitude_upper)
    columns = np.empty((height, xs.shape[0], _WIDTH + 2, 8), dtype=np.float32)
    out = np.empty(
        (len(sizes), ys.shape[0] * xs.shape[0], _N_DESCRIPTOR_FEATURES),
        dtype=np.float32,
    )
    for s, size in enumerate(sizes):
        key = (size, height, width)
        if key not in tables:
            tables[key] = _offset_table(size, height, width)
        lower, weight_lower, weight_upper = tables[key]
        kernels.column_pass(
            lower_bin,
            magnitude_lower,
            magnitude_upper,
            xs,
            lower,
            weight_lower,
            weight_upper,
            columns,
        )
        kernels.row_pass(columns, ys, lower, weight_lower, weight_upper, out[s])
    return out.reshape(-1, _N_DESCRIPTOR_FEATURES)
