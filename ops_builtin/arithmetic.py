"""Elementwise arithmetic: add, sub, mul, div, pow, neg.

Integer powers are PyTorch's: a negative Python-int exponent of an integer tensor is an
error ("Integers to negative integer powers are not allowed."), but negative exponents in
a tensor give ``x ** y`` rounded toward zero (0, or +-1 for bases +-1), as C's integer
``pow`` does.

Each VJP returns cotangents in the broadcast shape; the engine sums them down to
each input's shape. Names follow the math: ``g`` the incoming cotangent, ``ans`` the
output, ``x``/``y`` the inputs.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.backends import is_lazy
from tapegrad.graph import Combine, passthrough
from tapegrad.registry import LaterModule

from . import node_names
from .cotangents import scale, times

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks

POSITIVE = (0.2, 3.0)  # a domain where log and fractional powers are smooth


def _pow(xp: Any, x: Any, y: Any) -> Any:
    """``x ** y`` elementwise; broadcasts. Integer tensors to negative integer powers as PyTorch's."""
    dtype = (x if hasattr(x, "dtype") else y).dtype
    kind = getattr(dtype, "kind", None)  # NumPy's dtypes say it in one attribute, cheaply
    if kind == "f" or (kind is None and xp.isdtype(dtype, "real floating")):
        if y.__class__ in (int, float) and y == 2:
            return xp.square(x)  # as NumPy's ** does for a square: the same bits, without pow()
        return xp.pow(x, y)
    return _integer_pow(xp, x, y)


def _integer_pow(xp: Any, x: Any, y: Any) -> Any:
    if type(y) is int or type(y) is bool:
        if y < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return xp.pow(x, y)
    if type(x) is int or type(x) is bool:
        x = xp.full(y.shape, x, dtype=y.dtype)
    if xp.isdtype(y.dtype, "bool"):
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    negative = y < 0
    if not is_lazy(y) and not xp.any(negative):  # (a lazy backend takes the general form: no look at y)
        return xp.pow(x, y)
    p = xp.pow(x, xp.where(negative, xp.zeros_like(y), y))
    one = xp.ones_like(p)
    unit = xp.where(x == 1, one, xp.where(x == -1, xp.where(y % 2 == 0, one, -one), xp.zeros_like(p)))
    return xp.where(negative, unit, p)


