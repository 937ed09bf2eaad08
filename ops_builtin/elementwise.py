"""Elementwise ops: the math library PyTorch users reach for, one section per kind.

Every forward uses only ``xp`` functions, so it runs on any array-API backend; every VJP
uses ``xp`` functions and Python operators only, so the same rule runs on raw arrays
(first order) and, under ``create_graph=True``, on tensors, where ``xp.cos``,
``xp.where``, ``xp.sigmoid`` ... are the registered ops and the backward pass is itself
recorded. No op here needs ``second_order=False``. Names follow the math: ``g`` the
incoming cotangent, ``ans`` the output, ``x``/``y`` the inputs.

Non-differentiable points follow PyTorch: ``abs'(0) = 0``, ``relu'(0) = 0``, ``clamp``
passes the gradient where ``min <= x <= max`` (boundaries included), ``maximum`` and
``minimum`` split it evenly on ties, and ``floor``, ``ceil``, ``round``, ``sign`` have zero
gradient. NaN follows PyTorch too: ``sign(nan)`` is 0 (so ``abs``'s gradient there is 0);
``relu``, ``maximum`` and ``minimum`` pass the gradient to a NaN input (it is not below
the other operand), ``clamp`` does not (NaN is not inside ``[min, max]``). ``floor_divide``, the comparisons, the logical ops and the predicates declare no
VJP, so their results never require grad.

The error function. Exact ``gelu`` is ``x * Phi(x)`` with ``Phi`` the standard normal CDF.
NumPy and the array API have no ``erf``, and the builtins take no SciPy dependency, so
``Phi`` is the op ``ndtr`` (``torch.special.ndtr``), computed from W. J. Cody's rational
Chebyshev approximations of erf/erfc (Math. Comp. 23, 1969; Netlib SPECFUN ``calerf``),
vectorised with ``xp.where`` over his three intervals: about 1e-16 relative error in
float64, in both tails, where Abramowitz-Stegun 7.1.26 (1e-7) would spoil float64
gradient checks and ``math.erf`` through ``np.vectorize`` would cost a Python call per
element and work on NumPy only. (``erf``, ``erfc`` and ``erfinv`` are ops of
``special_functions.py``, on the same two kernels.)

Ops whose results are bool (comparisons, logical ops) broadcast like the rest but do not
declare ``broadcasts=True``: the conformance kit's Python-scalar check demands a float32
result from float32 inputs. They, and ``where``, report shape mismatches in PyTorch's words
themselves.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dispatch import raise_if_not_broadcastable
from tapegrad.testing.samples import Sample
from tapegrad.registry import LaterModule

from . import references as ref
from .cotangents import scale, times

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks

# kit domains (open intervals the conformance kit draws inputs from)
POSITIVE = (0.2, 3.0)          # sqrt, rsqrt, log2, log10: away from the pole at 0
ABOVE_MINUS_ONE = (-0.5, 2.0)  # log1p: away from the pole at -1
UNIT = (-0.9, 0.9)             # arcsin, arccos: away from the derivative's poles at +-1
TAN = (-1.2, 1.2)              # tan: away from the poles at +-pi/2
DIVISOR = (0.5, 2.0)           # floor_divide, remainder: away from division by zero

LN2 = math.log(2.0)
LN10 = math.log(10.0)
SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU_K = math.sqrt(2.0 / math.pi)  # gelu's tanh approximation, as PyTorch writes it
GELU_C = 0.044715


# ---------------------------------------------------------------------------- helpers
def _real(op: str, name: str, value: Any) -> Any:
    """A static parameter that must be a real number (not a bool, not a tensor)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}(): {name} must be a real number, got {type(value).__name__} {value!r}")
    return value


def _truth(xp: Any, x: Any) -> Any:
    """``x`` as bools, nonzero meaning True (PyTorch's logical ops take any dtype)."""
    if isinstance(x, (bool, int, float, complex)):
        return bool(x)
    return x if xp.isdtype(x.dtype, "bool") else x != 0


# W. J. Cody's coefficients (Netlib SPECFUN calerf): erf on |x| <= 0.46875 (A, B), erfc on
# 0.46875 < x <= 4 (C, D) and on x > 4 (P, Q); erfc underflows (below the subnormals) past XBIG.
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875
_XBIG = 27.3


def _erf_small(xp: Any, z: Any) -> Any:
    """erf(z) for |z| <= 0.46875."""
    t = z * z
    num, den = _A[4] * t, t
    for a, b in zip(_A[:3], _B[:3]):
        num = (num + a) * t
        den = (den + b) * t
    return z * (num + _A[3]) / (den + _B[3])


