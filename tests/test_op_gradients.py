"""Every built-in op's VJP, first and second (and some third) order, against finite differences.

Hypothesis draws the shapes (0-d, size-1 dimensions, broadcasting pairs), the values
(inside each op's smooth domain) and the reduction/reshape parameters; ``check_grads``
does the dot-product test against central differences at every order. Forward values
are compared with NumPy along the way, and the dtype rules (gradient dtype is the
input's dtype, Python scalars never widen float32) get their own tests.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad
from tapegrad import Tensor
from tapegrad.testing import check_grads

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=60, **SETTINGS)
FEW = settings(max_examples=20, **SETTINGS)

MAX_DIMS = 4
MAX_SIDE = 3

# value domains: (low, high), sampled uniformly; "signed" domains take either sign
REAL = (-2.0, 2.0)
AWAY_FROM_ZERO = (0.5, 2.0)
POSITIVE = (0.5, 2.0)
EXPONENT = (-2.0, 2.0)


def leaf(values: Any, dtype: Any = np.float64) -> Tensor:
    t = tapegrad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    assert np_of(t).dtype == np.dtype(dtype)  # a float64 array keeps float64
    return t


def np_of(t: Tensor) -> np.ndarray:
    return np.asarray(t._data)


def values(shape: tuple[int, ...], domain: tuple[float, float], signed: bool = False) -> st.SearchStrategy:
    """float64 arrays of ``shape`` in ``domain`` (or its mirror image too, when ``signed``)."""
    low, high = domain
    element = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if signed:
        element = st.tuples(element, st.booleans()).map(lambda p: -p[0] if p[1] else p[0])
    return hnp.arrays(np.float64, shape, elements=element)


def shapes(min_dims: int = 0) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE)


PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE)


# ---------------------------------------------------------------------------- binary ops
# name -> (functional form, operator/method form, numpy reference, domain of x, domain of y, y signed)
BINARY = {
    "add": (tapegrad.add, operator.add, np.add, REAL, REAL, False),
    "sub": (tapegrad.sub, operator.sub, np.subtract, REAL, REAL, False),
    "mul": (tapegrad.mul, operator.mul, np.multiply, REAL, REAL, False),
    "div": (tapegrad.div, operator.truediv, np.divide, REAL, AWAY_FROM_ZERO, True),
    "pow": (tapegrad.pow, lambda x, y: x.pow(y), np.power, POSITIVE, EXPONENT, False),
}


def _binary_case(data: st.DataObject, name: str) -> tuple[Tensor, Tensor]:
    _, _, _, xdom, ydom, ysigned = BINARY[name]
    xshape, yshape = data.draw(PAIRS, label="shapes").input_shapes
    x = data.draw(values(xshape, xdom), label="x")
    y = data.draw(values(yshape, ydom, signed=ysigned), label="y")
    return leaf(x), leaf(y)


@pytest.mark.parametrize("form", ["function", "operator"])
@pytest.mark.parametrize("name", list(BINARY))
@FAST
@given(data=st.data())
def test_binary_second_order(name: str, form: str, data: st.DataObject) -> None:
    function, operator_form, reference, *_ = BINARY[name]
    fn = function if form == "function" else operator_form
    x, y = _binary_case(data, name)
    out = fn(x, y)
    expected = reference(np_of(x), np_of(y))
    assert tuple(out.shape) == expected.shape
    assert out.dtype is tapegrad.float64
    np.testing.assert_allclose(np_of(out), expected, rtol=1e-12, atol=1e-12)
    check_grads(fn, [x, y], order=2, name=f"{name}[{form}]")


@pytest.mark.parametrize("name", list(BINARY))
@FEW
@given(data=st.data())
def test_binary_third_order(name: str, data: st.DataObject) -> None:
    x, y = _binary_case(data, name)
    check_grads(BINARY[name][0], [x, y], order=3, name=name)


@pytest.mark.parametrize("name", list(BINARY))
@FEW
@given(data=st.data())
def test_binary_one_input_requires_grad(name: str, data: st.DataObject) -> None:
    """Only one side tracked: the other side's VJP must not be needed, and the tracked one is right."""
    fn = BINARY[name][0]
    x, y = _binary_case(data, name)
    constant_y = tapegrad.tensor(np_of(y))
    constant_x = tapegrad.tensor(np_of(x))
    check_grads(fn, [x, constant_y], order=2, name=f"{name}(x, const)")
    check_grads(fn, [constant_x, y], order=2, name=f"{name}(const, y)")


