import importlib.util
import pickle
import warnings
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile
from joblib import parallel_config
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmm.audio import AudioReader, Waveform
from skmm.exceptions import UnreadableSampleWarning
from skmm.utils._validation import check_waveforms
from skmm.utils.estimator_checks import _bad_waveforms, check_estimator

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
RECORDINGS = DATA_DIR / "fsdd" / "recordings"

needs_fsdd = pytest.mark.skipif(
    not RECORDINGS.is_dir(),
    reason=f"FSDD not found at {RECORDINGS} (real data lives in ../shared/data)",
)

# librosa.load imports audioread, which imports modules Python deprecates.
pytestmark = pytest.mark.filterwarnings(
    "ignore:'(aifc|sunau|audioop)' is deprecated:DeprecationWarning"
)

SAMPLE_RATES = [None, 8000, 16000, 22050, 44100]


def _read(X, **params):
    return AudioReader(**params).fit(X).transform(X)


def _assert_matches_librosa(path, **params):
    """AudioReader's output equals librosa.load's, bit for bit."""
    [wave] = _read([path], **params)
    expected, expected_sr = librosa.load(path, **params)
    assert isinstance(wave, Waveform)
    assert wave.sr == expected_sr
    assert wave.dtype == expected.dtype == np.float32
    assert wave.shape == expected.shape
    np.testing.assert_array_equal(wave, expected)


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory):
    """Stereo noise-plus-tone files at 11,025 Hz in four encodings."""
    folder = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(0)
    t = np.arange(12_345) / 11_025
    left = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(t.size)
    right = 0.3 * np.sin(2 * np.pi * 660 * t) + 0.1 * rng.standard_normal(t.size)
    stereo = np.stack([left, right], axis=1)
    files = {}
    for name, subtype in [
        ("pcm16.wav", "PCM_16"),
        ("float.wav", "FLOAT"),
        ("pcm24.flac", "PCM_24"),
        ("vorbis.ogg", "VORBIS"),
    ]:
        files[name] = folder / name
        soundfile.write(files[name], stereo, 11_025, subtype=subtype)
    files["mono.wav"] = folder / "mono.wav"
    soundfile.write(files["mono.wav"], left, 11_025, subtype="PCM_16")
    return files


# Exactness against librosa.load ---------------------------------------------


@pytest.mark.parametrize("name", ["pcm16.wav", "float.wav", "pcm24.flac", "vorbis.ogg"])
@pytest.mark.parametrize("sr", SAMPLE_RATES)
@pytest.mark.parametrize("mono", [True, False])
def test_files_match_librosa_load(audio_files, name, sr, mono):
    _assert_matches_librosa(audio_files[name], sr=sr, mono=mono)


@pytest.mark.parametrize("res_type", ["soxr_vhq", "soxr_mq", "soxr_lq", "soxr_qq"])
@pytest.mark.parametrize("sr", [8000, 44100])
def test_res_types_match_librosa_load(audio_files, res_type, sr):
    _assert_matches_librosa(audio_files["pcm16.wav"], sr=sr, res_type=res_type)


@pytest.mark.parametrize(
    "offset, duration", [(0.1, None), (0.0, 0.5), (0.25, 0.3), (1.1, 5.0)]
)
@pytest.mark.parametrize("sr", [None, 16000])
def test_offset_and_duration_match_librosa_load(audio_files, offset, duration, sr):
    for name in ("pcm16.wav", "mono.wav"):
        _assert_matches_librosa(
            audio_files[name], sr=sr, offset=offset, duration=duration
        )


def test_mono_file_stays_1d_with_mono_false(audio_files):
    [wave] = _read([audio_files["mono.wav"]], sr=None, mono=False)
    assert wave.shape == (12_345,)
    [wave] = _read([audio_files["pcm16.wav"]], sr=None, mono=False)
    assert wave.shape == (2, 12_345) and wave.flags.c_contiguous


@pytest.mark.data
@needs_fsdd
@pytest.mark.parametrize("sr", SAMPLE_RATES)
def test_fsdd_clips_match_librosa_load(sr):
    paths = sorted(RECORDINGS.glob("*.wav"))[::150]
    waves = _read([str(p) for p in paths], sr=sr)
    for path, wave in zip(paths, waves, strict=True):
        expected, expected_sr = librosa.load(path, sr=sr)
        assert wave.sr == expected_sr and wave.dtype == np.float32
        np.testing.assert_array_equal(wave, expected)


