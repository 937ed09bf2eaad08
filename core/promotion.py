"""PyTorch's type promotion, in one place: the dtype an op computes in and the dtype it returns.

PyTorch's documented rules (``torch.result_type``), which NumPy's (NEP 50, ``float16`` for
``int8`` inputs, ``uint64`` sums) must never replace:

- dtypes fall in categories ``bool < integer < floating``;
- operands have priorities: dimensioned tensors, then 0-d tensors, then Python scalars;
  within a priority the dtypes promote (``promote_types``); a lower-priority operand
  changes the result only when its category is higher, and then a Python float counts as
  the default float dtype (``int_tensor * 2.5`` is float32, ``f32 + 0-d f64`` float32);
- an op declares a category of result (``OpDef.promotion``):

  ``"same"``   the promoted dtype (``add``, ``mul``, ``maximum``, ``where``, ``matmul``);
  ``"float"``  the promoted dtype, the default float dtype for bool and integer inputs
               (true division, ``sin``, ``exp``, ``sigmoid``, ``logsumexp``);
  ``"bool"``   computed in the promoted dtype, a bool result (comparisons);
  ``"int64"``  the promoted dtype, int64 for bool and integer inputs (``sum``, ``prod``,
               ``cumsum``).

The dispatcher casts the operands to the computation dtype before the forward runs, on
every backend, so the forward sees one dtype (as array-API namespaces require), and casts
a result of any other dtype to the declared one. A ``dtype=`` parameter, where an op takes
one, is PyTorch's "cast the input first": it is then both dtypes.
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import numpy as np

from . import dtypes as _dtypes

ndarray = np.ndarray

__all__ = ["CATEGORIES", "Promotion", "promote_types", "result_type", "refuse_complex", "can_cast"]

CATEGORIES = ("same", "float", "bool", "int64")

_B, _U8, _I8, _I16, _I32, _I64, _F16, _F32, _F64 = (
    np.dtype(t) for t in (np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64,
                          np.float16, np.float32, np.float64)
)
_BOOL = np.dtype(np.bool_)
_FLOATS = (_F16, _F32, _F64)
_KIND = {_B: 0, _U8: 1, _I8: 1, _I16: 1, _I32: 1, _I64: 1, _F16: 2, _F32: 2, _F64: 2}
_SIGNED = (_I8, _I16, _I32, _I64)  # in order of width
# dtype number -> the dtype; several numbers name one dtype (long and longlong are both int64)
_BY_NUM = {np.dtype(t).num: d for d in _KIND for t in (np.bool_, np.ubyte, np.byte, np.short, np.intc, np.int_,
                                                       np.longlong, np.half, np.single, np.double) if np.dtype(t) == d}
_SCALAR_TYPES = {bool: 0, int: 1, float: 2}


def promote_types(type1: Any, type2: Any) -> _dtypes.DType:
    """The smallest dtype both dtypes cast to, by PyTorch's table (``torch.promote_types``).

    Unlike NumPy's: a float meets an integer in the float (``float16`` with ``int64`` is
    ``float16``, not ``float64``); ``uint8`` with ``int8`` is ``int16``.
    """
    return _dtypes.from_numpy_dtype(_promote(_dtypes.to_numpy_dtype(type1), _dtypes.to_numpy_dtype(type2)))


def result_type(tensor1: Any, tensor2: Any) -> _dtypes.DType:
    """The dtype an arithmetic op on ``tensor1`` and ``tensor2`` (tensors or Python numbers)
    returns (``torch.result_type``): dimensioned tensors rank over 0-d ones over numbers."""
    key: list[tuple[Any, int]] = []
    for v in (tensor1, tensor2):
        if type(v) in _SCALAR_TYPES:
            key.append((type(v), 2))
        elif type(v) is complex:
            refuse_complex("result_type", v)
        else:
            key.append((_dtypes.to_numpy_dtype(v.dtype), 1 if len(v.shape) == 0 else 0))
    return _dtypes.from_numpy_dtype(_result(key))


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    if a == b:
        return a
    ka, kb = _KIND[a], _KIND[b]
    if ka != kb:
        return a if ka > kb else b
    if ka == 2:
        return a if a.itemsize > b.itemsize else b
    if a == _U8 or b == _U8:  # uint8 with a signed integer: the signed one, int16 for int8
        other = b if a == _U8 else a
        return _I16 if other == _I8 else other
    return a if a.itemsize > b.itemsize else b


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A higher-priority result, changed by a lower-priority one only when that has a higher category."""
    if higher is None:
        return lower
    if lower is None or _KIND[higher] == 2:
        return higher
    if higher == _B or _KIND[lower] == 2:
        return _promote(higher, lower)
    return higher


