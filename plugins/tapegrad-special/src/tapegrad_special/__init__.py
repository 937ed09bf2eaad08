"""Special functions from SciPy as tapegrad ops.

Installed, this package is found through its entry point (group ``tapegrad``, name
``special``): ``tapegrad.special.i1(x)``, ``tapegrad.i0(x)`` and the rest work with no import of
``tapegrad_special``. Its ops live in ``torch.special``'s namespace, at top level only where
PyTorch has them there (``torch.i0``); ``special.iv`` and ``special.log_expit`` are SciPy's, not
PyTorch's. The special functions PyTorch users reach for most (erf, erfc, erfinv, lgamma /
``special.gammaln``, digamma, polygamma, xlogy, ``special.expit``) are tapegrad built-ins, written
in ``xp`` with no SciPy.

Forwards run ``scipy.special`` kernels, which take NumPy arrays only, so every op
declares ``backends=("numpy",)``. VJPs use ``xp`` functions, Python operators and other
other registered ops through ``xp`` (``xp.polygamma``), so each is differentiable again
under ``create_graph=True`` and runs on raw arrays for first order: ``special.iv``'s VJP calls
``special.iv`` at the neighbouring orders.
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


# ---------------------------------------------------------------------------- helpers
def _keep_dtype(ans: Any, *inputs: Any) -> Any:
    """SciPy runs some kernels (polygamma, xlogy) in float64 only; give back the inputs' float
    dtype as NumPy's own ufuncs do (Python scalars are weak: they never widen float32)."""
    dtype = np.result_type(*inputs)
    if dtype.kind == "f" and ans.dtype != dtype:
        return ans.astype(dtype)
    return ans


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
    "log_expit": lambda x: -np.logaddexp(0.0, -np.asarray(x)),
    "i0": np.i0,
    "i1": lambda x: _iv_series(x, v=1),
    "iv": _iv_series,
}
EDGE_CASES: dict[str, list[Any]] = {
    "log_expit": [EdgeCase([-800.0, 800.0, 0.0], value=[-800.0, -0.0, -math.log(2.0)],  # -0.: from below, as SciPy's grads=([1.0, 0.0, 0.5],),
                           why="saturation")],
    "i0": [EdgeCase([0.0], value=[1.0], grads=([0.0],), smooth=True)],
    "i1": [EdgeCase([0.0], value=[0.0], grads=([0.5],), smooth=True)],
}


# ---------------------------------------------------------------------------- forwards
def _log_expit(xp: Any, x: Any) -> Any:
    """Log of the logistic sigmoid, ``-log(1 + exp(-x))``, accurate for large ``|x|`` (``scipy.special.log_expit``)."""
    return _keep_dtype(sc.log_expit(x), x)


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
def _iv_of(xp: Any) -> Any:
    """This plugin's ``special.iv`` in ``xp`` (namespaced ops are looked up by their full name)."""
    return getattr(xp, "special.iv")


def _i1_vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    # i1' = (i0 + i2) / 2, the recurrence I_v' = (I_{v-1} + I_{v+1}) / 2; no i1(x)/x at 0.
    return g * (xp.i0(x) + _iv_of(xp)(x, v=2)) / 2


def _iv_vjp(xp: Any, g: Any, ans: Any, x: Any, *, v: float) -> Any:
    iv = _iv_of(xp)
    return g * (iv(x, v=v - 1) + iv(x, v=v + 1)) / 2


@tapegrad.hookimpl
def tapegrad_register_ops(registry: tapegrad.Registry) -> None:
    """Register the special functions, in ``torch.special``'s namespace (``i0`` at top level too, as
    ``torch.i0``); erf, gammaln, digamma, polygamma, xlogy, expit ... are tapegrad's built-ins."""
    registry.register_op(
        # log_expit'(x) = 1 - expit(x) = expit(-x), accurate where expit(x) rounds to 1.
        "special.log_expit", forward=_log_expit,
        edge_cases=EDGE_CASES["log_expit"],
        reference=REFERENCES["log_expit"],
        vjp=(lambda xp, g, ans, x: g * xp.sigmoid(-x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    # ------------------------------------------------------------ modified Bessel functions
    registry.register_op(
        "i0", forward=_i0, aliases=("special.i0",), methods=("i0",), inplace_methods=("i0_",),
        edge_cases=EDGE_CASES["i0"],
        reference=REFERENCES["i0"],
        vjp=(lambda xp, g, ans, x: g * getattr(xp, "special.i1")(x),),
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "special.i1", forward=_i1, vjp=(_i1_vjp,), node_name="SpecialI1Backward0",
        edge_cases=EDGE_CASES["i1"],
        reference=REFERENCES["i1"],
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float",
    )
    registry.register_op(
        "special.iv", forward=_iv, vjp=(_iv_vjp,),
        reference=REFERENCES["iv"],
        saves=("inputs",), backends=NUMPY_ONLY, promotion="float", domain=((0.2, 3.0),),
        samples=[Sample((3,), v=0), Sample((2, 3), v=1), Sample((3,), v=2.5), Sample((), v=-1.5)],
    )
