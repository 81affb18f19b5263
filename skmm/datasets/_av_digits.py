"""Audio-visual digits: FSDD clips paired with MNIST images of the same digit."""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from skmm.datasets._base import DIGIT_NAMES, _describe_seed, _digits_bunch
from skmm.datasets._fsdd import load_fsdd
from skmm.datasets._mnist import load_mnist_csv

DESCR_TEMPLATE = """\
Audio-visual digits (FSDD x MNIST)
----------------------------------

Every Free Spoken Digit Dataset clip is paired with one MNIST image of the
same digit, in the spirit of AV-MNIST. Both modalities are real recordings
and real handwriting; only the pairing is made up, so the two modalities
are conditionally independent given the digit.

Pairing: samples follow FSDD's order (digit, speaker, take). For each digit
0, 1, ..., 9 in turn, ``sklearn.utils.check_random_state(random_state)``
draws, with ``choice(..., replace=False)``, as many MNIST rows of that digit
as there are clips of it; the i-th clip of the digit gets the i-th drawn
row. No MNIST image is used twice and no image is degraded. ``mnist_index``
holds the MNIST row of every sample.

This instance: random_state={random_state}.

Protocols: those of FSDD (``split``: takes 0-4 are the test set; ``groups``
for leave-one-speaker-out).
"""


def _pair(clip_target, image_target, random_state):
    """Return, for every clip, the row of a distinct image of the same digit."""
    rng = check_random_state(random_state)
    mnist_index = np.empty(len(clip_target), dtype=np.int64)
    for digit in range(len(DIGIT_NAMES)):
        clips = np.flatnonzero(clip_target == digit)
        images = np.flatnonzero(image_target == digit)
        if len(images) < len(clips):
            raise ValueError(
                f"Digit {digit} has {len(clips)} clips but only {len(images)} "
                "images; every clip needs its own image."
            )
        mnist_index[clips] = rng.choice(images, size=len(clips), replace=False)
    return mnist_index


def make_av_digits(fsdd_path, mnist_path, *, random_state=0, audio="waveform"):
    """Pair every FSDD clip with an MNIST image of the same digit.

    Parameters
    ----------
    fsdd_path : str or pathlib.Path
        The FSDD folder, as for :func:`load_fsdd`.

    mnist_path : str or pathlib.Path
        The MNIST CSV file or its folder, as for :func:`load_mnist_csv`.

    random_state : int, RandomState instance or None, default=0
        Seeds the pairing through ``sklearn.utils.check_random_state``. An int
        gives the same pairing on every call.

    audio : {"waveform", "path"}, default="waveform"
        What the ``"audio"`` column holds, as for :func:`load_fsdd`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (n_samples, 2)
            Object columns ``"image"`` (28x28 uint8 arrays) and ``"audio"``
            (float32 waveforms or paths).
        target : ndarray of shape (n_samples,)
            The digit (int), shared by both modalities.
        speaker, take, split, groups, filenames : ndarray of shape (n_samples,)
            As in :func:`load_fsdd`.
        mnist_index : ndarray of shape (n_samples,)
            The MNIST row whose image each sample got.
        sample_rate : int
            Sample rate of the audio.
        frame : pandas.DataFrame of shape (n_samples, 7)
            ``data`` with the columns ``"target"``, ``"speaker"``, ``"take"``,
            ``"split"`` and ``"mnist_index"``.
        target_names : ndarray of shape (10,)
            ``"0"`` to ``"9"``.
        DESCR : str
            Description of the data set, pairing rule and seed.

    Raises
    ------
    FileNotFoundError
        If either path is not laid out as its loader expects.
    ValueError
        If a digit has fewer MNIST images than FSDD clips, or a loader rejects
        its files.

    Examples
    --------
    >>> from skmm.datasets import make_av_digits
    >>> av = make_av_digits(
    ...     "../shared/data/fsdd", "../shared/data/mnist"
    ... )  # doctest: +SKIP
    >>> av.data.columns.tolist(), av.data.shape  # doctest: +SKIP
    (['image', 'audio'], (3000, 2))
    """
    fsdd = load_fsdd(fsdd_path, audio=audio)
    mnist = load_mnist_csv(mnist_path)
    mnist_index = _pair(fsdd.target, mnist.target, random_state)
    data = pd.DataFrame(
        {
            "image": mnist.data["image"].to_numpy()[mnist_index],
            "audio": fsdd.data["audio"].to_numpy(),
        }
    )
    seed = _describe_seed(random_state)
    descr = DESCR_TEMPLATE.format(random_state=seed)
    return _digits_bunch(
        data=data,
        target=fsdd.target,
        descr=descr,
        frame_columns=("speaker", "take", "split", "mnist_index"),
        speaker=fsdd.speaker,
        take=fsdd.take,
        split=fsdd.split,
        groups=fsdd.groups,
        filenames=fsdd.filenames,
        mnist_index=mnist_index,
        sample_rate=fsdd.sample_rate,
    )
