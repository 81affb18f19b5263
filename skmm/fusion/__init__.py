"""Fusion of modalities: early (one fused feature matrix) and late."""

from skmm.fusion._early import (
    BlockScaler,
    ModalityImputer,
    ProductFusion,
    SkipMissing,
    make_block_fusion,
)
from skmm.fusion._late import LateFusionClassifier, LateFusionRegressor

__all__ = [
    "BlockScaler",
    "LateFusionClassifier",
    "LateFusionRegressor",
    "ModalityImputer",
    "ProductFusion",
    "SkipMissing",
    "make_block_fusion",
]
