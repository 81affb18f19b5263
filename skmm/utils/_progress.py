"""Progress bars over samples, for estimators with a ``verbose`` parameter.

Every bar in skmm is made here, so that they all look and behave alike:

- ``tqdm.auto``, so that a notebook shows a widget and a terminal a text bar
  (on standard error);
- ``desc`` is the estimator's class name, ``unit`` what a sample is ("clip",
  "image", "doc", "sample"), ``total`` the number of samples;
- ``leave=True``: a finished bar stays, with its count and time, as the bars
  of the readers always did. A pipeline's steps then leave one line each,
  which says where the time went;
- the bar is closed on leaving the ``with`` block, also on an error;
- with ``verbose`` false nothing is imported or printed.

tqdm is imported only when a bar is shown.
"""

import contextlib
import threading
import warnings


class _NoBar:
    """What :func:`progress_bar` yields when no bar is shown."""

    def update(self, n=1):
        pass


class _Bar:
    """A tqdm bar whose ``update`` may be called from several threads."""

    def __init__(self, bar):
        self._bar = bar
        self._lock = threading.Lock()

    def update(self, n=1):
        # tqdm's own lock guards the display, not the counter: ``n += k``
        # from two threads could lose an increment.
        with self._lock:
            self._bar.update(n)


def _tqdm():
    with warnings.catch_warnings():
        from tqdm import TqdmExperimentalWarning

        # tqdm.auto says, once, that its notebook mode is experimental; the
        # notebook widget is what is wanted here.
        warnings.simplefilter("ignore", TqdmExperimentalWarning)
        from tqdm.auto import tqdm
    return tqdm


@contextlib.contextmanager
def progress_bar(total, *, verbose, desc, unit="sample"):
    """A progress bar over ``total`` samples, or a stand-in that shows nothing.

    Parameters
    ----------
    total : int
        Number of samples.
    verbose : bool or int
        Show the bar when true.
    desc : str
        Label of the bar: the estimator's class name.
    unit : str, default="sample"
        What one sample is.

    Yields
    ------
    bar : object with an ``update(n=1)`` method
        Advance it by the number of samples done; it is safe to call from
        several threads. The bar is closed when the block is left.
    """
    if not verbose:
        yield _NoBar()
        return
    bar = _tqdm()(total=int(total), desc=desc, unit=unit, leave=True)
    try:
        yield _Bar(bar)
    finally:
        bar.close()
