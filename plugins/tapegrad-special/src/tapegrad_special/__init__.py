"""Special functions from SciPy as tapegrad ops.

Installed, this package is found through its entry point (group ``tapegrad``, name
``special``): ``tapegrad.erf(x)``, ``tapegrad.ops.digamma(x)`` and the rest work with no
import of ``tapegrad_special``.

Forwards run ``scipy.special`` kernels, which take NumPy arrays only, so every op
declares ``backends=("numpy",)``. VJPs use ``xp`` functions, Python operators and other
other registered ops through ``xp`` (``xp.polygamma``), so each is differentiable again
under ``create_graph=True`` and runs on raw arrays for first order:
``digamma``'s VJP calls ``polygamma``, whose VJP calls ``polygamma`` one order higher.
Names follow the math: ``g`` the incoming cotangent, ``ans`` the output, ``x``/``y`` the
inputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tapegrad
from tapegrad.testing import EdgeCase, Sample

__version__ = "0.1.0"


class _LazyScipySpecial:
    """``scipy.special``, imported on first use: tapegrad loads every installed plugin when
    its op table is built, and scipy.special takes about 0.2 s to import."""

    def __getattr__(self, name: str) -> Any:
        import scipy.special

        return getattr(scipy.special, name)


sc = _LazyScipySpecial()

NUMPY_ONLY = ("numpy",)  # SciPy kernels take NumPy arrays only
POSITIVE = (0.5, 4.0)  # away from the poles of gammaln, digamma, polygamma at 0, -1, ...
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


# ---------------------------------------------------------------------------- helpers
def _keep_dtype(ans: Any, *inputs: Any) -> Any:
    """SciPy runs some kernels (polygamma, xlogy) in float64 only; give back the inputs' float
    dtype as NumPy's own ufuncs do (Python scalars are weak: they never widen float32)."""
    dtype = np.result_type(*inputs)
    if dtype.kind == "f" and ans.dtype != dtype:
        return ans.astype(dtype)
    return ans


def _order(name: str, value: Any, what: str) -> int:
    """A static derivative/Bessel order given as a non-negative integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}(): {what} must be a non-negative int, got {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- kit references
# The kit compares each forward with these: Python's math module and series, not SciPy's kernels,
# or exact values at points (checked against PyTorch 2.13 where it has the function).
def _vectorized(f: Any) -> Any:
    return np.vectorize(f, otypes=[np.float64])


def _iv_series(x: Any, *, v: float) -> Any:
    """I_v(x) = sum_k (x/2)**(2k+v) / (k! Gamma(k+v+1)), summed to convergence for the kit's small x."""
    def one(z: float) -> float:
        total = 0.0
        for k in range(60):
            denominator = math.gamma(k + v + 1) if not (k + v + 1 <= 0 and float(k + v + 1).is_integer()) else math.inf
            total += (z / 2) ** (2 * k + v) / (math.factorial(k) * denominator)
        return total

    return _vectorized(one)(x)


REFERENCES: dict[str, Any] = {
    "erf": _vectorized(math.erf),
    "erfc": _vectorized(math.erfc),
    "erfinv": [EdgeCase([0.0, 0.5, -0.5], value=[0.0, 0.4769362762044699, -0.4769362762044699])],
    "gammaln": _vectorized(math.lgamma),
    "digamma": [EdgeCase([1.0, 0.5], value=[-0.5772156649015329, -1.9635100260214235])],
    "polygamma": [EdgeCase([1.0], params={"n": 1}, value=[math.pi ** 2 / 6]),
                  EdgeCase([1.0], params={"n": 0}, value=[-0.5772156649015329])],
    "expit": lambda x: 0.5 * (1 + np.tanh(np.asarray(x) / 2)),
    "log_expit": lambda x: -np.logaddexp(0.0, -np.asarray(x)),
    "xlogy": lambda x, y: np.where(np.asarray(x) == 0, 0.0, x * np.log(y)),
    "i0": np.i0,
    "i1": lambda x: _iv_series(x, v=1),
    "iv": _iv_series,
}
EDGE_CASES: dict[str, list[Any]] = {
    "erf": [EdgeCase([0.0, math.inf], value=[0.0, 1.0], grads=([TWO_OVER_SQRT_PI, 0.0],))],
    "erfc": [EdgeCase([0.0, math.inf], value=[1.0, 0.0], grads=([-TWO_OVER_SQRT_PI, 0.0],))],
    "erfinv": [EdgeCase([1.0, -1.0, 0.0], value=[math.inf, -math.inf, 0.0], grads=([math.inf, math.inf, SQRT_PI_OVER_TWO],),
                        why="bounds of the domain")],
    "gammaln": [EdgeCase([1.0, 2.0], value=[0.0, 0.0], grads=([-0.5772156649015329, 0.42278433509846713],))],
    "log_expit": [EdgeCase([-800.0, 800.0, 0.0], value=[-800.0, 0.0, -math.log(2.0)], grads=([1.0, 0.0, 0.5],),
                           why="saturation")],
    "expit": [EdgeCase([0.0, 800.0, -800.0], value=[0.5, 1.0, 0.0], grads=([0.25, 0.0, 0.0],))],
    "xlogy": [EdgeCase([0.0, 0.0], [0.0, 3.0], value=[0.0, 0.0], why="0 where x == 0, whatever y")],
    "i0": [EdgeCase([0.0], value=[1.0], grads=([0.0],), smooth=True)],
    "i1": [EdgeCase([0.0], value=[0.0], grads=([0.5],), smooth=True)],
}


