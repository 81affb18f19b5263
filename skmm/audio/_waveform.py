"""A float32 waveform that remembers its sample rate."""

import numpy as np


class Waveform(np.ndarray):
    """A 1-D float32 NumPy array with a ``sr`` attribute (sample rate in Hz).

    :class:`~skmm.audio.AudioReader` returns these, so that
    :class:`~skmm.audio.MFCC` can refuse to compute at a rate other than the
    one the audio was read at. Everything else sees a plain ``ndarray``:
    arithmetic, slicing and NumPy functions work as usual, and
    ``np.asarray(wave)`` drops the attribute.

    Parameters
    ----------
    samples : array-like of shape (n_samples,)
        The samples; converted to float32.
    sr : int
        Sample rate in Hz.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import Waveform
    >>> wave = Waveform(np.zeros(8000), sr=8000)
    >>> wave.sr, wave.dtype, wave.shape
    (8000, dtype('float32'), (8000,))
    """

    def __new__(cls, samples, sr):
        wave = np.asarray(samples, dtype=np.float32).view(cls)
        wave.sr = int(sr)
        return wave

    def __array_finalize__(self, obj):
        self.sr = getattr(obj, "sr", None)

    def __reduce__(self):
        # ndarray pickles its data but not instance attributes: add ``sr``.
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.sr)

    def __setstate__(self, state):
        array_state, self.sr = state
        super().__setstate__(array_state)

    def __repr__(self):
        return f"Waveform({np.asarray(self)!r}, sr={self.sr})"


def sample_rate_of(wave):
    """The sample rate a waveform carries, or None."""
    return getattr(wave, "sr", None)
