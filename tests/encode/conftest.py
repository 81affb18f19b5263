"""Fixtures shared by the encoder tests."""

from pathlib import Path

import pytest


@pytest.fixture
def cupy(monkeypatch):
    """The CuPy stand-in of ``tests/_cupy_stand_in.py``, installed as
    ``cupy`` for one test, with a CUDA device reported."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import _cupy_stand_in

    return _cupy_stand_in.install(monkeypatch)
