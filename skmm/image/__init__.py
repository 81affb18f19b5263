"""Images: reading, HOG, SIFT and dense SIFT descriptors."""

from skmm.image._dense_sift import DenseSIFT
from skmm.image._reader import ImageReader
from skmm.image._sift import SIFT

__all__ = ["DenseSIFT", "ImageReader", "SIFT"]
