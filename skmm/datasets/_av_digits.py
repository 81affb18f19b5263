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
row. No MNIST image is used twice. ``mnist_index`` holds the MNIST row of
every sample.

{degradation}

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


def _remove_energy(images, fraction):
    """Images minus their projection on the leading principal components that
    hold ``fraction`` of the pixel variance (PCA over all given images)."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    mean = flat.mean(axis=0)
    centred = flat - mean
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    share = np.cumsum(eigenvalues) / eigenvalues.sum()
    n_removed = int(np.searchsorted(share, fraction) + 1)
    leading = eigenvectors[:, :n_removed]
    degraded = flat - (centred @ leading) @ leading.T
    return degraded.reshape(images.shape).astype(np.float32), n_removed


def make_av_digits(
    fsdd_path,
    mnist_path,
    *,
    random_state=0,
    audio="waveform",
    image_energy_removed=0.0,
):
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

    image_energy_removed : float in [0, 1), default=0.0
        Degrade the images as AV-MNIST does (Vielzeuf et al., 2018): remove
        the leading principal components (PCA over all MNIST images of the
        file) that together hold this fraction of the pixel variance, keeping
        the mean image and the remaining components. 0.75 is AV-MNIST's
        setting. Degraded images are float32 (pixel scale 0-255, values may
        be negative); with 0 the images are the original uint8 ones.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (n_samples, 2)
            Object columns ``"image"`` (28x28 uint8 arrays, float32 when
            degraded) and ``"audio"`` (float32 waveforms or paths).
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
    if not 0.0 <= image_energy_removed < 1.0:
        raise ValueError(
            f"image_energy_removed must be in [0, 1), got {image_energy_removed!r}."
        )
    fsdd = load_fsdd(fsdd_path, audio=audio)
    mnist = load_mnist_csv(mnist_path)
    mnist_index = _pair(fsdd.target, mnist.target, random_state)
    images = mnist.data["image"].to_numpy()
    degradation = "No image is degraded."
    if image_energy_removed > 0:
        stacked, n_removed = _remove_energy(np.stack(images), image_energy_removed)
        images = np.empty(len(stacked), dtype=object)
        images[:] = list(stacked)
        degradation = (
            f"Images are degraded: the {n_removed} leading principal components "
            f"of all {len(stacked)} MNIST images, holding "
            f"{image_energy_removed:.0%} of the pixel variance, are removed "
            "(image_energy_removed)."
        )
    data = pd.DataFrame(
        {
            "image": images[mnist_index],
            "audio": fsdd.data["audio"].to_numpy(),
        }
    )
    seed = _describe_seed(random_state)
    descr = DESCR_TEMPLATE.format(random_state=seed, degradation=degradation)
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
