"""MFCC against librosa.feature.mfcc on random and real audio."""

import functools
import importlib.util
import pickle
import threading
import warnings
from pathlib import Path

import joblib
import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from skmm.audio import MFCC, Waveform, _mfcc, _mfcc_cpu, _mfcc_xp
from skmm.utils._device import cuda_is_available, is_cupy_array

FSDD_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "fsdd"
needs_fsdd = pytest.mark.skipif(
    not (FSDD_DIR / "recordings").is_dir(),
    reason=f"FSDD not found at {FSDD_DIR} (real data lives in ../shared/data)",
)
needs_cuda = pytest.mark.skipif(
    not cuda_is_available(), reason="needs CuPy and a CUDA device"
)

_MEL_PARAMS = (
    "sr",
    "n_fft",
    "hop_length",
    "win_length",
    "window",
    "center",
    "pad_mode",
    "power",
    "n_mels",
    "fmin",
    "fmax",
    "htk",
)


def librosa_mfcc(y, **params):
    """librosa's MFCC (with deltas) for MFCC's parameters, frames as rows."""
    defaults = MFCC().get_params()
    p = {**defaults, **params}
    mel_kwargs = {k: p[k] for k in _MEL_PARAMS}
    with warnings.catch_warnings():
        # librosa warns when a centred clip is shorter than n_fft.
        warnings.filterwarnings("ignore", "n_fft=.* is too large")
        S = librosa.feature.melspectrogram(y=y, norm=p["mel_norm"], **mel_kwargs)
    S = librosa.power_to_db(S, top_db=p["top_db"])
    M = librosa.feature.mfcc(
        S=S,
        n_mfcc=p["n_mfcc"],
        dct_type=p["dct_type"],
        norm=p["norm"],
        lifter=p["lifter"],
    )
    orders = (1, 2) if p["deltas"] is True else range(1, int(p["deltas"]) + 1)
    parts = [M] + [
        librosa.feature.delta(M, width=p["delta_width"], order=o, mode=p["delta_mode"])
        for o in orders
    ]
    return np.concatenate(parts).T


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# Each setting differs from librosa's defaults in what the issue asks to
# cover: centring, odd n_fft, hops that do not divide the length, HTK, fmax,
# DCT types 1-4, lifter, deltas, windows, padding, power, normalisations.
SETTINGS = [
    dict(sr=22050),
    dict(sr=16000, n_fft=512, hop_length=160, n_mels=40, n_mfcc=13),
    dict(sr=8000, n_fft=511, hop_length=100, n_mels=40, center=False),
    dict(sr=8000, n_fft=257, hop_length=77, n_mels=32, n_mfcc=13),
    dict(sr=8000, n_fft=256, hop_length=80, n_mels=40, htk=True, fmax=3000.0),
    dict(sr=16000, n_fft=1024, hop_length=333, fmin=60.0, fmax=7000.0, n_mels=64),
    dict(sr=16000, dct_type=1, n_mels=64),
    dict(sr=16000, dct_type=1, norm=None, n_mels=40, n_fft=512),
    dict(sr=16000, dct_type=3, norm=None, lifter=22, n_fft=1024),
    dict(sr=16000, dct_type=3, n_fft=512, hop_length=128, n_mels=40),
    dict(sr=16000, dct_type=4, n_fft=512, n_mels=40),
    dict(sr=16000, n_fft=512, n_mels=40, lifter=0.5),
    dict(sr=16000, pad_mode="reflect", window="hamming", win_length=1500),
    dict(sr=16000, n_fft=512, pad_mode="edge", window=("kaiser", 8.0), win_length=400),
    dict(sr=16000, n_fft=512, n_mels=40, power=1.0, top_db=None, mel_norm=None),
    dict(sr=16000, n_fft=512, n_mels=40, power=1.5, top_db=40.0, mel_norm=2.0),
    dict(sr=16000, n_fft=512, hop_length=128, n_mels=40, deltas=True),
    dict(sr=16000, n_fft=512, hop_length=128, n_mels=40, deltas=1, delta_width=5),
    dict(sr=8000, n_fft=256, hop_length=64, n_mels=40, deltas=2, delta_mode="nearest"),
    dict(sr=8000, n_fft=256, hop_length=64, n_mels=40, deltas=2, delta_mode="mirror"),
    dict(sr=8000, n_fft=256, hop_length=64, n_mels=40, deltas=1, delta_mode="wrap"),
    dict(sr=8000, n_fft=256, hop_length=64, n_mels=40, deltas=1, delta_mode="constant"),
    dict(sr=44100, n_fft=4096, hop_length=1024, n_mels=96, n_mfcc=30, center=False),
    dict(sr=22050, n_fft=2048, hop_length=2048, htk=True, n_mfcc=40),
    dict(sr=16000, n_fft=512, hop_length=100, window="blackman", n_mels=40),
    dict(sr=16000, n_fft=512, hop_length=128, window=("kaiser", 8.0), n_mels=40),
    dict(sr=16000, n_fft=1024, hop_length=256, window="hamming", n_mels=64),
    # Four cosine terms: three taps a side, the general loop of the kernel.
    dict(sr=16000, n_fft=512, hop_length=128, window="blackmanharris", n_mels=40),
]


