"""More elementwise ops, as PyTorch binds them: reciprocal, exp2, logaddexp, logit, sinc, hypot,
atan2, fmod, trunc, frac, lerp, copysign, the inverse hyperbolic functions, nan_to_num,
clamp_min/clamp_max and ``clamp`` with tensor bounds, sgn, signbit, heaviside, deg2rad, rad2deg.

Conventions are PyTorch 2.13's (checked by ``tests/parity/specs/elementwise.py``): its formulas
where the value depends on them (``lerp`` switches form at ``|weight| = 0.5``), its gradients at
the special points (``sinc'(0) = 0`` and ``sinc''(0) = -pi**2/3``, ``copysign``'s ``0`` at ``x = 0``,
``clamp``'s bounds), its node names (``FmodBackward0`` for a number divisor, ``1`` for a tensor),
and its refusals (``frac`` of an integer tensor). Names: ``g`` the cotangent, ``ans`` the output.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

import tapegrad
from tapegrad.testing import EdgeCase, Sample

from .elementwise import _refuse_integer_zero, _zero_vjp, sign

if TYPE_CHECKING:
    from tapegrad import Registry

INF, NAN = math.inf, math.nan
LN2 = math.log(2.0)
PI = math.pi
DEG = PI / 180.0
NONZERO = (0.3, 2.0)      # reciprocal, fmod's divisor: away from the pole at 0
PROBABILITY = (0.1, 0.9)  # logit
ABOVE_ONE = (1.2, 3.0)    # acosh
UNIT = (-0.9, 0.9)        # atanh
_SCALARS = (int, float, bool)
_TORCH_DTYPES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# ---------------------------------------------------------------------------- helpers
def _scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS)


def by_scalar(base: str, position: int, scalar: int, tensor: int) -> Any:
    """A node-name rule: ``{base}Backward{scalar}`` when input ``position`` is a Python number."""
    def rule(params: Any, inputs: Any) -> str:
        number = inputs is not None and _scalar(inputs[position])
        return f"{base}Backward{scalar if number else tensor}"

    rule.__name__ = f"{base.lower()}_name"
    return rule


def _refuse_integers(name: str, xp: Any, x: Any, kernel: str | None = None) -> None:
    """PyTorch's refusal of integer (and bool) tensors for float-only kernels."""
    if hasattr(x, "dtype") and not xp.isdtype(x.dtype, "real floating"):
        raise NotImplementedError(f'"{kernel or name + "_cpu"}" not implemented for '
                                  f"'{_TORCH_DTYPES.get(str(x.dtype), str(x.dtype))}'")


def _array(xp: Any, v: Any, like: Any) -> Any:
    """A Python number as an array of ``like``'s dtype (array-API namespaces take arrays only)."""
    return xp.asarray(v, dtype=like.dtype) if _scalar(v) else v


def _like(*values: Any) -> Any:
    return next(v for v in values if hasattr(v, "dtype"))


def as_dtype_of(xp: Any, v: Any, g: Any) -> Any:
    """A saved input in the cotangent's dtype, for a VJP applying a function to it: an input keeps
    its own dtype (float16 beside a float64 operand), but its gradient is computed in the result's."""
    if hasattr(v, "dtype") and hasattr(g, "dtype") and v.dtype != g.dtype:
        return xp.astype(v, g.dtype)
    return v


# ---------------------------------------------------------------------------- powers, exponentials, logs
def _reciprocal(xp: Any, x: Any) -> Any:
    """``1 / x``; integer tensors give the default float dtype."""
    return 1.0 / x


def _exp2(xp: Any, x: Any) -> Any:
    """``2 ** x``."""
    return 2.0 ** x


def _logaddexp(xp: Any, x: Any, y: Any) -> Any:
    """``log(exp(x) + exp(y))`` without overflow; broadcasts."""
    x, y = _array(xp, x, _like(x, y)), _array(xp, y, _like(x, y))
    m = xp.maximum(x, y)
    same = x == y  # equal infinities: |x - y| would be NaN
    d = xp.where(same, 0.0, xp.abs(x - y))
    return xp.where(same, x + LN2, m + xp.log1p(xp.exp(-d)))


def _logaddexp2(xp: Any, x: Any, y: Any) -> Any:
    """``log2(2**x + 2**y)`` without overflow; broadcasts."""
    x, y = _array(xp, x, _like(x, y)), _array(xp, y, _like(x, y))
    m = xp.maximum(x, y)
    same = x == y
    d = xp.where(same, 0.0, xp.abs(x - y))
    return xp.where(same, x + 1.0, m + xp.log1p(2.0 ** -d) / LN2)


