"""Compose a multimodal table: cells of several items, column kinds.

:class:`PerItem` runs any transformer over cells that hold one item or a
list of items; :func:`infer_modalities` tells the kind of each column of a
table from its content.
"""

from skmm.compose._infer import ModalityInfo, infer_modalities
from skmm.compose._per_item import PerItem

__all__ = ["ModalityInfo", "PerItem", "infer_modalities"]
