"""Special points of the built-in ops, for the conformance kit's ``edge_cases`` check.

Kinks, ties, bounds, poles, integer and half-integer exponents, exact 0 and 1: at each, the
value and the gradient of ``result.sum()`` that PyTorch 2.13 gives (its documented
convention), so that tapegrad follows it where the math leaves a choice.
``tests/parity/test_edge_cases_torch.py`` checks every number here against PyTorch itself.
"""

from __future__ import annotations

import math

import numpy as np

from tapegrad.testing.samples import EdgeCase

INF, NAN = math.inf, math.nan
PI = math.pi

# ---------------------------------------------------------------------------- arithmetic
ADD = [EdgeCase([1.0, 2.0], [3.0, 4.0], params={"alpha": 2.0}, value=[7.0, 10.0], grads=([1.0, 1.0], [2.0, 2.0]),
                why="alpha scales y and its gradient"),
       EdgeCase(np.array([1, -2]), np.array([3, 4]), params={"alpha": 2}, value=np.array([7, 6]),
                why="integer tensors: an integer alpha scales y in their dtype")]
SUB = [EdgeCase([1.0, 2.0], [3.0, 4.0], params={"alpha": 2.0}, value=[-5.0, -6.0], grads=([1.0, 1.0], [-2.0, -2.0]),
                why="alpha scales y and its gradient"),
       EdgeCase(np.array([1, -2]), np.array([3, 4]), params={"alpha": 2}, value=np.array([-5, -10]),
                why="integer tensors: an integer alpha scales y in their dtype")]
