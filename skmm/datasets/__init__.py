"""Loaders for real multimodal data and the embedded demo data set.

The loaders take a path and never download: the real data sets (FSDD, MNIST
as CSV, Wikipedia cross-modal features, clip art with titles) live wherever
the user keeps them.
:func:`make_multimodal_digits` needs no file at all.
"""

from skmm.datasets._av_digits import make_av_digits
from skmm.datasets._embedded import make_multimodal_digits
from skmm.datasets._fsdd import load_fsdd
from skmm.datasets._mnist import load_mnist_csv
from skmm.datasets._openclipart import load_openclipart
from skmm.datasets._wikipedia import load_wikipedia_xmodal

__all__ = [
    "load_fsdd",
    "load_mnist_csv",
    "load_openclipart",
    "load_wikipedia_xmodal",
    "make_av_digits",
    "make_multimodal_digits",
]
