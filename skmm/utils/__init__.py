"""Utilities shared by every modality: validation, discovery, common checks."""

from skmm.utils._cache import CachedTransformer
from skmm.utils._extract import extract_features
from skmm.utils._validation import check_descriptor_sets, check_documents
from skmm.utils.discovery import all_estimators

__all__ = [
    "CachedTransformer",
    "all_estimators",
    "check_descriptor_sets",
    "check_documents",
    "extract_features",
]