@pytest.mark.data
@needs_fsdd
@pytest.mark.parametrize(
    "params",
    [
        dict(sr=16000, res_type="soxr_vhq"),
        dict(sr=22050, res_type="soxr_qq"),
        dict(sr=None, offset=0.05, duration=0.2),
        dict(sr=11025, offset=0.1),
    ],
)
def test_fsdd_clips_match_librosa_load_with_options(params):
    for path in sorted(RECORDINGS.glob("*.wav"))[::600]:
        _assert_matches_librosa(path, **params)


@pytest.mark.parametrize(
    "trim",
    [dict(trim_db=20), dict(trim_db=40, trim_frame_length=512, trim_hop_length=128)],
)
def test_trim_matches_librosa_effects_trim(audio_files, trim):
    rng = np.random.default_rng(3)
    quiet = 1e-4 * rng.standard_normal(3000)
    loud = 0.5 * np.sin(np.arange(6000) / 7.0)
    clip = np.concatenate([quiet, loud, quiet]).astype(np.float32)
    path = audio_files["pcm16.wav"]
    for cell in (clip, path):
        [wave] = _read([cell], sr=16000, **trim)
        [untrimmed] = _read([cell], sr=16000)
        expected, _ = librosa.effects.trim(
            untrimmed,
            top_db=trim["trim_db"],
            frame_length=trim.get("trim_frame_length", 2048),
            hop_length=trim.get("trim_hop_length", 512),
        )
        np.testing.assert_array_equal(wave, expected)
        assert wave.sr == 16000
    [wave] = _read([clip], sr=16000, **trim)
    assert 6000 <= wave.size < clip.size


# Arrays, Waveforms and (samples, sr) tuples ----------------------------------


def test_waveform_and_tuple_are_resampled_as_librosa(audio_files):
    samples, rate = librosa.load(audio_files["pcm16.wav"], sr=None, mono=False)
    expected = librosa.resample(librosa.to_mono(samples), orig_sr=rate, target_sr=16000)
    from_tuple, from_waveform = _read(
        [(samples, rate), Waveform(librosa.to_mono(samples), sr=rate)], sr=16000
    )
    np.testing.assert_array_equal(from_tuple, expected)
    np.testing.assert_array_equal(from_waveform, expected)
    assert from_tuple.sr == from_waveform.sr == 16000
    [stereo] = _read([(samples, rate)], sr=16000, mono=False)
    np.testing.assert_array_equal(
        stereo, librosa.resample(samples, orig_sr=rate, target_sr=16000)
    )


def test_sr_none_keeps_the_waveform_rate():
    wave = Waveform(np.linspace(-1, 1, 100), sr=8000)
    [out] = _read([wave], sr=None)
    assert out.sr == 8000
    np.testing.assert_array_equal(out, wave)
    [out] = _read([(np.zeros(10), 12_000.0)], sr=None)
    assert out.sr == 12_000


def test_plain_array_is_taken_to_be_at_sr():
    clip = np.random.default_rng(0).uniform(-1, 1, 1000)
    [out] = _read([clip], sr=16000)
    assert out.sr == 16000 and out.dtype == np.float32 and out.shape == (1000,)
    np.testing.assert_array_equal(out, clip.astype(np.float32))


def test_plain_array_with_sr_none_is_an_error():
    with pytest.raises(ValueError, match=r"sample 0 is a plain array.*Waveform"):
        _read([np.zeros(100)], sr=None)


def test_integer_pcm_is_scaled_as_soundfile_reads_it(audio_files):
    path = audio_files["pcm16.wav"]
    expected, _ = librosa.load(path, sr=None)
    for dtype in ("int16", "int32"):
        pcm, rate = soundfile.read(path, dtype=dtype)
        [out] = _read([(pcm.T, rate)], sr=None)
        np.testing.assert_array_equal(out, expected)


def test_unsigned_pcm_is_centred():
    [out] = _read([np.array([0, 64, 128, 255], dtype=np.uint8)], sr=8000)
    np.testing.assert_array_equal(out, [-1.0, -0.5, 0.0, 127 / 128])


def test_multichannel_array_is_averaged_as_librosa_to_mono():
    stereo = np.random.default_rng(0).standard_normal((3, 500)).astype(np.float32)
    [mono] = _read([stereo], sr=8000)
    np.testing.assert_array_equal(mono, librosa.to_mono(stereo))
    [kept] = _read([stereo], sr=8000, mono=False)
    assert kept.shape == (3, 500)
    np.testing.assert_array_equal(kept, stereo)


