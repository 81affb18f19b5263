"""Audio: reading waveforms, librosa-exact MFCC and spectral features."""

from skmm.audio._features import (
    AudioFeatures,
    Chroma,
    MelSpectrogram,
    SpectralContrast,
    SpectralShape,
)
from skmm.audio._mfcc import MFCC
from skmm.audio._reader import AudioReader
from skmm.audio._waveform import Waveform

__all__ = [
    "MFCC",
    "AudioFeatures",
    "AudioReader",
    "Chroma",
    "MelSpectrogram",
    "SpectralContrast",
    "SpectralShape",
    "Waveform",
]