def _erfc_large(xp: Any, y: Any) -> Any:
    """erfc(y) for y >= 0.46875 (NaN stays NaN)."""
    y2 = xp.minimum(y, 4.0)
    num, den = _C[8] * y2, y2
    for c, d in zip(_C[:7], _D[:7]):
        num = (num + c) * y2
        den = (den + d) * y2
    middle = (num + _C[7]) / (den + _D[7])
    y3 = xp.minimum(xp.maximum(y, 4.0), _XBIG)
    s = 1.0 / (y3 * y3)
    num, den = _P[5] * s, s
    for p, q in zip(_P[:4], _Q[:4]):
        num = (num + p) * s
        den = (den + q) * s
    tail = (_SQRPI - s * (num + _P[4]) / (den + _Q[4])) / y3
    # exp(-y*y) as exp(-r*r) * exp(-(y-r)(y+r)) with r = y rounded down to 1/16: no digits lost;
    # exp(-r*r) in two halves (r*r/2 is exact) so that a subnormal result is rounded only once
    yc = xp.minimum(y, _XBIG)
    r = xp.trunc(yc * 16.0) / 16.0
    half = xp.exp(-0.5 * r * r)
    scaled = half * (xp.exp(-(yc - r) * (yc + r)) * xp.where(y <= 4.0, middle, tail)) * half
    return xp.where(y >= _XBIG, 0.0, scaled)


# ---------------------------------------------------------------------------- absolute value and sign
def _zero_vjp(xp: Any, g: Any, ans: Any, x: Any, **params: Any) -> Any:
    return xp.zeros_like(g)  # piecewise constant: PyTorch's gradient is zero everywhere


def sign(xp: Any, x: Any) -> Any:
    """Sign of ``x``: -1, 0 or 1, and 0 at NaN, as PyTorch's; a bool tensor is its own sign (zero gradient)."""
    if xp.isdtype(x.dtype, "bool"):
        return xp.asarray(x, copy=True)
    s = xp.sign(x)
    return xp.where(xp.isnan(x), xp.zeros_like(s), s) if xp.isdtype(x.dtype, "real floating") else s


def _register_abs_sign(registry: Registry) -> None:
    registry.register_op(
        "abs", forward="abs", doc="Absolute value, ``|x|``. Its gradient at 0 is 0, as PyTorch's.",
        edge_cases=ec.ABS,
        reference=np.abs,
        vjp=(lambda xp, g, ans, x: g * sign(xp, x),),
        saves=("inputs",), aliases=("absolute",), methods=("abs", "absolute"),
        inplace_methods=("abs_", "absolute_"),
    )
    registry.register_op(
        "sign", forward=sign, vjp=(_zero_vjp,),
        edge_cases=ec.SIGN,
        zero_gradient=True,
        reference=np.sign,
        saves=(), methods=("sign",), inplace_methods=("sign_",),
    )


# ---------------------------------------------------------------------------- powers and roots
def _rsqrt(xp: Any, x: Any) -> Any:
    """Reciprocal square root, ``1 / sqrt(x)``."""
    return 1.0 / xp.sqrt(x)


def _square(xp: Any, x: Any) -> Any:
    """``x * x``; integer tensors stay integer and bool ones become int64, as ``x ** 2`` does."""
    if xp.isdtype(x.dtype, "bool"):
        x = xp.astype(x, xp.int64)
    return xp.square(x)


def _register_powers(registry: Registry) -> None:
    registry.register_op(
        "sqrt", forward="sqrt", doc='Square root, ``x ** 0.5``.',
        edge_cases=ec.SQRT,
        reference=np.sqrt,
        vjp=(lambda xp, g, ans, x: g / (2 * ans),),
        promotion="float", saves=("output",), methods=("sqrt",), inplace_methods=("sqrt_",), domain=(POSITIVE,),
    )
    registry.register_op(
        # d/dx x**-1/2 = -x**-3/2 / 2 = -ans**3 / 2: read from the output alone
        "rsqrt", forward=_rsqrt,
        edge_cases=ec.RSQRT,
        reference=ref.rsqrt,
        vjp=(lambda xp, g, ans, x: -0.5 * g * ans * ans * ans,),
        promotion="float", saves=("output",), methods=("rsqrt",), batching="elementwise", inplace_methods=("rsqrt_",), domain=(POSITIVE,),
    )
    registry.register_op(
        "square", forward=_square,
        edge_cases=ec.SQUARE,
        reference=np.square,
        vjp=(lambda xp, g, ans, x: times(scale(g, 2), x),),
        promotion=False, saves=("inputs",), methods=("square",), inplace_methods=("square_",),
        node_name="PowBackward0",  # PyTorch computes square as pow(x, 2)
    )


