import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skimage import data as skimage_data
from skimage.feature import hog as skimage_hog
from sklearn.preprocessing import StandardScaler

from skmm.image import HOG
from skmm.plotting import HOGDisplay

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _agg_backend():
    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _images():
    rng = np.random.default_rng(0)
    return {
        "camera": skimage_data.camera()[:256, 128:384],
        "coins": skimage_data.coins()[:152, :192],
        "mnist-like uint8": (rng.random((28, 28)) ** 3 * 255).astype(np.uint8),
        "random float64": rng.random((28, 28)),
        "random float32": rng.random((30, 26)).astype(np.float32),
        "astronaut rgb": skimage_data.astronaut()[::8, ::8],
    }


IMAGES = _images()
PARAMS = [
    {"orientations": 9, "pixels_per_cell": (8, 8), "cells_per_block": (3, 3)},
    {"orientations": 4, "pixels_per_cell": (4, 4), "cells_per_block": (2, 2)},
    {"orientations": 12, "pixels_per_cell": (6, 5), "cells_per_block": (1, 1)},
    {
        "orientations": 8,
        "pixels_per_cell": (3, 3),
        "cells_per_block": (2, 2),
        "transform_sqrt": True,
        "block_norm": "L1",
    },
    {"orientations": 9, "pixels_per_cell": (2, 2), "cells_per_block": (1, 1)},
]


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("name", list(IMAGES))
def test_hog_image_equals_scikit_image(name, params):
    image = IMAGES[name]
    channel_axis = -1 if image.ndim == 3 else None
    _, expected = skimage_hog(
        image, visualize=True, channel_axis=channel_axis, **params
    )
    hog = HOG(**params).fit([image])
    display = HOGDisplay.from_estimator(hog, image)
    assert display.hog_image.dtype == expected.dtype
    assert_array_equal(display.hog_image, expected)


def _l2_hys(cells, block_rows, block_cols):
    """HOG features from cell histograms: L2-Hys blocks, raveled."""
    n_rows, n_cols, _ = cells.shape
    features = []
    for r in range(n_rows - block_rows + 1):
        for c in range(n_cols - block_cols + 1):
            block = cells[r : r + block_rows, c : c + block_cols]
            block = block / np.sqrt(np.sum(block**2) + 1e-10)
            block = np.minimum(block, 0.2)
            features.append(block / np.sqrt(np.sum(block**2) + 1e-10))
    return np.ravel(features)


@pytest.mark.parametrize("name", ["camera", "astronaut rgb", "random float64"])
def test_cells_are_those_of_the_features(name):
    # The display draws the very cells skmm's HOG features are built from.
    image = IMAGES[name]
    hog = HOG(orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2)).fit(
        [image]
    )
    display = HOGDisplay.from_estimator(hog, image)
    n_rows, n_cols = image.shape[0] // 4, image.shape[1] // 4
    assert display.cell_histograms.shape == (n_rows, n_cols, 9)
    assert_allclose(
        _l2_hys(display.cell_histograms, 2, 2),
        hog.transform([image])[0],
        rtol=1e-10,
        atol=1e-12,
    )


def test_draws_the_image_and_the_glyphs():
    image = IMAGES["coins"]
    hog = HOG(orientations=6, pixels_per_cell=(10, 12)).fit([image])
    display = HOGDisplay.from_estimator(hog, image)
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert ax.get_images() == [display.image_, display.outline_, display.overlay_]
    outline = display.outline_.get_array()
    glyphs = display.hog_image > 0
    assert not (~outline.mask & glyphs).any()  # around the glyphs, not on them
    assert (~outline.mask).any()
    assert_array_equal(display.image_.get_array(), image)
    overlay = display.overlay_.get_array()
    assert_array_equal(overlay.filled(0), display.hog_image)
    # Pixels without glyph are transparent (masked).
    assert_array_equal(overlay.mask, display.hog_image <= 0)
    assert display.overlay_.get_clim() == (0, display.cell_histograms.max())
    assert ax.get_title() == "HOG: 6 orientations, 10x12-pixel cells"
    assert ax.get_xlabel() == "column (pixel)"
    assert ax.get_ylabel() == "row (pixel)"


