"""Exponentials and logarithms: exp, log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tapegrad.registry import LaterModule

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks


def register(registry: Registry) -> None:
    registry.register_op(
        "exp",
        edge_cases=ec.EXP,
        reference=np.exp,
        forward="exp",
        vjp=(lambda xp, g, ans, x: g * ans,),
        promotion="float", saves=("output",), methods=("exp",), inplace_methods=("exp_",),
    )
    registry.register_op(
        "log",
        edge_cases=ec.LOG,
        reference=np.log,
        forward="log",
        vjp=(lambda xp, g, ans, x: g / x,),
        promotion="float", saves=("inputs",), methods=("log",), inplace_methods=("log_",), domain=((0.2, 3.0),),
    )
