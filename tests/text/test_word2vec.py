"""Word2VecVectorizer against plain reference loops over gensim's vectors."""

import pickle
import string
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors
from gensim.models.fasttext import load_facebook_vectors
from gensim.test.utils import datapath
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.exceptions import EmptyDocumentWarning
from skmm.text import Word2VecVectorizer

POOLINGS = ["mean", "tfidf", "max", ["mean", "max"]]
SEEDS = [0, 1, 2]


def _vocabulary(rng, n_words):
    """Distinct random lowercase words of 3 to 8 letters."""
    letters = np.array(list(string.ascii_lowercase))
    words = set()
    while len(words) < n_words:
        words.add("".join(rng.choice(letters, size=rng.integers(3, 9))))
    return sorted(words)


def _documents(rng, vocabulary, n_documents, max_length=25):
    return [
        " ".join(rng.choice(vocabulary, size=rng.integers(1, max_length)))
        for _ in range(n_documents)
    ]


def _corpus(seed, n_words=80):
    """Training and test documents; the test ones hold words never trained."""
    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary(rng, n_words + 10)
    seen, unseen = vocabulary[:n_words], vocabulary[n_words:]
    train = _documents(rng, seen, 60)
    test = _documents(rng, seen, 30) + _documents(rng, seen + unseen, 10)
    test.append(" ".join(unseen[:3]))  # only unseen words
    return train, test


def _idf_reference(train, word):
    """scikit-learn's smooth IDF: log((1 + n) / (1 + df)) + 1."""
    analyzer = CountVectorizer().build_analyzer()
    df = sum(word in set(analyzer(document)) for document in train)
    return np.log((1 + len(train)) / (1 + df)) + 1


def _reference(vec, train, documents, pooling):
    """Pool ``vec.wv_[word]`` over each document's words in a plain loop."""
    analyzer = CountVectorizer().build_analyzer()
    wv = vec.wv_
    rows = []
    for document in documents:
        words = [w for w in analyzer(document) if w in wv]
        if not words:
            rows.append(np.zeros(wv.vector_size))
            continue
        vectors = np.array([wv[w] for w in words], dtype=np.float64)
        if pooling == "mean":
            rows.append(np.mean(vectors, axis=0))
        elif pooling == "max":
            rows.append(np.max(vectors, axis=0))
        else:
            idf = np.array([_idf_reference(train, w) for w in words])
            rows.append(np.average(vectors, axis=0, weights=idf))
    return np.array(rows)


@pytest.mark.parametrize("model", ["word2vec", "fasttext"])
@pytest.mark.parametrize("pooling", POOLINGS, ids=str)
@pytest.mark.parametrize("seed", SEEDS)
def test_pooling_matches_reference_loop(model, pooling, seed):
    train, test = _corpus(seed)
    vec = Word2VecVectorizer(
        model=model, vector_size=12, min_count=1, pooling=pooling, random_state=seed
    ).fit(train)
    if model == "word2vec":
        with pytest.warns(EmptyDocumentWarning, match="1 of 41 documents"):
            result = vec.transform(test)
    else:
        result = vec.transform(test)
    poolings = [pooling] if isinstance(pooling, str) else pooling
    expected = np.hstack([_reference(vec, train, test, p) for p in poolings])
    assert result.shape == (len(test), 12 * len(poolings))
    assert vec.n_features_out_ == result.shape[1]
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_idf_matches_scikit_learn(seed):
    train, _ = _corpus(seed)
    vec = Word2VecVectorizer(
        vector_size=8, min_count=1, pooling="tfidf", random_state=0
    ).fit(train)
    tfidf = TfidfVectorizer(smooth_idf=True).fit(train)
    shared = sorted(set(tfidf.vocabulary_) & set(vec.wv_.key_to_index))
    assert len(shared) == len(tfidf.vocabulary_) == len(vec.wv_)
    ours = vec.idf_[[vec.wv_.key_to_index[w] for w in shared]]
    theirs = tfidf.idf_[[tfidf.vocabulary_[w] for w in shared]]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_fasttext_gives_unseen_words_their_subword_vectors():
    train, _ = _corpus(0)
    vec = Word2VecVectorizer(
        model="fasttext", vector_size=8, min_count=1, random_state=0
    ).fit(train)
    words = ["neverseenword", "qwertyzx"]
    assert not any(w in vec.wv_.key_to_index for w in words)
    out = vec.transform(words)
    for row, word in zip(out, words, strict=True):
        assert np.abs(row).sum() > 0
        np.testing.assert_allclose(row, vec.wv_.get_vector(word), atol=1e-6)
    # An unseen word counts as one more token of the mean.
    known = train[0].split()[0]
    np.testing.assert_allclose(
        vec.transform([f"{known} neverseenword"])[0],
        (vec.wv_[known] + vec.wv_.get_vector("neverseenword")) / 2,
        atol=1e-6,
    )


