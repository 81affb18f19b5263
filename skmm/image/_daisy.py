"""DAISY: scikit-image's dense descriptor, one descriptor set per image."""

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_images

_NORMALIZATIONS = {"off": 0, "l1": 1, "l2": 2, "daisy": 3}
# Images of a call are split into this many chunks per worker.
_CHUNKS_PER_WORKER = 4


def gaussian_weights(sigma, truncate=4.0):
    """SciPy's ``gaussian_filter`` taps for ``sigma`` (order 0)."""
    half = int(truncate * float(sigma) + 0.5)
    x = np.arange(-half, half + 1)
    weights = np.exp(-0.5 / (float(sigma) * float(sigma)) * x**2)
    return weights / weights.sum()


def to_float_gray(image, position, name="Image"):
    """One image as the float64 gray image DAISY reads: scikit-image's
    ``img_as_float`` (uint8 / 255, uint16 / 65535, ...), colour through
    ``skimage.color.rgb2gray``. Raises for RGBA, naming the sample."""
    from skimage.color import rgb2gray
    from skimage.util import img_as_float

    if image.ndim == 3:
        if image.shape[2] == 4:
            raise ValueError(
                f"{name} sample {position} has 4 channels (RGBA); DAISY reads "
                "gray or RGB images. Composite the transparency onto a "
                "background first (ImageReader does when it reads PNGs), or "
                "drop the alpha channel."
            )
        image = image[:, :, 0] if image.shape[2] == 1 else rgb2gray(image)
    return np.ascontiguousarray(img_as_float(image), dtype=np.float64)


class _Geometry:
    """Where one image size's descriptors sample its smoothed maps.

    For each distinct smoothing scale, the rows and columns some histogram
    reads; for each histogram, its scale and the index of each descriptor
    row / column among those.
    """

    def __init__(self, height, width, step, radius, ring_offsets, level_of, scales):
        ys = radius + step * np.arange(len(range(0, height - 2 * radius, step)))
        xs = radius + step * np.arange(len(range(0, width - 2 * radius, step)))
        self.ys, self.xs = ys, xs
        self.scales = scales
        self.level = np.asarray(level_of, dtype=np.int64)
        self.rows, self.cols = [], []
        row_index = np.empty((len(ring_offsets), ys.size), dtype=np.int64)
        col_index = np.empty((len(ring_offsets), xs.size), dtype=np.int64)
        for s in range(len(scales)):
            members = [h for h, level in enumerate(level_of) if level == s]
            rows = np.unique(np.concatenate([ys + ring_offsets[h][0] for h in members]))
            cols = np.unique(np.concatenate([xs + ring_offsets[h][1] for h in members]))
            for h in members:
                row_index[h] = np.searchsorted(rows, ys + ring_offsets[h][0])
                col_index[h] = np.searchsorted(cols, xs + ring_offsets[h][1])
            self.rows.append(rows.astype(np.int64))
            self.cols.append(cols.astype(np.int64))
        self.row_index, self.col_index = row_index, col_index

    def positions(self):
        y, x = np.meshgrid(self.ys, self.xs, indexing="ij")
        return np.column_stack([x.ravel(), y.ravel()]).astype(np.float64)


