"""Validation of waveform input, shared by the audio estimators."""

import numbers

import numpy as np

from skmm.audio._waveform import sample_rate_of
from skmm.utils._device import array_module, is_cupy_array
from skmm.utils._validation import _as_column, _is_missing, _sample_label

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _missing_error(name, label, value):
    return ValueError(
        f"{name} {label} is a missing value ({value!r}). Drop or impute missing "
        "audio, read files with AudioReader(on_error='missing') and let a "
        "late-fusion model route samples without audio around this estimator."
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


def _check_device_wave(wave, where):
    """The checks of ``check_waveforms`` for a CuPy array, on the GPU."""
    _check_rank(wave, where, max_ndim=1)
    if wave.dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{where} has dtype {wave.dtype}; expected float32 or float64."
        )
    if wave.size == 0:
        raise ValueError(f"{where} is empty (zero samples).")
    if not bool(array_module(wave).isfinite(wave).all()):
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
    >>> from skmm.audio._validation import check_waveforms
    >>> waves, rates = check_waveforms([Waveform(np.zeros(4), sr=8000),
    ...                                 np.zeros(3)])
    >>> rates
    [8000, None]
    """
    cells, labels = _as_column(unstack(X, name=name), kind="audio")
    for position, wave in enumerate(cells):
        if is_cupy_array(wave):
            _check_device_wave(wave, f"{name} {_sample_label(position, labels)}")
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
            raise _missing_error(name, _sample_label(position, labels), wave)
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
    return cells, [sample_rate_of(wave) for wave in cells]