DIV = [
    EdgeCase([1.0, 0.0, -1.0], [0.0, 0.0, 0.0], value=[INF, NAN, -INF],
             grads=([INF, INF, INF], [-INF, NAN, INF]), why="division by zero"),
    EdgeCase([7.0, -7.0], [2.0, 2.0], params={"rounding_mode": "floor"}, value=[3.0, -4.0],
             grads=([0.0, 0.0], [0.0, 0.0]), why="a rounded quotient is piecewise constant: its gradient is 0"),
    EdgeCase([7.0, -7.0], [2.0, 2.0], params={"rounding_mode": "trunc"}, value=[3.0, -3.0],
             grads=([0.0, 0.0], [0.0, 0.0])),
    EdgeCase(np.array([7, -7, 6, -6, 7, 0, -1]), np.array([2, 2, 3, 3, -2, 5, 2]), params={"rounding_mode": "trunc"},
             value=np.array([3, -3, 2, -2, -3, 0, 0]), lazy_refused=True,
             why="integers truncate toward zero: exact quotients, and inexact ones of either sign (on Dask the "
                 "zero-divisor check must look at values: refused there)"),
    EdgeCase(np.array([7, -7]), 0, params={"rounding_mode": "trunc"}, raises=RuntimeError, match="ZeroDivisionError",
             why="integer division by a Python 0 raises, as PyTorch's"),
    EdgeCase([INF, -7.0], [2.0, 2.0], params={"rounding_mode": "trunc"}, value=[INF, -3.0], grads=([0.0, 0.0], [0.0, 0.0]),
             why="inf truncates to inf (a floor division would give NaN)"),
    EdgeCase([INF, -7.0], np.array([2, 2]), params={"rounding_mode": "trunc"}, value=[INF, -3.0],
             why="a float by an integer tensor truncates as floats"),
    EdgeCase([INF, -7.0], 2, params={"rounding_mode": "trunc"}, value=[INF, -3.0],
             why="a float tensor by a Python int truncates as floats (no floor division: NaN at inf)"),
]
POW = [
    EdgeCase([0.0, 2.0, -2.0], 2, value=[0.0, 4.0, 4.0], grads=([0.0, 4.0, -4.0], None), why="integer exponent"),
    EdgeCase([0.0, 2.0, -2.0], 3, value=[0.0, 8.0, -8.0], grads=([0.0, 12.0, 12.0], None)),
    EdgeCase([0.0, 2.0, -2.0], 0, value=[1.0, 1.0, 1.0], grads=([0.0, 0.0, 0.0], None), why="x ** 0 is 1"),
    EdgeCase([0.0, 4.0, -4.0], 0.5, value=[0.0, 2.0, NAN], grads=([INF, 0.25, NAN], None),
             why="half-integer exponent"),
    EdgeCase([0.0, 4.0], 1.5, value=[0.0, 8.0], grads=([0.0, 3.0], None)),
    EdgeCase([0.0, 2.0], -1, value=[INF, 0.5], grads=([-INF, -0.25], None), why="pole at 0"),
    EdgeCase([0.0, 0.0, 1.0, 2.0], [0.0, 2.0, 3.0, 0.0], value=[1.0, 0.0, 1.0, 1.0],
             grads=([0.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, math.log(2.0)]),
             why="the exponent's gradient is 0 at a zero base"),
    EdgeCase(2.0, [0.0, 1.0], value=[1.0, 2.0], grads=(None, [math.log(2.0), 2 * math.log(2.0)]),
             why="a Python number as the base"),
    EdgeCase(0.5, [1.0, 2.0], value=[0.5, 0.25], grads=(None, [0.5 * math.log(0.5), 0.25 * math.log(0.5)])),
    EdgeCase(0.0, [1.0, 2.0], value=[0.0, 0.0], grads=(None, [0.0, 0.0]), why="a zero Python base"),
    EdgeCase([1.5, -2.0], 2, value=[2.25, 4.0], grads=([3.0, -4.0], None), why="the square"),
    EdgeCase(np.array([1, -1, 2, -1]), np.array([-1, -1, -1, -2]), value=[1, -1, 0, 1],
             why="integers to negative integer powers, tensor exponent: 1 and -1 keep their powers, the rest is 0"),
    EdgeCase(np.array([1, 2, 3]), [0.5, 1.0, 2.0], value=[1.0, 2.0, 9.0],
             grads=(None, [0.0, 2 * math.log(2.0), 9 * math.log(3.0)]), why="an integer base, a float exponent"),
    EdgeCase(np.array([1, 2, 3], dtype=np.int8), [0.5, 1.0, 2.0], value=[1.0, 2.0, 9.0],
             grads=(None, [0.0, 2 * math.log(2.0), 9 * math.log(3.0)]),
             why="an int8 base is logged in the result's float64 (NumPy's log of int8 is float16)"),
    EdgeCase(np.array([1, 2, 3]), 2, value=[1, 4, 9], why="an integer tensor to a Python int power"),
    EdgeCase(np.array([2]), -1, raises=RuntimeError, match="Integers to negative integer powers are not allowed"),
    EdgeCase(2, np.array([0, 1, 3, -1]), value=[1, 2, 8, 0], why="a Python int base, an integer tensor exponent"),
    EdgeCase(np.array([2, 3, 2]), np.array([0, 1, -1]), value=[1, 3, 0], why="x ** 0 is 1 beside a negative power"),
    EdgeCase([1e-310, 2.0], [0.0, 0.0], value=[1.0, 1.0], grads=([0.0, 0.0], [math.log(1e-310), math.log(2.0)]),
             why="a subnormal base to the power 0: x**-1 overflows, the gradient is 0 all the same"),
]

# ---------------------------------------------------------------------------- exponentials and logarithms
EXP = [EdgeCase([-INF, 0.0], value=[0.0, 1.0], grads=([0.0, 1.0],))]
LOG = [EdgeCase([0.0, 1.0, -1.0], value=[-INF, 0.0, NAN], grads=([INF, 1.0, -1.0],), why="pole at 0")]
LOG1P = [EdgeCase([-1.0, 0.0], value=[-INF, 0.0], grads=([INF, 1.0],))]
LOG2 = [EdgeCase([0.0, 1.0], value=[-INF, 0.0], grads=([INF, 1 / math.log(2.0)],))]
LOG10 = [EdgeCase([0.0, 1.0], value=[-INF, 0.0], grads=([INF, 1 / math.log(10.0)],))]
EXPM1 = [EdgeCase([0.0, -INF], value=[0.0, -1.0], grads=([1.0, 0.0],))]

