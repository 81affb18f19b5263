"""MultimodalClassifier and MultimodalRegressor: one line from a table."""

import warnings

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.audio import Waveform
from skmm.cache import InMemoryCache
from skmm.compose import (
    MultimodalClassifier,
    MultimodalRegressor,
    make_default_pipeline,
)
from skmm.exceptions import UnreadableSampleWarning
from skmm.fusion import LateFusionClassifier

N = 24
SR = 16000


def _image(label, rng):
    image = (rng.uniform(0, 40, size=(40, 32, 3))).astype(np.uint8)
    if label:
        image[4:20, 4:28] = 255  # a bar on top
    else:
        image[:, 10:22] = 200  # a pillar
    return image


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """Captions, pictures, sounds, a number and a category; class 1 in odd
    rows. Row 2's picture is absent, row 4's corrupt."""
    folder = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(0)
    y = np.tile(["cat", "dog"], N // 2)
    t = np.arange(SR // 8) / SR
    images, sounds = [], []
    for i, label in enumerate(y == "dog"):
        path = folder / f"pic_{i}.png"
        cv2.imwrite(str(path), _image(label, rng))
        images.append(str(path))
        path = folder / f"clip_{i}.wav"
        tone = np.sin(2 * np.pi * (400 + 800 * label) * t) * 0.3
        soundfile.write(path, tone + 0.01 * rng.normal(size=t.size), SR)
        sounds.append(str(path))
    images[2] = str(folder / "absent.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    images[4] = str(folder / "corrupt.png")
    X = pd.DataFrame(
        {
            "caption": [
                f"a {'small' if lab == 'cat' else 'big'} animal number {i}"
                for i, lab in enumerate(y)
            ],
            "picture": images,
            "sound": sounds,
            "weight": (y == "dog") * 2.0 + rng.normal(size=N),
            "colour": rng.choice(["red", "blue"], size=N),
        }
    )
    return X, y


def _fit(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        return model.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def fitted(table):
    X, y = table
    return _fit(MultimodalClassifier(cv=3), X, y)


def test_one_line_infers_builds_and_fuses(table, fitted):
    X, y = table
    kinds = {column: info.kind for column, info in fitted.modalities_.items()}
    assert kinds == {
        "caption": "text",
        "picture": "image",
        "sound": "audio",
        "weight": "numeric",
        "colour": "categorical",
    }
    assert isinstance(fitted.model_, LateFusionClassifier)
    # numeric and categorical columns form one tabular modality
    assert list(fitted.model_.named_estimators_) == [
        "caption",
        "picture",
        "sound",
        "tabular",
    ]
    assert set(fitted.modality_scores_) == {"caption", "picture", "sound", "tabular"}
    assert fitted.model_.weights_.sum() == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        assert (fitted.predict(X) == y).mean() >= 0.9
    np.testing.assert_array_equal(fitted.classes_, ["cat", "dog"])


def test_bad_cells_get_a_documented_outcome(table, fitted):
    X, y = table
    bad = X.copy()
    bad["picture"] = bad["picture"].astype(object)
    bad.loc[6, "picture"] = None  # a None cell
    bad.at[8, "picture"] = []  # an empty list cell
    bad.loc[10, "colour"] = "green"  # a category unseen in fit
    bad.loc[12, "caption"] = None
    with pytest.warns(UnreadableSampleWarning) as record:
        proba = fitted.predict_proba(bad)
    unread = [w for w in record if issubclass(w.category, UnreadableSampleWarning)]
    # one warning naming the absent and the corrupt file
    assert len(unread) == 1
    assert "sample 2" in str(unread[0].message)
    assert "absent.png" in str(unread[0].message)
    assert "corrupt.png" in str(unread[0].message)
    # every row predicted, from its other modalities
    assert proba.shape == (N, 2) and np.isfinite(proba).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        per_modality = fitted.model_.predict_proba_per_modality(bad)
    assert np.isnan(per_modality[1, [2, 4, 6, 8]]).all()
    assert not np.isnan(per_modality[3, 10]).any()
    # a column absent at predict time: an error naming it
    with pytest.raises(KeyError, match="sound"):
        fitted.predict(bad.drop(columns="sound"))
    # columns in another order, and extra ones, are fine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        reordered = fitted.predict_proba(bad[bad.columns[::-1]].assign(extra=0))
    np.testing.assert_allclose(reordered, proba)


def test_a_row_without_any_modality(table):
    X, y = table
    X = X[["picture", "weight"]].copy()
    X.loc[4, "weight"] = np.nan  # row 4: corrupt picture, no weight
    with pytest.raises(ValueError, match="sample 4"):
        _fit(MultimodalClassifier(cv=3), X, y)
    with pytest.warns(UserWarning, match="left out of the fit"):
        model = _fit(MultimodalClassifier(cv=3, all_missing="prior"), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        with pytest.warns(UserWarning, match="training prior"):
            proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[4], [0.5, 0.5])


def test_pipelines_are_nested_parameters(table):
    X, y = table
    text = make_default_pipeline("text")
    model = MultimodalClassifier(pipelines={"caption": text}, cv=3)
    params = model.get_params()
    assert params["pipelines__caption"] is text
    assert params["pipelines__caption__clf__C"] == 10.0
    copy = clone(model)
    assert copy.pipelines["caption"] is not text
    copy.set_params(pipelines__caption__clf__C=0.5)
    assert copy.pipelines["caption"].named_steps["clf"].C == 0.5
    assert text.named_steps["clf"].C == 10.0
    with pytest.raises(ValueError, match="no pipeline is given for column 'sound'"):
        copy.set_params(pipelines__sound__clf__C=1.0)
    search = GridSearchCV(model, {"pipelines__caption__clf__C": [0.1, 10.0]}, cv=2)
    _fit(search, X[["caption", "weight"]], y)
    fitted_text = search.best_estimator_.model_.named_estimators_["caption"]
    assert (
        fitted_text.named_steps["clf"].C
        == search.best_params_["pipelines__caption__clf__C"]
    )


def test_override_a_column_with_any_classifier(table):
    X, y = table
    numbers = make_pipeline(StandardScaler(), LogisticRegression(C=0.1))
    model = _fit(
        MultimodalClassifier(pipelines={"tabular": numbers}, fusion="mean"),
        X[["caption", "weight"]],
        y,
    )
    assert model.model_.named_estimators_["tabular"][-1].C == 0.1
    assert model.modality_scores_ is None  # a fixed rule: no inner cv


@pytest.mark.parametrize("fusion", ["stacking", "early", "weighted_mean", "product"])
def test_other_fusions(table, fusion):
    X, y = table
    X = X[["caption", "picture", "weight"]]
    model = _fit(MultimodalClassifier(fusion=fusion, cv=3), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        y_pred = model.predict(X)
    assert (y_pred == y).mean() >= 0.9
    if fusion == "weighted_mean":
        # learned weights of the arithmetic mean
        assert model.model_.fusion == "weighted" and model.model_.weights is None
        assert model.model_.weights_.sum() == pytest.approx(1.0)


def test_default_fusion_is_the_product_with_learned_weights(fitted):
    # "weighted": the weighted geometric mean, weights learned out of fold.
    assert fitted.model_.fusion == "product" and fitted.model_.weights == "learn"
    assert fitted.model_.weights_.min() >= 0


def test_grouped_grid_search(table):
    X, y = table
    X = X[["caption", "weight"]]
    groups = (np.arange(N) // 2) % 6
    model = MultimodalClassifier(cv=GroupKFold(3))
    search = GridSearchCV(model, {"fusion": ["weighted", "stacking"]}, cv=GroupKFold(2))
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            search.fit(X, y, groups=groups)
    with config_context(enable_metadata_routing=True):
        search.fit(X, y, groups=groups)
    assert search.best_estimator_.model_.weights_.shape == (2,)


def test_verbose_says_what_it_built(table, capsys):
    X, y = table
    _fit(MultimodalClassifier(verbose=1, fusion="mean"), X[["caption", "weight"]], y)
    err = capsys.readouterr().err
    assert "column 'caption': text" in err
    assert "modality 'tabular': ColumnTransformer > LogisticRegression" in err


def test_regressor(table):
    X, y = table
    target = (y == "dog") * 3.0 + X["weight"].to_numpy()
    model = _fit(MultimodalRegressor(cv=3), X[["caption", "weight"]], target)
    assert model.score(X[["caption", "weight"]], target) > 0.9
    assert set(model.modality_scores_) == {"caption", "tabular"}


def test_list_cells(table):
    X, y = table
    readable = [i for i in range(N) if i not in (2, 4)]
    cells = []
    for i, label in enumerate(y):
        same = [X["picture"][j] for j in readable if y[j] == label]
        cells.append(same[i % 3 : i % 3 + 1 + i % 2])  # one or two pictures
    cells[6] = []  # an empty list: a missing cell
    X = pd.DataFrame({"picture": cells, "weight": X["weight"]})
    model = _fit(MultimodalClassifier(cv=3), X, y)
    assert model.modalities_["picture"].multi
    picture = model.model_.named_estimators_["picture"]
    assert type(picture.steps[0][1]).__name__ == "PerItem"
    proba = model.model_.predict_proba_per_modality(X)
    assert np.isnan(proba[0, 6]).all()
    assert not np.isnan(np.delete(proba[0], 6, axis=0)).any()
    assert (model.predict(X) == y).mean() >= 0.9


@pytest.mark.parametrize("seconds", [0.02, 0.1, 2.0])
def test_default_audio_pipeline_takes_short_and_long_clips(seconds):
    # The duration policy: any clip of at least one frame gets pooled MFCC
    # statistics with deltas (nearest-frame padding), short sounds included.
    rng = np.random.default_rng(0)
    n = int(16000 * seconds)
    clips = [
        Waveform(rng.normal(size=n) * (1 + label), sr=16000) for label in (0, 1) * 4
    ]
    y = np.array([0, 1] * 4)
    pipeline = make_default_pipeline("audio").fit(clips, y)
    assert pipeline.predict_proba(clips).shape == (8, 2)
    features = make_default_pipeline("audio", features_only=True).fit_transform(clips)
    assert np.isfinite(features).all() and features.shape == (8, 80)


def test_files_are_read_once_across_folds_and_clones(table, monkeypatch):
    # memory="auto" (an in-process store shared by clones): an outer
    # cross-validation decodes each picture once; None decodes it in every
    # fit and predict. The predictions are the same.
    from sklearn.model_selection import cross_val_predict

    import skmm.image._reader as reader_module

    X, y = table
    X = X[["caption", "picture"]]
    decoded = []
    decode = reader_module._decode

    def counting(path, where, color):
        decoded.append(path)
        return decode(path, where, color)

    monkeypatch.setattr(reader_module, "_decode", counting)
    predictions = {}
    for memory in (None, InMemoryCache()):
        decoded.clear()
        model = MultimodalClassifier(cv=2, memory=memory)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreadableSampleWarning)
            predictions[memory is None] = cross_val_predict(model, X, y, cv=3)
        readable = [p for p in X["picture"] if "absent" not in p]
        counts = {p: decoded.count(p) for p in readable}
        if memory is None:
            assert min(counts.values()) >= 3  # two training fits and a test
        else:
            # Once, but the corrupt file is tried again (not cached).
            assert {p: n for p, n in counts.items() if "corrupt" not in p} == {
                p: 1 for p in readable if "corrupt" not in p
            }
    np.testing.assert_array_equal(predictions[True], predictions[False])


def test_a_column_of_which_nothing_reads_says_why(table):
    X, y = table
    X = X[["caption", "picture"]].copy()
    # Float arrays with levels 0..16, which 8-bit pixels would clip white.
    levels = np.random.default_rng(0).integers(0, 17, size=(len(X), 8, 8)) * 1.0
    bad = X.assign(picture=list(levels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableSampleWarning)
        with pytest.raises(ValueError, match=r"'picture'.*None of the \d+ samples"):
            MultimodalClassifier(cv=2).fit(bad, y)
    # At predict time they are missing pictures: the captions predict them.
    model = MultimodalClassifier(cv=2).fit(X.assign(picture=list(levels / 16)), y)
    with pytest.warns(UnreadableSampleWarning, match=r"\[0, 1\]"):
        predicted = model.predict(bad)
    np.testing.assert_array_equal(
        predicted, model.model_.named_estimators_["caption"].predict(X["caption"])
    )
