"""Exponentials and logarithms: exp, log."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tapegrad import Registry


def register(registry: Registry) -> None:
    registry.register_op(
        "exp",
        forward="exp",
        vjp=(lambda xp, g, ans, x: g * ans,),
        promotion="float", saves=("output",), methods=("exp",),
    )
    registry.register_op(
        "log",
        forward="log",
        vjp=(lambda xp, g, ans, x: g / x,),
        promotion="float", saves=("inputs",), methods=("log",), domain=((0.2, 3.0),),
    )
