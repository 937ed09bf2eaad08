"""Scans and sorting (ops_builtin/scans.py, sorting.py): the conformance kit over every op (first
and second order, every backend), PyTorch's values, indices, ties and node names, gradients at
zeros (cumprod) and at ties (median), the named results, the errors, and hypothesis properties
over shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry
from tapegrad.autograd import grad
from tapegrad.ops_builtin import scans, sorting
from conftest import EAGER
from tapegrad.testing import check_grads, parametrize_with_op_checks

SCAN_OPS = ["cumprod", "logcumsumexp", "cummax_indices", "cummax", "cummin_indices", "cummin", "nansum", "nanmean",
            "count_nonzero", "var_mean", "std_mean", "aminmax"]
SORT_OPS = ["gather_values", "argsort", "sort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode_indices",
            "mode", "unique", "searchsorted", "bucketize"]


def f64(values, requires_grad: bool = False):
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def arr(t) -> np.ndarray:
    return t.detach().numpy()


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(SCAN_OPS + SORT_OPS, backends=EAGER)
def test_conformance(op_check):
    op_check()


@pytest.mark.parametrize("module,names", [(scans, SCAN_OPS), (sorting, SORT_OPS)], ids=["scans", "sorting"])
def test_the_lists_above_are_every_op_the_modules_add(module, names):
    registry = Registry("probe")
    module.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(names)


# ---------------------------------------------------------------------------- ties and names, as PyTorch 2.13's
TIED = [3.0, 1.0, 2.0, 1.0, 3.0, 2.0]


def test_sort_is_stable_both_ways_with_nan_above_every_number():
    x = f64(TIED, requires_grad=True)
    s = tapegrad.sort(x)
    assert s.values.tolist() == [1, 1, 2, 2, 3, 3] and s.indices.tolist() == [1, 3, 2, 5, 0, 4]
    assert x.sort(descending=True).indices.tolist() == [0, 4, 2, 5, 1, 3]
    nan = f64([1.0, math.nan, 0.0, math.nan])
    assert tapegrad.sort(nan, descending=True).indices.tolist() == [1, 3, 0, 2]
    assert tapegrad.argsort(nan).tolist() == [2, 0, 1, 3]
    assert type(s).__name__ == "sort" and s._fields == ("values", "indices")
    assert repr(s).startswith("tapegrad.return_types.sort(\nvalues=tensor([1., 1., 2., 2., 3., 3.]")


@pytest.mark.parametrize("call,node", [
    (lambda x: x.sort().values, "SortBackward0"),
    (lambda x: tapegrad.msort(x), "SortBackward0"),
    (lambda x: x.topk(2).values, "TopkBackward0"),
    (lambda x: x.kthvalue(2).values, "KthvalueBackward0"),
    (lambda x: x.median(), "MedianBackward0"),
    (lambda x: x.median(0).values, "MedianBackward1"),
    (lambda x: x.nanmedian(), "NanmedianBackward0"),
    (lambda x: x.nanmedian(0).values, "NanmedianBackward1"),
    (lambda x: x.mode().values, "ModeBackward0"),
    (lambda x: x.cummax(0).values, "CummaxBackward0"),
    (lambda x: x.cummin(0).values, "CumminBackward0"),
    (lambda x: x.cumprod(0), "CumprodBackward0"),
    (lambda x: x.logcumsumexp(0), "LogcumsumexpBackward0"),
    (lambda x: x.nansum(), "NansumBackward0"),
    (lambda x: x.nanmean(), "DivBackward0"),
    (lambda x: x.div(2, rounding_mode="floor"), "DivBackward2"),
    (lambda x: tapegrad.add(x, x, alpha=2), "AddBackward0"),
    (lambda x: x.sum(dtype=tapegrad.float64), "SumBackward0"),
])
def test_node_names_are_pytorchs(call, node):
    assert call(f64(TIED, requires_grad=True)).grad_fn.name() == node


def test_the_values_gradient_goes_to_the_returned_index():
    x = f64(TIED, requires_grad=True)
    (g,) = grad(x.kthvalue(2).values, [x])  # the second 1, at index 3, as PyTorch's
    assert arr(g).tolist() == [0, 0, 0, 1, 0, 0]
    (g,) = grad(x.median(0).values, [x])  # the first 2, at index 2
    assert arr(g).tolist() == [0, 0, 1, 0, 0, 0]
    (g,) = grad(x.median(), [x])  # without dim: shared between the tied medians, as PyTorch's
    assert arr(g).tolist() == [0, 0, 0.5, 0, 0, 0.5]
    m = x.mode()  # every value twice: the smallest, at its last index
    assert m.values.item() == 1.0 and m.indices.item() == 3
    (g,) = grad(x.sort(descending=True).values[0], [x])
    assert arr(g).tolist() == [1, 0, 0, 0, 0, 0]


def test_median_and_nanmedian_at_nan():
    x = f64([1.0, math.nan, 0.0, math.nan, 5.0])
    assert tapegrad.median(x, 0).indices.item() == 1 and math.isnan(tapegrad.median(x).item())
    r = tapegrad.nanmedian(x, 0)
    assert r.values.item() == 1.0 and r.indices.item() == 0 and tapegrad.nanmedian(x).item() == 1.0
    allnan = tapegrad.nanmedian(f64([math.nan, math.nan]), 0)
    assert math.isnan(allnan.values.item()) and allnan.indices.item() == 0
    assert math.isnan(tapegrad.median(f64([])).item())


def test_cummax_cummin_take_the_latest_tie_and_nan_wins():
    r = tapegrad.cummax(f64([1, 3, 2, 3, 0, 5]), 0)
    assert r.values.tolist() == [1, 3, 3, 3, 3, 5] and r.indices.tolist() == [0, 1, 1, 3, 3, 5]
    assert tapegrad.cummin(f64([1, 3, 0, 3, 0, 5]), 0).indices.tolist() == [0, 0, 2, 2, 4, 4]
    n = tapegrad.cummax(f64([1, math.nan, 2, math.nan, 5]), 0)
    assert n.indices.tolist() == [0, 1, 1, 3, 3] and math.isnan(n.values.tolist()[-1])
    x = f64([[1, 3, 2], [4, 0, 6]], requires_grad=True)
    (g,) = grad(x.cummax(1).values.sum(), [x])
    assert arr(g).tolist() == [[1, 2, 0], [2, 0, 1]]


# ---------------------------------------------------------------------------- cumprod at zeros
@pytest.mark.parametrize("values", [[0.5, 0.0, -1.5, 2.0], [0.0, 1.5, 0.0, 2.0], [2.0, 0.0, 0.0, 0.0], [0.0] * 3,
                                    [1.5, -2.0, 0.5]], ids=str)
def test_cumprod_gradient_at_zeros_is_exact_to_second_order(values):
    x = f64(values, requires_grad=True)
    check_grads(lambda t: tapegrad.cumprod(t, dim=0), [x], order=2)
    # against the definition: d out_j / d x_i = prod_{k <= j, k != i} x_k
    a = np.asarray(values)
    want = [sum(np.prod(np.delete(a[:j + 1], i)) for j in range(i, a.size)) for i in range(a.size)]
    (g,) = grad(x.cumprod(0).sum(), [x])
    np.testing.assert_allclose(arr(g), want)


def test_cumprod_and_sum_dtype_arguments():
    ints = tapegrad.tensor([1, 2, 3], dtype=tapegrad.int8)
    assert ints.cumprod(0).dtype is tapegrad.int64 and ints.cumprod(0).tolist() == [1, 2, 6]
    assert ints.cumprod(0, dtype=tapegrad.float32).dtype is tapegrad.float32
    assert tapegrad.sum(ints, dtype=tapegrad.float32).dtype is tapegrad.float32
    assert tapegrad.mean(tapegrad.tensor([1, 2]), dtype=tapegrad.float64).item() == 1.5
    x = f64([1.0, 2.0], requires_grad=True).float()
    (g,) = grad(x.sum(dtype=tapegrad.float64), [x])
    assert g.dtype is tapegrad.float32 and arr(g).tolist() == [1.0, 1.0]


def test_logcumsumexp_is_stable_at_both_ends():
    x = f64([-1000.0, 0.0, 1000.0, 1000.0], requires_grad=True)
    np.testing.assert_allclose(arr(x.logcumsumexp(0)), [-1000.0, 0.0, 1000.0, 1000.0 + math.log(2.0)])
    (g,) = grad(x.logcumsumexp(0).sum(), [x])
    np.testing.assert_allclose(arr(g), [1.0, 1.0, 1.5, 0.5])  # exp(x_i - out_j) summed over j >= i


# ---------------------------------------------------------------------------- nan-reductions, pairs
def test_nansum_nanmean_count_nonzero_and_the_pairs():
    x = f64([[1.0, math.nan, 2.0], [math.nan, math.nan, 0.5]], requires_grad=True)
    assert x.nansum().item() == 3.5 and x.nansum(1).tolist() == [3.0, 0.5]
    assert x.nanmean(1).tolist() == [1.5, 0.5]
    (g,) = grad(x.nansum(), [x])
    assert arr(g).tolist() == [[1, 0, 1], [0, 0, 1]]
    c = tapegrad.tensor([[0, 1], [2, 0]])
    assert tapegrad.count_nonzero(c).item() == 2 and c.count_nonzero(dim=0).tolist() == [1, 1]
    assert tapegrad.count_nonzero(c, dim=(0, 1)).dtype is tapegrad.int64
    v, m = tapegrad.var_mean(f64(TIED), 0, keepdim=True)
    assert v.shape == (1,) and m.tolist() == [2.0]
    s, m = tapegrad.std_mean(f64(TIED), unbiased=False)
    np.testing.assert_allclose(s.item(), np.std(TIED))
    r = tapegrad.aminmax(f64([[1, 3], [0, 2]]), dim=1)
    assert r.min.tolist() == [1, 0] and r.max.tolist() == [3, 2] and type(r).__name__ == "aminmax"
    with pytest.raises(RuntimeError, match="nanmean"):
        tapegrad.nanmean(tapegrad.tensor([1, 2]))


# ---------------------------------------------------------------------------- unique, searchsorted, bucketize
def test_unique_forms_as_pytorchs():
    x = tapegrad.tensor([3, 1, 2, 1])
    assert tapegrad.unique(x).tolist() == [1, 2, 3]
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    assert inverse.tolist() == [2, 0, 1, 0] and counts.tolist() == [2, 1, 1]
    rows = tapegrad.tensor([[1, 2], [1, 2], [0, 1]])
    values, inverse, counts = tapegrad.unique(rows, dim=0, return_inverse=True, return_counts=True)
    assert values.tolist() == [[0, 1], [1, 2]] and inverse.tolist() == [1, 1, 0] and counts.tolist() == [1, 2]
    _, inverse = tapegrad.unique(tapegrad.tensor([[1, 2], [1, 2]]), return_inverse=True)
    assert inverse.tolist() == [[0, 1], [0, 1]]
    assert not tapegrad.unique(f64([1.0, 1.0], requires_grad=True)).requires_grad


def test_unique_results_stay_on_the_inputs_backend():
    """Computed on NumPy, moved back: the kit's backends check compares values only, so this says where."""
    x = tapegrad.tensor([3.0, 1.0, 3.0]).to("array_api_strict")
    for result in (tapegrad.unique(x), *tapegrad.unique(x, return_inverse=True, return_counts=True)):
        assert result.backend == "array_api_strict"


