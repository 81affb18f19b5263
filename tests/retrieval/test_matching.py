import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skmm.retrieval import (
    CorrelationMatching,
    CrossModalCCA,
    SemanticCorrelationMatching,
    SemanticMatching,
    make_retrieval_scorer,
    retrieve,
)

A, B = slice(0, 5), slice(5, 9)


def _table(n_per_class=30, n_classes=4, noise=0.6, seed=0):
    """Two modalities (columns 0-4 and 5-8) that share a class structure."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = rng.normal(size=(n_classes, 3))[y]
    X = np.hstack(
        [centres @ rng.normal(size=(3, 5)), centres @ rng.normal(size=(3, 4))]
    )
    X += noise * rng.normal(size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _cm(**kwargs):
    return CorrelationMatching(
        [("a", "passthrough", A), ("b", "passthrough", B)], **kwargs
    )


def _sm(**kwargs):
    return SemanticMatching(
        [("a", LogisticRegression(), A), ("b", GaussianNB(), B)], **kwargs
    )


def _scm(**kwargs):
    return SemanticCorrelationMatching(
        [("a", "passthrough", A), ("b", "passthrough", B)], **kwargs
    )


def _map_reference(Q, D, query_labels, database_labels, metric):
    """MAP from scikit-learn's average_precision_score, query by query."""
    scores = (
        -np.array([[np.linalg.norm(q - d) for d in D] for q in Q])
        if metric == "euclidean"
        else None
    )
    if metric == "cosine":
        Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        Dn = D / np.linalg.norm(D, axis=1, keepdims=True)
        scores = Qn @ Dn.T
    # Ties are rare with continuous scores; break them by database order as
    # the ranking does, so both see the same order.
    ranking, _ = retrieve(Q, D, metric=metric)
    aps = []
    for i, row in enumerate(ranking):
        relevant = database_labels[row] == query_labels[i]
        if not relevant.any():
            aps.append(0.0)
            continue
        # Strictly decreasing pseudo-scores give the ranking's order.
        aps.append(average_precision_score(relevant, -np.arange(len(row))))
        if scores is not None:
            # The ranking sorts the reference scores.
            assert np.all(np.diff(scores[i][row]) <= 1e-12)
    return np.mean(aps)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_correlation_matching_is_cca_then_retrieve(seed, metric):
    X, y = _table(seed=seed)
    train, test = slice(0, 80), slice(80, None)
    cm = _cm(cca=CrossModalCCA(n_components=3, reg=0.01), metric=metric)
    cm.fit(X[train], y[train])
    cca = CrossModalCCA(n_components=3, reg=0.01).fit(X[train, A], X[train, B])
    np.testing.assert_allclose(cm.embed(X[test, A], "a"), cca.transform(X[test, A]))
    np.testing.assert_allclose(cm.embed(X[test, B], "b"), cca.transform_y(X[test, B]))
    ranking, scores = cm.retrieve(X[test, B], X[test, A], query_modality="b", k=7)
    expected = cca.retrieve(
        X[test, B], X[test, A], direction="y_to_x", k=7, metric=metric
    )
    np.testing.assert_array_equal(ranking, expected[0])
    np.testing.assert_allclose(scores, expected[1])
    # score: MAP against scikit-learn's average precision, each direction.
    Qa, Qb = cca.transform(X[test, A]), cca.transform_y(X[test, B])
    yt = y[test]
    ab = _map_reference(Qa, Qb, yt, yt, metric)
    ba = _map_reference(Qb, Qa, yt, yt, metric)
    assert cm.score(X[test], yt, query_modality="a") == pytest.approx(ab)
    assert cm.score(X[test], yt, query_modality="b") == pytest.approx(ba)
    assert cm.score(X[test], yt) == pytest.approx((ab + ba) / 2)
    assert cm.n_pairs_ == 80


