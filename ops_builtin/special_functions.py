"""The special functions PyTorch has at top level and in ``torch.special``: erf, erfc, erfinv,
lgamma (``special.gammaln``), digamma (``special.psi``), polygamma, xlogy; and the ``special.``
names of built-in ops defined elsewhere (``special.expit`` is ``sigmoid``, ...).

The kernels (``special_kernels.py``) are float64-accurate and written in ``xp`` alone, so these
ops run on every backend with no SciPy; each VJP uses other registered ops through ``xp``
(``lgamma' = digamma``, ``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``),
so every op is differentiable to any order. ``polygamma`` takes the order first, as PyTorch's
``torch.polygamma(n, x)`` does (``x.polygamma(n)`` as a method). The ``tapegrad-special`` plugin
adds the SciPy-backed rest of ``torch.special`` (``special.i0``, ``special.i1``, ...).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

import tapegrad
from tapegrad.testing import EdgeCase, Sample

from . import special_kernels as k
from .elementwise_more import _array, _like, as_dtype_of, by_scalar

if TYPE_CHECKING:
    from tapegrad import Registry

INF, NAN = math.inf, math.nan
GAMMA = (0.5, 4.0)  # away from the poles of lgamma, digamma, polygamma at 0, -1, ...
EULER = k.EULER


# ---------------------------------------------------------------------------- forwards
def _wide(kernel: Any) -> Any:
    """``kernel`` run in float64 and rounded once for float32 and float16 input: its polynomials
    overflow float16, and their rounding errors in float32 add up to a few ulps."""
    def run(xp: Any, *args: Any) -> Any:
        x = args[-1]
        if str(x.dtype) in ("float32", "float16"):  # not every namespace has float16
            return xp.astype(kernel(xp, *args[:-1], xp.astype(x, xp.float64)), x.dtype)
        return kernel(xp, *args)
    return run


_ERF, _ERFC, _ERFINV, _LGAMMA, _DIGAMMA, _POLYGAMMA = (_wide(f) for f in (
    k.erf, k.erfc, k.erfinv, k.lgamma, k.digamma, k.polygamma))


def _erf(xp: Any, x: Any) -> Any:
    """Error function, ``2/sqrt(pi) * integral(exp(-t**2), t=0..x)`` (also ``special.erf``)."""
    return _ERF(xp, x)


def _erfc(xp: Any, x: Any) -> Any:
    """Complementary error function, ``1 - erf(x)``, accurate in the right tail (also ``special.erfc``)."""
    return _ERFC(xp, x)


def _erfinv(xp: Any, x: Any) -> Any:
    """Inverse error function on [-1, 1] (``erf(erfinv(x)) == x``; +-inf at +-1, NaN outside)."""
    return _ERFINV(xp, x)


def _lgamma(xp: Any, x: Any) -> Any:
    """``log|Gamma(x)|`` (also ``special.gammaln``); inf at 0, the negative integers and -inf."""
    return _LGAMMA(xp, x)


def _digamma(xp: Any, x: Any) -> Any:
    """The digamma function, ``lgamma'`` (also ``special.psi``); -inf at 0, NaN at negative integers."""
    return _DIGAMMA(xp, x)


def order(n: Any) -> int:
    """polygamma's ``n``: a non-negative int, with PyTorch's errors."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


def _polygamma(xp: Any, n: Any, x: Any) -> Any:
    """The ``n``-th derivative of digamma, ``polygamma(n, x)`` (``polygamma(0, x)`` is digamma); the
    order first, as PyTorch's; ``x.polygamma(n)`` as a method. Poles: +inf (odd ``n``) or -inf."""
    return _POLYGAMMA(xp, order(n), x)


def _xlogy(xp: Any, x: Any, y: Any) -> Any:
    """``x * log(y)``, and 0 where ``x == 0`` unless ``y`` is NaN (also ``special.xlogy``); broadcasts."""
    like = _like(x, y)
    x, y = _array(xp, x, like), _array(xp, y, like)
    zero = (x == 0) & ~xp.isnan(y)
    return xp.where(zero, 0.0, x * xp.log(xp.where(zero, 1.0, y)))


