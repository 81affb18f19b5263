"""Images: reading, HOG, SIFT and dense SIFT descriptors."""

__all__ = []
