"""TextAnalyzer + a vectorizer of analysed documents against scikit-learn's
vectorizer analysing the raw documents itself."""

import pickle
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from skmm.base import _split_front, is_stateless
from skmm.compose import make_default_pipeline
from skmm.text import TextAnalyzer, analyzed

CLIPART_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "openclipart"

SETTINGS = [
    {},
    {"analyzer": "word", "ngram_range": (1, 2), "stop_words": "english"},
    {"analyzer": "char", "ngram_range": (2, 4), "lowercase": False},
    {"analyzer": "char_wb", "ngram_range": (3, 5), "strip_accents": "unicode"},
    {"analyzer": "word", "token_pattern": r"(?u)\b\w+\b", "strip_accents": "ascii"},
]


def _documents(rng, n_documents):
    """Random documents over a small vocabulary of words with capitals,
    digits and accents, joined by spaces and punctuation."""
    letters = list(string.ascii_letters + string.digits + "éàüñ")
    words = ["".join(rng.choice(letters, size=rng.integers(1, 8))) for _ in range(40)]
    words += ["the", "and", "of"]  # English stop words
    separators = [" ", " ", " ", ", ", ". ", "-", "! "]
    documents = []
    for _ in range(n_documents):
        n_words = rng.integers(0, 12)
        parts = [
            str(rng.choice(words)) + str(rng.choice(separators)) for _ in range(n_words)
        ]
        documents.append("".join(parts))
    return documents


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("params", SETTINGS)
def test_same_tokens_and_matrix_as_the_vectorizer(params, seed):
    rng = np.random.default_rng(seed)
    train, test = _documents(rng, 80), _documents(rng, 30)
    tokens = TextAnalyzer(**params).transform(train)
    reference = CountVectorizer(**params).build_analyzer()
    assert tokens == [reference(document) for document in train]

    weighting = {"sublinear_tf": True, "min_df": 2}
    expected = TfidfVectorizer(**params, **weighting).fit(train)
    pipe = make_pipeline(
        TextAnalyzer(**params), TfidfVectorizer(analyzer=analyzed, **weighting)
    ).fit(train)
    assert list(pipe[-1].vocabulary_) == list(expected.vocabulary_)
    np.testing.assert_array_equal(pipe[-1].idf_, expected.idf_)
    np.testing.assert_array_equal(
        pipe.transform(test).toarray(), expected.transform(test).toarray()
    )


@pytest.mark.skipif(not CLIPART_DIR.is_dir(), reason="no shared clip-art data")
def test_default_text_pipeline_matches_one_vectorizer_on_clipart_titles():
    from skmm.datasets import load_openclipart

    titles = load_openclipart(CLIPART_DIR).data["title"].tolist()
    default = make_default_pipeline("text", features_only=True)
    assert [name for name, _ in default.steps] == ["analyze", "tfidf"]
    one = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    expected = one.fit_transform(titles[::2])
    actual = default.fit_transform(titles[::2])
    assert (actual != expected).nnz == 0
    assert (default.transform(titles[1::2]) != one.transform(titles[1::2])).nnz == 0


def test_stateless_and_split_off_as_the_front():
    analyzer = TextAnalyzer(analyzer="char_wb", ngram_range=(3, 3))
    assert get_tags(analyzer).requires_fit is False and is_stateless(analyzer)
    # Unfitted, fitted and pickled give the same lists; fit sets nothing.
    documents = ["A cat.", "the dog", ""]
    before = analyzer.transform(documents)
    assert analyzer.fit(documents).transform(documents) == before
    assert vars(analyzer) == vars(TextAnalyzer(analyzer="char_wb", ngram_range=(3, 3)))
    assert pickle.loads(pickle.dumps(analyzer)).transform(documents) == before
    assert before[0] == [" a ", " ca", "cat", "at.", "t. "]
    assert before[2] == []
    front, rest = _split_front(make_default_pipeline("text"))
    assert [name for name, _ in front.steps] == ["analyze"]
    assert [name for name, _ in rest.steps] == ["tfidf", "clf"]


def test_pandas_input_and_output_config():
    documents = pd.Series(["red fox", "blue hen"], index=[10, 20])
    analyzer = TextAnalyzer().set_output(transform="pandas")
    # Lists of tokens pass through whatever the output configuration.
    assert analyzer.transform(documents) == [["red", "fox"], ["blue", "hen"]]
    assert analyzer.transform(documents.to_frame()) == [["red", "fox"], ["blue", "hen"]]


def test_bad_input_and_parameters():
    with pytest.raises(TypeError, match="sample 1"):
        TextAnalyzer().transform(["a document", 3.5])
    with pytest.raises(ValueError, match="missing"):
        TextAnalyzer().transform(["a document", None])
    with pytest.raises(ValueError, match="string"):
        TextAnalyzer().transform("one string")
    with pytest.raises(ValueError, match="analyzer"):
        TextAnalyzer(analyzer="letters").transform(["a"])
    with pytest.raises(ValueError, match="ngram_range"):
        TextAnalyzer(ngram_range=(3, 1)).fit(["a"])
    # The vectorizer of analysed documents refuses raw strings.
    with pytest.raises(TypeError, match="TextAnalyzer"):
        TfidfVectorizer(analyzer=analyzed).fit(["a raw string"])
