"""ImageReader against OpenCV's own decoding and resizing."""

import os
import pickle
import struct
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from skmm.exceptions import UnreadableSampleWarning
from skmm.image import ImageReader
from skmm.utils.estimator_checks import check_estimator


def _read(X, **params):
    return ImageReader(**params).fit(X).transform(X)


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    """A colour and a gray image in every format OpenCV writes here."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    # Smooth content, so that JPEG's loss does not matter to the comparisons.
    y, x = np.mgrid[0:37, 0:53]
    colour = np.stack(
        [(x * 4) % 256, (y * 6) % 256, ((x + y) * 3) % 256], axis=-1
    ).astype(np.uint8)
    colour[5:9, 5:9] = rng.integers(0, 256, (4, 4, 3))
    gray = ((x * 3 + y * 2) % 256).astype(np.uint8)
    files = {}
    for extension in ("png", "jpg", "tif", "bmp"):
        for name, image in (("colour", colour), ("gray", gray)):
            path = folder / f"{name}.{extension}"
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
            assert cv2.imwrite(str(path), bgr)
            files[f"{name}.{extension}"] = path
    return files


@pytest.mark.parametrize("extension", ["png", "jpg", "tif", "bmp"])
@pytest.mark.parametrize("name", ["colour", "gray"])
def test_files_match_opencv(image_files, extension, name):
    path = image_files[f"{name}.{extension}"]
    [gray] = _read([path])
    np.testing.assert_array_equal(gray, cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    [rgb] = _read([str(path)], color="rgb")
    expected = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(rgb, expected)
    assert gray.dtype == rgb.dtype == np.uint8


@pytest.mark.parametrize("interpolation", ["area", "linear", "cubic", "nearest"])
@pytest.mark.parametrize("size", [(16, 24), (80, 60), (37, 53)])
def test_resize_matches_cv2_resize(image_files, interpolation, size):
    path = image_files["colour.png"]
    [image] = _read([path], color="rgb", size=size, interpolation=interpolation)
    source = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    flags = {
        "area": cv2.INTER_AREA,
        "linear": cv2.INTER_LINEAR,
        "cubic": cv2.INTER_CUBIC,
        "nearest": cv2.INTER_NEAREST,
    }
    expected = cv2.resize(source, size[::-1], interpolation=flags[interpolation])
    np.testing.assert_array_equal(image, expected)
    assert image.shape == (*size, 3)


@pytest.mark.parametrize("interpolation", ["cubic", "lanczos"])
def test_float_overshoot_is_clipped_to_the_input_range(interpolation):
    image = np.zeros((8, 8))
    image[2:6, 2:6] = 1.0
    [out] = _read([image], size=(32, 32), interpolation=interpolation)
    unclipped = cv2.resize(
        image.astype(np.float32),
        (32, 32),
        interpolation={"cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}[
            interpolation
        ],
    )
    assert unclipped.min() < 0 and unclipped.max() > 1
    np.testing.assert_array_equal(out, np.clip(unclipped, 0, 1))


def test_keep_aspect_pads_centred():
    image = np.full((20, 40), 200, np.uint8)
    [out] = _read([image], size=(40, 40), keep_aspect=True, pad_value=7)
    assert out.shape == (40, 40)
    # 20x40 fits as 20x40 inside 40x40: 10 rows of padding above and below.
    assert (out[:10] == 7).all() and (out[30:] == 7).all()
    assert (out[10:30] == 200).all()
    [tall] = _read([np.full((50, 10), 1.0)], size=(20, 20), keep_aspect=True)
    assert tall.shape == (20, 20) and tall.dtype == np.float32
    assert (tall[:, :8] == 0).all() and (tall[:, 12:] == 0).all()


def test_dtypes_and_array_conversions():
    rgb = np.random.default_rng(1).integers(0, 256, (6, 7, 3)).astype(np.uint8)
    rgba = np.concatenate([rgb, np.full((6, 7, 1), 255, np.uint8)], axis=2)
    [gray] = _read([rgb])
    np.testing.assert_array_equal(gray, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    [from_rgba] = _read([rgba])
    np.testing.assert_array_equal(from_rgba, gray)
    [as_float] = _read([rgb], color="rgb", dtype="float32")
    np.testing.assert_allclose(as_float, rgb / 255.0, rtol=1e-6)
    [as_double] = _read([rgb / 255.0], color="rgb", dtype="float64")
    assert as_double.dtype == np.float64
    np.testing.assert_allclose(as_double, rgb / 255.0, rtol=1e-6)
    [back] = _read([rgb / 255.0], color="rgb", dtype="uint8")
    np.testing.assert_array_equal(back, rgb)
    [wide] = _read([np.full((3, 3), 65535, np.uint16)])
    assert wide.dtype == np.float32 and (wide == 1.0).all()
    [rgb_from_gray] = _read([gray], color="rgb")
    assert rgb_from_gray.shape == (6, 7, 3)
    np.testing.assert_array_equal(rgb_from_gray[..., 1], gray)
    [one_pixel] = _read([np.ones((1, 1), np.uint8)])
    assert one_pixel.shape == (1, 1)
    # A 3-D array is a batch of gray images.
    assert [i.shape for i in _read(np.zeros((3, 4, 5), np.uint8))] == [(4, 5)] * 3


def test_series_index_and_unicode_path(tmp_path):
    path = tmp_path / "ĉifero-7.png"
    assert cv2.imencode(".png", np.full((4, 4), 9, np.uint8))[1].tofile(path) is None
    images = pd.Series([str(path), np.zeros((2, 2), np.uint8)], index=[10, 11])
    first, second = _read(images)
    assert (first == 9).all() and second.shape == (2, 2)
    with pytest.raises(ValueError, match=r"sample 1 \(index label 11\)"):
        _read(pd.Series([str(path), np.zeros((0, 3))], index=[10, 11]))


def _bad_files(tmp_path, image_files):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(np.random.default_rng(0).bytes(300))
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(image_files["colour.png"].read_bytes()[:60])
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    return {
        "missing": (tmp_path / "nowhere.png", FileNotFoundError),
        "corrupt": (corrupt, ValueError),
        "truncated": (truncated, ValueError),
        "text": (text, ValueError),
        "empty": (empty, ValueError),
    }


@pytest.mark.parametrize("kind", ["missing", "corrupt", "truncated", "text", "empty"])
def test_bad_files_name_sample_and_path(tmp_path, image_files, kind):
    path, error = _bad_files(tmp_path, image_files)[kind]
    good = image_files["gray.png"]
    with pytest.raises(error, match="sample 2") as info:
        _read([good, good, path])
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "bad, error, fragment",
    [
        (np.zeros((0, 5)), ValueError, "empty"),
        (np.array([[0.5, np.nan]]), ValueError, "NaN"),
        (np.zeros((2, 2, 2, 2)), ValueError, "shape"),
        (np.zeros((4, 4, 2)), ValueError, "shape"),
        (np.zeros(4), ValueError, "shape"),
        (np.zeros((3, 3), np.int16), TypeError, "signed"),
        (np.array([["a"]]), TypeError, "dtype"),
        (3.5, ValueError, "shape"),
        ({"pixels": 1}, TypeError, "dict"),
        (None, ValueError, "missing"),
    ],
)
def test_bad_arrays(bad, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        _read([np.zeros((3, 3), np.uint8), bad])
    assert "sample 1" in str(info.value)


def test_on_error_missing_keeps_rows_and_warns_once(tmp_path, image_files):
    bad = _bad_files(tmp_path, image_files)
    cells = [
        image_files["gray.png"],
        bad["missing"][0],
        None,
        bad["corrupt"][0],
        np.zeros((2, 2)),
    ]
    with pytest.warns(UnreadableSampleWarning, match="2 of 5 image samples") as record:
        out = _read(cells, on_error="missing")
    assert len(record) == 1
    assert [o is None for o in out] == [False, True, True, True, False]


def test_n_jobs_and_common_checks(image_files):
    paths = [image_files[name] for name in sorted(image_files)] * 3
    serial = _read(paths, size=(20, 20))
    parallel = _read(paths, size=(20, 20), n_jobs=2)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)
    check_estimator(ImageReader())
    check_estimator(ImageReader(color="rgb", size=(16, 16), dtype="float32"))
    reader = pickle.loads(pickle.dumps(ImageReader(size=(8, 8)).fit()))
    assert reader.transform(paths[:1])[0].shape == (8, 8)


def test_bad_size_parameter():
    for size in ((0, 4), (4,), (4.5, 3)):
        with pytest.raises(ValueError, match="size"):
            ImageReader(size=size).fit()


def test_verbose_progress(capsys, image_files):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm may warn about IProgress
        _read([image_files["gray.png"]] * 3, verbose=True)
    assert "ImageReader" in capsys.readouterr().err


# -- libpng's chatter -----------------------------------------------------------

CLIPART_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "openclipart"


def _chunk(kind, payload):
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png(*, srgb_after_data=0, corrupt_data=False, height=9, width=7):
    """An RGB PNG; ``srgb_after_data`` sRGB chunks after the image data,
    where libpng prints ``libpng warning: sRGB: out of place`` for each."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(
        b"\0"
        + bytes((x * 31 + y * 17 + c * 5) % 256 for x in range(width) for c in range(3))
        for y in range(height)
    )
    data = _chunk(b"IDAT", zlib.compress(rows))
    if corrupt_data:
        data = data[:-4] + bytes(4)  # wrong checksum: libpng errors
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            data,
            *[_chunk(b"sRGB", b"\0")] * srgb_after_data,
            _chunk(b"IEND", b""),
        ]
    )


