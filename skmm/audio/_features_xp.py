"""Frame features from a batch's spectrogram, as array code.

Written against the array module of their input (NumPy on the CPU, CuPy on
the GPU), with only operations both share, so that one implementation serves
both devices. Rows are frames (of all clips in a batch), columns frequency
bins; ``frame_offsets[i]:frame_offsets[i + 1]`` are clip ``i``'s rows.
Each function follows the librosa function it names, in the order of its
operations; reductions over bins run in float64 and the result is cast back
to the input's precision, so that float32 input gives numbers at least as
close to librosa's float64 ones as librosa's own float32 path does.
"""

import functools

import numpy as np

from skmm.utils._device import array_module, to_numpy


def _clip_of_frame(frame_offsets, xp):
    counts = np.diff(frame_offsets)
    return xp.asarray(np.repeat(np.arange(counts.shape[0]), counts))


def clip_max(values, frame_offsets):
    """Each frame's clip's maximum of ``values`` (one per frame), exact in
    any float dtype on CuPy too (no float64 ``maximum.at``: see
    :func:`skmm.audio._mfcc_xp.clip_peaks`)."""
    from skmm.audio._mfcc_xp import clip_peaks

    xp = array_module(values)
    clip = _clip_of_frame(frame_offsets, xp)
    return clip_peaks(values, frame_offsets, xp)[clip]


def power_to_db(x, frame_offsets, ref=1.0, amin=1e-10, top_db=80.0):
    """``librosa.power_to_db`` of each clip's frames (``ref="max"`` for
    ``ref=np.max``)."""
    xp = array_module(x)
    log = 10.0 * xp.log10(xp.maximum(x, amin))
    if isinstance(ref, str):
        ref_value = clip_max(x.max(axis=1), frame_offsets)
        log -= (10.0 * xp.log10(xp.maximum(ref_value, amin)))[:, None]
    else:
        log -= 10.0 * np.log10(max(amin, abs(ref)))
    if top_db is not None:
        floor = clip_max(log.max(axis=1), frame_offsets) - top_db
        log = xp.maximum(log, floor[:, None].astype(log.dtype))
    return log


def l1_normalized(S):
    """``librosa.util.normalize(S, norm=1)`` along bins, in float64."""
    S64 = S.astype(np.float64)
    length = S64.sum(axis=1, keepdims=True)
    length[length < np.finfo(S.dtype).tiny] = 1.0
    S64 /= length
    return S64


def centroid(normalized, freq):
    """``librosa.feature.spectral_centroid`` from ``l1_normalized(S)``."""
    return normalized @ freq


def bandwidth(S, normalized, centroid, freq, p=2.0, norm=True):
    """``librosa.feature.spectral_bandwidth`` of magnitudes ``S``, given
    ``l1_normalized(S)`` and the centroid."""
    xp = array_module(S)
    weights = normalized if norm else S.astype(np.float64)
    deviation = xp.abs(freq[None, :] - centroid[:, None])
    return (weights * deviation**p).sum(axis=1) ** (1.0 / p)


def rolloff(S, freq, roll_percent=0.85):
    """``librosa.feature.spectral_rolloff`` of magnitudes ``S`` (the
    cumulative sum in the input's precision, as librosa's)."""
    xp = array_module(S)
    total = xp.cumsum(S, axis=1)
    threshold = roll_percent * total[:, -1:]
    return freq[xp.argmax(total >= threshold, axis=1)]


def flatness(S, power=2.0, amin=1e-10):
    """``librosa.feature.spectral_flatness`` of magnitudes ``S``."""
    xp = array_module(S)
    thresholded = xp.maximum(amin, S**power).astype(np.float64)
    return xp.exp(xp.log(thresholded).mean(axis=1)) / thresholded.mean(axis=1)


def rms(frames):
    """``librosa.feature.rms(y=...)`` of time-domain frames, in float64."""
    xp = array_module(frames)
    frames = frames.astype(np.float64)
    return xp.sqrt((frames * frames).mean(axis=1))


def zero_crossing_rate(frames, threshold=1e-10):
    """``librosa.feature.zero_crossing_rate`` of (edge-padded) frames."""
    xp = array_module(frames)
    signs = xp.signbit(xp.where(xp.abs(frames) <= threshold, 0, frames))
    return (signs[:, 1:] != signs[:, :-1]).sum(axis=1) / frames.shape[1]


def contrast_bands(freq, sr, fmin, n_bands, quantile):
    """The bins and quantile count of each of ``librosa.feature.
    spectral_contrast``'s bands: a list of ``(bins, count)``."""
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    if np.any(octa[:-1] >= 0.5 * sr):
        raise ValueError(
            f"A spectral contrast band reaches the Nyquist frequency {sr / 2} Hz: "
            f"reduce fmin={fmin} or n_bands={n_bands}."
        )
    bands = []
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:], strict=True)):
        current = (freq >= f_low) & (freq <= f_high)
        idx = np.flatnonzero(current)
        if idx.size == 0 or (k > 0 and idx[0] == 0):
            raise ValueError(
                f"Spectral contrast band {k} ({f_low:g} to {f_high:g} Hz) holds "
                "no frequency bin: increase n_fft or fmin (librosa fails there)."
            )
        if k > 0:
            current[idx[0] - 1] = True
        if k == n_bands:
            current[idx[-1] + 1 :] = True
        bins = np.flatnonzero(current)
        if k < n_bands:
            bins = bins[:-1]
        if bins.size == 0:
            raise ValueError(
                f"Spectral contrast band {k} holds a single frequency bin: "
                "increase n_fft (librosa returns NaN there)."
            )
        count = max(int(np.rint(quantile * current.sum())), 1)
        bands.append((bins, count))
    return bands


