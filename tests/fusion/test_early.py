"""Early fusion: ColumnTransformer over skmm pipelines, block helpers."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmm.audio import MFCC
from skmm.datasets import make_multimodal_digits
from skmm.fusion import (
    BlockScaler,
    ModalityImputer,
    ProductFusion,
    SkipMissing,
    make_block_fusion,
)
from skmm.utils.estimator_checks import yield_checks


def flatten(images):
    return np.stack([np.asarray(image, dtype=np.float64).ravel() for image in images])


def pixel_names(transformer, input_features):
    return [f"pixel{i}" for i in range(64)]


def _mfcc():
    return MFCC(sr=8000, n_fft=1024, hop_length=256, n_mels=64, n_mfcc=20)


def _image_pipeline():
    # FunctionTransformer names no columns unless told how.
    return make_pipeline(
        FunctionTransformer(flatten, feature_names_out=pixel_names), StandardScaler()
    )


def _modalities():
    return [
        ("text", TfidfVectorizer(), "text"),
        ("image", _image_pipeline(), "image"),
        ("audio", make_pipeline(_mfcc(), StandardScaler()), "audio"),
    ]


@pytest.fixture(scope="module")
def digits():
    return make_multimodal_digits(n_samples=200)


@pytest.fixture(scope="module")
def digits_missing():
    return make_multimodal_digits(n_samples=200, missing_rate=0.3)


def _block_variances(X, blocks):
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    return np.array([dense[:, idx].var(axis=0).sum() for _, idx in blocks])


# -- 1. ColumnTransformer over skmm modality pipelines ---------------------


def test_column_transformer_names_every_column(digits):
    columns = ColumnTransformer(_modalities())
    X = columns.fit_transform(digits.data)
    names = columns.get_feature_names_out()
    assert len(names) == X.shape[1]
    width = {k: s.stop - s.start for k, s in columns.output_indices_.items()}
    for modality in ("text", "image", "audio"):
        block = names[columns.output_indices_[modality]]
        assert all(name.startswith(f"{modality}__") for name in block)
    assert width["image"] == 64 and width["audio"] == 40
    assert "audio__mean_mfcc0" in names and "audio__std_mfcc19" in names
    assert "image__pixel0" in names


# -- 2. BlockScaler --------------------------------------------------------


def test_block_scaler_balances_a_wide_block(digits):
    columns = ColumnTransformer(_modalities()).fit(digits.data)
    X = columns.transform(digits.data)
    blocks = [
        (name, np.arange(s.start, s.stop))
        for name, s in columns.output_indices_.items()
        if s.stop > s.start
    ]
    # Without scaling, a standardised block's total variance is its width:
    # the 64 pixels outweigh the 40 MFCC statistics, and both swamp the
    # TF-IDF block, whose rows have unit norm whatever its 1,000+ columns.
    raw = _block_variances(X, blocks)
    np.testing.assert_allclose(raw[1:], [64, 40])
    assert raw[0] < 1
    scaled = BlockScaler(blocks=columns.output_indices_).fit_transform(X)
    assert sp.issparse(scaled)
    np.testing.assert_allclose(_block_variances(scaled, blocks), 1.0, rtol=1e-10)
    # A linear model sees each block's share of the squared norm equal too
    # (up to the means, which are not removed).
    dense = scaled.toarray()
    dense -= dense.mean(axis=0)
    shares = [np.square(dense[:, idx]).sum() for _, idx in blocks]
    np.testing.assert_allclose(shares / np.sum(shares), 1 / 3, rtol=1e-10)


def test_make_block_fusion_keeps_sparse_and_weights(digits):
    fusion = make_block_fusion(*_modalities(), weights={"audio": 2.0})
    X = fusion.fit_transform(digits.data, digits.target)
    assert sp.issparse(X)
    assert [name for name, _ in fusion.blocks_] == ["text", "image", "audio"]
    np.testing.assert_allclose(
        _block_variances(X, fusion.blocks_), [1.0, 1.0, 4.0], rtol=1e-10
    )
    np.testing.assert_allclose(fusion.transform(digits.data).toarray(), X.toarray())
    names = fusion.get_feature_names_out()
    assert len(names) == X.shape[1] and names[-1] == "audio__std_mfcc19"
    # Nested parameters reach the modality pipelines.
    fusion.set_params(transformer__text__max_features=50)
    assert fusion.fit_transform(digits.data).shape[1] == 50 + 64 + 40


def test_block_scaler_in_grid_search(digits):
    pipe = make_pipeline(
        make_block_fusion(*_modalities()), LogisticRegression(max_iter=500)
    )
    search = GridSearchCV(
        pipe, {"blockscaler__weights": [None, {"text": 2.0}]}, cv=3
    ).fit(digits.data, digits.target)
    assert search.best_score_ > 0.8


def test_block_scaler_blocks_from_pandas_prefixes():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        rng.normal(size=(30, 5)) * [1, 1, 1, 10, 10],
        columns=["a__0", "a__1", "a__2", "b__0", "b__1"],
    )
    scaler = BlockScaler().set_output(transform="pandas").fit(X)
    assert [name for name, _ in scaler.blocks_] == ["a", "b"]
    out = scaler.transform(X)
    assert list(out.columns) == list(X.columns)
    np.testing.assert_allclose(out.var(ddof=0).groupby(lambda c: c[0]).sum(), 1.0)


def test_block_scaler_feature_union_layout():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    union = FeatureUnion(
        [
            ("a", StandardScaler()),
            (
                "b",
                FunctionTransformer(lambda x: x * 100, feature_names_out="one-to-one"),
            ),
        ]
    )
    scaler = BlockScaler(union).fit(X)
    assert [name for name, _ in scaler.blocks_] == ["a", "b"]
    np.testing.assert_allclose(
        _block_variances(scaler.transform(X), scaler.blocks_), 1.0
    )


def test_block_scaler_leaves_other_columns_and_constant_blocks():
    X = np.column_stack([np.arange(10.0), np.full(10, 3.0), np.arange(10.0) * 5])
    scaler = BlockScaler(blocks=[("a", [0]), ("const", [1])]).fit(X)
    out = scaler.transform(X)
    np.testing.assert_array_equal(out[:, 1:], X[:, 1:])
    assert scaler.scales_[1] == 1.0


@pytest.mark.parametrize(
    "blocks, weights, message",
    [
        ([("a", [0, 1]), ("b", [1])], None, "overlap"),
        ([("a", [0, 7])], None, "indices"),
        ([("a", slice(0, 1)), ("a", [1])], None, "unique"),
        ([("a", [0])], {"z": 1.0}, "unknown"),
        ([("a", [0])], [1.0, 2.0], "weights for"),
        ([("a", [0])], [-1.0], "non-negative"),
        ([("a",)], None, "pair"),
    ],
)
def test_block_scaler_bad_blocks(blocks, weights, message):
    with pytest.raises(ValueError, match=message):
        BlockScaler(blocks=blocks, weights=weights).fit(np.ones((4, 3)))


# -- 3. ProductFusion ------------------------------------------------------


def test_product_fusion_full_and_low_rank(digits):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 7))
    blocks = [("a", slice(0, 2)), ("b", slice(2, 4)), ("c", slice(4, 7))]
    full = ProductFusion(blocks=blocks).fit(X)
    Z = full.transform(X)
    assert Z.shape == (30, 3 * 3 * 4)
    names = list(full.get_feature_names_out())
    assert len(names) == Z.shape[1] and names[0] == "1"
    # Unimodal and cross-modal terms are there, by name.
    np.testing.assert_allclose(Z[:, names.index("x0")], X[:, 0])
    np.testing.assert_allclose(
        Z[:, names.index("x1*x3*x6")], X[:, 1] * X[:, 3] * X[:, 6]
    )
    low = ProductFusion(blocks=blocks, rank=1, random_state=0).fit(X)
    assert low.transform(X).shape == (30, 8)
    assert low.get_feature_names_out()[-1] == "a_pc0*b_pc0*c_pc0"

    # On real modalities: sparse TF-IDF goes through TruncatedSVD.
    fusion = ProductFusion(ColumnTransformer(_modalities()), rank=4, random_state=0)
    out = fusion.fit_transform(digits.data)
    assert out.shape == (200, 5**3)
    np.testing.assert_allclose(fusion.transform(digits.data), out)


# -- 4. Missing modalities -------------------------------------------------


def _skip_missing_modalities():
    return ColumnTransformer(
        [
            ("text", SkipMissing(TfidfVectorizer(min_df=2)), "text"),
            ("image", SkipMissing(_image_pipeline()), "image"),
            ("audio", SkipMissing(make_pipeline(_mfcc(), StandardScaler())), "audio"),
        ]
    )


def test_skip_missing_then_impute_fits_and_predicts_every_row(digits_missing):
    data, y = digits_missing.data, digits_missing.target
    missing = digits_missing.missing.to_numpy()
    assert 0.2 < missing.mean() < 0.4
    imputer = ModalityImputer(_skip_missing_modalities())
    model = make_pipeline(imputer, LogisticRegression(max_iter=1000))
    model.fit(data, y)
    assert model.predict(data).shape == (200,)
    assert model.score(data, y) > 0.9

    fused = imputer.transform(data)
    assert np.isfinite(fused).all()
    names = imputer.get_feature_names_out()
    assert list(names[-3:]) == ["text__missing", "image__missing", "audio__missing"]
    np.testing.assert_array_equal(fused[:, -3:], missing.astype(float))
    np.testing.assert_allclose(imputer.missing_rate_, missing.mean(axis=0))

    # Held-out rows, some missing everything but one modality, still predict.
    test = make_multimodal_digits(n_samples=60, missing_rate=0.5, random_state=1)
    assert model.predict(test.data).shape == (60,)


def test_skip_missing_keeps_row_order_and_names(digits_missing):
    audio = digits_missing.data["audio"]
    skip = SkipMissing(_mfcc()).fit(audio)
    out = skip.transform(audio)
    present = ~digits_missing.missing["audio"].to_numpy()
    np.testing.assert_array_equal(np.isnan(out).all(axis=1), ~present)
    direct = _mfcc().fit_transform(audio[present])
    np.testing.assert_allclose(out[present], direct)
    assert skip.get_feature_names_out()[0] == "mean_mfcc0"
    assert skip.missing_rate_ == pytest.approx(1 - present.mean())
    restored = pickle.loads(pickle.dumps(skip))
    np.testing.assert_array_equal(restored.transform(audio), out)


def test_skip_missing_errors():
    with pytest.raises(ValueError, match="Every sample is missing"):
        SkipMissing(StandardScaler()).fit([None, None])
    with pytest.raises(TypeError, match="fixed-width"):
        SkipMissing(MFCC(sr=8000, pooling=None)).fit([np.zeros(4000, np.float32)])


def test_modality_imputer_zero_strategy_without_indicator():
    X = np.array([[1.0, np.nan], [np.nan, 4.0], [3.0, 8.0]])
    out = ModalityImputer(strategy="zero", add_indicator=False).fit_transform(X)
    np.testing.assert_array_equal(out, [[1.0, 0.0], [0.0, 4.0], [3.0, 8.0]])
    # One block by default: a row is missing only when all of it is NaN.
    out = ModalityImputer().fit_transform(np.array([[np.nan, np.nan], [1.0, 2.0]]))
    np.testing.assert_array_equal(out, [[1.0, 2.0, 1.0], [1.0, 2.0, 0.0]])


_SKMM_CHECKS_EXCEPT_BAD_INPUT = [
    check
    for check in yield_checks(SkipMissing(MFCC(sr=22050, n_mfcc=13)))
    # SkipMissing exists to accept missing samples, which that check feeds as bad.
    if check.__name__ != "check_bad_input_errors"
]


@pytest.mark.parametrize(
    "check", _SKMM_CHECKS_EXCEPT_BAD_INPUT, ids=lambda c: c.__name__
)
def test_skip_missing_skmm_checks(check):
    estimator = SkipMissing(MFCC(sr=22050, n_mfcc=13))
    check(type(estimator).__name__, clone(estimator))


def test_skip_missing_raw_checks_cover_raw_input():
    names = {check.__name__ for check in _SKMM_CHECKS_EXCEPT_BAD_INPUT}
    assert "check_pickle_identical_output" in names


@parametrize_with_checks(
    [
        BlockScaler(),
        BlockScaler(weights=[2.0]),
        ProductFusion(),
        ProductFusion(rank=2, random_state=0),
        ModalityImputer(),
        ModalityImputer(strategy="zero", add_indicator=False),
        SkipMissing(),
        SkipMissing(StandardScaler()),
    ]
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_block_scaler_weights_below_one_shrink_a_block():
    # A block's total variance is its weight squared, however wide it is.
    X = np.random.default_rng(0).normal(size=(50, 6)) * [1, 1, 1, 1, 10, 10]
    blocks = [("a", [0, 1, 2, 3]), ("b", [4, 5])]
    scaled = BlockScaler(blocks=blocks, weights=[0.25, 1.0]).fit_transform(X)
    np.testing.assert_allclose(_block_variances(scaled, blocks), [0.0625, 1.0])


def test_skip_missing_takes_a_one_column_frame_of_cells(digits_missing):
    # A one-column DataFrame of raw cells is a column of samples, as a
    # Series is (ColumnTransformer hands it over that way with ["audio"]).
    frame = digits_missing.data[["audio"]]
    out = SkipMissing(_mfcc()).fit(frame).transform(frame)
    series = SkipMissing(_mfcc()).fit(frame["audio"]).transform(frame["audio"])
    np.testing.assert_array_equal(out, series)
