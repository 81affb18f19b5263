from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from skmm.base import is_stateless
from skmm.compose import PerItem
from skmm.encode import VLAD, StatsPooling
from skmm.fusion import LateFusionClassifier, SkipMissing
from skmm.image import HOG, DenseSIFT, ImageReader

# Sizes of the batches _Recorder transformed (clone copies parameters, so
# the record lives outside the estimator).
BATCHES = []


class _Recorder(TransformerMixin, BaseEstimator):
    """First pixel of each image; records the size of every batch it sees."""

    def fit(self, X, y=None):
        self.n_fit_ = len(X)
        return self

    def transform(self, X):
        BATCHES.append(len(X))
        return np.array([[float(np.asarray(x).ravel()[0]), 1.0] for x in X])

    def get_feature_names_out(self, input_features=None):
        return np.array(["first", "one"], dtype=object)


def _images(rng, n, size=16):
    return [rng.random((size, size)) for _ in range(n)]


def _mixed_cells(rng):
    """Single images, lists of 1-3 images and a tuple, in one column."""
    return [
        rng.random((16, 16)),
        _images(rng, 3),
        [rng.random((16, 16))],
        tuple(_images(rng, 2)),
        rng.random((16, 16)),
    ]


def test_one_batched_call_per_batch_and_row_order():
    rng = np.random.default_rng(0)
    cells = _mixed_cells(rng)
    per_item = PerItem(_Recorder(), pooling=["mean", "max"]).fit(cells)
    BATCHES.clear()
    out = per_item.transform(cells)
    assert BATCHES == [8]  # eight items, one call
    for row, cell in enumerate(cells):
        items = list(cell) if isinstance(cell, list | tuple) else [cell]
        firsts = [item[0, 0] for item in items]
        np.testing.assert_allclose(out[row], [np.mean(firsts), 1, np.max(firsts), 1])


def test_hog_kernel_gets_every_item_of_the_batch_at_once(spy_on):
    from skmm.image import _hog_numba

    calls = []
    for name in ("hog_batch", "hog_batch_parallel"):
        spy_on(calls, _hog_numba, name, "kernel", describe=len)
    cells = _mixed_cells(np.random.default_rng(13))
    per_item = PerItem(HOG(pixels_per_cell=(8, 8), cells_per_block=(1, 1)))
    per_item.fit(cells)
    calls.clear()
    per_item.transform(cells)
    assert calls == [("kernel", 8)]  # eight images, one kernel call


def test_fit_transform_calls_the_transformer_once():
    cells = _mixed_cells(np.random.default_rng(1))
    BATCHES.clear()
    out = PerItem(_Recorder()).fit_transform(cells)
    assert BATCHES == [8] and out.shape == (5, 2)


def test_pooling_matches_stats_pooling_of_item_vectors():
    rng = np.random.default_rng(2)
    cells = _mixed_cells(rng)
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(1, 1), orientations=4)
    stats = ["mean", "std", "max"]
    pooled = PerItem(hog, pooling=stats).fit_transform(cells)
    sets = PerItem(hog, pooling=None).fit_transform(cells)
    assert [s.shape[0] for s in sets] == [1, 3, 1, 2, 1]
    np.testing.assert_allclose(pooled, StatsPooling(stats=stats).fit_transform(sets))
    for row, cell in enumerate(cells):
        items = list(cell) if isinstance(cell, list | tuple) else [cell]
        np.testing.assert_allclose(sets[row], hog.fit_transform(items))


def test_rows_of_a_series_keep_order_and_index_in_pandas_output():
    rng = np.random.default_rng(3)
    cells = pd.Series(_mixed_cells(rng), index=[50, 40, 30, 20, 10])
    per_item = PerItem(_Recorder()).set_output(transform="pandas")
    out = per_item.fit_transform(cells)
    assert list(out.index) == [50, 40, 30, 20, 10]
    assert list(out.columns) == ["first_mean", "one_mean"]
    assert out.iloc[2, 0] == cells.iloc[2][0][0, 0]


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (None, "sample 1 is missing (None)"),
        (np.nan, "sample 1 is missing (nan)"),
        ([], "sample 1 is missing (an empty list)"),
    ],
)
def test_missing_cell_names_the_row_and_the_fix(bad, fragment):
    rng = np.random.default_rng(4)
    cells = [rng.random((16, 16)), bad, rng.random((16, 16))]
    with pytest.raises(ValueError, match="LateFusionClassifier") as info:
        PerItem(_Recorder()).fit_transform(cells)
    assert fragment in str(info.value)


