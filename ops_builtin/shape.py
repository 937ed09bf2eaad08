"""Shape and type plumbing: reshape, broadcast_to, expand_dims, astype.

No arithmetic: each VJP moves the cotangent back to its input's layout. They are the
ops other VJPs (sum, mean) use, so they must be differentiable again themselves.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tapegrad.dtypes import in_namespace
from tapegrad.testing.samples import Sample

if TYPE_CHECKING:
    from tapegrad import Registry


def _size(n: Any) -> int:
    """One size: any integer (NumPy's included, via ``__index__``); a float or bool is refused, not truncated."""
    if type(n) is int:
        return n
    if not isinstance(n, bool):
        try:
            return operator.index(n)
        except TypeError:
            pass
    raise TypeError(f"shape must be an int or a sequence of ints, but found element of type {type(n).__name__}")


def _shape_param(shape: Any) -> tuple[int, ...]:
    if type(shape) is tuple or type(shape) is list:
        return tuple([_size(n) for n in shape])
    if not isinstance(shape, bool):
        try:
            return (operator.index(shape),)
        except TypeError:
            pass
    if not isinstance(shape, Iterable) or isinstance(shape, (str, bytes)):
        raise TypeError(f"shape must be an int or a sequence of ints, got {type(shape).__name__}")
    return tuple([_size(n) for n in shape])


def _reshape(xp: Any, x: Any, *, shape: Any) -> Any:
    """The same elements in a new shape (one dimension may be -1)."""
    return xp.reshape(x, _shape_param(shape))


def _broadcast_to(xp: Any, x: Any, *, shape: Any) -> Any:
    """``x`` broadcast NumPy-style to ``shape``."""
    return xp.broadcast_to(x, _shape_param(shape))


def _expand_dims(xp: Any, x: Any, *, dim: int) -> Any:
    """``x`` with a new size-1 dimension at ``dim``."""
    return xp.expand_dims(x, axis=dim)


def _astype(xp: Any, x: Any, *, dtype: Any) -> Any:
    """``x`` converted to ``dtype``."""
    return xp.astype(x, in_namespace(xp, dtype))


def _back_to_input_shape(xp: Any, g: Any, ans: Any, x: Any, **params: Any) -> Any:
    return xp.reshape(g, x.shape)


def register(registry: Registry) -> None:
    registry.register_op(
        "reshape", forward=_reshape, vjp=(_back_to_input_shape,), saves=(),
        params=("*shape",), methods=("reshape",),
        samples=[Sample((2, 3), shape=(3, 2)), Sample((6,), shape=(-1, 2)), Sample((), shape=(1, 1))],
    )
    registry.register_op(
        # The cotangent comes back in the broadcast shape; the engine sums it down.
        "broadcast_to", forward=_broadcast_to, vjp=(lambda xp, g, ans, x, shape: g,), saves=(),
        params=("*shape",), methods=("broadcast_to",),
        samples=[Sample((3,), shape=(2, 3)), Sample((2, 1), shape=(2, 4)), Sample((), shape=(3,))],
    )
    registry.register_op(
        "expand_dims", forward=_expand_dims, vjp=(_back_to_input_shape,), saves=(),
        params=("dim",), param_aliases={"axis": "dim"}, methods=("expand_dims",),
        samples=[Sample((2, 3), dim=0), Sample((2, 3), dim=-1), Sample((), dim=0)],
    )
    registry.register_op(
        # The engine casts each cotangent to its input's dtype, so the VJP passes g through.
        "astype", forward=_astype, vjp=(lambda xp, g, ans, x, dtype: g,), saves=(),
        params=("dtype",), methods=("astype",), promotion=False,
        samples=[Sample((2, 3), dtype="float64"), Sample((3,), dtype="float32")],
    )
