"""AudioReader on files as users have them: WAV, FLAC, OGG and MP3, stereo,
any sample rate, clips from 0.1 s to minutes; librosa.load is the reference."""

import warnings

import librosa
import numpy as np
import pytest
import soundfile

from skmm.audio import MFCC, AudioReader

# librosa.load imports audioread, which imports modules Python deprecates.
pytestmark = pytest.mark.filterwarnings(
    "ignore:'(aifc|sunau|audioop)' is deprecated:DeprecationWarning"
)

FORMATS = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "mp3": "MP3"}


def _write(path, seconds, rate, channels, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.4 * np.sin(2 * np.pi * 330 * t)[:, None] * np.ones(channels)
    clip = tone + 0.05 * rng.standard_normal((t.size, channels))
    soundfile.write(path, clip, rate, format=FORMATS[path.suffix[1:]])
    return path


@pytest.mark.parametrize("ext", list(FORMATS))
@pytest.mark.parametrize("rate, channels", [(8000, 1), (44100, 2), (48000, 2)])
def test_formats_rates_and_channels_match_librosa(tmp_path, ext, rate, channels):
    path = _write(tmp_path / f"clip.{ext}", 0.5, rate, channels)
    [wave] = AudioReader(sr=22050).fit_transform([path])
    expected, _ = librosa.load(path, sr=22050)
    assert wave.sr == 22050
    np.testing.assert_allclose(wave, expected, atol=1e-6)
    [native] = AudioReader(sr=None, mono=False).fit_transform([path])
    assert native.shape[0] == channels if channels > 1 else native.ndim == 1
    assert native.sr == rate


@pytest.mark.parametrize("seconds", [0.1, 0.25, 95.0])
def test_pooled_mfcc_from_a_tenth_of_a_second_to_minutes(tmp_path, seconds):
    path = _write(tmp_path / "clip.flac", seconds, 16000, 2)
    reader = AudioReader(sr=16000)
    mfcc = MFCC(sr=16000, n_mfcc=13)
    pooled = mfcc.fit_transform(reader.fit_transform([path]))
    assert pooled.shape == (1, 26) and np.isfinite(pooled).all()
    with warnings.catch_warnings():
        # librosa warns that a 0.1 s clip is shorter than n_fft; it pads it.
        warnings.filterwarnings("ignore", "n_fft=.* is too large", UserWarning)
        frames = librosa.feature.mfcc(
            y=librosa.load(path, sr=16000)[0], sr=16000, n_mfcc=13
        )
    np.testing.assert_allclose(
        pooled[0, :13], frames.mean(axis=1), rtol=1e-3, atol=1e-3
    )


def test_duration_caps_what_long_clips_contribute(tmp_path):
    path = _write(tmp_path / "long.flac", 70.0, 44100, 2)
    [head] = AudioReader(sr=22050, duration=30.0).fit_transform([path])
    expected, _ = librosa.load(path, sr=22050, duration=30.0)
    assert head.shape == expected.shape == (30 * 22050,)
    np.testing.assert_allclose(head, expected, atol=1e-6)


def test_unreadable_audio_names_the_file(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(b"ID3" + bytes(64))
    with pytest.raises(ValueError, match=r"noise.mp3.*cannot be decoded"):
        AudioReader().fit_transform([path])