def test_soundfile_layout_array_is_refused():
    with pytest.raises(ValueError, match=r"sample 0 has shape \(500, 2\).*transpose"):
        _read([np.zeros((500, 2))], sr=8000)


# Input containers -------------------------------------------------------------


def test_containers(audio_files):
    path = str(audio_files["mono.wav"])
    expected = _read([path], sr=8000)[0]
    for X in (
        [path, audio_files["mono.wav"]],
        (path, path),
        np.array([path, path], dtype=object),
        pd.Series([path, path]),
        pd.DataFrame({"audio": [path, path]}),
    ):
        waves = _read(X, sr=8000)
        assert isinstance(waves, list) and len(waves) == 2
        for wave in waves:
            np.testing.assert_array_equal(wave, expected)


def test_index_label_is_named():
    X = pd.Series([np.zeros(10), np.zeros(0)], index=["a", "b"])
    with pytest.raises(ValueError, match=r"sample 1 \(index label 'b'\) is empty"):
        _read(X, sr=8000)


def test_outputs_keep_input_order(audio_files):
    clips = [np.full(n, n / 100, dtype=np.float32) for n in range(1, 30)]
    waves = _read(clips, sr=8000)
    assert [w.shape[0] for w in waves] == list(range(1, 30))


# Errors -----------------------------------------------------------------------


@pytest.mark.parametrize("bad, error, fragment", _bad_waveforms())
def test_bad_waveforms_of_the_common_checks(bad, error, fragment):
    with pytest.raises(error, match=fragment):
        _read(bad)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.wav"
    with pytest.raises(FileNotFoundError, match=r"sample 0 \(.*absent\.wav'\)"):
        _read([str(path)])


