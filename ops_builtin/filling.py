"""Filling: fill, zero. Their results do not depend on the input's values, so the
input's gradient is zero; they exist for their in-place forms, ``fill_`` and ``zero_``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tapegrad.promotion import refuse_complex
from tapegrad.testing.samples import Sample

if TYPE_CHECKING:
    from tapegrad import Registry


def _fill(xp: Any, x: Any, *, value: Any) -> Any:
    """A tensor shaped and typed like ``x``, every element ``value``."""
    if isinstance(value, complex):
        refuse_complex("fill", value)
    return xp.full_like(x, value)


def _zero(xp: Any, x: Any) -> Any:
    """Zeros shaped and typed like ``x``."""
    return xp.zeros_like(x)


def _no_dependence(xp: Any, g: Any, ans: Any, x: Any, **params: Any) -> Any:
    return g * 0


def register(registry: Registry) -> None:
    registry.register_op(
        "fill", forward=_fill, vjp=(_no_dependence,), saves=(), params=("value",),
        inplace_methods=("fill_",), promotion=False, samples=[Sample((2, 3), value=1.5)],
    )
    registry.register_op(
        "zero", forward=_zero, vjp=(_no_dependence,), saves=(), inplace_methods=("zero_",), promotion=False,
    )
