"""Images: reading, HOG, SIFT and dense SIFT descriptors."""

from skmm.image._reader import ImageReader

__all__ = ["ImageReader"]
