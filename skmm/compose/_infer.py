"""The kind of each column of a multimodal table, from its content."""

import numbers
import os
from collections import Counter
from typing import NamedTuple

import numpy as np

from skmm.compose._per_item import _is_item_list
from skmm.exceptions import ModalityInferenceError
from skmm.utils._validation import _is_missing

__all__ = ["KINDS", "ModalityInfo", "infer_modalities"]

#: The kinds :func:`infer_modalities` tells apart.
KINDS = ("text", "image", "audio", "video", "numeric", "categorical")
_SOURCES = ("path", "array", "value")

# File formats by their first bytes: (kind, format, offset, magic).
_MAGIC = (
    ("image", "PNG", 0, b"\x89PNG\r\n\x1a\n"),
    ("image", "JPEG", 0, b"\xff\xd8\xff"),
    ("image", "GIF", 0, b"GIF87a"),
    ("image", "GIF", 0, b"GIF89a"),
    ("image", "BMP", 0, b"BM"),
    ("image", "TIFF", 0, b"II*\x00"),
    ("image", "TIFF", 0, b"MM\x00*"),
    ("audio", "FLAC", 0, b"fLaC"),
    ("audio", "OGG", 0, b"OggS"),
    ("audio", "MP3", 0, b"ID3"),
    ("audio", "AIFF", 8, b"AIFF"),
    # ISO base media (MP4, MOV, 3GP): an "ftyp" box first.
    ("video", "MP4/MOV", 4, b"ftyp"),
    # EBML header: Matroska and WebM.
    ("video", "MKV/WebM", 0, b"\x1a\x45\xdf\xa3"),
)
# RIFF containers: the form type at offset 8 tells WebP from WAV and AVI.
_RIFF = {
    b"WEBP": ("image", "WebP"),
    b"WAVE": ("audio", "WAV"),
    b"AVI ": ("video", "AVI"),
}
# MP4 brands of sound alone (iTunes audio and audiobooks), which are no video.
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
_MEDIA_EXTENSIONS = {
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp",
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff",
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm",
}  # fmt: skip
# A string column is text, not categories, when its values have this many
# words on average, or half as many and mostly distinct values.
_TEXT_WORDS = 3.0
# Waveform arrays: at most this many channels, at least this many samples.
_MAX_CHANNELS = 8
_MIN_AUDIO_SAMPLES = 64


class ModalityInfo(NamedTuple):
    """What :func:`infer_modalities` found in one column.

    Attributes
    ----------
    kind : {"text", "image", "audio", "video", "numeric", "categorical"}
        The column's modality.
    multi : bool
        True when some cells hold a list (or tuple) of items
        (:class:`~skmm.compose.PerItem` handles them).
    source : {"path", "array", "value"}
        What the cells hold: file paths, arrays (images, waveforms), or
        plain values (strings, numbers).
    """

    kind: str
    multi: bool
    source: str


def sniff_file(path):
    """``(kind, format)`` of a media file from its first bytes.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    kind_format : tuple of (str, str) or None
        ``("image", "PNG")``, ``("audio", "WAV")``, ``("video", "AVI")``,
        ...; None when the bytes match no known format.

    Raises
    ------
    OSError
        When the file cannot be opened.
    """
    with open(path, "rb") as file:
        head = file.read(16)
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp" and head[8:12] in _AUDIO_BRANDS:
        return None
    for kind, name, offset, magic in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind, name
    # An MP3 without an ID3 tag starts with an MPEG audio frame sync (11 set
    # bits); JPEG's 0xFFD8 was matched above.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio", "MP3"
    return None


