import importlib

import pytest

import skmm.utils.discovery
from skmm.audio import MFCC
from skmm.image import HOG
from skmm.utils.discovery import all_estimators


def _failing_import(failing_package, missing_module, monkeypatch):
    """Make ``import skmm.<failing_package>`` fail on ``missing_module``."""
    real_import = importlib.import_module

    def import_module(name, *args, **kwargs):
        if name == f"skmm.{failing_package}":
            raise ModuleNotFoundError(
                f"No module named {missing_module!r}", name=missing_module
            )
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(skmm.utils.discovery.importlib, "import_module", import_module)


def test_finds_public_estimators():
    estimators = dict(all_estimators())
    assert estimators["HOG"] is HOG
    assert estimators["MFCC"] is MFCC
    assert [name for name, _ in all_estimators()] == sorted(estimators)


def test_skips_a_subpackage_whose_optional_dependency_is_missing(monkeypatch):
    _failing_import("image", "cv2", monkeypatch)
    estimators = dict(all_estimators())
    assert "HOG" not in estimators
    assert "ImageReader" not in estimators
    assert estimators["MFCC"] is MFCC


@pytest.mark.parametrize("missing", ["skmm.image._hog", None])
def test_raises_an_import_error_of_skmm_itself(monkeypatch, missing):
    _failing_import("image", missing, monkeypatch)
    with pytest.raises(ImportError):
        all_estimators()
