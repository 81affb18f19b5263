"""Compose a multimodal table: cells of several items, column kinds, and one
line from a table to a fitted model.

:class:`PerItem` runs any transformer over cells that hold one item or a
list of items; :func:`infer_modalities` tells the kind of each column of a
table from its content; :class:`MultimodalClassifier` and
:class:`MultimodalRegressor` build a default pipeline per column
(:func:`make_default_pipeline`) and fuse them.
"""

from skmm.compose._defaults import make_default_pipeline
from skmm.compose._infer import ModalityInfo, infer_modalities
from skmm.compose._multimodal import MultimodalClassifier, MultimodalRegressor
from skmm.compose._per_item import PerItem

__all__ = [
    "ModalityInfo",
    "MultimodalClassifier",
    "MultimodalRegressor",
    "PerItem",
    "infer_modalities",
    "make_default_pipeline",
]
