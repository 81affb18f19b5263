"""Resolve ``device="cpu" | "cuda" | "auto"`` once for every estimator."""

import functools
import sys

_DEVICES = ("cpu", "cuda", "auto")


@functools.cache
def cuda_is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        import cupy
    except Exception:  # ImportError, or a CuPy built for another CUDA
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, or no device
        return False


def resolve_device(device):
    """Return ``"cpu"`` or ``"cuda"`` for a ``device`` parameter.

    ``"auto"`` picks CUDA when CuPy and a CUDA device are present and the CPU
    otherwise, silently. ``"cuda"`` without them raises.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}

    Returns
    -------
    device : {"cpu", "cuda"}

    Raises
    ------
    ValueError
        For an unknown device name.
    RuntimeError
        For ``"cuda"`` when CuPy or a CUDA device is missing.
    """
    if device not in _DEVICES:
        raise ValueError(f"device must be one of {_DEVICES}, got {device!r}.")
    if device == "cpu":
        return "cpu"
    if cuda_is_available():
        return "cuda"
    if device == "auto":
        return "cpu"
    raise RuntimeError(
        "device='cuda' needs CuPy and a CUDA device. Install skmm's gpu extra "
        "(pip install 'skmm[gpu]', or cupy-cuda13x for CUDA 13) on a machine "
        "with an NVIDIA GPU, or use device='cpu' or 'auto'."
    )


def is_cupy_array(array):
    """True when ``array`` is an array of the imported ``cupy`` module.

    Never imports CuPy: an array on the GPU exists only once something
    imported it. The test suite installs a stand-in ``cupy`` module in
    ``sys.modules`` whose ``ndarray`` is a NumPy subclass, and this check
    recognises its arrays the same way.
    """
    cupy = sys.modules.get("cupy")
    ndarray = getattr(cupy, "ndarray", None)
    return (
        isinstance(ndarray, type)
        and ndarray is not _numpy_ndarray()
        and isinstance(array, ndarray)
    )


def _numpy_ndarray():
    numpy = sys.modules.get("numpy")
    return getattr(numpy, "ndarray", None)


def any_cupy(arrays):
    """True when any of ``arrays`` is a CuPy array (see :func:`is_cupy_array`).

    The array library of an estimator's output follows its input's: CuPy
    arrays in give CuPy arrays out.
    """
    if "cupy" not in sys.modules:
        return False
    return any(is_cupy_array(array) for array in arrays)


def array_module(array):
    """``cupy`` for a CuPy array, else ``numpy``."""
    if is_cupy_array(array):
        return sys.modules["cupy"]
    import numpy

    return numpy


def to_numpy(array):
    """Bring a CuPy array back to the host; NumPy arrays pass through."""
    if is_cupy_array(array) or (
        hasattr(array, "get") and type(array).__module__.startswith("cupy")
    ):
        return array.get()
    return array


def to_cupy(array):
    """Copy a host array to the GPU; CuPy arrays pass through."""
    import cupy

    return cupy.asarray(array)


def on_device(array, device):
    """``array`` as CuPy for ``device="cuda"``, else as NumPy: one copy at most."""
    return to_cupy(array) if device == "cuda" else to_numpy(array)
