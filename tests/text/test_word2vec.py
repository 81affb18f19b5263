"""Word2VecVectorizer against plain loops over gensim's vectors."""

import pickle

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skmm.exceptions import EmptyDocumentWarning
from skmm.text import Word2VecVectorizer


def _documents(seed, n_documents=60, n_words=80):
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}x" for i in range(n_words)]
    return [
        " ".join(rng.choice(vocabulary, size=rng.integers(1, 25)))
        for _ in range(n_documents)
    ]


def _reference(vec, documents, pooling):
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
            rows.append(vectors.mean(axis=0))
        elif pooling == "max":
            rows.append(vectors.max(axis=0))
        else:
            idf = np.array(
                [
                    vec.idf_[wv.key_to_index[w]]
                    if w in wv.key_to_index
                    else vec._unseen_idf
                    for w in words
                ]
            )
            rows.append(idf @ vectors / idf.sum())
    return np.array(rows)


@pytest.mark.parametrize("model", ["word2vec", "fasttext"])
@pytest.mark.parametrize("pooling", ["mean", "tfidf", "max", ["mean", "max"]])
@pytest.mark.parametrize("seed", [0, 1])
def test_pooling_matches_reference_loop(model, pooling, seed):
    train, test = _documents(seed), _documents(seed + 100)
    test.append("unseenword and w1x")
    vec = Word2VecVectorizer(
        model=model, vector_size=16, min_count=1, pooling=pooling, random_state=seed
    ).fit(train)
    result = vec.transform(test)
    poolings = [pooling] if isinstance(pooling, str) else pooling
    expected = np.hstack([_reference(vec, test, p) for p in poolings])
    assert result.shape == (len(test), 16 * len(poolings))
    np.testing.assert_allclose(result, expected, atol=1e-5, rtol=1e-5)


def test_idf_matches_scikit_learn():
    documents = _documents(3)
    vec = Word2VecVectorizer(vector_size=8, min_count=1, pooling="tfidf").fit(
        documents
    )
    tfidf = TfidfVectorizer().fit(documents)
    for word, column in tfidf.vocabulary_.items():
        assert vec.idf_[vec.wv_.key_to_index[word]] == pytest.approx(
            tfidf.idf_[column], rel=1e-6
        )


def test_fasttext_gives_unseen_words_subword_vectors():
    vec = Word2VecVectorizer(model="fasttext", vector_size=8, min_count=1).fit(
        _documents(0)
    )
    out = vec.transform(["neverseenword"])
    np.testing.assert_allclose(out[0], vec.wv_.get_vector("neverseenword"), atol=1e-6)
    assert np.abs(out).sum() > 0

    w2v = Word2VecVectorizer(vector_size=8, min_count=1).fit(_documents(0))
    with pytest.warns(EmptyDocumentWarning, match="1 of 2 documents"):
        out = w2v.transform(["neverseenword", "w1x neverseenword"])
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_allclose(out[1], w2v.wv_["w1x"], atol=1e-6)


def test_pretrained_word2vec_text_and_fasttext_bin():
    path = datapath("lee_fasttext.vec")
    vec = Word2VecVectorizer(pretrained=path).fit(["ignored"])
    reference = KeyedVectors.load_word2vec_format(path)
    np.testing.assert_allclose(
        vec.transform(["the government"])[0],
        (reference["the"] + reference["government"]) / 2,
        atol=1e-6,
    )
    fasttext = Word2VecVectorizer(
        model="fasttext", pretrained=datapath("lee_fasttext.bin")
    ).fit(["ignored"])
    assert np.abs(fasttext.transform(["qwertyuiop"])).sum() > 0
    given = Word2VecVectorizer(pretrained=reference).fit(["x"])
    np.testing.assert_array_equal(
        given.transform(["the government"]), vec.transform(["the government"])
    )
    with pytest.raises(FileNotFoundError, match="word2vec"):
        Word2VecVectorizer(pretrained="/nonexistent/vectors.txt").fit(["x"])


def test_random_state_makes_fit_deterministic():
    documents = _documents(5)

    def run(seed):
        vec = Word2VecVectorizer(vector_size=8, min_count=1, random_state=seed)
        return vec.fit_transform(documents)

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_bad_input_names_the_sample():
    vec = Word2VecVectorizer(vector_size=8, min_count=1).fit(_documents(0))
    with pytest.raises(TypeError, match="sample 1 .*int"):
        vec.transform(["w1x", 5])
    for missing in (None, float("nan"), pd.NA):
        with pytest.raises(ValueError, match="sample 2 .*missing"):
            vec.transform(["w1x", "w2x", missing])
    series = pd.Series(["w1x", None], index=["a", "b"])
    with pytest.raises(ValueError, match="index label 'b'"):
        vec.transform(series)
    with pytest.raises(ValueError, match="string object received"):
        vec.transform("w1x w2x")
    with pytest.raises(ValueError, match="pooling"):
        Word2VecVectorizer(pooling=["mean", "median"]).fit(_documents(0))


def test_empty_string_gives_zero_vector_and_one_warning():
    vec = Word2VecVectorizer(vector_size=8, min_count=1).fit(_documents(0))
    with pytest.warns(EmptyDocumentWarning, match="2 of 3") as record:
        out = vec.transform(["", "w1x", "  "])
    assert len(record) == 1
    np.testing.assert_array_equal(out[[0, 2]], 0)
    assert np.isfinite(out).all()


def test_inside_pipeline_and_column_transformer():
    documents = _documents(7, n_documents=80)
    y = np.array([("w1x" in d) for d in documents], dtype=int)
    frame = pd.DataFrame({"text": documents, "other": 0})
    model = make_pipeline(
        Word2VecVectorizer(vector_size=8, min_count=1, random_state=0),
        LinearSVC(),
    )
    assert model.fit(frame["text"], y).predict(frame["text"]).shape == (80,)
    for column in ("text", ["text"]):
        w2v_column = column
        tfidf_column = "text"
        ct = ColumnTransformer(
            [
                ("w2v", Word2VecVectorizer(vector_size=8, min_count=1), w2v_column),
                ("tfidf", TfidfVectorizer(), tfidf_column),
            ],
            sparse_threshold=0,
        )
        out = ct.fit_transform(frame)
        names = ct.get_feature_names_out()
        assert out.shape[1] == len(names)
        assert names[0] == "w2v__word2vec_mean0"
    vec = Word2VecVectorizer(vector_size=8, min_count=1).set_output(
        transform="pandas"
    )
    assert list(vec.fit_transform(frame["text"]).columns[:2]) == [
        "word2vec_mean0",
        "word2vec_mean1",
    ]


def test_pickle_round_trip():
    documents = _documents(2)
    vec = Word2VecVectorizer(
        model="fasttext", vector_size=8, min_count=1, pooling=["tfidf", "max"]
    ).fit(documents)
    restored = pickle.loads(pickle.dumps(vec))
    np.testing.assert_array_equal(
        restored.transform(documents + ["unseenword"]),
        vec.transform(documents + ["unseenword"]),
    )
