"""skmm.base: skmm's tags, the stateless contract and per-sample outputs."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline, make_union
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skmm.audio import (
    MFCC,
    AudioFeatures,
    AudioReader,
    Chroma,
    MelSpectrogram,
    SpectralContrast,
    SpectralShape,
)
from skmm.base import INPUT_KINDS, SkmmTags, Tags, get_skmm_tags, is_stateless
from skmm.cache import CachedTransformer, InMemoryCache
from skmm.encode import VLAD, BagOfWords, FisherVector, StatsPooling
from skmm.image import (
    DAISY,
    HOG,
    LBP,
    ORB,
    SIFT,
    ColorHistogram,
    DenseSIFT,
    HaralickTexture,
    HuMoments,
    ImageReader,
    Pixels,
)
from skmm.text import TextAnalyzer, Word2VecVectorizer
from skmm.utils import all_estimators
from skmm.utils.estimator_checks import make_raw_input
from skmm.video import KeyframeSummarizer, ShotDetector, VideoReader

STATELESS = (
    AudioReader,
    ImageReader,
    MFCC,
    MelSpectrogram,
    Chroma,
    SpectralContrast,
    SpectralShape,
    AudioFeatures,
    HOG,
    SIFT,
    DenseSIFT,
    DAISY,
    ORB,
    Pixels,
    LBP,
    ColorHistogram,
    HaralickTexture,
    HuMoments,
    StatsPooling,
    VideoReader,
    ShotDetector,
    KeyframeSummarizer,
    TextAnalyzer,
)


def test_skmm_tags_extend_sklearn_tags():
    tags = get_tags(HOG())
    assert isinstance(tags, Tags) and isinstance(tags, sklearn.utils.Tags)
    assert tags.skmm_tags == SkmmTags(input_kind="image")
    # An estimator without skmm tags gets the defaults.
    assert get_skmm_tags(LogisticRegression()) == SkmmTags()


@pytest.mark.parametrize(
    "estimator, kind",
    [
        (AudioReader(), "waveform"),
        (MFCC(), "waveform"),
        (ImageReader(), "image"),
        (HOG(), "image"),
        (SIFT(), "image"),
        (DenseSIFT(), "image"),
        (StatsPooling(), "descriptor_set"),
        (VLAD(), "descriptor_set"),
        (FisherVector(), "descriptor_set"),
        (Word2VecVectorizer(), "text"),
        (VideoReader(), "video"),
        (ShotDetector(), "video"),
        (KeyframeSummarizer(), "video"),
    ],
    ids=lambda x: type(x).__name__ if not isinstance(x, str) else x,
)
def test_input_kinds(estimator, kind):
    assert get_skmm_tags(estimator).input_kind == kind in INPUT_KINDS


def test_stateless_estimators_are_exactly_those_that_learn_nothing():
    stateless = set()
    for name, cls in all_estimators():
        try:
            estimator = cls()
        except TypeError:  # required parameters: meta-estimators
            continue
        if not get_tags(estimator).requires_fit:
            stateless.add(name)
    assert stateless == {cls.__name__ for cls in STATELESS}


def test_is_stateless_on_pipelines():
    assert is_stateless(make_pipeline(AudioReader(), MFCC()))
    assert is_stateless("passthrough") and is_stateless(None)
    assert is_stateless(FeatureUnion([("a", HOG()), ("b", ColorHistogram())]))
    assert not is_stateless(FeatureUnion([("a", HOG()), ("b", PCA())]))
    assert not is_stateless(make_pipeline(AudioReader(), MFCC(pooling=None), VLAD()))
    assert not is_stateless(BagOfWords())
    assert not is_stateless(StandardScaler())
    assert is_stateless(CachedTransformer(MFCC(), memory=InMemoryCache()))
    assert not is_stateless(CachedTransformer(StandardScaler()))
    assert is_stateless(make_union(MFCC(), MFCC(n_mfcc=5), "drop"))
    assert not is_stateless(make_union(MFCC(), StandardScaler()))


@pytest.mark.parametrize("cls", STATELESS, ids=lambda c: c.__name__)
def test_stateless_transform_unfitted_equals_fitted(cls):
    kind = get_skmm_tags(cls()).input_kind
    X, y = make_raw_input(kind, n_samples=6)
    estimator = cls()
    unfitted = estimator.transform(X)
    assert not [key for key in vars(estimator) if key.endswith("_")]
    fitted = clone(estimator).fit(X, y).transform(X)
    if isinstance(fitted, list):
        assert len(unfitted) == len(fitted)
        for a, b in zip(unfitted, fitted, strict=True):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(unfitted, fitted)


def test_stateless_transform_validates_parameters():
    with pytest.raises(ValueError, match="n_mfcc"):
        MFCC(n_mfcc=0).transform([np.zeros(4000, dtype=np.float32)])
    with pytest.raises(ValueError, match="size"):
        ImageReader(size=(0, 4)).transform([np.zeros((8, 8))])


def test_stateful_estimators_refuse_unfitted_transform():
    X, _ = make_raw_input("descriptor_set", n_samples=4)
    with pytest.raises(NotFittedError):
        VLAD(n_clusters=2).transform(X)


@pytest.fixture
def pandas_output():
    with sklearn.config_context(transform_output="pandas"):
        yield


def _images(n=6, size=32):
    rng = np.random.default_rng(0)
    return [rng.random((size, size)) for _ in range(n)]


def _clips(n=6):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(4000).astype(np.float32) for _ in range(n)]


def test_pandas_output_passes_sets_through(pandas_output):
    images = _images()
    sets = make_pipeline(ImageReader(), DenseSIFT(step=8)).fit_transform(images)
    assert isinstance(sets, list) and len(sets) == len(images)
    frames = MFCC(sr=8000, pooling=None).fit_transform(_clips())
    assert isinstance(frames, list)
    assert isinstance(ImageReader().fit_transform(images), list)


def test_pandas_output_names_the_vectors(pandas_output):
    images = _images()
    encoded = make_pipeline(
        ImageReader(), DenseSIFT(step=8), VLAD(n_clusters=2, random_state=0)
    ).fit_transform(images)
    assert isinstance(encoded, pd.DataFrame)
    assert encoded.shape == (6, 2 * 128)
    assert list(encoded.columns[:2]) == ["vlad0", "vlad1"]
    pooled = MFCC(sr=8000, n_mfcc=4).fit_transform(_clips())
    assert isinstance(pooled, pd.DataFrame)
    assert list(pooled.columns[:2]) == ["mean_mfcc0", "mean_mfcc1"]
    # The same numbers as without pandas output.
    with sklearn.config_context(transform_output="default"):
        expected = MFCC(sr=8000, n_mfcc=4).fit_transform(_clips())
    np.testing.assert_array_equal(pooled.to_numpy(), expected)


def test_column_transformer_configures_readers():
    table = pd.DataFrame({"image": _images(), "audio": _clips()})
    columns = ColumnTransformer(
        [
            ("i", make_pipeline(ImageReader(), HOG(pixels_per_cell=(8, 8))), "image"),
            (
                "a",
                make_pipeline(AudioReader(sr=8000), MFCC(sr=8000, n_mfcc=4)),
                "audio",
            ),
        ]
    ).set_output(transform="pandas")
    out = columns.fit_transform(table)
    assert isinstance(out, pd.DataFrame)
    assert out.columns[0] == "i__hog0" and out.columns[-1] == "a__std_mfcc3"
    assert out.index.equals(table.index)
    model = make_pipeline(columns, PCA(n_components=2))
    assert model.fit_transform(table).shape == (6, 2)


def test_reader_feature_names():
    assert list(ImageReader().get_feature_names_out(["photo"])) == ["photo"]
    assert list(ImageReader().get_feature_names_out()) == ["image"]
    assert list(AudioReader().get_feature_names_out(["clip"])) == ["clip"]


def test_readers_convert_small_arrays_in_turn(monkeypatch, tmp_path):
    import skmm.base

    calls = []

    class CountingParallel(skmm.base.Parallel):
        def __call__(self, iterable):
            calls.append(self.n_jobs)
            return super().__call__(iterable)

    monkeypatch.setattr(skmm.base, "Parallel", CountingParallel)
    rng = np.random.default_rng(0)
    small = [rng.random((8, 8)) for _ in range(20)]
    reader = ImageReader(size=(16, 16), n_jobs=2)
    # Threads cost more than they save on small arrays in memory: no pool,
    # and the output of reading them in turn.
    out = reader.transform(small)
    assert calls == []
    expected = ImageReader(size=(16, 16), n_jobs=1).transform(small)
    for a, b in zip(out, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    # A large array, or files, still go to the threads.
    reader.transform(small + [rng.random((600, 600))])
    assert calls == [2]
    import soundfile

    paths = []
    for i in range(4):
        paths.append(str(tmp_path / f"{i}.wav"))
        soundfile.write(paths[-1], rng.uniform(-0.5, 0.5, 800), 8000)
    clips = AudioReader(sr=8000, n_jobs=2).transform(paths)
    assert calls == [2, 2] and all(clip.shape == (800,) for clip in clips)
