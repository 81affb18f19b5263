"""Read image files and arrays into gray or RGB arrays of one size, with OpenCV."""

import io
import numbers
import os
import struct
import sys
import tempfile
import threading
import zlib

import cv2
import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from skmm.base import SampleReader, with_input_kind
from skmm.utils._device import resolve_device
from skmm.utils._validation import _missing_image_error as _missing_error

_INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}
_DTYPES = ("uint8", "float32", "float64")
_BACKGROUNDS = {"white": 1.0, "black": 0.0}
_FLOAT32_MAX = float(np.finfo(np.float32).max)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks libpng reads without a word, in this order: IHDR, then these before
# the image data (PLTE, tRNS and pHYs once each), then IDAT, then text or
# time, then IEND. Inkscape's and GIMP's ordinary PNGs are laid out so.
_QUIET_BEFORE_DATA = {b"PLTE", b"tRNS", b"pHYs", b"tEXt", b"tIME"}
_QUIET_AFTER_DATA = {b"tEXt", b"tIME"}
_ONCE = {b"PLTE", b"tRNS", b"pHYs"}
# One decode at a time may take the process's file descriptor 2.
_STDERR_LOCK = threading.Lock()


def _is_quiet_png(data):
    """True when libpng reads this PNG without printing: a plain layout of
    well-formed chunks with right checksums. False for anything else (an
    out-of-place colour chunk, an ICC profile, a bad checksum, truncation),
    which may make libpng print warnings to the C library's stderr."""
    pos, end = 8, len(data)
    seen, state = set(), "header"
    while pos + 12 <= end:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        stop = pos + 12 + length
        if stop > end:
            return False
        crc = struct.unpack(">I", data[stop - 4 : stop])[0]
        if zlib.crc32(data[pos + 4 : stop - 4]) != crc:
            return False
        if state == "header":
            if kind != b"IHDR":
                return False
            state = "before"
        elif kind == b"IDAT":
            if state == "after":
                return False
            state = "data"
        elif kind == b"IEND":
            return state != "before" and stop == end
        elif state == "before":
            if kind not in _QUIET_BEFORE_DATA or (kind in _ONCE and kind in seen):
                return False
            # A palette image's transparency must follow its palette.
            if kind == b"tRNS" and b"PLTE" not in seen and data[25] == 3:
                return False
        elif kind in _QUIET_AFTER_DATA:
            state = "after"
        else:
            return False
        seen.add(kind)
        pos = stop
    return False


def _imdecode_capturing_stderr(data, flag):
    """``cv2.imdecode`` with file descriptor 2 sent to a temporary file.

    libpng prints its warnings (``libpng warning: sRGB: out of place``, for
    chunks it then ignores) with C's ``fprintf(stderr, ...)``, below
    Python and OpenCV's log level. Descriptor 2 belongs to the process, so
    one such decode runs at a time; whatever else reaches it meanwhile
    (other threads, other libraries) is written back afterwards. Returns
    ``(image, libpng's error lines)``; its warnings are dropped.
    """
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no descriptor 2 (a GUI process): nothing can print
            return cv2.imdecode(data, flag), []
        try:
            with tempfile.TemporaryFile() as capture:
                if sys.stderr is not None:
                    sys.stderr.flush()
                os.dup2(capture.fileno(), 2)
                try:
                    image = cv2.imdecode(data, flag)
                finally:
                    os.dup2(saved, 2)
                capture.seek(0)
                printed = capture.read()
        finally:
            os.close(saved)
    lines = printed.decode(errors="replace").splitlines(keepends=True)
    others = "".join(line for line in lines if not line.startswith("libpng "))
    if others:
        os.write(2, others.encode())
    errors = [line.strip() for line in lines if line.startswith("libpng error")]
    return image, errors


