"""Per-sample on-disk cache for stateless feature extractors."""

import os
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    check_memory,
    validate_data,
)

from skmm.cache import _entry
from skmm.cache._fingerprint import estimator_hash, sample_key
from skmm.cache._memory import InMemoryCache
from skmm.exceptions import CacheEntryWarning
from skmm.utils._validation import _is_missing

__all__ = ["CachedTransformer"]


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
        return "sparse", [result[[i]] for i in range(result.shape[0])]
    result = np.asarray(result)
    return "array", list(result)


def _join_output(kind, items):
    if kind == "list":
        return list(items)
    if kind == "sparse":
        return sp.vstack(items, format="csr")
    return np.stack(items)


def _signature(kind, item):
    """What every item of one output shares: rows of another kind, dtype or
    width cannot be joined with the others into what the transformer gives."""
    if kind == "array":
        return kind, item.dtype.str, item.shape
    if kind == "sparse":
        return kind, item.dtype.str, item.shape[1], isinstance(item, sp.sparray)
    return (kind,)


def _learning_step(transformer):
    """The first (nested) step of ``transformer`` that learns from data, or None.

    A Pipeline or FeatureUnion is as stateless as its steps: scikit-learn
    tags every Pipeline ``requires_fit=True`` whatever its steps.
    """
    if isinstance(transformer, Pipeline):
        steps = [step for _, step in transformer.steps]
    elif isinstance(transformer, FeatureUnion):
        steps = [step for _, step in transformer.transformer_list]
    else:
        try:
            learns = get_tags(transformer).requires_fit
        except AttributeError:
            # No scikit-learn tags: nothing says it learns nothing.
            learns = True
        return transformer if learns else None
    for step in steps:
        if step is None or isinstance(step, str):
            continue
        culprit = _learning_step(step)
        if culprit is not None:
            return culprit
    return None


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
        The extractor to cache. It must be *stateless*, tagged
        ``requires_fit=False`` (a Pipeline or FeatureUnion: every step), since
        the cache key does not depend on the training data; ``fit`` raises a
        ``TypeError`` otherwise. ``fit`` fits a clone of it on the first
        non-missing sample only (which validates its parameters, and is all a
        stateless extractor needs) when there is a cache, on all of ``X``
        without one. None is the identity on 2-D numeric input.
    memory : str, path-like, joblib.Memory, InMemoryCache or None, default=None
        Where to store the features: a directory, a ``joblib.Memory``
        whose ``location`` is used, or an :class:`InMemoryCache` (this
        process's memory, nothing written to disk). None disables caching
        (every call computes everything), like ``Pipeline(memory=None)``.

    Attributes
    ----------
    transformer_ : estimator or None
        The fitted clone of ``transformer``.
    cache_dir_ : str or None
        The directory of this transformer's entries:
        ``{location}/skmm_cache/{class name}-{parameter hash}``; None
        without a cache or with an :class:`InMemoryCache`.
    n_features_in_ : int
        Number of input features, when ``transformer`` is None.

    See Also
    --------
    sklearn.pipeline.Pipeline : Its ``memory`` caches fitted steps.
    extract_features : Stream a fitted transformer's output to a .npy file.

    Notes
    -----
    An entry's key is made of the hash (``joblib.hash``) of the wrapped
    ``transformer``'s class and parameters, nested estimators described by
    their classes and parameters too, so that it is the same whether or not
    ``transformer`` was fitted; and of the key of the sample:

    - a string or path naming an existing file of at most 16 MiB: a blake2b
      hash of its whole content, size and extension (not of its path or
      times: a copy elsewhere is the same sample, and a file rewritten with
      the same size and its modification time restored is read again);
    - a larger file: a blake2b hash of its absolute path, extension, size,
      modification and status-change times (nanoseconds) and first and last
      MiB. ``os.utime`` cannot restore the status-change time, so a rewrite
      is still seen, unless it keeps the size, both edges and happens within
      the clock's resolution of the times;
    - any other value: ``joblib.hash`` of the value.

    16 MiB bounds the hashing at about 20 ms per file (blake2b runs at about
    1 GB/s), no more than decoding that much audio or image costs; a larger
    file may be read only in part (``AudioReader(offset=..., duration=...)``)
    and is not read whole for its key. Within a process, a file's hash is
    remembered by its absolute path, device, inode, size, and modification
    and status-change times once those times are two seconds old (not on
    Windows): any later write or ``os.utime`` sets the status-change time
    anew, so the file is hashed again, and an unchanged one is read once
    per process, not once per fold. Parameters that do not change the
    output (``n_jobs``, ``verbose``) still change the key.

    Entries hold raw array bytes (numeric dtypes only) behind a fixed prefix,
    a blake2b checksum and a JSON header: reading one executes nothing, so
    whoever can write into the cache folder can at worst plant wrong values,
    never run code. An entry that is corrupt, truncated, not written by this
    format (a planted pickle), stored under another sample's key, or of
    another output kind, dtype or width than the others is recomputed and
    replaced, with one :class:`~skmm.exceptions.CacheEntryWarning` per call.
    Entries are written to a temporary file and renamed, so parallel workers
    (``GridSearchCV(n_jobs=...)``) may share a cache. Delete the directory to
    clear it. The output type is the wrapped transformer's: a 2-D array
    (same dtype), a sparse CSR matrix, or a list of per-sample arrays
    (descriptor sets, readers' images and :class:`~skmm.audio.Waveform`).
    Outputs that cannot be stored this way (None for an unreadable sample,
    object or string dtypes, CuPy arrays) are computed on every call.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from skmm.audio import MFCC
    >>> from skmm.cache import CachedTransformer
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(4000).astype(np.float32) for _ in range(3)]
    >>> with tempfile.TemporaryDirectory() as location:
    ...     cached = CachedTransformer(MFCC(sr=8000, n_mfcc=13), memory=location)
    ...     first = cached.fit_transform(clips)
    ...     print(cached.is_cached(clips + [clips[0][:2000]]))
    ...     print(first.shape, np.array_equal(first, cached.transform(clips)))
    [ True  True  True False]
    (3, 26) True
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"]), None],
        "memory": [str, os.PathLike, HasMethods(["cache"]), InMemoryCache, None],
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
        if isinstance(self.memory, InMemoryCache):
            return None
        if isinstance(self.memory, str | os.PathLike):
            location = os.fspath(self.memory)
        else:
            location = check_memory(self.memory).location
        if location is None or self.transformer is None:
            return None
        # The unfitted parameters: the key of a transformer passed fitted is
        # that of its unfitted clone.
        key = estimator_hash(self.transformer)
        name = type(self.transformer).__name__
        return os.path.join(location, "skmm_cache", f"{name}-{key}")

    def _check_stateless(self):
        culprit = _learning_step(self.transformer)
        if culprit is None:
            return
        inside = (
            ""
            if culprit is self.transformer
            else f" (in {type(self.transformer).__name__})"
        )
        raise TypeError(
            f"CachedTransformer cannot cache {type(culprit).__name__}{inside}: "
            "its tags say it learns from the data it is fitted on "
            "(requires_fit=True), so its output for a sample depends on the "
            "training set, which the per-sample cache key does not include. "
            "Wrap only the stateless steps (readers, MFCC, HOG, SIFT, "
            "DenseSIFT, StatsPooling) and put the learning ones after the "
            "CachedTransformer in a Pipeline."
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

        Raises
        ------
        TypeError
            When ``transformer`` (or one of its steps) learns from data.
        """
        if self.transformer is not None:
            self._check_stateless()
        self.cache_dir_ = self._cache_dir()
        self._memory_prefix = None
        if self.transformer is not None and isinstance(self.memory, InMemoryCache):
            key = estimator_hash(self.transformer)
            self._memory_prefix = f"{type(self.transformer).__name__}-{key}/"
        if self.transformer is None:
            validate_data(self, X, accept_sparse=("csr", "csc"))
            self.transformer_ = None
        elif not self._caching():
            self.transformer_ = clone(self.transformer).fit(X, y)
        else:
            # Fitting a stateless transformer validates its parameters and
            # records what it records (HOG's image size, a reader's device):
            # one sample does it. A Pipeline of a reader and an extractor
            # fitted on all of X would read every sample in fit and again in
            # transform.
            present = [
                i for i, sample in enumerate(_samples(X)) if not _is_missing(sample)
            ]
            rows = present[:1] or [0]
            self.transformer_ = clone(self.transformer).fit(_take(X, rows))
        return self

    def _caching(self):
        return self.cache_dir_ is not None or self._memory_prefix is not None

    def _path(self, key):
        if self.cache_dir_ is None:
            return f"{self.memory!r}[{self._memory_prefix}{key}]"
        return os.path.join(self.cache_dir_, key[:2], f"{key}{_entry.SUFFIX}")

    def _load(self, key):
        """``(entry, reason)``: ``(kind, item)`` or None, and why it is invalid."""
        if self.cache_dir_ is None:
            data = self.memory.get(self._memory_prefix + key)
        else:
            try:
                data = _entry.read(self._path(key))
            except OSError as exc:
                return None, f"unreadable: {exc}"
        if data is None:
            return None, None
        try:
            return _entry.decode(key, data), None
        except _entry.InvalidEntry as exc:
            return None, str(exc)

    def _compute(self, X, positions, keys):
        """Transform samples ``positions`` of ``X``; store them under ``keys``."""
        kind, items = _split_output(self.transformer_.transform(_take(X, positions)))
        computed = {}
        for key, item in zip(keys, items, strict=True):
            computed[key] = (kind, item)
            data = _entry.encode(key, kind, item)
            if data is None:
                continue
            if self.cache_dir_ is None:
                self.memory.put(self._memory_prefix + key, data)
                continue
            try:
                _entry.write(self._path(key), data)
            except IsADirectoryError:
                # Something planted a directory where the entry goes: the
                # sample is computed each time (CacheEntryWarning says so).
                pass
        return computed

    def is_cached(self, X):
        """Whether each sample of ``X`` has a valid entry in the cache.

        Reads and checks the entries, computes nothing and changes nothing.

        Parameters
        ----------
        X : the wrapped transformer's input

        Returns
        -------
        cached : ndarray of bool of shape (n_samples,)
            All False without a cache.
        """
        check_is_fitted(self, "cache_dir_")
        samples = _samples(X)
        if not self._caching():
            return np.zeros(len(samples), dtype=bool)
        keys = [sample_key(sample) for sample in samples]
        valid = {key: self._load(key)[0] is not None for key in dict.fromkeys(keys)}
        return np.array([valid[key] for key in keys], dtype=bool)

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
        if not self._caching():
            return self.transformer_.transform(X)
        keys = [sample_key(sample) for sample in _samples(X)]
        if not keys:
            return self.transformer_.transform(X)
        first_position = {}
        for position, key in enumerate(keys):
            first_position.setdefault(key, position)

        entries, invalid = {}, {}
        for key in first_position:
            entry, reason = self._load(key)
            if entry is not None:
                entries[key] = entry
            elif reason is not None:
                invalid[key] = reason
        todo = [key for key in first_position if key not in entries]
        computed = {}
        if todo:
            computed = self._compute(X, [first_position[key] for key in todo], todo)
        signatures = {key: _signature(*entry) for key, entry in entries.items()}
        if computed:
            reference = _signature(*next(iter(computed.values())))
        elif len(set(signatures.values())) > 1:
            # Loaded entries disagree and nothing was computed to say which
            # are right: the first sample, computed afresh, says.
            first = keys[0]
            computed = self._compute(X, [first_position[first]], [first])
            reference = _signature(*computed[first])
        else:
            reference = None
        wrong = [
            key
            for key, signature in signatures.items()
            if reference is not None and signature != reference
        ]
        for key in wrong:
            del entries[key]
            invalid[key] = f"output {signatures[key]}, not {reference}"
        recompute = [key for key in wrong if key not in computed]
        if recompute:
            computed.update(
                self._compute(X, [first_position[key] for key in recompute], recompute)
            )
        entries.update(computed)
        if invalid:
            key, reason = next(iter(invalid.items()))
            warnings.warn(
                f"{len(invalid)} cache entries under "
                f"{self.cache_dir_ or self.memory} were invalid (corrupt, "
                "truncated, not written by skmm, or of another output "
                f"kind) and were recomputed; the first, {self._path(key)}: "
                f"{reason}.",
                CacheEntryWarning,
                stacklevel=2,
            )
        kind = entries[keys[0]][0]
        return _join_output(kind, [entries[key][1] for key in keys])

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
