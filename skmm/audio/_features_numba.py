"""Numba kernels for the time-domain frame features on the CPU.

``rms`` and ``zero_crossing_rate`` read each frame in place from a batch's
laid-out signal (see ``_FramedAudioMixin._frame_layout``), where the array
code of ``_features_xp`` gathers framed copies first.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def rms(signal, frame_starts, frame_length, out):
    """``out[f]``: root mean square of the frame at ``frame_starts[f]``,
    summed in float64."""
    for f in range(frame_starts.shape[0]):
        start = frame_starts[f]
        acc = 0.0
        for k in range(frame_length):
            value = np.float64(signal[start + k])
            acc += value * value
        out[f] = np.sqrt(acc / frame_length)


@njit(cache=True, nogil=True)
def zero_crossing_rate(signal, frame_starts, frame_length, threshold, out):
    """``out[f]``: sign changes between consecutive samples of the frame at
    ``frame_starts[f]``, over ``frame_length``, as
    ``librosa.feature.zero_crossing_rate``: samples within ``threshold`` of
    zero count as positive."""
    for f in range(frame_starts.shape[0]):
        start = frame_starts[f]
        count = 0
        previous = signal[start] < 0 and abs(signal[start]) > threshold
        for k in range(1, frame_length):
            value = signal[start + k]
            negative = value < 0 and abs(value) > threshold
            if negative != previous:
                count += 1
            previous = negative
        out[f] = count / frame_length


@njit(cache=True, nogil=True)
def spectral_shape(S, freq, tiny, roll_percent, p, power, amin, which, out):
    """Centroid, bandwidth, rolloff and flatness (those ``which`` asks for)
    of each row of magnitudes ``S`` into ``out[:, 0:4]``, as
    ``_features_xp``'s functions compute them (sums in float64; the
    rolloff's cumulative sum in ``S``'s precision, as librosa's;
    ``roll_percent``, ``power`` and ``amin`` come in that precision)."""
    n_bins = S.shape[1]
    for f in range(S.shape[0]):
        row = S[f]
        if which[0] or which[1]:
            length = 0.0
            weighted = 0.0
            for k in range(n_bins):
                value = np.float64(row[k])
                length += value
                weighted += value * freq[k]
            if length < tiny:
                length = 1.0
            centroid = weighted / length
            out[f, 0] = centroid
            if which[1]:
                spread = 0.0
                for k in range(n_bins):
                    d = abs(freq[k] - centroid)
                    spread += np.float64(row[k]) * (d * d if p == 2.0 else d**p)
                out[f, 1] = (spread / length) ** (1.0 / p)
        if which[2]:
            total = row[0] * 0
            for k in range(n_bins):
                total += row[k]
            threshold = roll_percent * total
            cumulative = row[0] * 0
            out[f, 2] = freq[n_bins - 1]
            for k in range(n_bins):
                cumulative += row[k]
                if cumulative >= threshold:
                    out[f, 2] = freq[k]
                    break
        if which[3]:
            log_sum = 0.0
            sum_ = 0.0
            for k in range(n_bins):
                value = np.float64(max(amin, row[k] ** power))
                log_sum += np.log(value)
                sum_ += value
            out[f, 3] = np.exp(log_sum / n_bins) / (sum_ / n_bins)
