"""Audio: reading waveforms and librosa-exact MFCC features."""

from skmm.audio._waveform import Waveform

__all__ = ["Waveform"]