def test_linear_ops_third_order() -> None:
    """Orders past the last non-zero derivative: the gradient is a constant, and zero from there on."""
    x, y = leaf(np.linspace(-1.0, 1.0, 6).reshape(2, 3)), leaf(np.linspace(0.5, 1.5, 3))
    for fn in (tapegrad.add, tapegrad.sub, tapegrad.mul):
        check_grads(fn, [x, y], order=3, name=fn.__name__)
    for fn in (lambda t: t ** 0, lambda t: t ** 1, lambda t: 2.5 - t, lambda t: t * 3):
        check_grads(fn, [x], order=3)
    # the second derivative of x * y w.r.t. (x, x) is absent, not an error
    gx, _ = tapegrad.autograd.grad((x * y).sum(), [x, y], create_graph=True)
    assert not gx.requires_grad or tapegrad.autograd.grad(gx.sum(), [x], allow_unused=True)[0] is None


def test_binary_second_derivative_values() -> None:
    """Known closed forms, not just self-consistency: d2(x*y)/dxdy = 1, d2(x/y)/dy2 = 2x/y^3."""
    x, y = leaf([1.5, -2.0]), leaf([0.5, 4.0])
    gx, gy = tapegrad.autograd.grad((x * y).sum(), [x, y], create_graph=True)
    np.testing.assert_array_equal(np_of(gx), [0.5, 4.0])
    (gxy,) = tapegrad.autograd.grad(gx.sum(), [y])
    np.testing.assert_array_equal(np_of(gxy), [1.0, 1.0])

    (gy,) = tapegrad.autograd.grad((x / y).sum(), [y], create_graph=True)
    np.testing.assert_allclose(np_of(gy), [-1.5 / 0.25, 2.0 / 16.0])
    (gyy,) = tapegrad.autograd.grad(gy.sum(), [y])
    np.testing.assert_allclose(np_of(gyy), [2 * 1.5 / 0.125, 2 * -2.0 / 64.0])

    b, e = leaf([2.0, 0.5]), leaf([3.0, -1.0])
    gb, ge = tapegrad.autograd.grad((b ** e).sum(), [b, e])
    np.testing.assert_allclose(np_of(gb), [3.0 * 4.0, -1.0 * 0.5 ** -2.0])
    np.testing.assert_allclose(np_of(ge), [8.0 * np.log(2.0), 2.0 * np.log(0.5)])


# ---------------------------------------------------------------------------- Python scalars
# (label, function of x, domain of x, expected d/dx as a function of the NumPy value)
SCALAR_CASES: list[tuple[str, Callable[[Any], Any], tuple[float, float], Callable[[np.ndarray], np.ndarray]]] = [
    ("x + 2.5", lambda x: x + 2.5, REAL, lambda v: np.ones_like(v)),
    ("2.5 + x", lambda x: 2.5 + x, REAL, lambda v: np.ones_like(v)),
    ("x - 2.5", lambda x: x - 2.5, REAL, lambda v: np.ones_like(v)),
    ("2.5 - x", lambda x: 2.5 - x, REAL, lambda v: -np.ones_like(v)),
    ("3 * x", lambda x: 3 * x, REAL, lambda v: np.full_like(v, 3.0)),
    ("x * 3", lambda x: x * 3, REAL, lambda v: np.full_like(v, 3.0)),
    ("x / 4", lambda x: x / 4, REAL, lambda v: np.full_like(v, 0.25)),
    ("2 / x", lambda x: 2 / x, POSITIVE, lambda v: -2.0 / v ** 2),
    ("-2 / x (negative x)", lambda x: -2 / x, (-2.0, -0.5), lambda v: 2.0 / v ** 2),
    ("x ** 3", lambda x: x ** 3, REAL, lambda v: 3 * v ** 2),
    ("x ** 2 (negative x)", lambda x: x ** 2, (-2.0, -0.1), lambda v: 2 * v),
    ("2 ** x", lambda x: 2 ** x, REAL, lambda v: 2.0 ** v * np.log(2.0)),
    ("0.5 ** x", lambda x: 0.5 ** x, REAL, lambda v: 0.5 ** v * np.log(0.5)),
    ("x ** 0", lambda x: x ** 0, REAL, lambda v: np.zeros_like(v)),
    ("x ** 0.0", lambda x: x ** 0.0, REAL, lambda v: np.zeros_like(v)),
    ("x ** 1", lambda x: x ** 1, REAL, lambda v: np.ones_like(v)),
    ("x ** -1.5", lambda x: x ** -1.5, POSITIVE, lambda v: -1.5 * v ** -2.5),
    ("x ** 0.5", lambda x: x ** 0.5, POSITIVE, lambda v: 0.5 * v ** -0.5),
    ("x.pow(2)", lambda x: x.pow(2), REAL, lambda v: 2 * v),
    ("tapegrad.mul(2.0, x)", lambda x: tapegrad.mul(2.0, x), REAL, lambda v: np.full_like(v, 2.0)),
    ("numpy scalar np.float64(3) * x", lambda x: np.float64(3.0) * x, REAL, lambda v: np.full_like(v, 3.0)),
]