def test_missing_item_inside_a_list_names_row_and_item():
    cells = [[np.ones((4, 4)), None]]
    with pytest.raises(ValueError, match=r"item 1 of sample 0 is missing"):
        PerItem(_Recorder()).fit(cells)


def test_inner_error_names_the_row_and_item_of_the_flat_sample():
    good = np.full((16, 16), 0.5)
    with_nan = good.copy()
    with_nan[2, 2] = np.nan
    cells = [good, [good, good, with_nan]]  # flat sample 3 is row 1, item 2
    per_item = PerItem(HOG(pixels_per_cell=(8, 8)))
    with pytest.raises(ValueError, match=r"item 2 of 3 of sample 1"):
        per_item.fit_transform(cells)


def test_missing_and_list_cells_survive_late_fusion():
    rng = np.random.default_rng(5)
    n = 40
    y = np.arange(n) % 2
    photos, caption = [], []
    for i, label in enumerate(y):
        images = [np.full((16, 16), 0.8 * label) + 0.1 * rng.random((16, 16))]
        images *= 1 + i % 3
        photos.append(None if i % 7 == 0 else [] if i % 11 == 0 else images)
        caption.append(f"label {label} words {'yes' if label else 'no'}")
    X = pd.DataFrame({"photos": photos, "caption": caption})
    model = LateFusionClassifier(
        [
            (
                "photos",
                make_pipeline(PerItem(_Recorder()), LogisticRegression()),
                "photos",
            ),
            (
                "caption",
                make_pipeline(TfidfVectorizer(), LogisticRegression()),
                "caption",
            ),
        ],
        fusion="mean",
    ).fit(X, y)
    assert model.predict(X).shape == (n,)
    # Reordered rows give reordered predictions: nothing was shuffled.
    order = rng.permutation(n)
    np.testing.assert_array_equal(
        model.predict_proba(X.iloc[order]), model.predict_proba(X)[order]
    )
    skip = SkipMissing(PerItem(_Recorder())).fit(X[["photos"]])
    out = skip.transform(X[["photos"]])
    missing = np.array([p is None or p == [] for p in photos])
    assert np.isnan(out[missing]).all() and not np.isnan(out[~missing]).any()


def test_stateless_tags_follow_the_transformer():
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    assert is_stateless(PerItem(hog))
    assert is_stateless(PerItem(make_pipeline(ImageReader(), hog)))
    learns = PerItem(make_pipeline(hog, PCA(n_components=2)))
    assert get_tags(learns).requires_fit and not is_stateless(learns)
    with pytest.raises(NotFittedError):
        learns.transform([np.zeros((16, 16))])
    cells = _mixed_cells(np.random.default_rng(6))
    unfitted = PerItem(hog)
    np.testing.assert_allclose(
        unfitted.transform(cells), clone(unfitted).fit(cells).transform(cells)
    )
    assert not hasattr(unfitted, "transformer_")


def test_fit_gives_each_item_its_samples_target():
    rng = np.random.default_rng(7)
    cells = [_images(rng, k) for k in (1, 2, 3, 1)]
    y = np.array([0, 1, 0, 1])
    hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    pipe = make_pipeline(hog, SelectKBest(k=3))
    per_item = PerItem(pipe).fit(cells, y)
    items = [image for cell in cells for image in cell]
    expected = SelectKBest(k=3).fit(hog.fit_transform(items), [0, 1, 1, 0, 0, 0, 1])
    np.testing.assert_allclose(per_item.transformer_[-1].scores_, expected.scores_)
    assert per_item.transform(cells).shape == (4, 3)
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        PerItem(pipe).fit(cells, y[:3])


def test_sparse_item_vectors_stay_sparse_under_mean():
    cells = ["a red car", ["a dog", "a cat and a dog"], ("one more", "two more")]
    tfidf = TfidfVectorizer()
    out = PerItem(tfidf).fit_transform(cells)
    assert sp.issparse(out)
    flat = tfidf.fit_transform(
        ["a red car", "a dog", "a cat and a dog", "one more", "two more"]
    ).toarray()
    np.testing.assert_allclose(out.toarray()[1], flat[1:3].mean(axis=0))
    dense = PerItem(tfidf, pooling=["mean", "max"]).fit_transform(cells)
    np.testing.assert_allclose(dense[2, flat.shape[1] :], flat[3:].max(axis=0))
    names = PerItem(tfidf, pooling=["mean", "max"]).fit(cells).get_feature_names_out()
    assert names[0].endswith("_mean") and names[-1].endswith("_max")


