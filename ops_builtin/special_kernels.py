"""Float64-accurate kernels of the special functions, in ``xp`` only (no SciPy).

Each kernel is vectorised with ``xp.where`` over its ranges, every branch evaluated on inputs
clamped into its own range (so no branch overflows where it is not chosen), and runs on any
array-API backend. Sources, all standard:

- ``erf``/``erfc``: W. J. Cody's rational Chebyshev approximations (``elementwise._erf_small``,
  ``_erfc_large``, shared with ``ndtr``);
- ``erfinv``: M. Giles' single-precision approximation ("Approximating the erfinv function",
  GPU Computing Gems, 2011) as a start, then two Halley steps on ``erf`` (``erfc`` in the tails,
  where ``1 - x`` is exact and ``erf(y) - x`` would cancel): cubic convergence from 1e-7;
- ``lgamma``: the Stirling series past 10, reached by the recurrence ``lgamma(x) = lgamma(x + n) -
  log(x (x + 1) ... (x + n - 1))``; around its zeros at 1 and 2 the Taylor series
  ``lgamma(1 + e) = -gamma e + sum zeta(k) (-e)**k / k``; below 0 the reflection formula;
- ``digamma``: the asymptotic series past 10 with the recurrence ``psi(x) = psi(x + 1) - 1/x``,
  the reflection ``psi(x) = psi(1 - x) - pi cot(pi x)`` below 0, and near its positive root
  the Taylor series there (as Cephes/SciPy do), so it is accurate relative to its value;
- ``polygamma(n, x)``, ``n >= 1``: ``(-1)**(n+1) n! zeta(n + 1, x)``, the Hurwitz zeta by
  Euler-Maclaurin summation, and the ``n``-th derivative of the reflection formula below 0.

Accuracy: about 1e-15 relative to SciPy (tests/test_special_functions.py, against stored
high-precision values).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from .elementwise import _THRESH, _erf_small, _erfc_large

PI = math.pi
EULER = 0.57721566490153286061
LOG_2PI_HALF = 0.5 * math.log(2.0 * PI)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(PI)
SQRT_PI_OVER_TWO = math.sqrt(PI) / 2.0
SQRT_PI = math.sqrt(PI)
# Bernoulli numbers B2, B4, ..., B20
BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
             -174611 / 330)
ASYMPTOTIC = 10.0  # the series are used from here on
# digamma's positive root and its value there as a double (Cephes, SciPy's _digamma.pxd)
PSI_ROOT = 1.4616321449683622
PSI_ROOT_VALUE = -9.2412655217294275e-17


# ---------------------------------------------------------------------------- error functions
def erf(xp: Any, x: Any) -> Any:
    y = xp.abs(x)
    near = _erf_small(xp, xp.minimum(xp.maximum(x, -_THRESH), _THRESH))
    far = 1.0 - _erfc_large(xp, xp.maximum(y, _THRESH))
    return xp.where(y <= _THRESH, near, xp.where(x < 0, -far, far))


def erfc(xp: Any, x: Any) -> Any:
    y = xp.abs(x)
    near = 1.0 - _erf_small(xp, xp.minimum(xp.maximum(x, -_THRESH), _THRESH))
    far = _erfc_large(xp, xp.maximum(y, _THRESH))
    return xp.where(y <= _THRESH, near, xp.where(x < 0, 2.0 - far, far))


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coefficients: tuple[float, ...], t: Any) -> Any:
    p = coefficients[0]
    for c in coefficients[1:]:
        p = p * t + c
    return p


def erfinv(xp: Any, x: Any) -> Any:
    a = xp.abs(x)
    inside = a < 1.0
    s = xp.where(inside, a, 0.5)  # the iteration runs on (0, 1); the rest is set at the end
    w = -xp.log((1.0 - s) * (1.0 + s))
    central = _horner(_GILES_CENTRAL, xp.minimum(w, 5.0) - 2.5)
    tail = _horner(_GILES_TAIL, xp.sqrt(xp.maximum(w, 5.0)) - 3.0)
    y = xp.where(w < 5.0, central, tail) * s
    small = s <= 0.5
    complement = 1.0 - s  # exact for s >= 0.5
    # past Giles' range (s > 1 - 2**-24), from erfc(y) ~ exp(-y*y) / (y sqrt(pi)): y*y = -log(c sqrt(pi) y)
    far = -xp.log(xp.where(w < 16.0, 1e-8, complement))
    y_far = xp.sqrt(far)
    for _ in range(3):
        y_far = xp.sqrt(far - xp.log(SQRT_PI * y_far))
    y = xp.where(w < 16.0, y, y_far)
    for _ in range(2):  # Halley: y -= u / (1 + y u), u = f / f', f'' / f' = -2 y for erf and erfc
        residual = xp.where(small, erf(xp, y) - s, complement - erfc(xp, y))
        u = residual / (TWO_OVER_SQRT_PI * xp.exp(-y * y))
        y = y - u / (1.0 + y * u)
    y = xp.where(s == 0.0, x, y)  # x itself: erfinv(-0.0) is -0.0, as PyTorch's
    y = xp.where(inside, y, xp.where(a == 1.0, _full(xp, a, math.inf), math.nan))
    return xp.where(x < 0, -y, y)


# ---------------------------------------------------------------------------- helpers
def _sinpi_cospi(xp: Any, x: Any) -> tuple[Any, Any]:
    """``sin(pi x)`` and ``cos(pi x)`` with the argument reduced exactly first (``x - round(x)``
    is exact), so large ``x`` and integers give exact zeros where ``sin(pi * x)`` would not."""
    n = xp.round(x)
    r = x - n  # in [-0.5, 0.5]
    odd = xp.remainder(n, 2.0) != 0
    sign = 1.0 - 2.0 * xp.astype(odd, r.dtype)
    return sign * xp.sin(PI * r), sign * xp.cos(PI * r)


def _full(xp: Any, like: Any, value: float) -> Any:
    """``value`` in ``like``'s shape and dtype (``where`` may not take two Python numbers)."""
    return xp.full(like.shape, value, dtype=like.dtype)