# ---------------------------------------------------------------------------- exponentials and logarithms
def _register_exp_log(registry: Registry) -> None:
    registry.register_op(
        "expm1", forward="expm1", doc='``exp(x) - 1``, accurate for small ``x``.',
        edge_cases=ec.EXPM1,
        reference=np.expm1,
        vjp=(lambda xp, g, ans, x: g * (ans + 1),),
        promotion="float", saves=("output",), methods=("expm1",), inplace_methods=("expm1_",),
    )
    registry.register_op(
        "log1p", forward="log1p", doc='``log(1 + x)``, accurate for small ``x``.',
        edge_cases=ec.LOG1P,
        reference=np.log1p,
        vjp=(lambda xp, g, ans, x: g / (1 + x),),
        promotion="float", saves=("inputs",), methods=("log1p",), inplace_methods=("log1p_",), domain=(ABOVE_MINUS_ONE,),
        node_name="Log1PBackward0",
    )
    registry.register_op(
        "log2", forward="log2", doc='Base-2 logarithm.',
        edge_cases=ec.LOG2,
        reference=np.log2,
        vjp=(lambda xp, g, ans, x: g / (x * LN2),),
        promotion="float", saves=("inputs",), methods=("log2",), inplace_methods=("log2_",), domain=(POSITIVE,),
    )
    registry.register_op(
        "log10", forward="log10", doc='Base-10 logarithm.',
        edge_cases=ec.LOG10,
        reference=np.log10,
        vjp=(lambda xp, g, ans, x: g / (x * LN10),),
        promotion="float", saves=("inputs",), methods=("log10",), inplace_methods=("log10_",), domain=(POSITIVE,),
    )


# ---------------------------------------------------------------------------- trigonometric
def _register_trig(registry: Registry) -> None:
    registry.register_op(
        "sin", forward="sin", doc='Sine, ``x`` in radians.',
        reference=np.sin,
        vjp=(lambda xp, g, ans, x: g * xp.cos(x),),
        promotion="float", saves=("inputs",), methods=("sin",), inplace_methods=("sin_",),
    )
    registry.register_op(
        "cos", forward="cos", doc='Cosine, ``x`` in radians.',
        reference=np.cos,
        vjp=(lambda xp, g, ans, x: -g * xp.sin(x),),
        promotion="float", saves=("inputs",), methods=("cos",), inplace_methods=("cos_",),
    )
    registry.register_op(
        "tan", forward="tan", doc='Tangent, ``x`` in radians.',
        reference=np.tan,
        vjp=(lambda xp, g, ans, x: g * (1 + ans * ans),),
        promotion="float", saves=("output",), methods=("tan",), inplace_methods=("tan_",), domain=(TAN,),
    )
    registry.register_op(
        "arcsin", forward="asin", doc='Inverse sine on [-1, 1], in radians (alias ``asin``).',
        edge_cases=ec.ARCSIN,
        reference=np.arcsin,
        vjp=(lambda xp, g, ans, x: g / xp.sqrt(1 - x * x),),
        promotion="float", saves=("inputs",), aliases=("asin",), methods=("arcsin", "asin"),
        inplace_methods=("arcsin_", "asin_"), domain=(UNIT,), node_name="AsinBackward0",
    )
    registry.register_op(
        "arccos", forward="acos", doc='Inverse cosine on [-1, 1], in radians (alias ``acos``).',
        edge_cases=ec.ARCCOS,
        reference=np.arccos,
        vjp=(lambda xp, g, ans, x: -g / xp.sqrt(1 - x * x),),
        promotion="float", saves=("inputs",), aliases=("acos",), methods=("arccos", "acos"),
        inplace_methods=("arccos_", "acos_"), domain=(UNIT,), node_name="AcosBackward0",
    )
    registry.register_op(
        "arctan", forward="atan", doc='Inverse tangent, in radians (alias ``atan``).',
        edge_cases=ec.ARCTAN,
        reference=np.arctan,
        vjp=(lambda xp, g, ans, x: g / (1 + x * x),),
        promotion="float", saves=("inputs",), aliases=("atan",), methods=("arctan", "atan"),
        inplace_methods=("arctan_", "atan_"), node_name="AtanBackward0",
    )