def _logit(xp: Any, x: Any, eps: float | None = None) -> Any:
    """``log(x / (1 - x))``; with ``eps``, ``x`` is clamped to ``[eps, 1 - eps]`` first."""
    if eps is not None:
        if isinstance(eps, bool) or not isinstance(eps, (int, float)):
            raise TypeError(f"logit(): argument 'eps' must be float, not {type(eps).__name__}")
        x = xp.minimum(xp.maximum(x, eps), 1.0 - eps)
    return xp.log(x / (1.0 - x))


def _logit_vjp(xp: Any, g: Any, ans: Any, x: Any, eps: float | None = None) -> Any:
    slope = g / (x * (1.0 - x))
    if eps is None:  # PyTorch: NaN outside [0, 1]
        return xp.where((x < 0.0) | (x > 1.0), NAN, slope)
    return xp.where((x < eps) | (x > 1.0 - eps), 0.0, slope)


# ---------------------------------------------------------------------------- sinc
SINC_SERIES = 0.1  # |x| below this: sinc' from its Taylor series, where the closed form cancels


def _sinc(xp: Any, x: Any) -> Any:
    """``sin(pi x) / (pi x)``, and 1 at 0."""
    zero = x == 0.0
    px = PI * xp.where(zero, 1.0, x)
    return xp.where(zero, 1.0, xp.sin(px) / px)


def _sinc_slope(xp: Any, x: Any) -> Any:
    """``sinc'(x)``: ``(pi x cos(pi x) - sin(pi x)) / (pi x**2)``, and near 0 its Taylor series
    ``sum_k (-1)**k 2k pi**2k x**(2k-1) / (2k+1)!``, so its own derivative at 0 is ``-pi**2/3``
    under ``create_graph`` too (the closed form is evaluated away from 0 only)."""
    near = xp.abs(x) < SINC_SERIES
    far_x = xp.where(near, 1.0, x)
    px = PI * far_x
    closed = (px * xp.cos(px) - xp.sin(px)) / (PI * far_x * far_x)
    near_x = xp.where(near, x, 0.0)
    x2 = near_x * near_x
    series = 0.0
    for k in range(7, 0, -1):
        series = series * x2 + (-1) ** k * 2 * k * PI ** (2 * k) / math.factorial(2 * k + 1)
    return xp.where(near, series * near_x, closed)


def _sinc_vjp(xp: Any, g: Any, x: Any) -> Any:
    """``g * sinc'(x)``, +0. at ``x = 0`` whatever g's sign, as PyTorch's (it zeroes the product there);
    ``+ 0.0`` rather than a constant 0 keeps the derivative through it (``sinc''(0)``) under create_graph."""
    d = g * _sinc_slope(xp, x)
    return xp.where(x == 0, d + 0.0, d)


# ---------------------------------------------------------------------------- two-argument trigonometry
def _hypot(xp: Any, x: Any, y: Any) -> Any:
    """``sqrt(x**2 + y**2)`` without overflow; broadcasts."""
    x, y = _array(xp, x, _like(x, y)), _array(xp, y, _like(x, y))
    return xp.hypot(x, y)


def _atan2(xp: Any, y: Any, x: Any) -> Any:
    """The angle of the point ``(x, y)``, in ``(-pi, pi]`` (alias ``arctan2``); broadcasts."""
    y, x = _array(xp, y, _like(y, x)), _array(xp, x, _like(y, x))
    return xp.atan2(y, x)


def _atan2_over(xp: Any, num: Any, y: Any, x: Any) -> Any:
    """``num / (x**2 + y**2)``, and 0 at the origin, where PyTorch gives both gradients 0 (``num * 0``:
    its sign is num's, as PyTorch's ``num * recip`` with the infinite reciprocal zeroed).
    Divided, as PyTorch's, not multiplied by ``1 / r2``: in float16 that reciprocal overflows
    for a small ``r2`` (``x = 2**-8, y = 0``) and ``0 * inf`` made a NaN gradient."""
    r2 = x * x + y * y  # each square in its input's dtype, as PyTorch's
    origin = r2 == 0.0
    return xp.where(origin, num * 0.0, num / xp.where(origin, 1.0, r2))


# ---------------------------------------------------------------------------- rounding and remainders
def _fmod(xp: Any, x: Any, y: Any) -> Any:
    """The remainder of ``x / y`` rounded toward zero: the sign of ``x`` (C's fmod); broadcasts.
    Integer division by zero raises ``RuntimeError: ZeroDivisionError``, as PyTorch's."""
    _refuse_integer_zero(xp, x, y)
    like = _like(x, y)
    x, y = _array(xp, x, like), _array(xp, y, like)
    r = xp.remainder(xp.abs(x), xp.abs(y))  # exact: both non-negative, so it is fmod's magnitude
    if xp.isdtype(r.dtype, "real floating"):
        return xp.copysign(r, x)
    return xp.where(x < 0, -r, r)