def _result(operands: Sequence[tuple[Any, int]]) -> np.dtype:
    """PyTorch's result dtype of ``operands``: pairs ``(dtype, priority)``, priority 0 for a
    dimensioned tensor, 1 for a 0-d tensor, 2 for a Python scalar (``dtype`` then its type)."""
    found: list[np.dtype | None] = [None, None, None]
    for dtype, priority in operands:
        if priority == 2:
            dtype = (_B, _I64, _dtypes.get_default_dtype().numpy)[_SCALAR_TYPES[dtype]]
        current = found[priority]
        found[priority] = dtype if current is None else _promote(current, dtype)
    out = _combine(found[0], _combine(found[1], found[2]))
    return _I64 if out is None else out


def can_cast(source: Any, target: Any) -> bool:
    """PyTorch's ``can_cast``, for in-place results: within and down a category freely
    (int32 into uint8, float64 into float16), never from floating to integer or bool, nor from
    a number to bool. NumPy's ``same_kind`` refuses int into uint, which PyTorch allows."""
    a, b = np.dtype(source), np.dtype(target)
    if a.kind == "f":
        return b.kind == "f"
    if a.kind in "iu":
        return b.kind in "iuf"
    return True  # bool goes anywhere


def refuse_complex(name: str, value: Any) -> None:
    """Complex numbers are refused where they enter, until tapegrad has complex dtypes
    (``value``: the number, or a description such as ``"an array of dtype complex128"``)."""
    shown = value if isinstance(value, str) else repr(value)
    raise TypeError(
        f"{name}(): complex numbers are not supported by tapegrad yet (got {shown}); "
        "use real tensors, e.g. separate real and imaginary parts"
    )


_RANGES = {d: (-(1 << (8 * d.itemsize - 1)), (1 << (8 * d.itemsize - 1)) - 1) for d in _SIGNED}
_RANGES[_U8] = (0, 255)


def _wrapped_int(value: int, dtype: np.dtype) -> int:
    """A Python int in ``dtype``'s range, wrapped around as PyTorch casts scalars (``int8 + 300``)."""
    low, high = _RANGES[dtype]
    if low <= value <= high:
        return value
    if not -(1 << 63) <= value < (1 << 64):
        raise OverflowError("int too big to convert")
    return (value - low) % (high - low + 1) + low