def _item_kind(item):
    """``(class, source, detail)`` of one present item.

    ``class`` is "image", "audio", "video", "string", "number", "bool",
    "bad_file" or "other"; ``detail`` says what was seen, for error messages.
    """
    from skmm.video._frames import VideoFrames

    if isinstance(item, VideoFrames):
        return "video", "array", f"VideoFrames of {len(item)} frames"
    if isinstance(item, str | os.PathLike):
        path = os.fspath(item)
        if isinstance(path, bytes):
            return "other", "value", "bytes path"
        # A caption may end with "photo.png": a name that is no file counts as
        # a missing file only when it reads as a path, not as a sentence.
        looks_like_file = os.path.splitext(path)[1].lower() in _MEDIA_EXTENSIONS and (
            not any(c.isspace() for c in path) or os.sep in path or "/" in path
        )
        if os.path.isfile(path):
            try:
                found = sniff_file(path)
            except OSError as error:
                return "bad_file", "path", f"{path!r} ({error.strerror})"
            if found is None:
                return "bad_file", "path", f"{path!r} (unknown file format)"
            return found[0], "path", f"{found[1]} file {path!r}"
        if looks_like_file or isinstance(item, os.PathLike):
            return "bad_file", "path", f"{path!r} (no such file)"
        return "string", "value", f"string {path[:40]!r}"
    if isinstance(item, bool | np.bool_):
        return "bool", "value", f"bool {item!r}"
    if isinstance(item, numbers.Number):
        return "number", "value", f"number {item!r}"
    if isinstance(item, tuple):  # (samples, sample_rate): one audio item
        return "audio", "array", "(samples, sample_rate) tuple"
    if isinstance(item, np.ndarray):
        return _array_kind(item)
    return "other", "value", f"{type(item).__name__} object"


def _array_kind(array):
    shape = f"array of shape {array.shape}, dtype {array.dtype}"
    if getattr(array, "sr", None) is not None:
        return "audio", "array", f"waveform ({shape})"
    if array.dtype.kind not in "biuf":
        return "other", "array", shape
    if array.ndim == 1:
        if array.dtype.kind == "f" and array.size >= _MIN_AUDIO_SAMPLES:
            return "audio", "array", shape
        return "other", "array", shape
    if array.ndim == 2:
        channels, n = array.shape
        if (
            array.dtype.kind == "f"
            and channels <= _MAX_CHANNELS
            and n >= _MIN_AUDIO_SAMPLES
            and n > 16 * channels
        ):
            return "audio", "array", f"multi-channel waveform ({shape})"
        return "image", "array", shape
    if array.ndim == 3 and array.shape[2] in (1, 3, 4):
        return "image", "array", shape
    return "other", "array", shape


def _strings_kind(values):
    """ "text" or "categorical" for a sample of strings."""
    words = np.mean([len(value.split()) for value in values])
    distinct = len(set(values)) / len(values)
    if words >= _TEXT_WORDS or (words >= _TEXT_WORDS / 2 and distinct > 0.5):
        return "text"
    return "categorical"


def _sample_positions(n, n_rows, random_state):
    if n_rows is None or n <= n_rows:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=n_rows, replace=False))


def _describe(counts, examples):
    return "; ".join(
        f"{count} {cls} item(s), e.g. {examples[cls]}"
        for cls, count in counts.most_common()
    )


