"""Input validation, in one place: what every modality shares (missing
values, sample labels, columns), then text, descriptor sets, images and
waveforms."""

import math
import numbers
import sys

import numpy as np

from skmm.utils._device import array_module, is_cupy_array


def _pandas():
    """pandas if something imported it, else None.

    Input can only be a pandas object (or hold pandas' missing-value scalars)
    once pandas is imported, so validation never imports it itself: pandas
    costs a fifth of a second at start-up.
    """
    return sys.modules.get("pandas")


def _is_missing(value):
    """True for None, NaN, pandas' missing-value scalars and an empty list or
    tuple (a cell of several items that holds none)."""
    if value is None:
        return True
    if isinstance(value, list | tuple):
        return len(value) == 0
    pd = _pandas()
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return True
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and (math.isnan(value))
    )


def per_sample_values(arrays, reduce):
    """``reduce(array)`` (a 0-d or 1-d array) of each of ``arrays``, as host
    NumPy values, with one device-to-host transfer for all the CuPy arrays
    among them (not one per sample: each transfer waits for the GPU)."""
    values = [None] * len(arrays)
    on_device = []
    for position, array in enumerate(arrays):
        if is_cupy_array(array):
            on_device.append(position)
        else:
            values[position] = np.asarray(reduce(array))
    if on_device:
        xp = array_module(arrays[on_device[0]])
        fetched = xp.stack([reduce(arrays[p]) for p in on_device]).get()
        for position, value in zip(on_device, fetched, strict=True):
            values[position] = value
    return values


def per_sample_flags(arrays, test):
    """``test(array)`` (a 0-d boolean array) of each of ``arrays`` as a host
    list of bool; see :func:`per_sample_values`."""
    return [bool(flag) for flag in per_sample_values(arrays, test)]


def _sample_label(position, labels):
    """Name a sample by its position, and by its index label when it has one."""
    if labels is None or labels[position] == position:
        return f"sample {position}"
    return f"sample {position} (index label {labels[position]!r})"


def _as_column(X, *, kind):
    """Return ``(values, labels)`` for a one-column raw input.

    Accepts a list or tuple, a 1-D array, a pandas Series, a one-column
    DataFrame (what ``ColumnTransformer`` passes for a list of one column) or
    an ``(n, 1)`` array. ``labels`` is the pandas index as a list, or None.
    """
    pd = _pandas()
    if pd is not None and isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"Expected one {kind} column, got a DataFrame with {X.shape[1]} "
                f"columns {list(X.columns)}; select one column first."
            )
        X = X.iloc[:, 0]
    if pd is not None and isinstance(X, pd.Series):
        return list(X.to_numpy(dtype=object)), list(X.index)
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                f"Expected a 1-D sequence of {kind} samples, got an array of "
                f"shape {X.shape}."
            )
        return list(X), None
    try:
        return list(X), None
    except TypeError:
        raise TypeError(
            f"Expected an iterable of {kind} samples, got {type(X).__name__}."
        ) from None


def check_documents(X):
    """Validate raw text input and return it as a list of ``str``.

    Parameters
    ----------
    X : iterable of str, pandas Series or one-column DataFrame
        One document per sample.

    Returns
    -------
    documents : list of str

    Raises
    ------
    ValueError
        If ``X`` is a single string, or a document is missing (None, NaN or
        pandas' NA); the message names the sample.
    TypeError
        If a document is not a string; the message names the sample.
    """
    if isinstance(X, str | bytes):
        raise ValueError(
            "Iterable over raw text documents expected, string object received."
        )
    documents, labels = _as_column(X, kind="text")
    for position, document in enumerate(documents):
        if isinstance(document, str):
            continue
        name = _sample_label(position, labels)
        if _is_missing(document):
            raise ValueError(
                f"Text {name} is a missing value ({document!r}). Drop or impute "
                "missing documents, or let a late-fusion model route samples "
                "without text around this estimator."
            )
        raise TypeError(
            f"Text {name} is of type {type(document).__name__}; expected str."
        )
    return documents


def _largest_encodable(dtype, n_local, n_features):
    """Largest magnitude a set of this shape and dtype may hold (see
    :func:`check_descriptor_sets`)."""
    headroom = 2.0**16
    per_set = float(np.finfo(np.float64).max) / (n_local * n_features)
    per_row = float(np.finfo(dtype).max) / n_features
    return math.sqrt(min(per_set, per_row) / headroom)


