"""MFCC(fft_precision="input"): float32 FFTs within the stated bound of
librosa's float64 coefficients."""

import warnings
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile

from skmm.audio import MFCC

FSDD_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "fsdd"

# The bound MFCC's docstring states for fft_precision="input" on random
# clips and a sample of FSDD (relative error of a clip's coefficients
# against librosa's float64 ones; over all 3,000 FSDD clips 99% are within
# 5.2e-7 and the worst is at 1.4e-6).
BOUND = 1e-6

SETTINGS = [
    dict(sr=16000, n_fft=512, hop_length=160, n_mels=40, n_mfcc=13),
    dict(sr=8000),
    dict(sr=8000, n_fft=255, hop_length=100, window="hamming", deltas=2),
    dict(sr=8000, n_fft=256, hop_length=64, window="boxcar", top_db=None),
]


def _librosa64(clip, params):
    params = dict(params)
    deltas = params.pop("deltas", 0)
    top_db = params.pop("top_db", 80.0)
    n_mfcc = params.pop("n_mfcc", 20)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "n_fft=.* is too large")
        S = librosa.feature.melspectrogram(y=clip.astype(np.float64), **params)
    M = librosa.feature.mfcc(S=librosa.power_to_db(S, top_db=top_db), n_mfcc=n_mfcc)
    orders = range(1, deltas + 1)
    return np.concatenate([M] + [librosa.feature.delta(M, order=o) for o in orders]).T


def _errors(clips, params):
    got = MFCC(pooling=None, fft_precision="input", **params).fit_transform(clips)
    errors = []
    for clip, frames in zip(clips, got, strict=True):
        assert frames.dtype == np.float32
        expected = _librosa64(clip, params)
        errors.append(np.linalg.norm(frames - expected) / np.linalg.norm(expected))
    return np.array(errors)


def _random_clips(seed, n_clips=3):
    rng = np.random.default_rng(seed)
    clips = []
    for _ in range(n_clips):
        n = int(rng.integers(2000, 20000))
        clip = rng.standard_normal(n) * rng.uniform(0.01, 0.5)
        clip += np.cumsum(rng.standard_normal(n)) * rng.uniform(0, 0.02)
        clip[rng.integers(n) :][: n // 5] = 0.0  # a silent gap
        clips.append(clip.astype(np.float32))
    return clips


@pytest.mark.parametrize("seed, params", list(enumerate(SETTINGS)))
def test_float32_fft_within_the_bound_on_random_clips(seed, params):
    errors = _errors(_random_clips(seed), params)
    assert errors.max() <= BOUND, errors


@pytest.mark.skipif(
    not (FSDD_DIR / "recordings").is_dir(),
    reason=f"FSDD not found at {FSDD_DIR} (real data lives in ../shared/data)",
)
@pytest.mark.parametrize("params", SETTINGS[1:3])
def test_float32_fft_within_the_bound_on_speech(params):
    paths = sorted((FSDD_DIR / "recordings").glob("*.wav"))[::150]
    clips = [soundfile.read(path, dtype="float32")[0] for path in paths]
    errors = _errors(clips, params)
    assert errors.max() <= BOUND, errors


def test_float64_clips_are_transformed_in_float64_either_way():
    clips = [clip.astype(np.float64) for clip in _random_clips(7)]
    default = MFCC(pooling=None).fit_transform(clips)
    fast = MFCC(pooling=None, fft_precision="input").fit_transform(clips)
    for a, b in zip(default, fast, strict=True):
        assert b.dtype == np.float64
        np.testing.assert_array_equal(a, b)


def test_float32_fft_differs_from_the_default():
    # The option does change the computation (else the bound tests nothing).
    clips = _random_clips(8)
    default = MFCC(pooling=None).fit_transform(clips)
    fast = MFCC(pooling=None, fft_precision="input").fit_transform(clips)
    assert any(not np.array_equal(a, b) for a, b in zip(default, fast, strict=True))
