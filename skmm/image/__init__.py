"""Images: reading, pixels, HOG, SIFT and dense SIFT descriptors."""

from skmm.image._dense_sift import DenseSIFT
from skmm.image._hog import HOG
from skmm.image._pixels import Pixels
from skmm.image._reader import ImageReader
from skmm.image._sift import SIFT

__all__ = ["HOG", "DenseSIFT", "ImageReader", "Pixels", "SIFT"]
