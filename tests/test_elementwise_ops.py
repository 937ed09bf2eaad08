"""The elementwise op library (ops_builtin/elementwise.py): the conformance kit over every op,
values against NumPy and ``math``, PyTorch's conventions at non-differentiable points, the
operator forms, bool results that never require grad, in-place forms, and parameter errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry, plugins
from tapegrad.autograd import grad
from tapegrad.optable import table
from tapegrad.ops_builtin import elementwise
from conftest import EAGER
from tapegrad.testing import check_grads, check_op, parametrize_with_op_checks

from test_kit import known_failures  # the built-ins' edge cases still failing, listed once

OPS = [
    "abs", "sign", "sqrt", "rsqrt", "square", "expm1", "log1p", "log2", "log10",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "tanh", "sinh", "cosh",
    "sigmoid", "relu", "leaky_relu", "softplus", "ndtr", "gelu",
    "clamp_scalar", "maximum", "minimum", "where",
    "floor", "ceil", "round", "floor_divide", "remainder",
    "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isfinite", "isinf",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
]


def f64(values, requires_grad: bool = False) -> tapegrad.Tensor:
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def grad_of(out: tapegrad.Tensor, *inputs: tapegrad.Tensor) -> list[np.ndarray]:
    return [g.detach().numpy() for g in grad(out.sum(), list(inputs))]


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS, expected_failures=known_failures(OPS), backends=EAGER)
def test_conformance(op_check):
    op_check()


def test_the_list_above_is_every_op_the_module_registers():
    registry = Registry("probe")
    elementwise.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(OPS)
    assert {tapegrad.lookup(name).plugin for name in OPS} == {"tapegrad.ops_builtin"}


def test_no_op_needs_to_refuse_second_order():
    registry = Registry("probe")
    elementwise.register(registry)
    assert all(op.second_order for op, _ in registry.ops)


# ---------------------------------------------------------------------------- values against NumPy
REAL, POSITIVE, UNIT = (-2.0, 2.0), (0.2, 3.0), (-0.9, 0.9)
UNARY = {
    "abs": (np.abs, REAL), "sign": (np.sign, REAL), "sqrt": (np.sqrt, POSITIVE),
    "rsqrt": (lambda a: 1 / np.sqrt(a), POSITIVE), "square": (np.square, REAL),
    "expm1": (np.expm1, REAL), "log1p": (np.log1p, (-0.5, 2.0)), "log2": (np.log2, POSITIVE),
    "log10": (np.log10, POSITIVE), "sin": (np.sin, REAL), "cos": (np.cos, REAL), "tan": (np.tan, (-1.2, 1.2)),
    "arcsin": (np.arcsin, UNIT), "arccos": (np.arccos, UNIT), "arctan": (np.arctan, REAL),
    "tanh": (np.tanh, REAL), "sinh": (np.sinh, REAL), "cosh": (np.cosh, REAL),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), REAL), "relu": (lambda a: np.maximum(a, 0), REAL),
    "floor": (np.floor, REAL), "ceil": (np.ceil, REAL), "round": (np.round, REAL),
    "isnan": (np.isnan, REAL), "isfinite": (np.isfinite, REAL), "isinf": (np.isinf, REAL),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_dtype_match_numpy(name, dtype):
    reference, (low, high) = UNARY[name]
    data = np.random.default_rng(0).uniform(low, high, size=(4, 5)).astype(dtype)
    out = getattr(tapegrad, name)(tapegrad.tensor(data))
    want = reference(data)
    assert out.detach().numpy().dtype == want.dtype
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_array_equal(getattr(tapegrad.tensor(data), name)().detach().numpy(), out.detach().numpy())  # method


BINARY = {
    "maximum": np.maximum, "minimum": np.minimum, "floor_divide": np.floor_divide, "remainder": np.remainder,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_match_numpy_with_broadcasting_and_signs(name):
    a = np.array([[-3.0, -1.5, 0.0, 2.0, 2.5]])
    b = np.array([[2.0], [-2.0], [2.5]])
    out = getattr(tapegrad, name)(f64(a), f64(b))
    np.testing.assert_array_equal(out.detach().numpy(), BINARY[name](a, b))
    assert out.shape == (3, 5)


def test_special_values():
    data = f64([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
    assert tapegrad.isnan(data).tolist() == [True, False, False, False, False, False]
    assert tapegrad.isinf(data).tolist() == [False, True, True, False, False, False]
    assert tapegrad.isfinite(data).tolist() == [False, False, False, True, True, True]
    assert np.isnan(tapegrad.relu(data).detach().numpy()[0]) and np.isnan(tapegrad.clamp(data, min=0).detach().numpy()[0])
    assert tapegrad.sigmoid(data).tolist()[1:3] == [1.0, 0.0]


def test_integer_inputs_follow_pytorch_dtypes():
    ints = tapegrad.tensor([1, 4, 9])
    assert tapegrad.sqrt(ints).dtype == tapegrad.float32          # like torch.sqrt(int_tensor)
    assert tapegrad.square(ints).dtype == tapegrad.int64
    assert tapegrad.floor(ints).dtype == tapegrad.int64 and tapegrad.abs(-ints).tolist() == [1, 4, 9]
    assert (ints // 2).tolist() == [0, 2, 4] and (ints // 2).dtype == tapegrad.int64
    assert tapegrad.clamp(ints, min=2, max=5).tolist() == [2, 4, 5]


def test_float32_stays_float32_with_python_scalars():
    x = tapegrad.tensor([1.0, -2.0, 3.0])
    for out in (tapegrad.maximum(x, 0.5), tapegrad.minimum(2.5, x), x % 2.5, x // 0.5, x.clamp(-1.5, 2.5),
                tapegrad.where(x > 0, x, 0.0), tapegrad.leaky_relu(x, 0.3), tapegrad.gelu(x)):
        assert out.dtype == tapegrad.float32


# ---------------------------------------------------------------------------- the error function
def test_ndtr_matches_math_erfc_to_a_few_ulps_in_both_tails():
    xs = np.linspace(-37.0, 12.0, 40001)
    want = np.array([0.5 * math.erfc(-v * math.sqrt(0.5)) for v in xs])
    np.testing.assert_allclose(tapegrad.ndtr(f64(xs)).detach().numpy(), want, rtol=4e-15, atol=0)
    erf_form = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in xs])
    np.testing.assert_allclose(tapegrad.ndtr(f64(xs)).detach().numpy(), erf_form, rtol=0, atol=3e-16)


def test_ndtr_edges_and_float32():
    assert [v if not math.isnan(v) else "nan" for v in
            tapegrad.ndtr(f64([np.nan, np.inf, -np.inf, 0.0, -40.0])).tolist()] == ["nan", 1.0, 0.0, 0.5, 0.0]
    xs = np.linspace(-9, 9, 1001, dtype=np.float32)
    out = tapegrad.ndtr(tapegrad.tensor(xs))
    assert out.dtype == tapegrad.float32
    want = np.array([0.5 * math.erfc(-float(v) * math.sqrt(0.5)) for v in xs])
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=2e-6, atol=1e-7)


def test_ndtr_gradient_is_the_normal_density():
    xs = np.linspace(-8, 8, 33)
    x = f64(xs, requires_grad=True)
    (g,) = grad_of(tapegrad.ndtr(x), x)
    np.testing.assert_allclose(g, np.exp(-xs**2 / 2) / math.sqrt(2 * math.pi), rtol=1e-15)
    assert tapegrad.ndtr(x).grad_fn.name() == "SpecialNdtrBackward0"  # torch.special.ndtr's


# ---------------------------------------------------------------------------- gelu
def test_gelu_exact_against_math_erf():
    xs = np.linspace(-6, 6, 121)
    x = f64(xs, requires_grad=True)
    out = tapegrad.gelu(x)
    by_erf = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in xs])  # PyTorch's formula
    np.testing.assert_allclose(out.detach().numpy(), by_erf, rtol=1e-15, atol=1e-15)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in xs])  # no cancellation in the left tail
    np.testing.assert_allclose(out.detach().numpy(), xs * cdf, rtol=1e-14)
    (g,) = grad_of(out, x)
    np.testing.assert_allclose(g, cdf + xs * np.exp(-xs**2 / 2) / math.sqrt(2 * math.pi), rtol=1e-13, atol=1e-16)
    assert np.array_equal(tapegrad.gelu(x, approximate="none").detach().numpy(), out.detach().numpy())


def test_gelu_tanh_against_pytorch_formula():
    xs = np.linspace(-6, 6, 121)
    x = f64(xs, requires_grad=True)
    out = tapegrad.gelu(x, approximate="tanh")
    k, c = math.sqrt(2 / math.pi), 0.044715
    want = 0.5 * xs * (1 + np.tanh(k * (xs + c * xs**3)))
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-14, atol=1e-16)
    (g,) = grad_of(out, x)
    t = np.tanh(k * (xs + c * xs**3))
    np.testing.assert_allclose(g, 0.5 * (1 + t) + 0.5 * xs * (1 - t**2) * k * (1 + 3 * c * xs**2), rtol=1e-13)
    assert tapegrad.gelu(x, "tanh").tolist() == out.tolist()  # approximate may be positional


def test_gelu_second_derivative():
    xs = np.linspace(-3, 3, 13)
    x = f64(xs, requires_grad=True)
    (d1,) = grad(tapegrad.gelu(x).sum(), [x], create_graph=True)
    (d2,) = grad(d1.sum(), [x])
    np.testing.assert_allclose(d2.detach().numpy(), (2 - xs**2) * np.exp(-xs**2 / 2) / math.sqrt(2 * math.pi), rtol=1e-12)
    check_grads(lambda t: tapegrad.gelu(t, approximate="tanh"), [f64([-1.3, 0.2, 2.0], True)], order=3)


# ---------------------------------------------------------------------------- activations
def test_sigmoid_and_tanh_higher_derivatives():
    xs = np.linspace(-4, 4, 9)
    x = f64(xs, requires_grad=True)
    s = 1 / (1 + np.exp(-xs))
    (d1,) = grad(tapegrad.sigmoid(x).sum(), [x], create_graph=True)
    np.testing.assert_allclose(d1.detach().numpy(), s * (1 - s), rtol=1e-14)
    (d2,) = grad(d1.sum(), [x])
    np.testing.assert_allclose(d2.detach().numpy(), s * (1 - s) * (1 - 2 * s), rtol=1e-12, atol=1e-16)
    (t1,) = grad(tapegrad.tanh(x).sum(), [x], create_graph=True)
    (t2,) = grad(t1.sum(), [x])
    np.testing.assert_allclose(t2.detach().numpy(), -2 * np.tanh(xs) * (1 - np.tanh(xs) ** 2), rtol=1e-12, atol=1e-16)


def test_sigmoid_never_overflows():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = tapegrad.sigmoid(f64([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(out.detach().numpy(), [0.0, 1 / (1 + math.exp(50)), 0.5, 1.0, 1.0], rtol=1e-15)


def test_relu_and_abs_have_zero_gradient_at_zero():
    x = f64([-1.0, 0.0, 2.0], requires_grad=True)
    assert grad_of(tapegrad.relu(x), x)[0].tolist() == [0.0, 0.0, 1.0]
    assert grad_of(tapegrad.abs(x), x)[0].tolist() == [-1.0, 0.0, 1.0]


def test_leaky_relu():
    x = f64([-2.0, 0.0, 3.0], requires_grad=True)
    out = tapegrad.leaky_relu(x)
    assert out.tolist() == [-0.02, 0.0, 3.0]
    assert grad_of(out, x)[0].tolist() == [0.01, 0.01, 1.0]  # PyTorch: x > 0 ? 1 : slope
    assert tapegrad.leaky_relu(x, negative_slope=0.5).tolist() == [-1.0, 0.0, 3.0]
    assert tapegrad.leaky_relu(x, 0.5).tolist() == [-1.0, 0.0, 3.0]


@pytest.fixture
def softplus():
    return tapegrad.ops.softplus


def test_softplus_values_threshold_and_gradient(softplus):
    xs = np.array([-1000.0, -3.0, 0.0, 2.0, 19.0, 21.0, 1000.0])
    x = f64(xs, requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = softplus(x)
    want = np.where(xs > 20, xs, np.logaddexp(0, xs))
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-15)
    np.testing.assert_allclose(grad_of(out, x)[0], np.where(xs > 20, 1.0, 0.5 + 0.5 * np.tanh(xs / 2)), rtol=1e-15)
    beta = softplus(x, beta=2.0, threshold=5.0).detach().numpy()
    np.testing.assert_allclose(beta, np.where(2 * xs > 5, xs, np.logaddexp(0, 2 * xs) / 2), rtol=1e-15)
    assert softplus(x, 2.0, 5.0).tolist() == beta.tolist()


# ---------------------------------------------------------------------------- clamp
def test_clamp_with_only_min_only_max_and_both():
    x = f64([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    low = x.clamp(min=0.0)
    assert low.tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert grad_of(low, x)[0].tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]  # the boundary passes the gradient
    high = x.clamp(max=0.0)
    assert high.tolist() == [-2.0, -1.0, 0.0, 0.0, 0.0]
    assert grad_of(high, x)[0].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    both = x.clamp(-1, 1)
    assert both.tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert grad_of(both, x)[0].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    crossed = tapegrad.clamp(x, min=1.0, max=-1.0)  # min > max: every element is max, as PyTorch's
    assert crossed.tolist() == [-1.0] * 5 and grad_of(crossed, x)[0].tolist() == [0.0] * 5


def test_clip_is_clamp():
    x = f64([-2.0, 0.5, 2.0])
    assert tapegrad.clip is tapegrad.clamp
    assert x.clip(0, 1).tolist() == x.clamp(0, 1).tolist() == [0.0, 0.5, 1.0]
    assert tapegrad.clamp(x, max=1.0).grad_fn is None  # nothing requires grad


def test_clamp_in_place():
    t = f64([-2.0, 0.5, 2.0])
    assert t.clamp_(0.0, 1.0) is t and t.tolist() == [0.0, 0.5, 1.0]
    t.clip_(max=0.25)
    assert t.tolist() == [0.0, 0.25, 0.25]
    x = f64([-1.0, 0.2, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.clamp_(min=0)
    y = x * 2
    y.clamp_(max=1.0)
    assert y.grad_fn.name() == "ClampBackward1"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0]


def test_clamp_bad_params():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max' must not be None"):
        x.clamp()
    with pytest.raises(TypeError, match="clamp\\(\\): min must be a real number, a tensor or None, got str"):
        x.clamp(min="0")
    assert x.clamp(max=f64(1.0)).tolist() == [1.0, 1.0]  # tensor bounds: tests/test_elementwise_more.py


# ---------------------------------------------------------------------------- maximum, minimum
def test_maximum_and_minimum_split_ties_evenly():
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = f64([1.0, 5.0, 0.0], requires_grad=True)
    gx, gy = grad_of(tapegrad.maximum(x, y), x, y)
    assert gx.tolist() == [0.5, 0.0, 1.0] and gy.tolist() == [0.5, 1.0, 0.0]
    gx, gy = grad_of(x.minimum(y), x, y)
    assert gx.tolist() == [0.5, 1.0, 0.0] and gy.tolist() == [0.5, 0.0, 1.0]


def test_maximum_ties_under_broadcasting_and_with_python_scalars():
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = f64(2.0, requires_grad=True)
    gx, gy = grad_of(tapegrad.maximum(x, y), x, y)
    assert gx.tolist() == [0.0, 0.5, 1.0] and gy.tolist() == 1.5
    (gx,) = grad_of(tapegrad.minimum(2.0, x), x)
    assert gx.tolist() == [1.0, 0.5, 0.0]


# ---------------------------------------------------------------------------- where
def test_where_broadcasts_and_routes_gradients():
    cond = tapegrad.tensor([[True], [False]])
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = f64(-1.0, requires_grad=True)
    out = tapegrad.where(cond, x, y)
    assert out.shape == (2, 3) and out.tolist() == [[1.0, 2.0, 3.0], [-1.0, -1.0, -1.0]]
    gx, gy = grad_of(out, x, y)
    assert gx.tolist() == [1.0, 1.0, 1.0] and gy.tolist() == 3.0
    assert out.grad_fn.name() == "WhereBackward0"
    check_grads(lambda a, b: tapegrad.where(cond, a, b), [f64([[0.5, 1.0, 2.0]], True), f64([[3.0], [4.0]], True)],
                order=2)


def test_where_with_python_scalars_and_bool_condition():
    x = f64([-1.0, 2.0], requires_grad=True)
    out = tapegrad.where(x > 0, x, 0.0)
    assert out.tolist() == [0.0, 2.0] and grad_of(out, x)[0].tolist() == [0.0, 1.0]
    assert tapegrad.where(x > 0, 1.0, -1.0).tolist() == [-1.0, 1.0]
    assert tapegrad.where(True, x, 5.0).tolist() == [-1.0, 2.0]


def test_where_errors():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got .*float64"):
        tapegrad.where(x, x, x)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        tapegrad.where(x > 0, x, f64([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------------------- rounding, division
def test_rounding_values_and_zero_gradients():
    x = f64([-1.5, -0.5, 0.5, 1.5, 2.5, 2.26], requires_grad=True)
    assert tapegrad.round(x).tolist() == [-2.0, -0.0, 0.0, 2.0, 2.0, 2.0]  # halves to even, as PyTorch
    assert x.round(decimals=1).tolist() == [-1.5, -0.5, 0.5, 1.5, 2.5, 2.3]
    assert tapegrad.round(f64([149.0, 151.0]), decimals=-2).tolist() == [100.0, 200.0]
    assert x.floor().tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0, 2.0]
    assert x.ceil().tolist() == [-1.0, -0.0, 1.0, 2.0, 3.0, 3.0]
    for op in (tapegrad.floor, tapegrad.ceil, tapegrad.round, tapegrad.sign):
        (g,) = grad_of(op(x), x)
        assert g.tolist() == [0.0] * 6


def test_floor_divide_never_requires_grad():
    x = f64([7.0, -7.0, 5.5], requires_grad=True)
    out = tapegrad.floor_divide(x, 2.0)
    assert out.tolist() == [3.0, -4.0, 2.0]  # floor, not truncation
    assert not out.requires_grad and out.grad_fn is None


def test_remainder_gradients_follow_pytorch():
    x = f64([7.0, -7.0, 5.5, 1.0], requires_grad=True)
    y = f64([2.0, 2.0, -2.0, 3.0], requires_grad=True)
    out = tapegrad.remainder(x, y)
    assert out.tolist() == [1.0, 1.0, -0.5, 1.0]  # the sign of the divisor, as Python's %
    gx, gy = grad_of(out, x, y)
    assert gx.tolist() == [1.0] * 4
    assert gy.tolist() == (-np.floor(x.detach().numpy() / y.detach().numpy())).tolist() == [-3.0, 4.0, 3.0, -0.0]


# ---------------------------------------------------------------------------- comparisons and logic
def test_operator_forms():
    x = f64([1.0, 2.0, 3.0])
    y = f64([1.0, 0.0, 3.0])
    assert (x == y).tolist() == [True, False, True]
    assert (x != y).tolist() == [False, True, False]
    assert (x < 2).tolist() == [True, False, False]
    assert (2 < x).tolist() == [False, False, True]
    assert (x <= 2.0).tolist() == [True, True, False]
    assert (x >= y).tolist() == [True, True, True]
    assert (2 >= x).tolist() == [True, True, False]
    mask = x > 1.5
    assert (~mask).tolist() == [True, False, False]
    assert (mask & (x < 3)).tolist() == [False, True, False]
    assert (mask | (x < 1.5)).tolist() == [True, True, True]
    assert (mask ^ (x > 0)).tolist() == [True, False, False]
    assert abs(f64([-1.5, 2.0])).tolist() == [1.5, 2.0]
    assert (x // 2).tolist() == [0.0, 1.0, 1.0]
    assert (7 // x).tolist() == [7.0, 3.0, 2.0]
    assert (x % 3).tolist() == [1.0, 2.0, 0.0]
    assert (f64([-1.0, 4.0]) % 3).tolist() == [2.0, 1.0]
    assert (7 % x).tolist() == [0.0, 1.0, 1.0]


def test_augmented_and_in_place_forms():
    t = f64([5.0, 7.0])
    t //= 2
    assert t.tolist() == [2.0, 3.0]
    t %= 2
    assert t.tolist() == [0.0, 1.0]
    m = tapegrad.tensor([True, False, True])
    m &= tapegrad.tensor([True, True, False])
    assert m.tolist() == [True, False, False]
    s = f64([4.0, 9.0])
    assert s.sqrt_() is s and s.tolist() == [2.0, 3.0]
    a = f64([-1.0, 1.0])
    a.abs_().neg_()
    assert a.tolist() == [-1.0, -1.0]
    r = f64([-1.0, 2.0])
    r.relu_()
    assert r.tolist() == [0.0, 2.0]


def test_bool_results_never_require_grad():
    x = f64([1.0, -2.0], requires_grad=True)
    y = f64([1.0, 3.0], requires_grad=True)
    results = [x == y, x != y, x < y, x <= y, x > y, x >= y, x.eq(y), x.gt(0), tapegrad.greater(x, y),
               tapegrad.logical_and(x, y), tapegrad.logical_or(x, 0), tapegrad.logical_xor(x, y),
               tapegrad.logical_not(x), x.isnan(), x.isfinite(), x.isinf()]
    for out in results:
        assert out.dtype == tapegrad.bool
        assert not out.requires_grad and out.grad_fn is None


def test_logical_ops_take_any_dtype_nonzero_meaning_true():
    x = f64([0.0, 1.5, -2.0, 0.0])
    y = tapegrad.tensor([1, 0, 3, 0])
    assert tapegrad.logical_and(x, y).tolist() == [False, False, True, False]
    assert tapegrad.logical_or(x, y).tolist() == [True, True, True, False]
    assert tapegrad.logical_xor(x, y).tolist() == [True, True, False, False]
    assert tapegrad.logical_not(x).tolist() == [True, False, False, True]
    assert tapegrad.logical_and(x, True).tolist() == [False, True, True, False]


def test_comparison_aliases_and_shape_errors():
    x, y = f64([1.0, 2.0]), f64([2.0, 2.0])
    for alias, name in (("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"), ("greater", "gt"),
                        ("greater_equal", "ge")):
        assert getattr(tapegrad, alias) is getattr(tapegrad, name)
        assert getattr(x, alias)(y).tolist() == getattr(x, name)(y).tolist()
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        x == f64([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="must match the size"):
        tapegrad.logical_and(x, f64([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------------------- names, aliases, docs, errors
NODE_NAMES = {
    "abs": "AbsBackward0", "sqrt": "SqrtBackward0", "square": "PowBackward0", "log1p": "Log1PBackward0",
    "arcsin": "AsinBackward0", "arccos": "AcosBackward0", "arctan": "AtanBackward0", "sigmoid": "SigmoidBackward0",
    "relu": "ReluBackward0", "leaky_relu": "LeakyReluBackward0", "gelu": "GeluBackward0",
}


@pytest.mark.parametrize("name", sorted(NODE_NAMES))
def test_pytorch_node_names(name):
    out = getattr(tapegrad, name)(f64([0.3, 0.6], requires_grad=True))
    assert f"<{NODE_NAMES[name]}>" in repr(out)


def test_aliases_and_methods():
    x = f64([0.25, 0.5])
    for alias, name in (("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"), ("absolute", "abs")):
        assert getattr(tapegrad, alias) is getattr(tapegrad, name)
        assert getattr(x, alias)().tolist() == getattr(x, name)().tolist()
    t = f64([0.25, 0.5])
    t.asin_()
    assert t.tolist() == np.arcsin([0.25, 0.5]).tolist()


def test_forward_docstrings_become_op_docs():
    assert tapegrad.sqrt.__doc__.startswith("Square root")
    assert "ties" in tapegrad.maximum.__doc__
    assert "Cody" in tapegrad.ndtr.__doc__


def test_bad_params_are_clear_errors():
    x = f64([1.0, -1.0])
    with pytest.raises(ValueError, match="gelu\\(\\): approximate must be 'none' or 'tanh', got 'tan'"):
        tapegrad.gelu(x, approximate="tan")
    with pytest.raises(TypeError, match="leaky_relu\\(\\): negative_slope must be a real number, got str"):
        tapegrad.leaky_relu(x, negative_slope="0.1")
    with pytest.raises(TypeError, match="round\\(\\): decimals must be an int, got float"):
        x.round(decimals=1.5)


def test_softplus_bad_params(softplus):
    with pytest.raises(TypeError, match="softplus\\(\\): beta must be a real number, got NoneType"):
        softplus(f64([1.0]), beta=None)


# ---------------------------------------------------------------------------- other backends
def test_gelu_and_where_on_array_api_strict():
    if "array_api_strict" not in table().backends:
        pytest.skip("the array_api_strict backend plugin is not installed")
    data = np.array([-2.0, -0.3, 0.0, 0.7, 4.0])
    x = f64(data, requires_grad=True)
    moved = x.to("array_api_strict")
    out = tapegrad.where(moved > 0, tapegrad.gelu(moved), tapegrad.ndtr(moved))
    (g,) = grad(out.sum(), [x])
    ref = tapegrad.where(x > 0, tapegrad.gelu(x), tapegrad.ndtr(x))
    (g_ref,) = grad(ref.sum(), [x])
    np.testing.assert_allclose(np.asarray(out.detach().to("numpy").detach().numpy()), ref.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(g.detach().numpy(), g_ref.detach().numpy(), rtol=1e-15)