@pytest.fixture
def noisy_png(tmp_path):
    path = tmp_path / "noisy.png"
    path.write_bytes(_png(srgb_after_data=2))
    return path


def test_libpng_warnings_print_nothing(capfd, noisy_png):
    data = np.fromfile(noisy_png, np.uint8)
    expected = cv2.imdecode(data, cv2.IMREAD_COLOR)
    # The file makes this OpenCV's libpng print on C's stderr.
    assert "libpng warning: sRGB: out of place" in capfd.readouterr().err
    for color, code in (("rgb", cv2.COLOR_BGR2RGB), ("gray", cv2.COLOR_BGR2GRAY)):
        for n_jobs in (1, 4):
            out = _read([noisy_png] * 12, color=color, n_jobs=n_jobs)
            assert capfd.readouterr().err == ""
            if color == "rgb":
                reference = cv2.cvtColor(expected, code)
            else:
                reference = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
                capfd.readouterr()
            for image in out:
                np.testing.assert_array_equal(image, reference)


def test_parallel_reads_of_noisy_pngs_stay_quiet(capfd, tmp_path):
    # Decodes that capture descriptor 2 take turns: unlocked, one thread
    # restores another's capture file (or the console) in its place.
    path = tmp_path / "noisy.png"
    path.write_bytes(_png(srgb_after_data=1, height=64, width=64))
    expected = _read([path])[0]
    for image in _read([path] * 400, n_jobs=8):
        np.testing.assert_array_equal(image, expected)
    assert capfd.readouterr().err == ""


