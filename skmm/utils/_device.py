"""Resolve ``device="cpu" | "cuda" | "auto"`` once for every estimator."""

import functools
import sys
import warnings

_DEVICES = ("cpu", "cuda", "auto")


# What to install when CuPy or a CUDA library it needs is missing.
INSTALL_HINT = (
    "Install skmm's gpu extra, pip install 'skmm[gpu]', which pulls "
    "cupy-cuda12x[ctk] (CuPy with NVRTC, cuBLAS and cuFFT from the "
    "cuda-toolkit wheels), or install the CUDA 12 toolkit; on a CUDA 13 "
    "driver, pip install 'cupy-cuda13x[ctk]'."
)


def _probe_cuda():
    """``(True, None)`` when CuPy imports, sees a CUDA device, and can compile
    and run a kernel (NVRTC) and call cuBLAS and cuFFT; else ``(False,
    reason)``, the reason naming what is missing.

    Warnings raised while importing CuPy (a CUDA path it cannot find, say)
    are recorded, not raised, so that running under ``-W error`` (as
    pytest's ``filterwarnings = error`` does) cannot turn a working GPU
    into "no GPU"; they are added to the reason when something fails.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import cupy
        except ImportError as exc:
            return False, f"CuPy is not installed ({exc})"
        except Exception as exc:  # a CuPy built for another CUDA, say
            return False, f"import cupy failed: {type(exc).__name__}: {exc}"
    noted = "".join(
        f" (import cupy warned: {w.category.__name__}: {w.message})" for w in caught
    )
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no driver
        return False, f"no CUDA driver or device: {type(exc).__name__}: {exc}{noted}"
    if n_devices < 1:
        return False, f"CuPy sees no CUDA device{noted}"
    checks = (
        ("NVRTC (CuPy compiles its kernels with it)", _run_a_kernel),
        ("cuBLAS", _run_cublas),
        ("cuFFT", _run_cufft),
    )
    for what, check in checks:
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                check(cupy)
        except Exception as exc:
            message = str(exc).strip().splitlines()
            detail = message[0] if message else ""
            return False, (
                f"CuPy cannot use {what}: {type(exc).__name__}: {detail}{noted}"
            )
    return True, None


def _run_a_kernel(cupy):
    kernel = cupy.ElementwiseKernel("T x", "T y", "y = x * x + 1", "skmm_probe")
    if float(kernel(cupy.arange(4, dtype=cupy.float32)).sum()) != 18.0:
        raise RuntimeError("a compiled kernel returned a wrong result")


def _run_cublas(cupy):
    a = cupy.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=cupy.float32)
    if float((a @ a).sum()) != 54.0:
        raise RuntimeError("a cuBLAS product returned a wrong result")


def _run_cufft(cupy):
    if float(cupy.fft.rfft(cupy.ones(8, dtype=cupy.float32))[0].real) != 8.0:
        raise RuntimeError("a cuFFT transform returned a wrong result")


@functools.cache
def cuda_status():
    """``(available, reason)``: whether CuPy can compute on a CUDA device
    (see :func:`cuda_is_available`), and if not, why; probed once per
    process."""
    return _probe_cuda()


def cuda_is_available():
    """True when CuPy imports, sees a CUDA device, and can compile and run a
    kernel and call cuBLAS and cuFFT: what every ``device="cuda"`` path
    needs. The ``cupy-cuda12x`` wheel alone brings none of NVRTC, cuBLAS
    and cuFFT, so a device count is not enough. Probed once per process."""
    return cuda_status()[0]


_warned_auto = []


def resolve_device(device):
    """Return ``"cpu"`` or ``"cuda"`` for a ``device`` parameter.

    ``"auto"`` picks CUDA when :func:`cuda_is_available` and the CPU
    otherwise: silently when CuPy is not installed, with one
    :class:`~skmm.exceptions.DeviceFallbackWarning` per process naming what
    is missing when CuPy is installed but cannot compute (no device, or no
    NVRTC, cuBLAS or cuFFT). ``"cuda"`` without them raises, naming what is
    missing and how to install it.

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
        For ``"cuda"`` when CuPy, a CUDA device or a CUDA library is missing.
    """
    if device not in _DEVICES:
        raise ValueError(f"device must be one of {_DEVICES}, got {device!r}.")
    if device == "cpu":
        return "cpu"
    if cuda_is_available():
        return "cuda"
    reason = cuda_unavailable_reason()
    if device == "auto":
        if not reason.startswith("CuPy is not installed") and not _warned_auto:
            from skmm.exceptions import DeviceFallbackWarning

            _warned_auto.append(True)
            warnings.warn(
                f"device='auto' computes on the CPU: {reason}. {INSTALL_HINT}",
                DeviceFallbackWarning,
                stacklevel=2,
            )
        return "cpu"
    raise RuntimeError(
        "device='cuda' needs CuPy and a CUDA device that it can compute "
        f"on; here {reason}. {INSTALL_HINT} Or use device='cpu' or 'auto'."
    )


def cuda_unavailable_reason():
    """Why :func:`cuda_is_available` is False (None when it is True)."""
    if cuda_is_available():
        return None
    return cuda_status()[1] or "CUDA is not available"


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
    """Copy a host array to the GPU; CuPy arrays pass through.

    A waveform's sample rate (the ``sr`` of :class:`~skmm.audio.Waveform`)
    crosses with it: the copy is then a :func:`device_waveform_class`
    array, so that MFCC can still check the rate on the GPU.
    """
    import cupy

    device = cupy.asarray(array)
    rate = getattr(array, "sr", None)
    if rate is None or getattr(device, "sr", None) == rate:
        return device
    device = device.view(device_waveform_class(cupy))
    device.sr = rate
    return device


_DEVICE_WAVEFORM_CLASSES = {}


def device_waveform_class(cupy):
    """The subclass of ``cupy.ndarray`` that carries a sample rate ``sr``
    (CuPy arrays, a Cython type, take no attributes of their own)."""
    key = id(cupy.ndarray)
    if key not in _DEVICE_WAVEFORM_CLASSES:

        class DeviceWaveform(cupy.ndarray):
            """A CuPy waveform that remembers its sample rate ``sr``."""

            def __array_finalize__(self, obj):
                self.sr = getattr(obj, "sr", None)

        _DEVICE_WAVEFORM_CLASSES[key] = DeviceWaveform
    return _DEVICE_WAVEFORM_CLASSES[key]


def on_device(array, device):
    """``array`` as CuPy for ``device="cuda"``, else as NumPy: one copy at most."""
    return to_cupy(array) if device == "cuda" else to_numpy(array)