def _xlogy_x(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    # PyTorch's: xlogy(g, y), and 0 where x == 0 and y <= 0; y's log taken in g's (the result's) dtype
    return xp.where((x == 0) & (y <= 0), 0.0, xp.xlogy(g, as_dtype_of(xp, y, g)))


def _polygamma_method(self: Any, n: int) -> Any:
    """``x.polygamma(n)``: ``tapegrad.polygamma(n, x)``."""
    return tapegrad.ops.polygamma(n, self)


# ---------------------------------------------------------------------------- kit declarations
REFERENCES: dict[str, Any] = {  # exact values (PyTorch 2.13 agrees); tests compare far more against stored ones
    "erf": np.vectorize(math.erf, otypes=[np.float64]),
    "erfc": np.vectorize(math.erfc, otypes=[np.float64]),
    "erfinv": [EdgeCase([0.0, 0.5, -0.5, 0.9], value=[0.0, 0.4769362762044699, -0.4769362762044699, 1.1630871536766743])],
    "lgamma": np.vectorize(math.lgamma, otypes=[np.float64]),
    "digamma": [EdgeCase([1.0, 0.5, 2.0, 10.0], value=[-EULER, -EULER - 2 * math.log(2), 1 - EULER, 2.251752589066721])],
    "polygamma": [EdgeCase(1, [1.0, 0.5], value=[math.pi ** 2 / 6, math.pi ** 2 / 2]),
                  EdgeCase(2, [1.0], value=[-2.4041138063191885]), EdgeCase(0, [1.0], value=[-EULER])],
    "xlogy": lambda x, y: np.where(np.asarray(x) == 0, 0.0, x * np.log(y)),
}
EDGE_CASES: dict[str, list[EdgeCase]] = {
    "erf": [EdgeCase([0.0], value=[0.0], grads=([k.TWO_OVER_SQRT_PI],), grad2=([-0.0],), smooth=True),
            EdgeCase([INF, -INF], value=[1.0, -1.0], grads=([0.0, 0.0],))],
    "erfc": [EdgeCase([0.0, INF, -INF], value=[1.0, 0.0, 2.0], grads=([-k.TWO_OVER_SQRT_PI, -0.0, -0.0],))],
    "erfinv": [EdgeCase([1.0, -1.0, 0.0, 2.0], value=[INF, -INF, 0.0, NAN],
                        grads=([INF, INF, k.SQRT_PI_OVER_TWO, NAN],), why="bounds of the domain")],
    "lgamma": [EdgeCase([1.0, 2.0, 0.0, -1.0], value=[0.0, 0.0, INF, INF],
                        grads=([-EULER, 1 - EULER, -INF, NAN],), why="zeros at 1 and 2, poles")],
    "digamma": [EdgeCase([0.0, -0.0, INF], value=[-INF, INF, INF], grads=([INF, INF, 0.0],), why="poles"),
                EdgeCase([-1.0, -2.0], value=[NAN, NAN], why="NaN at the negative integers")],
    "polygamma": [EdgeCase(1, [0.0, 1.0], value=[INF, math.pi ** 2 / 6], grads=(None, [-INF, -2.4041138063191885]),
                           why="poles: +inf for odd n, -inf for even n"),
                  EdgeCase(2, [0.0, -1.0, -3.0], value=[-INF, -INF, -INF])],
    "xlogy": [EdgeCase([0.0, 0.0, 0.0, 2.0], [0.0, 3.0, NAN, 1.0], value=[0.0, 0.0, NAN, 0.0],
                       grads=([0.0, math.log(3.0), NAN, 0.0], [NAN, 0.0, NAN, 2.0]),
                       why="0 where x == 0 whatever y, unless y is NaN")],
}

# special_kernels/special_functions (k1): a point in every range of the kernels (series near the
# zeros and the root, recurrences, asymptotic series, reflections, erfinv's tails) so the kit
# compares values there; the values are mpmath's at 40 digits (PyTorch 2.13 agrees to 1e-9).
_ERF_X = [-3.0, -0.7, 0.3, 0.7, 2.0, 5.5]
_ERFINV_X = [0.2, -0.999, 0.99999, 1 - 2.0 ** -30, -(1 - 1e-12), 0.9999999]
_LGAMMA_X = [0.1, 0.3, 0.7, 1.2, 1.7, 2.3, 3.7, 7.5, 9.9, 10.5, 15.0, 30.0, 200.0, 1e5, -0.5, -2.5, -3.7, -10.3]
_DIGAMMA_X = [0.1, 0.3, 1.3, 1.46, 1.6, 1.8, 3.5, 9.5, 12.0, 100.0, -0.5, -2.7, -10.3]
_POLYGAMMA_X = [0.2, 1.5, 3.5, 12.0, 30.0, 100.0, -0.5, -2.3, -10.7]
EDGE_CASES["erf"].append(EdgeCase(_ERF_X, value=[
    -0.9999779095030014, -0.6778011938374184, 0.3286267594591274, 0.6778011938374184, 0.9953222650189527,
    0.9999999999999927], why="both of Cody's ranges, either sign"))
EDGE_CASES["erfc"].append(EdgeCase(_ERF_X, value=[
    1.9999779095030015, 1.6778011938374184, 0.6713732405408726, 0.32219880616258156, 0.004677734981047266,
    7.357847917974398e-15], why="both of Cody's ranges, either sign"))
EDGE_CASES["erfinv"].append(EdgeCase(_ERFINV_X, value=[
    0.1791434546212917, -2.3267537655135246, 3.123413274341571, 4.328028275800946, -5.042031898572696,
    3.7665625816384707], why="Giles' central and tail ranges, and past them"))
EDGE_CASES["lgamma"].append(EdgeCase(_LGAMMA_X, value=[
    2.252712651734206, 1.0957979948180756, 0.26086724653166654, -0.08537409000331583, -0.09580769740706588,
    0.15418945495963046, 1.428072326665388, 7.534364236758733, 12.57717990421988, 13.940625219403763,
    25.19122118273868, 71.25703896716801, 857.9336698258575, 1051287.7089736569, 1.2655121234846454,
    -0.056243716497674054, -1.3797399049658245, -14.457515440024208],
    why="series at 1 and 2, the recurrence, Stirling, the reflection"))
EDGE_CASES["digamma"] += [
    EdgeCase(_DIGAMMA_X, value=[
        -10.423754940411076, -3.502524222200133, -0.16919088886679962, -0.0015805619870834522,
        0.12604745277347632, 0.28499143329386156, 1.103156640645243, 2.1977378764029494, 2.442661679975812,
        4.600161852738087, 0.03648997397857652, -1.1153471291406896, 4.662403493582087],
        why="the recurrence, the series at the root, the asymptotic series, the reflection"),
    EdgeCase([-INF], value=[NAN], why="no limit at -inf"),
    EdgeCase([k.PSI_ROOT], value=[-9.241265521729427e-17], why="digamma at its positive root's double: tiny, not 0")]
EDGE_CASES["erfinv"].append(EdgeCase([0.001], value=[0.0008862271574665521]))
EDGE_CASES["lgamma"] += [
    EdgeCase([-0.7, -1.3, -5.2, 0.001], value=[1.4524729387568078, 1.2024757863901114, -3.456175287006673,
                                              6.907178885383853], why="reflection across an odd integer; near 0"),
    EdgeCase([INF, -INF], value=[INF, INF])]
EDGE_CASES["digamma"].append(EdgeCase([0.001, 1.7617821449683622], value=[-1000.5755719318103, 0.2564364287346189],
                                    why="near 0; just past the series at the root"))
EDGE_CASES["lgamma"].append(EdgeCase([0.5002, 1.5008], value=[0.571972339593108, -0.12075274659005814],
                                   why="just past the boundaries between the kernel's ranges"))
EDGE_CASES["polygamma"] += [
    EdgeCase(1, [0.001], value=[1000001.6425331958]),
    EdgeCase(10, [0.2, 3.5, 40.0, -2.3], value=[-177187500489024.44, -4.026693041232995, -3.9130747998980846e-11,
                                                2048284893010.9443]),
    EdgeCase(30, [0.2, 3.5, 40.0, -2.3], value=[-1.2351798816220398e+54, -3611857616302858.0,
                                                -1.0912335543822422e-17, 4.2943869916848365e+48],
             why="high orders: the Euler-Maclaurin sum starts past 10 + n"),
    EdgeCase(30, [41.0, 12.0], value=[-5.1605810064950124e-18, -0.1017973689378736]),
    EdgeCase(100, [111.0], value=[-4.158373889222737e-49],
             why="at the start of the Euler-Maclaurin sum (q = 11 + n) its high Bernoulli terms weigh most")]
EDGE_CASES["polygamma"] += [
    EdgeCase(1, _POLYGAMMA_X, value=[
        26.267377205423777, 0.9348022005446793, 0.3303577561002349, 0.08690187287176838, 0.033895060357739946,
        0.010050166663333571, 8.934802200544679, 14.725912160961292, 14.99018713906938]),
    EdgeCase(2, _POLYGAMMA_X, value=[
        -251.4780361144359, -0.82879664423432, -0.1082040516417274, -0.007547205368998912, -0.0011487652037286,
        -0.00010100499983335, -0.82879664423432, 68.71379252927031, -68.8454998385991]),
    EdgeCase(3, _POLYGAMMA_X, value=[
        3753.244994864725, 1.4090910340024372, 0.07030584881725205, 0.001310093231070826, 7.78600366473613e-05,
        2.030199990001333e-06, 193.40909103400244, 768.9350646661422, 769.0194964081203]),
    EdgeCase(5, _POLYGAMMA_X, value=[
        1875041.3896784172, 11.113548602435497, 0.08704917856718349, 0.00011820829051081491,
        1.0726994936161623e-06, 2.460599944011996e-09, 15371.113548602436, 165660.05361165272,
        165660.1743185214]),
    EdgeCase(1, [INF, -INF], value=[0.0, NAN], why="0 at +inf, no limit at -inf")]
EDGE_CASES["xlogy"].append(EdgeCase([0.0], [0.5], value=[0.0], grads=([math.log(0.5)], [0.0]),
                                  why="x's gradient at x == 0 is log(y) for 0 < y, 0 only for y <= 0"))
EDGE_CASES["xlogy"].append(EdgeCase([2.0], np.array([3.0], dtype=np.float32), value=[2 * math.log(3.0)],
                                  grads=([math.log(3.0)], None), why="a float32 y beside a float64 x: x's gradient "
                                  "takes y's log in the result's dtype, float64, as PyTorch's (float32's is 2e-8 off)"))


def _register_special(registry: Registry) -> None:
    unary = (  # name, forward, vjp, saves, domain, aliases
        ("erf", _erf, lambda xp, g, ans, x: g * k.TWO_OVER_SQRT_PI * xp.exp(-(x * x)), ("inputs",), None,
         ("special.erf",)),
        ("erfc", _erfc, lambda xp, g, ans, x: -g * k.TWO_OVER_SQRT_PI * xp.exp(-(x * x)), ("inputs",), None,
         ("special.erfc",)),
        # erfinv'(x) = sqrt(pi)/2 * exp(erfinv(x)**2): read from the output
        ("erfinv", _erfinv, lambda xp, g, ans, x: g * k.SQRT_PI_OVER_TWO * xp.exp(ans * ans), ("output",),
         (-0.9, 0.9), ("special.erfinv",)),
        ("lgamma", _lgamma, lambda xp, g, ans, x: g * xp.digamma(x), ("inputs",), GAMMA, ("special.gammaln",)),
        ("digamma", _digamma, lambda xp, g, ans, x: g * xp.polygamma(1, x), ("inputs",), GAMMA,
         ("special.digamma", "special.psi")),
    )
    for name, forward, vjp, saves, domain, aliases in unary:
        registry.register_op(
            name, forward=forward, vjp=(vjp,), saves=saves, promotion="float", aliases=aliases, methods=(name,),
            inplace_methods=(f"{name}_",), domain=(domain,), reference=REFERENCES[name],
            edge_cases=EDGE_CASES[name])
    registry.register_op(
        "polygamma", forward=_polygamma, vjp=(None, lambda xp, g, ans, n, x: g * xp.polygamma(n + 1, x)),
        saves=("inputs",), promotion="float", promotes=(1,), aliases=("special.polygamma",),
        domain=(None, GAMMA), reference=REFERENCES["polygamma"], edge_cases=EDGE_CASES["polygamma"],
        samples=[Sample(0, (3,)), Sample(1, (2, 3)), Sample(2, (3,)), Sample(3, ())])
    registry.register_method("polygamma", _polygamma_method)
    registry.register_op(
        "xlogy", forward=_xlogy, vjp=(_xlogy_x, lambda xp, g, ans, x, y: g * x / y),
        saves=("inputs",), broadcasts=True, promotion="float", aliases=("special.xlogy",), methods=("xlogy",),
        inplace_methods=("xlogy_",), domain=(None, (0.2, 3.0)), reference=REFERENCES["xlogy"],
        edge_cases=EDGE_CASES["xlogy"], node_name=_xlogy_name)


def _xlogy_name(params: Any, inputs: Any) -> str:
    """``XlogyBackward0`` for two tensors, ``1`` for a number ``x``, ``2`` for a number ``y``."""
    if inputs is not None and isinstance(inputs[0], (int, float)):
        return "XlogyBackward1"
    return by_scalar("Xlogy", 1, 2, 0)(params, inputs)


# ---------------------------------------------------------------------------- torch.special names of other ops
def _expit(x: Any) -> Any:
    """The logistic sigmoid, ``1 / (1 + exp(-x))`` (``tapegrad.sigmoid``)."""
    return tapegrad.ops.sigmoid(x)


def _special_expm1(x: Any) -> Any:
    """``exp(x) - 1``, accurate for small ``x`` (``tapegrad.expm1``)."""
    return tapegrad.ops.expm1(x)


def _special_log1p(x: Any) -> Any:
    """``log(1 + x)``, accurate for small ``x`` (``tapegrad.log1p``)."""
    return tapegrad.ops.log1p(x)


def _special_exp2(x: Any) -> Any:
    """``2 ** x`` (``tapegrad.exp2``)."""
    return tapegrad.ops.exp2(x)


def _special_sinc(x: Any) -> Any:
    """The normalised sinc, ``sin(pi x) / (pi x)`` (``tapegrad.sinc``)."""
    return tapegrad.ops.sinc(x)


def _special_round(x: Any, *, decimals: int = 0) -> Any:
    """Round half to even (``tapegrad.round``)."""
    return tapegrad.ops.round(x, decimals=decimals)


def _special_ndtr(x: Any) -> Any:
    """The standard normal CDF (``tapegrad.ndtr``)."""
    return tapegrad.ops.ndtr(x)


def _special_logsumexp(x: Any, dim: Any, keepdim: bool = False) -> Any:
    """``log(sum(exp(x), dim))`` without overflow (``tapegrad.logsumexp``)."""
    return tapegrad.ops.logsumexp(x, dim=dim, keepdim=keepdim)


def _special_softmax(x: Any, dim: int) -> Any:
    """Softmax along ``dim`` (``tapegrad.softmax``)."""
    return tapegrad.ops.softmax(x, dim=dim)


def _special_log_softmax(x: Any, dim: int) -> Any:
    """Log-softmax along ``dim`` (``tapegrad.log_softmax``)."""
    return tapegrad.ops.log_softmax(x, dim=dim)


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-np.asarray(x)))