def test_word2vec_drops_unseen_words():
    train, _ = _corpus(0)
    vec = Word2VecVectorizer(vector_size=8, min_count=1, random_state=0).fit(train)
    known = train[0].split()[0]
    with pytest.warns(EmptyDocumentWarning, match="1 of 3 documents"):
        out = vec.transform(
            ["neverseenword", f"neverseenword {known}", f"{known} qwertyzx {known}"]
        )
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_allclose(out[1], vec.wv_[known], atol=1e-6)
    np.testing.assert_allclose(out[2], vec.wv_[known], atol=1e-6)


def test_pretrained_word2vec_text_file():
    path = datapath("lee_fasttext.vec")
    reference = KeyedVectors.load_word2vec_format(path)
    vec = Word2VecVectorizer(pretrained=path).fit(["ignored"])
    assert len(vec.wv_) == len(reference)
    assert vec.n_features_out_ == reference.vector_size
    np.testing.assert_allclose(
        vec.transform(["The government"])[0],
        (reference["the"] + reference["government"]) / 2,
        atol=1e-6,
    )
    # An explicit binary=False reads the same file the same way.
    explicit = Word2VecVectorizer(pretrained=path, binary=False).fit(["x"])
    np.testing.assert_array_equal(
        explicit.transform(["the government"]), vec.transform(["the government"])
    )


def test_pretrained_fasttext_bin():
    path = datapath("lee_fasttext.bin")
    reference = load_facebook_vectors(path)
    vec = Word2VecVectorizer(model="fasttext", pretrained=path).fit(["ignored"])
    out = vec.transform(["the qwertyuiop"])
    assert np.abs(vec.transform(["qwertyuiop"])).sum() > 0
    np.testing.assert_allclose(
        out[0],
        (reference["the"] + reference.get_vector("qwertyuiop")) / 2,
        atol=1e-5,
    )


def test_pretrained_keyed_vectors_object():
    rng = np.random.default_rng(0)
    kv = KeyedVectors(6)
    kv.add_vectors(["alpha", "beta", "gamma"], rng.standard_normal((3, 6)))
    vec = Word2VecVectorizer(pretrained=kv, pooling=["mean", "max"]).fit(["x"])
    assert vec.wv_ is kv
    out = vec.transform(["alpha gamma delta"])
    np.testing.assert_allclose(out[0, :6], (kv["alpha"] + kv["gamma"]) / 2, atol=1e-6)
    np.testing.assert_allclose(
        out[0, 6:], np.maximum(kv["alpha"], kv["gamma"]), atol=1e-6
    )


def test_pretrained_missing_path():
    with pytest.raises(FileNotFoundError, match="not found"):
        Word2VecVectorizer(pretrained="/nonexistent/vectors.txt").fit(["x"])


def test_random_state_makes_fit_deterministic():
    train, test = _corpus(5)

    def run(seed, model="word2vec"):
        vec = Word2VecVectorizer(
            model=model, vector_size=8, min_count=1, random_state=seed
        ).fit(train)
        return vec.wv_.vectors.copy(), vec.transform(test[:30])

    for model in ("word2vec", "fasttext"):
        first, second, other = run(0, model), run(0, model), run(1, model)
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])
        assert not np.allclose(first[1], other[1])


@pytest.fixture(scope="module")
def fitted():
    train, _ = _corpus(0)
    return Word2VecVectorizer(vector_size=8, min_count=1, random_state=0).fit(train)


def test_non_string_names_its_index(fitted):
    with pytest.raises(TypeError, match=r"sample 1 is of type int"):
        fitted.transform(["abc", 5])
    with pytest.raises(TypeError, match=r"sample 2 is of type bytes"):
        fitted.transform(["abc", "def", b"ghi"])


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_missing_document_names_its_index(fitted, missing):
    with pytest.raises(ValueError, match=r"sample 2 is a missing value"):
        fitted.transform(["abc", "def", missing])
    with pytest.raises(ValueError, match=r"sample 0 is a missing value"):
        Word2VecVectorizer(min_count=1).fit([missing, "abc"])


