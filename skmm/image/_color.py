"""Colour histograms equal to ``cv2.calcHist`` after ``cv2.cvtColor``."""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.image._features import (
    PerImageFeatures,
    as_uint8,
    cell_bounds,
    cell_of_column,
    check_grid,
    check_pair,
    grid_names,
)
from skmm.utils._parallel import numba_threads

# OpenCV's 8-bit conversions and the value ranges of their channels.
_SPACES = {
    "rgb": (None, "rgb", ((0, 256), (0, 256), (0, 256))),
    "hsv": ("COLOR_RGB2HSV", "hsv", ((0, 180), (0, 256), (0, 256))),
    "lab": ("COLOR_RGB2Lab", "Lab", ((0, 256), (0, 256), (0, 256))),
}


class ColorHistogram(PerImageFeatures):
    """Colour histograms in RGB, HSV or Lab, equal to OpenCV's ``calcHist``.

    Each image is converted to 8-bit RGB, then to the colour space by
    ``cv2.cvtColor`` (``COLOR_RGB2HSV``, ``COLOR_RGB2Lab``; one call for
    the whole batch), and each cell of a ``grid`` over it gives the
    histogram ``cv2.calcHist`` gives for that cell: a joint 3-D histogram of
    ``hist_size[0] * hist_size[1] * hist_size[2]`` bins, or one histogram
    per channel, concatenated. Pixels whose alpha is below
    ``alpha_threshold`` (transparent ones) are masked out. One Numba kernel
    bins the batch through OpenCV's lookup tables, images in parallel.

    Parameters
    ----------
    color_space : {"hsv", "rgb", "lab"}, default="hsv"
        Colour space of the histograms, in OpenCV's 8-bit scaling: HSV has
        H in [0, 180) and S, V in [0, 256); Lab has L, a and b in [0, 256).
    hist_size : int or tuple of 3 int, default=8
        Bins per channel (``calcHist``'s ``histSize``); an int is the same
        for all three.
    ranges : tuple of 3 (low, high) pairs or None, default=None
        Values counted per channel, ``low <= value < high``, split into
        equal bins (``calcHist``'s ``ranges``, uniform). None: the whole
        range of each channel of the colour space.
    joint : bool, default=True
        One joint histogram over the three channels (``calcHist`` with
        ``channels=[0, 1, 2]``); False concatenates one histogram per
        channel.
    grid : tuple of int (rows, cols), default=(1, 1)
        Cells the image is split into, each with its own histogram (see
        :class:`LBP` for the cell bounds). Images with fewer rows or
        columns than cells raise.
    normalize : bool, default=True
        Scale each cell's histogram (per channel, when ``joint=False``) to
        sum 1; cells with no counted pixel stay all zero. False gives
        counts.
    alpha_threshold : int, default=1
        With an alpha channel, pixels whose 8-bit alpha is below this are
        not counted (``calcHist``'s mask is ``alpha >= alpha_threshold``):
        1 masks fully transparent pixels; 0 counts every pixel. A fully
        transparent image gives all zeros.
    n_jobs : int, default=None
        Number of threads of the kernel (images in parallel). ``None``
        means 1 unless in a :obj:`joblib.parallel_config` context. ``-1``
        means using all processors. See :term:`Glossary <n_jobs>`.
    verbose : bool or int, default=False
        Show a progress bar counting the images done.

    Attributes
    ----------
    n_features_out_ : int
        Length of each image's vector: cells times bins.

    See Also
    --------
    cv2.calcHist : The histograms this transformer equals.
    skmm.image.LBP : Texture histograms.

    Notes
    -----
    Images become 8-bit first, one rule per dtype: uint8 as is; bool as 0
    and 255; uint16 keeps its high byte (``value >> 8``, as
    ``skimage.util.img_as_ubyte`` does); other integer dtypes must hold
    values in [0, 255]; float images must lie in [0, 1] and become
    ``rint(255 * value)``. Others raise, naming the sample. Gray images are
    colour images with three equal channels (``COLOR_GRAY2RGB``). Any
    image size is accepted.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image import ColorHistogram
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    >>> hist = ColorHistogram(color_space="hsv", hist_size=(4, 2, 2)).fit(images)
    >>> hist.transform(images).shape
    (3, 16)
    >>> hist.get_feature_names_out()[:3]
    array(['h0_s0_v0', 'h0_s0_v1', 'h0_s1_v0'], dtype=object)
    """

    _parameter_constraints: dict = {
        "color_space": [StrOptions(set(_SPACES))],
        "hist_size": [Interval(numbers.Integral, 1, 256, closed="both"), tuple, list],
        "ranges": [tuple, list, None],
        "joint": ["boolean"],
        "grid": [tuple, list],
        "normalize": ["boolean"],
        "alpha_threshold": [Interval(numbers.Integral, 0, 256, closed="both")],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        color_space="hsv",
        hist_size=8,
        ranges=None,
        joint=True,
        grid=(1, 1),
        normalize=True,
        alpha_threshold=1,
        n_jobs=None,
        verbose=False,
    ):
        self.color_space = color_space
        self.hist_size = hist_size
        self.ranges = ranges
        self.joint = joint
        self.grid = grid
        self.normalize = normalize
        self.alpha_threshold = alpha_threshold
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _sizes(self):
        if isinstance(self.hist_size, numbers.Integral):
            return (int(self.hist_size),) * 3
        return tuple(int(size) for size in self.hist_size)

    def _ranges(self):
        if self.ranges is None:
            return _SPACES[self.color_space][2]
        return tuple((float(low), float(high)) for low, high in self.ranges)

    def _check_params(self):
        check_pair(self.grid, "grid")
        sizes = self.hist_size
        if not isinstance(sizes, numbers.Integral) and (
            len(sizes) != 3
            or not all(
                isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
                for s in sizes
            )
        ):
            raise ValueError(
                f"hist_size must be a positive int or 3 of them, got {sizes!r}."
            )
        if self.ranges is not None and (
            len(self.ranges) != 3
            or not all(
                len(pair) == 2
                and all(isinstance(v, numbers.Real) for v in pair)
                and pair[0] < pair[1]
                for pair in self.ranges
            )
        ):
            raise ValueError(
                "ranges must be None or 3 pairs (low, high) with low < high, "
                f"got {self.ranges!r}."
            )

    def _names(self):
        letters = _SPACES[self.color_space][1]
        sizes = self._sizes()
        if self.joint:
            names = [
                f"{letters[0]}{i}_{letters[1]}{j}_{letters[2]}{k}"
                for i in range(sizes[0])
                for j in range(sizes[1])
                for k in range(sizes[2])
            ]
        else:
            names = [
                f"{letter}{i}"
                for letter, size in zip(letters, sizes, strict=True)
                for i in range(size)
            ]
        return grid_names(self.grid, names)

    def _prepare(self, image, position):
        image = as_uint8(image, position)
        check_grid(*image.shape[:2], self.grid, position, "ColorHistogram")
        if image.ndim == 2 or image.shape[2] == 1:
            return np.repeat(image.reshape(*image.shape[:2], 1), 3, axis=2)
        return image  # RGB or RGBA, uncopied

    def _compute(self, batch, n_threads, key=None):
        import cv2

        from skmm.image import _color_numba as kernels

        n, height, width, n_channels = batch.shape
        code = _SPACES[self.color_space][0]
        if n_channels == 4:
            colours = np.ascontiguousarray(batch[..., :3])
            alpha = batch[..., 3]
        else:
            colours = batch
            alpha = np.empty((n, 0, 0), dtype=np.uint8)
        if code is not None:
            # Pixel by pixel: the batch is converted as one tall image.
            tall = colours.reshape(n * height, width, 3)
            colours = cv2.cvtColor(tall, getattr(cv2, code)).reshape(colours.shape)
        sizes = self._sizes()
        tables = np.stack(
            [
                kernels.lookup_table(size, low, high)
                for size, (low, high) in zip(sizes, self._ranges(), strict=True)
            ]
        )
        if self.joint:
            offsets = np.array([sizes[1] * sizes[2], sizes[2], 1])
            tables = kernels.joint_tables(tables, offsets)
        else:
            offsets = np.array([0, sizes[0], sizes[0] + sizes[1]])
        out = np.empty((n, self.n_features_out_))
        with numba_threads(n_threads) as threads:
            arguments = (
                colours,
                alpha,
                int(self.alpha_threshold),
                tables,
                offsets,
                bool(self.joint),
                cell_bounds(height, self.grid[0]),
                cell_of_column(width, self.grid[1]),
                bool(self.normalize),
                out,
            )
            if threads == 1 or n == 1:
                kernels.color_histograms(*arguments)
            else:
                n_chunks = min(n, 4 * threads)
                kernels.color_histograms_parallel(*arguments, n_chunks)
        return out
