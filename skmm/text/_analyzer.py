"""Text analysis as a stateless pipeline step: documents to tokens or n-grams."""

from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import StrOptions

from skmm.base import PerSampleOutputMixin, StatelessMixin, with_input_kind
from skmm.utils._validation import check_documents


class TextAnalyzer(
    PerSampleOutputMixin, StatelessMixin, TransformerMixin, BaseEstimator
):
    """Each document's tokens or n-grams, as scikit-learn's vectorizers see them.

    ``transform`` gives, for every document, the list of strings that
    ``CountVectorizer(**params).build_analyzer()`` makes of it: words
    (``analyzer="word"``, with ``ngram_range`` and ``stop_words``),
    character n-grams (``"char"``) or character n-grams within words
    (``"char_wb"``). The analysis learns nothing, so the step is stateless
    (``requires_fit=False``); followed by a vectorizer that counts the lists
    as they are, ``TfidfVectorizer(analyzer=skmm.text.analyzed)``, the two
    steps give exactly the matrix of the one vectorizer analysing the raw
    documents itself.

    Split that way, the analysis runs once where the vectorizer is refitted
    many times on rows of the same documents: late fusion's inner
    cross-validation runs the stateless front of a pipeline once per ``fit``
    and refits only the rest per fold, and a ``CachedTransformer`` can keep
    the analysed documents across the folds and grid points of a search.
    ``MultimodalClassifier``'s default text pipeline is built so.

    Parameters
    ----------
    analyzer : {"word", "char", "char_wb"}, default="word"
        As ``CountVectorizer``'s.
    ngram_range : tuple (min_n, max_n), default=(1, 1)
        The n-gram sizes, as ``CountVectorizer``'s.
    lowercase : bool, default=True
        Lowercase before analysing.
    strip_accents : {"ascii", "unicode"} or None, default=None
        As ``CountVectorizer``'s.
    token_pattern : str or None, default=r"(?u)\\b\\w\\w+\\b"
        The regular expression of a word (``analyzer="word"``).
    stop_words : "english", list or None, default=None
        Words left out (``analyzer="word"``).

    See Also
    --------
    analyzed : The analyzer of a vectorizer that takes these lists as they are.
    sklearn.feature_extraction.text.TfidfVectorizer : The vectorizer to follow
        this step with.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmm.text import TextAnalyzer, analyzed
    >>> TextAnalyzer(analyzer="char_wb", ngram_range=(3, 3)).transform(["A cat"])
    [[' a ', ' ca', 'cat', 'at ']]
    >>> pipe = make_pipeline(
    ...     TextAnalyzer(analyzer="char_wb", ngram_range=(3, 5)),
    ...     TfidfVectorizer(analyzer=analyzed),
    ... )
    >>> pipe.fit_transform(["a red fox", "a red hen"]).shape
    (2, 19)
    """

    _parameter_constraints: dict = {
        "analyzer": [StrOptions({"word", "char", "char_wb"})],
        "ngram_range": [tuple],
        "lowercase": ["boolean"],
        "strip_accents": [StrOptions({"ascii", "unicode"}), None],
        "token_pattern": [str, None],
        "stop_words": [StrOptions({"english"}), list, None],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        ngram_range=(1, 1),
        lowercase=True,
        strip_accents=None,
        token_pattern=r"(?u)\b\w\w+\b",
        stop_words=None,
    ):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.token_pattern = token_pattern
        self.stop_words = stop_words

    def _analyze(self):
        vectorizer = CountVectorizer(
            analyzer=self.analyzer,
            ngram_range=self.ngram_range,
            lowercase=self.lowercase,
            strip_accents=self.strip_accents,
            token_pattern=self.token_pattern,
            stop_words=self.stop_words,
        )
        # The vectorizer's own checks of ngram_range and the rest.
        vectorizer._validate_ngram_range()
        return vectorizer.build_analyzer()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the documents; nothing is learned.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column DataFrame
            One document per sample.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_documents(X)
        self._analyze()
        return self

    def transform(self, X):
        """Analyse each document.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column DataFrame
            One document per sample.

        Returns
        -------
        tokens : list of list of str
            One list per document, in order.
        """
        # Stateless: the parameters are checked here too, fitted or not.
        self._validate_params()
        analyze = self._analyze()
        return [analyze(document) for document in check_documents(X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return with_input_kind(tags, "text")


def analyzed(tokens):
    """The analyzer of a vectorizer fed by :class:`TextAnalyzer`.

    Pass it as ``TfidfVectorizer(analyzer=analyzed)`` (or to
    ``CountVectorizer``): each sample is then a document already analysed,
    a list of strings, counted as it is. A plain string is refused, since
    counting its characters one by one is never what was meant.

    Parameters
    ----------
    tokens : list of str
        A document's tokens or n-grams.

    Returns
    -------
    tokens : list of str
    """
    if isinstance(tokens, str | bytes):
        raise TypeError(
            "analyzed expects a document already analysed (a list of strings, "
            "as TextAnalyzer gives), got a string; put a TextAnalyzer before "
            "the vectorizer, or give the vectorizer its own analyzer."
        )
    return tokens