def test_series_with_custom_index_names_the_label(fitted):
    series = pd.Series(["abc", None], index=["first", "second"])
    with pytest.raises(ValueError, match=r"sample 1 \(index label 'second'\).*missing"):
        fitted.transform(series)
    series = pd.Series(["abc", 3.5], index=[10, 20])
    with pytest.raises(TypeError, match=r"sample 1 \(index label 20\).*float"):
        fitted.transform(series)
    frame = pd.DataFrame({"text": ["abc", "def", None]}, index=[7, 8, 9])
    with pytest.raises(ValueError, match=r"index label 9"):
        fitted.transform(frame)


def test_single_string_raises(fitted):
    with pytest.raises(ValueError, match="string object received"):
        fitted.transform("abc def")
    with pytest.raises(ValueError, match="string object received"):
        Word2VecVectorizer(min_count=1).fit("abc def")


def test_empty_string_gives_zero_row_and_one_warning(fitted):
    known = fitted.wv_.index_to_key[0]
    with pytest.warns(EmptyDocumentWarning, match="2 of 4 documents") as record:
        out = fitted.transform(["", known, "  ", f"{known}!"])
    assert len(record) == 1
    np.testing.assert_array_equal(out[[0, 2]], 0)
    np.testing.assert_allclose(out[1], fitted.wv_[known], atol=1e-6)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("pooling", ["median", [], ["mean", "median"]], ids=str)
def test_bad_pooling_raises(pooling):
    train, _ = _corpus(0)
    with pytest.raises(ValueError, match="pooling"):
        Word2VecVectorizer(pooling=pooling, min_count=1).fit(train)


def _labelled(seed=7, n_documents=80):
    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary(rng, 60)
    documents = _documents(rng, vocabulary, n_documents)
    y = np.array([vocabulary[0] in d.split() for d in documents], dtype=int)
    y[:2] = [0, 1]
    return documents, y


def test_pipeline_with_linear_svc():
    documents, y = _labelled()
    model = make_pipeline(
        Word2VecVectorizer(vector_size=8, min_count=1, random_state=0),
        LinearSVC(),
    )
    assert model.fit(documents, y).predict(documents).shape == (len(documents),)
    assert model.score(documents, y) > 0.5


@pytest.mark.parametrize("column", ["text", ["text"]], ids=str)
def test_column_transformer_with_tfidf(column):
    documents, y = _labelled()
    frame = pd.DataFrame({"text": documents, "other": np.arange(len(documents))})
    ct = ColumnTransformer(
        [
            (
                "w2v",
                Word2VecVectorizer(
                    vector_size=8, min_count=1, pooling=["mean", "max"], random_state=0
                ),
                column,
            ),
            ("tfidf", TfidfVectorizer(), "text"),
        ],
        sparse_threshold=0,
    )
    out = ct.fit_transform(frame, y)
    names = ct.get_feature_names_out()
    n_tfidf = len(ct.named_transformers_["tfidf"].vocabulary_)
    assert out.shape == (len(documents), 16 + n_tfidf)
    assert len(names) == out.shape[1]
    assert list(names[:2]) == ["w2v__word2vec_mean0", "w2v__word2vec_mean1"]
    assert names[8] == "w2v__word2vec_max0"
    alone = ct.named_transformers_["w2v"].transform(frame["text"])
    np.testing.assert_allclose(out[:, :16], alone)
    model = make_pipeline(ct, LinearSVC()).fit(frame, y)
    assert model.predict(frame).shape == (len(documents),)


def test_feature_names_and_pandas_output():
    documents, _ = _labelled()
    series = pd.Series(documents, index=np.arange(len(documents)) + 100)
    vec = Word2VecVectorizer(
        model="fasttext", vector_size=8, min_count=1, pooling=["tfidf", "max"]
    ).fit(series)
    names = vec.get_feature_names_out()
    assert len(names) == vec.n_features_out_ == 16
    assert names[0] == "fasttext_tfidf0" and names[-1] == "fasttext_max7"
    vec.set_output(transform="pandas")
    out = vec.transform(series)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(names)
    assert list(out.index) == list(series.index)


@pytest.mark.parametrize("model", ["word2vec", "fasttext"])
def test_pickle_round_trip(model):
    train, test = _corpus(2)
    vec = Word2VecVectorizer(
        model=model, vector_size=8, min_count=1, pooling=["tfidf", "max", "mean"]
    ).fit(train)
    restored = pickle.loads(pickle.dumps(vec))
    documents = test[:40]  # the last test document is all unseen words
    np.testing.assert_array_equal(
        restored.transform(documents), vec.transform(documents)
    )
    assert restored.get_params() == vec.get_params()


