"""What every display shares: the optional matplotlib, and its axes."""


def _check_matplotlib(caller_name):
    """Raise an ImportError naming ``caller_name`` when matplotlib is absent.

    matplotlib is optional: ``skmm.plotting`` imports without it, and only
    drawing needs it (``pip install matplotlib``).
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"{caller_name} requires matplotlib. You can install matplotlib with "
            "`pip install matplotlib`."
        ) from error


def _axes(ax, caller_name):
    """``(ax, figure)``: ``ax`` and its figure, or a new figure's axes.

    A new figure has constrained layout, which keeps room for what a display
    draws outside its axes (a caption under the x label, a long legend).
    """
    _check_matplotlib(caller_name)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    return ax, ax.figure


def _check_fitted_like(estimator, attributes, expected, caller_name):
    """Raise a TypeError unless ``estimator`` has every one of ``attributes``."""
    missing = [name for name in attributes if not hasattr(estimator, name)]
    if missing:
        raise TypeError(
            f"{caller_name} needs {expected}; got {type(estimator).__name__}, "
            f"which lacks {', '.join(missing)}."
        )
