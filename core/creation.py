"""Making tensors: from Python data, from NumPy, filled, ranged and random.

Python floats become the default float dtype (float32 unless changed), Python ints
int64, bools bool; a NumPy array keeps its dtype. Random numbers come from one
seeded generator (``manual_seed``).
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any, Sequence

import numpy as np

from . import dtypes as _dtypes
from .backends import numpy_dtype_of
from .devices import backend_for, device_of, move, place
from .dims import INT64_MAX, INT64_MIN, as_flag
from .layouts import record_user_layout
from .numpy_namespace import NAMESPACE
from .promotion import refuse_complex
from .randomness import RANDOMNESS, refuse_random
from .tensor import Tensor, _wrap

__all__ = [
    "tensor", "as_tensor", "from_numpy", "ones", "zeros", "full", "empty", "arange", "linspace",
    "randn", "rand", "ones_like", "zeros_like", "full_like", "empty_like", "manual_seed",
    "eye", "logspace", "randint", "rand_like", "randn_like", "normal",
]

ShapeArg = Any  # ints, or one sequence of ints: ones(2, 3) or ones((2, 3))

_DType = _dtypes.DType
_generator: np.random.Generator | None = None  # made on first use: numpy.random is slow to import


def _rng() -> np.random.Generator:
    global _generator
    if RANDOMNESS.get() == "error":  # inside vmap(randomness="error"), as PyTorch's
        refuse_random()
    if _generator is None:
        _generator = np.random.default_rng()
    return _generator


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, NumPy arrays, tensors, or any
    registered backend's arrays: those are copied within their own backend, never converted)."""
    backend = _foreign_backend(data)
    if backend is not None:
        t = _wrap(_backend_array(backend, data, dtype, copy=True))
        if device is not None and backend_for(device) is not backend:
            t = move(t, device)
        return _requiring(t, requires_grad)
    return _finish(_to_array(data, dtype, copy=True), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor over ``data``, sharing memory with a NumPy array or tensor when no cast is needed.
    Any registered backend's array is wrapped as it is: not copied, not computed (a Dask array
    stays a lazy Dask tensor), only cast when ``dtype`` differs."""
    if type(data) is Tensor:  # itself, or moved and cast as x.to(...) would: differentiably, on its own backend
        t = data if dtype is None else data.to(_dtypes.from_numpy_dtype(_dtypes.to_numpy_dtype(dtype)))
        t = t if device is None else t.to(device)
        if t.requires_grad or requires_grad is False or not _flag("requires_grad", requires_grad):
            return t
        return _requiring(t.detach(), requires_grad)  # a new leaf over the same memory; the caller's is untouched
    backend = _foreign_backend(data)
    if backend is not None:
        t = _wrap(_backend_array(backend, data, dtype, copy=False))
        return _requiring(t if device is None else t.to(device), requires_grad)
    array = _to_array(data, dtype, copy=False)
    if array is data:  # the caller's own array: share its memory, not the object (from_numpy's rule)
        array = array.view()
    return _requiring(record_user_layout(_wrap(place(array, device))), requires_grad)


def _requiring(t: Tensor, requires_grad: Any) -> Tensor:
    if requires_grad is not False and _flag("requires_grad", requires_grad):
        t.requires_grad_(True)
    return t


def _foreign_backend(data: Any) -> Any:
    """The non-NumPy backend whose array ``data`` (or a tensor's data) is, else None. Python data
    and NumPy arrays answer without building the op table."""
    raw = data._data if type(data) is Tensor else data
    if type(raw) is np.ndarray or isinstance(raw, (np.generic, list, tuple, int, float, bool, complex)):
        return None
    if not hasattr(raw, "shape"):
        return None
    from .backends import backend_for_type

    backend = backend_for_type(type(raw), subclasses=True)
    return None if backend is None or backend.name == "numpy" else backend


def _backend_array(backend: Any, data: Any, dtype: Any, copy: bool) -> Any:
    """``data`` as an array of ``backend`` (``dtype`` if given), copied there or not; never through NumPy."""
    raw = data._data if type(data) is Tensor else data
    xp = backend.namespace
    try:
        have = np.dtype(backend.numpy_dtype(raw.dtype))
    except TypeError:
        raise TypeError(f"could not make a tensor from a {backend.name} array of dtype {raw.dtype}; tapegrad holds "
                        "numbers and bools only") from None
    if have.kind == "c":
        refuse_complex("tensor", f"data of dtype {have}")
    want = have if dtype is None else _dtypes.to_numpy_dtype(dtype)
    if want != have:
        return xp.astype(raw, backend.dtype(want))
    return xp.asarray(raw, copy=True) if copy else raw


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if array.dtype.kind == "c":
        refuse_complex("from_numpy", f"an array of dtype {array.dtype}")
    _dtypes.from_numpy_dtype(array.dtype)  # refuses dtypes tapegrad cannot hold
    # the memory, not the object (reshaping ``array`` in place leaves the tensor as it is), and a.T's
    # strides kept, as PyTorch's (tapegrad.layouts)
    return record_user_layout(_wrap(array.view()))


def ones(*size: ShapeArg, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape."""
    return _finish(NAMESPACE.ones(_shape(size), dtype=_float_or(dtype)), requires_grad, device)


def zeros(*size: ShapeArg, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape."""
    return _finish(np.zeros(_shape(size), dtype=_float_or(dtype)), requires_grad, device)


def empty(*size: ShapeArg, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape whose values are unspecified."""
    return _finish(np.empty(_shape(size), dtype=_float_or(dtype)), requires_grad, device)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (dtype inferred from it by default)."""
    _real_fill("full", fill_value)
    _check_number("full", "fill_value", fill_value)
    if dtype is None:
        dtype = _scalar_dtype(fill_value)
    np_dtype = _dtypes.to_numpy_dtype(dtype)
    shape = _shape((size,))
    return _finish(np.full(shape, _fitting(fill_value, np_dtype), dtype=np_dtype), requires_grad, device)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to, not including, ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    ints = type(start) is int and type(end) is int and type(step) is int
    if not ints:
        for what, value in (("start", start), ("end", end), ("step", step)):
            _check_number("arange", what, value)
    if dtype is None:
        is_float = not ints and any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        np_dtype = _dtypes.get_default_dtype().numpy if is_float else _INT64
    else:
        np_dtype = _dtypes.to_numpy_dtype(dtype)
    _check_range(start, end, step)
    if np_dtype.kind in "iu":
        _fitting(start, np_dtype)
        _fitting(end, np_dtype)
    return _finish(np.arange(start, end, step, dtype=np_dtype), requires_grad, device)


_INT64 = np.dtype(np.int64)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _check_number("linspace", "start", start)
    _check_number("linspace", "end", end)
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if steps > INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return _finish(np.linspace(start, end, steps, dtype=_float_or(dtype)), requires_grad, device)


def randn(*size: ShapeArg, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution."""
    values = _rng().standard_normal(_shape(size))
    return _finish(values.astype(_random_dtype("randn", dtype), copy=False), requires_grad, device)


def rand(*size: ShapeArg, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    values = _rng().random(_shape(size))
    return _finish(values.astype(_random_dtype("rand", dtype), copy=False), requires_grad, device)


def full_like(x: Any, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """A tensor shaped like ``x`` filled with ``fill_value``, of ``x``'s dtype by default."""
    _real_fill("full_like", fill_value)
    return _like("full_like", x, fill_value, dtype, requires_grad, device)


def ones_like(x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones shaped like ``x``."""
    return _like("ones_like", x, 1, dtype, requires_grad, device)


def zeros_like(x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros shaped like ``x``."""
    return _like("zeros_like", x, 0, dtype, requires_grad, device)


def empty_like(x: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Unspecified values shaped like ``x``."""
    return _like("empty_like", x, _UNFILLED, dtype, requires_grad, device)


def manual_seed(seed: int) -> None:
    """Reseed the generator behind ``randn`` and ``rand``, for reproducible runs.

    Any integer PyTorch takes (negative ones wrap to 64 bits, as in PyTorch)."""
    global _generator
    value = int(seed)  # PyTorch's rule: int(seed); its errors are PyTorch's too
    if not INT64_MIN <= value < 2**64:
        raise ValueError("Overflow when unpacking long long")
    _generator = np.random.default_rng(value & (2**64 - 1))


# ---------------------------------------------------------------------------- helpers
def _finish(array: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    """Wrap a freshly made NumPy array, placed on ``device`` (a device names a backend)."""
    t = _wrap(array if device is None else place(array, device))
    if requires_grad is True and device is None and type(array) is np.ndarray and array.dtype.kind == "f":
        t._requires_grad = True  # requires_grad_'s checks, which a new float leaf passes
    elif requires_grad is not False and _flag("requires_grad", requires_grad):
        t.requires_grad_(True)
    return t


def _like_device(x: Any, device: Any) -> Any:
    """``*_like`` makers follow their input's device (so its backend) unless told otherwise."""
    if device is None and type(x) is Tensor and type(x._data) is not np.ndarray:
        return device_of(x._data)
    return device


def _flag(what: str, value: Any) -> bool:
    """``value`` as a bool flag, refused in PyTorch's words otherwise (``ones(): argument ...``)."""
    try:
        return as_flag(value, what)
    except TypeError as exc:
        raise TypeError(f"{_caller()}(): {exc}") from None


def _caller() -> str:
    """The public function of this module being called, to name it in an error (error path only)."""
    frame: Any = sys._getframe(1)
    while frame is not None and (frame.f_globals is not globals() or frame.f_code.co_name.startswith("_")):
        frame = frame.f_back
    return frame.f_code.co_name if frame is not None else "tensor"


def _shape(size: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    numel = 1
    converted = False
    for n in size:
        if type(n) is not int:
            n = _size_entry(size, n)
            converted = True
        elif not INT64_MIN <= n <= INT64_MAX:
            raise TypeError(f"{_caller()}(): argument 'size' failed to unpack the object at pos {size.index(n) + 1}: "
                            "Overflow when unpacking long long")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(size)}")
        numel *= n
    if numel > _MAX_ELEMENTS:  # NumPy would say "array is too big"; PyTorch says this
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)}")
    return tuple([int(n) for n in size]) if converted else size  # (a tuple: *size, or made above)


_MAX_ELEMENTS = INT64_MAX // 8


def _size_entry(size: tuple, n: Any) -> int:
    """One entry of a size that is not a plain int: a NumPy integer, or PyTorch's TypeError."""
    pos = size.index(n) + 1
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, np.integer):
        raise TypeError(
            f"{_caller()}(): argument 'size' must be tuple of ints, but found element of type {type(n).__name__} at pos {pos}"
        )
    return int(n)


def _check_number(fn: str, what: str, value: Any) -> None:
    if type(value) is int or type(value) is float:
        return
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"{fn}(): argument '{what}' must be Number, not {type(value).__name__}")


def _check_range(start: Any, end: Any, step: Any) -> None:
    """PyTorch's arange checks, in its order."""
    if step > 0 and end >= start or step < 0 and end <= start:
        if type(start) is int and type(end) is int or math.isfinite(start) and math.isfinite(end):
            return
    if step == 0 or step != step:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    raise RuntimeError("upper bound and lower bound inconsistent with step sign")


_C_NAMES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t", "uint8": "uint8_t",
            "float16": "c10::Half", "float32": "float", "float64": "double"}


def _fitting(value: Any, np_dtype: np.dtype) -> Any:
    """``value`` if ``np_dtype`` can hold it, else PyTorch's overflow error. As in PyTorch, an
    unsigned type takes negative values down to minus its maximum (they wrap), and a float
    type refuses finite values beyond its range (``full``'s rule; ``tensor`` gives inf)."""
    low, high = _range(np_dtype)
    if low <= value <= high:  # the common case; False for NaN
        return int(value) % (high + 1) if value < 0 and np_dtype.kind == "u" else value
    if np_dtype.kind in "iu" or (np_dtype.kind == "f" and math.isfinite(value)):
        raise _overflow(np_dtype, c_name=True)
    return value  # inf and NaN in a float type


_RANGES: dict[np.dtype, tuple[Any, Any]] = {}


def _range(np_dtype: np.dtype) -> tuple[Any, Any]:
    """The values ``np_dtype`` takes without overflow (an unsigned type: down to minus its max,
    wrapping, as in PyTorch); read once per dtype, as np.iinfo is slow."""
    found = _RANGES.get(np_dtype)
    if found is None:
        if np_dtype.kind in "iu":
            info = np.iinfo(np_dtype)
            found = (-int(info.max) if np_dtype.kind == "u" else int(info.min), int(info.max))
        elif np_dtype.kind == "f":
            limit = float(np.finfo(np_dtype).max)
            found = (-limit, limit)
        else:
            found = (-math.inf, math.inf)
        _RANGES[np_dtype] = found
    return found


def _overflow(np_dtype: np.dtype, c_name: bool = False) -> RuntimeError:
    name = _C_NAMES.get(np_dtype.name, np_dtype.name) if c_name else np_dtype.name
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


def _random_dtype(fn: str, dtype: Any) -> np.dtype:
    np_dtype = _float_or(dtype)
    if np_dtype.kind != "f":
        raise RuntimeError(f"{fn}(): random numbers are not implemented for {np_dtype}; use a floating point dtype")
    return np_dtype


_UNFILLED: Any = object()  # empty_like's fill value


def _like(fn: str, x: Any, fill_value: Any, dtype: Any, requires_grad: bool, device: Any = None) -> Tensor:
    """``full_like`` and its kin: ``x`` must be a tensor (or an array), ``fill_value`` a number;
    the result is on ``x``'s device unless ``device`` says otherwise."""
    if type(x) is not Tensor and not (hasattr(x, "shape") and hasattr(x, "dtype")):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    np_dtype = _like_dtype(x, dtype)
    shape = tuple(x.shape)
    device = _like_device(x, device)
    backend = _foreign_backend(x) if type(x) is Tensor else None
    if backend is not None and (device is None or backend_for(device) is backend):  # made there, natively
        fill = 0 if fill_value is _UNFILLED else fill_value
        if fill_value is not _UNFILLED:
            _check_number(fn, "fill_value", fill_value)
        made = backend.namespace.full_like(x._data, _fitting(fill, np_dtype), dtype=backend.dtype(np_dtype))
        return _requiring(_wrap(made), requires_grad)
    if fill_value is _UNFILLED:
        return _finish(np.empty(shape, dtype=np_dtype), requires_grad, device)
    _check_number(fn, "fill_value", fill_value)
    return _finish(np.full(shape, _fitting(fill_value, np_dtype), dtype=np_dtype), requires_grad, device)


def _float_or(dtype: Any) -> np.dtype:
    """``dtype`` as NumPy's, the default float dtype for None (a tapegrad dtype answers at once)."""
    if type(dtype) is _DType:
        return dtype.numpy
    return _dtypes.get_default_dtype().numpy if dtype is None else _dtypes.to_numpy_dtype(dtype)


def _like_dtype(x: Any, dtype: Any) -> np.dtype:
    """A ``*_like`` maker's dtype: ``dtype`` if given, else ``x``'s."""
    return _numpy_dtype_of(x) if dtype is None else _dtypes.to_numpy_dtype(dtype)


def _numpy_dtype_of(x: Any) -> np.dtype:
    if type(x) is Tensor:
        return numpy_dtype_of(x._data)
    dtype = x.dtype
    return dtype.numpy if type(dtype) is _dtypes.DType else np.dtype(dtype)


def _real_fill(name: str, value: Any) -> None:
    """A complex fill value would lose its imaginary part to the cast: refuse it."""
    if isinstance(value, (complex, np.complexfloating)):
        refuse_complex(name, value)


def _scalar_dtype(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return _dtypes.bool
    if isinstance(value, numbers.Integral):
        return _dtypes.int64
    return _dtypes.get_default_dtype()


def _to_array(data: Any, dtype: Any, copy: bool) -> np.ndarray:
    """Convert user data to a NumPy array with tapegrad's dtype rules."""
    target = None if dtype is None else _dtypes.to_numpy_dtype(dtype)
    if type(data) is Tensor:
        source = data._data
        if not isinstance(source, np.ndarray):
            source = np.asarray(source)
        return np.array(source, dtype=target, copy=copy or None)
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, dtype=target, copy=copy or None)
    else:
        try:
            array = np.array(data, dtype=target)
        except (TypeError, ValueError, OverflowError) as exc:
            array = _refused(data, target, exc)
        if target is None and array.dtype.kind in "fuO" and not _float_first(data):
            array = _checked_inference(data, array)
        if target is None and array.dtype.kind == "f":
            array = array.astype(_dtypes.get_default_dtype().numpy, copy=False)
        elif target is None and array.dtype.kind in "iu":
            array = array.astype(np.int64, copy=False)
    if array.dtype.kind == "c":
        refuse_complex("tensor", data if np.ndim(data) == 0 else f"data of dtype {array.dtype}")
    if array.dtype not in _dtypes.SUPPORTED_NUMPY_DTYPES:
        if array.dtype.kind in "US":
            raise TypeError("tensor(): invalid data type 'str'")
        raise TypeError(
            f"could not make a tensor from data of dtype {array.dtype} "
            f"(from {type(data).__name__}); tapegrad holds numbers and bools only"
        )
    return array



# ---------------------------------------------------------------------------- Python data NumPy refused or guessed
def _scan(data: Any) -> tuple[bool, bool]:
    """Check nested Python data as PyTorch does, raising its errors; return whether it holds
    a float, and whether it holds an int beyond int64. Only called when NumPy refused the
    data or guessed a dtype PyTorch would not (uint64, object, or a float for huge ints)."""
    shape = []
    first = data
    while isinstance(first, (list, tuple)):  # PyTorch reads the shape off the first elements
        shape.append(len(first))
        if not first:
            break
        first = first[0]
    found = [False, False]

    def visit(item: Any, dim: int) -> None:
        if dim < len(shape):
            if not isinstance(item, (list, tuple)):
                raise TypeError(f"tensor(): expected a sequence at dim {dim}, got {type(item).__name__}")
            if len(item) != shape[dim]:
                raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(item)})")
            for element in item:
                visit(element, dim + 1)
        elif isinstance(item, (list, tuple)):
            raise TypeError(f"tensor(): expected a number at dim {dim}, got a sequence")
        elif isinstance(item, (str, bytes)):
            raise TypeError(f"tensor(): invalid data type '{type(item).__name__}'")
        elif isinstance(item, (bool, np.bool_)):
            pass
        elif isinstance(item, numbers.Integral):
            found[1] = found[1] or not INT64_MIN <= int(item) <= INT64_MAX
        elif isinstance(item, numbers.Real):
            found[0] = True
        elif not isinstance(item, (numbers.Number, np.ndarray, Tensor)):
            raise RuntimeError(f"Could not infer dtype of {type(item).__name__}")

    visit(data, 0)
    return found[0], found[1]