def _softmax(x: Any, dim: int) -> Any:
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _register_special_names(registry: Registry) -> None:
    one = [Sample((3,)), Sample((2, 3))]
    with_dim = [Sample((2, 3), dim=1), Sample((3,), dim=0)]
    # special_kernels/special_functions (k1): exp overflows unless the reference takes the row's max off
    wide = [*with_dim, Sample(np.array([[1000.0, 1001.0, 999.0], [-710.0, 0.0, 0.5]]), dim=1)]
    names = (  # torch.special name, function, reference, samples
        ("expit", _expit, _sigmoid, one),
        ("expm1", _special_expm1, np.expm1, one),
        ("log1p", _special_log1p, np.log1p, [Sample(np.array([-0.5, 0.1, 2.0]))]),
        ("exp2", _special_exp2, np.exp2, one),
        ("sinc", _special_sinc, np.sinc, one),
        ("round", _special_round, lambda x, decimals=0: np.round(x, decimals), [*one, Sample((3,), decimals=1)]),
        ("ndtr", _special_ndtr, lambda x: 0.5 * np.vectorize(math.erfc)(-np.asarray(x) / math.sqrt(2)), one),
        ("logsumexp", _special_logsumexp,
         lambda x, dim, keepdim=False: np.log(np.exp(x).sum(axis=dim, keepdims=keepdim)), with_dim),
        ("softmax", _special_softmax, _softmax, wide),
        ("log_softmax", _special_log_softmax, lambda x, dim: np.log(_softmax(x, dim)), wide),
    )
    for name, function, reference, samples in names:
        registry.register_composite(f"special.{name}", function, reference=reference, samples=samples)


def register(registry: Registry) -> None:
    _register_special(registry)
    _register_special_names(registry)