def _imdecode(data, flag):
    """``(image, messages)``: ``cv2.imdecode``, without libpng's chatter on
    standard error; ``messages`` are libpng's errors for a failed decode.

    PNGs of a plain layout (nearly all) decode directly, in parallel; others
    with descriptor 2 captured (see :func:`_imdecode_capturing_stderr`).
    libpng warns about chunks it ignores, so its warnings are dropped, not
    turned into Python warnings: the pixels are those it would give anyway.
    """
    if data[:8].tobytes() != _PNG_SIGNATURE or _is_quiet_png(data.tobytes()):
        return cv2.imdecode(data, flag), []
    return _imdecode_capturing_stderr(data, flag)


def _needs_unchanged(data):
    """True when a file may hold transparency or more than 8 bits, which
    OpenCV keeps only when decoding with ``IMREAD_UNCHANGED``: a PNG with an
    alpha channel, a transparent palette entry (``tRNS``) or 16-bit depth,
    and WebP files (GIFs go to Pillow). JPEG, BMP, TIFF and plain 8-bit PNGs are decoded
    as gray or colour directly, as ``cv2.imread`` does (which also applies
    a JPEG's EXIF orientation, and reads TIFFs through libtiff's RGBA)."""
    head = data[:16].tobytes()
    if head[:8] == _PNG_SIGNATURE:
        if data.size < 26:
            return False  # truncated: the decoder says why
        bit_depth, color_type = int(data[24]), int(data[25])
        if bit_depth == 16 or color_type in (4, 6):
            return True
        start = data[:65536].tobytes()
        before_data = start.split(b"IDAT", 1)[0]
        return b"tRNS" in before_data
    return head[8:12] == b"WEBP"


def _decode_gif(data, where):
    """A GIF's first frame as RGBA, by Pillow: OpenCV's GIF decoder drops the
    transparent palette entry of some files."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data.tobytes())) as image:
            image.seek(0)
            return np.asarray(image.convert("RGBA"))
    except (OSError, ValueError, SyntaxError) as error:
        raise ValueError(
            f"{where}: Pillow cannot decode this GIF (corrupt or truncated: "
            f"{type(error).__name__})."
        ) from None


def _decode(path, where, color):
    """The file's pixels in RGB(A) order: ``(h, w)``, ``(h, w, 3)`` or ``(h,
    w, 4)``, at the file's own depth (uint8, uint16 or float); transparency
    and 16-bit depth survive (see :func:`_needs_unchanged`) for
    :func:`_convert_array`, which composites and converts."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{where}: no such file.")
    # imdecode on the file's bytes: unlike imread, it reads non-ASCII paths
    # on every platform.
    data = np.fromfile(path, dtype=np.uint8)
    if data[:3].tobytes() == b"GIF":
        return _decode_gif(data, where)
    if _needs_unchanged(data):
        flag = cv2.IMREAD_UNCHANGED
    else:
        flag = cv2.IMREAD_GRAYSCALE if color == "gray" else cv2.IMREAD_COLOR
    image, messages = _imdecode(data, flag) if data.size else (None, [])
    if image is None:
        said = f" ({'; '.join(messages)})" if messages else ""
        raise ValueError(
            f"{where}: OpenCV cannot decode it (not an image, corrupt or "
            f"truncated, or a format this OpenCV build does not read){said}."
        )
    if image.ndim == 3 and image.shape[2] == 3:
        # As cv2.imread's own conversion, from OpenCV's BGR order.
        code = cv2.COLOR_BGR2GRAY if color == "gray" else cv2.COLOR_BGR2RGB
        image = cv2.cvtColor(image, code)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image


def _to_float(image, where):
    """Integer pixels scaled to [0, 1] by their dtype's range; floats as they are."""
    if image.dtype.kind == "f":
        return image.astype(np.float32, copy=False)
    if image.dtype.kind == "b":
        return image.astype(np.float32)
    info = np.iinfo(image.dtype)
    if info.min < 0:
        raise TypeError(
            f"{where} has signed integer pixels ({image.dtype}), which have no "
            "defined range; "
            "pass uint8 or uint16 pixels, or floats in [0, 1]."
        )
    return image.astype(np.float32) / np.float32(info.max)