class DAISY(StatelessMixin, PerSampleOutputMixin, TransformerMixin, BaseEstimator):
    """DAISY descriptors on a dense grid, equal to ``skimage.feature.daisy``.

    Each image gives a *descriptor set*: one row per grid point, every
    ``step`` pixels from ``radius`` pixels off the top and left edges (the
    points scikit-image returns as ``daisy(image)[i, j]``, row by row), each
    ``(rings * histograms + 1) * orientations`` values: the orientation
    histograms at the centre and on the rings, after scikit-image's
    ``normalization``.

    The arithmetic is scikit-image's (forward-difference gradients, von
    Mises orientation weights, SciPy's Gaussian smoothing in reflect mode,
    the same sampling points and normalisation, in float64), computed by a
    Numba kernel that smooths the orientation maps only where descriptors
    read them; images run on ``n_jobs`` threads.

    Parameters
    ----------
    step : int, default=4
        Pixels between grid points.
    radius : int, default=15
        Radius of the outermost ring, and the margin of the grid.
    rings : int, default=3
        Number of rings.
    histograms : int, default=8
        Histograms per ring.
    orientations : int, default=8
        Orientation bins per histogram.
    normalization : {"l1", "l2", "daisy", "off"}, default="l1"
        As scikit-image: L1 or L2 over the whole descriptor, L2 per
        histogram ("daisy"), or none.
    sigmas : list of float, default=None
        As scikit-image's (see Notes).
    ring_radii : list of int, default=None
        As scikit-image's; overrides ``radius`` and ``rings``.
    positions : bool, default=False
        Return each set as a :class:`~skmm.encode.DescriptorSet` carrying
        the grid points' ``x, y`` and the image size, for
        :class:`~skmm.encode.SpatialPyramid`.
    n_jobs : int, default=None
        Number of threads over images. ``None`` means 1 unless in a
        :obj:`joblib.parallel_config` context. ``-1`` means using all
        processors. See :term:`Glossary <n_jobs>` for more details.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        images done.

    Attributes
    ----------
    n_descriptor_features_ : int
        Width of each descriptor, ``(rings * histograms + 1) * orientations``.

    See Also
    --------
    skmm.image.DenseSIFT : SIFT descriptors on a dense grid.
    skmm.encode.SpatialPyramid : Encode descriptors per cell of a pyramid.

    Notes
    -----
    Images are gray ``(h, w)`` or RGB ``(h, w, 3)`` (converted by
    ``skimage.color.rgb2gray``), of any real dtype, scaled as
    ``skimage.util.img_as_float`` does (uint8 by 255, uint16 by 65535, float
    as is). RGBA images raise: composite their transparency first. An image
    needs more than ``2 * radius`` rows and columns.

    ``sigmas``: scikit-image smooths the centre and the first ring with
    ``sigmas[0]`` and ring ``i >= 1`` with ``sigmas[i]`` (a given list's
    last value is not used); the default is ``radius * (i + 1) / (2 *
    rings)`` for ring ``i``. This transformer does the same.

    References
    ----------
    .. [1] E. Tola, V. Lepetit and P. Fua, "DAISY: An efficient dense
       descriptor applied to wide-baseline stereo", IEEE TPAMI 32(5), 2010.

    Examples
    --------
    >>> from skimage import data
    >>> from skmm.image import DAISY
    >>> images = [data.camera()[:100, :120], data.coins()[:64, :64]]
    >>> daisy = DAISY(step=16, radius=15).fit(images)
    >>> [d.shape for d in daisy.transform(images)]
    [(30, 200), (9, 200)]
    """

    _parameter_constraints: dict = {
        "step": [Interval(numbers.Integral, 1, None, closed="left")],
        "radius": [Interval(numbers.Integral, 1, None, closed="left")],
        "rings": [Interval(numbers.Integral, 1, None, closed="left")],
        "histograms": [Interval(numbers.Integral, 1, None, closed="left")],
        "orientations": [Interval(numbers.Integral, 1, None, closed="left")],
        "normalization": [StrOptions(set(_NORMALIZATIONS))],
        "sigmas": ["array-like", None],
        "ring_radii": ["array-like", None],
        "positions": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        step=4,
        radius=15,
        rings=3,
        histograms=8,
        orientations=8,
        normalization="l1",
        sigmas=None,
        ring_radii=None,
        positions=False,
        n_jobs=None,
        verbose=False,
    ):
        self.step = step
        self.radius = radius
        self.rings = rings
        self.histograms = histograms
        self.orientations = orientations
        self.normalization = normalization
        self.sigmas = sigmas
        self.ring_radii = ring_radii
        self.positions = positions
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return with_input_kind(tags, "image")

    def _layout(self):
        """``(radius, offsets, level_of, scales)`` as scikit-image derives
        them: every histogram's ``(dy, dx)`` and smoothing scale."""
        rings, radius = int(self.rings), self.radius
        sigmas, ring_radii = self.sigmas, self.ring_radii
        if sigmas is not None and ring_radii is not None:
            if len(sigmas) - 1 != len(ring_radii):
                raise ValueError("len(sigmas) - 1 must equal len(ring_radii).")
        if ring_radii is not None:
            ring_radii = list(ring_radii)
            if not ring_radii or not all(
                isinstance(r, numbers.Integral) and r >= 1 for r in ring_radii
            ):
                raise ValueError(
                    f"ring_radii must be positive integers, got {self.ring_radii!r}."
                )
            rings, radius = len(ring_radii), int(ring_radii[-1])
        if sigmas is not None:
            sigmas = [float(s) for s in sigmas]
            if len(sigmas) < 2 or not all(s > 0 for s in sigmas):
                raise ValueError(
                    f"sigmas must hold at least two positive values, got "
                    f"{self.sigmas!r}."
                )
            rings = len(sigmas) - 1
        else:
            sigmas = [radius * (i + 1) / float(2 * rings) for i in range(rings)]
        if ring_radii is None:
            ring_radii = [radius * (i + 1) / float(rings) for i in range(rings)]
        level_sigmas = ([sigmas[0]] + sigmas)[: rings + 1]
        scales = sorted(set(level_sigmas), key=level_sigmas.index)
        offsets, level_of = [(0, 0)], [scales.index(level_sigmas[0])]
        for i in range(rings):
            for j in range(int(self.histograms)):
                theta = 2 * math.pi * j / int(self.histograms)
                offsets.append(
                    (
                        int(round(ring_radii[i] * math.sin(theta))),
                        int(round(ring_radii[i] * math.cos(theta))),
                    )
                )
                level_of.append(scales.index(level_sigmas[i + 1]))
        return int(radius), offsets, level_of, scales

    def _check_size(self, image, position, radius):
        height, width = image.shape[:2]
        if height <= 2 * radius or width <= 2 * radius:
            raise ValueError(
                f"Image sample {position} is {height}x{width} pixels, too small "
                f"for DAISY's radius {radius}: it needs more than {2 * radius} "
                "rows and columns. Resize the images (ImageReader(size=...)) "
                "or lower radius."
            )

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
        self : DAISY
        """
        radius, offsets, _, _ = self._layout()
        images = check_images(X, ensure_min_samples=1, estimator=type(self).__name__)
        for position, image in enumerate(images):
            to_float_gray(np.asarray(image[:1, :1]), position)
            self._check_size(image, position, radius)
        self.n_descriptor_features_ = len(offsets) * int(self.orientations)
        return self

    def transform(self, X):
        """DAISY descriptors of each image.

        Parameters
        ----------
        X : list of ndarray
            Images, see Notes.

        Returns
        -------
        descriptors : list of ndarray of shape (n_points, n_descriptor_features_)
            float64, one set per image, rows as ``skimage.feature.daisy(
            image).reshape(-1, n_descriptor_features_)``; with ``positions``,
            :class:`~skmm.encode.DescriptorSet` objects.
        """
        fitted = self._fitted_for(X)
        if fitted is not self:
            return fitted.transform(X)
        from skmm.utils._parallel import n_workers, parallel_map, runs_in_threads

        layout = self._layout()
        images = check_images(X)
        for position, image in enumerate(images):
            self._check_size(image, position, layout[0])
        if not images:
            return []
        workers = max(1, min(n_workers(self.n_jobs), len(images)))
        n_chunks = min(len(images), _CHUNKS_PER_WORKER * workers)
        chunks = np.array_split(np.arange(len(images)), max(1, n_chunks))
        params = (
            int(self.step),
            int(self.orientations),
            _NORMALIZATIONS[self.normalization],
            layout,
        )
        tasks = (([images[i] for i in c], [int(i) for i in c], params) for c in chunks)
        if workers == 1 and runs_in_threads():
            described = (_describe_chunk(*task) for task in tasks)
        else:
            described = parallel_map(
                _describe_chunk, tasks, n_jobs=workers if runs_in_threads() else None
            )
        results = []
        with progress_bar(
            len(images), verbose=self.verbose, desc=type(self).__name__, unit="image"
        ) as bar:
            for part in described:
                results.extend(part)
                bar.update(len(part))
        if not self.positions:
            return [descriptors for descriptors, _, _ in results]
        from skmm.encode._pyramid import DescriptorSet

        return [DescriptorSet(*result) for result in results]

    def get_feature_names_out(self, input_features=None):
        """Names of the descriptor columns: ``daisy0``, ``daisy1``, ...

        Columns run over the centre histogram, then ring by ring (innermost
        first) the histograms counter-clockwise from +x (in image
        coordinates, y down), orientations fastest, as scikit-image orders
        them.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return np.asarray(
            [f"daisy{i}" for i in range(self.n_descriptor_features_)], dtype=object
        )