def test_searchsorted_and_bucketize():
    seq = tapegrad.tensor([1, 3, 5, 7])
    q = tapegrad.tensor([3, 6, 9])
    assert tapegrad.searchsorted(seq, q).tolist() == [1, 3, 4]
    assert tapegrad.searchsorted(seq, q, right=True).tolist() == [2, 3, 4]
    assert tapegrad.searchsorted(seq, q, side="right").tolist() == [2, 3, 4]
    assert tapegrad.searchsorted(seq, 4).tolist() == 2
    assert tapegrad.searchsorted(seq, q, out_int32=True).dtype is tapegrad.int32
    assert tapegrad.searchsorted(tapegrad.tensor([7, 1, 5, 3]), q, sorter=tapegrad.tensor([1, 3, 2, 0])).tolist() == [1, 3, 4]
    assert tapegrad.searchsorted(f64([[1, 3, 5], [1, 2, 3]]), f64([[2.5], [2.5]])).tolist() == [[1], [2]]
    assert tapegrad.bucketize(q, seq).tolist() == [1, 3, 4]
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        tapegrad.searchsorted(seq, q, right=True, side="left")
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        tapegrad.bucketize(q, tapegrad.ones(2, 2))


# ---------------------------------------------------------------------------- errors: PyTorch's words
@pytest.mark.parametrize("call,kind,words", [
    (lambda x: x.sort(dim=2), IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 2\)"),
    (lambda x: x.topk(7), RuntimeError, "selected index k out of range"),
    (lambda x: x.topk(-1), RuntimeError, "selected index k out of range"),
    (lambda x: x.kthvalue(0), RuntimeError, "kthvalue\\(\\): selected number k out of range for dimension 0"),
    (lambda x: x.kthvalue(7), RuntimeError, "selected number k out of range"),
    (lambda x: x.mode(3), IndexError, "Dimension out of range"),
    (lambda x: x.cumprod(1), IndexError, "Dimension out of range"),
    (lambda x: x.median(dim=(0,)), TypeError, "dim"),
    (lambda x: tapegrad.median(f64([]).reshape(0, 2), 0), IndexError, "Expected reduction dim 0 to have non-zero size"),
    (lambda x: tapegrad.aminmax(f64([])), RuntimeError, "cannot compute aminmax over an empty dimension"),
    (lambda x: tapegrad.aminmax(x, dim=(0,)), TypeError, "argument 'dim' must be int, not tuple"),
    (lambda x: x.div(2, rounding_mode="round"), RuntimeError, "div expected rounding_mode to be one of None"),
    (lambda x: tapegrad.div(tapegrad.tensor([1]), 0, rounding_mode="floor"), RuntimeError, "ZeroDivisionError"),
    (lambda x: tapegrad.add(tapegrad.tensor([1]), 1, alpha=0.5), RuntimeError, "alpha must not be a floating point"),
    (lambda x: tapegrad.logcumsumexp(tapegrad.tensor([1, 2]), 0), RuntimeError, "floating point"),
])
def test_errors(call, kind, words):
    with pytest.raises(kind, match=words):
        call(f64(TIED))


