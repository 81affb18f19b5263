"""Cells a reader cannot read, rows without any modality, columns by name,
and groups under a grid search, through late fusion and SkipMissing."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile
from sklearn import config_context
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.audio import MFCC, AudioReader
from skmm.exceptions import UnreadableSampleWarning
from skmm.fusion import LateFusionClassifier, LateFusionRegressor, SkipMissing
from skmm.retrieval import CorrelationMatching, CrossModalCCA

SR = 8000


def _audio_pipeline(final=None):
    return make_pipeline(
        AudioReader(sr=SR, on_error="missing"),
        MFCC(sr=SR, n_mfcc=8, n_fft=256, hop_length=128, n_mels=20),
        StandardScaler(),
        final or LogisticRegression(),
    )


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """Tones whose pitch gives the class, a numeric column that also does,
    a missing file in row 3 and a corrupt one in row 5."""
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 15)
    paths = []
    t = np.arange(SR // 4) / SR
    for i, label in enumerate(y):
        path = folder / f"clip_{i}.wav"
        tone = np.sin(2 * np.pi * (300 + 600 * label) * t)
        soundfile.write(path, (tone + 0.05 * rng.normal(size=t.size)) * 0.3, SR)
        paths.append(str(path))
    paths[3] = str(folder / "absent.wav")
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00not a wave file at all")
    paths[5] = str(folder / "corrupt.wav")
    X = pd.DataFrame({"sound": paths, "size": y + 0.8 * rng.normal(size=y.size)})
    return X, y


def _estimators(final=None, numeric_final=None):
    return [
        ("sound", _audio_pipeline(final), "sound"),
        ("size", numeric_final or LogisticRegression(), ["size"]),
    ]


def _unread_warnings(record):
    return [w for w in record if issubclass(w.category, UnreadableSampleWarning)]


@pytest.mark.parametrize("fusion", ["mean", "stacking"])
def test_unreadable_cells_are_missing_modalities(table, fusion):
    X, y = table
    late = LateFusionClassifier(_estimators(), fusion=fusion, cv=3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        late.fit(X, y)
    unread = _unread_warnings(record)
    # One warning, naming both rows and both paths.
    assert len(unread) == 1
    message = str(unread[0].message)
    for row in (3, 5):
        assert f"sample {row}" in message
        assert X["sound"][row] in message
    # The sound pipeline was fitted on the 28 readable clips only.
    assert late.named_estimators_["sound"][-1].n_features_in_ > 0
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        per_modality = late.predict_proba_per_modality(X)
    assert len(_unread_warnings(record)) == 1
    assert np.isnan(per_modality[0, [3, 5]]).all()
    assert not np.isnan(per_modality[0, np.r_[0:3, 4, 6:30]]).any()
    # Those rows are predicted by the other modality alone.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        proba = late.predict_proba(X)
    if fusion == "mean":
        np.testing.assert_allclose(proba[[3, 5]], per_modality[1, [3, 5]])
    assert proba.shape == (30, 2) and np.isfinite(proba).all()


def test_skip_missing_treats_unreadable_cells_as_missing(table):
    X, _ = table
    front = make_pipeline(
        AudioReader(sr=SR, on_error="missing"),
        MFCC(sr=SR, n_mfcc=8, n_fft=256, hop_length=128, n_mels=20),
    )
    cells = X["sound"].copy()
    cells[7] = None
    with pytest.warns(UnreadableSampleWarning) as record:
        out = SkipMissing(front).fit_transform(cells)
    assert len(_unread_warnings(record)) == 1
    assert "sample 3" in str(record[0].message)
    assert np.isnan(out[[3, 5, 7]]).all()
    assert not np.isnan(np.delete(out, [3, 5, 7], axis=0)).any()
    # The same numbers as the pipeline alone on the readable cells.
    readable = cells.drop(index=[3, 5, 7])
    np.testing.assert_array_equal(
        np.delete(out, [3, 5, 7], axis=0), front.fit_transform(readable)
    )


def test_mfcc_error_on_a_missing_clip_recommends_what_works():
    with pytest.raises(ValueError) as info:
        MFCC(sr=SR).fit_transform([np.zeros(SR), None])
    message = str(info.value)
    assert "LateFusionClassifier" in message and "SkipMissing" in message
    assert "stateless steps first" in message


@pytest.mark.parametrize("all_missing", ["raise", "prior"])
def test_row_without_any_modality(table, all_missing):
    X, y = table
    X = X.copy()
    X.loc[3, "size"] = np.nan  # row 3: file absent and no size
    late = LateFusionClassifier(_estimators(), all_missing=all_missing)
    if all_missing == "raise":
        with pytest.warns(UnreadableSampleWarning):
            with pytest.raises(ValueError, match=r"is missing in sample 3[;:]"):
                late.fit(X, y)
        return
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        late.fit(X, y)
    assert any("left out of the fit" in str(w.message) for w in record)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        proba = late.predict_proba(X)
        y_pred = late.predict(X)
    assert any("training prior" in str(w.message) for w in record)
    np.testing.assert_array_equal(proba[3], late.class_prior_)
    assert len(y_pred) == len(X)


def test_regressor_row_without_any_modality_gets_the_mean(table):
    X, y = table
    X = X.copy()
    X.loc[5, "size"] = np.nan
    late = LateFusionRegressor(_estimators(Ridge(), Ridge()), all_missing="prior")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        late.fit(X, y.astype(float))
        y_pred = late.predict(X)
    assert y_pred[5] == pytest.approx(y.mean())
    assert np.isfinite(y_pred).all()


def test_columns_by_name_may_be_reordered_or_extra(table):
    X, y = table
    late = LateFusionClassifier(_estimators())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        late.fit(X, y)
        expected = late.predict_proba(X)
        shuffled = X[["size", "sound"]].assign(other="x")
        np.testing.assert_array_equal(late.predict_proba(shuffled), expected)
        with pytest.raises(KeyError, match=r"needs column\(s\) \['size'\]"):
            late.predict(X[["sound"]])


def test_by_position_columns_must_keep_their_order():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 20)
    X = pd.DataFrame({"a": y + rng.normal(size=40), "b": rng.normal(size=40)})
    late = LateFusionClassifier(
        [("a", LogisticRegression(), [0]), ("b", LogisticRegression(), [1])]
    ).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        late.predict(X[["b", "a"]])


def test_group_splitter_without_groups_names_the_fix():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 15)
    X = pd.DataFrame({"a": y + rng.normal(size=30), "b": rng.normal(size=30)})
    groups = (np.arange(30) // 2) % 6
    late = LateFusionClassifier(
        [("a", LogisticRegression(), ["a"]), ("b", LogisticRegression(), ["b"])],
        weights="learn",
        cv=GroupKFold(3),
    )
    fix = (
        re.escape("enable_metadata_routing=True")
        + ".*"
        + re.escape("set_fit_request(groups=True)")
    )
    with pytest.raises(ValueError, match=fix):
        late.fit(X, y)
    search = GridSearchCV(late, {"a__C": [0.1, 1.0]}, cv=GroupKFold(2))
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            search.fit(X, y, groups=groups)
    # With routing, the groups reach the inner cross-validation.
    with config_context(enable_metadata_routing=True):
        search.fit(X, y, groups=groups)
    assert search.best_estimator_.weights_.shape == (2,)


def test_matching_treats_unreadable_cells_as_missing(table):
    X, y = table
    front = make_pipeline(
        AudioReader(sr=SR, on_error="missing"),
        MFCC(sr=SR, n_mfcc=8, n_fft=256, hop_length=128, n_mels=20),
        StandardScaler(),
    )
    matching = CorrelationMatching(
        [("sound", front, "sound"), ("size", "passthrough", ["size"])],
        cca=CrossModalCCA(n_components=1),
    )
    with pytest.warns(UnreadableSampleWarning) as record:
        matching.fit(X, y)
    assert len(_unread_warnings(record)) == 1
    assert "sample 3" in str(record[0].message)
    assert "sample 5" in str(record[0].message)
    assert matching.n_pairs_ == len(y) - 2
