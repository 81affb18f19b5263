"""Metrics of multimodal tasks: retrieval by category."""

from skmm.metrics._retrieval import (
    mean_average_precision,
    precision_at_k,
    precision_recall_curve,
    recall_at_k,
)

__all__ = [
    "mean_average_precision",
    "precision_at_k",
    "precision_recall_curve",
    "recall_at_k",
]
