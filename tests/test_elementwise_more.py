"""The ops of ops_builtin/elementwise_more.py and special_functions.py: the conformance kit on
every op (first and second order, broadcasting, Python scalars, backends, references, special
points), their bindings as PyTorch has them, and properties over random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad
from tapegrad.autograd import grad
from tapegrad.ops_builtin import elementwise_more, special_functions
from conftest import EAGER
from tapegrad.testing import parametrize_with_op_checks
from tapegrad.optable import table

NEW_OPS = sorted(op.name for op in table().canonical_ops()
                 if op.forward.__module__ in (elementwise_more.__name__, special_functions.__name__))


@parametrize_with_op_checks(NEW_OPS + ["clamp_scalar"], backends=EAGER)
def test_conformance(op_check):
    op_check()


# ---------------------------------------------------------------------------- bindings
TOP_LEVEL_AND_METHODS = [
    "reciprocal", "exp2", "logaddexp", "logaddexp2", "logit", "sinc", "hypot", "atan2", "arctan2", "fmod",
    "trunc", "fix", "frac", "lerp", "copysign", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
    "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "xlogy", "nan_to_num", "clamp_min", "clamp_max",
    "clamp", "clip", "sgn", "signbit", "heaviside", "deg2rad", "rad2deg"]
NO_INPLACE = {"logaddexp", "logaddexp2", "signbit", "polygamma"}


@pytest.mark.parametrize("name", TOP_LEVEL_AND_METHODS)
def test_bound_as_function_method_and_inplace_method(name):
    assert callable(getattr(tapegrad, name))
    assert callable(getattr(tapegrad.Tensor, name))
    assert hasattr(tapegrad.Tensor, name + "_") == (name not in NO_INPLACE)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma", "xlogy",
                                  "expit", "logit", "exp2", "expm1", "log1p", "sinc", "round", "ndtr",
                                  "logsumexp", "softmax", "log_softmax", "i0", "i1"])
def test_torch_special_names(name):
    import tapegrad.special as special
    assert callable(getattr(special, name))


def test_no_top_level_names_torch_lacks():
    for name in ("gammaln", "expit", "psi", "i1", "iv", "log_expit"):
        assert not hasattr(tapegrad, name), name


def test_special_aliases_are_the_same_ops():
    x = tapegrad.tensor([0.5, 1.5], dtype=tapegrad.float64, requires_grad=True)
    assert tapegrad.special.gammaln(x).grad_fn.name() == "LgammaBackward0"
    assert tapegrad.special.expit(x).grad_fn.name() == "SigmoidBackward0"
    assert tapegrad.special.psi(x).tolist() == tapegrad.digamma(x).tolist()


def test_square_inplace():
    y = tapegrad.tensor([1.0, -2.0], requires_grad=True) * 1
    assert y.square_() is y and y.tolist() == [1.0, 4.0] and y.grad_fn.name() == "PowBackward0"


# ---------------------------------------------------------------------------- PyTorch's conventions
def f64(values, requires_grad: bool = True) -> tapegrad.Tensor:
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def test_clamp_tensor_bounds_broadcast_and_get_gradients():
    x = f64([[0.5, -1.0, 2.0]])
    lo, hi = f64([0.0, 0.0, 0.0]), f64([[1.0], [1.5]])
    out = tapegrad.clamp(x, min=lo, max=hi)
    assert out.shape == (2, 3) and out.grad_fn.name() == "ClampBackward0"
    gx, glo, ghi = grad(out.sum(), [x, lo, hi])
    assert gx.tolist() == [[2.0, 0.0, 0.0]] and glo.tolist() == [0.0, 2.0, 0.0] and ghi.tolist() == [[1.0], [1.0]]


def test_clamp_refuses_a_tensor_and_a_number_as_pytorch():
    with pytest.raises(TypeError, match="both numbers or both tensors"):
        tapegrad.clamp(f64([1.0]), min=f64([0.0]), max=0.5)
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max'"):
        tapegrad.clamp(f64([1.0]))


def test_clamp_inplace_with_tensor_bounds():
    y = f64([0.5, 3.0]) * 1
    assert y.clamp_(max=f64([1.0, 1.0], requires_grad=False)) is y
    assert y.tolist() == [0.5, 1.0] and y.grad_fn.name() == "ClampBackward0"


def test_polygamma_takes_the_order_first_and_refuses_bad_orders():
    x = f64([1.0])
    assert math.isclose(tapegrad.polygamma(1, x).item(), math.pi ** 2 / 6, rel_tol=1e-15)
    assert x.polygamma(1).item() == tapegrad.polygamma(1, x).item()
    with pytest.raises(RuntimeError, match="does not support negative n"):
        tapegrad.polygamma(-1, x)
    with pytest.raises(TypeError, match="must be int"):
        tapegrad.polygamma(1.5, x)


def test_digamma_second_order_through_polygamma():
    x = f64([0.7, 3.2])
    (d1,) = grad(tapegrad.digamma(x).sum(), [x], create_graph=True)
    (d2,) = grad(d1.sum(), [x])
    np.testing.assert_allclose(d2.numpy(), tapegrad.polygamma(2, x).detach().numpy(), rtol=1e-14)


def test_integer_inputs_follow_pytorch():
    i = tapegrad.tensor([1, 2])
    assert tapegrad.erf(i).dtype == tapegrad.float32 and tapegrad.trunc(i).dtype == tapegrad.int64
    assert tapegrad.sgn(i).dtype == tapegrad.int64 and tapegrad.signbit(i).dtype == tapegrad.bool
    with pytest.raises(NotImplementedError, match="frac_cpu"):
        tapegrad.frac(i)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tapegrad.fmod(i, 0)


def test_lerp_refuses_mixed_dtypes_as_pytorch():
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        tapegrad.lerp(tapegrad.ones(2), tapegrad.ones(2, dtype=tapegrad.float64), 0.5)


def test_heaviside_refuses_a_number_and_mixed_dtypes():
    with pytest.raises(TypeError, match="must be Tensor"):
        tapegrad.heaviside(tapegrad.ones(2), 0.5)
    with pytest.raises(RuntimeError, match="different dtypes"):
        tapegrad.heaviside(tapegrad.ones(2), tapegrad.ones(1, dtype=tapegrad.float64))


# ---------------------------------------------------------------------------- properties
finite = st.floats(-30, 30, allow_nan=False, width=64)
arrays = hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=finite)


@settings(max_examples=40, deadline=None)
@given(arrays, arrays)
def test_logaddexp_is_symmetric_and_bounds_the_maximum(a, b):
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return
    x, y = tapegrad.from_numpy(a), tapegrad.from_numpy(b)
    out = tapegrad.logaddexp(x, y).numpy()
    np.testing.assert_array_equal(out, tapegrad.logaddexp(y, x).numpy())
    assert np.all(out >= np.maximum(a, b)) and np.all(out <= np.maximum(a, b) + math.log(2) + 1e-12)
    np.testing.assert_allclose(tapegrad.logaddexp2(x, y).numpy(), np.logaddexp2(a, b), rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5), elements=st.floats(-0.999, 0.999)))
def test_erfinv_inverts_erf(a):
    y = tapegrad.erfinv(tapegrad.from_numpy(a))
    np.testing.assert_allclose(tapegrad.erf(y).numpy(), a, rtol=1e-14, atol=1e-16)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5), elements=st.floats(0.01, 50)))
def test_gamma_recurrences(a):
    x = tapegrad.from_numpy(a)
    # lgamma(x + 1) = lgamma(x) + log(x); digamma(x + 1) = digamma(x) + 1/x
    np.testing.assert_allclose(tapegrad.lgamma(x + 1).numpy(), tapegrad.lgamma(x).numpy() + np.log(a),
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(tapegrad.digamma(x + 1).numpy(), tapegrad.digamma(x).numpy() + 1 / a,
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(tapegrad.polygamma(1, x + 1).numpy(), tapegrad.polygamma(1, x).numpy() - 1 / a ** 2,
                               rtol=1e-12, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(arrays, arrays, arrays)
def test_clamp_with_tensor_bounds_is_maximum_then_minimum(a, lo, hi):
    try:
        np.broadcast_shapes(a.shape, lo.shape, hi.shape)
    except ValueError:
        return
    out = tapegrad.clamp(tapegrad.from_numpy(a), min=tapegrad.from_numpy(lo), max=tapegrad.from_numpy(hi))
    np.testing.assert_array_equal(out.numpy(), np.minimum(np.maximum(a, lo), hi))


@settings(max_examples=40, deadline=None)
@given(arrays, st.floats(-3, 3).filter(lambda v: abs(v) > 0.1))
def test_fmod_has_the_sign_of_x_and_is_below_the_divisor(a, d):
    out = tapegrad.fmod(tapegrad.from_numpy(a), d).numpy()
    np.testing.assert_array_equal(out, np.fmod(a, d))
    assert np.all(np.abs(out) < abs(d))