def _infer_column(name, column, n_rows, random_state):
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return ModalityInfo("categorical", False, "value")
    if pd.api.types.is_numeric_dtype(dtype):
        if column.notna().any():
            return ModalityInfo("numeric", False, "value")
        raise ModalityInferenceError(
            f"Column {name!r}: every cell is missing; there is nothing to infer "
            "its kind from. Drop the column or pass kinds={...}."
        )
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        raise ModalityInferenceError(
            f"Column {name!r} has dtype {dtype}, which is none of the kinds "
            f"{KINDS}; convert it or pass kinds={{{name!r}: ...}}."
        )
    cells = column.to_numpy(dtype=object)
    present = [i for i, cell in enumerate(cells) if not _is_missing(cell)]
    if not present:
        raise ModalityInferenceError(
            f"Column {name!r}: all {len(cells)} cells are missing (None, NaN or "
            "empty lists); there is nothing to infer its kind from. Drop the "
            "column or pass kinds={...}."
        )
    positions = [
        present[i] for i in _sample_positions(len(present), n_rows, random_state)
    ]
    counts, sources, examples, strings = Counter(), Counter(), {}, []
    multi = False
    for position in positions:
        cell = cells[position]
        if _is_item_list(cell) and not _is_video_frames(cell):
            multi = True
            items = [item for item in cell if not _is_missing(item)]
        else:
            items = [cell]
        for item in items:
            cls, source, detail = _item_kind(item)
            counts[cls] += 1
            sources[source] += 1
            examples.setdefault(cls, f"row {position}: {detail}")
            if cls == "string":
                strings.append(str(item))
    seen = f"sampled {len(positions)} of {len(present)} present cells: " + _describe(
        counts, examples
    )
    classes = set(counts)
    media = classes & {"image", "audio", "video"}
    if classes == {"bad_file"}:
        raise ModalityInferenceError(
            f"Column {name!r}: no file it names could be read as an image, "
            f"audio or video file ({seen}). Check the paths (relative paths are read "
            "from the current directory) or pass kinds={...}."
        )
    if media:
        # Unreadable files beside readable ones are a reader's business
        # (ImageReader(on_error="missing")); anything else beside them is not.
        others = classes - media - {"bad_file"}
        if len(media) > 1 or others:
            raise _mixed(name, seen)
        kind = media.pop()
        source = "path" if sources["path"] >= sources["array"] else "array"
        return ModalityInfo(kind, multi, source)
    if len(classes) > 1:
        raise _mixed(name, seen)
    (cls,) = classes
    if cls == "string":
        return ModalityInfo(_strings_kind(strings), multi, "value")
    if cls == "number":
        return ModalityInfo("numeric", multi, "value")
    if cls == "bool":
        return ModalityInfo("categorical", multi, "value")
    raise ModalityInferenceError(
        f"Column {name!r} holds cells of no known kind ({seen}). Pass "
        f"kinds={{{name!r}: ...}} with one of {KINDS}."
    )


def _mixed(name, seen):
    return ModalityInferenceError(
        f"Column {name!r} mixes kinds of cells ({seen}). Give each kind its own "
        "column, fix the odd cells, or pass kinds={...}."
    )


def _is_video_frames(cell):
    from skmm.video._frames import VideoFrames

    return isinstance(cell, VideoFrames)


def _source_of(column):
    """The source of a column whose kind was given, without judging it."""
    for cell in column.to_numpy(dtype=object):
        if _is_missing(cell):
            continue
        multi = _is_item_list(cell) and not _is_video_frames(cell)
        items = list(cell) if multi else [cell]
        item = items[0]
        if isinstance(item, str | os.PathLike) and os.path.isfile(os.fspath(item)):
            return multi, "path"
        if isinstance(item, np.ndarray | tuple) or _is_video_frames(item):
            return multi, "array"
        return multi, "value"
    return False, "value"