# ---------------------------------------------------------------------------- hyperbolic
def _register_hyperbolic(registry: Registry) -> None:
    registry.register_op(
        "tanh", forward="tanh", doc='Hyperbolic tangent.',
        edge_cases=ec.TANH,
        reference=np.tanh,
        vjp=(lambda xp, g, ans, x: g * (1 - ans * ans),),
        promotion="float", saves=("output",), methods=("tanh",), inplace_methods=("tanh_",),
        aliases=("nn.functional.tanh",),
    )
    registry.register_op(
        "sinh", forward="sinh", doc='Hyperbolic sine.',
        reference=np.sinh,
        vjp=(lambda xp, g, ans, x: g * xp.cosh(x),),
        promotion="float", saves=("inputs",), methods=("sinh",), inplace_methods=("sinh_",),
    )
    registry.register_op(
        "cosh", forward="cosh", doc='Hyperbolic cosine.',
        reference=np.cosh,
        vjp=(lambda xp, g, ans, x: g * xp.sinh(x),),
        promotion="float", saves=("inputs",), methods=("cosh",), inplace_methods=("cosh_",),
    )


# ---------------------------------------------------------------------------- activations
def _sigmoid(xp: Any, x: Any) -> Any:
    """Logistic sigmoid, ``1 / (1 + exp(-x))``, computed without overflow for any ``x``."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _relu(xp: Any, x: Any) -> Any:
    """Rectified linear unit, ``max(x, 0)``; its gradient at 0 is 0."""
    return xp.maximum(x, 0)


def _leaky_relu(xp: Any, x: Any, negative_slope: float = 0.01) -> Any:
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    _real("leaky_relu", "negative_slope", negative_slope)
    return xp.where(x > 0, x, x * negative_slope)


def _softplus(xp: Any, x: Any, beta: float = 1, threshold: float = 20) -> Any:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold`` (as PyTorch)."""
    _real("softplus", "beta", beta)
    _real("softplus", "threshold", threshold)
    bx = x * beta
    smooth = (xp.log1p(xp.exp(-xp.abs(bx))) + xp.maximum(bx, 0)) / beta  # never overflows
    return xp.where(bx > threshold, x, smooth)


def _softplus_vjp(xp: Any, g: Any, ans: Any, x: Any, beta: float = 1, threshold: float = 20) -> Any:
    bx = x * beta
    return xp.where(bx > threshold, g, g * xp.sigmoid(bx))


def _ndtr(xp: Any, x: Any) -> Any:
    """Standard normal CDF, ``(1 + erf(x / sqrt(2))) / 2`` (``torch.special.ndtr``), accurate in
    both tails (W. J. Cody's rational approximations of erf and erfc)."""
    z = x * -SQRT1_2  # ndtr(x) = erfc(z) / 2
    y = xp.abs(z)
    near = 1 - _erf_small(xp, xp.minimum(xp.maximum(z, -_THRESH), _THRESH))
    far = _erfc_large(xp, xp.maximum(y, _THRESH))
    far = xp.where(z < 0, 2 - far, far)
    return 0.5 * xp.where(y <= _THRESH, near, far)


def _approximate(approximate: Any) -> str:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


def _gelu(xp: Any, x: Any, approximate: str = "none") -> Any:
    """Gaussian error linear unit, ``x * Phi(x)`` with ``Phi`` the standard normal CDF; with
    ``approximate="tanh"``, ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))``."""
    if _approximate(approximate) == "tanh":
        return 0.5 * x * (1 + xp.tanh(GELU_K * (x + GELU_C * x * x * x)))
    return x * _ndtr(xp, x)


def _gelu_vjp(xp: Any, g: Any, ans: Any, x: Any, approximate: str = "none") -> Any:
    if approximate == "tanh":  # PyTorch's GeluBackward for the tanh form
        t = xp.tanh(GELU_K * (x + GELU_C * x * x * x))
        slope = (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * slope)
    return g * (xp.ndtr(x) + x * xp.exp(-0.5 * x * x) * INV_SQRT_2PI)


