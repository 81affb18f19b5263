"""Images: reading, pixels, HOG, SIFT, dense SIFT, DAISY and ORB descriptors,
colour and texture."""

from skmm.image._color import ColorHistogram
from skmm.image._daisy import DAISY
from skmm.image._dense_sift import DenseSIFT
from skmm.image._glcm import HaralickTexture
from skmm.image._hog import HOG
from skmm.image._lbp import LBP
from skmm.image._moments import HuMoments
from skmm.image._orb import ORB
from skmm.image._pixels import Pixels
from skmm.image._reader import ImageReader
from skmm.image._sift import SIFT

__all__ = [
    "DAISY",
    "HOG",
    "LBP",
    "ORB",
    "ColorHistogram",
    "HaralickTexture",
    "HuMoments",
    "DenseSIFT",
    "ImageReader",
    "Pixels",
    "SIFT",
]