# ---------------------------------------------------------------------------- abs, sign, powers and roots
ABS = [EdgeCase([0.0, -1.0, 2.0], value=[0.0, 1.0, 2.0], grads=([0.0, -1.0, 1.0],), why="abs'(0) = 0")]
SIGN = [EdgeCase([0.0, -2.0, 3.0], value=[0.0, -1.0, 1.0], grads=([0.0, 0.0, 0.0],)),
        EdgeCase([NAN], value=[0.0], grads=([0.0],), why="sign(nan) is 0, as PyTorch's")]
SQRT = [EdgeCase([0.0, 1.0, 4.0, -1.0], value=[0.0, 1.0, 2.0, NAN], grads=([INF, 0.5, 0.25, NAN],))]
RSQRT = [EdgeCase([0.0, 1.0, 4.0], value=[INF, 1.0, 0.5], grads=([-INF, -0.5, -1 / 16],))]
SQUARE = [EdgeCase([0.0, -3.0], value=[0.0, 9.0], grads=([0.0, -6.0],))]

# ---------------------------------------------------------------------------- trigonometric and hyperbolic
ARCSIN = [EdgeCase([1.0, -1.0, 0.0], value=[PI / 2, -PI / 2, 0.0], grads=([INF, INF, 1.0],), why="bounds of the domain")]
ARCCOS = [EdgeCase([1.0, -1.0, 0.0], value=[0.0, PI, PI / 2], grads=([-INF, -INF, -1.0],))]
ARCTAN = [EdgeCase([INF, -INF, 0.0], value=[PI / 2, -PI / 2, 0.0], grads=([0.0, 0.0, 1.0],))]
TANH = [EdgeCase([800.0, -800.0, 0.0], value=[1.0, -1.0, 0.0], grads=([0.0, 0.0, 1.0],), why="saturation")]

# ---------------------------------------------------------------------------- activations
SIGMOID = [EdgeCase([0.0, 800.0, -800.0], value=[0.5, 1.0, 0.0], grads=([0.25, 0.0, 0.0],), why="no overflow")]
RELU = [EdgeCase([0.0, -1.0, 2.0], value=[0.0, 0.0, 2.0], grads=([0.0, 0.0, 1.0],), why="relu'(0) = 0")]
LEAKY_RELU = [EdgeCase([0.0, -1.0, 2.0], value=[0.0, -0.01, 2.0], grads=([0.01, 0.01, 1.0],),
                       why="the slope at 0 is negative_slope")]
SOFTPLUS = [
    EdgeCase([0.0, -800.0, 21.0], value=[math.log(2.0), 0.0, 21.0], grads=([0.5, 0.0, 1.0],)),
    EdgeCase([20.0], value=[20.000000002061153], grads=([1 / (1 + math.exp(-20.0))],), why="at the threshold"),
]
NDTR = [EdgeCase([0.0, -INF, INF], value=[0.5, 0.0, 1.0], grads=([1 / math.sqrt(2 * PI), 0.0, 0.0],))]
GELU = [EdgeCase([0.0], value=[0.0], grads=([0.5],), smooth=True),
        EdgeCase([0.0], params={"approximate": "tanh"}, value=[0.0], grads=([0.5],), smooth=True)]

