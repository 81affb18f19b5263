"""Utilities shared by every modality: validation, discovery, common checks."""

from skmm.utils._validation import check_descriptor_sets, check_documents
from skmm.utils.discovery import all_estimators

__all__ = [
    "CachedTransformer",
    "all_estimators",
    "check_descriptor_sets",
    "check_documents",
    "extract_features",
]


def __getattr__(name):
    # Re-exported from skmm.cache, where they moved, so that existing imports
    # keep working; imported lazily since skmm.cache imports skmm.utils.
    if name in {"CachedTransformer", "extract_features"}:
        import skmm.cache

        return getattr(skmm.cache, name)
    raise AttributeError(f"module 'skmm.utils' has no attribute {name!r}")