@pytest.mark.parametrize("label, fn, domain, derivative", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
@FEW
@given(data=st.data())
def test_python_scalar_operand(label: str, fn: Callable, domain: tuple[float, float],
                               derivative: Callable, data: st.DataObject) -> None:
    shape = data.draw(shapes(), label="shape")
    x = leaf(data.draw(values(shape, domain), label="x"))
    out = fn(x)
    assert isinstance(out, Tensor) and tuple(out.shape) == shape
    assert out.dtype is tapegrad.float64
    (g,) = tapegrad.autograd.grad(out, [x], tapegrad.tensor(np.ones(shape)))
    np.testing.assert_allclose(np_of(g), derivative(np_of(x)), rtol=1e-12, atol=1e-12)
    check_grads(fn, [x], order=2, name=label)


def test_pow_zero_gradient_is_zero_even_at_zero() -> None:
    """d(x**0)/dx = 0 everywhere, including x = 0 where x**-1 is infinite (PyTorch gives 0 too)."""
    x = leaf([0.0, -1.0, 2.0])
    (g,) = tapegrad.autograd.grad((x ** 0).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(np_of(g), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(np_of(x ** 0), [1.0, 1.0, 1.0])
    (g1,) = tapegrad.autograd.grad((x ** 1).sum(), [x])
    np.testing.assert_array_equal(np_of(g1), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("scalar_first", [False, True])
@pytest.mark.parametrize("name", list(BINARY))
def test_scalar_operand_through_function_form(name: str, scalar_first: bool) -> None:
    """``tapegrad.add(2.5, x)`` and friends: a Python number in either position, order 2."""
    fn = BINARY[name][0]
    x = leaf(np.linspace(0.6, 1.8, 6).reshape(2, 3))
    scalar = 1.5
    args = [scalar, x] if scalar_first else [x, scalar]
    out = fn(*args)
    expected = BINARY[name][2](*[np_of(a) if isinstance(a, Tensor) else a for a in args])
    np.testing.assert_allclose(np_of(out), expected, rtol=1e-12)
    check_grads(fn, args, order=2, name=f"{name}{'(s, x)' if scalar_first else '(x, s)'}")


# ---------------------------------------------------------------------------- unary ops
UNARY = {
    "neg": (lambda x: -x, np.negative, REAL),
    "neg (function)": (tapegrad.neg, np.negative, REAL),
    "exp": (lambda x: x.exp(), np.exp, REAL),
    "exp (function)": (tapegrad.exp, np.exp, REAL),
    "log": (lambda x: x.log(), np.log, POSITIVE),
    "log (function)": (tapegrad.log, np.log, (0.2, 3.0)),
}


@pytest.mark.parametrize("name", list(UNARY))
@FAST
@given(data=st.data())
def test_unary_second_order(name: str, data: st.DataObject) -> None:
    fn, reference, domain = UNARY[name]
    shape = data.draw(shapes(), label="shape")
    x = leaf(data.draw(values(shape, domain), label="x"))
    out = fn(x)
    assert tuple(out.shape) == shape and out.dtype is tapegrad.float64
    np.testing.assert_allclose(np_of(out), reference(np_of(x)), rtol=1e-13)
    check_grads(fn, [x], order=2, name=name)


@pytest.mark.parametrize("name", ["exp", "log"])
@FEW
@given(data=st.data())
def test_unary_third_order(name: str, data: st.DataObject) -> None:
    fn, _, domain = UNARY[name]
    shape = data.draw(shapes(), label="shape")
    x = leaf(data.draw(values(shape, domain), label="x"))
    check_grads(fn, [x], order=3, name=name)


def test_unary_derivative_values() -> None:
    x = leaf([0.5, 1.0, 2.0])
    (g,) = tapegrad.autograd.grad(x.log().sum(), [x], create_graph=True)
    np.testing.assert_allclose(np_of(g), [2.0, 1.0, 0.5])
    (gg,) = tapegrad.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(np_of(gg), [-4.0, -1.0, -0.25])
    (g,) = tapegrad.autograd.grad(x.exp().sum(), [x])
    np.testing.assert_allclose(np_of(g), np.exp([0.5, 1.0, 2.0]))
    (g,) = tapegrad.autograd.grad((-x).sum(), [x])
    np.testing.assert_array_equal(np_of(g), [-1.0, -1.0, -1.0])


# ---------------------------------------------------------------------------- sum and mean
REDUCTIONS = {"sum": np.sum, "mean": np.mean}


def _numpy_axis(dim: Any, ndim: int) -> Any:
    """PyTorch's ``dim`` in NumPy's words: None and () mean every dimension."""
    if dim is None or (isinstance(dim, tuple) and not dim) or ndim == 0:
        return None
    return dim


@st.composite
def dims(draw: Callable, ndim: int) -> Any:
    """Any valid ``dim``: None, (), an int either sign, or a tuple of distinct axes in any order and sign."""
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    kind = draw(st.sampled_from(["none", "empty", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "empty":
        return ()
    as_int = draw(st.sampled_from([int, np.int64]))  # NumPy integers are dims too
    if kind == "int":
        return as_int(draw(st.integers(-n, n - 1)))
    if ndim == 0:
        return draw(st.sampled_from([(0,), (-1,)]))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signs = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
    return tuple(as_int(a - ndim if negative else a) for a, negative in zip(axes, signs))


def _reduced_shape(shape: tuple[int, ...], dim: Any, keepdim: bool) -> tuple[int, ...]:
    ndim = len(shape)
    if dim is None or (isinstance(dim, tuple) and not dim) or ndim == 0:
        axes = set(range(ndim))
    else:
        axes = {int(d) % ndim for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keepdim or i not in axes)


@pytest.mark.parametrize("spelling", ["dim/keepdim", "axis/keepdims", "positional"])
@pytest.mark.parametrize("name", list(REDUCTIONS))
@FAST
@given(data=st.data())
def test_reduction_second_order(name: str, spelling: str, data: st.DataObject) -> None:
    shape = data.draw(shapes(), label="shape")
    dim = data.draw(dims(len(shape)), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    x = leaf(data.draw(values(shape, REAL), label="x"))

    def fn(t: Tensor) -> Tensor:
        method = getattr(t, name)
        if spelling == "dim/keepdim":
            return method(dim=dim, keepdim=keepdim)
        if spelling == "axis/keepdims":
            return method(axis=dim, keepdims=keepdim)
        return method(dim, keepdim)

    out = fn(x)
    expected = REDUCTIONS[name](np_of(x), axis=_numpy_axis(dim, len(shape)), keepdims=keepdim)
    assert tuple(out.shape) == _reduced_shape(shape, dim, keepdim)
    assert tuple(out.shape) == np.shape(expected)
    assert out.dtype is tapegrad.float64
    np.testing.assert_allclose(np_of(out), expected, rtol=1e-12, atol=1e-12)
    check_grads(fn, [x], order=2, name=f"{name}(dim={dim!r}, keepdim={keepdim})")


# every dim form on one fixed 3-d tensor, spelled out
EXPLICIT_DIMS = [None, (), 0, 1, 2, -1, -2, -3, (0,), (2, 0), (-1, 0), (1, -3), (0, 1, 2), (-1, -2, -3), [1, 0]]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", EXPLICIT_DIMS, ids=repr)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_every_dim_form(name: str, dim: Any, keepdim: bool) -> None:
    shape = (2, 3, 4)
    x = leaf(np.random.default_rng(7).standard_normal(shape))
    out = getattr(x, name)(dim=dim, keepdim=keepdim)
    np_dim = tuple(dim) if isinstance(dim, list) else dim
    expected = REDUCTIONS[name](np_of(x), axis=_numpy_axis(np_dim, 3), keepdims=keepdim)
    assert tuple(out.shape) == _reduced_shape(shape, np_dim, keepdim) == np.shape(expected)
    np.testing.assert_allclose(np_of(out), expected, rtol=1e-12, atol=1e-12)
    # the gradient is 1 (sum) or 1/count (mean) at every element, whatever the dim
    count = np.size(x._data) // max(np.size(expected), 1)
    (g,) = tapegrad.autograd.grad(out, [x], tapegrad.tensor(np.ones(np.shape(expected))))
    np.testing.assert_allclose(np_of(g), np.full(shape, 1.0 if name == "sum" else 1.0 / count))
    check_grads(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), [x], order=2, name=f"{name}({dim!r})")


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_spellings_agree(name: str) -> None:
    """``x.sum(1, True)``, ``dim=1, keepdim=True`` and ``axis=1, keepdims=True`` are one call."""
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    reference = REDUCTIONS[name](np.arange(24.0).reshape(2, 3, 4), axis=1, keepdims=True)
    forms = [
        getattr(x, name)(1, True),
        getattr(x, name)(dim=1, keepdim=True),
        getattr(x, name)(axis=1, keepdims=True),
        getattr(x, name)(1, keepdims=True),
        getattr(tapegrad, name)(x, 1, True),
        getattr(tapegrad, name)(x, axis=1, keepdim=True),
    ]
    for out in forms:
        assert tuple(out.shape) == (2, 1, 4)
        np.testing.assert_allclose(np_of(out), reference)
    grads = [tapegrad.autograd.grad(out.sum(), [x])[0] for out in forms]
    for g in grads:
        np.testing.assert_allclose(np_of(g), np_of(grads[0]))
    check_grads(lambda t: getattr(t, name)(1, True), [x], order=2)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_numpy_integer_dims(name: str) -> None:
    """Dims computed with NumPy (``np.int64``, arrays of them) are ints like any other, as in PyTorch."""
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    reference = REDUCTIONS[name](np.arange(24.0).reshape(2, 3, 4), axis=(0, 2))
    for dim in ((np.int64(0), np.int64(-1)), np.array([0, 2]), [np.int32(2), 0]):
        out = getattr(x, name)(dim=dim)
        np.testing.assert_allclose(np_of(out), reference)
        check_grads(lambda t: getattr(t, name)(dim=dim), [x], order=2)
    out = getattr(x, name)(np.int64(1), keepdim=True)
    assert tuple(out.shape) == (2, 1, 4)
    (g,) = tapegrad.autograd.grad(out.sum(), [x])
    np.testing.assert_allclose(np_of(g), np.full((2, 3, 4), 1.0 if name == "sum" else 1 / 3))


@pytest.mark.parametrize("dim", [1.0, True, "0", (0, 1.0), (0, None)], ids=repr)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_refuses_non_integer_dims(name: str, dim: Any) -> None:
    x = leaf(np.ones((2, 3)))
    with pytest.raises(TypeError, match="dim must be an int or a sequence of ints"):
        getattr(x, name)(dim=dim)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_of_0d(name: str) -> None:
    x = leaf(3.0)
    for dim in (None, (), 0, -1, (0,), (-1,)):
        for keepdim in (False, True):
            out = getattr(x, name)(dim=dim, keepdim=keepdim)
            assert tuple(out.shape) == () and float(np_of(out)) == 3.0
            (g,) = tapegrad.autograd.grad(out, [x])
            assert float(np_of(g)) == 1.0
            check_grads(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), [x], order=2)


# ---------------------------------------------------------------------------- shape ops
@st.composite
def reshape_case(draw: Callable) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A shape and a target with the same number of elements: its sides shuffled, 1s added, maybe a -1."""
    shape = draw(shapes())
    sides = [n for n in shape if n != 1]
    sides = draw(st.permutations(sides)) if sides else []
    target = list(sides)
    for _ in range(draw(st.integers(0, 2))):
        target.insert(draw(st.integers(0, len(target))), 1)
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


@pytest.mark.parametrize("spelling", ["varargs", "tuple", "function"])
@FAST
@given(case=reshape_case(), data=st.data())
def test_reshape_second_order(spelling: str, case: tuple, data: st.DataObject) -> None:
    shape, target = case
    x = leaf(data.draw(values(shape, REAL), label="x"))
    if spelling == "varargs" and not target:
        spelling = "tuple"  # x.reshape() names no shape at all (a TypeError in PyTorch too)
    if spelling == "varargs":
        fn = lambda t: t.reshape(*target)  # noqa: E731
    elif spelling == "tuple":
        fn = lambda t: t.reshape(target)  # noqa: E731
    else:
        fn = lambda t: tapegrad.reshape(t, target)  # noqa: E731
    out = fn(x)
    expected = np.reshape(np_of(x), target)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_array_equal(np_of(out), expected)
    check_grads(fn, [x], order=2, name=f"reshape{target}")
    # a reshape in the middle of arithmetic: the gradient must come back in x's layout
    weights = np.arange(1.0, expected.size + 1).reshape(expected.shape)
    (g,) = tapegrad.autograd.grad((fn(x) * tapegrad.tensor(weights)).sum(), [x])
    np.testing.assert_array_equal(np_of(g), weights.reshape(shape))


def test_shape_params_take_numpy_ints_and_refuse_floats() -> None:
    """Sizes are integers: NumPy's count, a float is an error rather than silently truncated."""
    x = leaf(np.arange(6.0).reshape(2, 3))
    for fn in (lambda t: t.reshape(np.int64(3), np.int64(2)), lambda t: t.reshape(shape=np.int64(6)),
               lambda t: tapegrad.reshape(t, (np.int32(-1), 2)), lambda t: t.broadcast_to(np.int64(2), 2, 3)):
        out = fn(x)
        np.testing.assert_array_equal(np_of(out).ravel()[:6], np.arange(6.0))
        check_grads(fn, [x], order=2)
    for bad in (lambda t: t.reshape(2.7, 3), lambda t: t.reshape((3.0, 2)), lambda t: t.reshape(True, 6),
                lambda t: t.broadcast_to(2, 2.0, 3)):
        with pytest.raises(TypeError, match="shape must be an int or a sequence of ints"):
            bad(x)


@st.composite
def broadcast_case(draw: Callable) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A shape and a shape it broadcasts to: new leading dimensions, size-1 dimensions grown."""
    shape = draw(shapes())
    lead = draw(st.lists(st.integers(1, MAX_SIDE), max_size=MAX_DIMS - len(shape)))
    grown = [draw(st.integers(1, MAX_SIDE)) if n == 1 else n for n in shape]
    return shape, tuple(lead) + tuple(grown)


@pytest.mark.parametrize("spelling", ["varargs", "tuple"])
@FAST
@given(case=broadcast_case(), data=st.data())
def test_broadcast_to_second_order(spelling: str, case: tuple, data: st.DataObject) -> None:
    shape, target = case
    x = leaf(data.draw(values(shape, REAL), label="x"))
    fn = (lambda t: t.broadcast_to(*target)) if spelling == "varargs" and target else (lambda t: t.broadcast_to(target))
    out = fn(x)
    expected = np.broadcast_to(np_of(x), target)
    assert tuple(out.shape) == target
    np.testing.assert_array_equal(np_of(out), expected)
    check_grads(fn, [x], order=2, name=f"broadcast_to{target}")
    # the gradient of a broadcast counts how many copies each element made
    (g,) = tapegrad.autograd.grad(out.sum(), [x])
    np.testing.assert_array_equal(np_of(g), np.full(shape, np.prod(target) / max(np.prod(shape), 1)))


@FAST
@given(shape=shapes(), data=st.data())
def test_expand_dims_second_order(shape: tuple, data: st.DataObject) -> None:
    ndim = len(shape)
    dim = data.draw(st.integers(-(ndim + 1), ndim), label="dim")
    x = leaf(data.draw(values(shape, REAL), label="x"))
    for fn in (lambda t: t.expand_dims(dim), lambda t: tapegrad.expand_dims(t, axis=dim)):
        out = fn(x)
        expected = np.expand_dims(np_of(x), dim)
        assert tuple(out.shape) == expected.shape
        np.testing.assert_array_equal(np_of(out), expected)
        check_grads(fn, [x], order=2, name=f"expand_dims({dim})")


@pytest.mark.parametrize("dtype", [tapegrad.float64, "float64"], ids=["DType", "str"])
@FEW
@given(shape=shapes(), data=st.data())
def test_astype_float64_to_float64(dtype: Any, shape: tuple, data: st.DataObject) -> None:
    x = leaf(data.draw(values(shape, REAL), label="x"))
    fn = lambda t: t.astype(dtype) * t  # noqa: E731  (astype inside arithmetic, so order 2 is non-trivial)
    out = x.astype(dtype)
    assert out.dtype is tapegrad.float64 and tuple(out.shape) == shape
    np.testing.assert_array_equal(np_of(out), np_of(x))
    check_grads(lambda t: t.astype(dtype), [x], order=2, name="astype")
    check_grads(fn, [x], order=2, name="astype*x")


def test_astype_float32_round_trip() -> None:
    """float64 -> float32 -> float64: values round, the gradient comes back float64; and the reverse."""
    x = leaf(np.array([[0.1, -1.3], [2.7, 0.4]]))
    y = x.astype(tapegrad.float32)
    assert y.dtype is tapegrad.float32
    back = y.astype(tapegrad.float64)
    assert back.dtype is tapegrad.float64
    np.testing.assert_array_equal(np_of(back), np_of(x).astype(np.float32).astype(np.float64))
    (g,) = tapegrad.autograd.grad((back * back).sum(), [x], create_graph=True)
    assert g.dtype is tapegrad.float64
    np.testing.assert_allclose(np_of(g), 2 * np_of(back), rtol=1e-7)
    (gg,) = tapegrad.autograd.grad(g.sum(), [x])
    assert gg.dtype is tapegrad.float64
    np.testing.assert_array_equal(np_of(gg), np.full((2, 2), 2.0))
    # float32 rounding inside the function: finite differences need a step far above its resolution
    check_grads(lambda t: t.astype(tapegrad.float32).astype(tapegrad.float64) ** 2, [x], order=2,
                tolerances=(1e-3, 1e-3, 1e-4))

    x32 = leaf([0.5, 1.5, -2.0], dtype=np.float32)
    wide = x32.astype(tapegrad.float64)
    assert wide.dtype is tapegrad.float64
    (g32,) = tapegrad.autograd.grad((wide * wide * wide).sum(), [x32], create_graph=True)
    assert g32.dtype is tapegrad.float32
    np.testing.assert_allclose(np_of(g32), 3 * np.array([0.5, 1.5, -2.0]) ** 2, rtol=1e-6)
    (gg32,) = tapegrad.autograd.grad(g32.sum(), [x32])
    assert gg32.dtype is tapegrad.float32
    np.testing.assert_allclose(np_of(gg32), 6 * np.array([0.5, 1.5, -2.0]), rtol=1e-6)
    check_grads(lambda t: t.astype(tapegrad.float64).exp(), [x32], order=2)


# ---------------------------------------------------------------------------- compositions
def test_tutorial_composition_exact() -> None:
    """The tutorial: z = (x + 2) * (x + 2) * 3, out = z.mean(); d(out)/dx = 4.5 exactly at x = 1."""
    for dtype in (tapegrad.float32, tapegrad.float64):
        x = tapegrad.ones(2, 2, dtype=dtype, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        assert out.item() == 27.0 and out.dtype is dtype
        out.backward()
        assert x.grad is not None and x.grad.dtype is dtype
        assert x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]
    # second order: d2(out)/dx2 = 6/4 on the diagonal
    x = leaf(np.ones((2, 2)))
    (g,) = tapegrad.autograd.grad(((x + 2) * (x + 2) * 3).mean(), [x], create_graph=True)
    assert g.tolist() == [[4.5, 4.5], [4.5, 4.5]]
    (gg,) = tapegrad.autograd.grad(g.sum(), [x])
    assert gg.tolist() == [[1.5, 1.5], [1.5, 1.5]]
    check_grads(lambda t: ((t + 2) * (t + 2) * 3).mean(), [x], order=3)


COMPOSITES: dict[str, Callable[..., Tensor]] = {
    "softplus-ish": lambda x, y: ((x * y).exp() + 1).log().mean(dim=0),
    "rational": lambda x, y: (x * x - y) / (y * y + 1.5),
    "power chain": lambda x, y: ((x * x + 0.5) ** (y / 4)).sum(dim=-1, keepdim=True),
    "normalise": lambda x, y: (x - x.mean(dim=-1, keepdim=True)) / ((x * x).mean() + y * y + 1) ** 0.5,
    "reshape and broadcast": lambda x, y: (x.reshape(-1) * y.broadcast_to(2, 3).reshape(6)).exp().sum(),
    "expand and reduce": lambda x, y: (x.expand_dims(0) * y.expand_dims(0).expand_dims(-2)).sum(dim=(0, -1)),
    "reused input": lambda x, y: x * x.exp() - (x / y).sum(axis=1, keepdims=True) * 2.0 ** x,
    "mixed dtypes": lambda x, y: (x.astype(tapegrad.float32) * 2.5).astype(tapegrad.float64) * y,
}


@pytest.mark.parametrize("name", list(COMPOSITES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_composite_functions(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = leaf(rng.uniform(-1.0, 1.0, (2, 3)))
    y = leaf(rng.uniform(0.5, 1.5, (3,)))
    fn = COMPOSITES[name]
    out = fn(x, y)
    assert np.all(np.isfinite(np_of(out)))
    if name == "mixed dtypes":  # float32 rounding inside: compare with float32-sized steps
        check_grads(fn, [x, y], order=2, name=name, tolerances=(1e-3, 1e-3, 1e-4))
    else:
        check_grads(fn, [x, y], order=2, name=name, seed=seed)


@FEW
@given(data=st.data())
def test_composite_over_broadcast_shapes(data: st.DataObject) -> None:
    xshape, yshape = data.draw(PAIRS, label="shapes").input_shapes
    x = leaf(data.draw(values(xshape, REAL), label="x"))
    y = leaf(data.draw(values(yshape, POSITIVE), label="y"))

    def fn(a: Tensor, b: Tensor) -> Tensor:
        return ((a * b).exp() / b + a ** 2 - b.log() * a).mean()

    expected = np.mean(np.exp(np_of(x) * np_of(y)) / np_of(y) + np_of(x) ** 2 - np.log(np_of(y)) * np_of(x))
    np.testing.assert_allclose(np_of(fn(x, y)), expected, rtol=1e-12)
    check_grads(fn, [x, y], order=2)


# ---------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", list(BINARY))
def test_gradient_dtype_is_input_dtype_mixed_precision(name: str) -> None:
    """float32 x with float64 y: the result is float64, each gradient has its own input's dtype."""
    fn = BINARY[name][0]
    x32 = leaf([0.75, 1.25, 1.5], dtype=np.float32)
    y64 = leaf([[0.5], [1.5]])
    for a, b in ((x32, y64), (y64, x32)):
        out = fn(a, b)
        assert out.dtype is tapegrad.float64
        ga, gb = tapegrad.autograd.grad(out.sum(), [a, b], create_graph=True)
        assert ga.dtype is a.dtype and gb.dtype is b.dtype
        assert tuple(ga.shape) == tuple(a.shape) and tuple(gb.shape) == tuple(b.shape)
        if ga.requires_grad:
            (gga,) = tapegrad.autograd.grad(ga.sum(), [a], allow_unused=True)
            assert gga is None or gga.dtype is a.dtype
        out.sum().backward()
        assert a.grad.dtype is a.dtype and b.grad.dtype is b.dtype
        a.grad = b.grad = None


@pytest.mark.parametrize("name", list(BINARY))
def test_float32_gradients_float32(name: str) -> None:
    fn = BINARY[name][0]
    x, y = leaf([[0.75, 1.25]], dtype=np.float32), leaf([[0.5], [1.5]], dtype=np.float32)
    out = fn(x, y)
    assert out.dtype is tapegrad.float32
    gx, gy = tapegrad.autograd.grad(out.sum(), [x, y])
    assert gx.dtype is tapegrad.float32 and gy.dtype is tapegrad.float32
    check_grads(fn, [x, y], order=2, name=f"{name}[float32]")


SCALAR_FORMS: list[tuple[str, Callable[[Tensor], Tensor]]] = [
    ("x * 2.5", lambda x: x * 2.5), ("2.5 * x", lambda x: 2.5 * x),
    ("x + 2.5", lambda x: x + 2.5), ("2.5 + x", lambda x: 2.5 + x),
    ("x - 2.5", lambda x: x - 2.5), ("2.5 - x", lambda x: 2.5 - x),
    ("x / 2.5", lambda x: x / 2.5), ("2.5 / x", lambda x: 2.5 / x),
    ("x ** 2.5", lambda x: x ** 2.5), ("2.5 ** x", lambda x: 2.5 ** x),
    ("x * 3", lambda x: x * 3), ("3 ** x", lambda x: 3 ** x), ("x ** 2", lambda x: x ** 2),
    ("x * np.float64(2.5)", lambda x: x * np.float64(2.5)),
    ("x * 1e300", lambda x: x * 1e300),
    ("-x", lambda x: -x), ("exp", lambda x: x.exp()), ("log", lambda x: x.log()),
    ("sum", lambda x: x.sum()), ("mean", lambda x: x.mean(dim=0)),
    ("reshape", lambda x: x.reshape(-1)), ("broadcast_to", lambda x: x.broadcast_to(2, 2, 2)),
    ("expand_dims", lambda x: x.expand_dims(0)),
]


@pytest.mark.parametrize("label, fn", SCALAR_FORMS, ids=[f[0] for f in SCALAR_FORMS])
def test_python_scalars_never_widen_float32(label: str, fn: Callable[[Tensor], Tensor]) -> None:
    x = leaf([[0.5, 1.0], [1.5, 2.0]], dtype=np.float32)
    with np.errstate(over="ignore"):
        out = fn(x)
    assert out.dtype is tapegrad.float32, f"{label} gave {out.dtype}"
    assert np_of(out).dtype == np.float32
    with np.errstate(over="ignore", invalid="ignore"):
        (g,) = tapegrad.autograd.grad(out.sum(), [x], create_graph=True)
    assert g.dtype is tapegrad.float32, f"gradient of {label} is {g.dtype}"


def test_scalar_multiplication_dtype_identity() -> None:
    x = leaf([1.0, 2.0], dtype=np.float32)
    assert (x * 2.5).dtype is tapegrad.float32
    assert (2.5 * x).dtype is tapegrad.float32
    assert (x * 2.5).dtype is x.dtype


def test_pow_gradients_at_zero_follow_pytorch():
    """0 where PyTorch masks the formula: d/dx at y == 0 and d/dy at x == 0 (no NaN, no warning)."""
    import warnings

    x = tapegrad.tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    y = tapegrad.tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x ** y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 12.0])
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 0.0, 8.0 * np.log(2.0)])
    s = tapegrad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (0.0 ** s).sum().backward()
    assert s.grad.tolist() == [0.0, 0.0]
