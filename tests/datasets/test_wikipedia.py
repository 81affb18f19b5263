from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from skmm.datasets import load_wikipedia_xmodal

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
WIKI_DIR = DATA_DIR / "wikipedia"


def _write_fake(folder, n_train=4, n_test=3, n_train_rows=None):
    rng = np.random.default_rng(0)
    n_train_rows = n_train if n_train_rows is None else n_train_rows
    savemat(
        folder / "raw_features.mat",
        {
            "I_tr": rng.random((n_train_rows, 128)),
            "I_te": rng.random((n_test, 128)),
            "T_tr": rng.random((n_train_rows, 10)),
            "T_te": rng.random((n_test, 10)),
            "T_tfidf_tr": rng.random((n_train_rows, 1000)),
            "T_tfidf_te": rng.random((n_test, 1000)),
        },
    )
    for name, n_rows in [("trainset", n_train), ("testset", n_test)]:
        lines = [f"t{name}{i}\ti{name}{i}\t{i % 10 + 1}" for i in range(n_rows)]
        (folder / f"{name}_txt_img_cat.list").write_text("\n".join(lines) + "\n")


@pytest.mark.data
@pytest.mark.skipif(
    not (WIKI_DIR / "raw_features.mat").is_file(),
    reason=f"Wikipedia features not found in {WIKI_DIR} (real data lives in "
    "../shared/data)",
)
def test_load_wikipedia_xmodal_real():
    wiki = load_wikipedia_xmodal(WIKI_DIR)
    expected_shapes = {
        "image_train": (2173, 128),
        "image_test": (693, 128),
        "text_train": (2173, 10),
        "text_test": (693, 10),
        "text_tfidf_train": (2173, 1000),
        "text_tfidf_test": (693, 1000),
        "target_train": (2173,),
        "target_test": (693,),
        "text_ids_train": (2173,),
        "image_ids_test": (693,),
    }
    for name, shape in expected_shapes.items():
        assert wiki[name].shape == shape, name
    for target in (wiki.target_train, wiki.target_test):
        assert target.dtype.kind == "i"
        assert np.array_equal(np.unique(target), np.arange(1, 11))
    assert wiki.target_names[0] == "art" and wiki.target_names[9] == "warfare"
    assert len(wiki.target_names) == 10
    assert wiki.text_ids_train[0] == "Ab3150b0c281960b6a6d33407824fd40a-3"
    assert wiki.image_ids_train[0] == "ceb47321a83dd824cec2d5d3f2034765"
    assert wiki.target_train[0] == 6


def test_load_wikipedia_xmodal_fake(tmp_path):
    _write_fake(tmp_path)
    wiki = load_wikipedia_xmodal(tmp_path)
    assert wiki.image_train.shape == (4, 128)
    assert wiki.text_tfidf_test.shape == (3, 1000)
    assert list(wiki.target_train) == [1, 2, 3, 4]
    assert list(wiki.text_ids_test) == ["ttestset0", "ttestset1", "ttestset2"]


@pytest.mark.parametrize(
    "missing", ["raw_features.mat", "trainset_txt_img_cat.list", "folder"]
)
def test_load_wikipedia_xmodal_wrong_path(tmp_path, missing):
    _write_fake(tmp_path)
    path = tmp_path / "absent" if missing == "folder" else tmp_path
    if missing != "folder":
        (tmp_path / missing).unlink()
    with pytest.raises(FileNotFoundError, match="expected a folder holding"):
        load_wikipedia_xmodal(path)


def test_load_wikipedia_xmodal_row_count_mismatch(tmp_path):
    _write_fake(tmp_path, n_train=4, n_train_rows=5)
    with pytest.raises(ValueError, match="I_tr has 5 rows but"):
        load_wikipedia_xmodal(tmp_path)


def test_load_wikipedia_xmodal_bad_category(tmp_path):
    _write_fake(tmp_path)
    (tmp_path / "testset_txt_img_cat.list").write_text("a\tb\t11\n")
    with pytest.raises(ValueError, match="row 0: category 11"):
        load_wikipedia_xmodal(tmp_path)
