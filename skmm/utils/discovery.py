"""Find skmm's public estimators."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

import skmm


def all_estimators():
    """Return ``(name, class)`` for every public skmm estimator.

    An estimator is public when a subpackage exports it in ``__all__``.
    Subpackages that fail to import because a third-party module is missing
    (an optional dependency) are skipped, so the result says what this
    installation offers; an import error within skmm itself is raised.

    Returns
    -------
    estimators : list of (str, type)
        Sorted by name.
    """
    found = {}
    for module_info in pkgutil.iter_modules(skmm.__path__):
        if module_info.name.startswith("_") or not module_info.ispkg:
            continue
        try:
            module = importlib.import_module(f"skmm.{module_info.name}")
        except ImportError as error:
            missing = (error.name or "").partition(".")[0]
            if missing in ("", "skmm"):
                raise
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
            ):
                found[name] = obj
    return sorted(found.items())