def test_add_sub_alpha_and_div_rounding_mode():
    x, y = f64([1.0, 2.0], requires_grad=True), f64([3.0, 4.0], requires_grad=True)
    out = tapegrad.sub(x, y, alpha=2)
    gx, gy = grad(out.sum(), [x, y])
    assert out.tolist() == [-5.0, -6.0] and arr(gx).tolist() == [1, 1] and arr(gy).tolist() == [-2, -2]
    assert tapegrad.add(tapegrad.tensor([2], dtype=tapegrad.uint8), 2, alpha=-3).tolist() == [252]  # wraps
    ints = tapegrad.tensor([-7, 7, -8])
    assert tapegrad.div(ints, 2, rounding_mode="trunc").tolist() == [-3, 3, -4]
    assert tapegrad.div(ints, 2, rounding_mode="floor").tolist() == [-4, 3, -4]
    assert tapegrad.div(ints, 2, rounding_mode="floor").dtype is tapegrad.int64
    assert tapegrad.div(ints, 2).dtype is tapegrad.float32
    assert tapegrad.div(f64([-7.0, 7.0]), 0.0, rounding_mode="trunc").tolist() == [-math.inf, math.inf]
    z = f64([3.0, 5.0], requires_grad=True)
    (g,) = grad(z.div(2, rounding_mode="floor").sum(), [z])
    assert arr(g).tolist() == [0.0, 0.0]


