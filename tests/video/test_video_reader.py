"""VideoReader: frames, times and sound of videos written here by PyAV from
real clip art and FSDD recordings; bad files; the frames in pipelines."""

import tracemalloc
import warnings

import numpy as np
import pytest

av = pytest.importorskip("av")

from _clipart_videos import (  # noqa: E402
    SIZE,
    clipart_pictures,
    fsdd_sound,
    needs_clipart,
    needs_fsdd,
    shots_video,
)

from skmm.audio import AudioReader, Waveform  # noqa: E402
from skmm.compose import PerItem  # noqa: E402
from skmm.encode import BagOfWords  # noqa: E402
from skmm.exceptions import UnreadableSampleWarning  # noqa: E402
from skmm.image import HOG, ImageReader  # noqa: E402
from skmm.video import VideoFrames, VideoReader, write_video  # noqa: E402


@pytest.fixture(scope="module")
def clipart_video(tmp_path_factory):
    """A 64x64 AVI of 4 clip-art shots of 15 frames at 12 fps (5 s), with
    an FSDD sound track as 16-bit PCM; its frames and sound."""
    pictures = clipart_pictures(4, seed=3)
    frames, _ = shots_video(pictures, 15, np.random.default_rng(3))
    sound, pcm = fsdd_sound(3, seed=3)
    path = tmp_path_factory.mktemp("video") / "clipart.avi"
    write_video(path, frames, fps=12, sound=sound, sr=8000)
    return path, frames, pcm


def _ramp(path, n_frames, fps, size=(32, 48)):
    frames = [np.full((*size, 3), 4 * i % 256, np.uint8) for i in range(n_frames)]
    write_video(path, frames, fps=fps)
    return frames


def _psnr(a, b):
    mse = np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)
    return 10 * np.log10(255**2 / max(mse, 1e-12))


@needs_clipart
@needs_fsdd
def test_frames_times_and_pixels_of_a_clipart_video(clipart_video):
    path, frames, _ = clipart_video
    [video] = VideoReader().fit_transform([str(path)])
    assert isinstance(video, VideoFrames) and len(video) == len(frames) == 60
    np.testing.assert_allclose(video.times, np.arange(60) / 12, atol=1e-9)
    np.testing.assert_array_equal(video.indices, np.arange(60))
    assert video.fps == 12 and video.duration == pytest.approx(5.0)
    assert video[0].shape == (SIZE, SIZE, 3) and video[0].dtype == np.uint8
    # The same pixels as OpenCV's VideoCapture, the reference reader.
    import cv2

    capture = cv2.VideoCapture(str(path))
    reference = []
    while (read := capture.read())[0]:
        reference.append(cv2.cvtColor(read[1], cv2.COLOR_BGR2RGB))
    capture.release()
    assert len(reference) == 60
    for got, want in zip(video, reference, strict=True):
        np.testing.assert_array_equal(got, want)
    # Within the codec's loss of the source (MPEG-4 at 4 Mbit/s; 4:2:0 chroma
    # costs detailed colourful line art most: about 22 dB, others 33-42 dB).
    psnr = [_psnr(a, b) for a, b in zip(video, frames, strict=True)]
    assert min(psnr) > 18 and np.median(psnr) > 30, psnr


@pytest.mark.parametrize("extension", [".avi", ".mkv", ".mp4", ".webm"])
@pytest.mark.parametrize(
    "fps, n_frames, params, expected",
    [
        (10, 30, {}, np.arange(30)),
        (10, 30, {"every": 4}, np.arange(0, 30, 4)),
        (10, 30, {"every": 4, "max_frames": 3}, [0, 4, 8]),
        (10, 30, {"fps": 2.5}, np.arange(0, 30, 4)),
        (25, 50, {"fps": 10}, np.floor(np.arange(20) * 2.5 + 0.5)),
        # Frames nearest the middles of equal spans of the duration.
        (10, 30, {"max_frames": 4}, np.floor((np.arange(4) + 0.5) * 30 / 4 + 0.5)),
        (10, 30, {"max_frames": 1}, [15]),
        (10, 5, {"max_frames": 8}, np.arange(5)),
        (10, 30, {"fps": 2, "max_frames": 2}, [0, 5]),
    ],
)
def test_sampling_picks_the_right_frames(tmp_path, extension, fps, n_frames, params,
                                         expected):  # fmt: skip
    path = tmp_path / f"ramp{extension}"
    _ramp(path, n_frames, fps)
    [video] = VideoReader(**params).fit_transform([path])
    np.testing.assert_array_equal(video.indices, np.asarray(expected, int))
    np.testing.assert_allclose(video.times, video.indices / fps, atol=1e-6)
    # Each frame is the one written at its index (grey level 4 * index).
    levels = [int(np.median(frame)) for frame in video]
    np.testing.assert_allclose(levels, 4 * video.indices % 256, atol=2)


