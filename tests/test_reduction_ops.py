"""The reduction ops (ops_builtin/reductions.py): the conformance kit over every op (first and
second order, array_api_strict too), values against NumPy for every ``dim``/``keepdim`` form,
PyTorch's gradients at ties, at zeros and at 0, numerically stable softmax, variance
corrections, norm kinds, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry, Tensor
from tapegrad.autograd import grad
from tapegrad.ops_builtin import reductions
from conftest import EAGER
from tapegrad.testing import check_grads, parametrize_with_op_checks

from test_kit import known_failures  # the built-ins' edge cases still failing, listed once

OPS = ["prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std", "norm",
       "logsumexp", "softmax", "log_softmax", "cumsum", "all", "any"]

RNG = np.random.default_rng(20241126)
X = RNG.uniform(-2.0, 2.0, size=(2, 3, 4))  # distinct values: no ties unless a test makes them


def f64(values, requires_grad: bool = False) -> Tensor:
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def arr(t: Tensor) -> np.ndarray:
    return t.detach().numpy()


def grad_of(out: Tensor, x: Tensor) -> np.ndarray:
    (g,) = grad(out.sum(), [x])
    return arr(g)


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS, expected_failures=known_failures(OPS), backends=EAGER)
def test_conformance(op_check):
    op_check()


def test_the_list_above_is_every_op_the_module_adds():
    registry = Registry("probe")
    reductions.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(OPS + ["sum", "mean"])
    assert {tapegrad.lookup(name).plugin for name in OPS} == {"tapegrad.ops_builtin"}


def test_logsumexp_matches_numpy_and_is_stable():
    for dim in (None, 0, (1, 2), -1):
        for keepdim in (False, True):
            axis = dim if dim is None else dim
            m = np.max(X, axis=axis, keepdims=True)
            want = np.log(np.sum(np.exp(X - m), axis=axis, keepdims=True)) + m
            if not keepdim:
                want = np.squeeze(want, axis=axis) if axis is not None else want.reshape(())
            np.testing.assert_allclose(arr(tapegrad.logsumexp(f64(X), dim=dim, keepdim=keepdim)), want)
    big = f64([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(arr(big.logsumexp(0)), 1000.0 + math.log(2.0))
    with np.errstate(divide="ignore"):  # log(0), as NumPy warns
        assert arr(tapegrad.logsumexp(f64([-math.inf, -math.inf]))) == -math.inf


# ---------------------------------------------------------------------------- values against NumPy
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), [1], ()]


def np_axis(dim):
    return None if dim is None or dim == () else (tuple(dim) if isinstance(dim, (tuple, list)) else dim)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name,reference", [
    ("prod", np.prod), ("amax", np.max), ("amin", np.min), ("all", np.all), ("any", np.any),
    ("var", lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1)),
    ("std", lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1)),
    ("norm", lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))),
])
def test_values_for_every_dim_form(name, reference, dim, keepdim):
    data = np.where(np.abs(X) < 0.3, 0.0, X) if name in ("all", "any") else X
    got = getattr(tapegrad, name)(f64(data), dim=dim, keepdim=keepdim)
    want = reference(data, axis=np_axis(dim), keepdims=keepdim)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(arr(got), want, rtol=1e-12)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, dim, keepdim):
    got = getattr(tapegrad, name)(f64(X), dim=dim, keepdim=keepdim)
    want = getattr(np, name)(X, axis=dim, keepdims=keepdim)
    assert got.dtype is tapegrad.int64 and not got.requires_grad
    assert got.shape == np.shape(want)
    np.testing.assert_array_equal(arr(got), want)


def test_arg_extrema_pick_the_first_tie_and_take_one_dim():
    x = f64([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(1).tolist() == [0, 2]
    assert x.argmax().tolist() == 1 and x.argmax(keepdim=True).shape == (1, 1)
    assert tapegrad.argmax(f64(5.0), dim=0).tolist() == 0
    with pytest.raises(TypeError, match="single int"):
        x.argmax(dim=(0, 1))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_log_softmax_cumsum_along_one_dim(dim):
    x = f64(X)
    e = np.exp(X - X.max(axis=dim, keepdims=True))
    want = e / e.sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(arr(x.softmax(dim)), want, rtol=1e-12)
    np.testing.assert_allclose(arr(tapegrad.log_softmax(x, dim=dim)), np.log(want), rtol=1e-12)
    np.testing.assert_allclose(arr(x.cumsum(dim)), np.cumsum(X, axis=dim), rtol=1e-12)
    np.testing.assert_allclose(arr(tapegrad.softmax(x, axis=dim)), want, rtol=1e-12)


def test_positional_params_and_numpy_spellings():
    x = f64(X)
    np.testing.assert_allclose(arr(x.prod(1, True)), np.prod(X, axis=1, keepdims=True))
    np.testing.assert_allclose(arr(x.amax(axis=(0, 1), keepdims=True)), np.max(X, axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(arr(x.var(1, False)), np.var(X, axis=1))  # var(dim, unbiased)
    np.testing.assert_allclose(arr(x.var(1, True, True)), np.var(X, axis=1, ddof=1, keepdims=True))
    np.testing.assert_allclose(arr(x.std(ddof=0)), np.std(X))
    np.testing.assert_allclose(arr(x.norm(1, 0)), np.abs(X).sum(axis=0))
    np.testing.assert_allclose(arr(x.norm(ord=math.inf, axis=-1)), np.abs(X).max(axis=-1))
    assert x.all(0, True).shape == (1, 3, 4) and x.any(keepdims=True).shape == (1, 1, 1)


def test_dtypes_follow_pytorch():
    ints = tapegrad.tensor([[1, 2], [3, 4]], dtype=tapegrad.int32)
    assert ints.prod().dtype is tapegrad.int64 and ints.prod().tolist() == 24
    assert ints.cumsum(0).dtype is tapegrad.int64
    assert ints.amax().dtype is tapegrad.int32
    assert ints.all().dtype is tapegrad.bool and ints.any(0).dtype is tapegrad.bool
    x32 = tapegrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    for out in (x32.prod(), x32.amax(0), x32.var(), x32.std(1), x32.norm(), x32.softmax(0),
                x32.log_softmax(1), x32.cumsum(0)):
        assert out.dtype is tapegrad.float32
    assert x32.softmax(0, dtype=tapegrad.float64).dtype is tapegrad.float64
    assert x32.cumsum(1, dtype=tapegrad.float64).dtype is tapegrad.float64
    assert tapegrad.tensor([True, False, True]).cumsum(0).tolist() == [1, 1, 2]


# ---------------------------------------------------------------------------- max and min: PyTorch's forms
def test_max_min_without_dim_is_the_extreme_value():
    x = f64(X)
    assert isinstance(x.max(), Tensor) and arr(x.max()) == X.max() and arr(tapegrad.min(x)) == X.min()


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_min_with_dim_return_values_and_indices(dim, keepdim):
    x = f64(X)
    for name, values, indices in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
        result = getattr(x, name)(dim, keepdim=keepdim)
        np.testing.assert_array_equal(arr(result.values), values(X, axis=dim, keepdims=keepdim))
        np.testing.assert_array_equal(arr(result.indices), indices(X, axis=dim, keepdims=keepdim))
        v, i = getattr(tapegrad, name)(x, dim=dim, keepdim=keepdim)
        assert result[0] is not None and v.shape == i.shape == result.values.shape
        assert type(result).__name__ == name and i.dtype is tapegrad.int64
    assert x.max(axis=1, keepdims=True).values.shape == (2, 1, 4)


def test_max_min_of_two_tensors_is_elementwise():
    a, b = f64([1.0, 5.0]), f64([3.0, 2.0])
    assert tapegrad.max(a, b).tolist() == [3.0, 5.0] and a.min(b).tolist() == [1.0, 2.0]


def test_max_refuses_several_dims_and_unknown_keywords():
    with pytest.raises(TypeError, match="single int.*amax"):
        f64(X).max(dim=(0, 1))
    with pytest.raises(TypeError, match="unexpected keyword argument 'dims'"):
        f64(X).max(dims=0)


# ---------------------------------------------------------------------------- ties split the gradient evenly
def test_amax_amin_split_ties_evenly():
    x = f64([[1.0, 3.0, 3.0], [2.0, 0.0, 5.0], [4.0, 4.0, 4.0]], requires_grad=True)
    np.testing.assert_allclose(grad_of(x.amax(1), x), [[0, 0.5, 0.5], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(grad_of(x.amin(0), x), [[1, 0, 1], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_allclose(grad_of(x.amax(), x), [[0, 0, 0], [0, 0, 1], [0, 0, 0]])
    y = f64([2.0, 7.0, 7.0, 7.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(y.amax(), y), [0, 1 / 3, 1 / 3, 1 / 3])


def test_max_min_split_ties_evenly_without_dim_and_pick_the_index_with_dim():
    # max(): PyTorch splits evenly (evenly_distribute_backward). max(dim): PyTorch routes all of it
    # to the returned index (the first of the tie), and so does tapegrad.
    x = f64([[1.0, 3.0, 3.0], [2.0, 0.0, 5.0]], requires_grad=True)
    np.testing.assert_allclose(grad_of(x.min(), x), [[0, 0, 0], [0, 1, 0]])
    np.testing.assert_allclose(grad_of(x.max(1).values, x), [[0, 1, 0], [0, 0, 1]])
    y = f64([3.0, 1.0, 3.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(y.max(), y), [0.5, 0, 0.5])


def test_infinite_extrema_get_the_gradient():
    x = f64([math.inf, 1.0, math.inf], requires_grad=True)
    np.testing.assert_allclose(grad_of(x.amax(), x), [0.5, 0, 0.5])
    y = f64([-math.inf, 1.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(y.amin(), y), [1, 0])


def test_extrema_second_order_is_zero_and_first_order_is_exact_off_ties():
    x = f64(X, requires_grad=True)
    for name in ("amax", "amin"):
        for dim in (None, 1, (0, 2)):
            check_grads(lambda t: getattr(t, name)(dim), [x], order=2)


# ---------------------------------------------------------------------------- prod at zeros
def test_prod_gradient_is_the_product_of_the_others():
    x = f64([[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 5.0, 0.0]], requires_grad=True)
    np.testing.assert_allclose(grad_of(x.prod(1), x), [[12, 8, 6], [0, 8, 0], [0, 0, 0]])
    np.testing.assert_allclose(grad_of(x.prod(0), x), [[0, 0, 0], [0, 15, 0], [4, 0, 16]])
    np.testing.assert_allclose(grad_of(x.prod(), x), np.zeros((3, 3)))
    y = f64([3.0, 0.0, -2.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(y.prod(), y), [0, -6, 0])


def test_prod_second_order_with_one_zero_per_slice():
    x = f64([[0.5, 0.0, -1.5], [1.2, 0.7, 0.0], [0.9, -1.1, 1.3]], requires_grad=True)
    check_grads(lambda t: t.prod(1), [x], order=2)
    check_grads(lambda t: t.prod(), [f64([0.5, 0.0, -1.5, 2.0], requires_grad=True)], order=2)
    # two zeros in one slice: first order is exact (second order is documented to drop terms)
    check_grads(lambda t: t.prod(1), [f64([[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)], order=1)


def test_prod_hessian_without_zeros():
    x = f64([1.5, -0.5, 2.0], requires_grad=True)
    (g,) = grad(x.prod(), [x], create_graph=True)
    hessian = np.stack([arr(grad(g[i], [x], retain_graph=True)[0]) for i in range(3)])
    np.testing.assert_allclose(hessian, [[0, 2.0, -0.5], [2.0, 0, 1.5], [-0.5, 1.5, 0]])


# ---------------------------------------------------------------------------- softmax, log_softmax
def test_softmax_rows_sum_to_one_and_large_inputs_stay_finite():
    x = f64([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0], [1e4, 0.0, -1e4]])
    s = arr(x.softmax(1))
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    reference = np.exp(np.array([[-1.0, 0.0, -2.0], [0.0, -2.0, -1.0], [0.0, -1e4, -2e4]]))
    reference /= reference.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(s, reference, rtol=1e-14)
    log = arr(x.log_softmax(1))
    assert np.isfinite(log).all()
    np.testing.assert_allclose(log[2], [0.0, -1e4, -2e4])  # exact where softmax itself rounds to 0
    np.testing.assert_allclose(np.exp(log), reference, rtol=1e-14)


def test_softmax_float32_large_inputs():
    x = tapegrad.tensor([[88.0, 89.0, 90.0], [-1e30, 0.0, 1e30]])
    s = arr(x.softmax(-1))
    assert s.dtype == np.float32 and np.isfinite(s).all()
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-6)


def test_softmax_masked_with_minus_infinity():
    x = f64([[0.0, -math.inf, 0.0]], requires_grad=True)
    np.testing.assert_allclose(arr(x.softmax(1)), [[0.5, 0.0, 0.5]])
    np.testing.assert_allclose(arr(x.log_softmax(1)), [[-math.log(2), -math.inf, -math.log(2)]])
    assert np.isfinite(grad_of(x.softmax(1) * f64([[1.0, 2.0, 3.0]]), x)).all()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_gradients_at_large_inputs_and_third_order(name):
    big = f64([[300.0, 301.5, 299.0], [-500.0, -499.0, -501.0]], requires_grad=True)
    check_grads(lambda t: getattr(t, name)(1), [big], order=2)
    check_grads(lambda t: getattr(t, name)(0), [f64(X[0], requires_grad=True)], order=3)


def test_softmax_requires_a_float_input_and_a_dim():
    with pytest.raises(RuntimeError, match="floating point"):
        tapegrad.tensor([1, 2, 3]).softmax(0)
    assert tapegrad.tensor([1, 2, 3]).softmax(0, dtype=tapegrad.float32).dtype is tapegrad.float32
    with pytest.raises(TypeError):
        tapegrad.softmax(f64([1.0, 2.0]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        f64([1.0, 2.0]).log_softmax(1)


# ---------------------------------------------------------------------------- var and std corrections
@pytest.mark.parametrize("correction", [0, 1, 2, 0.5])
def test_var_std_corrections(correction):
    x = f64(X)
    for dim in (None, 1, (0, 2)):
        axis = np_axis(dim)
        n = X.size if dim is None else math.prod(X.shape[a] for a in np.atleast_1d(axis))
        want = np.sum((X - X.mean(axis=axis, keepdims=True)) ** 2, axis=axis) / (n - correction)
        np.testing.assert_allclose(arr(x.var(dim, correction=correction)), want, rtol=1e-12)
        np.testing.assert_allclose(arr(tapegrad.std(x, dim=dim, correction=correction)), np.sqrt(want), rtol=1e-12)
        check_grads(lambda t: t.std(dim, correction=correction), [f64(X, requires_grad=True)], order=2)


def test_var_std_unbiased_alias():
    x = f64(X)
    np.testing.assert_allclose(arr(x.var(unbiased=False)), np.var(X))
    np.testing.assert_allclose(arr(x.var(unbiased=True)), np.var(X, ddof=1))
    np.testing.assert_allclose(arr(x.std(False)), np.std(X))  # torch.std(input, unbiased)
    np.testing.assert_allclose(arr(x.std(0, unbiased=False, keepdim=True)), np.std(X, axis=0, keepdims=True))
    with pytest.raises(TypeError, match="either correction or unbiased"):
        x.var(correction=1, unbiased=True)
    with pytest.raises(TypeError, match="correction must be a real number"):
        x.var(correction="1")


def test_var_std_edge_cases_follow_pytorch():
    with pytest.raises(RuntimeError, match="floating point"):
        tapegrad.tensor([1, 2, 3]).var()
    one = f64([2.5], requires_grad=True)
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):  # PyTorch's warning
        assert math.isnan(arr(one.var()))  # N - correction = 0
    flat = f64([1.0, 1.0, 1.0], requires_grad=True)
    assert arr(flat.std()) == 0.0
    assert (grad_of(flat.std(), flat) == 0).all()  # PyTorch 2.13: 0, not 0 / 0


def test_var_gradient_is_two_centered_over_dof():
    x = f64([1.0, 2.0, 6.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(x.var(), x), 2 * (np.array([1.0, 2.0, 6.0]) - 3.0) / 2)
    np.testing.assert_allclose(grad_of(x.var(correction=0), x), 2 * (np.array([1.0, 2.0, 6.0]) - 3.0) / 3)


# ---------------------------------------------------------------------------- norm kinds
@pytest.mark.parametrize("p,reference", [
    (2, lambda a, ax: np.sqrt(np.sum(a * a, axis=ax))),
    ("fro", lambda a, ax: np.sqrt(np.sum(a * a, axis=ax))),
    (1, lambda a, ax: np.sum(np.abs(a), axis=ax)),
    (math.inf, lambda a, ax: np.max(np.abs(a), axis=ax)),
    (-math.inf, lambda a, ax: np.min(np.abs(a), axis=ax)),
    (0, lambda a, ax: np.sum(a != 0, axis=ax).astype(np.float64)),
    (3, lambda a, ax: np.sum(np.abs(a) ** 3, axis=ax) ** (1 / 3)),
    (0.5, lambda a, ax: np.sum(np.abs(a) ** 0.5, axis=ax) ** 2),
])
def test_norm_kinds(p, reference):
    x = f64(X)
    for dim in (None, 1, (0, 2)):
        np.testing.assert_allclose(arr(x.norm(p, dim)), reference(X, np_axis(dim)), rtol=1e-12)
    if p != 0:
        check_grads(lambda t: t.norm(p, dim=1), [f64(X, requires_grad=True)], order=2)


def test_norm_against_numpy_linalg():
    x = f64(X[0])
    for p in (1, 2, math.inf, -math.inf):
        np.testing.assert_allclose(arr(x.norm(p, dim=1)), np.linalg.norm(X[0], ord=p, axis=1))
    np.testing.assert_allclose(arr(x.norm("fro")), np.linalg.norm(X[0], "fro"))


def test_norm_gradients_at_non_differentiable_points():
    zero = f64([0.0, 0.0, 0.0], requires_grad=True)
    np.testing.assert_array_equal(grad_of(zero.norm(), zero), [0, 0, 0])  # PyTorch: 0 at 0, not NaN
    x = f64([0.0, -2.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(grad_of(x.norm(1), x), [0, -1, 1])
    y = f64([1.0, -2.0, 2.0], requires_grad=True)
    np.testing.assert_allclose(grad_of(y.norm(math.inf), y), [0, -0.5, 0.5])
    rows = f64([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    np.testing.assert_allclose(grad_of(rows.norm(dim=1), rows), [[0.6, 0.8], [0, 0]])
    assert np.isfinite(grad_of(zero.norm(3), zero)).all()


def test_norm_refuses_matrix_norms_and_integers():
    with pytest.raises(RuntimeError, match="'nuc' is not supported"):
        f64(X).norm("nuc")
    with pytest.raises(RuntimeError, match="floating point"):
        tapegrad.tensor([3, 4]).norm()
    with pytest.raises(TypeError, match="p must be"):
        f64(X).norm(True)


# ---------------------------------------------------------------------------- cumsum
def test_cumsum_gradient_is_the_reversed_cumsum():
    x = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    weights = f64([[1.0, 10.0, 100.0], [1.0, 2.0, 3.0]])
    (g,) = grad((x.cumsum(1) * weights).sum(), [x])
    np.testing.assert_allclose(arr(g), np.flip(np.cumsum(np.flip(arr(weights), 1), 1), 1))
    for dim in (0, 1, -1):
        check_grads(lambda t: t.cumsum(dim), [f64(X, requires_grad=True)], order=2)


def test_cumsum_of_a_scalar_and_dim_errors():
    assert f64(2.5).cumsum(0).tolist() == 2.5
    with pytest.raises(TypeError, match="single int"):
        f64(X).cumsum(dim=(0, 1))
    with pytest.raises(TypeError):
        tapegrad.cumsum(f64(X))


# ---------------------------------------------------------------------------- all, any and empty inputs
def test_all_any_are_bool_and_never_tracked():
    x = f64([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    assert x.all(1).tolist() == [False, True] and x.any(0).tolist() == [True, True]
    assert not x.all().requires_grad and x.all().grad_fn is None and x.all().dtype is tapegrad.bool
    assert tapegrad.all(tapegrad.tensor([], dtype=tapegrad.float32)).tolist() is True
    assert tapegrad.any(tapegrad.tensor([], dtype=tapegrad.float32)).tolist() is False


def test_extrema_of_empty_tensors_are_pytorch_errors():
    empty = tapegrad.zeros(0, 3)
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified for input.numel\\(\\) == 0"):
        empty.amax()
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        empty.argmin(0)
    assert empty.amax(1).shape == (0,) and empty.softmax(0).shape == (0, 3) and empty.prod(0).tolist() == [1, 1, 1]


# ---------------------------------------------------------------------------- graphs
def test_node_names():
    x = f64(X, requires_grad=True)
    names = {"prod": x.prod(), "amax": x.amax(), "max": x.max(), "var": x.var(), "std": x.std(),
             "norm": x.norm(), "softmax": x.softmax(0), "log_softmax": x.log_softmax(0), "cumsum": x.cumsum(0)}
    assert {k: v.grad_fn.op.node_name for k, v in names.items()} == {
        "prod": "ProdBackward0", "amax": "AmaxBackward0", "max": "AmaxBackward0", "var": "VarBackward0",
        "std": "StdBackward0", "norm": "LinalgVectorNormBackward0", "softmax": "SoftmaxBackward0",
        "log_softmax": "LogSoftmaxBackward0", "cumsum": "CumsumBackward0"}


# ---------------------------------------------------------------------------- the full mean's lean VJP
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(dtype=st.sampled_from(["float16", "float32", "float64", "complex64", "complex128"]),
       shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
       g=st.floats(-1e3, 1e3, allow_nan=False, width=16))
def test_a_full_means_vjp_is_the_per_axis_rule_bit_for_bit(dtype, shape, g):
    """``_mean_vjp`` on a 0-d NumPy cotangent (every element averaged) fills one fresh array; it must
    give the very bits of the general rule (every axis named), in the cotangent's dtype, for every
    dtype and shape (empty ones: NaN, as 1/0 elements)."""
    from tapegrad.graph import ShapeDtype
    from tapegrad.numpy_namespace import NAMESPACE

    x = ShapeDtype(shape, np.dtype(dtype))
    cot = np.asarray(g, dtype=dtype)
    lean = reductions._mean_vjp(NAMESPACE, cot, None, x)
    general = reductions._mean_vjp(NAMESPACE, cot, None, x, dim=tuple(range(len(shape))))
    assert lean.shape == shape and lean.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(lean, np.broadcast_to(general, shape))
    assert lean.flags.writeable and lean.base is None  # its own array: .grad adopts it, no copy


def test_a_full_mean_on_a_leaf_leaves_an_owned_writeable_grad():
    x = tapegrad.ones(2, 3, dtype=tapegrad.float64, requires_grad=True)
    x.mean().backward()
    g = x.grad.numpy()
    assert g.flags.writeable and np.all(g == 1 / 6)
    x.mean().backward()  # accumulates in place
    assert np.all(x.grad.numpy() == 2 / 6)