# ---------------------------------------------------------------------------- forwards
def _erf(xp: Any, x: Any) -> Any:
    """Error function, ``2/sqrt(pi) * integral(exp(-t**2), t=0..x)`` (``scipy.special.erf``)."""
    return _keep_dtype(sc.erf(x), x)


def _erfc(xp: Any, x: Any) -> Any:
    """Complementary error function, ``1 - erf(x)``, accurate for large ``x`` (``scipy.special.erfc``)."""
    return _keep_dtype(sc.erfc(x), x)


def _erfinv(xp: Any, x: Any) -> Any:
    """Inverse error function on (-1, 1): ``erf(erfinv(x)) == x`` (``scipy.special.erfinv``)."""
    return _keep_dtype(sc.erfinv(x), x)


def _gammaln(xp: Any, x: Any) -> Any:
    """Logarithm of the absolute value of the gamma function, ``log|Gamma(x)|`` (``scipy.special.gammaln``)."""
    return _keep_dtype(sc.gammaln(x), x)


def _digamma(xp: Any, x: Any) -> Any:
    """Digamma function, the derivative of ``gammaln`` (``scipy.special.digamma``)."""
    return _keep_dtype(sc.digamma(x), x)


def _polygamma(xp: Any, x: Any, *, n: int) -> Any:
    """Polygamma function of order ``n``: the ``n``-th derivative of ``digamma`` (``polygamma(x, n=0)``
    is ``digamma``). ``n`` is a keyword-only non-negative int (``scipy.special.polygamma(n, x)``)."""
    return _keep_dtype(np.asarray(sc.polygamma(_order("polygamma", n, "n"), x)), x)


def _expit(xp: Any, x: Any) -> Any:
    """Logistic sigmoid, ``1 / (1 + exp(-x))`` (``scipy.special.expit``)."""
    return _keep_dtype(sc.expit(x), x)


def _log_expit(xp: Any, x: Any) -> Any:
    """Log of the logistic sigmoid, ``-log(1 + exp(-x))``, accurate for large ``|x|`` (``scipy.special.log_expit``)."""
    return _keep_dtype(sc.log_expit(x), x)


def _xlogy(xp: Any, x: Any, y: Any) -> Any:
    """``x * log(y)``, and 0 where ``x == 0`` whatever ``y`` (``scipy.special.xlogy``); broadcasts."""
    return _keep_dtype(sc.xlogy(x, y), x, y)


def _i0(xp: Any, x: Any) -> Any:
    """Modified Bessel function of the first kind, order 0 (``scipy.special.i0``)."""
    return _keep_dtype(sc.i0(x), x)


def _i1(xp: Any, x: Any) -> Any:
    """Modified Bessel function of the first kind, order 1 (``scipy.special.i1``)."""
    return _keep_dtype(sc.i1(x), x)