@pytest.mark.parametrize("seed", [0, 1])
def test_semantic_matching_is_posteriors_then_retrieve(seed):
    X, y = _table(seed=seed)
    sm = _sm(metric="correlation").fit(X[:80], y[:80])
    lr = LogisticRegression().fit(X[:80, A], y[:80])
    nb = GaussianNB().fit(X[:80, B], y[:80])
    np.testing.assert_allclose(sm.embed(X[80:, A]), lr.predict_proba(X[80:, A]))
    np.testing.assert_allclose(
        sm.embed(X[80:, B], modality="b"), nb.predict_proba(X[80:, B])
    )
    ranking, scores = sm.retrieve(X[80:, A], X[80:, B])
    expected = retrieve(
        lr.predict_proba(X[80:, A]),
        nb.predict_proba(X[80:, B]),
        metric="correlation",
    )
    np.testing.assert_array_equal(ranking, expected[0])
    np.testing.assert_allclose(scores, expected[1])
    assert set(sm.named_estimators_) == {"a", "b"}
    # Fitted on clones: the given estimators stay unfitted.
    assert not hasattr(sm.estimators[0][1], "coef_")


@pytest.mark.parametrize("shared", [False, True])
def test_semantic_correlation_matching_is_cca_then_classifier(shared):
    X, y = _table(seed=3)
    cca = CrossModalCCA(n_components=3, reg=0.01)
    scm = _scm(
        cca=cca, classifier=LogisticRegression(C=0.5), shared_classifier=shared
    ).fit(X[:80], y[:80])
    fitted = CrossModalCCA(n_components=3, reg=0.01).fit(X[:80, A], X[:80, B])
    Za, Zb = fitted.transform(X[:80, A]), fitted.transform_y(X[:80, B])
    if shared:
        clf = LogisticRegression(C=0.5).fit(np.vstack([Za, Zb]), np.tile(y[:80], 2))
        clf_a = clf_b = clf
        assert scm.classifiers_[0] is scm.classifiers_[1]
    else:
        clf_a = LogisticRegression(C=0.5).fit(Za, y[:80])
        clf_b = LogisticRegression(C=0.5).fit(Zb, y[:80])
    np.testing.assert_allclose(
        scm.embed(X[80:, A], "a"),
        clf_a.predict_proba(fitted.transform(X[80:, A])),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        scm.embed(X[80:, B], "b"),
        clf_b.predict_proba(fitted.transform_y(X[80:, B])),
        rtol=1e-6,
    )
    out = scm.transform(X[80:])
    assert out.shape == (40, 8)
    assert list(scm.get_feature_names_out())[:2] == ["a__0", "a__1"]


def test_matching_beats_random_on_held_out():
    X, y = _table(seed=4, n_per_class=60)
    rng = np.random.default_rng(0)
    chance = np.mean(
        [average_precision_score(y == c, rng.random(len(y))) for c in y[:50]]
    )
    for est in (_cm(cca=CrossModalCCA(3)), _sm(), _scm(cca=CrossModalCCA(3))):
        est.fit(X[:160], y[:160])
        assert est.score(X[160:], y[160:]) > chance + 0.3


def test_transform_stacks_both_modalities_with_nan_for_missing():
    X, y = _table(seed=5)
    cm = _cm(cca=CrossModalCCA(n_components=2)).fit(X, y)
    X_missing = X.copy()
    X_missing[3, A] = np.nan
    X_missing[7, B] = np.nan
    out = cm.transform(X_missing)
    full = cm.transform(X)
    assert out.shape == (120, 4)
    assert np.isnan(out[3, :2]).all() and not np.isnan(out[3, 2:]).any()
    assert np.isnan(out[7, 2:]).all() and not np.isnan(out[7, :2]).any()
    keep = np.ones(120, dtype=bool)
    keep[[3, 7]] = False
    np.testing.assert_allclose(out[keep], full[keep])
    np.testing.assert_allclose(out[3, 2:], full[3, 2:])