# ---------------------------------------------------------------------------- selection
CLAMP = [
    EdgeCase([-0.5, 0.5, 0.7, -1.0], params={"min": -0.5, "max": 0.5}, value=[-0.5, 0.5, 0.5, -0.5],
             grads=([1.0, 1.0, 0.0, 0.0],), why="the gradient passes at the bounds"),
    EdgeCase([0.0, 2.0], params={"min": 1.0, "max": -1.0}, value=[-1.0, -1.0], grads=([0.0, 0.0],),
             why="min > max gives max"),
    EdgeCase([0.5, 0.7, 0.0], params={"max": 0.5}, value=[0.5, 0.5, 0.0], grads=([1.0, 0.0, 1.0],)),
    EdgeCase([-0.5, -0.7, 0.0], params={"min": -0.5}, value=[-0.5, -0.5, 0.0], grads=([1.0, 0.0, 1.0],)),
]
MAXIMUM = [
    EdgeCase([1.0, 2.0, 3.0], [1.0, 3.0, 2.0], value=[1.0, 3.0, 3.0], grads=([0.5, 0.0, 1.0], [0.5, 1.0, 0.0]),
             why="ties split the gradient evenly"),
    EdgeCase([NAN, 1.0], [1.0, NAN], value=[NAN, NAN], grads=([1.0, 1.0], [1.0, 1.0]),
             why="NaN propagates, and both sides get the gradient"),
]
MINIMUM = [
    EdgeCase([1.0, 2.0, 3.0], [1.0, 3.0, 2.0], value=[1.0, 2.0, 2.0], grads=([0.5, 1.0, 0.0], [0.5, 0.0, 1.0])),
    EdgeCase([NAN, 1.0], [1.0, NAN], value=[NAN, NAN], grads=([1.0, 1.0], [1.0, 1.0]),
             why="NaN propagates, and both sides get the gradient"),
]
WHERE = [
    EdgeCase(np.array([True, False]), [1.0, INF], [INF, 2.0], value=[1.0, 2.0], grads=(None, [1.0, 0.0], [0.0, 1.0]),
             why="the branch not taken gets 0, even where it is infinite"),
]

# ---------------------------------------------------------------------------- rounding
FLOOR = [EdgeCase([-0.5, 1.0, 2.5], value=[-1.0, 1.0, 2.0], grads=([0.0, 0.0, 0.0],))]
CEIL = [EdgeCase([-0.5, 1.0, 2.5], value=[-0.0, 1.0, 3.0], grads=([0.0, 0.0, 0.0],))]
ROUND = [EdgeCase([0.5, 1.5, 2.5, -0.5], value=[0.0, 2.0, 2.0, -0.0], grads=([0.0] * 4,), why="halves to even")]
REMAINDER = [EdgeCase([-1.0, 1.0, 3.0], [3.0, -3.0, 3.0], value=[2.0, -2.0, 0.0],
                      grads=([1.0, 1.0, 1.0], [1.0, 1.0, -1.0]), why="the sign of the divisor"),
             EdgeCase(np.array([7, -7]), 0, raises=RuntimeError, match="ZeroDivisionError",
                      why="integer division by a Python 0 raises, as PyTorch's")]

# ---------------------------------------------------------------------------- reductions
PROD = [
    EdgeCase([0.0, 2.0, 3.0], value=6.0 * 0, grads=([6.0, 0.0, 0.0],), why="one zero"),
    EdgeCase([0.0, 0.0, 2.0], value=0.0, grads=([0.0, 0.0, 0.0],), why="two zeros"),
]
AMAX = [EdgeCase([1.0, 3.0, 3.0], value=3.0, grads=([0.0, 0.5, 0.5],), why="ties split the gradient evenly")]
AMIN = [EdgeCase([1.0, 1.0, 3.0], value=1.0, grads=([0.5, 0.5, 0.0],))]
_TINY32 = np.array([1e-30, -1e-30], dtype=np.float32)
STD = [EdgeCase([1.0, 1.0, 1.0], value=0.0, grads=([0.0, 0.0, 0.0],), why="zero deviation: PyTorch gives 0, not 0 / 0"),
       EdgeCase(_TINY32, value=np.float32(np.std(_TINY32.astype(np.float64), ddof=1)),
                why="float32 moments accumulate in float64, as PyTorch's CPU kernels: 1e-30 squared is not 0")]
