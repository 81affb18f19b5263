"""Encoders: a set of local descriptors per sample becomes one vector.

The same encoders serve every modality that produces descriptor sets: SIFT
descriptors of an image, MFCC frames of a clip.
"""

from skmm.encode._bow import BagOfWords
from skmm.encode._fisher import FisherVector
from skmm.encode._pooling import StatsPooling, pool_flat
from skmm.encode._vlad import VLAD

__all__ = ["VLAD", "BagOfWords", "FisherVector", "StatsPooling", "pool_flat"]
