"""Audio: reading waveforms and librosa-exact MFCC features."""

from skmm.audio._mfcc import MFCC
from skmm.audio._reader import AudioReader
from skmm.audio._waveform import Waveform

__all__ = ["MFCC", "AudioReader", "Waveform"]