VAR = [EdgeCase([1.0, 1.0, 1.0], value=0.0, grads=([0.0, 0.0, 0.0],))]
NORM = [
    EdgeCase([0.0, 0.0], value=0.0, grads=([0.0, 0.0],), why="the 2-norm's subgradient at 0 is 0"),
    EdgeCase([0.0, -2.0], params={"p": 1}, value=2.0, grads=([0.0, -1.0],)),
    EdgeCase([1.0, -1.0, 0.5], params={"p": INF}, value=1.0, grads=([0.5, -0.5, 0.0],), why="ties"),
    EdgeCase([0.0, 1.0], params={"p": 0.5}, value=1.0, grads=([0.0, 1.0],), why="p < 1 at a zero entry"),
    EdgeCase([0.0, 0.0], params={"p": 3}, value=0.0, grads=([0.0, 0.0],)),
    EdgeCase([0.0, 0.0, 2.0], params={"p": 0}, value=1.0, grads=([0.0, 0.0, 0.0],), why="the count of non-zeros"),
    EdgeCase([[1.0, -3.0]], params={"p": INF}, value=3.0, grads=([[0.0, -1.0]],), why="a size-1 dimension"),
    EdgeCase([1e300, 1.0], value=1e300, grads=([1.0, 1e-300],),
             why="Not PyTorch's: scaled by the largest |x|, the 2-norm of [1e300, 1] is 1e300 (PyTorch's overflows to inf)"),
    EdgeCase([[1e300, 1.0]], value=1e300, grads=([[1.0, 1e-300]],),
             why="Not PyTorch's: the same with a size-1 dimension (only an empty tensor skips the scaling)"),
    EdgeCase([1e300, 1.0], params={"p": 3}, value=1e300,
             why="Not PyTorch's: scaled by the largest |x| (PyTorch's overflows to inf)"),
    EdgeCase([1e-310, 1.0], params={"p": -1}, value=1e-310,
             why="Not PyTorch's: a negative p is scaled by the smallest |x| (PyTorch's underflows to 0)"),
    *(EdgeCase(np.zeros((0, 2)), params={"p": p, "dim": 0}, value=[0.0, 0.0], grads=(np.zeros((0, 2)),),
               why="an empty dimension reduced: the empty sum, 0 (p >= 0 has that identity)") for p in (3, 0.5, 0)),
    EdgeCase(np.zeros((0, 2)), params={"p": -1, "dim": 1}, value=np.zeros(0), grads=(np.zeros((0, 2)),),
             why="a negative p over non-empty dimensions of an empty tensor: an empty result"),
    EdgeCase(np.zeros((0, 2)), params={"p": INF, "dim": -1}, value=np.zeros(0), grads=(np.zeros((0, 2)),)),
    EdgeCase(np.zeros((0, 2)), params={"p": -1, "dim": 0}, raises=RuntimeError,
             match=r"cannot compute the -1 norm on the dimension -?\d+because this dimension is empty",
             why="a negative p has no identity: an empty reduced dimension is refused, named as given (PyTorch's words, its missing space too; under vmap the physical dim, as PyTorch's)"),
    EdgeCase(np.zeros((2, 0)), params={"p": -INF, "dim": (0, -1)}, raises=RuntimeError,
             match=r"cannot compute the -inf norm on the dimension -?\d+because"),
    EdgeCase(np.zeros((0, 2)), params={"p": -0.5}, raises=RuntimeError,
             match=r"cannot compute the -0.5 norm on (an empty tensor|the dimension -?\d+) ?because",
             why="reduced whole: 'on an empty tensor' (under vmap the physical dim is named, as PyTorch's)"),
]
LOGSUMEXP = [EdgeCase([-INF, 0.0], value=0.0, grads=([0.0, 1.0],)),
             EdgeCase([0.0, 1000.0], value=1000.0, grads=([0.0, 1.0],), why="shifted by the maximum: no overflow"),
             EdgeCase([1000.0, 1000.0], value=1000.0 + math.log(2.0), grads=([0.5, 0.5],), why="no overflow"),
             EdgeCase([[1000.0, 1000.0]], params={"dim": 0}, value=[1000.0, 1000.0], grads=([[1.0, 1.0]],)),
             EdgeCase(np.zeros((3, 0)), params={"dim": 1}, value=[-INF, -INF, -INF], why="an empty sum is 0")]