def _float_first(data: Any) -> bool:
    """Whether the first number in ``data`` is a float: then PyTorch infers a float dtype and no
    int in it can overflow (the common case, decided without a walk)."""
    while type(data) is list or type(data) is tuple:
        if not data:
            return False
        data = data[0]
    return type(data) is float


def _checked_inference(data: Any, array: np.ndarray) -> np.ndarray:
    """PyTorch's inference where NumPy's differs: ints beyond int64 overflow (NumPy makes them
    uint64, object or float), unless a float is among them (then the data is float)."""
    if array.dtype.kind == "f" and not (array.size and float(np.max(np.abs(array))) >= 2.0**63):
        return array  # no huge value
    floats, big = _scan(data)
    if big and not floats:
        raise ValueError("Overflow when unpacking long long")
    return np.array(data, dtype=np.float64) if array.dtype.kind == "O" else array


def _refused(data: Any, target: np.dtype | None, exc: Exception) -> np.ndarray:
    """The array PyTorch makes of ``data`` that NumPy refused, or PyTorch's error for it."""
    floats, big = _scan(data)
    if big:
        raise ValueError("Overflow when unpacking long long")
    if target is not None and target.kind in "iu":  # values beyond the integer type
        wide = np.array(data, dtype=object)
        low, high = _range(target)
        with np.errstate(invalid="ignore"):  # NaN is out of every range
            fits = bool(np.all((wide >= low) & (wide <= high)))
        if not fits:
            raise _overflow(target) from None
        return (wide % (high + 1) if target.kind == "u" else wide).astype(target)
    raise TypeError(f"tensor(): could not make a tensor from {type(data).__name__}: {exc}") from None


