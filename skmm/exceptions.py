"""Warnings and errors raised by skmm."""

__all__ = ["EmptyDocumentWarning", "UnreadableSampleWarning"]


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