SOFTMAX = [EdgeCase([1000.0, 0.0], params={"dim": 0}, value=[1.0, 0.0], grads=([0.0, 0.0],), why="no overflow")]
LOG_SOFTMAX = [EdgeCase([1000.0, 0.0], params={"dim": 0}, value=[0.0, -1000.0], grads=([-1.0, 1.0],))]

# ---------------------------------------------------------------------------- logical ops: 0 is False, any other number True
LOGICAL = {
    "logical_and": [EdgeCase([0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 3.0, 0.0], value=[False, False, True, False])],
    "logical_or": [EdgeCase([0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 3.0, 0.0], value=[True, True, True, False])],
    "logical_xor": [EdgeCase([0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 3.0, 0.0], value=[True, True, False, False])],
    "logical_not": [EdgeCase([0.0, 1.0, -2.0], value=[True, False, False])],
}

# ---------------------------------------------------------------------------- indexing
INDEX_PUT = [
    EdgeCase(np.zeros((2, 3)), [1.0, 2.0, 3.0], params={"index": (np.array([0, 1]),)},
             value=[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], grads=([[0.0] * 3] * 2, [2.0, 2.0, 2.0]),
             why="the value broadcasts over the indexed rows"),
    EdgeCase(np.zeros(3, dtype=np.float32), np.array([0.1, 0.2]), params={"index": (np.array([0, 2]),)},
             value=np.array([0.1, 0.0, 0.2], dtype=np.float32),
             why="a float64 value written into a float32 tensor takes the tensor's dtype, on every backend"),
]


# Scalars written into a tensor's dtype, as PyTorch converts them (ops_builtin/scalars.py): a
# value an integer dtype cannot hold is refused, floats truncate, Python integers wrap.
_OVERFLOW = "PyTorch: value cannot be converted to type uint8_t without overflow"


def scalar_writes(*extra: object, **params: object) -> list[EdgeCase]:
    """The conversions of ``value`` for an op writing it into its first input (its other inputs
    ``extra``, more ``params`` as given)."""
    small = np.array([1, 2], dtype=np.uint8)
    return [
        EdgeCase(small, *extra, params={**params, "value": -0.5}, raises=RuntimeError, why=_OVERFLOW),
        EdgeCase(small, *extra, params={**params, "value": 300.0}, raises=RuntimeError, why=_OVERFLOW),
        EdgeCase(small, *extra, params={**params, "value": math.nan}, raises=RuntimeError, why=_OVERFLOW),
        EdgeCase(np.array([1, 2], dtype=np.int64), *extra, params={**params, "value": 1e20}, raises=RuntimeError,
                 why="PyTorch: value cannot be converted to type int64_t without overflow"),
    ]


def scalar_write_values(value_of: object, *extra: object, **params: object) -> list[EdgeCase]:
    """What the written value becomes: ``value_of(v)`` is the expected result for value ``v``."""
    small = np.array([1, 2], dtype=np.uint8)
    return [EdgeCase(small, *extra, params={**params, "value": v}, value=value_of(v), why=why)  # type: ignore[operator]
            for v, why in ((2.5, "a float truncates into an integer dtype"),
                           (-1, "a Python integer wraps, as PyTorch's C++ cast"))]