def _negative_zero(xp: Any, x: Any) -> Any:
    return (x == 0.0) & (xp.atan2(x, -1.0) < 0)  # atan2(-0, -1) = -pi: no signbit in every namespace


def _shift(xp: Any, x: Any, steps: int) -> tuple[Any, list[Any]]:
    """``x`` moved up by ones until it is at least ``ASYMPTOTIC`` (at most ``steps`` times), and the
    list of masks of the elements moved at each step."""
    moved = []
    y = x
    for _ in range(steps):
        low = y < ASYMPTOTIC
        moved.append((low, y))
        y = xp.where(low, y + 1.0, y)
    return y, moved


@lru_cache(maxsize=None)
def _zeta_python(s: int, q: float) -> float:
    """Hurwitz zeta(s, q) as a Python float (for series coefficients), by the same summation."""
    import numpy as np

    return float(hurwitz_zeta(np, np.asarray(q, dtype=np.float64), s))


# ---------------------------------------------------------------------------- lgamma
def _lgamma_series_at_one(xp: Any, e: Any) -> Any:
    """``lgamma(1 + e)`` for ``|e| <= 0.5``: ``-gamma e + sum_{k>=2} zeta(k) (-e)**k / k``."""
    total = 0.0
    for k in range(60, 1, -1):  # Horner from the smallest term
        total = (total + _zeta_k(k) * (-1) ** k / k) * e
    return (total - EULER) * e + 0.0  # + 0.0: lgamma(1) is +0, not -0


@lru_cache(maxsize=None)
def _zeta_k(k: int) -> float:
    return _zeta_python(k, 1.0)


def _stirling(xp: Any, y: Any) -> Any:
    """``lgamma(y)`` for ``y >= 10``."""
    inv = 1.0 / y
    inv2 = inv * inv
    series = 0.0
    for k in range(8, 0, -1):
        series = series * inv2 + BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    return (y - 0.5) * xp.log(y) - y + LOG_2PI_HALF + series * inv