@needs_clipart
@needs_fsdd
@pytest.mark.parametrize(
    "params",
    [
        dict(size=(32, 32)),
        dict(size=(24, 40), keep_aspect=True, pad_value=255, color="gray"),
        dict(size=(48, 48), interpolation="linear", dtype="float32"),
    ],
)
def test_frames_are_resized_as_image_reader_resizes(clipart_video, params):
    path, _, _ = clipart_video
    [full] = VideoReader(max_frames=6).fit_transform([path])
    [small] = VideoReader(max_frames=6, **params).fit_transform([path])
    expected = ImageReader(**{"color": "rgb", **params}).fit_transform(list(full))
    assert len(small) == len(expected) == 6
    for got, want in zip(small, expected, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(small.times, full.times)


@needs_clipart
@needs_fsdd
def test_sound_track_equals_the_source(clipart_video):
    path, _, pcm = clipart_video
    # 16-bit PCM is lossless: the samples come back exactly.
    [video] = VideoReader(audio=True, sr=None, max_frames=2).fit_transform([path])
    assert isinstance(video.sound, Waveform) and video.sound.sr == 8000
    np.testing.assert_array_equal(video.sound, pcm / np.float32(32768))
    # Resampled to sr as AudioReader resamples the source.
    [wave] = VideoReader(audio="only", sr=22050).fit_transform([path])
    [expected] = AudioReader(sr=22050).fit_transform([(pcm / 32768, 8000)])
    assert wave.sr == 22050
    np.testing.assert_array_equal(wave, expected)


@needs_fsdd
def test_aac_sound_track_within_the_codec_loss(tmp_path):
    """AAC is lossy and pads the stream (encoder priming, last frame): the
    track is at least as long as the source, starts aligned, and its error
    is far below the speech (SNR above 15 dB at 8 kHz, a low AAC rate)."""
    sound, _ = fsdd_sound(2, seed=5)
    path = tmp_path / "speech.mp4"
    write_video(
        path, [np.zeros((16, 16, 3), np.uint8)] * 10, fps=5, sound=sound, sr=8000
    )
    [wave] = VideoReader(audio="only", sr=None).fit_transform([path])
    assert wave.sr == 8000 and len(wave) >= len(sound)
    error = wave[: len(sound)] - sound
    snr = 10 * np.log10(np.sum(sound**2) / np.sum(error**2))
    assert snr > 15, snr


def test_bounded_memory_when_sampling_a_long_video(tmp_path):
    """Frames that are not sampled are never converted, and sampled ones are
    resized as they come: the peak of Python-side allocations stays far
    below the size of all decoded frames (150 x 192 KiB = 28 MiB)."""
    path = tmp_path / "long.avi"
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    write_video(path, (np.roll(base, i, axis=1) for i in range(150)), fps=25)
    reader = VideoReader(max_frames=4, size=(32, 32)).fit()
    tracemalloc.start()
    try:
        [video] = reader.transform([path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(video) == 4
    assert peak < 4 * 256 * 256 * 3, peak


def test_video_frames_cells_are_sampled_again(tmp_path):
    frames = _ramp(tmp_path / "r.avi", 20, 10)
    video = VideoFrames(frames, times=np.arange(20) / 10)
    [out] = VideoReader(every=5, size=(8, 8)).fit_transform([video])
    np.testing.assert_array_equal(out.indices, [0, 5, 10, 15])
    np.testing.assert_allclose(out.times, [0, 0.5, 1.0, 1.5])
    assert out[0].shape == (8, 8, 3)


def test_frames_flow_into_per_item_and_encoders(tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"v{i}.avi")
        _ramp(paths[-1], 10 + 5 * i, 10)
    videos = VideoReader(max_frames=4, color="gray").fit_transform(paths)
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    pooled = PerItem(hog).fit_transform(videos)
    per_frame = hog.fit_transform([frame for video in videos for frame in video])
    assert pooled.shape == (3, per_frame.shape[1])
    np.testing.assert_allclose(pooled[0], per_frame[:4].mean(axis=0))
    sets = PerItem(hog, pooling=None).fit_transform(videos)
    assert [s.shape for s in sets] == [(4, per_frame.shape[1])] * 3
    # A descriptor set per video: any encoder of skmm.encode applies.
    words = BagOfWords(n_clusters=3, random_state=0).fit_transform(sets)
    assert words.shape == (3, 3)
    np.testing.assert_allclose(words.sum(axis=1), 1.0)


def test_parallel_reading_keeps_order(tmp_path):
    paths = []
    for i in range(4):
        paths.append(tmp_path / f"v{i}.mkv")
        _ramp(paths[-1], 6 + i, 10)
    serial = VideoReader().fit_transform(paths)
    parallel = VideoReader(n_jobs=2).fit_transform(paths)
    assert [len(v) for v in parallel] == [6, 7, 8, 9]
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(np.stack(a), np.stack(b))


# -- bad input -----------------------------------------------------------------


def _zero_frame_avi(path):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 16
        container.start_encoding()


@pytest.fixture
def bad_files(tmp_path):
    import cv2

    good = tmp_path / "good.avi"
    tone = np.sin(np.arange(8000) / 5).astype(np.float32) / 2
    write_video(
        good, [np.full((16, 16, 3), 9, np.uint8)] * 20, fps=10, sound=tone, sr=8000
    )
    silent = tmp_path / "silent.mkv"
    write_video(silent, [np.zeros((16, 16, 3), np.uint8)] * 5, fps=10)
    truncated = tmp_path / "truncated.avi"
    with_sound = tmp_path / "sound.avi"
    rng = np.random.default_rng(0)
    noisy = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(20)]
    write_video(with_sound, noisy, fps=10)
    data = with_sound.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    zero = tmp_path / "zero.avi"
    _zero_frame_avi(zero)
    audio_only = tmp_path / "audio_only.mkv"
    with av.open(str(audio_only), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    image = tmp_path / "picture.png"
    cv2.imwrite(str(image), np.zeros((16, 16, 3), np.uint8))
    return {
        "good": good,
        "silent": silent,
        "truncated": truncated,
        "zero": zero,
        "audio_only": audio_only,
        "image": image,
        "absent": tmp_path / "absent.mp4",
    }


@pytest.mark.parametrize(
    "name, params, error, fragment",
    [
        ("truncated", {}, ValueError, "truncated"),
        ("zero", {}, ValueError, "no frames"),
        ("audio_only", {}, ValueError, "no video stream"),
        ("image", {}, ValueError, "image file (PNG), not a video"),
        ("silent", {"audio": True}, ValueError, "no sound track"),
        ("silent", {"audio": "only"}, ValueError, "no sound track"),
        ("absent", {}, FileNotFoundError, "no such file"),
    ],
)
def test_bad_files_raise_naming_sample_and_path(bad_files, name, params, error,
                                                fragment):  # fmt: skip
    cells = [str(bad_files["good"]), str(bad_files[name])]
    with pytest.raises(error) as caught:
        VideoReader(**params).fit_transform(cells)
    message = str(caught.value)
    assert fragment in message and "sample 1" in message
    assert str(bad_files[name]) in message


def test_bad_files_become_missing_with_on_error_missing(bad_files):
    names = ["good", "truncated", "zero", "audio_only", "image", "silent", "absent"]
    cells = [str(bad_files[name]) for name in names] + [None]
    reader = VideoReader(audio=True, on_error="missing")
    with pytest.warns(UnreadableSampleWarning, match="6 of 8 video samples"):
        out = reader.fit_transform(cells)
    assert isinstance(out[0], VideoFrames) and out[1:] == [None] * 7


def test_missing_cells_and_odd_cells():
    with pytest.raises(ValueError, match="Video sample 0 is a missing value"):
        VideoReader().fit_transform([None])
    with pytest.raises(TypeError, match="sample 0 is of type ndarray"):
        VideoReader().fit_transform([np.zeros((3, 8, 8, 3), np.uint8)])
    with pytest.raises(ValueError, match="at most one of fps and every"):
        VideoReader(fps=2, every=3).fit([])
    with pytest.raises(ValueError, match="'fps' parameter"):
        VideoReader(fps=float("inf")).fit([])


def test_a_truncated_video_is_not_read_silently_in_parallel(bad_files):
    cells = [str(bad_files["good"])] * 3 + [str(bad_files["truncated"])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="sample 3"):
            VideoReader(n_jobs=2).fit_transform(cells)
