from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

from skmm.datasets import load_fsdd

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
FSDD_DIR = DATA_DIR / "fsdd"

needs_fsdd = pytest.mark.skipif(
    not (FSDD_DIR / "recordings").is_dir(),
    reason=f"FSDD not found at {FSDD_DIR} (real data lives in ../shared/data)",
)


def _write_wav(path, n_frames=400, sample_rate=8000):
    rng = np.random.default_rng(0)
    soundfile.write(
        path, rng.uniform(-0.5, 0.5, n_frames), sample_rate, subtype="PCM_16"
    )


@pytest.fixture(scope="module")
def fsdd():
    return load_fsdd(FSDD_DIR)


@pytest.mark.data
@needs_fsdd
def test_load_fsdd_shapes_and_dtypes(fsdd):
    assert fsdd.data.shape == (3000, 1)
    assert list(fsdd.data.columns) == ["audio"]
    waveform = fsdd.data["audio"].iloc[0]
    assert waveform.dtype == np.float32 and waveform.ndim == 1
    assert all(np.abs(clip).max() <= 1.0 for clip in fsdd.data["audio"])
    assert fsdd.sample_rate == 8000
    assert fsdd.target.dtype.kind == "i" and fsdd.take.dtype.kind == "i"
    assert np.array_equal(np.bincount(fsdd.target), np.full(10, 300))
    assert list(fsdd.target_names) == [str(digit) for digit in range(10)]
    assert list(fsdd.frame.columns) == ["audio", "target", "speaker", "take", "split"]
    assert isinstance(fsdd.speakers, pd.DataFrame)
    assert set(fsdd.speakers["speaker"]) == set(fsdd.speaker)


@pytest.mark.data
@needs_fsdd
def test_load_fsdd_split_groups_and_order(fsdd):
    assert (fsdd.split == "test").sum() == 300
    assert (fsdd.split == "train").sum() == 2700
    assert np.all((fsdd.split == "test") == (fsdd.take < 5))
    assert len(np.unique(fsdd.groups)) == 6
    assert np.array_equal(np.unique(fsdd.speaker)[fsdd.groups], fsdd.speaker)
    # Sorted by digit, speaker and take, numerically (take 10 after take 9).
    keys = list(zip(fsdd.target, fsdd.speaker, fsdd.take, strict=True))
    assert keys == sorted(keys)


@pytest.mark.data
@needs_fsdd
def test_load_fsdd_parses_file_names(fsdd):
    row = np.flatnonzero(np.char.endswith(fsdd.filenames, "/7_jackson_32.wav"))
    assert len(row) == 1
    row = row[0]
    assert (fsdd.target[row], fsdd.speaker[row], fsdd.take[row]) == (7, "jackson", 32)
    assert fsdd.split[row] == "train"
    expected, _ = soundfile.read(fsdd.filenames[row], dtype="float32")
    np.testing.assert_array_equal(fsdd.data["audio"].iloc[row], expected)


@pytest.mark.data
@needs_fsdd
def test_load_fsdd_recordings_folder_and_paths():
    fsdd = load_fsdd(FSDD_DIR / "recordings", audio="path")
    assert fsdd.data["audio"].iloc[0] == fsdd.filenames[0]
    assert fsdd.filenames[0].endswith("0_george_0.wav")
    assert fsdd.speakers is not None


def test_load_fsdd_small_folder(tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    for name in ["3_ann_10.wav", "3_ann_2.wav", "1_bob_0.wav"]:
        _write_wav(recordings / name)
    fsdd = load_fsdd(tmp_path)
    assert [Path(name).name for name in fsdd.filenames] == [
        "1_bob_0.wav",
        "3_ann_2.wav",
        "3_ann_10.wav",
    ]
    assert list(fsdd.split) == ["test", "test", "train"]
    assert list(fsdd.groups) == [1, 0, 0]
    assert fsdd.speakers is None


@pytest.mark.parametrize("layout", ["missing", "empty", "no_wav"])
def test_load_fsdd_wrong_path(tmp_path, layout):
    path = tmp_path / "fsdd"
    if layout != "missing":
        (path / "recordings").mkdir(parents=True)
    if layout == "no_wav":
        (path / "recordings" / "notes.txt").write_text("not audio")
    with pytest.raises(FileNotFoundError, match=r"recordings/\{digit\}_\{speaker\}"):
        load_fsdd(path)


def test_load_fsdd_malformed_name(tmp_path):
    _write_wav(tmp_path / "0_ann_0.wav")
    _write_wav(tmp_path / "seven_ann_1.wav")
    with pytest.raises(ValueError, match="seven_ann_1.wav"):
        load_fsdd(tmp_path)


def test_load_fsdd_unreadable_file(tmp_path):
    _write_wav(tmp_path / "0_ann_0.wav")
    (tmp_path / "0_ann_1.wav").write_bytes(b"not a wav file")
    with pytest.raises(ValueError, match="0_ann_1.wav"):
        load_fsdd(tmp_path)


def test_load_fsdd_sample_rates_disagree(tmp_path):
    _write_wav(tmp_path / "0_ann_0.wav", sample_rate=8000)
    _write_wav(tmp_path / "0_ann_1.wav", sample_rate=16000)
    with pytest.raises(ValueError, match="sample rate"):
        load_fsdd(tmp_path, audio="path")


def test_load_fsdd_bad_audio_option(tmp_path):
    with pytest.raises(ValueError, match="audio must be"):
        load_fsdd(tmp_path, audio="mfcc")