def check_descriptor_sets(X, *, n_features=None):
    """Validate descriptor sets and return them as a list of 2-D float arrays.

    Parameters
    ----------
    X : list, tuple, pandas Series, one-column DataFrame or 3-D ndarray
        One ``(n_local, n_features)`` array of local descriptors per sample. A
        3-D array ``(n_samples, n_local, n_features)`` is a batch of
        equal-sized sets. An empty set may be ``(0, n_features)`` or any
        empty array.
    n_features : int, default=None
        Required width of every set (the width seen in ``fit``); None takes
        the width of the first non-empty set.

    Returns
    -------
    sets : list of ndarray
        One C-contiguous 2-D array per sample: float32 where the input is
        float32, float64 otherwise (integers are converted). CuPy arrays
        stay CuPy arrays, on the GPU. Empty sets have
        shape ``(0, n_features)``.

    Raises
    ------
    ValueError
        If there are no sets at all; if a set is missing (None, NaN), is not
        2-D, holds NaN or infinity, has the wrong width, or holds values so
        large that encoding it would overflow (see Notes); the message names
        the sample.
    TypeError
        If a set is not numeric; the message names the sample.

    Notes
    -----
    Encoders square the descriptors' values and sum the squares (distances to
    codewords, variances, second-order Fisher statistics), over a set's
    values in float64 and over a descriptor's in the set's dtype. A set is
    refused when its largest magnitude ``m`` would bring such a sum within a
    factor ``2**16`` of overflow: ``m**2 * n_local * n_features`` past
    ``finfo(float64).max / 2**16``, or, for float32 sets, ``m**2 *
    n_features`` past ``finfo(float32).max / 2**16``. In float64 that is
    ``m`` above about ``1e148`` for a million values; rescale such
    descriptors. A 3-D batch is checked set by set, as a list is.
    """
    if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 3:
        X = list(X)
    cells, labels = _as_column(X, kind="descriptor set")
    if not cells:
        raise ValueError(
            "Found 0 descriptor sets (no samples), while a minimum of 1 is required."
        )
    sets = []
    for position, cell in enumerate(cells):
        if _is_missing(cell):
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} is a missing "
                f"value ({cell!r}). Drop or impute missing samples, or let a "
                "late-fusion model route them around this estimator."
            )
        try:
            array = cell if is_cupy_array(cell) else np.asarray(cell)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Descriptor set {_sample_label(position, labels)} is not a "
                f"numeric array: {exc}"
            ) from None
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Descriptor set {_sample_label(position, labels)} has dtype "
                f"{array.dtype}; expected a numeric (float or integer) array."
            )
        dtype = np.float32 if array.dtype == np.float32 else np.float64
        if array.size == 0 and array.ndim != 2:
            sets.append(None)  # width filled in below
            continue
        if array.ndim != 2:
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} has shape "
                f"{array.shape}; expected a 2-D array (n_local, n_features)."
            )
        if n_features is None and array.shape[0] > 0:
            n_features = array.shape[1]
        if n_features is not None and array.shape[1] != n_features:
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} has "
                f"{array.shape[1]} features per descriptor; expected "
                f"{n_features}."
            )
        xp = array_module(array)
        array = xp.ascontiguousarray(array, dtype=dtype)
        sets.append(array)
    # The values' checks: two reductions per set, no temporary (NaN
    # propagates through both), fetched from the GPU once for all sets.
    positions = [p for p, a in enumerate(sets) if a is not None and a.size]
    extremes = per_sample_values([sets[p] for p in positions], _extremes)
    for position, (high, low) in zip(positions, extremes, strict=True):
        high, low = float(high), float(low)
        if not (math.isfinite(high) and math.isfinite(low)):
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} contains "
                "NaN or infinity."
            )
        peak = max(high, -low)
        array = sets[position]
        limit = _largest_encodable(array.dtype, *array.shape)
        if peak > limit:
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} holds "
                f"values up to {peak:.3g} in magnitude; encoders sum their "
                "squares, which would overflow. Rescale the descriptors "
                f"(below {limit:.3g} for this set's size and dtype)."
            )
    width = 0 if n_features is None else n_features
    xp = next((array_module(a) for a in sets if a is not None), np)
    for position, array in enumerate(sets):
        if array is None:
            sets[position] = xp.zeros((0, width), dtype=np.float64)
        elif array.shape[1] != width:
            # An empty (0, w) set seen before the first non-empty one.
            raise ValueError(
                f"Descriptor set {_sample_label(position, labels)} has "
                f"{array.shape[1]} features per descriptor; expected {width}."
            )
    return sets


# -- images ---------------------------------------------------------------------

_CHANNELS = (1, 3, 4)