def _register_activations(registry: Registry) -> None:
    _register_softplus(registry)
    registry.register_op(
        "sigmoid", forward=_sigmoid,
        edge_cases=ec.SIGMOID,
        reference=ref.sigmoid,
        vjp=(lambda xp, g, ans, x: g * ans * (1 - ans),),
        promotion="float", saves=("output",), methods=("sigmoid",), batching="elementwise", inplace_methods=("sigmoid_",),
        aliases=("nn.functional.sigmoid",),
    )
    registry.register_op(
        # where x > 0 is where ans > 0, so the output is all the rule reads
        "relu", forward=_relu,
        edge_cases=ec.RELU,
        reference=ref.relu,
        vjp=(lambda xp, g, ans, x: xp.where(ans <= 0, 0.0, g),),  # NaN passes g, as PyTorch's
        saves=("output",), methods=("relu",), inplace_methods=("relu_",), batching="elementwise",
        aliases=("nn.functional.relu",),
    )
    registry.register_op(
        "leaky_relu", forward=_leaky_relu,
        edge_cases=ec.LEAKY_RELU,
        reference=ref.leaky_relu,
        vjp=(lambda xp, g, ans, x, negative_slope=0.01: xp.where(x > 0, g, g * negative_slope),),
        promotion="float", saves=("inputs",), params=("negative_slope",), batching="elementwise",
        aliases=("nn.functional.leaky_relu",),
        samples=[Sample((3,)), Sample((2, 3), negative_slope=0.2), Sample((3,), negative_slope=-1.5)],
    )
    registry.register_op(
        "ndtr", forward=_ndtr,
        edge_cases=ec.NDTR,
        reference=ref.ndtr,
        vjp=(lambda xp, g, ans, x: g * xp.exp(-0.5 * x * x) * INV_SQRT_2PI,),
        promotion="float", saves=("inputs",), node_name="SpecialNdtrBackward0", batching="elementwise",
        samples=[Sample((3,)), Sample((2, 3)), Sample(np.array([-12.0, -5.7, -5.0, -0.6, 0.1, 0.6, 5.0, 9.0]))],
    )
    registry.register_op(
        "gelu", forward=_gelu, vjp=(_gelu_vjp,),
        edge_cases=ec.GELU,
        reference=ref.gelu,
        promotion="float", saves=("inputs",), params=("approximate",), batching="elementwise",
        aliases=("nn.functional.gelu",),
        samples=[Sample((3,)), Sample((2, 3), approximate="none"), Sample((2, 3), approximate="tanh"),
                 Sample(np.array([-6.0, -1.0, 0.2, 3.0]), approximate="tanh")],
    )


def _register_softplus(registry: Registry) -> None:
    registry.register_op(
        "softplus", forward=_softplus, vjp=(_softplus_vjp,),
        edge_cases=ec.SOFTPLUS,
        reference=ref.softplus,
        promotion="float", saves=("inputs",), params=("beta", "threshold"), batching="elementwise",
        aliases=("nn.functional.softplus",),
        samples=[Sample((3,)), Sample((2, 3), beta=2.0), Sample((3,), beta=0.5, threshold=0.6),
                 Sample(np.array([-30.0, -1.5, 0.3, 19.0, 21.0, 40.0]))],
    )


