"""Encoders: a set of local descriptors per sample becomes one vector.

The same encoders serve every modality that produces descriptor sets: SIFT
descriptors of an image, MFCC frames of a clip. Binary descriptors (ORB) reach
them unpacked to bits of 0 and 1 (``skmm.image.ORB(unpack_bits=True)``, the
default), for which the squared Euclidean distance the encoders use is the
Hamming distance; k-means centres are then the bitwise means. Sets that carry
their positions (:class:`DescriptorSet`) can be encoded per cell of a spatial
pyramid (:class:`SpatialPyramid`).
"""

import importlib

__all__ = [
    "VLAD",
    "BagOfWords",
    "DescriptorSet",
    "FisherVector",
    "SpatialPyramid",
    "StatsPooling",
    "pool_flat",
]

_MODULES = {
    "BagOfWords": "_bow",
    "DescriptorSet": "_pyramid",
    "FisherVector": "_fisher",
    "SpatialPyramid": "_pyramid",
    "StatsPooling": "_pooling",
    "VLAD": "_vlad",
    "pool_flat": "_pooling",
}


def __getattr__(name):
    # Each encoder loads on first use: MFCC's pooling imports
    # skmm.encode._pooling without paying for scikit-learn's clustering.
    if name in _MODULES:
        return getattr(importlib.import_module(f"skmm.encode.{_MODULES[name]}"), name)
    raise AttributeError(f"module 'skmm.encode' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