def _missing_image_error(name, label, value):
    return ValueError(
        f"{name} {label} is a missing value ({value!r}). Drop or impute missing "
        "images first. A reader with on_error='missing' outputs None for a "
        "file it cannot read, which this estimator cannot take on its own: "
        "put the reader and this estimator in one Pipeline and give it to "
        "skmm.fusion.LateFusionClassifier (or LateFusionRegressor, "
        "skmm.compose.MultimodalClassifier), which run the pipeline's "
        "stateless steps first and count such samples as missing for that "
        "modality, or wrap the pipeline in skmm.fusion.SkipMissing for early "
        "fusion (NaN rows, then ModalityImputer)."
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
    >>> from skmm.utils._validation import check_images
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
    # CuPy images are checked where they are, on the GPU.
    device_finite = _finite_on_device(cells)
    for position, image in enumerate(cells):
        is_array = isinstance(image, np.ndarray) or is_cupy_array(image)
        if (
            is_array
            and image.dtype.kind in "biuf"
            and image.size
            and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in _CHANNELS))
            and (
                image.dtype.kind != "f"
                or device_finite.get(position, False)
                or (position not in device_finite and bool(np.isfinite(image).all()))
            )
        ):
            continue
        label = _sample_label(position, labels)
        where = f"{name} {label}"
        if _is_missing(image):
            raise _missing_image_error(name, label, image)
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


def _extremes(array):
    """``[max, min]`` of ``array``, on its device."""
    return array_module(array).stack([array.max(), array.min()])


def _all_finite(array):
    """0-d boolean array: every value of ``array`` is finite (on its device)."""
    return array_module(array).isfinite(array).all()


def _finite_on_device(cells):
    """``{position: all values finite}`` for the non-empty float CuPy arrays
    among ``cells``, computed on the GPU with one sync for all of them."""
    on_device = [
        position
        for position, cell in enumerate(cells)
        if is_cupy_array(cell) and cell.dtype.kind == "f" and cell.size
    ]
    flags = per_sample_flags([cells[p] for p in on_device], _all_finite)
    return dict(zip(on_device, flags, strict=True))


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


# -- waveforms ------------------------------------------------------------------

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _missing_audio_error(name, label, value):
    return ValueError(
        f"{name} {label} is a missing value ({value!r}). Drop or impute missing "
        "audio first. A reader with on_error='missing' outputs None for a "
        "file it cannot read, which this estimator cannot take on its own: "
        "put the reader and this estimator in one Pipeline and give it to "
        "skmm.fusion.LateFusionClassifier (or LateFusionRegressor, "
        "skmm.compose.MultimodalClassifier), which run the pipeline's "
        "stateless steps first and count such samples as missing for that "
        "modality, or wrap the pipeline in skmm.fusion.SkipMissing for early "
        "fusion (NaN rows, then ModalityImputer)."
    )


def _check_samples(wave, where):
    """Raise ValueError if ``wave`` is empty or holds NaN or inf.

    ``where`` names the sample in the message ("Audio sample 3").
    """
    if wave.size == 0:
        raise ValueError(f"{where} is empty (zero samples).")
    if not np.isfinite(wave).all():
        n_bad = int(wave.size - np.count_nonzero(np.isfinite(wave)))
        raise ValueError(
            f"{where} holds {n_bad} non-finite value(s) (NaN or inf); clean or "
            "drop the clip."
        )


def _check_rank(wave, where, *, max_ndim):
    """Raise ValueError for 0-d arrays and arrays of more than ``max_ndim`` axes."""
    if wave.ndim == 0:
        raise ValueError(
            f"{where} is a scalar (0-d array), not a waveform; expected an array "
            "of samples."
        )
    if wave.ndim > max_ndim:
        expected = (
            "(n_samples,)"
            if max_ndim == 1
            else ("(n_samples,) or (n_channels, n_samples)")
        )
        raise ValueError(
            f"{where} is an array of shape {wave.shape}; expected {expected}."
        )


def _check_device_wave(wave, where, finite):
    """The checks of ``check_waveforms`` for a CuPy array; ``finite`` is
    whether its values are (computed on the GPU for every clip at once)."""
    _check_rank(wave, where, max_ndim=1)
    if wave.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{where} has dtype {wave.dtype}; expected float32 or float64.")
    if wave.size == 0:
        raise ValueError(f"{where} is empty (zero samples).")
    if not finite:
        raise ValueError(
            f"{where} holds non-finite values (NaN or inf); clean or drop the clip."
        )


