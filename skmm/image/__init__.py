"""Images: reading, HOG, SIFT, dense SIFT, DAISY and ORB descriptors."""

from skmm.image._daisy import DAISY
from skmm.image._dense_sift import DenseSIFT
from skmm.image._hog import HOG
from skmm.image._orb import ORB
from skmm.image._reader import ImageReader
from skmm.image._sift import SIFT

__all__ = ["DAISY", "HOG", "DenseSIFT", "ImageReader", "ORB", "SIFT"]
