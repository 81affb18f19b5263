"""Metrics of multimodal tasks: retrieval by category, shot boundaries and
video summaries."""

from skmm.metrics._retrieval import (
    mean_average_precision,
    precision_at_k,
    precision_recall_curve,
    recall_at_k,
)
from skmm.metrics._video import (
    shot_boundary_scores,
    summary_f_score,
    summary_scores,
)

__all__ = [
    "mean_average_precision",
    "precision_at_k",
    "precision_recall_curve",
    "recall_at_k",
    "shot_boundary_scores",
    "summary_f_score",
    "summary_scores",
]
