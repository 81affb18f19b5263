"""Inspection of fitted multimodal models: which modality do they rely on?"""

from skmm.inspection._modality_importance import modality_importance

__all__ = ["modality_importance"]