PAD_SCALARS = scalar_writes(pad=(1, 1)) + [
    EdgeCase(np.array([1, 2], dtype=np.uint8), params={"pad": (1, 1), "value": 2.5}, value=[2, 1, 2, 2],
             why="a float truncates into an integer dtype"),
    EdgeCase(np.array([1, 2], dtype=np.uint8), params={"pad": (1, 1), "value": -1}, raises=RuntimeError,
             why="pad's value is a float in PyTorch, so an integer -1 overflows uint8 too (fill_ wraps it)"),
    EdgeCase([1.0, 2.0], params={"pad": (1, 1), "value": math.nan}, value=[math.nan, 1.0, 2.0, math.nan]),
]
FILL = scalar_writes() + scalar_write_values(lambda v: [int(v) % 256] * 2)
_MASK = np.array([True, False])
MASKED_FILL = scalar_writes(_MASK) + scalar_write_values(lambda v: [int(v) % 256, 2], _MASK)
GATHER = [
    EdgeCase(np.array(3.0), params={"dim": 0, "index": np.array(1)}, raises=RuntimeError,
             match="index 1 is out of bounds for dimension 0 with size 1",
             why="a 0-d tensor has one dimension's worth of positions, as PyTorch counts them"),
    EdgeCase([1.0, 2.0, 3.0], params={"dim": 0, "index": np.array([0, 5])}, raises=RuntimeError,
             match="index 5 is out of bounds for dimension 0 with size 3", why="the message names the bad index"),
    EdgeCase(np.array(3.0), params={"dim": -1, "index": np.array(0)}, value=3.0, grads=(1.0,)),
]
INDEX_SELECT = [
    EdgeCase(np.array(3.0), params={"dim": -1, "index": np.array([0])}, value=3.0, grads=(1.0,),
             why="a 0-d tensor is indexed as if it had one dimension of size 1, as PyTorch's"),
    EdgeCase(np.array(3.0), params={"dim": 1, "index": np.array([0])}, raises=IndexError,
             match=r"expected to be in range of \[-1, 0\], but got 1"),
    EdgeCase(np.array(3.0), params={"dim": 0, "index": np.array([1])}, raises=IndexError,
             match="^index out of range in self$", why="a 0-d tensor's one slot is index 0"),
    # PyTorch 2.13's CPU kernel refuses an index out of range by the path it takes: along dim 1 of a
    # tensor of 2 or more dims, or into an empty one, it checks the whole index first (RuntimeError);
    # otherwise each entry as it goes (IndexError)
    *(EdgeCase(np.zeros(shape), params={"dim": dim, "index": np.array(index)}, raises=IndexError,
               match="^index out of range in self$")
      for shape, dim, index in (((3,), 0, [5]), ((0,), 0, [0]), ((2, 3), 0, [5]), ((1, 1), 0, [5]),
                                ((2, 3, 2), 2, [5]), ((3, 2), -2, [7]))),
    *(EdgeCase(np.zeros(shape), params={"dim": dim, "index": np.array(index)}, raises=RuntimeError,
               match=rf"^INDICES element is out of DATA bounds, id={index[0]} axis_dim={n}$")
      for shape, dim, index, n in (((2, 3), 1, [5], 3), ((2, 3), 1, [-1], 3), ((2, 0), 0, [5], 2),
                                   ((2, 3, 2), 1, [5], 3), ((3, 2), -1, [7], 2))),
    EdgeCase(np.zeros((2, 0)), params={"dim": 1, "index": np.array([0])}, raises=RuntimeError,
             match=r"^index_select\(\): self indexing axis dim should be positive$"),
]
CHUNK = [EdgeCase(np.zeros((0, 2)), params={"chunks": 3}, value=[np.zeros((0, 2))] * 3,
                  why="an empty dimension still gives `chunks` pieces, each empty, as PyTorch's")]