def _composite(image, background):
    """RGBA pixels as RGB over a uniform ``background`` (a level in [0, 1]);
    ``background=None`` drops the alpha channel."""
    if background is None:
        return image[:, :, :3]
    if image.dtype == np.uint8:
        alpha = image[:, :, 3:].astype(np.float32) / np.float32(255)
        rgb = image[:, :, :3].astype(np.float32)
        mixed = rgb * alpha + np.float32(255 * background) * (1 - alpha)
        return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    alpha = np.clip(image[:, :, 3:], 0, 1)
    return image[:, :, :3] * alpha + np.float32(background) * (1 - alpha)


def _shrink_transparent(image, size, interpolation, keep_aspect, background):
    """An RGBA uint8 image larger than ``size``: resized, then composited.

    Compositing is linear in the colours premultiplied by alpha, and so are
    the resizing kernels: resizing the premultiplied colours and the alpha
    and compositing the small result gives the composited image resized,
    to a level's rounding, without the full-size float temporaries that
    compositing first costs (a 16000 x 10500 poster: 2.7 GB each). The
    result is RGB uint8 at the size the image would have
    inside ``size``; :func:`_resize` pads it.
    """
    height, width = _inner_size(image.shape, size) if keep_aspect else size
    premultiplied = cv2.cvtColor(image, cv2.COLOR_RGBA2mRGBA)
    small = cv2.resize(premultiplied, (width, height), interpolation=interpolation)
    alpha = small[:, :, 3:].astype(np.float32) / np.float32(255)
    mixed = small[:, :, :3] + np.float32(255 * background) * (1 - alpha)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _convert_array(image, where, color, background=None):
    """An input array as gray ``(h, w)`` or RGB ``(h, w, 3)`` pixels, uint8 or
    float32 (floats kept as they are, other integers scaled to [0, 1]); RGBA
    composited over ``background``."""
    if isinstance(image, numbers.Number | np.generic):
        image = np.asarray(image)
    if image.dtype.kind not in "biuf":
        raise TypeError(f"{where} has dtype {image.dtype}; expected numeric pixels.")
    if image.ndim not in (2, 3) or (
        image.ndim == 3 and image.shape[2] not in (1, 3, 4)
    ):
        raise ValueError(
            f"{where} is an array of shape {image.shape}; expected (height, width) "
            "or (height, width, channels) with 1, 3 or 4 channels last."
        )
    if image.size == 0:
        raise ValueError(f"{where} is empty, shape {image.shape}.")
    if image.dtype.kind == "f":
        peak = np.abs(image).max()
        if not np.isfinite(peak):
            raise ValueError(f"{where} holds NaN or inf pixel values.")
        if peak > _FLOAT32_MAX:
            raise ValueError(
                f"{where} holds pixel values up to {peak:g}, beyond float32's "
                "range (3.4e38), in which float pixels are read; float "
                "pixels are taken to lie in [0, 1]: rescale the image."
            )
    if image.dtype != np.uint8:
        image = _to_float(image, where)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 4:
        image = _composite(image, background)
    if color == "gray" and image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    elif color == "rgb" and image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return image


def _resize(image, size, interpolation, keep_aspect, pad_value):
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    if image.dtype.kind == "f" and interpolation in (
        cv2.INTER_CUBIC,
        cv2.INTER_LANCZOS4,
    ):
        # Cubic and Lanczos kernels overshoot; uint8 saturates, floats are
        # clipped back to the range of the input image.
        low, high = image.min(), image.max()
        return np.clip(
            _resize_unclipped(image, size, interpolation, keep_aspect, pad_value),
            min(low, pad_value) if keep_aspect else low,
            max(high, pad_value) if keep_aspect else high,
        )
    return _resize_unclipped(image, size, interpolation, keep_aspect, pad_value)


def _inner_size(shape, size):
    """``(height, width)`` of an image of ``shape`` fitted into ``size``
    keeping its aspect (at least one pixel each)."""
    height, width = size
    scale = min(height / shape[0], width / shape[1])
    inner_h = max(1, min(height, round(shape[0] * scale)))
    inner_w = max(1, min(width, round(shape[1] * scale)))
    return inner_h, inner_w