# ---------------------------------------------------------------------------- properties over shapes
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
                    elements=st.floats(-10, 10, allow_nan=False, width=32))


@settings(max_examples=60, deadline=None)
@given(ARRAYS, st.data())
def test_sort_matches_numpys_stable_sort_and_its_gradient_is_the_inverse_permutation(a, data):
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    descending = data.draw(st.booleans())
    x = f64(a, requires_grad=True)
    values, indices = tapegrad.sort(x, dim=d, descending=descending)
    order = np.argsort(-a if descending else a, axis=d, kind="stable")
    np.testing.assert_array_equal(arr(indices), order)
    np.testing.assert_array_equal(arr(values), np.take_along_axis(a, order, d))
    weights = np.arange(a.size, dtype=np.float64).reshape(a.shape)
    (g,) = grad((values * f64(weights)).sum(), [x])
    want = np.zeros_like(a)
    np.put_along_axis(want, order, weights, d)
    np.testing.assert_array_equal(arr(g), want)


@settings(max_examples=60, deadline=None)
@given(ARRAYS, st.data())
def test_topk_kthvalue_median_agree_with_sorting(a, data):
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[d]
    k = data.draw(st.integers(1, n))
    x = f64(a)
    ordered = np.sort(a, axis=d)
    np.testing.assert_array_equal(arr(x.kthvalue(k, d).values), np.take(ordered, k - 1, axis=d))
    np.testing.assert_array_equal(arr(x.topk(k, d, largest=False).values), np.take(ordered, np.arange(k), axis=d))
    np.testing.assert_array_equal(arr(x.median(d).values), np.take(ordered, (n - 1) // 2, axis=d))
    kept = x.kthvalue(k, d, keepdim=True)
    assert kept.values.shape == kept.indices.shape == tuple(1 if i == d % a.ndim else s for i, s in enumerate(a.shape))
    np.testing.assert_array_equal(arr(x.gather(d, kept.indices)), arr(kept.values))


@settings(max_examples=60, deadline=None)
@given(ARRAYS, st.data())
def test_scans_match_numpy_and_their_indices_read_their_values(a, data):
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = f64(a)
    np.testing.assert_allclose(arr(x.cumprod(d)), np.cumprod(a, axis=d), rtol=1e-12)
    np.testing.assert_allclose(arr(x.logcumsumexp(d)), np.logaddexp.accumulate(a, axis=d), rtol=1e-12)
    for name, ufunc in (("cummax", np.maximum), ("cummin", np.minimum)):
        values, indices = getattr(x, name)(d)
        np.testing.assert_array_equal(arr(values), ufunc.accumulate(a, axis=d))
        np.testing.assert_array_equal(np.take_along_axis(a, arr(indices), d), arr(values))
        position = np.arange(a.shape[d]).reshape([-1 if i == d % a.ndim else 1 for i in range(a.ndim)])
        assert (arr(indices) <= position).all()


# ---------------------------------------------------------------------------- the two registry keywords
def test_param_forward_and_promotion_by_param_are_validated_and_keep_the_fast_path():
    from tapegrad import RegistrationError

    registry = Registry("probe")
    with pytest.raises(RegistrationError, match="param_forward must be a function"):
        registry.register_op("twice", forward=lambda xp, x: x * 2, param_forward=lambda xp, x: x, vjp=None)
    with pytest.raises(RegistrationError, match="promotion must be"):
        registry.register_op("half", forward="divide", vjp=(None, None), promotion_by_param={"mode": "weird"})
    div = tapegrad.lookup("div")
    assert div.forward_name == "divide" and div.param_forward and div.promotion_by_param == {"rounding_mode": "same"}
    ints = tapegrad.tensor([7, -7])
    assert (ints / 2).dtype is tapegrad.float32 and tapegrad.div(ints, 2, rounding_mode="trunc").dtype is tapegrad.int64


def test_searchsorted_integers_against_floats_on_every_backend():
    """Regression (mutation test, k3): array_api_strict refused to promote an integer sequence
    against float values; PyTorch searches in the float type."""
    import tapegrad

    seq, values = tapegrad.tensor([1, 2, 3]), tapegrad.tensor([2.5, 0.5], dtype=tapegrad.float32)
    for backend in ("numpy", "array_api_strict"):
        found = tapegrad.searchsorted(seq.to(backend), values.to(backend))
        assert found.dtype == tapegrad.int64 and found.tolist() == [2, 0]
        assert tapegrad.bucketize(values.to(backend), seq.to(backend)).tolist() == [2, 0]
