"""Per-sample on-disk cache for stateless feature extractors."""

import hashlib
import os
import pickle
import tempfile

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    check_memory,
    validate_data,
)

from skmm.utils._validation import _is_missing

__all__ = ["CachedTransformer"]

# A string shorter than this, on one line, naming an existing file is hashed
# as the file (path, size, modification time), not as text.
_MAX_PATH_LENGTH = 4096


def _sample_key(sample):
    """Content hash of one sample; files by path, size and modification time."""
    if isinstance(sample, str | os.PathLike):
        path = os.fspath(sample)
        if len(path) < _MAX_PATH_LENGTH and "\n" not in path and os.path.isfile(path):
            stat = os.stat(path)
            # Plain text hashed by hashlib: joblib.hash pickles, 10x slower.
            described = f"file\0{os.path.abspath(path)}\0{stat.st_size}"
            described += f"\0{stat.st_mtime_ns}"
            return hashlib.md5(described.encode(), usedforsecurity=False).hexdigest()
    return joblib.hash(("value", sample))


def _samples(X):
    """The samples of ``X`` as a list, whatever its container."""
    columns = getattr(X, "columns", None)
    if columns is not None:
        if len(columns) == 1:
            return list(X.iloc[:, 0].to_numpy(dtype=object))
        return [row for row in X.to_numpy()]
    if hasattr(X, "iloc"):
        return list(X.to_numpy(dtype=object))
    if sp.issparse(X):
        X = X.tocsr()
        return [X[i] for i in range(X.shape[0])]
    return list(X)


def _take(X, rows):
    """Samples ``rows`` of ``X`` in its own container type."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, np.ndarray) or sp.issparse(X):
        return X[rows]
    return [X[i] for i in rows]


def _split_output(result):
    """``(kind, per-sample items)`` of a transformer's output."""
    if isinstance(result, list):
        return "list", result
    if sp.issparse(result):
        result = result.tocsr()
        return "sparse", [result[i] for i in range(result.shape[0])]
    result = np.asarray(result)
    return "array", list(result)


def _join_output(kind, items):
    if kind == "list":
        return list(items)
    if kind == "sparse":
        return sp.vstack(items, format="csr")
    return np.stack(items)