def infer_modalities(X, *, kinds=None, n_rows=200, random_state=0):
    """The modality of each column of a table, decided by its content.

    For every column: its kind (``"text"``, ``"image"``, ``"audio"``,
    ``"video"``, ``"numeric"`` or ``"categorical"``), whether its cells hold lists of
    items, and whether they hold file paths, arrays or plain values. Column
    names play no part.

    Parameters
    ----------
    X : pandas.DataFrame
        One column per modality or tabular feature, one row per sample. A
        cell holds a value, a file path, an array, a list or tuple of those,
        or a missing value (None, NaN, an empty list).
    kinds : dict or None, default=None
        Column name -> kind, for columns whose kind is known (these are not
        inferred, only whether their cells are lists and what they hold).
    n_rows : int or None, default=200
        How many present cells of each column to look at, drawn at random
        (all of them when the column has fewer, or with None).
    random_state : int, default=0
        Seed of the draw, so that the result is deterministic.

    Returns
    -------
    modalities : dict of str to ModalityInfo
        In the order of ``X``'s columns.

    Raises
    ------
    ModalityInferenceError
        For a column it cannot decide: every file it names unreadable,
        cells of several kinds (images beside audio, numbers beside
        strings, ...), every cell missing, cells of no known kind. The
        message names the column, what it saw and in which rows.

    See Also
    --------
    skmm.compose.PerItem : Run a modality's pipeline over list cells.

    Notes
    -----
    The rules, applied to a sample of the present cells of a column (missing
    cells are ignored, and so are missing items of list cells):

    - a numeric dtype is ``"numeric"``; a boolean or categorical dtype is
      ``"categorical"``;
    - a string naming an existing file is sniffed by its first bytes: PNG,
      JPEG, GIF, BMP, TIFF and WebP are ``"image"``; WAV, FLAC, OGG, MP3
      and AIFF are ``"audio"``; MP4 and MOV (an ``ftyp`` box, but not
      the M4A audio brands), AVI (``RIFF....AVI``) and Matroska/WebM (the
      EBML header ``1A 45 DF A3``) are ``"video"``, and so are
      :class:`~skmm.video.VideoFrames` cells. Files that are missing or of an unknown
      format are tolerated beside readable ones (readers with
      ``on_error="missing"`` make them missing cells), but a column of
      nothing else raises. A string with a media file extension that names
      no file counts as a missing file when it has no blank or has a path
      separator (``"photo.png"``, ``"my photos/a b.png"``; not ``"see
      photo.png"``);
    - an array carrying a sample rate (:class:`~skmm.audio.Waveform`), a
      ``(samples, sample_rate)`` tuple, a 1-D float array of at least 64
      samples, or a 2-D float array of at most 8 rows (channels) and many
      more columns is ``"audio"``; any other 2-D array, or a 3-D array with
      1, 3 or 4 channels last, is ``"image"``;
    - other strings are ``"text"`` when they hold 3 words or more on
      average (or 1.5 words and more than half of them distinct), else
      ``"categorical"``;
    - numbers in an object column are ``"numeric"``; booleans
      ``"categorical"``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skmm.compose import infer_modalities
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({
    ...     "caption": ["a red car on a road", "two dogs playing in snow"],
    ...     "photos": [rng.random((8, 8, 3)), [rng.random((8, 8)), rng.random((8, 8))]],
    ...     "price": [3.5, 7.0],
    ...     "colour": ["red", "white"],
    ... })
    >>> for name, info in infer_modalities(X).items():
    ...     print(name, info.kind, info.multi, info.source)
    caption text False value
    photos image True array
    price numeric False value
    colour categorical False value
    """
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "infer_modalities needs a pandas DataFrame with one column per "
            f"modality, got {type(X).__name__}."
        )
    kinds = {} if kinds is None else dict(kinds)
    unknown = [column for column in kinds if column not in X.columns]
    if unknown:
        raise KeyError(
            f"kinds names column(s) {unknown} that X lacks; X has columns "
            f"{list(X.columns)}."
        )
    bad = {column: kind for column, kind in kinds.items() if kind not in KINDS}
    if bad:
        raise ValueError(f"kinds must map columns to one of {KINDS}; got {bad}.")
    if n_rows is not None and (
        not isinstance(n_rows, numbers.Integral)
        or isinstance(n_rows, bool)
        or n_rows < 1
    ):
        raise ValueError(f"n_rows must be a positive int or None, got {n_rows!r}.")
    result = {}
    for name in X.columns:
        column = X[name]
        if isinstance(column, pd.DataFrame):
            raise ValueError(f"X has more than one column named {name!r}.")
        if name in kinds:
            multi, source = _source_of(column)
            result[name] = ModalityInfo(kinds[name], multi, source)
        else:
            result[name] = _infer_column(name, column, n_rows, random_state)
    return result
