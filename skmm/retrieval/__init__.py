"""Cross-modal retrieval: a common space for two or more modalities, and ranking."""

from skmm.retrieval._cca import CrossModalCCA
from skmm.retrieval._gcca import GeneralizedCCA
from skmm.retrieval._kcca import KernelCCA
from skmm.retrieval._matching import (
    CorrelationMatching,
    SemanticCorrelationMatching,
    SemanticMatching,
    make_retrieval_scorer,
)
from skmm.retrieval._retrieve import retrieve, similarity

__all__ = [
    "CorrelationMatching",
    "CrossModalCCA",
    "GeneralizedCCA",
    "KernelCCA",
    "SemanticCorrelationMatching",
    "SemanticMatching",
    "make_retrieval_scorer",
    "retrieve",
    "similarity",
]
