"""Cross-modal retrieval: a common space for two modalities, and ranking."""

from skmm.retrieval._cca import CrossModalCCA
from skmm.retrieval._retrieve import retrieve, similarity

__all__ = ["CrossModalCCA", "retrieve", "similarity"]
