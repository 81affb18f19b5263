"""Caches and streamed files: the per-sample feature cache and out-of-core
extraction into ``.npy`` files."""

from skmm.cache._cache import CachedTransformer
from skmm.cache._extract import extract_features
from skmm.cache._memory import InMemoryCache

__all__ = ["CachedTransformer", "InMemoryCache", "extract_features"]