def _describe_chunk(images, positions, params):
    """``(descriptors, positions, shape)`` of each image of a chunk."""
    from skmm.image import _daisy_numba as kernels

    step, n_orientations, mode, (radius, offsets, level_of, scales) = params
    angles = [2 * o * math.pi / n_orientations - math.pi for o in range(n_orientations)]
    cos_o, sin_o = np.cos(angles), np.sin(angles)
    kappa = n_orientations / math.pi
    weights = [gaussian_weights(sigma) for sigma in scales]
    geometries = {}
    results = []
    for image, position in zip(images, positions, strict=True):
        gray = to_float_gray(np.asarray(image), position)
        height, width = gray.shape
        if (height, width) not in geometries:
            geometries[height, width] = _Geometry(
                height, width, step, radius, offsets, level_of, scales
            )
        geometry = geometries[height, width]
        maps = np.empty((n_orientations, height, width), dtype=np.float64)
        kernels.orientation_maps(gray, cos_o, sin_o, kappa, maps)
        smoothed = []
        for s, taps in enumerate(weights):
            rows, cols = geometry.rows[s], geometry.cols[s]
            out = np.empty((n_orientations, rows.size, cols.size), dtype=np.float64)
            padded = np.empty(width + taps.size - 1, dtype=np.float64)
            line = np.empty(width, dtype=np.float64)
            kernels.smooth_at(maps, taps, rows, cols, padded, line, out)
            smoothed.append(out)
        descriptors = np.empty(
            (geometry.ys.size * geometry.xs.size, len(offsets) * n_orientations),
            dtype=np.float64,
        )
        kernels.assemble(
            _typed_list(smoothed),
            geometry.level,
            geometry.row_index,
            geometry.col_index,
            descriptors,
        )
        kernels.normalise(descriptors, mode, n_orientations)
        results.append((descriptors, geometry.positions(), (height, width)))
    return results


def _typed_list(arrays):
    from numba.typed import List

    typed = List()
    for array in arrays:
        typed.append(array)
    return typed
