import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile
from PIL import Image

from skmm.audio import Waveform
from skmm.compose import ModalityInfo, infer_modalities
from skmm.compose._infer import sniff_file
from skmm.exceptions import ModalityInferenceError

N = 12


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Image and audio files of every sniffed format, plus a corrupt one."""
    folder = tmp_path_factory.mktemp("media")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    paths = {}
    for ext in ("png", "jpg", "bmp", "tif", "webp"):
        paths[ext] = str(folder / f"picture.{ext}")
        assert cv2.imwrite(paths[ext], pixels)
    paths["gif"] = str(folder / "picture.gif")
    Image.fromarray(pixels).save(paths["gif"])
    tone = 0.3 * np.sin(np.arange(4000) / 5.0)
    for ext, fmt in (("wav", "WAV"), ("flac", "FLAC"), ("ogg", "OGG")):
        paths[ext] = str(folder / f"sound.{ext}")
        soundfile.write(paths[ext], tone, 8000, format=fmt)
    try:
        paths["mp3"] = str(folder / "sound.mp3")
        soundfile.write(paths["mp3"], tone, 8000, format="MP3")
    except Exception:  # a libsndfile without MP3 writing
        del paths["mp3"]
    paths["corrupt"] = str(folder / "broken.png")
    with open(paths["corrupt"], "wb") as file:
        file.write(b"not an image at all")
    paths["gone"] = str(folder / "gone.jpg")
    return paths


@pytest.mark.parametrize(
    "ext, expected",
    [
        ("png", ("image", "PNG")),
        ("jpg", ("image", "JPEG")),
        ("gif", ("image", "GIF")),
        ("bmp", ("image", "BMP")),
        ("tif", ("image", "TIFF")),
        ("webp", ("image", "WebP")),
        ("wav", ("audio", "WAV")),
        ("flac", ("audio", "FLAC")),
        ("ogg", ("audio", "OGG")),
        ("mp3", ("audio", "MP3")),
    ],
)
def test_sniff_file_knows_every_format(media, ext, expected):
    if ext not in media:
        pytest.skip("this libsndfile cannot write MP3")
    assert sniff_file(media[ext]) == expected
    assert sniff_file(media["corrupt"]) is None


def _every_kind(media):
    rng = np.random.default_rng(1)
    images = [media[e] for e in ("png", "jpg", "gif", "bmp", "tif", "webp")]
    sounds = [media[e] for e in ("wav", "flac", "ogg")]
    words = "red green blue small large old new bright dark round".split()
    return pd.DataFrame(
        {
            "a": [images[i % 6] if i % 5 else None for i in range(N)],
            "b": [
                [sounds[i % 3], sounds[(i + 1) % 3]] if i % 4 else [] for i in range(N)
            ],
            "c": [rng.random((9, 7, 3)) if i % 3 else np.nan for i in range(N)],
            "d": [
                Waveform(rng.standard_normal(800), sr=8000) if i % 2 else None
                for i in range(N)
            ],
            "e": [
                (rng.standard_normal(500).astype(np.float32), 16000) for _ in range(N)
            ],
            "f": [[rng.random((5, 5)) for _ in range(1 + i % 3)] for i in range(N)],
            "g": [
                f"a {words[i % 10]} house by the {words[(i * 3) % 10]} sea"
                for i in range(N)
            ],
            "h": [["short one here", "and another caption"]] * N,
            "i": rng.standard_normal(N),
            "j": [1, 2, 3, None] * (N // 4),
            "k": ["cat", "dog", None, "cat"] * (N // 4),
            "l": pd.Categorical(["x", "y", "z"] * (N // 3)),
            "m": [True, False] * (N // 2),
            "n": [images[i % 6] if i % 3 else media["gone"] for i in range(N)],
            "o": [rng.standard_normal((2, 600)) for _ in range(N)],
        }
    )


EXPECTED = {
    "a": ModalityInfo("image", False, "path"),
    "b": ModalityInfo("audio", True, "path"),
    "c": ModalityInfo("image", False, "array"),
    "d": ModalityInfo("audio", False, "array"),
    "e": ModalityInfo("audio", False, "array"),
    "f": ModalityInfo("image", True, "array"),
    "g": ModalityInfo("text", False, "value"),
    "h": ModalityInfo("text", True, "value"),
    "i": ModalityInfo("numeric", False, "value"),
    "j": ModalityInfo("numeric", False, "value"),
    "k": ModalityInfo("categorical", False, "value"),
    "l": ModalityInfo("categorical", False, "value"),
    "m": ModalityInfo("categorical", False, "value"),
    "n": ModalityInfo("image", False, "path"),
    "o": ModalityInfo("audio", False, "array"),
}


def test_every_column_of_a_table_of_every_kind(media):
    X = _every_kind(media)
    assert infer_modalities(X) == EXPECTED
    # Deterministic, and the same on a sample of rows.
    assert infer_modalities(X, n_rows=5) == infer_modalities(X, n_rows=5)
    assert infer_modalities(X, n_rows=5, random_state=3) == EXPECTED
    assert list(infer_modalities(X)) == list(X.columns)


def test_names_play_no_part(media):
    X = _every_kind(media)
    shuffled = X.rename(columns=dict(zip(X.columns, reversed(X.columns), strict=True)))
    found = infer_modalities(shuffled)
    assert {found[new] for new in found} == set(EXPECTED.values())
    for old, new in zip(X.columns, reversed(X.columns), strict=True):
        assert found[new] == EXPECTED[old]


def test_kinds_override(media):
    X = _every_kind(media)
    found = infer_modalities(X, kinds={"k": "text", "a": "image", "b": "audio"})
    assert found["k"] == ModalityInfo("text", False, "value")
    assert found["b"] == ModalityInfo("audio", True, "path")
    assert found["a"] == EXPECTED["a"]
    with pytest.raises(ValueError, match="one of"):
        infer_modalities(X, kinds={"a": "picture"})
    with pytest.raises(KeyError, match="zzz"):
        infer_modalities(X, kinds={"zzz": "text"})


@pytest.mark.parametrize(
    "cells, fragments",
    [
        (lambda m: [m["corrupt"], m["gone"]] * 3, ["'bad'", "no file", "broken.png"]),
        (lambda m: [m["png"], m["wav"]] * 3, ["'bad'", "mixes", "image", "audio"]),
        (lambda m: ["some words", 3.0] * 3, ["'bad'", "mixes", "number", "row 1"]),
        (lambda m: [None, np.nan, []] * 2, ["'bad'", "all 6 cells are missing"]),
        (lambda m: [{"a": 1}] * 6, ["'bad'", "no known kind", "dict"]),
    ],
    ids=["unreadable", "image-and-audio", "text-and-number", "all-missing", "dicts"],
)
def test_undecidable_column_names_itself(media, cells, fragments):
    X = pd.DataFrame({"good": np.arange(6.0), "bad": cells(media)})
    with pytest.raises(ModalityInferenceError) as info:
        infer_modalities(X)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_all_missing_numeric_column():
    X = pd.DataFrame({"x": [np.nan, np.nan]})
    with pytest.raises(ModalityInferenceError, match="'x'.*every cell is missing"):
        infer_modalities(X)


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        infer_modalities(np.zeros((3, 2)))


def test_relative_paths_read_from_the_working_directory(media, monkeypatch):
    monkeypatch.chdir(os.path.dirname(media["png"]))
    X = pd.DataFrame({"p": ["picture.png", "picture.jpg"]})
    assert infer_modalities(X)["p"] == ModalityInfo("image", False, "path")


CLIPART_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "openclipart"


@pytest.mark.data
@pytest.mark.skipif(
    not (CLIPART_DIR / "items.csv").is_file(),
    reason=f"clip art not found at {CLIPART_DIR} (real data lives in ../shared/data)",
)
def test_real_clipart_table():
    from skmm.datasets import load_openclipart

    clipart = load_openclipart(CLIPART_DIR)
    X = clipart.data.assign(category=clipart.target_names[clipart.target])
    assert infer_modalities(X) == {
        "image": ModalityInfo("image", False, "path"),
        "title": ModalityInfo("text", False, "value"),
        "category": ModalityInfo("categorical", False, "value"),
    }


def test_a_caption_naming_a_file_is_still_text(media):
    X = pd.DataFrame(
        {
            "caption": ["a cat on a mat", "see photo.png for the rest", "two dogs"],
            "paths": [media["png"], "photos/my photo.png", "lost.png"],
        }
    )
    found = infer_modalities(X)
    assert found["caption"].kind == "text"
    assert found["paths"] == ModalityInfo("image", False, "path")