def test_missing_modalities_in_fit_and_score():
    X, y = _table(seed=6)
    X_missing = X.copy()
    X_missing[:20, B] = np.nan  # rows 0-19 hold only modality a
    X_missing[20:30, A] = np.nan  # rows 20-29 hold only modality b
    cm = _cm(cca=CrossModalCCA(n_components=2)).fit(X_missing, y)
    assert cm.n_pairs_ == 90
    ref = CrossModalCCA(n_components=2).fit(X[30:, A], X[30:, B])
    np.testing.assert_allclose(cm.cca_.x_weights_, ref.x_weights_)
    # Semantic matching needs no pairs: each classifier sees its own rows.
    sm = _sm().fit(X_missing, y)
    rows_a = np.r_[0:20, 30:120]
    lr = LogisticRegression().fit(X[rows_a][:, A], y[rows_a])
    np.testing.assert_allclose(sm.estimators_[0].coef_, lr.coef_)
    nb = GaussianNB().fit(X[20:, B], y[20:])
    np.testing.assert_allclose(sm.estimators_[1].theta_, nb.theta_)
    # score uses, on each side, the rows that hold that side's modality.
    Qa = sm.embed(np.vstack([X[:20, A], X[30:, A]]), "a")
    Db = sm.embed(X[20:, B], "b")
    ranking, _ = retrieve(Qa, Db)
    from skmm.metrics import mean_average_precision

    expected = mean_average_precision(np.r_[y[:20], y[30:]], y[20:], ranking=ranking)
    assert sm.score(X_missing, y, query_modality="a") == pytest.approx(expected)


def test_class_absent_from_one_modality_gets_zero_posterior():
    X, y = _table(seed=7)
    X_missing = X.copy()
    X_missing[y == 3, B] = np.nan  # modality b never sees class 3
    sm = _sm().fit(X_missing, y)
    np.testing.assert_array_equal(sm.classes_, [0, 1, 2, 3])
    posteriors = sm.embed(X[:5, B], "b")
    assert posteriors.shape == (5, 4)
    np.testing.assert_array_equal(posteriors[:, 3], 0.0)
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0)


def test_dataframe_with_raw_modalities():
    """Images and sounds in object columns, each through its own pipeline."""
    from skmm.audio import MFCC
    from skmm.image import HOG

    rng = np.random.default_rng(0)
    n_classes, per_class, sr = 3, 12, 8000
    y = np.repeat(np.arange(n_classes), per_class)
    images, sounds = [], []
    t = np.arange(int(0.25 * sr)) / sr
    yy, xx = np.mgrid[:32, :32]
    for label in y:
        angle = label * np.pi / n_classes + 0.1 * rng.normal()
        stripes = np.sin(0.6 * (xx * np.cos(angle) + yy * np.sin(angle)))
        images.append((stripes + 0.3 * rng.normal(size=(32, 32))).astype(np.float32))
        tone = np.sin(2 * np.pi * (300 + 500 * label) * t)
        sounds.append((tone + 0.2 * rng.normal(size=t.size)).astype(np.float32))
    frame = pd.DataFrame({"image": images, "audio": sounds})
    image_pipe = make_pipeline(
        HOG(pixels_per_cell=(8, 8)), StandardScaler(), LogisticRegression()
    )
    audio_pipe = make_pipeline(
        MFCC(sr=sr, n_mfcc=13, n_fft=512, hop_length=128),
        StandardScaler(),
        LogisticRegression(),
    )
    sm = SemanticMatching(
        [("image", image_pipe, "image"), ("audio", audio_pipe, "audio")]
    ).fit(frame.iloc[::2], y[::2])
    assert sm.score(frame.iloc[1::2], y[1::2]) > 0.9
    ranking, _ = sm.retrieve(
        frame["audio"].iloc[1::2],
        frame["image"].iloc[1::2],
        query_modality="audio",
        k=3,
    )
    assert np.mean(y[1::2][ranking] == y[1::2][:, None]) > 0.9
    # The same modalities through CCA: features by transformers.
    cm = CorrelationMatching(
        [
            (
                "image",
                make_pipeline(HOG(pixels_per_cell=(8, 8)), StandardScaler()),
                "image",
            ),
            (
                "audio",
                make_pipeline(
                    MFCC(sr=sr, n_mfcc=13, n_fft=512, hop_length=128), StandardScaler()
                ),
                "audio",
            ),
        ],
        cca=CrossModalCCA(n_components=2, reg=0.1),
        metric="euclidean",
    ).fit(frame.iloc[::2], y[::2])
    assert cm.score(frame.iloc[1::2], y[1::2]) > 0.6
    assert list(cm.named_transformers_) == ["image", "audio"]
    assert cm.feature_names_in_.tolist() == ["image", "audio"]


