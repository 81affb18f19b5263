"""ImageReader on files as users have them: transparency, palettes, 16 bits,
GIF, grayscale and EXIF-rotated JPEGs, icons to photos; PIL is the reference."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from skmm.image import ImageReader

CLIPART_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "openclipart"


def _transparent_rgba(rng, height=12, width=10):
    rgba = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    rgba[0, :, 3] = 0  # fully transparent row
    rgba[1, :, 3] = 255  # opaque row
    return rgba


def _pil(path, mode):
    with Image.open(path) as image:
        return image.convert(mode)


def _pil_composite(path, level):
    """PIL's alpha compositing of the file over a uniform background."""
    image = _pil(path, "RGBA")
    background = Image.new("RGBA", image.size, (level, level, level, 255))
    return np.asarray(Image.alpha_composite(background, image).convert("RGB"))


@pytest.fixture(scope="module")
def transparent_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alpha")
    rng = np.random.default_rng(0)
    rgba = _transparent_rgba(rng)
    files = {}
    files["rgba.png"] = folder / "rgba.png"
    Image.fromarray(rgba, "RGBA").save(files["rgba.png"])
    files["la.png"] = folder / "la.png"
    Image.fromarray(rgba[:, :, [0, 3]], "LA").save(files["la.png"])
    palette = Image.fromarray(rgba[:, :, 0] // 32, "L").convert("P")
    palette.putpalette(list(rng.integers(0, 256, 8 * 3)))
    for name in ("palette.png", "palette.gif"):
        files[name] = folder / name
        palette.save(files[name], transparency=3)
    files["rgba.webp"] = folder / "rgba.webp"
    Image.fromarray(rgba, "RGBA").save(files["rgba.webp"], lossless=True)
    return files


@pytest.mark.parametrize(
    "name", ["rgba.png", "la.png", "palette.png", "palette.gif", "rgba.webp"]
)
@pytest.mark.parametrize("background, level", [("white", 255), ("black", 0)])
def test_transparency_composited_as_pil_does(
    transparent_files, name, background, level
):
    path = transparent_files[name]
    [rgb] = ImageReader(color="rgb", background=background).fit_transform([path])
    expected = _pil_composite(path, level)
    assert rgb.dtype == np.uint8 and rgb.shape == expected.shape
    assert np.abs(rgb.astype(int) - expected).max() <= 1
    transparent = np.asarray(_pil(path, "RGBA"))[:, :, 3] == 0
    assert transparent.any() and (rgb[transparent] == level).all()


def test_gray_level_background_and_none_drops_alpha(transparent_files):
    path = transparent_files["rgba.png"]
    [gray] = ImageReader(background=0.5).fit_transform([path])
    expected = cv2.cvtColor(_pil_composite(path, 128), cv2.COLOR_RGB2GRAY)
    assert np.abs(gray.astype(int) - expected).max() <= 1
    [dropped] = ImageReader(color="rgb", background=None).fit_transform([path])
    np.testing.assert_array_equal(dropped, np.asarray(_pil(path, "RGBA"))[:, :, :3])


def test_rgba_arrays_composited_like_files(transparent_files):
    rgba = np.asarray(_pil(transparent_files["rgba.png"], "RGBA"))
    reader = ImageReader(color="rgb", dtype="float32")
    from_array, from_file = reader.fit_transform(
        [rgba.astype(np.float32) / 255, transparent_files["rgba.png"]]
    )
    np.testing.assert_allclose(from_array, from_file, atol=1 / 255 + 1e-6)


@pytest.mark.parametrize("channels", [1, 3])
def test_sixteen_bit_png_keeps_its_precision(tmp_path, channels):
    rng = np.random.default_rng(1)
    shape = (9, 11) if channels == 1 else (9, 11, 3)
    pixels = rng.integers(0, 65536, shape, dtype=np.uint16)
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), pixels)  # OpenCV writes BGR
    rgb = pixels if channels == 1 else pixels[:, :, ::-1]
    color = "gray" if channels == 1 else "rgb"
    [floats] = ImageReader(color=color, dtype="float64").fit_transform([path])
    np.testing.assert_allclose(floats, rgb / 65535, atol=1e-7)
    [bytes_] = ImageReader(color=color).fit_transform([path])
    assert bytes_.dtype == np.uint8
    assert np.abs(bytes_.astype(int) - rgb / 257).max() <= 0.5 + 1e-9


def test_grayscale_jpeg_as_rgb(tmp_path):
    gray = np.add.outer(np.arange(20) * 6, np.arange(30) * 3).astype(np.uint8)
    path = tmp_path / "gray.jpg"
    Image.fromarray(gray, "L").save(path, quality=95)
    [rgb] = ImageReader(color="rgb").fit_transform([path])
    assert rgb.shape == (20, 30, 3)
    reference = np.asarray(_pil(path, "RGB"))
    assert np.abs(rgb.astype(int) - reference).max() <= 1


