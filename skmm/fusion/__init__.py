"""Fusion of modalities: early (one fused feature matrix) and late."""

from skmm.fusion._block_scaler import BlockScaler, make_block_fusion
from skmm.fusion._cotraining import CoTrainingClassifier
from skmm.fusion._elementwise import CommonSpaceFusion
from skmm.fusion._late import LateFusionClassifier, LateFusionRegressor
from skmm.fusion._missing import ModalityImputer, SkipMissing
from skmm.fusion._product import ProductFusion
from skmm.fusion._rules import cross_validate_rules

__all__ = [
    "BlockScaler",
    "CommonSpaceFusion",
    "CoTrainingClassifier",
    "LateFusionClassifier",
    "LateFusionRegressor",
    "ModalityImputer",
    "ProductFusion",
    "SkipMissing",
    "cross_validate_rules",
    "make_block_fusion",
]
