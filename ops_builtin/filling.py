"""Filling: fill, zero, copy, and clone. The first three do not depend on the input's values,
so the input's gradient is zero; they exist for their in-place forms, ``fill_``, ``zero_`` and
``copy_`` (``out[0:2].copy_(x)`` writes ``x`` through a view). ``clone`` is a copy to write
into instead of a view or an expanded tensor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dispatch import raise_if_not_broadcastable
from tapegrad.promotion import refuse_complex
from tapegrad.backends import numpy_dtype_of
from tapegrad.testing.samples import Sample
from tapegrad.registry import LaterModule

from . import references as ref
from .scalars import checked_scalar

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks


def _fill(xp: Any, x: Any, *, value: Any) -> Any:
    """A tensor shaped and typed like ``x``, every element ``value``."""
    if isinstance(value, complex):
        refuse_complex("fill", value)
    return xp.full_like(x, checked_scalar(value, numpy_dtype_of(x)))


def _zero(xp: Any, x: Any) -> Any:
    """Zeros shaped and typed like ``x``."""
    return xp.zeros_like(x)


def _copy(xp: Any, x: Any, src: Any) -> Any:
    """``src`` broadcast to ``x``'s shape and cast to its dtype: the out-of-place form of ``x.copy_(src)``."""
    src = src if hasattr(src, "shape") else xp.asarray(src)
    try:
        spread = xp.broadcast_to(src, tuple(x.shape))
    except ValueError as exc:
        raise_if_not_broadcastable([x, src], exc)  # sizes that disagree, in PyTorch's words
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(tuple(x.shape), tuple(src.shape)))}") from None
    return xp.astype(spread, x.dtype, copy=True)


def _copy_vjp_x(xp: Any, g: Any, ans: Any, x: Any, src: Any) -> Any:
    return g * 0  # overwritten: x's old values do not reach the result


def _copy_vjp_src(xp: Any, g: Any, ans: Any, x: Any, src: Any) -> Any:
    return g  # in x's shape: the engine sums it down to src's and casts it to src's dtype


def _clone(xp: Any, x: Any) -> Any:
    """A copy of ``x`` in memory of its own (writing into it leaves ``x`` alone)."""
    return xp.asarray(x, copy=True)


def _no_dependence(xp: Any, g: Any, ans: Any, x: Any, **params: Any) -> Any:
    return g * 0


def register(registry: Registry) -> None:
    registry.register_op(
        "fill", forward=_fill, vjp=(_no_dependence,), saves=(), params=("value",),
        zero_gradient=True, edge_cases=ec.FILL,
        reference=ref.fill,
        inplace_methods=("fill_",), promotion=False, samples=[Sample((2, 3), value=1.5)], batching="elementwise",
    )
    registry.register_op(
        "zero", forward=_zero, vjp=(_no_dependence,), saves=(), inplace_methods=("zero_",), promotion=False,
        batching="elementwise",
        zero_gradient=True,
        reference=np.zeros_like,
    )
    registry.register_op(
        "copy", forward=_copy, vjp=(_copy_vjp_x, _copy_vjp_src), saves=(), inplace_methods=("copy_",), edge_cases=ec.COPY,
        reference=lambda x, src: np.broadcast_to(src, x.shape).astype(x.dtype),
        promotion=False, node_name="CopyBackwards", samples=[Sample((2, 3), (2, 3)), Sample((2, 3), (3,))],
    )
    registry.register_op(
        "clone", forward=_clone, vjp=(lambda xp, g, ans, x: g,), saves=(), methods=("clone",), promotion=False,
        batching="elementwise",
        reference=np.copy,
    )