def test_grid_search_with_retrieval_scorer():
    X, y = _table(seed=8, n_per_class=40)
    sm = SemanticMatching(
        [
            ("a", make_pipeline(StandardScaler(), LogisticRegression()), A),
            ("b", LogisticRegression(), B),
        ]
    )
    grid = {"a__logisticregression__C": [1e-4, 1.0], "metric": ["cosine", "dot"]}
    search = GridSearchCV(sm, grid, scoring=make_retrieval_scorer("a"), cv=3).fit(X, y)
    # A tiny C flattens modality a's posteriors: never the best.
    assert search.best_params_["a__logisticregression__C"] == 1.0
    assert search.best_estimator_.estimators_[0][-1].C == 1.0
    # Precision and recall at k as scorers.
    for measure in ("precision", "recall"):
        scorer = make_retrieval_scorer(measure=measure, k=5)
        value = scorer(search.best_estimator_, X, y)
        assert 0.0 < value <= 1.0
    p_at_5 = make_retrieval_scorer("b", measure="precision", k=5)(
        search.best_estimator_, X, y
    )
    ranking, _ = search.best_estimator_.retrieve(
        X[:, B], X[:, A], query_modality="b", k=5
    )
    assert p_at_5 == pytest.approx(np.mean(y[ranking] == y[:, None]))
    # The default score (both directions) drives a search over the CCA too.
    search = GridSearchCV(
        _scm(), {"cca": [CrossModalCCA(1), CrossModalCCA(3)]}, cv=3
    ).fit(X, y)
    assert search.best_estimator_.cca_.n_components in (1, 3)


def test_get_and_set_params():
    sm = _sm()
    params = sm.get_params()
    assert params["a"] is sm.estimators[0][1]
    assert "a__C" in params
    sm.set_params(a__C=0.3, metric="dot")
    assert sm.estimators[0][1].C == 0.3 and sm.estimators[0][2] == A
    scm = _scm(cca=CrossModalCCA(2))
    assert "cca__reg" in scm.get_params()
    scm.set_params(b=StandardScaler())
    assert isinstance(scm.transformers[1][1], StandardScaler)


def test_bad_input():
    X, y = _table()
    with pytest.raises(ValueError, match="exactly two modalities"):
        SemanticMatching([("a", LogisticRegression(), A)]).fit(X, y)
    with pytest.raises(ValueError, match="exactly two modalities"):
        CorrelationMatching(
            [("a", "passthrough", A), ("b", "passthrough", B), ("c", "passthrough", B)]
        ).fit(X, y)
    with pytest.raises(TypeError, match="'b'.*predict_proba"):
        SemanticMatching([("a", LogisticRegression(), A), ("b", LinearSVC(), B)]).fit(
            X, y
        )
    with pytest.raises(TypeError, match="'b'.*transform"):
        CorrelationMatching(
            [("a", "passthrough", A), ("b", LogisticRegression(), B)]
        ).fit(X, y)
    with pytest.raises(ValueError, match="list of \\(name, estimator, column\\)"):
        SemanticMatching([LogisticRegression(), GaussianNB()]).fit(X, y)
    with pytest.raises(ValueError, match="120 samples but y has 119"):
        _sm().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Unknown label type"):
        _sm().fit(X, np.linspace(0, 1, 120))
    with pytest.raises(ValueError, match="n_components=6 must be at most"):
        _cm(cca=CrossModalCCA(n_components=6)).fit(X, y)
    X_unpaired = X.copy()
    X_unpaired[60:, A] = np.nan
    X_unpaired[:59, B] = np.nan  # only sample 59 holds both
    with pytest.raises(ValueError, match="Only 1 sample"):
        _cm(cca=CrossModalCCA(2)).fit(X_unpaired, y)
    X_one_class = X.copy()
    X_one_class[y != 0, A] = np.nan
    with pytest.raises(ValueError, match="'a' has samples of only one class"):
        _sm().fit(X_one_class, y)
    X_empty = X.copy()
    X_empty[4] = np.nan
    with pytest.raises(ValueError, match="is missing in sample 4"):
        _sm().fit(X_empty, y)
    with pytest.raises(ValueError, match="metric"):
        _cm(metric="hamming").fit(X, y)

    cm = _cm(cca=CrossModalCCA(2)).fit(X, y)
    with pytest.raises(ValueError, match="Unknown modality 'c'.*'a' and 'b'"):
        cm.retrieve(X[:, A], X[:, B], query_modality="c")
    with pytest.raises(ValueError, match="Y has 5 features"):
        # Queries of modality a against a database given as modality a.
        cm.retrieve(X[:, A], X[:, A], query_modality="a")
    with pytest.raises(ValueError, match="9 features"):
        cm.transform(X[:, :8])
    with pytest.raises(ValueError, match="NaN"):
        cm.embed(np.full((2, 5), np.nan), "a")
    with pytest.raises(ValueError, match="measure"):
        make_retrieval_scorer(measure="ndcg")
    with pytest.raises(ValueError, match="k must be a positive int"):
        make_retrieval_scorer(measure="precision", k=0)


