"""Fusion of modalities: early (one fused feature matrix) and late."""

from skmm.fusion._block_scaler import BlockScaler, make_block_fusion
from skmm.fusion._blocks import ModalityImputer, ProductFusion, SkipMissing
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