def _resize_unclipped(image, size, interpolation, keep_aspect, pad_value):
    height, width = size
    if not keep_aspect:
        return cv2.resize(image, (width, height), interpolation=interpolation)
    inner_h, inner_w = _inner_size(image.shape, size)
    inner = cv2.resize(image, (inner_w, inner_h), interpolation=interpolation)
    top = (height - inner_h) // 2
    left = (width - inner_w) // 2
    padded = np.full((height, width, *image.shape[2:]), pad_value, dtype=inner.dtype)
    padded[top : top + inner_h, left : left + inner_w] = inner
    return padded


def _finish(image, dtype):
    """Pixels in the output dtype: uint8 0..255 or floats in [0, 1]."""
    if dtype is None:
        return image
    if dtype == "uint8":
        if image.dtype == np.uint8:
            return image
        return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    if image.dtype == np.uint8:
        return image.astype(dtype) / dtype(255)
    return image.astype(dtype, copy=False)


def _check_unit_range(image, where):
    """Float pixels bound for uint8 must lie in [0, 1]: the rest would be
    clipped without a word (levels 0..16 or 0..255 all turning white)."""
    low, high = float(image.min()), float(image.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{where} has float pixels from {low:g} to {high:g}; float pixels "
            "are taken to lie in [0, 1], and 8-bit output (dtype='uint8') "
            "would clip the rest: rescale the image (levels 0..255 divided by "
            "255)."
        )


def _read_cell(cell, where, options):
    """One input cell as an image array; raises a sample error naming it."""
    color, size, interpolation, keep_aspect, pad_value, dtype, background = options
    if isinstance(cell, str | os.PathLike):
        path = os.fspath(cell)
        where = f"{where} ({path!r})"
        image = _decode(path, where, color)
        if (
            size is not None
            and background is not None
            and image.dtype == np.uint8
            and image.ndim == 3
            and image.shape[2] == 4
            and image.shape[0] * image.shape[1] > size[0] * size[1]
        ):
            image = _shrink_transparent(
                image, size, interpolation, keep_aspect, background
            )
        image = _convert_array(image, where, color, background)
        # Files come out as uint8 unless a dtype is asked for (16-bit files
        # then keep their precision).
        dtype = "uint8" if dtype is None else dtype
    elif isinstance(cell, np.ndarray | numbers.Number | np.generic):
        image = _convert_array(cell, where, color, background)
        if dtype == "uint8" and image.dtype.kind == "f":
            _check_unit_range(image, where)
    else:
        raise TypeError(
            f"{where} is of type {type(cell).__name__}; expected a file path or "
            "an image array."
        )
    if size is not None:
        if pad_value == "background":
            level = 0.0 if background is None else background
            # Files are resized as uint8: the level to the nearest of 256.
            pad_value = round(255 * level) if image.dtype == np.uint8 else level
        image = _resize(image, size, interpolation, keep_aspect, pad_value)
    return np.ascontiguousarray(_finish(image, dtype))