def unstack(X, *, name="Audio"):
    """The clips of a stacked batch as a list of rows; other input unchanged.

    A NumPy or CuPy array of numbers with two or more axes is a stack of
    clips along its first axis: ``(n_clips, n_samples)``, or ``(n_clips,
    n_channels, n_samples)``. Its rows are then the samples, each checked
    as a cell of a list is (dtype, dimensionality, NaN and inf), so that a
    stack and the list of its rows are accepted or refused alike. Rows are
    views: nothing is copied.

    A 1-D array of numbers is one clip, not a batch of them, and raises.
    """
    if not (isinstance(X, np.ndarray) or is_cupy_array(X)) or X.dtype.kind == "O":
        return X
    if X.ndim == 1 and X.shape[0]:
        raise ValueError(
            f"{name} input is one 1-D array of {X.shape[0]} numbers, not a "
            "batch of clips; pass a list of clips ([clip]) or a 2-D "
            "(n_clips, n_samples) array."
        )
    return list(X) if X.ndim >= 2 else X


def check_waveforms(X, *, name="Audio"):
    """Validate decoded mono waveforms.

    Each sample must be a 1-D float32 or float64 NumPy or CuPy array of
    finite values, at least one sample long. Arrays are neither copied nor
    converted: CuPy arrays stay on the GPU.

    Parameters
    ----------
    X : list, tuple, 1-D object array, pandas Series, one-column DataFrame \
            or array of shape (n_clips, n_samples)
        One waveform per sample, e.g. the output of
        :class:`~skmm.audio.AudioReader`; or equal-length clips stacked in
        the rows of a NumPy or CuPy array (see :func:`unstack`), checked row
        by row as a list's cells are.
    name : str, default="Audio"
        How messages name the input ("Audio sample 3 ...").

    Returns
    -------
    waves : list of ndarray of shape (n_samples,)
        The arrays, unconverted.
    sample_rates : list of int or None
        Each waveform's ``sr`` (a :class:`~skmm.audio.Waveform`), else None.

    Raises
    ------
    ValueError
        If a sample is missing (None/NaN), a scalar, multi-channel, of more
        than two axes, empty, or holds NaN or inf; or if ``X`` is one 1-D
        array of numbers (a clip, not a batch of clips).
    TypeError
        If a sample is not a NumPy array (a file path, a ``(samples, sr)``
        tuple) or not of a float dtype; read such input with
        :class:`~skmm.audio.AudioReader` first.

    Every message names the sample by position (and index label).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import Waveform
    >>> from skmm.utils._validation import check_waveforms
    >>> waves, rates = check_waveforms([Waveform(np.zeros(4), sr=8000),
    ...                                 np.zeros(3)])
    >>> rates
    [8000, None]
    """
    cells, labels = _as_column(unstack(X, name=name), kind="audio")
    # CuPy clips are checked where they are, on the GPU.
    device_finite = _finite_on_device(cells)
    for position, wave in enumerate(cells):
        if is_cupy_array(wave):
            _check_device_wave(
                wave,
                f"{name} {_sample_label(position, labels)}",
                device_finite.get(position, True),
            )
            continue
        is_mono_float = (
            isinstance(wave, np.ndarray)
            and wave.ndim == 1
            and (wave.dtype in _FLOAT_DTYPES)
        )
        # The common case stays cheap: it runs once per clip on large corpora.
        if is_mono_float and wave.size and np.isfinite(wave).all():
            continue
        where = f"{name} {_sample_label(position, labels)}"
        if is_mono_float:
            _check_samples(wave, where)
        if _is_missing(wave):
            raise _missing_audio_error(name, _sample_label(position, labels), wave)
        if isinstance(wave, numbers.Number | np.generic):
            wave = np.asarray(wave)
        if not isinstance(wave, np.ndarray):
            raise TypeError(
                f"{where} is of type {type(wave).__name__}; expected a 1-D float "
                "array. Read files, (samples, sr) tuples and integer PCM with "
                "skmm.audio.AudioReader first."
            )
        _check_rank(wave, where, max_ndim=2)
        if wave.dtype not in _FLOAT_DTYPES:
            raise TypeError(
                f"{where} has dtype {wave.dtype}; expected float32 or float64. "
                "Convert integer PCM with skmm.audio.AudioReader, which scales "
                "it to [-1, 1)."
            )
        raise ValueError(
            f"{where} is multi-channel, shape {wave.shape}; mix it down to mono "
            "with skmm.audio.AudioReader(mono=True)."
        )
    from skmm.audio._waveform import sample_rate_of

    return cells, [sample_rate_of(wave) for wave in cells]
