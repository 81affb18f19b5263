"""A stand-in ``cupy`` module, so that the ``device="cuda"`` paths run on a
machine without a GPU.

Its arrays are NumPy arrays of a subclass, :class:`ndarray`, that plays the
part of memory on the device: ``cupy.asarray`` "copies to the GPU" by viewing
as the subclass, ``.get()`` and ``cupy.asnumpy`` copy back to plain NumPy,
and the module's functions return the subclass. Like CuPy, a ufunc refuses to
mix a device array with a host array of one or more dimensions, so a
constant the GPU code forgot to copy over raises ``TypeError`` here as it
would on a GPU. What the stand-in cannot catch: implicit conversions that
NumPy allows on a subclass (``np.asarray(device_array)`` silently views it
as host memory, where CuPy raises) show up only as a host array in an output
that should have stayed on the device, which the tests check.

:func:`install` puts it in ``sys.modules`` and makes ``resolve_device``
report a CUDA device; ``skmm.utils._device.is_cupy_array`` then recognises
its arrays exactly as it recognises CuPy's.

Where CuPy is known to differ from NumPy in ways skmm's array code must
avoid, the stand-in differs too (see ``../shared/gpu/REVIEW.md``):
``maximum.at``/``minimum.at`` on float64 raise (CuPy's atomics round them
through float32), ``argpartition`` takes only a Python ``int`` as ``kth``,
and ``hypot`` is off by one ulp on every other element (CUDA's is not
correctly rounded), so code that compares ``hypot`` results across arrays
shows it.
"""

import sys
import types

import numpy as np


class ndarray(np.ndarray):
    """A NumPy array standing in for an array in GPU memory."""

    def get(self):
        return np.array(self, subok=False)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        operands = inputs + (out or ())
        for operand in operands:
            if (
                isinstance(operand, np.ndarray)
                and not isinstance(operand, ndarray)
                and operand.ndim > 0
            ):
                raise TypeError(
                    f"{ufunc.__name__} mixes a device array with a host array "
                    f"of shape {operand.shape}; copy it with cupy.asarray."
                )
        if (
            method == "at"
            and ufunc in (np.maximum, np.minimum)
            and _host(inputs[0]).dtype == np.float64
        ):
            raise TypeError(
                f"{ufunc.__name__}.at on float64 rounds through float32 in "
                "CuPy's atomics: use another construct."
            )
        host = [_host(x) for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(_host(x) for x in out)
        result = getattr(ufunc, method)(*host, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(_device(r) for r in result)
        return _device(result)


def _host(x):
    return x.view(np.ndarray) if isinstance(x, ndarray) else x


def _device(x):
    return x.view(ndarray) if type(x) is np.ndarray else x


def _returning_device_arrays(function):
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        if isinstance(result, tuple):
            return tuple(_device(r) for r in result)
        if isinstance(result, list):
            return [_device(r) for r in result]
        return _device(result)

    wrapped.__name__ = getattr(function, "__name__", "function")
    return wrapped


def _module(name, numpy_module, **extra):
    module = types.ModuleType(name)

    def __getattr__(attribute):
        value = getattr(numpy_module, attribute)
        if callable(value) and not isinstance(value, type | np.ufunc):
            return _returning_device_arrays(value)
        return value

    module.__getattr__ = __getattr__
    for key, value in extra.items():
        setattr(module, key, value)
    return module


def asarray(array, dtype=None):
    if isinstance(array, ndarray) and (dtype is None or array.dtype == dtype):
        return array
    return np.array(_host(array), dtype=dtype, copy=True).view(ndarray)


def asnumpy(array):
    return np.array(array, subok=False)


def argpartition(a, kth, axis=-1):
    if type(kth) is not int:
        # CuPy iterates a kth that is not a Python int, and fails.
        raise TypeError(f"'{type(kth).__name__}' object is not iterable")
    return _device(np.argpartition(_host(a), kth, axis=axis))


def argsort(a, axis=-1):
    # CuPy's argsort is always stable (a radix sort); NumPy's default is not.
    return _device(np.argsort(_host(a), axis=axis, kind="stable"))


def hypot(a, b):
    """NumPy's hypot, one ulp up on every other element, as a not correctly
    rounded ``hypot`` (CUDA's) may be."""
    exact = np.hypot(_host(a), _host(b))
    off = np.zeros(exact.shape, dtype=bool)
    off.reshape(-1)[1::2] = True
    return _device(np.where(off, np.nextafter(exact, np.inf), exact))


# Free device memory the stand-in reports, in bytes.
FREE_MEMORY = 16 * 2**30


def make_module():
    """A fresh stand-in ``cupy`` module."""
    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: 1,
        memGetInfo=lambda: (FREE_MEMORY, 2 * FREE_MEMORY),
    )
    return _module(
        "cupy",
        np,
        ndarray=ndarray,
        asarray=asarray,
        asnumpy=asnumpy,
        argpartition=argpartition,
        argsort=argsort,
        hypot=hypot,
        fft=_module("cupy.fft", np.fft),
        linalg=_module("cupy.linalg", np.linalg),
        cuda=types.SimpleNamespace(runtime=runtime),
    )


def install(monkeypatch):
    """Install the stand-in as ``cupy`` for one test; returns the module."""
    from skmm.utils import _device

    module = make_module()
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.setattr(_device, "cuda_is_available", lambda: True)
    return module


def install_for_rehearsal():
    """Install the stand-in as ``cupy`` for the rest of the process, with a
    CUDA device reported: how ``benchmarks/gpu_probe.py --stand-in`` and the
    GPU benchmarks rehearse on a machine without a GPU."""
    from skmm.utils import _device

    module = make_module()
    module.cuda.Device = lambda device=0: types.SimpleNamespace(
        synchronize=lambda: None
    )
    sys.modules["cupy"] = module
    _device.cuda_is_available = lambda: True
    return module