class ImageReader(SampleReader):
    """Read image files (or arrays) into gray or RGB arrays, optionally resized.

    Files are decoded by OpenCV (PNG, JPEG, TIFF, BMP and whatever else this
    OpenCV build reads) into 8-bit pixels; arrays are converted the same way.
    With ``size``, every image is resized by ``cv2.resize`` (optionally
    keeping its aspect ratio and padding), so that extractors such as
    :class:`~skmm.image.HOG` get images of one size. The output is a list
    with one array per sample.

    The reader learns nothing: ``fit`` only validates the parameters.

    Parameters
    ----------
    color : {"gray", "rgb"}, default="gray"
        Output channels: gray ``(height, width)`` or RGB ``(height, width,
        3)``. Colour files and RGB(A) arrays become gray by OpenCV's
        ``cvtColor`` (0.299 R + 0.587 G + 0.114 B), after compositing any
        alpha channel over ``background``.
    size : tuple of (int, int) or None, default=None
        ``(height, width)`` of every output image; None keeps each image's.
    interpolation : {"area", "linear", "cubic", "nearest", "lanczos"}, \
            default="area"
        ``cv2.resize`` interpolation ("area" is OpenCV's advice for
        shrinking, "cubic" or "linear" for enlarging). Cubic and Lanczos
        overshoot: uint8 pixels saturate, as in OpenCV, and float pixels are
        clipped to the range of the image before resizing.
    keep_aspect : bool, default=False
        Resize to fit inside ``size`` keeping the aspect ratio, and pad the
        rest (centred) with ``pad_value``. False stretches to ``size``.
    pad_value : float or "background", default=0
        Pixel value of the padding, in the output's scale (0..255 for uint8,
        0..1 for floats); "background" pads with ``background``'s level
        (black when it is None).
    background : {"white", "black"}, float in [0, 1] or None, default="white"
        What transparent pixels show: images with an alpha channel (RGBA and
        grey + alpha PNGs, palette PNGs and GIFs with a transparent entry,
        WebP, RGBA arrays) are composited over a uniform background of this
        level (``rgb * alpha + background * (1 - alpha)``; "white" is 1,
        "black" 0). Transparent clip art is drawn to be seen on white: on
        black (what dropping alpha often gives, since transparent pixels
        usually store black) dark line art vanishes. None drops the alpha
        channel and keeps the stored colours. An 8-bit RGBA file that
        ``size`` shrinks is resized first (its colours premultiplied by
        alpha) and composited small: the same picture to one level, at a
        fraction of the memory and time for large posters.
    dtype : {"uint8", "float32", "float64"} or None, default=None
        Output pixels: "uint8" in 0..255, floats in [0, 1] (uint8 divided by
        255). None keeps uint8 for files and uint8 arrays, and float32 for
        other arrays (see Notes). A float array read as "uint8" must lie in
        [0, 1]: other values are a sample error, not clipped.
    on_error : {"raise", "missing"}, default="raise"
        What to do with a sample that cannot be read (missing file, corrupt
        image, bad array) or is missing (None, NaN): raise an error naming
        it, or return None in its place and count such samples in one
        :class:`~skmm.exceptions.UnreadableSampleWarning` per call. Rows are
        never dropped.
    n_jobs : int or None, default=None
        Images read in parallel by joblib (threads by default: OpenCV
        releases the GIL). None means 1 unless in a
        ``joblib.parallel_config`` context; -1 means all processors.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        images read.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the outputs live. Decoding always runs on the CPU; with
        "cuda" each output is then copied to the GPU once and returned as a
        CuPy array, so that GPU estimators downstream (``device="cuda"``)
        and scikit-learn estimators under ``array_api_dispatch`` keep the
        data there. "cuda" needs CuPy and a CUDA device; "auto" takes the
        GPU when there is one.

    See Also
    --------
    cv2.imdecode : The decoder used for files.
    cv2.resize : The resizing used with ``size``.
    skmm.image.HOG : HOG features of images of one size.

    Notes
    -----
    Each sample may be a file path (``str`` or ``os.PathLike``), a NumPy
    array, or None/NaN (missing).

    Files as they come: JPEGs are turned upright by their EXIF orientation
    (as ``cv2.imread`` does), grayscale JPEGs and PNGs become RGB with
    ``color="rgb"``, 16-bit PNGs keep their 16 bits up to a float ``dtype``
    (``dtype=None`` gives uint8 for every file), palette PNGs and GIFs are
    expanded (a GIF's first frame), and transparency is composited over
    ``background``. Sizes vary from 16x16 icons to 4000x3000 photos: for
    extractors that need one size, the policy that keeps every picture
    undistorted is ``size=(h, w), keep_aspect=True,
    pad_value="background"``: the image is scaled to fit (``"area"``
    interpolation when shrinking), centred, and padded with the colour its
    transparency was composited on, so that padding draws no edge around
    clip art.

    Arrays are ``(height, width)`` or ``(height, width, channels)`` with 1,
    3 (RGB) or 4 (RGBA) channels last.
    uint8 arrays stay uint8; float arrays are taken to be in [0, 1] and
    become float32; unsigned integer arrays (uint16, ...) are scaled to [0,
    1] by their range. The alpha of RGBA arrays is composited as a file's.
    Signed integer arrays, NaN or inf pixels, empty arrays and other shapes
    raise.

    libpng's warnings about PNG chunks it ignores (``libpng warning: sRGB:
    out of place``, ``iCCP: known incorrect sRGB profile``), which it prints
    on the C library's standard error, are kept off it: they do not change
    the pixels. A PNG that fails to decode says libpng's error in the
    exception.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.image import ImageReader
    >>> images = [np.zeros((30, 20), np.uint8), np.ones((10, 10, 3), np.uint8)]
    >>> out = ImageReader(size=(16, 16), dtype="float32").fit_transform(images)
    >>> [(image.shape, image.dtype.name) for image in out]
    [((16, 16), 'float32'), ((16, 16), 'float32')]
    """

    _kind = "image"
    _unit = "image"
    _read_cell = staticmethod(_read_cell)

    _parameter_constraints: dict = {
        "color": [StrOptions({"gray", "rgb"})],
        "size": [tuple, list, None],
        "interpolation": [StrOptions(set(_INTERPOLATIONS))],
        "keep_aspect": ["boolean"],
        "pad_value": [numbers.Real, StrOptions({"background"})],
        "background": [
            StrOptions(set(_BACKGROUNDS)),
            Interval(numbers.Real, 0, 1, closed="both"),
            None,
        ],
        "dtype": [StrOptions(set(_DTYPES)), None],
        "on_error": [StrOptions({"raise", "missing"})],
        "n_jobs": [None, numbers.Integral],
        "verbose": ["verbose"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
    }

    def __init__(
        self,
        *,
        color="gray",
        size=None,
        interpolation="area",
        keep_aspect=False,
        pad_value=0,
        background="white",
        dtype=None,
        on_error="raise",
        n_jobs=None,
        verbose=False,
        device="cpu",
    ):
        self.color = color
        self.size = size
        self.interpolation = interpolation
        self.keep_aspect = keep_aspect
        self.pad_value = pad_value
        self.background = background
        self.dtype = dtype
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters; nothing is learned and X is not read.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : ImageReader
        """
        self._check_params()
        self.device_ = resolve_device(self.device)
        return self

    def transform(self, X):
        """Read every sample.

        Parameters
        ----------
        X : list, tuple, 1-D object array, pandas Series or one-column DataFrame
            One sample per cell: a file path, an image array, or None/NaN.

        Returns
        -------
        images : list of ndarray
            One per input sample, in input order; None for missing or
            unreadable samples with ``on_error="missing"``.
        """
        if isinstance(X, np.ndarray) and X.dtype != object and X.ndim in (3, 4):
            X = list(X)
        return self._read_all(X)

    def __sklearn_tags__(self):
        return with_input_kind(super().__sklearn_tags__(), "image")

    def _check_params(self):
        if self.size is not None:
            size = tuple(self.size)
            if len(size) != 2 or not all(
                isinstance(s, numbers.Integral) and s >= 1 for s in size
            ):
                raise ValueError(
                    f"size must be (height, width) of positive integers, got "
                    f"{self.size!r}."
                )

    def _missing_error(self, label, value):
        return _missing_error("Image", label, value)

    def _options(self):
        size = None if self.size is None else tuple(int(s) for s in self.size)
        dtype = None if self.dtype is None else np.dtype(self.dtype).type
        if dtype is np.uint8:
            dtype = "uint8"
        return (
            self.color,
            size,
            _INTERPOLATIONS[self.interpolation],
            self.keep_aspect,
            self.pad_value,
            dtype,
            _BACKGROUNDS.get(self.background, self.background),
        )