def test_corrupt_file_chains_soundfile_error(tmp_path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF not really a wav file" * 10)
    with pytest.raises(ValueError, match=r"sample 0 \(.*corrupt\.wav'\)") as info:
        _read([path])
    assert isinstance(info.value.__cause__, soundfile.SoundFileError)


def test_empty_file_and_offset_past_the_end(tmp_path, audio_files):
    path = tmp_path / "empty.wav"
    soundfile.write(path, np.zeros(0), 8000)
    with pytest.raises(ValueError, match=r"sample 0 \(.*empty\.wav'\) is empty"):
        _read([path])
    with pytest.raises(ValueError, match=r"sample 0 .* is empty from offset=2"):
        _read([audio_files["mono.wav"]], offset=2.0)


def test_non_finite_samples_in_a_file(tmp_path):
    path = tmp_path / "nan.wav"
    clip = np.zeros(100)
    clip[5] = np.nan
    soundfile.write(path, clip, 8000, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"sample 0 \(.*nan\.wav'\).*NaN or inf"):
        _read([path], sr=None)


@pytest.mark.parametrize(
    "cell, error, fragment",
    [
        (np.array([0.0, np.inf]), ValueError, "non-finite"),
        (np.array(0.5), ValueError, "scalar"),
        (0.5, ValueError, "scalar"),
        (np.zeros((2, 2, 10)), ValueError, "shape"),
        (np.zeros(3, dtype=bool), TypeError, "dtype bool"),
        ({"a": 1}, TypeError, "type dict"),
        ((np.zeros(3),), TypeError, "tuple"),
        ((44100, np.zeros(3)), TypeError, "tuple"),
        ((np.zeros(3), -5), ValueError, "sample rate"),
        ((np.zeros(3), 8000.5), ValueError, "sample rate"),
        (pd.NA, ValueError, "missing"),
        (float("nan"), ValueError, "missing"),
    ],
)
def test_bad_cells(cell, error, fragment):
    with pytest.raises(error, match=rf"sample 1 .*{fragment}"):
        _read([np.zeros(10), cell], sr=8000)


def test_parameters_are_validated_in_fit():
    for params in (dict(sr=0), dict(res_type="kaiser_best"), dict(on_error="skip")):
        with pytest.raises(ValueError, match="parameter"):
            AudioReader(**params).fit()


# on_error="missing" -----------------------------------------------------------


def test_on_error_missing_gives_none_and_one_warning(tmp_path):
    good = np.zeros(10)
    X = [good, None, str(tmp_path / "a.wav"), np.zeros(0), good] + [
        np.array([np.nan])
    ] * 4
    with pytest.warns(UnreadableSampleWarning) as record:
        waves = _read(X, sr=8000, on_error="missing")
    assert len(record) == 1
    assert record[0].filename == __file__
    message = str(record[0].message)
    assert message.startswith("6 of 9 audio samples could not be read")
    assert "sample 2 (" in message and "a.wav" in message and "no such file" in message
    assert "sample 3 is empty" in message and "and 3 more" in message
    assert len(waves) == len(X)
    assert [w is None for w in waves] == [False, True] + [True] * 2 + [False] + [
        True
    ] * 4


def test_on_error_missing_passes_missing_values_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        waves = _read([None, np.zeros(5), np.nan], sr=8000, on_error="missing")
    assert waves[0] is None and waves[2] is None and waves[1].shape == (5,)


# Parallelism, progress, estimator API -------------------------------------------


@pytest.mark.parametrize("sr", [None, 16000])
def test_n_jobs_gives_identical_output(audio_files, sr):
    X = [audio_files[name] for name in sorted(audio_files)] * 6 + [
        Waveform(np.linspace(-1, 1, 300 + i), sr=11025) for i in range(20)
    ]
    serial = _read(X, sr=sr)
    parallel = _read(X, sr=sr, n_jobs=2)
    with parallel_config(backend="loky"):
        processes = _read(X, sr=sr, n_jobs=2)
    for a, b, c in zip(serial, parallel, processes, strict=True):
        assert a.sr == b.sr == c.sr and a.dtype == b.dtype == c.dtype
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_n_jobs_raises_for_the_first_bad_sample():
    X = [np.zeros(10)] * 300 + [None] + [np.zeros(10)] * 300 + [np.zeros(0)]
    X[5] = np.zeros(0)
    with pytest.raises(ValueError, match="sample 5 is empty"):
        _read([x for x in X if x is not None], n_jobs=2)
    with pytest.warns(UnreadableSampleWarning, match="^2 of 602"):
        waves = _read(X, n_jobs=2, on_error="missing")
    assert [i for i, w in enumerate(waves) if w is None] == [5, 300, 601]


def test_verbose_shows_progress(capsys):
    _read([np.zeros(10)] * 5, verbose=True)
    assert "AudioReader" in capsys.readouterr().err
    _read([np.zeros(10)] * 5)
    assert capsys.readouterr().err == ""


def test_common_checks():
    check_estimator(AudioReader())


def test_not_fitted_pickle_clone(audio_files):
    reader = AudioReader(sr=8000, mono=False, res_type="soxr_lq")
    X = [audio_files["pcm16.wav"]]
    # Stateless: it reads unfitted, as after fit.
    unfitted = reader.transform(X)[0]
    assert reader.fit() is reader
    np.testing.assert_array_equal(unfitted, reader.transform(X)[0])
    restored = pickle.loads(pickle.dumps(reader))
    np.testing.assert_array_equal(restored.transform(X)[0], reader.transform(X)[0])
    assert pickle.loads(pickle.dumps(reader.transform(X)[0])).sr == 8000
    assert clone(reader).get_params() == reader.get_params()
    assert list(AudioReader().get_feature_names_out(["clip"])) == ["clip"]


def test_in_a_pipeline(audio_files):
    lengths = FunctionTransformer(lambda waves: np.array([[w.size] for w in waves]))
    pipeline = make_pipeline(AudioReader(sr=4000), lengths)
    features = pipeline.fit_transform([audio_files["mono.wav"]] * 2)
    np.testing.assert_array_equal(features, [[4479], [4479]])


# check_waveforms, shared with MFCC ------------------------------------------------


def test_check_waveforms_accepts_float_mono():
    waves = [np.zeros(5, dtype=np.float32), Waveform(np.ones(3), sr=8000)]
    for X in (waves, pd.Series(waves), pd.DataFrame({"a": waves})):
        checked, rates = check_waveforms(X)
        assert checked[0] is waves[0] and checked[1] is waves[1]
        assert rates == [None, 8000]


@pytest.mark.parametrize(
    "cell, error, fragment",
    [
        (None, ValueError, "missing"),
        (np.float64(0.5), ValueError, "scalar"),
        (np.zeros(0), ValueError, "empty"),
        (np.array([1.0, np.nan]), ValueError, "non-finite"),
        (np.zeros((2, 2, 3)), ValueError, "shape"),
        (np.zeros((2, 100)), ValueError, r"multi-channel.*AudioReader\(mono=True\)"),
        (np.zeros(10, dtype=np.int16), TypeError, "AudioReader"),
        (np.zeros(10, dtype=np.float16), TypeError, "float32 or float64"),
        ("clip.wav", TypeError, "AudioReader"),
        ((np.zeros(3), 8000), TypeError, "AudioReader"),
    ],
)
def test_check_waveforms_errors(cell, error, fragment):
    with pytest.raises(error, match=rf"^MFCC sample 1 .*{fragment}"):
        check_waveforms([np.zeros(4), cell, np.zeros(4)], name="MFCC")


# Stacked batches, overflow, no samples ------------------------------------------


def _bad_stack(kind):
    """A stack of three clips, bad in the way ``kind`` says, and the error a
    list of its rows gives."""
    stack = np.zeros((3, 400), dtype=np.float32)
    if kind in ("nan", "inf"):
        stack[1, 7] = np.nan if kind == "nan" else np.inf
        return stack, ValueError, "sample 1 holds 1 non-finite"
    if kind == "int16":
        return stack.astype(np.int16), TypeError, "sample 0 has dtype int16"
    if kind == "channels":
        return np.zeros((3, 2, 400)), ValueError, "sample 0 is multi-channel"
    if kind == "4-d":
        return np.zeros((3, 2, 2, 400)), ValueError, r"sample 0 is an array of shape"
    return np.zeros((3, 0)), ValueError, "sample 0 is empty"


@pytest.mark.parametrize("kind", ["nan", "inf", "int16", "channels", "4-d", "empty"])
def test_check_waveforms_checks_stacks_as_lists(kind):
    stack, error, message = _bad_stack(kind)
    for X in (stack, list(stack)):
        with pytest.raises(error, match=rf"^Audio {message}"):
            check_waveforms(X)


def test_check_waveforms_takes_the_rows_of_a_stack_as_views():
    stack = np.ones((3, 50), dtype=np.float32)
    waves, rates = check_waveforms(stack)
    assert len(waves) == 3 and rates == [None] * 3
    assert all(np.shares_memory(w, stack) and w.shape == (50,) for w in waves)
    with pytest.raises(ValueError, match="one 1-D array of 50 numbers"):
        check_waveforms(stack[0])


def _stand_in():
    path = Path(__file__).parents[1] / "_cupy_stand_in.py"
    spec = importlib.util.spec_from_file_location("_cupy_stand_in", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["nan", "inf", "empty"])
def test_check_waveforms_checks_device_stacks_row_by_row(monkeypatch, kind):
    cupy = _stand_in().install(monkeypatch)
    stack, error, message = _bad_stack(kind)
    with pytest.raises(error, match=message.split(" holds")[0]):
        check_waveforms(cupy.asarray(stack))
    waves, _ = check_waveforms(cupy.asarray(np.ones((2, 10), np.float32)))
    assert all(isinstance(w, cupy.ndarray) for w in waves)


def test_reader_reads_a_stack_as_the_list_of_its_rows():
    rng = np.random.default_rng(0)
    stacks = [
        rng.standard_normal((3, 500)),  # float64, converted
        (rng.standard_normal((3, 500)) * 2**14).astype(np.int16),  # PCM
        rng.standard_normal((3, 2, 500)).astype(np.float32),  # stereo, mixed
    ]
    for stack in stacks:
        for sr in (8000, 16000):
            stacked, listed = _read(stack, sr=sr), _read(list(stack), sr=sr)
            assert len(stacked) == 3
            for a, b in zip(stacked, listed, strict=True):
                assert a.sr == b.sr == sr
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["nan", "inf", "4-d", "empty"])
def test_reader_checks_stacks_as_lists(kind):
    stack, error, message = _bad_stack(kind)
    for X in (stack, list(stack)):
        with pytest.raises(error, match=rf"^Audio {message}"):
            _read(X, sr=8000)


@pytest.mark.parametrize(
    "cell, params",
    [
        (np.full(400, 1e300), dict(sr=8000)),  # finite float64, not in float32
        (np.full((2, 400), 3e38, np.float32), dict(sr=8000)),  # mixing overflows
        # A square wave at the top of float32's range: the resampler's
        # overshoot at each step overflows.
        (
            (np.repeat([3.3e38, -3.3e38] * 10, 20).astype(np.float32), 8000),
            dict(sr=16000),
        ),
    ],
    ids=["float64", "mixing", "resampling"],
)
def test_finite_samples_that_overflow_raise_naming_the_sample(cell, params):
    with pytest.raises(ValueError, match=r"^Audio sample 1 has finite .* overflow"):
        _read([np.zeros(400), cell], **params)
    with pytest.warns(UnreadableSampleWarning, match="sample 1 has finite"):
        waves = _read([np.zeros(400), cell], on_error="missing", **params)
    assert waves[1] is None


def test_no_samples_give_an_empty_list():
    assert AudioReader().transform([]) == []
    assert AudioReader().transform(np.zeros((0, 100))) == []
