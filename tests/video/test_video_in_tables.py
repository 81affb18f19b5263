"""Video columns in multimodal tables: sniffed by infer_modalities, given a
default pipeline (frames, and the sound track as a second modality)."""

import numpy as np
import pandas as pd
import pytest

av = pytest.importorskip("av")

from skmm.base import _split_front, is_stateless  # noqa: E402
from skmm.compose import (  # noqa: E402
    MultimodalClassifier,
    infer_modalities,
    make_default_pipeline,
)
from skmm.compose._infer import sniff_file  # noqa: E402
from skmm.video import VideoFrames, VideoReader, write_video  # noqa: E402


@pytest.mark.parametrize(
    "extension, found",
    [
        (".avi", ("video", "AVI")),
        (".mkv", ("video", "MKV/WebM")),
        (".webm", ("video", "MKV/WebM")),
        (".mp4", ("video", "MP4/MOV")),
        (".mov", ("video", "MP4/MOV")),
    ],
)
def test_video_files_are_sniffed(tmp_path, extension, found):
    path = tmp_path / f"clip{extension}"
    write_video(path, [np.zeros((16, 16, 3), np.uint8)] * 3, fps=5)
    assert sniff_file(path) == found


def test_m4a_audio_is_not_taken_for_video(tmp_path):
    path = tmp_path / "song.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00" + bytes(16))
    assert sniff_file(path) is None


def _videos(folder, n, rng, *, sound=True):
    """Videos of label 0 (blue frames, a low tone) or 1 (red, a high one)."""
    paths, y = [], []
    for i in range(n):
        label = i % 2
        colour = np.array([200, 30, 30] if label else [30, 30, 200])
        frames = [
            np.clip(colour + rng.integers(-40, 41, (32, 32, 3)), 0, 255).astype(
                np.uint8
            )
            for _ in range(6)
        ]
        tone = 0.3 * np.sin(np.arange(4000) * (0.2 if label else 0.05))
        paths.append(str(folder / f"v{i}.avi"))
        write_video(paths[-1], frames, fps=5, sound=tone if sound else None, sr=8000)
        y.append(label)
    return paths, np.array(y)


def test_a_video_column_beside_text(tmp_path):
    rng = np.random.default_rng(0)
    paths, y = _videos(tmp_path, 24, rng)
    captions = [
        "a red scene" if label else "a blue scene" if i % 3 else "a plain caption"
        for i, label in enumerate(y)
    ]
    X = pd.DataFrame({"clip": paths, "caption": captions})
    X.loc[3, "clip"] = None
    modalities = infer_modalities(X)
    assert modalities["clip"].kind == "video" and modalities["clip"].source == "path"
    model = MultimodalClassifier(cv=3).fit(X, y)
    names = [name for name, _, _ in model.model_.estimators]
    assert names == ["clip", "clip_sound", "caption"]
    assert model.score(X, y) >= 0.9


def test_silent_videos_give_no_sound_modality(tmp_path):
    rng = np.random.default_rng(1)
    paths, y = _videos(tmp_path, 12, rng, sound=False)
    X = pd.DataFrame({"clip": paths, "caption": ["words here and there"] * 12})
    model = MultimodalClassifier(cv=3).fit(X, y)
    assert [name for name, _, _ in model.model_.estimators] == ["clip", "caption"]


def test_video_frames_cells_are_a_video_column():
    frames = [np.zeros((8, 8, 3), np.uint8)] * 3
    cells = [VideoFrames(frames, times=[0, 1, 2]), None]
    info = infer_modalities(pd.DataFrame({"v": cells}))["v"]
    assert (info.kind, info.multi, info.source) == ("video", False, "array")


def test_the_default_video_pipelines_have_a_stateless_front():
    """Reading and per-frame features learn nothing: late fusion computes
    them once per fit, not once per inner fold."""
    for kind in ("video", "video_sound"):
        pipeline = make_default_pipeline(kind)
        front, rest = _split_front(pipeline)
        assert is_stateless(front)
        assert isinstance(front.steps[0][1], VideoReader)
        assert [name for name, _ in rest.steps] == ["scale", "clf"]