def _trunc(xp: Any, x: Any) -> Any:
    """``x`` rounded toward zero (alias ``fix``); integer tensors stay as they are (zero gradient)."""
    if xp.isdtype(x.dtype, "bool"):
        raise NotImplementedError("\"trunc_vml_cpu\" not implemented for 'Bool'")
    if not xp.isdtype(x.dtype, "real floating"):
        return xp.asarray(x, copy=True)
    return xp.trunc(x)


def _frac(xp: Any, x: Any) -> Any:
    """The fractional part, ``x - trunc(x)``, with the sign of ``x``; float tensors only."""
    _refuse_integers("frac", xp, x)
    return x - xp.trunc(x)


# ---------------------------------------------------------------------------- lerp
def _lerp_dtype(xp: Any, start: Any, end: Any, weight: Any) -> None:
    """PyTorch's lerp takes one float dtype: ``end`` and a dimensioned ``weight`` must match ``start``."""
    like = _like(start, end, weight)
    _refuse_integers("lerp", xp, like, "lerp_kernel_scalar" if _scalar(weight) else "lerp_kernel_tensor")
    for name, v in (("end", end), ("weight", weight)):
        if hasattr(v, "dtype") and v.dtype != like.dtype and (name == "end" or v.ndim > 0):
            raise RuntimeError(f"expected dtype {_torch_name(like.dtype)} for `{name}` but got dtype "
                               f"{_torch_name(v.dtype)}")


def _torch_name(dtype: Any) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(str(dtype), str(dtype))


def _lerp(xp: Any, start: Any, end: Any, weight: Any) -> Any:
    """``start + weight * (end - start)``, as PyTorch computes it (``end - (end - start) * (1 - weight)``
    where ``|weight| >= 0.5``, exact at ``weight = 1``); ``weight`` a number or a tensor; broadcasts."""
    _lerp_dtype(xp, start, end, weight)
    like = _like(start, end, weight)
    start, end = _array(xp, start, like), _array(xp, end, like)
    if hasattr(weight, "dtype") and weight.dtype != like.dtype:
        weight = xp.astype(weight, like.dtype)
    w = _array(xp, weight, like)
    d = end - start
    return xp.where(xp.abs(w) < 0.5, start + w * d, end - d * (1.0 - w))


# ---------------------------------------------------------------------------- signs
def _copysign(xp: Any, x: Any, y: Any) -> Any:
    """``|x|`` with the sign of ``y`` (``-0.0`` counts as negative); broadcasts; a float result."""
    like = _like(x, y)
    return xp.copysign(_array(xp, x, like), _array(xp, y, like))


