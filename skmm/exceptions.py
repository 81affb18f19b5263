"""Warnings and errors raised by skmm."""

__all__ = [
    "CacheEntryWarning",
    "DeviceFallbackWarning",
    "EmptyDocumentWarning",
    "ModalityInferenceError",
    "ResumeError",
    "UnreadableSampleWarning",
]


class EmptyDocumentWarning(UserWarning):
    """Some documents had no word with a vector; they were given zero vectors.

    Raised once per ``transform`` call of a text vectorizer, with the number of
    such documents, so that a silent loss of information shows up in logs.
    """


class UnreadableSampleWarning(UserWarning):
    """Some samples could not be read; they are None in the output.

    Raised once per ``transform`` call of a reader created with
    ``on_error="missing"``, with the number of such samples and the position,
    path and reason of the first few, so that lost samples show up in logs.
    """


class CacheEntryWarning(UserWarning):
    """Some entries of a feature cache were invalid and were recomputed.

    Raised once per ``CachedTransformer.transform`` call, with the number of
    such entries and the path and reason of the first: corrupt, truncated,
    not written by skmm (such as a planted pickle, which is never loaded),
    stored under another sample's key, or of another output kind than the
    others. Invalid entries are never served; they are replaced.
    """


class ResumeError(ValueError):
    """``extract_features`` cannot resume into an existing output.

    Its progress file or ``.npy`` file is unreadable, garbled or inconsistent
    (the message names the file), or records another estimator or input
    than this call's. Pass ``resume=False`` to start over.
    """


class ModalityInferenceError(ValueError):
    """``infer_modalities`` cannot tell the kind of a column.

    Every file the column names is unreadable, its cells are of several
    kinds (images beside sounds, numbers beside strings), every cell is
    missing, or its cells are of no known kind. The message names the
    column and what was seen in which rows; pass ``kinds={column: kind}``
    to say it.
    """


class DeviceFallbackWarning(UserWarning):
    """``device="auto"`` computes on the CPU although CuPy is installed.

    Raised once per process when CuPy imports but cannot compute on a GPU:
    no CUDA device, or a CUDA library CuPy needs (NVRTC, cuBLAS, cuFFT) is
    missing. The message names what is missing and how to install it
    (``pip install 'skmm[gpu]'``, which pulls ``cupy-cuda12x[ctk]``).
    """
