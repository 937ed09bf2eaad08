"""Tensor dtypes: named wrappers around NumPy dtypes, and the default float dtype.

A wrapper rather than bare NumPy dtypes so that reprs read ``tapegrad.float32`` as
PyTorch's read ``torch.float32``, and so that one place decides how user spellings
(``tapegrad.float64``, ``numpy.float64``, ``float``, ``"float64"``) map to storage.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "DType", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool", "get_default_dtype", "set_default_dtype", "to_numpy_dtype", "from_numpy_dtype", "in_namespace",
]

_builtin_bool = bool


class DType:
    """A tensor element type; compares equal to itself only and prints as ``tapegrad.NAME``."""

    __slots__ = ("name", "numpy", "is_floating_point", "itemsize")

    def __init__(self, name: str, numpy_dtype: Any) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"tapegrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
bool = DType("bool", np.bool_)  # noqa: A001 - mirrors torch.bool

_BY_NUMPY: dict[np.dtype, DType] = {
    d.numpy: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
}
SUPPORTED_NUMPY_DTYPES: frozenset[np.dtype] = frozenset(_BY_NUMPY)
_BY_NAME: dict[str, DType] = {d.name: d for d in _BY_NUMPY.values()}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

DTYPE_NAMES: frozenset[str] = frozenset(_BY_NAME)

_default_float: DType = float32


def get_default_dtype() -> DType:
    """The dtype Python floats and float lists become (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (a floating dtype) what new float tensors default to."""
    global _default_float
    resolved = from_numpy_dtype(to_numpy_dtype(dtype))
    if not resolved.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {resolved}")
    _default_float = resolved


def to_numpy_dtype(dtype: Any) -> np.dtype:
    """Resolve any user spelling of a dtype to the NumPy dtype that stores it."""
    if type(dtype) is DType:
        return dtype.numpy
    if type(dtype) is UnsupportedDType:
        return dtype.numpy  # raises, saying so
    if dtype is float:
        return _default_float.numpy
    if dtype is int:
        return int64.numpy
    if dtype is _builtin_bool:
        return bool.numpy
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype].numpy
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype; use one of tapegrad.float32, tapegrad.int64, ...") from None
    if resolved not in _BY_NUMPY:
        raise TypeError(f"tapegrad has no dtype for NumPy's {resolved}")
    return resolved


def in_namespace(xp: Any, dtype: Any) -> Any:
    """``dtype`` (any tapegrad spelling, or already the namespace's own) as ``xp``'s dtype object.

    For op authors: array-API namespaces name their dtypes alike (``xp.float32``), so a
    forward can honour a ``dtype=`` parameter on any backend.
    """
    try:
        resolved = to_numpy_dtype(dtype)
    except TypeError:
        return dtype  # not a spelling we know: assume it is already the namespace's dtype
    return getattr(xp, "bool" if resolved == np.bool_ else resolved.name)


def from_numpy_dtype(dtype: np.dtype) -> DType:
    """The tapegrad dtype that wraps NumPy's ``dtype``."""
    try:
        return _BY_NUMPY[dtype]
    except KeyError:
        raise TypeError(f"tapegrad has no dtype for NumPy's {dtype}") from None


# PyTorch's legacy type names, for ``tensor.type()`` and ``tensor.type("torch.DoubleTensor")``.
_LEGACY_NAMES: dict[str, DType] = {
    "FloatTensor": float32, "DoubleTensor": float64, "HalfTensor": float16, "LongTensor": int64,
    "IntTensor": int32, "ShortTensor": int16, "CharTensor": int8, "ByteTensor": uint8, "BoolTensor": bool,
}
_LEGACY_BY_DTYPE: dict[DType, str] = {d: name for name, d in _LEGACY_NAMES.items()}


def legacy_type_name(dtype: DType) -> str:
    """``tapegrad.FloatTensor`` for float32, as ``tensor.type()`` names it in PyTorch."""
    return f"tapegrad.{_LEGACY_BY_DTYPE[dtype]}"


def from_legacy_type_name(name: str) -> DType:
    """The dtype of a legacy type name: ``torch.DoubleTensor`` and ``tapegrad.DoubleTensor`` alike."""
    short = name.rsplit(".", 1)[-1]
    if short not in _LEGACY_NAMES:
        raise ValueError(f"invalid type: '{name}'")
    return _LEGACY_NAMES[short]


class UnsupportedDType:
    """A PyTorch dtype name tapegrad does not hold yet (complex): it exists, so code that names
    it imports, and every use says plainly that it is not supported."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"tapegrad.{self.name}"

    @property
    def numpy(self) -> Any:
        raise TypeError(f"tapegrad.{self.name}: complex dtypes are not supported yet; use a real dtype "
                        "(tapegrad.float32, tapegrad.float64) and keep real and imaginary parts apart")

    is_floating_point = False


complex64 = UnsupportedDType("complex64")
complex128 = UnsupportedDType("complex128")
