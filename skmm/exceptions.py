"""Warnings and errors raised by skmm."""

__all__ = ["EmptyDocumentWarning"]


class EmptyDocumentWarning(UserWarning):
    """Some documents had no word with a vector; they were given zero vectors.

    Raised once per ``transform`` call of a text vectorizer, with the number of
    such documents, so that a silent loss of information shows up in logs.
    """
