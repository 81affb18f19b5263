"""Resolve ``device="cpu" | "cuda" | "auto"`` once for every estimator."""

import functools

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


def to_numpy(array):
    """Bring a CuPy array back to the host; NumPy arrays pass through."""
    if hasattr(array, "get") and type(array).__module__.startswith("cupy"):
        return array.get()
    return array
