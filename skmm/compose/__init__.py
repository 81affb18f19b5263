"""Compose a multimodal table: one line from a table to a fitted model."""

from skmm.compose._defaults import make_default_pipeline
from skmm.compose._multimodal import MultimodalClassifier, MultimodalRegressor

__all__ = ["MultimodalClassifier", "MultimodalRegressor", "make_default_pipeline"]
