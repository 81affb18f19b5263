"""Word2Vec / FastText document vectors for scikit-learn pipelines."""

import itertools
import numbers
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skmm.base import with_input_kind
from skmm.exceptions import EmptyDocumentWarning
from skmm.text._pooling_numba import max_pool, weighted_mean_pool
from skmm.utils._parallel import n_workers
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_documents

_POOLINGS = ("mean", "tfidf", "max")


class Word2VecVectorizer(TransformerMixin, BaseEstimator):
    """Document vectors pooled from Word2Vec or FastText word vectors.

    In ``fit`` the word vectors are trained with gensim on the tokenized
    training documents, or taken from ``pretrained`` vectors; ``transform``
    pools the vectors of each document's words into one vector.

    Parameters
    ----------
    model : {"word2vec", "fasttext"}, default="word2vec"
        Which gensim model to train. FastText builds vectors from character
        n-grams, so words never seen in training still get a vector.
    pretrained : str, path-like or gensim KeyedVectors, default=None
        Use these vectors instead of training. A path is read in the word2vec
        text or binary format (``KeyedVectors.load_word2vec_format``); with
        ``model="fasttext"`` a binary file is read as Facebook's FastText
        ``.bin`` format, which keeps subword vectors. Pickled gensim models
        are never loaded, since unpickling runs arbitrary code.
    binary : bool or "auto", default="auto"
        Whether ``pretrained`` is a binary file; "auto" means a ``.bin``
        suffix.
    encoding : str, default="utf8"
        Encoding of the words in a ``pretrained`` file, as in
        ``KeyedVectors.load_word2vec_format`` (and ``load_facebook_vectors``
        for a FastText ``.bin``): vectors published in latin-1, say, load
        with ``encoding="latin-1"``.
    unicode_errors : str, default="strict"
        What bytes that do not decode in ``encoding`` do, as gensim's
        ``unicode_errors`` (``bytes.decode``'s ``errors``): "strict" raises,
        "replace" and "ignore" keep the word with the bytes replaced or
        dropped. Word2vec-format files only; a FastText ``.bin`` decodes
        strictly.
    vector_size, window, min_count, sg, negative, sample, alpha, epochs : \
see gensim
        As ``gensim.models.Word2Vec``, same defaults (100, 5, 5, 0, 5, 1e-3,
        0.025, 5).
    min_n, max_n : int, default=3, 6
        FastText's character n-gram lengths.
    bucket : int, default=200_000
        FastText's number of n-gram hash buckets. gensim's default of two
        million costs 800 MB per fitted model at 100 dimensions; pass it
        explicitly to match gensim.
    model_params : dict, default=None
        Further keyword arguments for the gensim model.
    pooling : {"mean", "tfidf", "max"} or list of them, default="mean"
        How word vectors become one document vector: their mean, their
        TF-IDF-weighted mean (IDF learned on the training documents as
        scikit-learn's ``smooth_idf=True``), or their element-wise maximum.
        A list concatenates the poolings in that order.
    lowercase, token_pattern, tokenizer, strip_accents, stop_words
        Tokenization exactly as ``sklearn.feature_extraction.text.
        CountVectorizer`` with ``analyzer="word"`` does it.
    n_jobs : int, default=None
        Threads training the vectors (gensim's ``workers``). ``None`` means 1
        unless in a :obj:`joblib.parallel_config` context. ``-1`` means using
        all processors. See scikit-learn's glossary entry for ``n_jobs`` for
        more details. More than one thread (also ``None`` inside a context
        that asks for more) makes training non-deterministic even with
        ``random_state`` set, as gensim documents: threads take sentences in
        the order the operating system schedules them. Loading pretrained
        vectors, tokenizing and pooling do not use it.
    workers : int, default="deprecated"
        gensim training threads.

        .. deprecated:: 0.1
            ``workers`` is renamed ``n_jobs`` (with scikit-learn's meaning)
            and will be removed in 0.2. ``workers=k`` still trains on ``k``
            threads and warns.
    random_state : int, RandomState instance or None, default=None
        Seed for gensim's weight initialisation and sampling.
    verbose : bool or int, default=False
        Show a progress bar (``tqdm.auto``, on standard error) counting the
        documents tokenized, in ``fit`` and in ``transform`` (where pooling
        the word vectors afterwards takes a fraction of the time). Training
        is not covered: gensim reports its progress through ``logging``.

    Attributes
    ----------
    wv_ : gensim.models.KeyedVectors
        The word vectors used by ``transform``.
    idf_ : ndarray of shape (len(wv_),)
        Inverse document frequency of each vocabulary word (only with
        "tfidf" pooling).
    n_features_out_ : int
        Width of the output.

    Notes
    -----
    A document with no word that has a vector (an empty string, or only
    unknown words) becomes a zero vector, never NaN; the number of such
    documents is reported once per ``transform`` call as an
    :class:`~skmm.exceptions.EmptyDocumentWarning`. A missing document
    (None/NaN) raises ``ValueError`` and a non-string raises ``TypeError``,
    both naming the sample.

    Examples
    --------
    >>> from skmm.text import Word2VecVectorizer
    >>> docs = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> vec = Word2VecVectorizer(vector_size=8, min_count=1, random_state=0)
    >>> vec.fit_transform(docs).shape
    (40, 8)
    """

    _parameter_constraints: dict = {
        "model": [StrOptions({"word2vec", "fasttext"})],
        "pretrained": [None, str, os.PathLike, HasMethods(["get_vector"])],
        "binary": ["boolean", StrOptions({"auto"})],
        "encoding": [str],
        "unicode_errors": [str],
        "vector_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_count": [Interval(numbers.Integral, 1, None, closed="left")],
        "sg": [Interval(numbers.Integral, 0, 1, closed="both")],
        "negative": [Interval(numbers.Integral, 0, None, closed="left")],
        "sample": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_n": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_n": [Interval(numbers.Integral, 0, None, closed="left")],
        "bucket": [Interval(numbers.Integral, 0, None, closed="left")],
        "model_params": [None, dict],
        "pooling": [StrOptions(set(_POOLINGS)), list, tuple],
        "lowercase": ["boolean"],
        "token_pattern": [str, None],
        "tokenizer": [callable, None],
        "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
        "stop_words": [StrOptions({"english"}), list, None],
        "n_jobs": [None, numbers.Integral],
        "workers": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Hidden(StrOptions({"deprecated"})),
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        model="word2vec",
        pretrained=None,
        binary="auto",
        encoding="utf8",
        unicode_errors="strict",
        vector_size=100,
        window=5,
        min_count=5,
        sg=0,
        negative=5,
        sample=1e-3,
        alpha=0.025,
        epochs=5,
        min_n=3,
        max_n=6,
        bucket=200_000,
        model_params=None,
        pooling="mean",
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        tokenizer=None,
        strip_accents=None,
        stop_words=None,
        n_jobs=None,
        workers="deprecated",
        random_state=None,
        verbose=False,
    ):
        self.model = model
        self.pretrained = pretrained
        self.binary = binary
        self.encoding = encoding
        self.unicode_errors = unicode_errors
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.sg = sg
        self.negative = negative
        self.sample = sample
        self.alpha = alpha
        self.epochs = epochs
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket
        self.model_params = model_params
        self.pooling = pooling
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.strip_accents = strip_accents
        self.stop_words = stop_words
        self.n_jobs = n_jobs
        self.workers = workers
        self.random_state = random_state
        self.verbose = verbose

    def _poolings(self):
        poolings = (self.pooling,) if isinstance(self.pooling, str) else self.pooling
        if len(poolings) == 0 or any(p not in _POOLINGS for p in poolings):
            raise ValueError(
                f"pooling must be one of {_POOLINGS} or a non-empty list of them, "
                f"got {self.pooling!r}."
            )
        return tuple(poolings)

    def _tokenize(self, documents):
        analyzer = CountVectorizer(
            lowercase=self.lowercase,
            # CountVectorizer warns when both are set; the tokenizer wins there too.
            token_pattern=None if self.tokenizer is not None else self.token_pattern,
            tokenizer=self.tokenizer,
            strip_accents=self.strip_accents,
            stop_words=self.stop_words,
        ).build_analyzer()
        tokens = []
        with progress_bar(
            len(documents), verbose=self.verbose, desc=type(self).__name__, unit="doc"
        ) as bar:
            for document in documents:
                tokens.append(analyzer(document))
                bar.update()
        return tokens

    def _load_pretrained(self):
        from gensim.models import KeyedVectors

        if isinstance(self.pretrained, KeyedVectors):
            return self.pretrained
        if not isinstance(self.pretrained, str | os.PathLike):
            raise TypeError(
                "pretrained must be a path or a gensim KeyedVectors, got "
                f"{type(self.pretrained).__name__}."
            )
        path = os.fspath(self.pretrained)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Pretrained vectors not found: {path!r} (expected a file in the "
                "word2vec text/binary format, or a FastText .bin)."
            )
        binary = path.endswith(".bin") if self.binary == "auto" else self.binary
        try:
            if self.model == "fasttext" and binary:
                from gensim.models.fasttext import load_facebook_vectors

                return load_facebook_vectors(path, encoding=self.encoding)
            return KeyedVectors.load_word2vec_format(
                path,
                binary=binary,
                encoding=self.encoding,
                unicode_errors=self.unicode_errors,
            )
        except UnicodeDecodeError as error:
            raise ValueError(
                f"Pretrained vectors {path!r} hold a word that is not valid "
                f"{self.encoding} ({error}); pass the file's encoding "
                "(encoding='latin-1', say) or unicode_errors='replace'."
            ) from error

    def _n_threads(self):
        """gensim's ``workers``: ``n_workers(n_jobs)``, or the deprecated
        ``workers`` (with a FutureWarning)."""
        if isinstance(self.workers, str) and self.workers == "deprecated":
            return n_workers(self.n_jobs)
        if self.n_jobs is not None:
            raise ValueError(
                "Both workers and n_jobs are set; workers is deprecated, set "
                "n_jobs only."
            )
        warnings.warn(
            "Word2VecVectorizer(workers=...) is deprecated in 0.1 and will be "
            "removed in 0.2; use n_jobs (None means 1 unless inside a joblib "
            "context, -1 all processors).",
            FutureWarning,
            stacklevel=4,
        )
        return self.workers

    def _train(self, tokens, n_threads):
        from gensim.models import FastText, Word2Vec

        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        params = dict(
            vector_size=self.vector_size,
            window=self.window,
            min_count=self.min_count,
            sg=self.sg,
            negative=self.negative,
            sample=self.sample,
            alpha=self.alpha,
            epochs=self.epochs,
            workers=n_threads,
            seed=int(seed),
        )
        if self.model == "fasttext":
            params.update(min_n=self.min_n, max_n=self.max_n, bucket=self.bucket)
        params.update(self.model_params or {})
        model_class = FastText if self.model == "fasttext" else Word2Vec
        model = model_class(**params)
        model.build_vocab(tokens)
        if len(model.wv) == 0:
            raise ValueError(
                f"No word occurs at least min_count={self.min_count} times in the "
                "training documents; lower min_count or give more text."
            )
        model.train(tokens, total_examples=len(tokens), epochs=model.epochs)
        return model.wv

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train (or load) the word vectors and, for "tfidf" pooling, the IDF.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column DataFrame
            Training documents.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        poolings = self._poolings()
        for stale in ("idf_", "_unseen_idf"):
            self.__dict__.pop(stale, None)
        n_threads = self._n_threads()
        documents = check_documents(X)
        tokens = self._tokenize(documents)
        self.wv_ = (
            self._load_pretrained()
            if self.pretrained is not None
            else (self._train(tokens, n_threads))
        )
        if "tfidf" in poolings:
            n_documents = len(tokens)
            document_frequency = np.zeros(len(self.wv_), dtype=np.float64)
            key_to_index = self.wv_.key_to_index
            for words in tokens:
                ids = [key_to_index[w] for w in set(words) if w in key_to_index]
                document_frequency[ids] += 1
            # scikit-learn's smooth_idf: an extra document holding every word.
            self.idf_ = (
                np.log((1 + n_documents) / (1 + document_frequency)) + 1
            ).astype(np.float32)
            self._unseen_idf = float(np.log(1 + n_documents) + 1)
        self.n_features_out_ = self.wv_.vector_size * len(poolings)
        return self

    def _token_ids(self, tokens):
        """Flat token ids, document offsets and the batch's extra vectors."""
        key_to_index = self.wv_.key_to_index
        n_vocab = len(self.wv_)
        flat = list(itertools.chain.from_iterable(tokens))
        ids = np.fromiter(
            (key_to_index.get(w, -1) for w in flat), dtype=np.int64, count=len(flat)
        )
        lengths = np.fromiter((len(t) for t in tokens), np.int64, count=len(tokens))
        unknown = ids < 0
        extra = np.zeros((0, self.wv_.vector_size), dtype=np.float32)
        if unknown.any():
            from gensim.models.fasttext import FastTextKeyedVectors

            unknown_words = [flat[i] for i in np.flatnonzero(unknown)]
            if isinstance(self.wv_, FastTextKeyedVectors) and self.wv_.bucket:
                vocabulary = sorted(set(unknown_words))
                extra = np.stack([self.wv_.get_vector(w) for w in vocabulary])
                extra = extra.astype(np.float32, copy=False)
                position = {w: n_vocab + i for i, w in enumerate(vocabulary)}
                ids[unknown] = [position[w] for w in unknown_words]
            else:
                # Words without a vector are dropped from their document.
                keep = ~unknown
                document_of = np.repeat(np.arange(len(tokens)), lengths)
                lengths = np.bincount(document_of[keep], minlength=len(tokens))
                ids = ids[keep]
        offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return ids, offsets, extra

    def transform(self, X):
        """Pool each document's word vectors.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column DataFrame
            Documents.

        Returns
        -------
        X_new : ndarray of shape (n_documents, n_features_out_), dtype float32
        """
        check_is_fitted(self)
        poolings = self._poolings()
        documents = check_documents(X)
        ids, offsets, extra = self._token_ids(self._tokenize(documents))
        table = self.wv_.vectors
        if table.dtype != np.float32 or not table.flags.c_contiguous:
            table = np.ascontiguousarray(table, dtype=np.float32)
        dim = table.shape[1]
        out = np.zeros((len(documents), dim * len(poolings)), dtype=np.float32)
        for k, pooling in enumerate(poolings):
            block = np.zeros((len(documents), dim), dtype=np.float32)
            if pooling == "max":
                max_pool(ids, offsets, table, extra, block)
            else:
                weights = None
                if pooling == "tfidf":
                    idf = np.append(self.idf_, np.float32(self._unseen_idf))
                    weights = idf[np.minimum(ids, len(self.idf_))]
                weighted_mean_pool(ids, offsets, weights, table, extra, block)
            out[:, k * dim : (k + 1) * dim] = block
        n_empty = int(np.count_nonzero(np.diff(offsets) == 0))
        if n_empty:
            warnings.warn(
                f"{n_empty} of {len(documents)} documents have no word with a "
                "vector; they were given zero vectors.",
                EmptyDocumentWarning,
                # transform is wrapped by scikit-learn's set_output machinery.
                stacklevel=3,
            )
        return out

    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``{model}_{pooling}{i}``.

        Parameters
        ----------
        input_features : None
            Ignored; text has no input feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        dim = self.wv_.vector_size
        names = [
            f"{self.model}_{pooling}{i}"
            for pooling in self._poolings()
            for i in range(dim)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return with_input_kind(tags, "text")