def _pow_vjp_base(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    if isinstance(y, (int, float)):
        if y == 0:
            return g * 0  # d(x**0)/dx = 0 everywhere, even where x**-1 is infinite
        if y == 2:
            return times(scale(g, 2), x)  # the common square: one pass when g is one value, into a dying x
        return g * (y * x ** (y - 1))
    # As PyTorch: 0 where the exponent is 0, even at x == 0 where x**(y-1) is infinite and at a
    # NaN base. Masked only there, so the rule stays differentiable in y wherever the formula is finite.
    pole = (y == 0) & ((x == 0) | xp.isnan(x) | (xp.abs(x) < 1e-4))  # also a tiny base: x**-1 may overflow
    safe_x = xp.where(pole, xp.ones_like(x), x)
    return xp.where(pole, xp.zeros_like(g), g * y * safe_x ** (y - 1))


def _pow_vjp_exponent(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    # d(x**y)/dy = x**y * log(x), recomputed so that pow need not keep its output alive for the
    # common constant exponent. As PyTorch, 0 at x == 0 for y >= 0 instead of 0 * -inf (for
    # y < 0 it is inf * -inf = -inf).
    if isinstance(x, (int, float)):
        # Python's math on a Python base: xp functions take arrays only (array_api_strict refuses
        # a float), and on tensors they would round the number to the default float dtype.
        if x == 0:
            return g * 0
        return g * x ** y * (math.log(x) if x > 0 else math.nan)
    # An integer base is logged in the result's precision (NumPy's log of int8 is float16).
    safe_x = xp.where((x == 0) & (y >= 0), xp.ones_like(x), x)
    if not xp.isdtype(x.dtype, ("real floating", "complex floating")):
        safe_x = xp.astype(safe_x, g.dtype)
    return g * xp.pow(x, y) * xp.log(safe_x)


def _add(xp: Any, x: Any, y: Any, *, alpha: Any = 1) -> Any:
    """``x + alpha * y`` elementwise; broadcasts."""
    return xp.add(x, y) if alpha == 1 else xp.add(x, _scaled(xp, x, y, alpha))


def _sub(xp: Any, x: Any, y: Any, *, alpha: Any = 1) -> Any:
    """``x - alpha * y`` elementwise; broadcasts."""
    return xp.subtract(x, y) if alpha == 1 else xp.subtract(x, _scaled(xp, x, y, alpha))


def _scaled(xp: Any, x: Any, y: Any, alpha: Any) -> Any:
    """``alpha * y`` in the operands' dtype: ``alpha`` takes no part in promotion, and wraps around
    in an integer dtype (``uint8`` with ``alpha=-2``), as PyTorch's."""
    dtype = (x if hasattr(x, "dtype") else y).dtype
    if xp.isdtype(dtype, "bool"):
        if not isinstance(alpha, bool) and isinstance(alpha, float):
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        return y & bool(alpha)
    if isinstance(alpha, bool):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if xp.isdtype(dtype, "integral"):
        if isinstance(alpha, float):
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        return y * xp.astype(xp.asarray(alpha), dtype)  # wrapped into the dtype, as PyTorch's scalar
    return y * alpha


def _div(xp: Any, x: Any, y: Any, *, rounding_mode: Any = None) -> Any:
    """``x / y`` elementwise (true division); broadcasts. ``rounding_mode="trunc"`` rounds the
    quotient toward zero, ``"floor"`` down; both keep integer operands integer (their promotion
    is then ``"same"``), and integer division by zero raises, as PyTorch's. Their gradient is 0."""
    if rounding_mode is None:
        return xp.divide(x, y)
    from .elementwise import _integral, _refuse_integer_zero

    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")
    _refuse_integer_zero(xp, x, y)
    if rounding_mode == "floor":
        return xp.floor_divide(x, y)
    if not (_integral(xp, x) and _integral(xp, y)):
        return xp.trunc(xp.divide(x, y))
    q = xp.floor_divide(x, y)
    inexact = (q * y != x) & ((x < 0) != (y < 0))  # floored past zero: one step back
    return xp.where(inexact, q + 1, q)


def _div_vjp_x(xp: Any, g: Any, ans: Any, x: Any, y: Any, *, rounding_mode: Any = None) -> Any:
    return g / y if rounding_mode is None else g * 0


def _div_vjp_y(xp: Any, g: Any, ans: Any, x: Any, y: Any, *, rounding_mode: Any = None) -> Any:
    return -g * ans / y if rounding_mode is None else g * 0


def _div_node(params: Any, inputs: Any) -> str:
    """``DivBackward2`` with a rounding mode (its gradient is 0), as PyTorch's; else ``DivBackward0``."""
    return "DivBackward0" if params.get("rounding_mode") is None else "DivBackward2"


def register(registry: Registry) -> None:
    # ------------------------------------------------------------ sums
    registry.register_op(
        "add",
        edge_cases=ec.ADD,
        reference=np.add,
        forward="add", param_forward=_add,
        vjp=(passthrough,
             lambda xp, g, ans, x, y, alpha=1: g if alpha == 1 else g * alpha),
        saves=(), broadcasts=True, methods=("add",), inplace_methods=("add_",),
    )
    registry.register_op(
        "sub",
        edge_cases=ec.SUB,
        reference=np.subtract,
        forward="subtract", param_forward=_sub,
        vjp=(passthrough,
             lambda xp, g, ans, x, y, alpha=1: -g if alpha == 1 else g * -alpha),
        saves=(), broadcasts=True, aliases=("subtract",), methods=("sub", "subtract"), node_name=node_names.sub,
        inplace_methods=("sub_", "subtract_"),
    )
    registry.register_op(
        "neg",
        reference=np.negative,
        forward="negative",
        vjp=(lambda xp, g, ans, x: -g,),
        saves=(), aliases=("negative",), methods=("neg", "negative"), inplace_methods=("neg_",),
    )
    # ------------------------------------------------------------ products
    registry.register_op(
        "mul",
        reference=np.multiply,
        forward="multiply",
        vjp=(Combine(operator.mul, 1),  # g * y
             Combine(operator.mul, 0)),  # g * x
        saves=("inputs",), reads=((1,), (0,)), broadcasts=True, aliases=("multiply",), methods=("mul", "multiply"),
        inplace_methods=("mul_", "multiply_"),
    )
    registry.register_op(
        "div",
        edge_cases=ec.DIV,
        reference=np.divide,
        forward="divide", param_forward=_div,
        vjp=(Combine(operator.truediv, 1, _div_vjp_x), _div_vjp_y), node_name=_div_node,
        promotion="float", promotion_by_param={"rounding_mode": "same"},
        saves=("inputs", "output"), reads=((1,), (1, "output")), broadcasts=True,
        aliases=("divide", "true_divide"),
        methods=("div", "divide", "true_divide"), inplace_methods=("div_", "divide_"),
        domain=(None, POSITIVE),
    )
    registry.register_op(
        "pow",
        edge_cases=ec.POW,
        reference=np.power,
        forward=_pow,
        vjp=(_pow_vjp_base, _pow_vjp_exponent),
        saves=("inputs",), broadcasts=True, methods=("pow",), inplace_methods=("pow_",), node_name=node_names.pow,
        domain=(POSITIVE, None),
    )