def test_colour_image_and_given_axes():
    import matplotlib.pyplot as plt

    image = IMAGES["astronaut rgb"]
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit([image])
    figure, (left, right) = plt.subplots(1, 2)
    display = HOGDisplay.from_estimator(hog, image, ax=right)
    assert display.ax_ is right
    assert display.figure_ is figure
    assert len(left.get_images()) == 0
    assert display.image_.get_array().shape == image.shape
    assert display.hog_image.shape == image.shape[:2]


def test_display_from_arrays_only():
    image = np.zeros((8, 8))
    drawing = np.zeros((8, 8))
    drawing[4, 2:7] = 1.0
    display = HOGDisplay(image, drawing).plot()
    assert display.ax_.get_title() == "HOG"
    assert display.overlay_.get_array().count() == 5
    with pytest.raises(ValueError, match="hog_image has shape"):
        HOGDisplay(image, drawing[:4]).plot()


def test_unfitted_hog_draws_as_fitted():
    # HOG learns nothing (requires_fit=False): unfitted, it draws what the
    # fitted one does.
    image = IMAGES["random float64"]
    params = dict(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    fitted = HOGDisplay.from_estimator(HOG(**params).fit([image]), image)
    unfitted = HOGDisplay.from_estimator(HOG(**params), image)
    assert_array_equal(unfitted.hog_image, fitted.hog_image)


def test_errors():
    image = IMAGES["random float64"]
    with pytest.raises(TypeError, match="skmm.image.HOG"):
        HOGDisplay.from_estimator(StandardScaler().fit(image), image)
    hog = HOG(pixels_per_cell=(4, 4), cells_per_block=(2, 2)).fit([image])
    with pytest.raises(ValueError, match="fitted on 28x28"):
        HOGDisplay.from_estimator(hog, np.zeros((32, 32)))
    with pytest.raises(ValueError, match="one image"):
        HOGDisplay.from_estimator(hog, image[None, :, :, None])
    with pytest.raises(ValueError, match="negative"):
        HOGDisplay.from_estimator(
            HOG(pixels_per_cell=(4, 4), transform_sqrt=True).fit([image]), image - 1
        )
    tiny_cells = HOG(pixels_per_cell=(1, 4), cells_per_block=(2, 2)).fit([image])
    with pytest.raises(ValueError, match="at least 2 pixels"):
        HOGDisplay.from_estimator(tiny_cells, image)


def _render(display_from, background, scale=4):
    """RGB of the figure, one value per image pixel (the centre of its
    ``scale x scale`` block), for a display drawn on axes that fill it."""
    import matplotlib.pyplot as plt

    height, width = background.shape[:2]
    figure = plt.figure(figsize=(width * scale / 100, height * scale / 100), dpi=100)
    ax = figure.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    display = display_from(ax)
    figure.canvas.draw()
    rgba = np.asarray(figure.canvas.buffer_rgba())[..., :3] / 255.0
    centres = rgba[scale // 2 :: scale, scale // 2 :: scale]
    return display, centres[:height, :width]


@pytest.mark.parametrize("value", [0.0, 1.0], ids=["black", "white"])
def test_glyphs_stand_out_over_dark_and_bright_images(value):
    # Glyphs of a real image drawn over a flat image: every glyph pixel,
    # the weakest included, must differ visibly from the image behind it.
    source = IMAGES["coins"][:64, :96]
    hog = HOG(orientations=9, pixels_per_cell=(8, 8)).fit([source])
    drawing = HOGDisplay.from_estimator(hog, source).hog_image
    flat = np.full(source.shape, value)

    def draw(ax, **params):
        return HOGDisplay(flat, drawing).plot(ax=ax, image_cmap="gray", **params)

    _, behind = _render(lambda ax: draw(ax, alpha=0.0), flat)
    display, shown = _render(draw, flat)
    glyphs = drawing > 0
    assert glyphs.sum() > 500 and (drawing[glyphs] < drawing.max() / 50).any()
    difference = np.abs(shown - behind).max(axis=-1)
    assert difference[glyphs].min() >= 0.25