# -- feature names, empty input, each pipeline run once ---------------------------


@pytest.mark.parametrize("make", [_cm, _sm, _scm], ids=["CM", "SM", "SCM"])
def test_feature_names_count_the_transform_columns(make):
    X, y = _table()
    kwargs = {} if make is _sm else {"cca": CrossModalCCA(n_components=3)}
    matching = make(**kwargs).fit(X, y)
    names = matching.get_feature_names_out()
    assert len(names) == matching.transform(X).shape[1]
    assert names[0] == "a__0" and names[-1].startswith("b__")


@pytest.mark.parametrize("make", [_cm, _sm, _scm], ids=["CM", "SM", "SCM"])
def test_empty_input_gives_an_empty_output_of_the_right_width(make):
    X, y = _table()
    kwargs = {} if make is _sm else {"cca": CrossModalCCA(n_components=3)}
    matching = make(**kwargs).fit(X, y)
    n_dims = len(matching.get_feature_names_out()) // 2
    empty = pd.DataFrame(X).iloc[:0]
    assert matching.transform(empty).shape == (0, 2 * n_dims)
    assert matching.embed(X[:0, A], modality="a").shape == (0, n_dims)
    assert matching.embed([], modality="b").shape == (0, n_dims)
    with pytest.raises(ValueError, match="0 sample"):
        matching.retrieve(X[:0, A], X[:, B], query_modality="a")
    with pytest.raises(ValueError, match="0 sample"):
        matching.transform(np.zeros((0, 9)))


class CountingScaler(StandardScaler):
    """A StandardScaler that counts the samples its transform sees."""

    seen = 0

    def transform(self, X, copy=None):
        type(self).seen += len(X)
        return super().transform(X, copy=copy)


@pytest.mark.parametrize("make_matching", ["CM", "SM", "SCM"])
def test_each_modality_pipeline_runs_once_per_fit_and_score(make_matching):
    X, y = _table()
    X[:10, A] = np.nan  # modality a missing in ten samples
    if make_matching == "SM":
        matching = SemanticMatching(
            [
                ("a", make_pipeline(CountingScaler(), LogisticRegression()), A),
                ("b", GaussianNB(), B),
            ]
        )
    else:
        cls = {"CM": CorrelationMatching, "SCM": SemanticCorrelationMatching}
        matching = cls[make_matching](
            [("a", CountingScaler(), A), ("b", "passthrough", B)],
            cca=CrossModalCCA(n_components=3),
        )
    CountingScaler.seen = 0
    matching.fit(X, y)
    n_present = len(y) - 10
    assert CountingScaler.seen == n_present
    CountingScaler.seen = 0
    matching.score(X, y)  # both directions: a queries b, b queries a
    assert CountingScaler.seen == n_present