@pytest.mark.filterwarnings("ignore::skmm.exceptions.EmptyDocumentWarning")
@pytest.mark.parametrize("pooling", ["mean", ["tfidf", "max"]])
def test_verbose_bar_counts_documents_and_changes_nothing(capsys, pooling):
    train, test = _corpus(11)
    params = dict(vector_size=8, min_count=1, epochs=2, random_state=0)
    quiet = Word2VecVectorizer(pooling=pooling, **params).fit(train).transform(test)
    assert capsys.readouterr().err == ""
    vec = Word2VecVectorizer(pooling=pooling, verbose=True, **params).fit(train)
    err = capsys.readouterr().err
    assert "Word2VecVectorizer" in err and f"{len(train)}/{len(train)}" in err
    loud = vec.transform(test)
    err = capsys.readouterr().err
    assert "Word2VecVectorizer" in err and f"{len(test)}/{len(test)}" in err
    assert "doc" in err
    np.testing.assert_array_equal(quiet, loud)


def _latin1_vectors(tmp_path):
    """A word2vec text file in latin-1 (not valid UTF-8) and its vectors."""
    words = ["café", "naïve", "plain"]
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    lines = ["3 4"] + [
        " ".join([w, *(f"{v:.1f}" for v in row)])
        for w, row in zip(words, vectors, strict=True)
    ]
    path = tmp_path / "latin1.txt"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path, dict(zip(words, vectors, strict=True))


def test_pretrained_text_file_in_latin1_loads_with_its_encoding(tmp_path):
    path, vectors = _latin1_vectors(tmp_path)
    with pytest.raises(ValueError, match="not valid utf8.*encoding='latin-1'"):
        Word2VecVectorizer(pretrained=path).fit(["x"])
    vec = Word2VecVectorizer(pretrained=path, encoding="latin-1").fit(["x"])
    assert sorted(vec.wv_.key_to_index) == sorted(vectors)
    np.testing.assert_allclose(
        vec.transform(["Café naïve"])[0],
        (vectors["café"] + vectors["naïve"]) / 2,
        atol=1e-6,
    )
    # unicode_errors reaches gensim: undecodable bytes become U+FFFD.
    replaced = Word2VecVectorizer(pretrained=path, unicode_errors="replace").fit(["x"])
    assert "caf\ufffd" in replaced.wv_.key_to_index
    assert "plain" in replaced.wv_.key_to_index


@pytest.fixture
def gensim_workers(monkeypatch):
    """The ``workers`` each Word2Vec model is built with, in order."""
    from gensim.models import Word2Vec

    seen = []
    original = Word2Vec.__init__

    def spy(self, *args, **kwargs):
        seen.append(kwargs["workers"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(Word2Vec, "__init__", spy)
    return seen


def test_n_jobs_is_gensims_workers(gensim_workers):
    train, _ = _corpus(0)
    params = dict(vector_size=4, min_count=1, epochs=1, random_state=0)
    Word2VecVectorizer(**params).fit(train)
    Word2VecVectorizer(n_jobs=2, **params).fit(train)
    with joblib.parallel_config(n_jobs=3):
        Word2VecVectorizer(**params).fit(train)
    Word2VecVectorizer(n_jobs=-1, **params).fit(train)
    assert gensim_workers == [1, 2, 3, joblib.cpu_count()]


def test_workers_is_a_deprecated_alias_of_n_jobs(gensim_workers):
    train, _ = _corpus(0)
    params = dict(vector_size=4, min_count=1, random_state=0)
    with pytest.warns(FutureWarning, match="workers.*deprecated.*n_jobs"):
        old = Word2VecVectorizer(workers=1, **params).fit(train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = Word2VecVectorizer(n_jobs=1, **params).fit(train)
    # One thread: the alias keeps training deterministic.
    np.testing.assert_array_equal(old.wv_.vectors, new.wv_.vectors)
    with pytest.warns(FutureWarning):
        Word2VecVectorizer(workers=3, epochs=1, **params).fit(train)
    assert gensim_workers == [1, 1, 3]
    with pytest.raises(ValueError, match="Both workers and n_jobs"):
        Word2VecVectorizer(workers=2, n_jobs=2, **params).fit(train)


def test_transform_of_no_documents_is_empty_of_the_output_width(fitted):
    # One rule for every skmm transformer: n samples in, n rows out, n = 0 too.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fitted.transform([])
    assert out.shape == (0, fitted.n_features_out_) and out.dtype == np.float32
    copy = pickle.loads(pickle.dumps(fitted))
    frame = copy.set_output(transform="pandas").transform(pd.Series([], dtype=str))
    assert frame.shape == (0, fitted.n_features_out_)
