"""Loader for the Free Spoken Digit Dataset (FSDD)."""

import re

import numpy as np
import pandas as pd

from skmm.datasets._base import _as_path, _data_frame, _digits_bunch, _not_found

_EXPECTED_LAYOUT = (
    "an FSDD folder with recordings/{digit}_{speaker}_{take}.wav (and optionally "
    "speakers.csv), or the recordings/ folder itself"
)
_FILE_NAME = re.compile(r"(?P<digit>[0-9])_(?P<speaker>[^_]+)_(?P<take>[0-9]+)\.wav")
# Takes 0-4 of every speaker and digit form the official test set.
_N_TEST_TAKES = 5

DESCR = """\
Free Spoken Digit Dataset (FSDD)
--------------------------------

Recordings of spoken digits 0-9: mono wav files at 8 kHz, int16, named
``{digit}_{speaker}_{take}.wav``. The release this loader was written against
holds 3,000 clips (6 speakers x 10 digits x 50 takes), 0.14-2.28 s long.

Samples are sorted by digit, speaker and take (numerically). Waveforms are
float32 in [-1, 1) as read by soundfile (int16 divided by 32768); multichannel
files are averaged to mono.

Protocols:

- official split (``split``): takes 0-4 of every speaker and digit are the
  test set (300 clips), the other takes the training set (2,700 clips);
  speakers occur in both;
- leave-one-speaker-out: pass ``groups`` to ``LeaveOneGroupOut``.

Source: Jakobovski/free-spoken-digit-dataset, CC BY-SA 4.0.
"""


def _recordings_folder(path):
    """Return ``(recordings, root)`` for an FSDD folder or its recordings/."""
    if (path / "recordings").is_dir():
        return path / "recordings", path
    if path.is_dir() and any(path.glob("*.wav")):
        return path, path.parent
    raise _not_found(path, _EXPECTED_LAYOUT)


def _parse_file_names(files):
    """Return ``(digit, speaker, take)`` lists, one entry per wav file."""
    digits, speakers, takes = [], [], []
    for file in files:
        match = _FILE_NAME.fullmatch(file.name)
        if match is None:
            raise ValueError(
                f"{file}: file name does not match {{digit}}_{{speaker}}_{{take}}"
                ".wav (a digit 0-9, a speaker name without '_', a take number)."
            )
        digits.append(int(match["digit"]))
        speakers.append(match["speaker"])
        takes.append(int(match["take"]))
    return digits, speakers, takes


def _read_clip(soundfile, file, *, audio):
    """Return ``(cell, sample_rate)`` for one file; cell is a waveform or path."""
    try:
        if audio == "path":
            return str(file), soundfile.info(str(file)).samplerate
        waveform, sample_rate = soundfile.read(str(file), dtype="float32")
    except (soundfile.SoundFileError, RuntimeError) as error:
        raise ValueError(f"{file}: soundfile cannot read it ({error}).") from error
    if waveform.ndim == 2:
        waveform = waveform.mean(axis=1, dtype=np.float32)
    return waveform, sample_rate


def load_fsdd(path, *, audio="waveform"):
    """Load the Free Spoken Digit Dataset from a folder.

    Parameters
    ----------
    path : str or pathlib.Path
        The FSDD folder, holding ``recordings/{digit}_{speaker}_{take}.wav``
        and optionally ``speakers.csv``; the ``recordings/`` folder itself is
        accepted too (``speakers.csv`` is then looked for in its parent).

    audio : {"waveform", "path"}, default="waveform"
        What the ``"audio"`` column holds: float32 mono waveforms in [-1, 1],
        or the file paths as strings (for a pipeline that starts with an audio
        reader, or to load quickly).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (n_samples, 1)
            One object column ``"audio"``: a waveform or a path per sample.
        target : ndarray of shape (n_samples,)
            The spoken digit (int).
        speaker : ndarray of shape (n_samples,)
            Speaker names (str).
        take : ndarray of shape (n_samples,)
            Take number of the speaker for that digit (int).
        filenames : ndarray of shape (n_samples,)
            Paths of the wav files (str).
        split : ndarray of shape (n_samples,)
            ``"test"`` for takes 0-4 (the official split), else ``"train"``.
        groups : ndarray of shape (n_samples,)
            Integer speaker codes (speakers in sorted order), for
            ``LeaveOneGroupOut``.
        speakers : pandas.DataFrame or None
            The contents of ``speakers.csv``, or None when it is absent.
        sample_rate : int
            Sample rate shared by all files (8000 for FSDD).
        frame : pandas.DataFrame of shape (n_samples, 5)
            ``data`` with the columns ``"target"``, ``"speaker"``, ``"take"``
            and ``"split"``.
        target_names : ndarray of shape (10,)
            ``"0"`` to ``"9"``.
        DESCR : str
            Description of the data set.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not an FSDD folder or holds no wav file.
    ValueError
        If a wav file name does not follow ``{digit}_{speaker}_{take}.wav``,
        soundfile cannot read a file, or the files disagree on the sample
        rate; the message names the file.

    Examples
    --------
    >>> from skmm.datasets import load_fsdd
    >>> fsdd = load_fsdd("../shared/data/fsdd")  # doctest: +SKIP
    >>> fsdd.data.shape, fsdd.sample_rate  # doctest: +SKIP
    ((3000, 1), 8000)
    >>> (fsdd.split == "test").sum()  # doctest: +SKIP
    np.int64(300)
    """
    if audio not in ("waveform", "path"):
        raise ValueError(f"audio must be 'waveform' or 'path', got {audio!r}.")
    # soundfile loads libsndfile on import; only pay for it when loading.
    import soundfile

    recordings, root = _recordings_folder(_as_path(path))
    files = list(recordings.glob("*.wav"))
    if not files:
        raise _not_found(recordings, _EXPECTED_LAYOUT)
    digits, speakers, takes = _parse_file_names(files)
    order = sorted(range(len(files)), key=lambda i: (digits[i], speakers[i], takes[i]))
    files = [files[i] for i in order]
    target = np.array([digits[i] for i in order], dtype=np.int64)
    speaker = np.array([speakers[i] for i in order], dtype=str)
    take = np.array([takes[i] for i in order], dtype=np.int64)

    cells, rates = [], {}
    for file in files:
        cell, sample_rate = _read_clip(soundfile, file, audio=audio)
        cells.append(cell)
        rates.setdefault(sample_rate, file)
    if len(rates) > 1:
        examples = ", ".join(f"{rate} Hz ({file})" for rate, file in rates.items())
        raise ValueError(f"FSDD files disagree on the sample rate: {examples}.")

    speakers_csv = root / "speakers.csv"
    _, groups = np.unique(speaker, return_inverse=True)
    split = np.where(take < _N_TEST_TAKES, "test", "train")
    return _digits_bunch(
        data=_data_frame(audio=cells),
        target=target,
        descr=DESCR,
        frame_columns=("speaker", "take", "split"),
        speaker=speaker,
        take=take,
        filenames=np.array([str(file) for file in files], dtype=str),
        split=split,
        groups=groups.astype(np.int64),
        speakers=pd.read_csv(speakers_csv) if speakers_csv.is_file() else None,
        sample_rate=int(next(iter(rates))),
    )
