"""A bounded in-memory store of cache entries, shared within a process."""

import numbers
import threading
from collections import OrderedDict

__all__ = ["InMemoryCache"]


class InMemoryCache:
    """Cache entries in this process's memory, least recently used out first.

    Give it as :class:`~skmm.cache.CachedTransformer`'s ``memory`` to keep a
    stateless extractor's per-sample outputs in memory instead of on disk:
    folds of a cross-validation and points of a grid search that share
    samples then compute (read, decode, extract) each of them once per
    process, and nothing is written anywhere. Entries are the on-disk
    format's bytes (numeric arrays only, checksummed), so a served entry is
    a fresh copy that a later step may modify freely.

    Cloning an estimator that holds it (``sklearn.base.clone`` deep-copies
    parameters) shares the same store, as cloning shares a
    ``joblib.Memory``'s directory. Sent to another process (joblib's
    process-based workers), it arrives empty, with the same ``max_bytes``:
    each worker keeps its own entries.

    Parameters
    ----------
    max_bytes : int, default=512 * 2**20
        The most bytes of entries held; the least recently used ones are
        dropped to stay under it. An entry larger than this is not kept.

    Attributes
    ----------
    nbytes : int
        Bytes of the entries held now.

    See Also
    --------
    CachedTransformer : Per-sample caching of a stateless extractor.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.audio import MFCC
    >>> from skmm.cache import CachedTransformer, InMemoryCache
    >>> store = InMemoryCache(max_bytes=2**20)
    >>> clips = [np.random.default_rng(0).standard_normal(4000)]
    >>> cached = CachedTransformer(MFCC(sr=8000, n_mfcc=13), memory=store)
    >>> first = cached.fit_transform(clips)
    >>> len(store), bool(cached.is_cached(clips)[0])
    (1, True)
    """

    def __init__(self, max_bytes=512 * 2**20):
        if not isinstance(max_bytes, numbers.Integral) or max_bytes < 0:
            raise ValueError(
                f"max_bytes must be a non-negative integer, got {max_bytes!r}."
            )
        self.max_bytes = int(max_bytes)
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0

    def __repr__(self):
        return f"{type(self).__name__}(max_bytes={self.max_bytes})"

    def __len__(self):
        return len(self._entries)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return type(self), (self.max_bytes,)

    def get(self, key):
        """The entry's bytes under ``key``, or None."""
        with self._lock:
            data = self._entries.get(key)
            if data is not None:
                self._entries.move_to_end(key)
            return data

    def put(self, key, data):
        """Keep ``data`` under ``key``, dropping the least recently used."""
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.nbytes -= len(old)
            self._entries[key] = data
            self.nbytes += len(data)
            while self.nbytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.nbytes -= len(dropped)

    def clear(self):
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self.nbytes = 0


#: The store :class:`~skmm.compose.MultimodalClassifier` uses by default.
PROCESS_CACHE = InMemoryCache()