class Promotion:
    """One op's promotion rule: its category and which operands take part.

    ``operands``: positional input indices and parameter names whose values take part
    (None: every positional input). The dispatcher's hot paths need nothing more than three
    tables, operand dtype to result dtype: ``fast`` when every operand is an array of that
    dtype and none needs a cast; ``fast_float`` when the others are Python floats or ints
    (float dtypes: the float tensor wins, whatever the default dtype); ``fast_int`` when
    they are Python ints (integer dtypes too, where the result keeps the tensor's dtype; an
    int out of range makes NumPy raise ``OverflowError``, and the call then takes the general
    path, which wraps it). All are empty for ops whose params take part: every call of those
    takes the general path; so do the calls with params of ops that take a ``dtype``.
    """

    __slots__ = ("name", "category", "operands", "takes_dtype", "by_param", "fast", "fast_float", "fast_int", "_plans")

    @classmethod
    def for_op(cls, op: Any) -> Promotion | None:
        """The rule ``op`` declared, or None for ops that choose their own dtype."""
        if not op.promotion or op.composite:
            return None
        code = getattr(op.forward, "__code__", None)  # inspect.signature is slow, for every op at start-up
        if code is not None:
            takes_dtype = "dtype" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        else:
            try:
                takes_dtype = "dtype" in inspect.signature(op.forward).parameters
            except (TypeError, ValueError):
                takes_dtype = False
        rule = cls(op.name, op.promotion, op.promotes, takes_dtype)
        rule.by_param = dict(op.promotion_by_param)
        return rule

    def __init__(self, name: str, category: str, operands: tuple[int | str, ...] | None,
                 takes_dtype: bool) -> None:
        self.name = name
        self.category = category
        self.operands = operands
        self.takes_dtype = takes_dtype
        self.by_param: dict[str, Any] = {}  # a param given -> the category then (div's rounding_mode)
        self._plans: dict[tuple, tuple[np.dtype, np.dtype]] = {}
        self.fast: dict[np.dtype, np.dtype] = {}
        self.fast_float: dict[np.dtype, np.dtype] = {}
        self.fast_int: dict[np.dtype, np.dtype] = {}
        if operands is not None:  # (a dtype= call never reaches the fast path: the dispatcher sends it on)
            return
        for d, kind in _KIND.items():
            if kind == 2 or category in ("same", "bool") or (category == "int64" and d == _I64):
                self.fast[d] = _BOOL if category == "bool" else d
        self.fast_float.update((d, self.fast[d]) for d in _FLOATS)
        self.fast_int.update(self.fast_float)
        # NumPy compares an int8 tensor with 300 exactly, PyTorch with 300 wrapped: int64 only
        self.fast_int.update((d, self.fast[d]) for d in (_I64,) if category == "bool")
        self.fast_int.update((d, d) for d in (_U8, *_SIGNED) if category == "same")

    def plan(self, key: tuple, category: str | None = None) -> tuple[np.dtype, np.dtype]:
        """(computation dtype, result dtype) for operands ``key``: (dtype number, priority)
        pairs, priority 0 for a dimensioned array, 1 for a 0-d one, 2 for a Python scalar's
        type in place of the number. (Numbers: hashing a NumPy dtype is slow.) ``category``:
        one of ``by_param``'s in place of the op's."""
        full = (key, _dtypes.get_default_dtype().numpy, category)
        found = self._plans.get(full)
        if found is None:
            compute = _result([(v if p == 2 else _BY_NUM[v], p) for v, p in key])
            category = category or self.category
            if category == "float" and _KIND[compute] < 2:
                compute = _dtypes.get_default_dtype().numpy
            elif category == "int64" and _KIND[compute] < 2:
                compute = _I64
            found = (compute, _BOOL if category == "bool" else compute)
            if len(self._plans) < 1024:
                self._plans[full] = found
        return found

    def prepare(self, arrays: list, params: dict, backend: Any) -> tuple[list, Any]:
        """Operands cast to the computation dtype (a new list when any changed), and the
        result dtype, in ``backend``'s terms."""
        operands: Sequence[int | str] = range(len(arrays)) if self.operands is None else self.operands
        numpy = backend.name == "numpy"
        if self.takes_dtype and params.get("dtype") is not None:
            compute = result = _dtypes.to_numpy_dtype(params["dtype"])
        else:
            key: list[tuple[Any, int]] = []
            for where in operands:
                if type(where) is int:
                    if where >= len(arrays):
                        continue
                    v = arrays[where]
                else:  # a scalar param; anything else is the forward's to refuse
                    v = params.get(where)
                t = type(v)
                if t is ndarray:
                    dtype = v.dtype
                    key.append((dtype.num if dtype.num in _BY_NUM else self._refuse(dtype), 1 if v.ndim == 0 else 0))
                elif t in _SCALAR_TYPES:
                    key.append((t, 2))
                elif t is complex:
                    refuse_complex(self.name, v)
                elif type(where) is int and hasattr(v, "dtype"):
                    dtype = v.dtype if numpy else _numpy(backend, v.dtype)
                    key.append((dtype.num if dtype.num in _BY_NUM else self._refuse(dtype), 1 if len(v.shape) == 0 else 0))
            chosen = None
            if self.by_param:
                chosen = next((c for p, c in self.by_param.items() if params.get(p) is not None), None)
            compute, result = self.plan(tuple(key), chosen)
        cast = arrays
        kind = _KIND[compute]
        for i in operands:
            if type(i) is not int or i >= len(arrays):
                continue
            v = arrays[i]
            t = type(v)
            if t is int and kind == 1:
                w = _wrapped_int(v, compute)
                if w == v:
                    continue
            elif t is bool and kind > 0:
                w = int(v)  # the array API takes bools with bool arrays only
            elif t in _SCALAR_TYPES:
                continue
            elif t is ndarray:
                if v.dtype == compute:
                    continue
                w = v.astype(compute)  # the method: np.astype costs four times as much
            elif _numpy(backend, v.dtype) == compute:
                continue
            else:
                w = backend.namespace.astype(v, backend.dtype(compute))
            if cast is arrays:
                cast = list(arrays)
            cast[i] = w
        return cast, (result if numpy else backend.dtype(result))

    def _refuse(self, dtype: np.dtype) -> int:
        if dtype.kind == "c":
            refuse_complex(self.name, f"an array of dtype {dtype}")
        _dtypes.from_numpy_dtype(dtype)  # raises: tapegrad has no such dtype
        raise AssertionError(dtype)  # pragma: no cover - every dtype tapegrad holds is in _KIND

    def finish(self, out: Any, result: Any, namespace: Any) -> Any:
        """``out`` as the declared result dtype (a forward may return another, as NumPy's do);
        never a complex one, whose imaginary part the cast would drop."""
        if "complex" in str(out.dtype):
            refuse_complex(self.name, f"a result of dtype {out.dtype}")
        return out.astype(result) if type(out) is ndarray else namespace.astype(out, result)


def _numpy(backend: Any, dtype: Any) -> np.dtype:
    if isinstance(dtype, np.dtype):
        return dtype
    return np.dtype(backend.numpy_dtype(dtype))