def contrast(S, bands, frame_offsets, linear=False):
    """``librosa.feature.spectral_contrast`` of magnitudes ``S`` (float64)."""
    xp = array_module(S)
    valley = xp.empty((S.shape[0], len(bands)), dtype=np.float64)
    peak = xp.empty_like(valley)
    for k, (bins, count) in enumerate(bands):
        ordered = xp.sort(S[:, xp.asarray(bins)], axis=1)
        valley[:, k] = ordered[:, :count].astype(np.float64).mean(axis=1)
        peak[:, k] = ordered[:, -count:].astype(np.float64).mean(axis=1)
    if linear:
        return peak - valley
    return power_to_db(peak, frame_offsets) - power_to_db(valley, frame_offsets)


def _pitch_tuning(frequencies, bins_per_octave, resolution=0.01):
    """``librosa.pitch_tuning`` (0.0, without a warning, when empty)."""
    frequencies = frequencies[frequencies > 0]
    if not frequencies.size:
        return 0.0
    residual = np.mod(bins_per_octave * np.log2(frequencies / (440.0 / 16)), 1.0)
    residual[residual >= 0.5] -= 1.0
    bins = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, tuning = np.histogram(residual, bins)
    return float(tuning[np.argmax(counts)])


def estimate_tuning(P, sr, frame_offsets, bins_per_octave):
    """``librosa.estimate_tuning(S=P, sr=sr, bins_per_octave=...)`` of each
    clip, from its power spectrogram rows: ``piptrack``'s peaks, then the
    histogram of their deviations from the equal-tempered scale."""
    xp = array_module(P)
    n_bins = P.shape[1]
    # piptrack infers n_fft from the spectrogram unless it matches 2048.
    n_fft = 2048 if n_bins == 1025 else 2 * (n_bins - 1)
    freqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    in_range = (freqs >= 150.0) & (freqs < min(4000.0, float(sr) / 2))
    ref = 0.1 * P.max(axis=1, keepdims=True)
    # Peaks in range depend on their neighbours only: work on the bins in
    # range and one on each side (the spectrum's own edges keep librosa's
    # edge rules, which apply there).
    inside = np.flatnonzero(in_range)
    if inside.size == 0:
        return [0.0] * (frame_offsets.shape[0] - 1)
    first, stop = max(int(inside[0]) - 1, 0), min(int(inside[-1]) + 2, n_bins)
    P = P[:, first:stop]
    in_range = xp.asarray(in_range[first:stop])
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = xp.gradient(P, axis=1)
        a = P[:, 2:] + P[:, :-2] - 2 * P[:, 1:-1]
        b = (P[:, 2:] - P[:, :-2]) / 2
        shift = xp.zeros_like(P)
        shift[:, 1:-1] = xp.where(xp.abs(b) >= xp.abs(a), 0, -b / a)
    dskew = 0.5 * avg * shift
    x = P * (P > ref)
    peaks = xp.zeros(P.shape, dtype=bool)
    peaks[:, 1:-1] = (x[:, 1:-1] > x[:, :-2]) & (x[:, 1:-1] >= x[:, 2:])
    if stop == n_bins:
        peaks[:, -1] = x[:, -1] > x[:, -2]
    rows, cols = xp.nonzero(peaks & in_range[None, :])
    pitches = ((cols + first + shift[rows, cols]) * float(sr) / n_fft).astype(P.dtype)
    mags = P[rows, cols] + dskew[rows, cols]
    rows, pitches, mags = to_numpy(rows), to_numpy(pitches), to_numpy(mags)
    bounds = np.searchsorted(rows, frame_offsets)
    tunings = []
    for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
        pitch, mag = pitches[begin:end], mags[begin:end]
        positive = pitch > 0
        threshold = np.median(mag[positive]) if positive.any() else 0.0
        tunings.append(
            _pitch_tuning(pitch[(mag >= threshold) & positive], bins_per_octave)
        )
    return tunings


@functools.lru_cache(maxsize=256)
def chroma_filters(sr, n_fft, n_chroma, tuning, ctroct, octwidth, base_c):
    """``librosa.filters.chroma(...)`` (float32), cached."""
    import librosa

    return librosa.filters.chroma(
        sr=sr,
        n_fft=n_fft,
        n_chroma=n_chroma,
        tuning=tuning,
        ctroct=ctroct,
        octwidth=octwidth,
        base_c=base_c,
    )


def chroma(P, frame_offsets, tunings, filters_of, norm=np.inf):
    """``librosa.feature.chroma_stft`` of power spectrogram rows ``P``:
    each clip projected on the filters of its tuning, then normalised."""
    xp = array_module(P)
    dtype = P.dtype
    raw = None
    for c, tuning in enumerate(tunings):
        begin, end = frame_offsets[c], frame_offsets[c + 1]
        filters = xp.asarray(filters_of(tuning).T.astype(dtype))
        if raw is None:
            raw = xp.empty((P.shape[0], filters.shape[1]), dtype=dtype)
        raw[begin:end] = P[begin:end] @ filters
    if norm is None:
        return raw
    magnitude = xp.abs(raw).astype(np.float64)
    if norm == np.inf:
        length = magnitude.max(axis=1, keepdims=True)
    elif norm == -np.inf:
        length = magnitude.min(axis=1, keepdims=True)
    elif norm == 0:
        length = (magnitude > 0).sum(axis=1, keepdims=True).astype(np.float64)
    else:
        length = (magnitude**norm).sum(axis=1, keepdims=True) ** (1.0 / norm)
    length[length < np.finfo(dtype).tiny] = 1.0
    return (raw / length).astype(dtype)