def _iv(xp: Any, x: Any, *, v: float) -> Any:
    """Modified Bessel function of the first kind of real order ``v`` (keyword-only);
    ``x`` must be positive for non-integer ``v`` (``scipy.special.iv(v, x)``)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"iv(): v must be a real number, got {v!r}")
    return _keep_dtype(sc.iv(v, x), x)


# ---------------------------------------------------------------------------- VJPs
def _log(xp: Any, y: Any, like: Any = None) -> Any:
    """log(y), with Python's math for a Python number: on tensors (create_graph=True) xp.log would
    round it to the default float dtype; and in ``like``'s dtype (the cotangent's, the result's),
    so a float16 ``y`` beside a float64 ``x`` is not logged in float16."""
    if isinstance(y, (int, float)):
        return math.log(y) if y > 0 else (-math.inf if y == 0 else math.nan)
    if like is not None and y.dtype != like.dtype:
        y = xp.astype(y, like.dtype)
    return xp.log(y)


def _i1_vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    # i1' = (i0 + i2) / 2, the recurrence I_v' = (I_{v-1} + I_{v+1}) / 2; no i1(x)/x at 0.
    return g * (xp.i0(x) + xp.iv(x, v=2)) / 2


def _iv_vjp(xp: Any, g: Any, ans: Any, x: Any, *, v: float) -> Any:
    return g * (xp.iv(x, v=v - 1) + xp.iv(x, v=v + 1)) / 2


@tapegrad.hookimpl
def tapegrad_register_ops(registry: tapegrad.Registry) -> None:
    """Register the special functions."""
    # ------------------------------------------------------------ error functions
    registry.register_op(
        "erf", forward=_erf,
        edge_cases=EDGE_CASES.get("erf", ()),
        reference=REFERENCES["erf"],
        vjp=(lambda xp, g, ans, x: g * TWO_OVER_SQRT_PI * xp.exp(-(x * x)),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "erfc", forward=_erfc,
        edge_cases=EDGE_CASES.get("erfc", ()),
        reference=REFERENCES["erfc"],
        vjp=(lambda xp, g, ans, x: -g * TWO_OVER_SQRT_PI * xp.exp(-(x * x)),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        # erfinv'(x) = sqrt(pi)/2 * exp(erfinv(x)**2): read from the output.
        "erfinv", forward=_erfinv,
        edge_cases=EDGE_CASES.get("erfinv", ()),
        reference=REFERENCES["erfinv"],
        vjp=(lambda xp, g, ans, x: g * SQRT_PI_OVER_TWO * xp.exp(ans * ans),),
        saves=("output",), backends=NUMPY_ONLY, promotion="float", domain=((-0.9, 0.9),),
    )
    # ------------------------------------------------------------ gamma family
    registry.register_op(
        "gammaln", forward=_gammaln,
        edge_cases=EDGE_CASES.get("gammaln", ()),
        reference=REFERENCES["gammaln"],
        vjp=(lambda xp, g, ans, x: g * xp.digamma(x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=(POSITIVE,),
    )
    registry.register_op(
        "digamma", forward=_digamma,
        edge_cases=EDGE_CASES.get("digamma", ()),
        reference=REFERENCES["digamma"],
        vjp=(lambda xp, g, ans, x: g * xp.polygamma(x, n=1),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=(POSITIVE,),
    )
    registry.register_op(
        "polygamma", forward=_polygamma,
        edge_cases=EDGE_CASES.get("polygamma", ()),
        reference=REFERENCES["polygamma"],
        vjp=(lambda xp, g, ans, x, *, n: g * xp.polygamma(x, n=n + 1),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=(POSITIVE,),
        samples=[Sample((3,), n=0), Sample((2, 3), n=1), Sample((3,), n=2), Sample((), n=3)],
    )
    # ------------------------------------------------------------ logistic
    registry.register_op(
        "expit", forward=_expit,
        edge_cases=EDGE_CASES.get("expit", ()),
        reference=REFERENCES["expit"],
        vjp=(lambda xp, g, ans, x: g * ans * (1 - ans),),
        saves=("output",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        # log_expit'(x) = 1 - expit(x) = expit(-x), accurate where expit(x) rounds to 1.
        "log_expit", forward=_log_expit,
        edge_cases=EDGE_CASES.get("log_expit", ()),
        reference=REFERENCES["log_expit"],
        vjp=(lambda xp, g, ans, x: g * xp.expit(-x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    # ------------------------------------------------------------ products
    registry.register_op(
        # d/dx = log(y), d/dy = x / y (PyTorch zeroes d/dx where x == 0; not done here).
        "xlogy", forward=_xlogy,
        edge_cases=EDGE_CASES.get("xlogy", ()),
        reference=REFERENCES["xlogy"],
        vjp=(lambda xp, g, ans, x, y: g * _log(xp, y, g),
             lambda xp, g, ans, x, y: g * x / y),
        saves=("inputs",), broadcasts=True, backends=NUMPY_ONLY, promotion="float", domain=(None, (0.2, 3.0)),
    )
    # ------------------------------------------------------------ modified Bessel functions
    registry.register_op(
        "i0", forward=_i0,
        edge_cases=EDGE_CASES.get("i0", ()),
        reference=REFERENCES["i0"],
        vjp=(lambda xp, g, ans, x: g * xp.i1(x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "i1", forward=_i1, vjp=(_i1_vjp,),
        edge_cases=EDGE_CASES.get("i1", ()),
        reference=REFERENCES["i1"],
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "iv", forward=_iv, vjp=(_iv_vjp,),
        edge_cases=EDGE_CASES.get("iv", ()),
        reference=REFERENCES["iv"],
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=((0.2, 3.0),),
        samples=[Sample((3,), v=0), Sample((2, 3), v=1), Sample((3,), v=2.5), Sample((), v=-1.5)],
    )
