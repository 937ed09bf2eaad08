"""Issue 11 without PyTorch: ``index_copy`` with 0-d tensors and rank mismatches, and ``var``/``std``
with no degree of freedom left, asserting the values PyTorch 2.13 gives (``tests/parity/test_index_copy_and_dof.py``
compares with PyTorch itself)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tapegrad

INF, NAN = math.inf, math.nan


def test_a_0d_source_is_one_slice_of_a_vector():
    x = tapegrad.zeros(3, dtype=tapegrad.float64, requires_grad=True)
    s = tapegrad.tensor(5.0, dtype=tapegrad.float64, requires_grad=True)
    y = x.index_copy(0, tapegrad.tensor([1]), s)
    (y * tapegrad.tensor([1.0, 2.0, 3.0], dtype=tapegrad.float64)).sum().backward()
    assert y.tolist() == [0.0, 5.0, 0.0] and x.grad.tolist() == [1.0, 0.0, 3.0]
    assert s.grad.shape == () and s.grad.item() == 2.0


@pytest.mark.parametrize("source", [[5.0], 5.0])
def test_a_0d_self_is_one_slot(source):
    x = tapegrad.tensor(1.0, requires_grad=True)
    s = tapegrad.tensor(source, requires_grad=True)
    y = x.index_copy(0, tapegrad.tensor([0]), s)
    y.backward()
    assert y.item() == 5.0 and x.grad.item() == 0.0 and y.grad_fn.name() == "IndexCopyBackward0"
    assert s.grad.shape == s.shape and s.grad.tolist() == np.ones_like(source).tolist()


def test_a_0d_self_given_two_indices_copies_but_its_gradient_is_refused_as_pytorchs():
    s = tapegrad.tensor([5.0, 6.0], requires_grad=True)
    y = tapegrad.tensor(1.0).index_copy(0, tapegrad.tensor([0, 0]), s)
    assert y.item() == 6.0
    with pytest.raises(RuntimeError, match=re.escape("index_select(): Index to scalar can have only 1 value, got 2 value(s)")):
        y.backward()


@pytest.mark.parametrize("shape, dim, index, source_shape, kind, words", [
    ((3, 2), 0, [1], (1,), IndexError, "index_copy_(): When source and destination are not scalars, their dimensionality "
                                       "must match. Source dimensionality (1), destination dimensionality (2)"),
    ((3,), 0, [1], (1, 2), IndexError, "index_copy_(): When source and destination are not scalars, their dimensionality "
                                       "must match. Source dimensionality (2), destination dimensionality (1)"),
    ((3,), 0, [1, 2], (), IndexError, "index_copy_(): When source is scalar, index should have one element (got 2)"),
    ((3, 2), 0, [1], (), RuntimeError, "index_copy_(): Source/destination tensor must have same slice shapes. "
                                       "Destination slice shape: 2 at dimension 0 and source slice shape:  at dimension 0."),
    ((3, 2, 4), 1, [1], (3, 1, 5), RuntimeError, "index_copy_(): Source/destination tensor must have same slice shapes. "
                                                 "Destination slice shape: 3 4 at dimension 1 and source slice shape: 3 5 "
                                                 "at dimension 0."),
    ((), 0, [0], (1, 1), RuntimeError, "index_copy_(): Source/destination tensor must have same slice shapes. "
                                       "Destination slice shape:  at dimension 0 and source slice shape: 1 at dimension 0."),
    ((3,), 0, [0, 1], (1,), IndexError, "index_copy_(): Number of indices (2) should be equal to source.size(dim) (1)"),
    ((), 0, [1], (), IndexError, "index_copy_(): index 1 is out of bounds for dimension 0 with size 1"),
])
def test_refusals_in_pytorchs_types_and_words(shape, dim, index, source_shape, kind, words):
    with pytest.raises(kind) as info:
        tapegrad.zeros(shape).index_copy(dim, tapegrad.tensor(index), tapegrad.zeros(source_shape))
    assert str(info.value) == words


def test_refusal_order_is_pytorchs():
    with pytest.raises(IndexError, match=re.escape("Index should have dimension 1 or 0 (got 2)")):
        tapegrad.zeros(3).index_copy(0, tapegrad.tensor([[1]], dtype=tapegrad.int32), tapegrad.zeros(1))
    with pytest.raises(IndexError, match="dimensionality must match"):  # before the index's dtype
        tapegrad.zeros(3).index_copy(0, tapegrad.tensor([1], dtype=tapegrad.int32), tapegrad.zeros(1, 1))
    with pytest.raises(RuntimeError, match=re.escape("Expected a long tensor for index, but got Int")):
        tapegrad.zeros(3).index_copy(0, tapegrad.tensor([1], dtype=tapegrad.int32), tapegrad.zeros(1))
    with pytest.raises(TypeError, match=re.escape("argument 'source' (position 3) must be Tensor, not float")):
        tapegrad.zeros(3).index_copy(0, tapegrad.tensor([1]), 1.0)


ROWS = [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]]


@pytest.mark.parametrize("name, params, value, grad", [
    ("var", {"correction": 6}, INF, [[INF] * 3] * 2),
    ("var", {"correction": 7}, INF, [[INF] * 3] * 2),
    ("var", {"dim": 1, "correction": 3}, [INF, NAN], [[-INF, -INF, INF], [NAN] * 3]),
    ("var", {"dim": 1, "correction": 5, "keepdim": True}, [[INF], [NAN]], [[4 / 3, 1 / 3, -5 / 3], [-0.0] * 3]),
    ("var", {"dim": (0, 1), "correction": 7}, INF, [[10 / 3, 4 / 3, -8 / 3], [-2 / 3] * 3]),
    ("std", {"correction": 7}, INF, [[NAN] * 3] * 2),
    ("std", {"dim": 1, "correction": 3}, [INF, NAN], [[NAN] * 3] * 2),
    ("std", {"dim": 1, "correction": 5, "keepdim": True}, [[INF], [NAN]], [[0.0, 0.0, -0.0], [NAN] * 3]),
    ("var_mean", {"correction": 7}, INF, [[INF] * 3] * 2),
    ("std_mean", {"dim": 1, "correction": 5, "keepdim": True}, [[INF], [NAN]], [[1 / 3] * 3, [NAN] * 3]),  # the mean adds 1 / N
])
def test_moments_with_no_degree_of_freedom(name, params, value, grad):
    x = tapegrad.tensor(ROWS, dtype=tapegrad.float64, requires_grad=True)
    with pytest.warns(UserWarning, match=re.escape("degrees of freedom is <= 0. Correction should be strictly less "
                                                   "than the reduction factor (input numel divided by output numel).")):
        out = getattr(tapegrad, name)(x, **params)
    total = out[0].sum() + out[1].sum() if isinstance(out, tuple) else out.sum()
    (g,) = tapegrad.autograd.grad(total, [x])
    first = out[0] if isinstance(out, tuple) else out
    np.testing.assert_allclose(first.detach().numpy(), value, rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), grad, rtol=1e-12)
    want = np.asarray(grad)
    assert np.array_equal(np.signbit(g.numpy())[want == 0], np.signbit(want)[want == 0])


@pytest.mark.parametrize("dtype", [tapegrad.float32, tapegrad.float64])
def test_whole_tensor_gradient_is_infinite_nan_at_the_mean(dtype):
    x = tapegrad.tensor([5.0, 5.0, 7.0], dtype=dtype, requires_grad=True)
    with pytest.warns(UserWarning):
        tapegrad.var(x, correction=4).backward()
    assert x.grad.dtype == dtype and np.array_equal(x.grad.numpy(), [INF, INF, INF], equal_nan=True)
    x = tapegrad.tensor([5.0, 5.0], dtype=dtype, requires_grad=True)
    with pytest.warns(UserWarning):
        tapegrad.var(x, correction=2).backward()
    assert np.isnan(x.grad.numpy()).all()
    x = tapegrad.tensor(2.0, dtype=dtype, requires_grad=True)  # a 0-d tensor is whole even with dim=0
    with pytest.warns(UserWarning):
        out = tapegrad.var(x, dim=0, correction=2)
    out.backward()
    assert math.isnan(out.item()) and math.isnan(x.grad.item())


def test_empty_slices_warn_only_pytorchs_warning():
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = tapegrad.var(tapegrad.zeros(0, 3), dim=0)
    assert np.isnan(out.numpy()).all()
    assert [w.category for w in seen] == [UserWarning]
