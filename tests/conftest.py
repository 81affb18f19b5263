"""Fixtures shared by every test directory."""

import pytest


@pytest.fixture
def spy_on(monkeypatch):
    """``spy_on(module, name, label, describe)`` wraps ``module.name`` so that
    each call appends ``(label, describe(first argument))`` to the list the
    fixture's calls return; the original still runs. Device-dispatch tests
    use it to see which kernel receives which kind of array."""

    def spy(calls, module, name, label, describe=type):
        original = getattr(module, name)

        def wrapped(first, *args, **kwargs):
            calls.append((label, describe(first)))
            return original(first, *args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)

    return spy