def _random_clips(seed, n_clips=4, low=300, high=40000, dtype=np.float32):
    """Noise with a random spectral tilt and silent gaps, at random lengths."""
    rng = np.random.default_rng(seed)
    clips = []
    for _ in range(n_clips):
        n = int(rng.integers(low, high))
        clip = np.cumsum(rng.standard_normal(n)) * rng.uniform(0, 0.02)
        clip += rng.standard_normal(n) * rng.uniform(0.01, 0.5)
        clip[rng.integers(n) :][: n // 5] = 0.0
        clips.append(clip.astype(dtype))
    return clips


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
@pytest.mark.parametrize("seed", [0, 1])
def test_frames_equal_librosa_on_random_audio(setting, seed):
    low = setting.get("n_fft", 2048) if setting.get("center") is False else 300
    if setting.get("deltas") and setting.get("delta_mode", "interp") == "interp":
        low = 9 * setting.get("hop_length", 512)
    clips = _random_clips(seed, low=low)
    frames = MFCC(pooling=None, **setting).fit_transform(clips)
    assert len(frames) == len(clips)
    for clip, got in zip(clips, frames, strict=True):
        expected = librosa_mfcc(clip, **setting)
        assert got.shape == expected.shape
        assert got.dtype == np.float32
        assert relative_error(got, expected) <= 1e-5


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_float64_frames_equal_librosa_to_float64_rounding(setting):
    # float64 clips: every path (the lane FFT of power-of-two n_fft, NumPy's
    # FFT of the others) is as close to librosa's float64 numbers as
    # float64 rounding allows.
    low = setting.get("n_fft", 2048) if setting.get("center") is False else 300
    if setting.get("deltas") and setting.get("delta_mode", "interp") == "interp":
        low = 9 * setting.get("hop_length", 512)
    clips = _random_clips(2, n_clips=3, low=low, dtype=np.float64)
    frames = MFCC(pooling=None, **setting).fit_transform(clips)
    for clip, got in zip(clips, frames, strict=True):
        assert got.dtype == np.float64
        assert relative_error(got, librosa_mfcc(clip, **setting)) <= 1e-12


@pytest.mark.parametrize(
    "setting",
    [
        dict(sr=8000),
        dict(sr=8000, n_fft=512, hop_length=128, n_mels=40, n_mfcc=13),
        dict(
            sr=8000,
            n_fft=256,
            hop_length=80,
            n_mels=40,
            htk=True,
            deltas=True,
            delta_mode="nearest",
            lifter=22,
        ),
    ],
    ids=str,
)
@needs_fsdd
@pytest.mark.data
def test_frames_equal_librosa_on_fsdd(setting):
    paths = sorted((FSDD_DIR / "recordings").glob("*.wav"))[::150]
    clips = [soundfile.read(p, dtype="float32")[0] for p in paths]
    frames = MFCC(pooling=None, **setting).fit_transform(clips)
    for clip, got in zip(clips, frames, strict=True):
        assert relative_error(got, librosa_mfcc(clip, **setting)) <= 1e-5


@pytest.mark.parametrize(
    "window, win_length, n_taps",
    [
        ("hann", None, 2),
        ("hamming", None, 2),
        ("blackman", None, 3),
        ("blackmanharris", None, 4),
        (("kaiser", 8.0), None, None),
        ("hann", 400, None),
        ("boxcar", None, 1),
    ],
)
def test_cosine_windows_are_applied_as_spectral_taps(window, win_length, n_taps):
    n_fft = 512
    samples = librosa.filters.get_window(window, win_length or n_fft, fftbins=True)
    taps = _mfcc_cpu.spectral_taps(librosa.util.pad_center(samples, size=n_fft))
    if n_taps is None:
        assert taps is None
        return
    assert taps.shape == (n_taps,)
    # The taps filter a spectrum exactly as the window multiplies the frame.
    rng = np.random.default_rng(0)
    frame = rng.standard_normal(n_fft)
    spectrum = np.fft.fft(frame)
    filtered = taps[0] * spectrum
    for m in range(1, n_taps):
        filtered += taps[m] * (np.roll(spectrum, m) + np.roll(spectrum, -m))
    np.testing.assert_allclose(filtered, np.fft.fft(frame * samples), atol=1e-9)


def test_float64_input_gives_float64_close_to_librosa():
    clips = _random_clips(3, dtype=np.float64)
    for clip, got in zip(clips, MFCC(pooling=None).fit_transform(clips), strict=True):
        assert got.dtype == np.float64
        assert relative_error(got, librosa_mfcc(clip)) <= 1e-5


@pytest.mark.parametrize("n", [1, 100, 1023, 2048, 2049])
def test_clip_shorter_than_n_fft_matches_librosa(n):
    clip = _random_clips(n, n_clips=1, low=n, high=n + 1)[0]
    got = MFCC(pooling=None).fit_transform([clip])[0]
    np.testing.assert_allclose(got, librosa_mfcc(clip), rtol=1e-4, atol=1e-3)


def test_uncentred_clip_shorter_than_n_fft_raises_naming_it():
    clips = _random_clips(0, n_clips=3, low=3000, high=4000)
    clips[2] = clips[2][:100]
    with pytest.raises(ValueError, match="sample 2 has 100 samples"):
        MFCC(center=False).fit_transform(clips)
    with pytest.raises(librosa.ParameterError):
        librosa.feature.mfcc(y=clips[2], center=False)


def test_interp_deltas_on_too_few_frames_raise_naming_the_clip():
    clips = _random_clips(0, n_clips=3, low=30000, high=40000)
    clips[1] = clips[1][:2000]
    with pytest.raises(ValueError, match="sample 1 gives 4 frames"):
        MFCC(deltas=True).fit_transform(clips)
    # Other edge modes accept it, as librosa does.
    frames = MFCC(deltas=True, delta_mode="nearest", pooling=None).fit_transform(clips)
    expected = librosa_mfcc(clips[1], deltas=True, delta_mode="nearest")
    assert relative_error(frames[1], expected) <= 1e-5


def test_batches_and_long_clips_split_across_batches(monkeypatch):
    # Tiny batches force many batches and a clip processed in frame chunks,
    # whose top_db floor must still use the whole clip's maximum.
    monkeypatch.setitem(_mfcc._BATCH_BYTES, "cpu", 64 * 1024)
    clips = _random_clips(5, n_clips=6, low=1000, high=120000)
    clips.append(np.concatenate([np.zeros(50000), clips[0] * 10]).astype(np.float32))
    frames = MFCC(pooling=None, n_fft=1024, hop_length=256).fit_transform(clips)
    for clip, got in zip(clips, frames, strict=True):
        expected = librosa_mfcc(clip, n_fft=1024, hop_length=256)
        assert relative_error(got, expected) <= 1e-5


def test_gpu_code_path_under_numpy_matches_cpu(monkeypatch):
    # The CuPy path uses only operations NumPy shares; run it under NumPy.
    monkeypatch.setattr(
        _mfcc_xp, "mfcc_batch", functools.partial(_mfcc_xp.mfcc_batch, xp=np)
    )
    clips = _random_clips(7, n_clips=5, low=5000)
    for setting in (
        dict(sr=16000, n_fft=512, hop_length=128, deltas=True),
        dict(
            sr=16000,
            n_fft=511,
            hop_length=100,
            deltas=1,
            delta_mode="mirror",
            delta_width=5,
            power=1.0,
            top_db=None,
        ),
        dict(sr=16000, deltas=2, delta_mode="wrap", center=False),
        dict(sr=16000, n_fft=512, deltas=1, delta_mode="constant"),
        dict(sr=16000, n_fft=512, deltas=1, delta_mode="nearest", delta_width=3),
    ):
        cpu = MFCC(pooling=None, **setting).fit(clips)
        gpu = MFCC(pooling=None, **setting).fit(clips)
        gpu.device_ = "cuda"
        for a, b in zip(cpu.transform(clips), gpu.transform(clips), strict=True):
            assert a.shape == b.shape
            assert relative_error(b, a) <= 1e-5


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("setting", SETTINGS[:6] + SETTINGS[16:20], ids=str)
def test_cuda_equals_librosa(setting):
    low = setting.get("n_fft", 2048) if setting.get("center") is False else 300
    if setting.get("deltas") and setting.get("delta_mode", "interp") == "interp":
        low = 9 * setting.get("hop_length", 512)
    clips = _random_clips(11, low=low)
    frames = MFCC(pooling=None, device="cuda", **setting).fit_transform(clips)
    for clip, got in zip(clips, frames, strict=True):
        assert relative_error(got, librosa_mfcc(clip, **setting)) <= 1e-5


def test_pooled_rows_are_mean_and_std_of_frames():
    clips = _random_clips(2)
    frames = MFCC(pooling=None, deltas=True, delta_mode="nearest").fit_transform(clips)
    model = MFCC(deltas=True, delta_mode="nearest").fit(clips)
    pooled = model.transform(clips)
    assert pooled.shape == (len(clips), 2 * 60)
    for row, f in zip(pooled, frames, strict=True):
        np.testing.assert_allclose(row[:60], f.mean(axis=0), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(row[60:], f.std(axis=0), rtol=1e-4, atol=1e-4)
    names = model.get_feature_names_out()
    assert names[0] == "mean_mfcc0" and names[20] == "mean_delta_mfcc0"
    assert names[-1] == "std_delta2_mfcc19" and len(set(names)) == 120


def test_other_statistics_and_frame_feature_names():
    clips = _random_clips(4)
    model = MFCC(n_mfcc=5, pooling=("min", "max")).fit(clips)
    frames = MFCC(n_mfcc=5, pooling=None).fit_transform(clips)
    pooled = model.transform(clips)
    np.testing.assert_allclose(pooled[:, :5], [f.min(axis=0) for f in frames])
    np.testing.assert_allclose(pooled[:, 5:], [f.max(axis=0) for f in frames])
    assert list(MFCC(n_mfcc=2, pooling=None).fit().get_feature_names_out()) == [
        "mfcc0",
        "mfcc1",
    ]


def test_sample_rate_carried_by_waveforms_must_agree():
    clip = _random_clips(0, n_clips=1)[0]
    waves = [Waveform(clip, sr=16000), Waveform(clip, sr=8000)]
    with pytest.raises(ValueError, match="sample 1 has sample rate 8000 Hz"):
        MFCC(sr=16000).fit_transform(waves)
    got = MFCC(sr=16000, pooling=None).fit_transform(waves[:1])[0]
    assert relative_error(got, librosa_mfcc(clip, sr=16000)) <= 1e-5


def test_pandas_series_input_and_pipeline_with_svc():
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 16000
    y = np.arange(40) % 2
    clips = pd.Series(
        [
            (
                np.sin(2 * np.pi * (300 if label else 2500) * t)
                + 0.3 * rng.standard_normal(t.size)
            ).astype(np.float32)
            for label in y
        ],
        index=np.arange(100, 140),
    )
    model = make_pipeline(MFCC(sr=16000), SVC()).fit(clips[:30], y[:30])
    assert model.score(clips[30:], y[30:]) == 1.0


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(win_length=4096), "win_length=4096"),
        (dict(fmax=20000.0), "Nyquist"),
        (dict(n_mfcc=200), "n_mfcc=200"),
        (dict(delta_width=8), "odd"),
        (dict(pooling=("mean", "bogus")), "bogus"),
    ],
)
def test_bad_parameters_raise(params, message):
    with pytest.raises(ValueError, match=message):
        MFCC(**params).fit()


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (np.zeros(4000, dtype=np.int16), TypeError, "dtype int16"),
        (np.zeros((2, 4000), dtype=np.float32), ValueError, "multi-channel"),
        ("clip.wav", TypeError, "AudioReader"),
        (np.array([0.0, np.inf] * 2000), ValueError, "non-finite"),
    ],
)
def test_bad_clips_name_the_sample(bad, error, message):
    clips = _random_clips(0, n_clips=2) + [bad]
    with pytest.raises(error, match=message) as info:
        MFCC().fit(clips).transform(clips)
    assert "sample 2" in str(info.value)