class CachedTransformer(TransformerMixin, BaseEstimator):
    """Cache a stateless extractor's output on disk, sample by sample.

    ``Pipeline(memory=...)`` caches whole ``fit_transform`` calls, keyed by
    the whole input: every cross-validation fold is a different input, so
    nothing is reused. An extractor whose output for one sample depends only
    on that sample and its parameters (readers, :class:`~skmm.image.HOG`,
    :class:`~skmm.audio.MFCC`, dense SIFT) can instead be cached per sample:
    ``transform`` hashes each sample, loads the ones already computed with
    the same parameters, computes all the others in one call to the wrapped
    transformer's ``transform``, stores them, and returns the rows in order.
    Folds and grid points that share samples never compute a feature twice.

    Parameters
    ----------
    transformer : estimator or None, default=None
        The extractor to cache. It must be *stateless*: its ``fit`` must
        learn nothing from the data, since the cache key does not depend on
        the training data. With a cache, ``fit`` fits it on the first
        non-missing sample only (which is all a stateless extractor needs);
        without one, on all of ``X``. None is the identity on 2-D numeric
        input.
    memory : str, path-like, joblib.Memory or None, default=None
        Where to store the features: a directory, or a ``joblib.Memory``
        whose ``location`` is used. None disables caching (every call
        computes everything), like ``Pipeline(memory=None)``.

    Attributes
    ----------
    transformer_ : estimator or None
        The fitted clone of ``transformer``.
    cache_dir_ : str or None
        The directory of this transformer's entries:
        ``{location}/skmm_cache/{class name}-{parameter hash}``.
    n_computed_ : int
        Samples the last ``transform`` call computed (the others were
        loaded from the cache).
    n_features_in_ : int
        Number of input features, when ``transformer`` is None.

    See Also
    --------
    sklearn.pipeline.Pipeline : Its ``memory`` caches fitted steps.

    Notes
    -----
    An entry's key is the hash (``joblib.hash``) of the wrapped transformer's
    class and ``get_params()``, and the hash of the sample: its value for
    arrays, strings and other objects, or, for a string or path naming an
    existing file, the absolute path, size and modification time
    (nanoseconds), so that a rewritten file is read again and an unchanged
    one is not read at all. Parameters that do not change the output
    (``n_jobs``, ``verbose``) still change the key.

    Entries are pickled one file per sample, written to a temporary file and
    renamed, so parallel workers (``GridSearchCV(n_jobs=...)``) may share a
    cache. Delete the directory to clear it. The output type is the wrapped
    transformer's: a 2-D array (same dtype), a sparse matrix, or a list of
    per-sample arrays (descriptor sets, readers).

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from skmm.audio import MFCC
    >>> from skmm.utils import CachedTransformer
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(4000).astype(np.float32) for _ in range(3)]
    >>> with tempfile.TemporaryDirectory() as location:
    ...     cached = CachedTransformer(MFCC(sr=8000, n_mfcc=13), memory=location)
    ...     first = cached.fit_transform(clips)
    ...     second = cached.transform(clips)
    ...     print(first.shape, cached.n_computed_, np.array_equal(first, second))
    (3, 26) 0 True
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"]), None],
        "memory": [str, os.PathLike, HasMethods(["cache"]), None],
    }

    def __init__(self, transformer=None, *, memory=None):
        self.transformer = transformer
        self.memory = memory

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.transformer is not None:
            inner = self.transformer.__sklearn_tags__()
            tags.input_tags = inner.input_tags
            # Until fitted it has no cache directory, whatever it wraps.
            tags.requires_fit = True
            from skmm.base import get_skmm_tags, with_input_kind

            tags = with_input_kind(tags, get_skmm_tags(self.transformer).input_kind)
        else:
            tags.input_tags.sparse = True
        return tags

    def _cache_dir(self):
        if isinstance(self.memory, str | os.PathLike):
            location = os.fspath(self.memory)
        else:
            location = check_memory(self.memory).location
        if location is None or self.transformer is None:
            return None
        transformer = self.transformer
        key = joblib.hash(
            (
                type(transformer).__module__,
                type(transformer).__qualname__,
                transformer.get_params(deep=True),
            )
        )
        return os.path.join(
            location, "skmm_cache", f"{type(transformer).__name__}-{key}"
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the wrapped transformer (cheap for a stateless extractor).

        Parameters
        ----------
        X : the wrapped transformer's input
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : CachedTransformer
        """
        self.cache_dir_ = self._cache_dir()
        if self.transformer is None:
            validate_data(self, X, accept_sparse=("csr", "csc"))
            self.transformer_ = None
        elif self.cache_dir_ is None:
            self.transformer_ = clone(self.transformer).fit(X, y)
        else:
            # A stateless transformer learns nothing from the data, so fitting
            # it on one sample validates its parameters (and records what it
            # records, such as HOG's image size) without computing the whole
            # input: a Pipeline of a reader and an extractor would otherwise
            # read every sample in fit and again in transform.
            present = [
                i for i, sample in enumerate(_samples(X)) if not _is_missing(sample)
            ]
            rows = present[:1] or [0]
            self.transformer_ = clone(self.transformer).fit(_take(X, rows))
        self.n_computed_ = 0
        return self

    def _load(self, path):
        try:
            with open(path, "rb") as file:
                return pickle.load(file)
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            # A missing or half-written entry is recomputed.
            return None

    def _store(self, path, entry):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(entry, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    def transform(self, X):
        """Features of ``X``, computing only samples not in the cache.

        Parameters
        ----------
        X : the wrapped transformer's input
            A list, pandas Series or one-column DataFrame of samples, or an
            array whose first axis runs over samples.

        Returns
        -------
        X_new : ndarray, sparse matrix or list
            As the wrapped transformer returns.
        """
        check_is_fitted(self, "cache_dir_")
        if self.transformer_ is None:
            return validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        if self.cache_dir_ is None:
            self.n_computed_ = len(_samples(X))
            return self.transformer_.transform(X)

        keys = [_sample_key(sample) for sample in _samples(X)]
        paths = {
            key: os.path.join(self.cache_dir_, key[:2], f"{key}.pkl") for key in keys
        }
        entries = {}
        for key in dict.fromkeys(keys):
            entry = self._load(paths[key])
            if entry is not None:
                entries[key] = entry
        todo = {}
        for position, key in enumerate(keys):
            if key not in entries:
                todo.setdefault(key, position)
        self.n_computed_ = len(todo)
        if todo:
            kind, items = _split_output(
                self.transformer_.transform(_take(X, list(todo.values())))
            )
            for key, item in zip(todo, items, strict=True):
                entries[key] = (kind, item)
                self._store(paths[key], (kind, item))
        if not keys:
            return self.transformer_.transform(X)
        kinds = {entries[key][0] for key in keys}
        if len(kinds) != 1:
            raise RuntimeError(
                f"Cache entries of different output kinds {sorted(kinds)} in "
                f"{self.cache_dir_}; clear it."
            )
        return _join_output(kinds.pop(), [entries[key][1] for key in keys])

    def get_feature_names_out(self, input_features=None):
        """The wrapped transformer's feature names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "cache_dir_")
        if self.transformer_ is None:
            return _check_feature_names_in(self, input_features)
        return self.transformer_.get_feature_names_out(input_features)
