"""MelSpectrogram, Chroma, SpectralContrast, SpectralShape and AudioFeatures
against librosa on random settings, generated signals and real speech."""

import importlib.util
import warnings
from pathlib import Path

import librosa
import numpy as np
import pytest

from skmm.audio import (
    MFCC,
    AudioFeatures,
    AudioReader,
    Chroma,
    MelSpectrogram,
    SpectralContrast,
    SpectralShape,
    Waveform,
)
from skmm.utils._device import cuda_is_available, is_cupy_array

FSDD_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "fsdd"
needs_fsdd = pytest.mark.skipif(
    not (FSDD_DIR / "recordings").is_dir(),
    reason=f"FSDD not found at {FSDD_DIR} (real data lives in ../shared/data)",
)
_STFT = ("sr", "n_fft", "hop_length", "win_length", "window", "center", "pad_mode")
_N_SETTINGS = 22


def relative_error(a, b):
    """Norm-wise relative error of ``a`` against reference ``b``; a
    reference that is zero up to rounding (the linear contrast of a flat
    spectrum, 1e-16) counts as 1e-6 per element."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.linalg.norm(b), 1e-6 * np.sqrt(b.size))
    return float(np.linalg.norm(a - b) / scale)


def _clips(rng, sr, n_fft, center, dtype, with_clicks=True):
    """A chirp over a noise floor, a tone with a silent gap, clicks, brown
    noise, silence, and (when centred) a clip shorter than ``n_fft``."""
    n = int(rng.integers(2 * n_fft, max(3 * n_fft, sr // 3)))
    t = np.arange(n) / sr
    chirp = np.sin(2 * np.pi * (100 + (sr / 3) * t / t[-1] / 2) * t)
    chirp = chirp + 0.01 * rng.standard_normal(n)
    tone = 0.5 * np.sin(2 * np.pi * rng.uniform(110, sr / 4) * t)
    tone[n // 3 : n // 2] = 0.0
    clicks = np.zeros(n)
    clicks[rng.integers(0, n, 5)] = 1.0
    brown = np.cumsum(rng.standard_normal(n)) * 0.01
    clips = [chirp, tone, clicks, brown, np.zeros(n)]
    if not with_clicks:
        del clips[2]
    if center:
        clips.append(rng.standard_normal(int(rng.integers(n_fft // 4, n_fft))))
    return [c.astype(dtype) for c in clips]


def _stft_setting(rng):
    sr = int(rng.choice([8000, 16000, 22050, 44100]))
    n_fft = int(rng.choice([256, 511, 1024, 2048]))
    setting = dict(
        sr=sr,
        n_fft=n_fft,
        hop_length=int(rng.integers(n_fft // 4, n_fft // 2 + 1)),
        center=bool(rng.random() < 0.6),
    )
    if rng.random() < 0.3:
        setting["win_length"] = int(rng.integers(n_fft // 2, n_fft + 1))
    if rng.random() < 0.3:
        setting["window"] = str(rng.choice(["hamming", "blackman", "boxcar"]))
    if setting["center"] and rng.random() < 0.3:
        setting["pad_mode"] = str(rng.choice(["reflect", "edge"]))
    return setting


def _mel_settings():
    rng = np.random.default_rng(1)
    for _ in range(_N_SETTINGS):
        s = _stft_setting(rng)
        s["n_mels"] = int(rng.choice([16, 32, 40]))
        s["fmin"] = float(rng.choice([0.0, 50.0, 300.0]))
        if rng.random() < 0.5:
            s["fmax"] = float(rng.uniform(s["fmin"] + 1000, s["sr"] / 2))
        s["htk"] = bool(rng.random() < 0.3)
        s["power"] = float(rng.choice([1.0, 2.0, 1.5]))
        s["norm"] = [None, "slaney", 2.0][int(rng.integers(3))]
        s["to_db"] = bool(rng.random() < 0.6)
        s["ref"] = [1.0, "max", 0.5][int(rng.integers(3))]
        s["top_db"] = [80.0, None, 40.0][int(rng.integers(3))]
        yield s


def _chroma_settings():
    rng = np.random.default_rng(2)
    for _ in range(_N_SETTINGS):
        s = _stft_setting(rng)
        s["n_chroma"] = int(rng.choice([12, 12, 24, 36]))
        s["tuning"] = None if rng.random() < 0.7 else float(rng.uniform(-0.5, 0.5))
        s["norm"] = [np.inf, 2.0, None, 1.0][int(rng.integers(4))]
        s["octwidth"] = [2, None, 1.0][int(rng.integers(3))]
        s["base_c"] = bool(rng.random() < 0.7)
        s["ctroct"] = float(rng.choice([5.0, 4.0]))
        yield s


def _contrast_settings():
    rng = np.random.default_rng(3)
    settings = []
    while len(settings) < _N_SETTINGS:
        s = _stft_setting(rng)
        s["fmin"] = float(rng.choice([100.0, 200.0, 400.0]))
        top = int(np.floor(np.log2(s["sr"] / 2 / s["fmin"])))
        s["n_bands"] = int(rng.integers(1, top + 1))
        s["quantile"] = float(rng.choice([0.02, 0.1, 0.3]))
        s["linear"] = bool(rng.random() < 0.3)
        # Bands of one bin break librosa too; keep the ones it computes.
        try:
            SpectralContrast(**s).fit()
        except ValueError:
            continue
        settings.append(s)
    return settings


def _shape_settings():
    rng = np.random.default_rng(4)
    names = ["centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms"]
    for _ in range(_N_SETTINGS):
        s = _stft_setting(rng)
        s["features"] = tuple(rng.permutation(names)[: int(rng.integers(1, 7))])
        s["roll_percent"] = float(rng.choice([0.85, 0.5, 0.99]))
        s["p"] = float(rng.choice([2.0, 1.0, 3.0]))
        s["flatness_power"] = float(rng.choice([2.0, 1.0]))
        s["amin"] = float(rng.choice([1e-10, 1e-6]))
        yield s


def _stft_kwargs(s):
    defaults = MelSpectrogram().get_params()
    return {k: s.get(k, defaults[k]) for k in _STFT}


def librosa_mel(y, s):
    p = {**MelSpectrogram().get_params(), **s}
    S = librosa.feature.melspectrogram(
        y=y,
        **_stft_kwargs(s),
        power=p["power"],
        n_mels=p["n_mels"],
        fmin=p["fmin"],
        fmax=p["fmax"],
        htk=p["htk"],
        norm=p["norm"],
    )
    if not p["to_db"]:
        return S.T
    ref = np.max if p["ref"] == "max" else p["ref"]
    return librosa.power_to_db(S, ref=ref, amin=p["amin"], top_db=p["top_db"]).T


def librosa_chroma(y, s):
    p = {**Chroma().get_params(), **s}
    return librosa.feature.chroma_stft(
        y=y,
        **_stft_kwargs(s),
        norm=p["norm"],
        tuning=p["tuning"],
        n_chroma=p["n_chroma"],
        ctroct=p["ctroct"],
        octwidth=p["octwidth"],
        base_c=p["base_c"],
    ).T


def librosa_contrast(y, s):
    p = {**SpectralContrast().get_params(), **s}
    return librosa.feature.spectral_contrast(
        y=y,
        **_stft_kwargs(s),
        fmin=p["fmin"],
        n_bands=p["n_bands"],
        quantile=p["quantile"],
        linear=p["linear"],
    ).T


def librosa_shape(y, s):
    p = {**SpectralShape().get_params(), **s}
    kw = _stft_kwargs(s)
    sr = kw.pop("sr")
    frame = dict(frame_length=kw["n_fft"], hop_length=kw["hop_length"])
    columns = {
        "centroid": lambda: librosa.feature.spectral_centroid(y=y, sr=sr, **kw),
        "bandwidth": lambda: librosa.feature.spectral_bandwidth(
            y=y, sr=sr, p=p["p"], **kw
        ),
        "rolloff": lambda: librosa.feature.spectral_rolloff(
            y=y, sr=sr, roll_percent=p["roll_percent"], **kw
        ),
        "flatness": lambda: librosa.feature.spectral_flatness(
            y=y, power=p["flatness_power"], amin=p["amin"], **kw
        ),
        "zcr": lambda: librosa.feature.zero_crossing_rate(
            y, center=kw["center"], **frame
        ),
        "rms": lambda: librosa.feature.rms(
            y=y,
            center=kw["center"],
            pad_mode=kw["pad_mode"],
            dtype=y.dtype,
            **frame,
        ),
    }
    return np.stack([columns[name]()[0] for name in p["features"]], axis=1)


def _quiet(function, *args):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "n_fft=.* is too large")
        warnings.filterwarnings("ignore", "Trying to estimate tuning")
        warnings.filterwarnings("ignore", "Empty filters detected")
        return function(*args)


def _check_parity(estimator_class, reference, s, seed, per_column=False, clicks=True):
    """skmm's frames equal librosa's: float64 within 1e-10, float32 within
    1e-5, and float32 no further from librosa's float64 numbers than
    librosa's own float32 path is (up to rounding of the output).

    Discrete choices (a chroma tuning from a histogram's peak, a rolloff
    bin) can flip under rounding: where librosa's own float32 and float64
    results differ by more than 1e-5, the float32 comparison says nothing
    and is skipped; at most one clip in a setting may be.
    """
    rng = np.random.default_rng(seed)
    skipped = 0
    for dtype in (np.float64, np.float32):
        clips = _clips(rng, s["sr"], s["n_fft"], s.get("center", True), dtype, clicks)
        model = estimator_class(pooling=None, **s)
        got = _quiet(model.fit_transform, clips)
        for clip, frames in zip(clips, got, strict=True):
            assert frames.dtype == dtype
            same = _quiet(reference, clip, s)
            exact = _quiet(reference, clip.astype(np.float64), s)
            assert frames.shape == same.shape
            columns = range(frames.shape[1]) if per_column else [slice(None)]
            for j in columns:
                error = relative_error(frames[:, j], same[:, j])
                if dtype == np.float64:
                    # Or equal to 1e-12 where the reference is rounding
                    # noise (the contrast of a click's flat spectrum).
                    gap = np.abs(frames[:, j] - same[:, j]).max(initial=0)
                    assert error <= 1e-10 or gap <= 1e-12, (j, error)
                    continue
                ours = relative_error(frames[:, j], exact[:, j])
                theirs = relative_error(same[:, j], exact[:, j])
                if theirs > 1e-5:
                    skipped += 1
                    continue
                assert error <= 1e-5, (j, error)
                assert ours <= 1.5 * theirs + 1e-7, (j, ours, theirs)
    assert skipped <= 1


@pytest.mark.parametrize("setting", list(_mel_settings()), ids=str)
def test_mel_spectrogram_equals_librosa(setting):
    _check_parity(MelSpectrogram, librosa_mel, setting, 0)


@pytest.mark.parametrize("setting", list(_chroma_settings()), ids=str)
def test_chroma_equals_librosa(setting):
    # The spectrum of a click is flat: which bins piptrack finds as peaks,
    # and so the estimated tuning, is decided by rounding, in librosa as
    # here. Clicks are compared with a given tuning only.
    clicks = setting["tuning"] is not None
    _check_parity(Chroma, librosa_chroma, setting, 1, clicks=clicks)


@pytest.mark.parametrize("setting", _contrast_settings(), ids=str)
def test_spectral_contrast_equals_librosa(setting):
    _check_parity(SpectralContrast, librosa_contrast, setting, 2)


@pytest.mark.parametrize("setting", list(_shape_settings()), ids=str)
def test_spectral_shape_equals_librosa(setting):
    _check_parity(SpectralShape, librosa_shape, setting, 3, per_column=True)


# AudioFeatures: one STFT, the separate transformers' numbers -----------------


def _parts(**shared):
    return [
        MFCC(n_mfcc=13, deltas=2, **shared),
        Chroma(**shared),
        MelSpectrogram(n_mels=32, to_db=True, **shared),
        SpectralContrast(**shared),
        SpectralShape(**shared),
    ]


@pytest.mark.parametrize("pooling", [None, ("mean", "std"), ("max",)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_audio_features_equal_the_separate_transformers(pooling, dtype):
    clips = _clips(np.random.default_rng(7), 22050, 2048, True, dtype)[:4]
    clips[2] = clips[2] + 0.1  # a click train over an offset
    combined = AudioFeatures(features=_parts(), pooling=pooling).fit(clips)
    got = _quiet(combined.transform, clips)
    separate = [
        _quiet(part.set_params(pooling=pooling).fit_transform, clips)
        for part in _parts()
    ]
    # MFCC alone windows after the FFT (see its Notes), AudioFeatures
    # before it: the same numbers up to rounding.
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    rows = got if pooling is None else [got]
    blocks = [[s] if pooling is not None else list(s) for s in separate]
    for c, frames in enumerate(rows):
        assert pooling is not None or frames.dtype == dtype
        start = 0
        for part in blocks:
            width = part[c].shape[1]
            block = frames[:, start : start + width]
            assert relative_error(block, part[c]) <= tolerance
            start += width
        assert start == frames.shape[1]
    names = combined.get_feature_names_out()
    assert len(names) == (got[0].shape[1] if pooling is None else got.shape[1])
    assert len(set(names)) == len(names)


def test_audio_features_names_say_which_is_which():
    model = AudioFeatures().fit()
    names = list(model.get_feature_names_out())
    # The GTZAN set: 20 MFCC, 12 chroma, 128 mel, 7 contrast, 5 shapes.
    assert len(names) == 2 * (20 + 12 + 128 + 7 + 5)
    for name in ["mfcc_2_mean", "chroma_3_mean", "mel_127_std", "contrast_6_std"]:
        assert name in names
    assert names.index("mfcc_19_std") < names.index("chroma_0_mean")
    assert names[-2:] == ["rms_mean", "rms_std"]
    deltas = AudioFeatures(features=[MFCC(deltas=2)]).fit()
    assert "mfcc_2_delta_std" in deltas.get_feature_names_out()
    assert "mfcc_2_delta2_mean" in deltas.get_feature_names_out()
    frames = AudioFeatures(features=["zcr", "chroma"], pooling=None).fit()
    assert list(frames.get_feature_names_out()[:2]) == ["zcr", "chroma_0"]


def test_audio_features_pandas_output_is_named():
    clips = _clips(np.random.default_rng(8), 16000, 512, True, np.float32)
    model = AudioFeatures(features=["rms", "centroid"], sr=16000, n_fft=512)
    frame = model.set_output(transform="pandas").fit_transform(clips)
    assert list(frame.columns) == [
        "rms_mean",
        "rms_std",
        "centroid_mean",
        "centroid_std",
    ]
    assert frame.shape == (len(clips), 4)


@pytest.mark.parametrize(
    "features, error, match",
    [
        (["mfcc", "tonnetz"], ValueError, r"features\[1\]='tonnetz' is not one of"),
        ([MFCC(sr=16000)], ValueError, r"features\[0\] \(MFCC\) has sr=16000"),
        ([Chroma(n_fft=1024)], ValueError, "n_fft=1024 where AudioFeatures has"),
        ([object()], TypeError, r"features\[0\] must be a feature name"),
        (["rms", SpectralShape(features=("rms",))], ValueError, "same name"),
    ],
)
def test_audio_features_bad_parts_raise(features, error, match):
    with pytest.raises(error, match=match):
        AudioFeatures(features=features).fit()


# Bad input names the sample ----------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [MelSpectrogram(), Chroma(), SpectralContrast(), SpectralShape(), AudioFeatures()],
    ids=lambda e: type(e).__name__,
)
def test_bad_input_names_the_sample(estimator):
    good = np.zeros(4000, dtype=np.float32)
    cases = [
        ([good, None], "Audio sample 1"),
        ([good, np.array([0.0, np.nan] * 2000)], "Audio sample 1"),
        ([good, Waveform(good, sr=16000)], "sample 1 has sample rate 16000"),
    ]
    for X, match in cases:
        with pytest.raises(ValueError, match=match):
            estimator.fit_transform(X)
    short = estimator.set_params(center=False)
    with pytest.raises(ValueError, match="Audio sample 1 has 100 samples, fewer"):
        short.fit_transform([good, good[:100]])


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="win_length=4096 must be at most"):
        MelSpectrogram(win_length=4096).fit()
    with pytest.raises(ValueError, match="above the Nyquist"):
        MelSpectrogram(sr=8000, fmax=5000.0).fit()
    with pytest.raises(ValueError, match="reaches the Nyquist"):
        SpectralContrast(sr=8000, n_bands=6).fit()
    with pytest.raises(ValueError, match="holds (no|a single) frequency bin"):
        SpectralContrast(sr=22050, n_fft=64, fmin=100.0).fit()
    with pytest.raises(ValueError, match="must name distinct features"):
        SpectralShape(features=("rms", "loudness")).fit()


def test_loud_float32_clip_raises_naming_it():
    # Power beyond float32's range: librosa gives inf or NaN there.
    loud = np.full(4000, 1e20, dtype=np.float32)
    with pytest.raises(ValueError, match="Audio sample 1 gives non-finite"):
        MelSpectrogram().fit_transform([np.zeros(4000, np.float32), loud])


def test_no_clips_give_no_rows():
    model = AudioFeatures(features=["rms", "chroma"])
    assert model.fit_transform([]).shape == (0, 2 * 13)
    assert AudioFeatures(pooling=None).fit_transform([]) == []


# The array code of the GPU path ------------------------------------------------


def _stand_in():
    """tests/_cupy_stand_in.py, loaded whatever the rootdir on sys.path."""
    path = Path(__file__).parents[1] / "_cupy_stand_in.py"
    spec = importlib.util.spec_from_file_location("_cupy_stand_in", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("on_device", [False, True])
@pytest.mark.parametrize("pooling", [None, ("mean", "std")])
def test_cuda_path_under_the_stand_in_matches_cpu(monkeypatch, on_device, pooling):
    cupy = _stand_in().install(monkeypatch)
    clips = _clips(np.random.default_rng(9), 16000, 512, False, np.float32)
    shared = dict(sr=16000, n_fft=512, hop_length=160)
    setting = dict(features=_parts(**shared), **shared)
    expected = _quiet(AudioFeatures(pooling=pooling, **setting).fit_transform, clips)
    X = [cupy.asarray(c) for c in clips] if on_device else clips
    model = AudioFeatures(pooling=pooling, device="cuda", **setting)
    got = _quiet(model.fit_transform, X)
    outputs = got if pooling is None else [got]
    assert all(is_cupy_array(o) == on_device for o in outputs)
    if pooling is None:
        for a, b in zip(got, expected, strict=True):
            assert relative_error(np.asarray(a), b) <= 1e-5
    else:
        assert relative_error(np.asarray(got), expected) <= 1e-5


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_is_available(), reason="needs CuPy and a CUDA device")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_equals_librosa(dtype):
    clips = _clips(np.random.default_rng(10), 22050, 2048, True, dtype, False)
    got = _quiet(AudioFeatures(pooling=None, device="cuda").fit_transform, clips)
    expected = _quiet(AudioFeatures(pooling=None).fit_transform, clips)
    for a, b in zip(got, expected, strict=True):
        assert relative_error(a.get(), b) <= (1e-5 if dtype == np.float32 else 1e-10)


# Real speech -------------------------------------------------------------------


@needs_fsdd
def test_fsdd_speech_equals_librosa():
    files = sorted((FSDD_DIR / "recordings").glob("*.wav"))[::300][:6]
    clips = AudioReader(sr=None).fit_transform([str(f) for f in files])
    sr = clips[0].sr
    for dtype in (np.float32, np.float64):
        waves = [np.asarray(c, dtype=dtype) for c in clips]
        s = dict(sr=sr, n_fft=256, hop_length=80)
        for estimator_class, reference, per_column in [
            (MelSpectrogram, librosa_mel, False),
            (Chroma, librosa_chroma, False),
            (SpectralContrast, librosa_contrast, False),
            (SpectralShape, librosa_shape, True),
        ]:
            setting = {**s, "n_bands": 4} if estimator_class is SpectralContrast else s
            got = _quiet(estimator_class(pooling=None, **setting).fit_transform, waves)
            for wave, frames in zip(waves, got, strict=True):
                same = _quiet(reference, wave, setting)
                exact = _quiet(reference, wave.astype(np.float64), setting)
                columns = range(frames.shape[1]) if per_column else [slice(None)]
                for j in columns:
                    error = relative_error(frames[:, j], same[:, j])
                    if dtype == np.float64:
                        assert error <= 1e-10
                    else:
                        assert error <= 1e-5
                        ours = relative_error(frames[:, j], exact[:, j])
                        theirs = relative_error(same[:, j], exact[:, j])
                        assert ours <= 1.5 * theirs + 1e-7