def _lgamma_positive(xp: Any, z: Any) -> Any:
    """``lgamma(z)`` for ``z > 0``, accurate relative to the value, by range: below 0.5 from
    ``lgamma(z + 1) - log(z)``; on [0.5, 2.5) the Taylor series at 1 or 2 (through its zeros);
    on [2.5, 10) down to [1.5, 2.5) by ``lgamma(z) = log((z - 1) ... (z - m)) + lgamma(z - m)``;
    from 10 the Stirling series."""
    tiny = z < 0.5
    e1 = xp.minimum(xp.maximum(xp.where(tiny, z, z - 1.0), -0.5), 0.5)  # z + 1 - 1 is z itself
    near_one = _lgamma_series_at_one(xp, e1) - xp.where(tiny, xp.log(xp.where(tiny, z, 1.0)), 0.0)
    middle = xp.minimum(xp.maximum(z, 1.5), ASYMPTOTIC)
    product = 1.0
    for _ in range(8):
        high = middle >= 2.5
        middle = xp.where(high, middle - 1.0, middle)
        product = product * xp.where(high, middle, 1.0)
    e2 = middle - 2.0
    near_two = _lgamma_series_at_one(xp, e2) + xp.log1p(e2) + xp.log(product)
    big = _stirling(xp, xp.maximum(z, ASYMPTOTIC))
    return xp.where(z < 1.5, near_one, xp.where(z < ASYMPTOTIC, near_two, big))


def lgamma(xp: Any, x: Any) -> Any:
    negative = x < 0.0
    # reflection below 0: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)
    z = xp.where(negative, 1.0 - x, x)
    z = xp.where(xp.isnan(z) | (z == 0.0) | (z == math.inf), 1.0, z)
    positive = _lgamma_positive(xp, z)
    sin, _ = _sinpi_cospi(xp, xp.where(negative, x, 0.5))
    reflected = math.log(PI) - xp.log(xp.abs(sin)) - positive
    out = xp.where(negative, reflected, positive)
    out = xp.where((x == 0.0) | (xp.abs(x) == math.inf), math.inf, out)
    return xp.where(xp.isnan(x), x, out)


# ---------------------------------------------------------------------------- digamma
def _psi_asymptotic(xp: Any, y: Any) -> Any:
    """``psi(y)`` for ``y >= 10``: ``log y - 1/(2y) - sum B2k / (2k y**2k)``."""
    inv2 = 1.0 / (y * y)
    series = 0.0
    for k in range(8, 0, -1):
        series = (series + BERNOULLI[k - 1] / (2 * k)) * inv2
    return xp.log(y) - 0.5 / y - series


def _psi_near_root(xp: Any, d: Any) -> Any:
    """``psi(PSI_ROOT + d)`` for ``|d| <= 0.3``: the Taylor series ``sum (-1)**(k+1) zeta(k+1, root) d**k``."""
    total = 0.0
    for k in range(40, 0, -1):
        total = (total + (-1) ** (k + 1) * _zeta_python(k + 1, PSI_ROOT)) * d
    return PSI_ROOT_VALUE + total