def _isclose_points() -> list[EdgeCase]:
    """Pairs on both sides of the tolerances (the kit's random samples are never close)."""
    b = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0, math.inf, math.inf, math.nan, 1.0, 100.0, 1.0])
    a = np.array([1.0 + 9e-6, 1.0 + 1.0005e-5 + 1e-8, 1.0 + 1e-5, 1e-8, 1.0005e-8, -5e-9, 2.0, math.inf, -math.inf,
                  math.nan, math.nan, 100.0 + 5e-4, 1.0 - 1e-3])
    points = [EdgeCase(a, b, value=np.isclose(a, b), why="the default rtol=1e-5, atol=1e-8 at their boundaries")]
    for params in ({"equal_nan": True}, {"rtol": 1e-3}, {"atol": 1e-4, "rtol": 0.0}):
        points.append(EdgeCase(a, b, params=params, value=np.isclose(a, b, **params)))
    return points


ISCLOSE = _isclose_points()
COPY = [EdgeCase([1.0, 2.0], [3.0, 4.0], value=[3.0, 4.0], grads=([0.0, 0.0], [1.0, 1.0]),
                 why="x's old values are overwritten: its gradient is a zero tensor (PyTorch's), src's passes through")]


def empty_extremum_points(name: str) -> list[EdgeCase]:
    """``max``/``min`` of an empty tensor: refused in the op's own name (the arg-extremum it runs first
    named itself), as PyTorch's."""
    return [EdgeCase(np.zeros((0, 3)), params={"dim": 0}, raises=IndexError,
                     match=rf"^{name}\(\): Expected reduction dim 0 to have non-zero size\.$"),
            EdgeCase(np.zeros(0), raises=RuntimeError,
                     match=rf"^{name}\(\): Expected reduction dim to be specified for input\.numel\(\) == 0\.")]


MAX_NAN = EdgeCase([1.0, NAN, 3.0, NAN], value=NAN, grads=([0.0, 0.5, 0.0, 0.5],),
                   why="NaN wins, its gradient shared evenly between the NaNs (PyTorch's evenly_distribute_backward)")

# Shifts past the bit width, and negative ones: 0 (left) or the sign alone (right), as PyTorch's
_BITS = {"int64": 64, "int8": 8, "uint8": 8}


def _shift_points(left: bool) -> list[EdgeCase]:
    points = []
    for name, bits in _BITS.items():
        x = np.array([5, 3, 12, 1, 7] if name == "uint8" else [5, -3, 12, -1, 7], dtype=name)
        y = np.array([1, bits, bits + 6, -1, bits - 1], dtype=name) if name != "uint8" else \
            np.array([1, bits, bits + 6, 255, bits - 1], dtype=name)
        if left:
            top = {"int64": -(2 ** 63), "int8": -128, "uint8": 128}[name]
            value = [10, 0, 0, 0, top]
        else:
            value = [2, 0, 0, 0, 0] if name == "uint8" else [2, -1, 0, -1, 0]
        points.append(EdgeCase(x, y, value=np.array(value, dtype=name), why=f"{name}: shifts of 0 to {bits + 6} places"))
    return points


LEFT_SHIFT = _shift_points(left=True)
RIGHT_SHIFT = _shift_points(left=False) + [
    EdgeCase(np.array([2 ** 62, -3]), 64, value=np.array([0, -1]), why="a Python int shift of the full width: the sign"),
    EdgeCase(np.array([2 ** 62, -3]), np.array([64, 64]), value=np.array([0, -1]), why="past the width: the sign, even of 2**62"),
    EdgeCase(np.array([5, -3]), 0, value=np.array([5, -3]), why="a Python 0 shifts nothing"),
    EdgeCase(np.array([5], dtype=np.uint8), 8, value=np.array([0], dtype=np.uint8), why="an unsigned one past the width: 0")]
