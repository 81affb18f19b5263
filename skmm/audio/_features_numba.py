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
