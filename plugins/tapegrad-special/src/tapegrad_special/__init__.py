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
from tapegrad.testing import Sample

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
        vjp=(lambda xp, g, ans, x: g * TWO_OVER_SQRT_PI * xp.exp(-(x * x)),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "erfc", forward=_erfc,
        vjp=(lambda xp, g, ans, x: -g * TWO_OVER_SQRT_PI * xp.exp(-(x * x)),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        # erfinv'(x) = sqrt(pi)/2 * exp(erfinv(x)**2): read from the output.
        "erfinv", forward=_erfinv,
        vjp=(lambda xp, g, ans, x: g * SQRT_PI_OVER_TWO * xp.exp(ans * ans),),
        saves=("output",), backends=NUMPY_ONLY, promotion="float", domain=((-0.9, 0.9),),
    )
    # ------------------------------------------------------------ gamma family
    registry.register_op(
        "gammaln", forward=_gammaln,
        vjp=(lambda xp, g, ans, x: g * xp.digamma(x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=(POSITIVE,),
    )
    registry.register_op(
        "digamma", forward=_digamma,
        vjp=(lambda xp, g, ans, x: g * xp.polygamma(x, n=1),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=(POSITIVE,),
    )
    registry.register_op(
        "polygamma", forward=_polygamma,
        vjp=(lambda xp, g, ans, x, *, n: g * xp.polygamma(x, n=n + 1),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=(POSITIVE,),
        samples=[Sample((3,), n=0), Sample((2, 3), n=1), Sample((3,), n=2), Sample((), n=3)],
    )
    # ------------------------------------------------------------ logistic
    registry.register_op(
        "expit", forward=_expit,
        vjp=(lambda xp, g, ans, x: g * ans * (1 - ans),),
        saves=("output",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        # log_expit'(x) = 1 - expit(x) = expit(-x), accurate where expit(x) rounds to 1.
        "log_expit", forward=_log_expit,
        vjp=(lambda xp, g, ans, x: g * xp.expit(-x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    # ------------------------------------------------------------ products
    registry.register_op(
        # d/dx = log(y), d/dy = x / y (PyTorch zeroes d/dx where x == 0; not done here).
        "xlogy", forward=_xlogy,
        vjp=(lambda xp, g, ans, x, y: g * xp.log(y),
             lambda xp, g, ans, x, y: g * x / y),
        saves=("inputs",), broadcasts=True, backends=NUMPY_ONLY, promotion="float", domain=(None, (0.2, 3.0)),
    )
    # ------------------------------------------------------------ modified Bessel functions
    registry.register_op(
        "i0", forward=_i0,
        vjp=(lambda xp, g, ans, x: g * xp.i1(x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "i1", forward=_i1, vjp=(_i1_vjp,),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "iv", forward=_iv, vjp=(_iv_vjp,),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=((0.2, 3.0),),
        samples=[Sample((3,), v=0), Sample((2, 3), v=1), Sample((3,), v=2.5), Sample((), v=-1.5)],
    )