def test_pickle_and_device_resolution():
    clips = _random_clips(1, n_clips=2)
    model = MFCC(device="auto").fit(clips)
    assert model.device_ == ("cuda" if cuda_is_available() else "cpu")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(clips), model.transform(clips))
    if not cuda_is_available():
        with pytest.raises(RuntimeError, match="CuPy"):
            MFCC(device="cuda").fit(clips)


@pytest.mark.parametrize("pooling", [("mean", "std"), None])
def test_verbose_bar_counts_clips_and_changes_nothing(capsys, monkeypatch, pooling):
    # Small batches: many of them, taken by several threads.
    monkeypatch.setitem(_mfcc._BATCH_BYTES, "cpu", 64 * 2048 * 4)
    clips = _random_clips(3, n_clips=12)
    quiet = MFCC(pooling=pooling).fit(clips).transform(clips)
    assert capsys.readouterr().err == ""
    loud = MFCC(pooling=pooling, verbose=True).fit(clips).transform(clips)
    err = capsys.readouterr().err
    assert "MFCC" in err and "12/12" in err and "clip" in err
    if pooling is None:
        for a, b in zip(quiet, loud, strict=True):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(quiet, loud)


def _spy_on(monkeypatch, module, name, calls):
    """Replace ``module.name`` by a wrapper that records each call's thread and
    the array type of its first argument (the batch's signal)."""
    function = getattr(module, name)

    def spy(signal, *args, **kwargs):
        calls.append((threading.get_ident(), type(signal), kwargs))
        return function(signal, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def test_n_jobs_none_means_one_thread_unless_a_joblib_context_says_more(monkeypatch):
    # Small batches, so that there are many for the threads to share.
    monkeypatch.setitem(_mfcc._BATCH_BYTES, "cpu", 64 * 512 * 4)
    calls = []
    _spy_on(monkeypatch, _mfcc_cpu, "mfcc_batch", calls)
    clips = _random_clips(3, n_clips=12)
    setting = dict(sr=16000, n_fft=512, hop_length=160, pooling=None)
    serial = MFCC(**setting).fit_transform(clips)
    here = threading.get_ident()
    assert len(calls) > 2
    assert all(thread == here and kw["n_threads"] == 1 for thread, _, kw in calls)
    for n_jobs, context in ((2, {}), (None, {"n_jobs": 2})):
        calls.clear()
        with joblib.parallel_config(**context):
            parallel = MFCC(n_jobs=n_jobs, **setting).fit_transform(clips)
        assert len(calls) > 2
        assert all(thread != here for thread, _, _ in calls), (n_jobs, context)
        for a, b in zip(serial, parallel, strict=True):
            np.testing.assert_array_equal(a, b)
    # Explicit n_jobs=1 stays on the calling thread inside a context.
    calls.clear()
    with joblib.parallel_config(n_jobs=2):
        MFCC(n_jobs=1, **setting).fit_transform(clips)
    assert all(thread == here for thread, _, _ in calls)


# Stacked batches, overflow, no clips ----------------------------------------------


def test_stacked_batch_equals_the_list_of_its_rows():
    stack = np.stack(_random_clips(8, n_clips=3, low=6000, high=6001))
    for pooling in (None, ("mean", "std")):
        model = MFCC(sr=16000, n_fft=512, pooling=pooling).fit()
        stacked, listed = model.transform(stack), model.transform(list(stack))
        if pooling is None:
            for a, b in zip(stacked, listed, strict=True):
                np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_array_equal(stacked, listed)


def _with_bad_row(kind):
    stack = np.zeros((3, 4000), dtype=np.float32)
    if kind in ("nan", "inf"):
        stack[1, 7] = np.nan if kind == "nan" else -np.inf
        return stack, ValueError, "sample 1 holds 1 non-finite"
    if kind == "int16":
        return stack.astype(np.int16), TypeError, "sample 0 has dtype int16"
    if kind == "float16":
        return stack.astype(np.float16), TypeError, "sample 0 has dtype float16"
    if kind == "channels":
        return np.zeros((3, 2, 4000), np.float32), ValueError, "sample 0 is multi"
    return np.zeros((3, 2, 2, 400), np.float32), ValueError, "sample 0 is an array"


@pytest.mark.parametrize("kind", ["nan", "inf", "int16", "float16", "channels", "4-d"])
def test_stacked_batches_are_checked_as_lists_are(kind):
    stack, error, message = _with_bad_row(kind)
    for X in (stack, list(stack)):
        with pytest.raises(error, match=message):
            MFCC(sr=8000).fit_transform(X)


def test_one_clip_as_a_1d_array_raises():
    with pytest.raises(ValueError, match="one 1-D array of 4000 numbers"):
        MFCC(sr=8000).fit_transform(np.zeros(4000, dtype=np.float32))


@pytest.mark.parametrize("pooling", [None, ("mean",)])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_overflowing_clip_raises_naming_it(monkeypatch, device, pooling):
    if device == "cuda":
        _stand_in().install(monkeypatch)
    clips = _random_clips(9, n_clips=3, low=8000)
    clips[2] = clips[2] * np.float32(1e20)  # finite; its power is not in float32
    model = MFCC(sr=16000, pooling=pooling, device=device)
    with pytest.raises(ValueError, match=r"sample 2 gives non-finite.*float64"):
        model.fit_transform(clips)
    # As float64 it computes, as librosa computes it in float64.
    loud = clips[2].astype(np.float64)
    frames = MFCC(sr=16000, pooling=None, device=device).fit_transform([loud])[0]
    assert np.isfinite(frames).all()
    assert relative_error(np.asarray(frames), librosa_mfcc(loud, sr=16000)) <= 1e-5


@pytest.mark.parametrize("X", [[], np.zeros((0, 4000), np.float32)], ids=len)
def test_no_clips_give_no_rows_of_the_output_width(X):
    model = MFCC(n_mfcc=13, deltas=1, delta_mode="nearest")
    pooled = model.transform(X)
    assert pooled.shape == (0, 52) and pooled.dtype == np.float32
    assert model.set_output(transform="pandas").transform(X).shape == (0, 52)
    assert MFCC(pooling=None).transform(X) == []


# Which kernel computes, on which arrays -------------------------------------------


def _stand_in():
    """tests/_cupy_stand_in.py, loaded whatever the rootdir on sys.path."""
    path = Path(__file__).parents[1] / "_cupy_stand_in.py"
    spec = importlib.util.spec_from_file_location("_cupy_stand_in", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("pooling", [None, ("mean", "std")])
def test_each_device_runs_its_kernel_on_arrays_of_its_side(monkeypatch, pooling):
    cupy = _stand_in().install(monkeypatch)
    cpu_calls, xp_calls = [], []
    _spy_on(monkeypatch, _mfcc_cpu, "mfcc_batch", cpu_calls)
    _spy_on(monkeypatch, _mfcc_xp, "mfcc_batch", xp_calls)
    clips = _random_clips(4, n_clips=3)
    on_device = [cupy.asarray(c) for c in clips]
    setting = dict(sr=16000, n_fft=512, pooling=pooling)
    expected = MFCC(**setting).fit_transform(clips)
    cases = [
        # (device, input, kernel that must run, array type it must receive)
        ("cpu", clips, cpu_calls, np.ndarray),
        ("cpu", on_device, cpu_calls, np.ndarray),  # moved to the host first
        ("cuda", on_device, xp_calls, cupy.ndarray),  # laid out on the device
        ("cuda", clips, xp_calls, np.ndarray),  # copied over inside the kernel
    ]
    for device, X, calls, signal_type in cases:
        cpu_calls.clear()
        xp_calls.clear()
        got = MFCC(device=device, **setting).fit_transform(X)
        assert calls and not (cpu_calls if calls is xp_calls else xp_calls)
        assert {signal for _, signal, _ in calls} == {signal_type}, device
        # The output's array library follows the input's.
        outputs = got if pooling is None else [got]
        assert all(is_cupy_array(o) == (X is on_device) for o in outputs)
        if pooling is None:
            for a, b in zip(got, expected, strict=True):
                assert relative_error(np.asarray(a), b) <= 1e-5
        else:
            np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-4, atol=1e-4)
