"""Plots of multimodal models, in scikit-learn's Display style.

Each display computes its values in ``from_estimator`` (or
``from_predictions``), keeps them as attributes, and draws them with
``plot(ax=None, ...)``. matplotlib is optional: this module imports without
it, and only drawing asks for it.
"""

from skmm.plotting._contribution import ModalityContributionDisplay
from skmm.plotting._hog import HOGDisplay
from skmm.plotting._importance import ModalityImportanceDisplay
from skmm.plotting._missing import MissingModalityDisplay
from skmm.plotting._retrieval import RetrievalPrecisionRecallDisplay

__all__ = [
    "HOGDisplay",
    "MissingModalityDisplay",
    "ModalityContributionDisplay",
    "ModalityImportanceDisplay",
    "RetrievalPrecisionRecallDisplay",
]