# ---------------------------------------------------------------------------- more of PyTorch's makers
def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    rows, cols = _shape((n,) if m is None else (n, m)) * (2 if m is None else 1)
    return _finish(np.eye(rows, cols, dtype=_float_or(dtype)), requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent."""
    return _finish(np.logspace(start, end, steps, base=base).astype(_float_or(dtype)), requires_grad, device)


def randint(low: int, high: int | None = None, size: Sequence[int] | None = None, *, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Random integers from ``low`` (0 when only ``high`` is given) up to, not including, ``high``."""
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high  # type: ignore[assignment]
    elif high is None:
        low, high = 0, low
    if high <= low:  # type: ignore[operator]
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    target = _dtypes.int64.numpy if dtype is None else _dtypes.to_numpy_dtype(dtype)
    values = _rng().integers(low, high, _shape((size,)))
    return _finish(values.astype(target), requires_grad, device)


def rand_like(x: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) shaped like ``x``, of ``x``'s dtype by default."""
    np_dtype = _like_dtype(x, dtype)
    return _finish(_rng().random(tuple(x.shape)).astype(np_dtype), requires_grad, _like_device(x, device))


def randn_like(x: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples shaped like ``x``, of ``x``'s dtype by default."""
    np_dtype = _like_dtype(x, dtype)
    return _finish(_rng().standard_normal(tuple(x.shape)).astype(np_dtype), requires_grad,
                   _like_device(x, device))


def normal(mean: Any, std: Any = 1.0, size: Sequence[int] | None = None, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples: ``normal(mean, std, size)`` with numbers, or elementwise from tensors of means and stds."""
    means = mean._data if type(mean) is Tensor else mean
    stds = std._data if type(std) is Tensor else std
    if np.any(np.asarray(stds) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(stds)}")
    if size is None:
        shape = np.broadcast_shapes(np.shape(means), np.shape(stds))
        if type(mean) is not Tensor and type(std) is not Tensor:
            raise TypeError("normal() with numbers for mean and std needs a size")
    else:
        shape = _shape((size,))
    tensors = [t._data.dtype for t in (mean, std) if type(t) is Tensor]
    np_dtype = _float_or(dtype) if dtype is not None or not tensors else np.result_type(*tensors)
    values = means + stds * _rng().standard_normal(shape)
    return _finish(np.asarray(values).astype(np_dtype), requires_grad, device)


def legacy_tensor_data(args: tuple, device: Any = None) -> Any:
    """What ``tapegrad.Tensor(...)`` holds: PyTorch's legacy constructor, always the default float dtype."""
    default = _dtypes.get_default_dtype().numpy
    if not args:
        array = np.zeros((0,), dtype=default)
    elif all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        array = np.zeros(_shape(args), dtype=default)  # Tensor(2, 3): PyTorch leaves it uninitialised
    elif len(args) == 1:
        array = _to_array(args[0], default, copy=True)
    else:
        raise TypeError(f"Tensor() takes sizes (ints) or one sequence of data, got {args!r}")
    return place(array, device)