def digamma(xp: Any, x: Any) -> Any:
    negative = x < 0.0
    z = xp.where(negative, 1.0 - x, x)
    z = xp.where(xp.isnan(z) | (z == 0.0), 1.0, z)
    zs = xp.where(z < ASYMPTOTIC, z, ASYMPTOTIC)
    y, moved = _shift(xp, zs, 10)
    total = 0.0
    for low, before in moved:
        total = total + xp.where(low, 1.0 / before, 0.0)
    positive = xp.where(z < ASYMPTOTIC, _psi_asymptotic(xp, y) - total, _psi_asymptotic(xp, xp.maximum(z, ASYMPTOTIC)))
    d = z - PSI_ROOT
    positive = xp.where(xp.abs(d) <= 0.3, _psi_near_root(xp, xp.minimum(xp.maximum(d, -0.3), 0.3)), positive)
    positive = xp.where(z == math.inf, math.inf, positive)
    sin, cos = _sinpi_cospi(xp, xp.where(negative, x, 0.5))
    reflected = positive - PI * cos / sin
    out = xp.where(negative, xp.where(sin == 0.0, math.nan, reflected), positive)
    out = xp.where(x == 0.0, xp.where(_negative_zero(xp, x), _full(xp, x, math.inf), -math.inf), out)  # as PyTorch
    out = xp.where(x == -math.inf, math.nan, out)
    return xp.where(xp.isnan(x), x, out)


# ---------------------------------------------------------------------------- polygamma
def hurwitz_zeta(xp: Any, q: Any, s: int) -> Any:
    """``zeta(s, q) = sum_k (q + k)**-s`` for an integer ``s >= 2`` and ``q > 0``: the first terms
    summed until ``q + k >= ASYMPTOTIC + s``, then Euler-Maclaurin with ten Bernoulli terms."""
    start = ASYMPTOTIC + s
    qs = xp.where(q < start, q, start)
    head = 0.0
    y = qs
    for _ in range(int(start)):
        low = y < start
        head = head + xp.where(low, y ** -s, 0.0)
        y = xp.where(low, y + 1.0, y)
    y = xp.where(q < start, y, q)
    tail = y ** (1 - s) / (s - 1) + 0.5 * y ** -s
    rising = float(s)  # s (s + 1) ... (s + 2j - 2)
    power = y ** (-s - 1)
    factorial = 2.0
    inv2 = 1.0 / (y * y)
    for j in range(1, 11):
        tail = tail + BERNOULLI[j - 1] / factorial * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
        power = power * inv2
    return head + tail


@lru_cache(maxsize=None)
def _cot_derivative(n: int) -> tuple[int, ...]:
    """Coefficients (lowest first) of ``P_n`` with ``d^n/dx^n cot(pi x) = pi**n P_n(cot(pi x))``:
    ``P_0 = c``, ``P_{k+1} = -(1 + c**2) P_k'``."""
    p = [0, 1]
    for _ in range(n):
        dp = [i * p[i] for i in range(1, len(p))] or [0]
        out = [0] * (len(dp) + 2)
        for i, c in enumerate(dp):
            out[i] -= c
            out[i + 2] -= c
        p = out
    return tuple(p)


def polygamma(xp: Any, n: int, x: Any) -> Any:
    """``psi^(n)(x)``; ``n == 0`` is digamma. At the poles (0, -1, ...) +inf for odd ``n`` (the
    limit from both sides), -inf for even ``n`` (PyTorch's choice; the one-sided limits differ)."""
    if n == 0:
        return digamma(xp, x)
    negative = x < 0.0
    z = xp.where(negative, 1.0 - x, x)
    z = xp.where(xp.isnan(z) | (z == 0.0), 1.0, z)
    sign = 1.0 if n % 2 else -1.0  # (-1)**(n+1)
    positive = sign * math.factorial(n) * hurwitz_zeta(xp, xp.where(z == math.inf, 1.0, z), n + 1)
    positive = xp.where(z == math.inf, 0.0 * sign, positive)
    sin, cos = _sinpi_cospi(xp, xp.where(negative, x, 0.5))
    c = cos / sin
    p = 0.0
    for coefficient in reversed(_cot_derivative(n)):
        p = p * c + coefficient
    reflected = (-1) ** n * positive - PI ** (n + 1) * p
    pole = math.inf if n % 2 else -math.inf  # PyTorch's at 0 and the negative integers
    out = xp.where(negative, xp.where(sin == 0.0, _full(xp, x, pole), reflected), positive)
    out = xp.where(x == 0.0, pole, out)
    out = xp.where(x == -math.inf, math.nan, out)
    return xp.where(xp.isnan(x), x, out)