def test_libpng_errors_go_into_the_exception(capfd, tmp_path):
    path = tmp_path / "corrupt.png"
    path.write_bytes(_png(corrupt_data=True))
    with pytest.raises(ValueError, match=r"sample 0 .*cannot decode.*libpng error"):
        _read([path])
    assert capfd.readouterr().err == ""


def test_other_output_during_a_captured_decode_is_kept(capfd, monkeypatch, noisy_png):
    from skmm.image import _reader

    real = cv2.imdecode

    def noisy_imdecode(data, flag):
        # Another thread's (or library's) output while descriptor 2 is taken.
        os.write(2, b"libpng warning: dropped\nsomeone else's line\n")
        return real(data, flag)

    monkeypatch.setattr(_reader.cv2, "imdecode", noisy_imdecode)
    _read([noisy_png])
    assert capfd.readouterr().err == "someone else's line\n"


def test_plain_pngs_decode_without_taking_stderr(monkeypatch, image_files, tmp_path):
    from skmm.image import _reader

    def taken(*args):
        raise AssertionError("a plain PNG took file descriptor 2")

    monkeypatch.setattr(_reader, "_imdecode_capturing_stderr", taken)
    _read([image_files["gray.png"], image_files["colour.png"]])
    with pytest.raises(AssertionError, match="took file descriptor 2"):
        path = tmp_path / "noisy.png"
        path.write_bytes(_png(srgb_after_data=1))
        _read([path])


@pytest.mark.data
@pytest.mark.skipif(
    not (CLIPART_DIR / "images").is_dir(),
    reason=f"clip art not found in {CLIPART_DIR} (real data lives in ../shared/data)",
)
def test_clipart_folder_reads_quietly(capfd):
    paths = sorted((CLIPART_DIR / "images").glob("*.png"))[:200]
    out = _read(paths, color="rgb", size=(32, 32), n_jobs=2)
    assert len(out) == len(paths)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("levels", [16.0, 255.0, -1.0])
def test_float_levels_outside_unit_range_are_refused_for_uint8(levels):
    # Digits' levels 0..16 would all turn white if clipped: a sample error
    # naming the sample, or a missing sample with on_error="missing".
    good = np.random.default_rng(0).random((8, 8))
    bad = good * levels
    with pytest.raises(ValueError, match="sample 1 has float pixels from"):
        ImageReader(dtype="uint8").transform([good, bad])
    with pytest.warns(UnreadableSampleWarning, match=r"\[0, 1\]"):
        out = ImageReader(dtype="uint8", on_error="missing").transform([good, bad])
    assert out[1] is None and out[0].dtype == np.uint8
    # Other dtypes keep floats as they are, as before.
    [kept] = ImageReader(dtype="float64").transform([bad])
    np.testing.assert_allclose(kept, bad, rtol=1e-6)