def test_descriptor_sets_per_item_stack_for_an_encoder():
    rng = np.random.default_rng(8)
    cells = [_images(rng, 2, size=32), rng.random((32, 32))]
    sift = DenseSIFT(step=8, size=16)
    sets = PerItem(sift, pooling=None).fit_transform(cells)
    flat = sift.fit_transform([*cells[0], cells[1]])
    np.testing.assert_allclose(sets[0], np.vstack(flat[:2]))
    np.testing.assert_allclose(sets[1], flat[2])
    encoded = make_pipeline(PerItem(sift, pooling=None), VLAD(n_clusters=2))
    assert encoded.fit_transform(cells * 4).shape[0] == 8
    with pytest.raises(ValueError, match="pooling=None"):
        PerItem(sift).fit_transform(cells)


def test_audio_pair_tuple_is_one_item():
    from skmm.audio import MFCC, AudioReader

    rng = np.random.default_rng(9)
    clip = (rng.uniform(-0.5, 0.5, 4000).astype(np.float32), 8000)
    cells = [clip, [clip, clip]]
    per_item = PerItem(make_pipeline(AudioReader(sr=8000), MFCC(n_mfcc=4, sr=8000)))
    out = per_item.fit_transform(cells)
    assert out.shape[0] == 2
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5)


def _to_device(cupy, cells):
    """The cells with their images on the device, as ImageReader(device="cuda")
    gives them."""
    return [
        [cupy.asarray(i) for i in c] if isinstance(c, list | tuple) else cupy.asarray(c)
        for c in cells
    ]


def _install_cupy_stand_in(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import _cupy_stand_in

    return _cupy_stand_in.install(monkeypatch)


@pytest.mark.parametrize(
    "pooling", [["mean", "std", "var", "min", "max"], ["median", "mean"], None]
)
def test_device_item_vectors_are_pooled_on_the_device(monkeypatch, pooling):
    cupy = _install_cupy_stand_in(monkeypatch)
    cells = _mixed_cells(np.random.default_rng(10))
    params = dict(pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    expected = PerItem(HOG(**params), pooling=pooling).fit_transform(cells)
    on_device = _to_device(cupy, cells)
    hog = HOG(device="cuda", **params)
    out = PerItem(hog, pooling=pooling).fit_transform(on_device)
    if pooling is None:
        assert all(type(s) is cupy.ndarray for s in out)
        for got, want in zip(out, expected, strict=True):
            np.testing.assert_allclose(got.get(), want, atol=1e-12)
    else:
        assert type(out) is cupy.ndarray
        np.testing.assert_allclose(out.get(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.gpu
def test_cuda_pooling_equals_cpu():
    cupy = pytest.importorskip("cupy")
    if not cupy.cuda.is_available():
        pytest.skip("no CUDA device")
    cells = _mixed_cells(np.random.default_rng(11))
    params = dict(pixels_per_cell=(8, 8), cells_per_block=(1, 1))
    stats = ["mean", "std", "min", "max"]
    expected = PerItem(HOG(**params), pooling=stats).fit_transform(cells)
    on_device = _to_device(cupy, cells)
    hog = HOG(device="cuda", **params)
    out = PerItem(hog, pooling=stats).fit_transform(on_device)
    np.testing.assert_allclose(cupy.asnumpy(out), expected, rtol=1e-6, atol=1e-9)


def test_error_in_late_fusion_blames_the_odd_cell_not_list_cells():
    # One caption or a list of captions per row, and one array by mistake:
    # list cells are of their items' kind, so the array is the odd cell.
    notes = ["a red car", "a dog", "a blue bus", "two cats"]
    notes += [["a tall tree", "green leaves"]] * 5 + [np.zeros(3)]
    X = pd.DataFrame({"notes": notes})
    y = np.arange(10) % 2
    text = make_pipeline(PerItem(TfidfVectorizer()), LogisticRegression())
    model = LateFusionClassifier([("notes", text, "notes")])
    with pytest.raises(Exception, match="sample 9 holds 'array' where its column"):
        model.fit(X, y)