@pytest.mark.parametrize("orientation, rotate", [(3, 180), (6, 270), (8, 90)])
def test_exif_rotated_jpeg_upright(tmp_path, orientation, rotate):
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :10] = 255  # a white band at the left
    pixels[:5, :, 1] = 200
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    [rgb] = ImageReader(color="rgb").fit_transform([path])
    with Image.open(path) as image:
        upright = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    assert rgb.shape == upright.shape
    assert np.abs(rgb.astype(int) - upright).mean() < 2
    # The picture itself, rotated the way its EXIF says.
    expected = np.asarray(Image.fromarray(pixels).rotate(rotate, expand=True))
    assert np.abs(rgb.astype(int) - expected).mean() < 10  # JPEG artefacts


def test_icon_and_photo_to_one_size_keeping_the_aspect(tmp_path):
    rng = np.random.default_rng(2)
    icon = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    photo = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    paths = [tmp_path / "icon.png", tmp_path / "photo.bmp"]
    for path, pixels in zip(paths, (icon, photo), strict=True):
        cv2.imwrite(str(path), pixels[:, :, ::-1])
    reader = ImageReader(color="rgb", size=(64, 64), keep_aspect=True, pad_value=255)
    small, large = reader.fit_transform(paths)
    assert small.shape == large.shape == (64, 64, 3)
    np.testing.assert_array_equal(
        small, cv2.resize(icon, (64, 64), interpolation=cv2.INTER_AREA)
    )
    # 4:3 landscape: 64 x 48 inside, centred, 8 rows of padding above and below.
    assert (large[:8] == 255).all() and (large[-8:] == 255).all()
    np.testing.assert_array_equal(
        large[8:-8], cv2.resize(photo, (64, 48), interpolation=cv2.INTER_AREA)
    )
    # Padding in the background's colour, whatever the output dtype.
    for background, dtype, level in (
        ("white", None, 255),
        (0.5, "float32", 0.5),
        (None, "float64", 0.0),
    ):
        reader.set_params(pad_value="background", background=background, dtype=dtype)
        _, padded = reader.fit_transform(paths)
        for band in (padded[:8], padded[-8:]):
            np.testing.assert_allclose(band, level, rtol=0, atol=1 / 255)


@pytest.mark.data
@pytest.mark.skipif(
    not (CLIPART_DIR / "images").is_dir(),
    reason=f"clip art not found at {CLIPART_DIR} (real data lives in ../shared/data)",
)
def test_real_clipart_composited_on_white():
    files = sorted((CLIPART_DIR / "images").glob("*.png"))[::100]
    images = ImageReader(color="rgb", background="white").fit_transform(files)
    n_transparent = 0
    for path, rgb in zip(files, images, strict=True):
        expected = _pil_composite(path, 255)
        assert rgb.shape == expected.shape, path
        assert np.abs(rgb.astype(int) - expected).max() <= 1, path
        n_transparent += (np.asarray(_pil(path, "RGBA"))[:, :, 3] == 0).any()
    assert n_transparent >= 5  # the set is mostly transparent clip art


def test_corrupt_gif_names_the_file(tmp_path):
    path = tmp_path / "broken.gif"
    path.write_bytes(b"GIF89a" + bytes(10))
    with pytest.raises(ValueError, match=r"sample 0 \(.*broken.gif'\): Pillow"):
        ImageReader().fit_transform([path])
    with pytest.warns(UserWarning, match="1 of 1 image samples"):
        assert ImageReader(on_error="missing").fit_transform([path]) == [None]


@pytest.mark.parametrize("keep_aspect", [True, False])
@pytest.mark.parametrize(
    "background, level", [("white", 255), ("black", 0), (0.4, 102)]
)
@pytest.mark.parametrize("color", ["rgb", "gray"])
def test_large_transparent_file_shrunk_before_compositing(
    tmp_path, keep_aspect, background, level, color
):
    # An RGBA file larger than ``size`` is resized, then composited: the
    # picture resized after PIL's compositing, to a level or so.
    rng = np.random.default_rng(1)
    rgba = np.repeat(np.repeat(_transparent_rgba(rng, 30, 40), 5, 0), 5, 1)
    rgba[:40, :, 3] = 0
    path = tmp_path / "poster.png"
    Image.fromarray(rgba, "RGBA").save(path)
    reader = ImageReader(
        color=color,
        size=(24, 16),
        keep_aspect=keep_aspect,
        background=background,
        pad_value="background",
    )
    [small] = reader.fit_transform([path])
    composited = _pil_composite(path, level)
    if color == "gray":
        composited = cv2.cvtColor(composited, cv2.COLOR_RGB2GRAY)
    [expected] = ImageReader(
        color=color, size=(24, 16), keep_aspect=keep_aspect, pad_value=level
    ).fit_transform([composited])
    assert small.shape == expected.shape and small.dtype == np.uint8
    assert np.abs(small.astype(int) - expected).max() <= 2
    assert np.abs(small.astype(int) - expected).mean() < 0.5
