"""Find skmm's public estimators."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

import skmm


def all_estimators():
    """Return ``(name, class)`` for every public skmm estimator.

    An estimator is public when a subpackage exports it in ``__all__``.
    Subpackages that fail to import (an optional dependency missing) are
    skipped, so the result says what this installation offers.

    Returns
    -------
    estimators : list of (str, type)
        Sorted by name.
    """
    found = {}
    for module_info in pkgutil.iter_modules(skmm.__path__):
        if module_info.name.startswith("_") or not module_info.ispkg:
            continue
        module = importlib.import_module(f"skmm.{module_info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
            ):
                found[name] = obj
    return sorted(found.items())