# ---------------------------------------------------------------------------- clamping, maximum, minimum, where
def _bound(name: str, value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise TypeError(f"clamp(): {name} must be a real number, a tensor or None, got {type(value).__name__}")
    return value


def _clamp(xp: Any, x: Any, min: float | None = None, max: float | None = None) -> Any:
    """``x`` limited to ``[min, max]`` (alias ``clip``); either bound may be omitted. Where
    ``min > max`` every element is ``max``, as PyTorch's."""
    if _bound("min", min) is None and _bound("max", max) is None:
        raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
    if min is not None:
        x = xp.maximum(x, min)
    if max is not None:
        x = xp.minimum(x, max)
    return x


def _clamp_vjp(xp: Any, g: Any, ans: Any, x: Any, min: float | None = None, max: float | None = None) -> Any:
    # PyTorch's rule: the gradient passes where min <= x <= max, boundaries included
    if min is None:
        inside = x <= max
    elif max is None:
        inside = x >= min
    else:
        inside = xp.logical_and(x >= min, x <= max)
    return xp.where(inside, g, 0.0)


def _maximum(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise maximum of ``x`` and ``y`` (NaN propagates); broadcasts. On ties the
    gradient is split evenly between the two, as PyTorch's."""
    return xp.maximum(x, y)


def _minimum(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise minimum of ``x`` and ``y`` (NaN propagates); broadcasts. On ties the
    gradient is split evenly between the two, as PyTorch's."""
    return xp.minimum(x, y)


def _select_vjp(xp: Any, g: Any, loses: Any, tie: Any) -> Any:
    """PyTorch's rule for ``maximum``/``minimum``: ``g`` unless this operand lost (0), halved on
    ties; a NaN neither loses nor ties, so both operands get ``g`` there."""
    return xp.where(loses, 0.0, xp.where(tie, g / 2, g))


def _where(xp: Any, condition: Any, x: Any, y: Any) -> Any:
    """``x`` where ``condition`` is True, else ``y``; the three broadcast together.
    ``condition`` is a bool tensor and gets no gradient; ``x`` and ``y`` may be numbers."""
    if isinstance(condition, bool):
        condition = xp.asarray(condition)
    elif not hasattr(condition, "dtype") or not xp.isdtype(condition.dtype, "bool"):
        dtype = getattr(condition, "dtype", type(condition).__name__)
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {dtype}")
    try:
        return xp.where(condition, x, y)
    except ValueError as exc:  # where cannot declare broadcasts: its condition is not a float
        raise_if_not_broadcastable((condition, x, y), exc)
        raise


def _cond(xp: Any, condition: Any) -> Any:
    return xp.asarray(condition) if isinstance(condition, bool) else condition


def _register_selection(registry: Registry) -> None:
    registry.register_op(
        # number bounds; tapegrad.clamp (elementwise_more) calls this, or clamp_tensor for tensor bounds
        "clamp_scalar", forward=_clamp, vjp=(_clamp_vjp,),
        edge_cases=ec.CLAMP,
        reference=ref.clamp,
        saves=("inputs",), params=("min", "max"), promotes=(0, "min", "max"), node_name="ClampBackward1", batching="elementwise",
        samples=[Sample((3,), min=-0.5), Sample((2, 3), max=0.5), Sample((2, 3), min=-1.0, max=1.0),
                 Sample((3,), min=1.0, max=-1.0)],
    )
    registry.register_op(
        "maximum", forward=_maximum,
        edge_cases=ec.MAXIMUM,
        reference=np.maximum,
        vjp=(lambda xp, g, ans, x, y: _select_vjp(xp, g, x < y, x == y),
             lambda xp, g, ans, x, y: _select_vjp(xp, g, y < x, x == y)),
        saves=("inputs",), broadcasts=True, methods=("maximum",),
    )
    registry.register_op(
        "minimum", forward=_minimum,
        edge_cases=ec.MINIMUM,
        reference=np.minimum,
        vjp=(lambda xp, g, ans, x, y: _select_vjp(xp, g, x > y, x == y),
             lambda xp, g, ans, x, y: _select_vjp(xp, g, y > x, x == y)),
        saves=("inputs",), broadcasts=True, methods=("minimum",),
    )
    registry.register_op(
        # no broadcasts=True: the kit would fill the condition with floats; where broadcasts anyway
        "where", forward=_where,
        edge_cases=ec.WHERE,
        reference=ref.where,
        vjp=(None,
             lambda xp, g, ans, condition, x, y: xp.where(_cond(xp, condition), g, 0.0),
             lambda xp, g, ans, condition, x, y: xp.where(_cond(xp, condition), 0.0, g)),
        saves=("inputs",), promotes=(1, 2), batching="elementwise",
        samples=[Sample(np.array([True, False, True]), (3,), (3,)),
                 Sample(np.array([[True], [False]]), (3,), (2, 3)),
                 Sample(np.array([True, False, False]), (2, 3), ())],
    )


# ---------------------------------------------------------------------------- rounding and integer division
def _round(xp: Any, x: Any, *, decimals: int = 0) -> Any:
    """Round to ``decimals`` decimal places, halves to even as PyTorch's (zero gradient)."""
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral):
        raise TypeError(f"round(): decimals must be an int, got {type(decimals).__name__} {decimals!r}")
    if decimals == 0:
        return xp.round(x)
    scale = 10.0 ** int(decimals)
    return xp.round(x * scale) / scale


def _integral(xp: Any, v: Any) -> bool:
    if isinstance(v, (bool, int)):
        return True
    return not isinstance(v, (float, complex)) and xp.isdtype(v.dtype, ("integral", "bool"))


def _refuse_integer_zero(xp: Any, x: Any, y: Any) -> None:
    """Integer division by zero raises, as PyTorch's (NumPy would return 0 with a warning)."""
    if _integral(xp, x) and _integral(xp, y) and bool(xp.any(xp.asarray(y) == 0)):
        raise RuntimeError("ZeroDivisionError")


def _floor_divide(xp: Any, x: Any, y: Any) -> Any:
    """``floor(x / y)`` (``x // y``); broadcasts. Not differentiable: results never require grad.
    Integer division by zero raises ``RuntimeError: ZeroDivisionError``, as PyTorch's."""
    _refuse_integer_zero(xp, x, y)
    return xp.floor_divide(x, y)


def _remainder(xp: Any, x: Any, y: Any) -> Any:
    """``x - floor(x / y) * y`` (``x % y``), with the sign of ``y`` as Python's; broadcasts.
    Integer division by zero raises ``RuntimeError: ZeroDivisionError``, as PyTorch's."""
    _refuse_integer_zero(xp, x, y)
    return xp.remainder(x, y)


def _register_rounding(registry: Registry) -> None:
    registry.register_op(
        "floor", forward="floor", doc='Largest integer ``<= x`` (zero gradient; integer tensors stay integer).', vjp=(_zero_vjp,),
        edge_cases=ec.FLOOR,
        zero_gradient=True,
        reference=np.floor,
        saves=(), methods=("floor",), inplace_methods=("floor_",),
    )
    registry.register_op(
        "ceil", forward="ceil", doc='Smallest integer ``>= x`` (zero gradient; integer tensors stay integer).', vjp=(_zero_vjp,),
        edge_cases=ec.CEIL,
        zero_gradient=True,
        reference=np.ceil,
        saves=(), methods=("ceil",), inplace_methods=("ceil_",),
    )
    registry.register_op(
        "round", forward=_round, vjp=(_zero_vjp,),
        edge_cases=ec.ROUND,
        zero_gradient=True,
        reference=ref.round_,
        saves=(), methods=("round",), inplace_methods=("round_",), batching="elementwise",
        samples=[Sample((3,)), Sample((2, 3), decimals=1), Sample((3,), decimals=-1)],
    )
    registry.register_op(
        "floor_divide", forward=_floor_divide,
        zero_gradient=True,
        reference=np.floor_divide,
        broadcasts=True, methods=("floor_divide",), inplace_methods=("floor_divide_",),
        domain=(None, DIVISOR),
    )
    registry.register_op(
        # d/dx = 1, d/dy = -floor(x / y), as PyTorch's (the jumps where x / y is an integer aside)
        "remainder", forward=_remainder,
        edge_cases=ec.REMAINDER,
        reference=np.remainder,
        vjp=(lambda xp, g, ans, x, y: g,
             lambda xp, g, ans, x, y: -g * xp.floor_divide(x, y)),
        saves=("inputs",), broadcasts=True, methods=("remainder",), inplace_methods=("remainder_",),
        domain=(None, DIVISOR),
    )


# ---------------------------------------------------------------------------- comparisons
COMPARISONS = (  # op, the array API's function, alias, symbol
    ("eq", "equal", None, "=="), ("ne", "not_equal", "not_equal", "!="), ("lt", "less", "less", "<"),
    ("le", "less_equal", "less_equal", "<="), ("gt", "greater", "greater", ">"),
    ("ge", "greater_equal", "greater_equal", ">="),
)


def _register_comparisons(registry: Registry) -> None:
    for name, function, alias, symbol in COMPARISONS:
        aliases = (alias,) if alias else ()
        registry.register_op(
            name, forward=function, vjp=(None, None), broadcasts=True, aliases=aliases, promotion="bool",
            zero_gradient=True,
            reference=getattr(np, function),
            methods=(name, *aliases), doc=f"``x {symbol} y`` elementwise, a bool tensor; broadcasts.",
        )


# ---------------------------------------------------------------------------- logical ops and predicates
def _logical_and(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise logical AND (``&``), nonzero meaning True; a bool tensor; broadcasts."""
    return xp.logical_and(_truth(xp, x), _truth(xp, y))


def _logical_or(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise logical OR (``|``), nonzero meaning True; a bool tensor; broadcasts."""
    return xp.logical_or(_truth(xp, x), _truth(xp, y))


def _logical_xor(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise logical XOR (``^``), nonzero meaning True; a bool tensor; broadcasts."""
    return xp.logical_xor(_truth(xp, x), _truth(xp, y))


def _logical_not(xp: Any, x: Any) -> Any:
    """Elementwise logical NOT (``~``), nonzero meaning True; a bool tensor."""
    return xp.logical_not(_truth(xp, x))


def _register_logical(registry: Registry) -> None:
    def points(name: str) -> Any:  # its special points, read when the kit asks
        return ec(lambda module: module.LOGICAL[name])

    for name, forward in (("logical_and", _logical_and), ("logical_or", _logical_or),
                          ("logical_xor", _logical_xor), ("logical_not", _logical_not)):
        registry.register_op(name, forward=forward, methods=(name,), inplace_methods=(f"{name}_",),
                             edge_cases=points(name),
                             zero_gradient=True,
                             reference=getattr(np, name),
                             broadcasts=name != "logical_not", promotion="bool")
    for name, doc in (("isnan", "True where ``x`` is NaN."),
                      ("isfinite", "True where ``x`` is neither infinite nor NaN."),
                      ("isinf", "True where ``x`` is positive or negative infinity.")):
        registry.register_op(name, forward=name, vjp=(None,), methods=(name,), doc=doc,
                             zero_gradient=True,
                             reference=getattr(np, name), promotion="bool")


# ---------------------------------------------------------------------------- bitwise ops
_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double"}


def _bits(name: str, xp: Any, *values: Any) -> Any:
    """The dtype of the array among ``values`` (the dispatcher gave them one), refusing floats
    as PyTorch does; bool tensors are bits too, so ``&`` on them is the logical AND."""
    array = next(v for v in values if hasattr(v, "dtype"))
    if not xp.isdtype(array.dtype, ("integral", "bool")):
        dtype = str(array.dtype)
        raise NotImplementedError(f'"{name}" not implemented for \'{_TORCH_NAMES.get(dtype, dtype)}\' '
                                  "(bitwise ops take integer and bool tensors)")
    return array.dtype


def _bitwise_and(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise bitwise AND (``&``) of integer or bool tensors; broadcasts."""
    _bits("bitwise_and", xp, x, y)
    return xp.bitwise_and(x, y)


def _bitwise_or(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise bitwise OR (``|``) of integer or bool tensors; broadcasts."""
    _bits("bitwise_or", xp, x, y)
    return xp.bitwise_or(x, y)


def _bitwise_xor(xp: Any, x: Any, y: Any) -> Any:
    """Elementwise bitwise XOR (``^``) of integer or bool tensors; broadcasts."""
    _bits("bitwise_xor", xp, x, y)
    return xp.bitwise_xor(x, y)


def _bitwise_not(xp: Any, x: Any) -> Any:
    """Elementwise bitwise NOT (``~``) of an integer tensor; logical NOT of a bool one."""
    _bits("bitwise_not", xp, x)
    return xp.bitwise_invert(x)


def _shift_operands(name: str, xp: Any, x: Any, y: Any) -> tuple[Any, Any, int]:
    dtype = _bits(name, xp, x, y)
    if xp.isdtype(dtype, "bool"):
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')
    if not hasattr(x, "dtype"):  # 1 << t
        x = xp.full(y.shape, x, dtype=dtype)
    return x, y, xp.iinfo(dtype).bits


def _bitwise_left_shift(xp: Any, x: Any, y: Any) -> Any:
    """``x << y``: the bits of ``x`` moved ``y`` places up; 0 where ``y`` is negative or at least
    the bit width, as PyTorch's (C would leave it undefined); broadcasts."""
    x, y, bits = _shift_operands("bitwise_left_shift", xp, x, y)
    if not hasattr(y, "dtype"):
        return xp.bitwise_left_shift(x, y) if 0 <= y < bits else xp.zeros_like(x)
    inside = xp.logical_and(y >= 0, y < bits)
    shifted = xp.bitwise_left_shift(x, xp.where(inside, y, xp.zeros_like(y)))
    return xp.where(inside, shifted, xp.zeros_like(shifted))


def _bitwise_right_shift(xp: Any, x: Any, y: Any) -> Any:
    """``x >> y``, arithmetic (the sign bit fills in); where ``y`` is negative or at least the bit
    width, the sign alone (-1 or 0), as PyTorch's; broadcasts."""
    x, y, bits = _shift_operands("bitwise_right_shift", xp, x, y)
    signed = xp.isdtype(x.dtype, "signed integer")
    if not hasattr(y, "dtype"):
        if 0 <= y < bits:
            return xp.bitwise_right_shift(x, y)
        return xp.bitwise_right_shift(x, bits - 1) if signed else xp.zeros_like(x)
    inside = xp.logical_and(y >= 0, y < bits)
    shifted = xp.bitwise_right_shift(x, xp.where(inside, y, xp.full(y.shape, bits - 1, dtype=y.dtype)))
    return shifted if signed else xp.where(inside, shifted, xp.zeros_like(shifted))


_INTS = np.array([[5, -3, 12], [0, 7, -128]], dtype=np.int64)
_SHIFTS = np.array([1, 0, 3], dtype=np.int64)


def _register_bitwise(registry: Registry) -> None:
    binary = (("bitwise_and", _bitwise_and), ("bitwise_or", _bitwise_or), ("bitwise_xor", _bitwise_xor),
              ("bitwise_left_shift", _bitwise_left_shift), ("bitwise_right_shift", _bitwise_right_shift))
    for name, forward in binary:
        shifts = {"bitwise_left_shift": ec.LEFT_SHIFT, "bitwise_right_shift": ec.RIGHT_SHIFT}
        registry.register_op(name, forward=forward, methods=(name,), inplace_methods=(f"{name}_",),
                             edge_cases=shifts.get(name, ()),
                             reference=getattr(np, name.replace("bitwise_", "") if "shift" in name else name),
                             samples=[Sample(_INTS, _SHIFTS), Sample(np.array([True, False]), np.array([True, True]))
                                      if "shift" not in name else Sample(_SHIFTS, _SHIFTS)])
    registry.register_op("bitwise_not", forward=_bitwise_not, methods=("bitwise_not",),
                         reference=np.invert,
                         inplace_methods=("bitwise_not_",), samples=[Sample(_INTS), Sample(np.array([True, False]))])


def register(registry: Registry) -> None:
    _register_abs_sign(registry)
    _register_powers(registry)
    _register_exp_log(registry)
    _register_trig(registry)
    _register_hyperbolic(registry)
    _register_activations(registry)
    _register_selection(registry)
    _register_rounding(registry)
    _register_comparisons(registry)
    _register_logical(registry)
    _register_bitwise(registry)