def _copysign_vjp(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's: g * ans / x, and 0 where x == 0
    zero = x == 0.0
    return g * xp.where(zero, 0.0, ans / xp.where(zero, 1.0, x))


def _sgn(xp: Any, x: Any) -> Any:
    """``x / |x|`` for real tensors: the sign, 0 at 0 and at NaN (zero gradient)."""
    return sign(xp, x)


def _signbit(xp: Any, x: Any) -> Any:
    """True where the sign bit is set: negative numbers and ``-0.0`` (and NaNs with the bit set)."""
    if xp.isdtype(x.dtype, "bool"):
        return xp.zeros(x.shape, dtype=xp.bool)
    if not xp.isdtype(x.dtype, "real floating"):
        return x < 0
    return xp.signbit(x)


def _heaviside(xp: Any, x: Any, values: Any) -> Any:
    """The step function: 0 where ``x < 0``, 1 where ``x > 0``, ``values`` where ``x == 0``; the two
    tensors of one dtype; broadcasts. Its derivative is zero wherever it exists."""
    if _scalar(values) or not hasattr(values, "dtype"):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if x.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    one = xp.ones_like(x)
    step = xp.where(x > 0, one, xp.zeros_like(x))
    return xp.where(x == 0, values, step)


# ---------------------------------------------------------------------------- nan_to_num
def _nan_to_num(xp: Any, x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
    """NaN replaced by ``nan``, infinities by ``posinf``/``neginf`` (default: the dtype's largest
    and smallest finite values); integer and bool tensors are returned unchanged."""
    if not xp.isdtype(x.dtype, "real floating"):
        return xp.asarray(x, copy=True)
    info = xp.finfo(x.dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    out = xp.where(xp.isnan(x), xp.asarray(nan, dtype=x.dtype), x)
    out = xp.where(out == INF, xp.asarray(high, dtype=x.dtype), out)
    return xp.where(out == -INF, xp.asarray(low, dtype=x.dtype), out)


# ---------------------------------------------------------------------------- clamping
def _clamp_min(xp: Any, x: Any, min: Any) -> Any:  # noqa: A002 - PyTorch's name
    """``max(x, min)``: ``x`` bounded below; ``min`` a number or a tensor; broadcasts; NaN propagates."""
    like = _like(x, min)
    return xp.maximum(_array(xp, x, like), _array(xp, min, like))


def _clamp_max(xp: Any, x: Any, max: Any) -> Any:  # noqa: A002
    """``min(x, max)``: ``x`` bounded above; ``max`` a number or a tensor; broadcasts; NaN propagates."""
    like = _like(x, max)
    return xp.minimum(_array(xp, x, like), _array(xp, max, like))


BOUNDS = ("both", "min", "max")


def _clamp_tensor(xp: Any, x: Any, min: Any, max: Any, *, bounds: str = "both") -> Any:  # noqa: A002
    """``clamp`` with tensor bounds (what ``tapegrad.clamp`` calls for them): ``x`` limited to
    ``[min, max]``; ``bounds`` says which are given ("both", "min", "max"; the other input is then
    ignored). Where ``min > max`` the result is ``max``, as PyTorch's; broadcasts."""
    if bounds not in BOUNDS:
        raise ValueError(f"bounds must be one of {BOUNDS}, got {bounds!r}")
    like = _like(x, min, max)
    x = _array(xp, x, like)
    if bounds != "max":
        x = xp.maximum(x, _array(xp, min, like))
    if bounds != "min":
        x = xp.minimum(x, _array(xp, max, like))
    return x


def _clamp_tensor_x(xp: Any, g: Any, ans: Any, x: Any, min: Any, max: Any, *, bounds: str = "both") -> Any:  # noqa: A002
    if bounds == "min":
        return xp.where(x >= min, g, 0.0)
    if bounds == "max":
        return xp.where(x <= max, g, 0.0)
    return xp.where((x >= min) & (x <= max), g, 0.0)


def _clamp_tensor_min(xp: Any, g: Any, ans: Any, x: Any, min: Any, max: Any, *, bounds: str = "both") -> Any:  # noqa: A002
    if bounds == "max":
        return None
    below = x < min
    return xp.where(below if bounds == "min" else below & (min < max), g, 0.0)


def _clamp_tensor_max(xp: Any, g: Any, ans: Any, x: Any, min: Any, max: Any, *, bounds: str = "both") -> Any:  # noqa: A002
    if bounds == "min":
        return None
    above = x > max
    return xp.where(above if bounds == "max" else above | (max < min), g, 0.0)


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """``x`` limited to ``[min, max]`` (alias ``clip``); either bound may be omitted, and the bounds
    are both numbers or both tensors (broadcasting, each getting a gradient where it is the result,
    as PyTorch's). Where ``min > max`` every element is ``max``."""
    ops = tapegrad.ops
    if type(min) is not tapegrad.Tensor and type(max) is not tapegrad.Tensor:
        return ops.clamp_scalar(x, min=min, max=max)
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and type(bound) is not tapegrad.Tensor:
            raise TypeError(f"clamp() received an invalid combination of arguments: min and max must be both "
                            f"numbers or both tensors, got {name}={type(bound).__name__}")
    bounds = "both" if min is not None and max is not None else ("min" if min is not None else "max")
    return ops.clamp_tensor(x, 0 if min is None else min, 0 if max is None else max, bounds=bounds)


# ---------------------------------------------------------------------------- kit declarations
def _references() -> dict[str, Any]:
    def lerp(start: Any, end: Any, weight: Any) -> Any:
        return np.where(np.abs(weight) < 0.5, start + weight * (np.asarray(end) - start),
                        end - (np.asarray(end) - start) * (1 - np.asarray(weight)))

    def clamp_tensor(x: Any, lo: Any, hi: Any, bounds: str = "both") -> Any:
        return np.clip(x, None if bounds == "max" else lo, None if bounds == "min" else hi)

    def nan_to_num(x: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    return {
        "reciprocal": np.reciprocal, "exp2": np.exp2, "logaddexp": np.logaddexp, "logaddexp2": np.logaddexp2,
        "logit": lambda x, eps=None: (lambda z: np.log(z) - np.log1p(-z))(
            np.asarray(x) if eps is None else np.clip(x, eps, 1 - eps)),
        "sinc": np.sinc, "hypot": np.hypot, "atan2": np.arctan2, "fmod": np.fmod, "trunc": np.trunc,
        "frac": lambda x: np.modf(x)[0], "lerp": lerp, "copysign": np.copysign, "arcsinh": np.arcsinh,
        "arccosh": np.arccosh, "arctanh": np.arctanh, "nan_to_num": nan_to_num, "clamp_min": np.maximum,
        "clamp_max": np.minimum, "clamp_tensor": clamp_tensor, "sgn": np.sign, "signbit": np.signbit,
        "heaviside": np.heaviside, "deg2rad": np.deg2rad, "rad2deg": np.rad2deg,
        "clamp": lambda x, min=None, max=None: np.clip(x, min, max),
    }


REFERENCES = _references()
EDGE_CASES: dict[str, list[EdgeCase]] = {
    "reciprocal": [EdgeCase([0.0, -0.0, 2.0], value=[INF, -INF, 0.5], grads=([-INF, -INF, -0.25],),
                            why="pole at 0")],
    "logaddexp": [EdgeCase([INF, -INF, 1.0], [INF, -INF, 1.0], value=[INF, -INF, 1.0 + LN2],
                           grads=([NAN, NAN, 0.5], [NAN, NAN, 0.5]), why="equal operands, infinities too")],
    "logaddexp2": [EdgeCase([INF, -INF, 1.0], [INF, -INF, 1.0], value=[INF, -INF, 2.0],
                            grads=([NAN, NAN, 0.5], [NAN, NAN, 0.5]))],
    "logit": [EdgeCase([0.0, 1.0, 0.5, 1.5], value=[-INF, INF, 0.0, NAN], grads=([INF, INF, 4.0, NAN],),
                       why="poles at 0 and 1, NaN outside"),
              EdgeCase([0.0, 0.1, 0.95], params={"eps": 0.1}, value=[math.log(1 / 9), math.log(1 / 9), math.log(9)],
                       grads=([0.0, 1 / 0.09, 0.0],), why="eps: the gradient passes at the clamp bounds")],
    "sinc": [EdgeCase([0.0], value=[1.0], grads=([0.0],), grad2=([-PI ** 2 / 3],), smooth=True,
                      why="the removable singularity"),
             EdgeCase([0.05, -0.2, 1.0], smooth=True, why="both sides of the series switch")],
    "hypot": [EdgeCase([0.0, 3.0], [0.0, 4.0], value=[0.0, 5.0], grads=([NAN, 0.6], [NAN, 0.8]),
                       why="0 / 0 at the origin")],
    "atan2": [EdgeCase([0.0, 1.0, 0.0], [0.0, 0.0, -1.0], value=[0.0, PI / 2, PI], grads=([0.0, 0.0, -1.0], [-0.0, -1.0, -0.0]),
                       why="the origin, the axes")],
    "fmod": [EdgeCase([5.0, -5.0, 1.0], [3.0, 3.0, 0.0], value=[2.0, -2.0, NAN], grads=([1.0, 1.0, 1.0], [-1.0, 1.0, -INF]),
                      why="the sign of x; division by zero")],
    "trunc": [EdgeCase([-1.5, 1.5, 2.0], value=[-1.0, 1.0, 2.0], grads=([0.0, 0.0, 0.0],))],
    "frac": [EdgeCase([-1.5, 1.5, 2.0, INF], value=[-0.5, 0.5, 0.0, NAN], grads=([1.0, 1.0, 1.0, 1.0],))],
    "lerp": [EdgeCase([1.0, 1.0, 1.0], [3.0, 3.0, 3.0], [0.0, 0.5, 1.0], value=[1.0, 2.0, 3.0],
                      grads=([1.0, 0.5, 0.0], [0.0, 0.5, 1.0], [2.0, 2.0, 2.0]), why="both forms, exact at the ends"),
             EdgeCase(np.array([1.0], dtype=np.float32), np.array([3.0], dtype=np.float32), np.array(0.45637778863886086),
                      value=np.array([1.9127554893493652], dtype=np.float32),
                      why="PyTorch's: a 0-d float64 weight is cast to float32 first (in float64 it rounds to 1.9127556)")],
    "copysign": [EdgeCase([0.0, 2.0, -2.0, 2.0], [1.0, -0.0, 1.0, NAN], value=[0.0, -2.0, 2.0, 2.0],
                          grads=([0.0, -1.0, -1.0, 1.0], [0.0, 0.0, 0.0, 0.0]), why="0 at x = 0, -0.0 is negative")],
    "arccosh": [EdgeCase([1.0], value=[0.0], grads=([INF],), why="the branch point")],
    "arctanh": [EdgeCase([1.0, -1.0], value=[INF, -INF], grads=([INF, INF],), why="poles")],
    "nan_to_num": [EdgeCase([NAN, INF, -INF, 1.0], params={"posinf": 2.0, "neginf": -2.0}, value=[0.0, 2.0, -2.0, 1.0],
                            grads=([0.0, 0.0, 0.0, 1.0],), why="no gradient where x is not finite")],
    "clamp_min": [EdgeCase([0.5, 0.2, 0.7], [0.5, 0.5, 0.5], value=[0.5, 0.5, 0.7],
                           grads=([1.0, 0.0, 1.0], [0.0, 1.0, 0.0]), why="a tie goes to x")],
    "clamp_max": [EdgeCase([0.5, 0.2, 0.7], [0.5, 0.5, 0.5], value=[0.5, 0.2, 0.5],
                           grads=([1.0, 1.0, 0.0], [0.0, 0.0, 1.0]), why="a tie goes to x")],
    "clamp_tensor": [
        EdgeCase([0.0, 0.5, 2.0, -1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], value=[0.0, 0.5, 1.0, 0.0],
                 grads=([1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]), why="bounds pass x's gradient"),
        EdgeCase([0.5, 3.0, -3.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], value=[0.0, 0.0, 0.0],
                 grads=([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), why="min > max: max, and its gradient"),
        EdgeCase([0.5, -3.0], [0.5, 0.5], [0.5, 0.5], value=[0.5, 0.5], grads=([1.0, 0.0], [0.0, 0.0], [0.0, 0.0]),
                 why="min == max: no bound gets a gradient"),
        EdgeCase([0.5, -3.0], [0.0, 0.0], 0, params={"bounds": "min"}, value=[0.5, 0.0], grads=([1.0, 0.0], [0.0, 1.0], None)),
        EdgeCase([0.5, 3.0], 0, [1.0, 1.0], params={"bounds": "max"}, value=[0.5, 1.0], grads=([1.0, 0.0], None, [0.0, 1.0])),
    ],
    "sgn": [EdgeCase([0.0, -2.0, NAN], value=[0.0, -1.0, 0.0])],  # PyTorch's gradient: a ZeroTensor
}
# linalg/elementwise (k4): points for the mutation test, checked against PyTorch 2.13
EDGE_CASES["logit"] = EDGE_CASES["logit"] + [
    EdgeCase([1.0005], value=[NAN], grads=([NAN],), why="PyTorch 2.13: NaN gradient just above 1 without eps"),
    EdgeCase([0.75, 0.7505], params={"eps": 0.25}, value=[math.log(3.0), math.log(3.0)], grads=([16.0 / 3.0, 0.0],),
             why="PyTorch 2.13: with eps the gradient is 0 only strictly outside [eps, 1 - eps]")]
EDGE_CASES["clamp_tensor"] = EDGE_CASES["clamp_tensor"] + [
    EdgeCase([1.0, 0.5], [1.0, 1.0], [0.0, 0.0], params={"bounds": "min"}, value=[1.0, 1.0],
             grads=([1.0, 0.0], [0.0, 1.0], None), why="PyTorch 2.13: clamp(x, min=t): a tie goes to x"),
    EdgeCase([1.0, 1.5], [0.0, 0.0], [1.0, 1.0], params={"bounds": "max"}, value=[1.0, 1.0],
             grads=([1.0, 0.0], None, [0.0, 1.0]), why="PyTorch 2.13: clamp(x, max=t): a tie goes to x")]
SAMPLES: dict[str, list[Sample]] = {
    "logit": [Sample((3,)), Sample((2, 3), eps=0.2), Sample(np.array([0.05, 0.5, 0.97]), eps=0.1)],
    "sinc": [Sample((3,)), Sample((2, 3)), Sample(np.array([-0.09, -0.01, 0.02, 0.3, 1.7]))],
    "lerp": [Sample((3,), (3,), (3,)), Sample((2, 3), (3,), 0.3), Sample((2, 3), (2, 3), 0.8),
             Sample(np.array([0.0, 1.0]), np.array([2.0, 3.0]), np.array([0.25, 0.75]))],
    "nan_to_num": [Sample((3,)), Sample(np.array([NAN, INF, -INF, 0.5]), nan=1.5, posinf=3.0, neginf=-3.0),
                   Sample(np.array([NAN, 1.0]), nan=-0.5)],
    "clamp_tensor": [Sample((3,), (3,), (3,)), Sample((2, 3), (3,), (2, 1)), Sample((3,), (3,), 0, bounds="min"),
                     Sample((2, 3), 0, (3,), bounds="max"), Sample((3,), (2, 1), 0.5)],
    "clamp": [Sample((3,), min=-0.5), Sample((2, 3), max=0.5), Sample((2, 3), min=-1.0, max=1.0),
              Sample((3,), min=1.0, max=-1.0), Sample((2, 3), (2, 3)), Sample((2, 3), (1, 3), (2, 3))],  # tensor bounds
}


def _register_unary(registry: Registry) -> None:
    unary: tuple[tuple[str, Any, Any, tuple[str, ...], dict[str, Any]], ...] = (  # name, forward, vjp, saves, extra
        ("reciprocal", _reciprocal, lambda xp, g, ans, x: -g * ans * ans, ("output",), {"domain": (NONZERO,)}),
        ("exp2", _exp2, lambda xp, g, ans, x: g * ans * LN2, ("output",), {}),
        ("deg2rad", lambda xp, x: x * DEG, lambda xp, g, ans, x: g * DEG, (), {"node_name": "Deg2RadBackward0"}),
        ("rad2deg", lambda xp, x: x / DEG, lambda xp, g, ans, x: g / DEG, (), {"node_name": "Rad2DegBackward0"}),
        ("sinc", _sinc, lambda xp, g, ans, x: _sinc_vjp(xp, g, x), ("inputs",), {}),
    )
    docs = {"deg2rad": "Degrees to radians, ``x * pi / 180``.", "rad2deg": "Radians to degrees, ``x * 180 / pi``."}
    for name, forward, vjp, saves, extra in unary:
        registry.register_op(
            name, forward=forward, vjp=(vjp,), saves=saves, promotion="float", methods=(name,),
            inplace_methods=(f"{name}_",), reference=REFERENCES[name], edge_cases=EDGE_CASES.get(name, ()),
            samples=SAMPLES.get(name), doc=docs.get(name), **extra)
    registry.register_op(
        "logit", forward=_logit, vjp=(_logit_vjp,), saves=("inputs",), promotion="float", params=("eps",),
        methods=("logit",), inplace_methods=("logit_",), aliases=("special.logit",), domain=(PROBABILITY,),
        reference=REFERENCES["logit"], edge_cases=EDGE_CASES["logit"], samples=SAMPLES["logit"])
    hyperbolic = (  # name, array-API name, vjp, domain
        ("arcsinh", "asinh", lambda xp, g, ans, x: g / xp.sqrt(x * x + 1.0), None),
        ("arccosh", "acosh", lambda xp, g, ans, x: g / xp.sqrt(x * x - 1.0), ABOVE_ONE),
        ("arctanh", "atanh", lambda xp, g, ans, x: g / (1.0 - x * x), UNIT),
    )
    for name, short, vjp, domain in hyperbolic:
        registry.register_op(
            name, forward=short, vjp=(vjp,), saves=("inputs",), promotion="float", aliases=(short,),
            methods=(name, short), inplace_methods=(f"{name}_", f"{short}_"), domain=(domain,),
            node_name=f"{short.capitalize()}Backward0", reference=REFERENCES[name],
            edge_cases=EDGE_CASES.get(name, ()), doc=f"Inverse hyperbolic {short[1:]} (alias ``{short}``).")
    registry.register_op(
        "trunc", forward=_trunc, vjp=(_zero_vjp,), saves=(), zero_gradient=True, aliases=("fix",),
        methods=("trunc", "fix"), inplace_methods=("trunc_", "fix_"), reference=REFERENCES["trunc"],
        edge_cases=EDGE_CASES["trunc"])
    registry.register_op(
        "frac", forward=_frac, vjp=(lambda xp, g, ans, x: g,), saves=(), methods=("frac",),
        inplace_methods=("frac_",), reference=REFERENCES["frac"], edge_cases=EDGE_CASES["frac"])
    registry.register_op(
        "sgn", forward=_sgn, vjp=(_zero_vjp,), saves=(), zero_gradient=True, methods=("sgn",),
        inplace_methods=("sgn_",), reference=REFERENCES["sgn"], edge_cases=EDGE_CASES["sgn"])
    registry.register_op(
        "signbit", forward=_signbit, promotion=False, methods=("signbit",), zero_gradient=True,
        reference=REFERENCES["signbit"],
        edge_cases=[EdgeCase([-0.0, 0.0, -1.0, NAN, -NAN, INF], value=[True, False, True, False, True, False])])
    registry.register_op(
        "nan_to_num", forward=_nan_to_num, vjp=(lambda xp, g, ans, x, **p: xp.where(xp.isfinite(x), g, 0.0),),
        saves=("inputs",), params=("nan", "posinf", "neginf"), methods=("nan_to_num",),
        inplace_methods=("nan_to_num_",), node_name="NanToNumBackward0", reference=REFERENCES["nan_to_num"],
        edge_cases=EDGE_CASES["nan_to_num"], samples=SAMPLES["nan_to_num"])


def _register_binary(registry: Registry) -> None:
    registry.register_op(
        "logaddexp", forward=_logaddexp,
        vjp=(lambda xp, g, ans, x, y: g / (1.0 + xp.exp(as_dtype_of(xp, y, g) - as_dtype_of(xp, x, g))),
             lambda xp, g, ans, x, y: g / (1.0 + xp.exp(as_dtype_of(xp, x, g) - as_dtype_of(xp, y, g)))),
        saves=("inputs",), broadcasts=True, promotion="float", methods=("logaddexp",),
        reference=REFERENCES["logaddexp"], edge_cases=EDGE_CASES["logaddexp"])
    registry.register_op(
        "logaddexp2", forward=_logaddexp2,
        vjp=(lambda xp, g, ans, x, y: g / (1.0 + 2.0 ** (as_dtype_of(xp, y, g) - as_dtype_of(xp, x, g))),
             lambda xp, g, ans, x, y: g / (1.0 + 2.0 ** (as_dtype_of(xp, x, g) - as_dtype_of(xp, y, g)))),
        saves=("inputs",), broadcasts=True, promotion="float", methods=("logaddexp2",),
        reference=REFERENCES["logaddexp2"], edge_cases=EDGE_CASES["logaddexp2"])
    registry.register_op(
        "hypot", forward=_hypot, vjp=(lambda xp, g, ans, x, y: g * x / ans, lambda xp, g, ans, x, y: g * y / ans),
        broadcasts=True, promotion="float", methods=("hypot",), inplace_methods=("hypot_",),
        reference=REFERENCES["hypot"], edge_cases=EDGE_CASES["hypot"])
    registry.register_op(
        "atan2", forward=_atan2,
        vjp=(lambda xp, g, ans, y, x: _atan2_over(xp, g * x, y, x),
             lambda xp, g, ans, y, x: _atan2_over(xp, -g * y, y, x)),
        saves=("inputs",), broadcasts=True, promotion="float", aliases=("arctan2",), methods=("atan2", "arctan2"),
        inplace_methods=("atan2_", "arctan2_"), reference=REFERENCES["atan2"], edge_cases=EDGE_CASES["atan2"])
    registry.register_op(
        # d/dx = 1, d/dy = -trunc(x / y), as PyTorch's (the jumps where x / y is an integer aside)
        "fmod", forward=_fmod,
        vjp=(lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: -g * xp.trunc(as_dtype_of(xp, x, g) / y)),
        saves=("inputs",), broadcasts=True, methods=("fmod",), inplace_methods=("fmod_",), domain=(None, NONZERO),
        node_name=by_scalar("Fmod", 1, 0, 1), reference=REFERENCES["fmod"], edge_cases=EDGE_CASES["fmod"])
    registry.register_op(
        "copysign", forward=_copysign, vjp=(_copysign_vjp, lambda xp, g, ans, x, y: xp.zeros_like(g)),
        saves=("inputs", "output"), reads=((0, "output"), ()), broadcasts=True, promotion="float",
        zero_gradient=(False, True), methods=("copysign",), inplace_methods=("copysign_",),
        node_name=by_scalar("Copysign", 1, 1, 0), reference=REFERENCES["copysign"], edge_cases=EDGE_CASES["copysign"])
    registry.register_op(
        "heaviside", forward=_heaviside, promotion=False, zero_gradient=True, methods=("heaviside",),
        inplace_methods=("heaviside_",), reference=REFERENCES["heaviside"],
        samples=[Sample(np.array([-1.0, 0.5, 2.0]), np.array([0.5])),
                 Sample(np.array([[-0.3], [3.0]]), np.array([0.25, 0.75, 1.0]))],
        edge_cases=[EdgeCase([-1.0, 0.0, 2.0, -0.0], [0.5], value=[0.0, 0.5, 1.0, 0.5], why="values at 0")])
    for name, forward, passes, bound_gets, tie in (("clamp_min", _clamp_min, "x >= min", "x < min", "ClampMin"),
                                                   ("clamp_max", _clamp_max, "x <= max", "x > max", "ClampMax")):
        lower = name == "clamp_min"
        registry.register_op(
            name, forward=forward,
            vjp=(lambda xp, g, ans, x, b, lower=lower: xp.where((x >= b) if lower else (x <= b), g, 0.0),
                 lambda xp, g, ans, x, b, lower=lower: xp.where((x < b) if lower else (x > b), g, 0.0)),
            saves=("inputs",), broadcasts=True, methods=(name,), inplace_methods=(f"{name}_",),
            node_name=by_scalar(tie, 1, 0, 1), reference=REFERENCES[name], edge_cases=EDGE_CASES[name],
            doc=f"{forward.__doc__} The gradient goes to ``x`` where ``{passes}``, to the bound where ``{bound_gets}``.")


def _register_lerp_clamp(registry: Registry) -> None:
    registry.register_op(
        "lerp", forward=_lerp,
        vjp=(lambda xp, g, ans, start, end, weight: g * (1.0 - weight),
             lambda xp, g, ans, start, end, weight: g * weight,
             lambda xp, g, ans, start, end, weight: g * (end - start)),
        saves=("inputs",), reads=((2,), (2,), (0, 1)), broadcasts=True, promotion=False, methods=("lerp",),
        inplace_methods=("lerp_",), node_name=by_scalar("Lerp", 2, 0, 1), reference=REFERENCES["lerp"],
        edge_cases=EDGE_CASES["lerp"], samples=SAMPLES["lerp"])
    registry.register_op(
        "clamp_tensor", forward=_clamp_tensor, vjp=(_clamp_tensor_x, _clamp_tensor_min, _clamp_tensor_max),
        saves=("inputs",), broadcasts=True, node_name="ClampBackward0", reference=REFERENCES["clamp_tensor"],
        edge_cases=EDGE_CASES["clamp_tensor"], samples=SAMPLES["clamp_tensor"])
    registry.register_composite(
        "clamp", clamp, aliases=("clip",), methods=("clamp", "clip"), inplace_methods=("clamp_", "clip_"),
        reference=REFERENCES["clamp"], samples=SAMPLES["clamp"])


def register(registry: Registry) -> None:
    _register_unary(registry)
    _register_binary(registry)
    _register_lerp_clamp(registry)
