from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from skmm.datasets import load_openclipart

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
CLIPART_DIR = DATA_DIR / "openclipart"

needs_clipart = pytest.mark.skipif(
    not (CLIPART_DIR / "items.csv").is_file(),
    reason=f"clip art not found at {CLIPART_DIR} (real data lives in ../shared/data)",
)


def _write_set(folder, rows):
    (folder / "images").mkdir()
    for image, *_ in rows:
        Image.new("RGBA", (4, 4), (255, 0, 0, 128)).save(folder / image)
    frame = pd.DataFrame(rows, columns=["image", "title", "category", "subcategory"])
    frame.to_csv(folder / "items.csv", index=False)


ROWS = [
    ("images/b__x.png", "a boat by sea", "transport", "boats"),
    ("images/a__y.png", "an apple", "food", ""),
    ("images/b__z.png", "a bus", "transport", ""),
]


def test_layout_and_the_leaky_subcategory_kept_apart(tmp_path):
    _write_set(tmp_path, ROWS)
    bunch = load_openclipart(tmp_path)
    assert list(bunch.data.columns) == ["image", "title"]
    assert list(bunch.frame.columns) == ["image", "title", "target"]
    assert bunch.target_names.tolist() == ["food", "transport"]
    assert bunch.target.tolist() == [1, 0, 1] and bunch.target.dtype == np.int64
    assert bunch.subcategory.tolist() == ["boats", "", ""]
    assert bunch.data["title"].tolist() == [row[1] for row in ROWS]
    for path, row in zip(bunch.data["image"], ROWS, strict=True):
        assert Path(path).is_absolute() and path.endswith(row[0])
    assert bunch.filenames.tolist() == bunch.data["image"].tolist()
    assert "subcategory" in bunch.DESCR and "leak" in bunch.DESCR
    X, y = load_openclipart(str(tmp_path), return_X_y=True)
    pd.testing.assert_frame_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="items.csv"):
        load_openclipart(tmp_path)
    with pytest.raises(TypeError, match="path must be"):
        load_openclipart(3)
    _write_set(tmp_path, ROWS)
    (tmp_path / "images" / "a__y.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"a__y.png.*1 of 3 images absent"):
        load_openclipart(tmp_path)
    pd.DataFrame({"image": ["x.png"], "title": ["x"]}).to_csv(
        tmp_path / "items.csv", index=False
    )
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['category'"):
        load_openclipart(tmp_path)
    pd.DataFrame(
        {"image": ["x.png"], "title": [""], "category": ["a"], "subcategory": [""]}
    ).to_csv(tmp_path / "items.csv", index=False)
    with pytest.raises(ValueError, match="row 2 has an empty 'title'"):
        load_openclipart(tmp_path)


@pytest.mark.data
@needs_clipart
def test_real_clipart():
    bunch = load_openclipart(CLIPART_DIR)
    assert bunch.data.shape == (1968, 2)
    assert len(bunch.target_names) == 15
    assert np.bincount(bunch.target).max() == 160
    assert all(Path(p).suffix == ".png" for p in bunch.data["image"])
    assert (bunch.subcategory != "").any()
    assert not any("subcategory" in str(c) for c in bunch.frame.columns)
