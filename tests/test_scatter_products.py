"""Indexing/scatter and product ops (ops_builtin/scatter.py, ops_builtin/products.py): the
conformance kit over every op (first and second order, broadcasting, scalars, array_api_strict),
PyTorch's node names, shape rules and errors, gradient conventions at ties, and hypothesis
properties over shapes."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry
from tapegrad.ops_builtin import products, scatter
from conftest import EAGER
from tapegrad.testing import parametrize_with_op_checks
from tapegrad.optable import table

SCATTER_OPS = ["scatter_at", "scatter_add_at", "scatter_reduce_at", "index_add_at", "index_copy_at", "index_fill_at",
               "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
               "masked_select", "take", "take_along_dim", "argwhere", "nonzero"]
PRODUCT_OPS = ["mm", "bmm", "mv", "addmm", "addmv", "baddbmm", "addbmm", "addcmul", "addcdiv", "cdist", "inner", "kron",
               "cartesian_prod"]
OPS = SCATTER_OPS + PRODUCT_OPS


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS, backends=EAGER)
def test_conformance(op_check):
    op_check()


def test_the_lists_above_are_every_op_the_modules_register():
    registry = Registry("probe")
    scatter.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(SCATTER_OPS)
    registry = Registry("probe")
    products.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(PRODUCT_OPS)


# ---------------------------------------------------------------------------- node names, PyTorch's
def _leaf(*shape):
    return tapegrad.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)


def test_node_names_are_pytorchs():
    x, src, s24 = _leaf(3, 4), _leaf(2, 2), _leaf(2, 4)
    idx, i1 = tapegrad.tensor([[0, 1], [2, 0]]), tapegrad.tensor([0, 2])
    a, b, v = _leaf(2, 3), _leaf(3, 4), _leaf(3)
    b1, b2 = _leaf(5, 2, 3), _leaf(5, 3, 4)
    names = {
        "ScatterBackward0": tapegrad.scatter(x, 0, idx, src), "ScatterBackward1": tapegrad.scatter(x, 0, idx, 1.5),
        "NotImplemented": tapegrad.scatter(x, 0, idx, src, reduce="add"),
        "ScatterAddBackward0": tapegrad.scatter_add(x, 0, idx, src),
        "ScatterReduceBackward0": tapegrad.scatter_reduce(x, 0, idx, src, "amax"),
        "IndexAddBackward0": tapegrad.index_add(x, 0, i1, s24, alpha=2),
        "IndexCopyBackward0": tapegrad.index_copy(x, 0, i1, s24),
        "IndexFillBackward0": tapegrad.index_fill(x, 0, i1, 2.0),
        "IndexFillBackward1": tapegrad.index_fill(x, 0, i1, tapegrad.tensor(2.0)),
        "MaskedSelectBackward0": tapegrad.masked_select(x, x > 0), "TakeBackward0": tapegrad.take(x, i1),
        "GatherBackward0": tapegrad.take_along_dim(x, tapegrad.tensor([[0], [1], [2]]), 1),
        "MmBackward0": tapegrad.mm(a, b), "BmmBackward0": tapegrad.bmm(b1, b2), "MvBackward0": tapegrad.mv(a, v),
        "AddmmBackward0": tapegrad.addmm(_leaf(4), a, b), "AddmvBackward0": tapegrad.addmv(_leaf(2), a, v),
        "BaddbmmBackward0": tapegrad.baddbmm(_leaf(4), b1, b2), "AddbmmBackward0": tapegrad.addbmm(_leaf(4), b1, b2),
        "AddcmulBackward0": tapegrad.addcmul(a, a, a, value=2), "AddcdivBackward0": tapegrad.addcdiv(a, a, a),
        "CdistBackward0": tapegrad.cdist(a, _leaf(4, 3)), "StackBackward0": tapegrad.cartesian_prod(v, v),
        "ViewBackward0": tapegrad.inner(a, a),
    }
    assert {name: t.grad_fn.name() for name, t in names.items()} == \
        {name: name for name in names}


def test_inplace_methods_write_through_the_same_primitive():
    x = _leaf(3, 4)
    y = x * 1
    out = y.scatter_(0, tapegrad.tensor([[0, 1]]), _leaf(1, 2))
    assert out is y and y.grad_fn.name() == "ScatterBackward0"
    y.index_fill_(1, tapegrad.tensor([0]), -1.0)
    assert y.grad_fn.name() == "IndexFillBackward0" and np.all(y.detach().numpy()[:, 0] == -1)
    z = x * 1
    z.addmm_(_leaf(3, 2), _leaf(2, 4), beta=0.5)
    assert z.grad_fn.name() == "AddmmBackward0"
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.scatter_add_(0, tapegrad.tensor([[0]]), _leaf(1, 1))


# ---------------------------------------------------------------------------- PyTorch's rules and words
X = tapegrad.zeros(3, 4, dtype=tapegrad.float64)
ERRORS = [
    (lambda: tapegrad.scatter(X, 0, tapegrad.tensor([[0.0]]), X), RuntimeError, "Expected dtype int32/int64 for index"),
    (lambda: tapegrad.scatter(X, 0, tapegrad.tensor([0]), X), RuntimeError, "same number of dimensions as self"),
    (lambda: tapegrad.scatter(X, 0, tapegrad.zeros(4, 1, dtype=tapegrad.int64), X), RuntimeError,
     r"Expected index \[4, 1\] to be no larger than self \[3, 4\] apart from dimension 0"),
    (lambda: tapegrad.scatter(X, 0, tapegrad.tensor([[3]]), X), RuntimeError, "index 3 is out of bounds"),
    (lambda: tapegrad.scatter(X, 0, tapegrad.tensor([[0]]), X.float()), RuntimeError, "self.dtype to be equal"),
    (lambda: tapegrad.scatter_reduce(X, 0, tapegrad.tensor([[0]]), X, "median"), RuntimeError, "sum, prod, mean"),
    (lambda: tapegrad.index_fill(X, 0, tapegrad.tensor([0], dtype=tapegrad.int32), 1.0), IndexError,
     "Expected dtype int64 for index"),
    (lambda: tapegrad.index_copy(X, 0, tapegrad.tensor([5]), X[:1]), IndexError, "index 5 is out of bounds"),
    (lambda: tapegrad.scatter(tapegrad.zeros(2, dtype=tapegrad.uint8), 0, tapegrad.tensor([0]), 300), RuntimeError,
     "without overflow"),
    (lambda: tapegrad.take(X, tapegrad.tensor([12])), IndexError, "tried to access index 12 on a tensor of 12"),
    (lambda: tapegrad.masked_select(X, X), RuntimeError, "expected BoolTensor"),
    (lambda: tapegrad.mm(X, X), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)"),
    (lambda: tapegrad.mm(X, X[0]), RuntimeError, "mat2 must be a matrix"),
    (lambda: tapegrad.bmm(X[None], tapegrad.zeros(2, 4, 1, dtype=tapegrad.float64)), RuntimeError,
     r"first two dimensions of batch2 tensor to be: \[1, 4\] but got: \[2, 4\]"),
    (lambda: tapegrad.mv(X, X[0, :3]), RuntimeError, r"size mismatch, got input \(3\), mat \(3x4\), vec \(3\)"),
    (lambda: tapegrad.addmm(X[0], X, X.T), RuntimeError, "The expanded size of the tensor"),
    (lambda: tapegrad.cdist(X[0], X[0]), RuntimeError, "at least 2D"),
    (lambda: tapegrad.cdist(X, X, p=-1), RuntimeError, "non-negative p"),
]


@pytest.mark.parametrize("call,kind,words", ERRORS, ids=[w[:30] for _, _, w in ERRORS])
def test_errors_in_pytorchs_words(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


# ---------------------------------------------------------------------------- conventions
def test_scatter_src_larger_than_index_gets_zeros_where_unread():
    # PyTorch fails in backward here ("invalid gradient"); the unread elements have gradient 0
    x, src = _leaf(3, 4), _leaf(3, 5)
    tapegrad.scatter(x, 0, tapegrad.tensor([[0, 1], [2, 0]]), src).sum().backward()
    want = np.zeros((3, 5))
    want[:2, :2] = 1
    np.testing.assert_array_equal(src.grad.numpy(), want)


def test_scatter_reduce_double_backward_with_two_zeros_refuses_as_pytorch():
    x = tapegrad.tensor([2.0, 1.0, 3.0], dtype=tapegrad.float64, requires_grad=True)
    s = tapegrad.tensor([0.0, 2.0, 0.0], dtype=tapegrad.float64, requires_grad=True)
    r = tapegrad.scatter_reduce(x, 0, tapegrad.tensor([1, 1, 1]), s, "prod")
    (g,) = tapegrad.autograd.grad(r.sum(), [s], retain_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="Double backward is unsupported"):
        tapegrad.autograd.grad(r.sum(), [s], create_graph=True)


def test_value_dependent_shapes():
    x = tapegrad.tensor([[0.0, 1.5], [0.0, -2.0]])
    assert tapegrad.nonzero(x).tolist() == [[0, 1], [1, 1]] and tapegrad.argwhere(x).dtype is tapegrad.int64
    assert [t.tolist() for t in x.nonzero(as_tuple=True)] == [[0, 1], [1, 1]]
    assert tapegrad.nonzero(tapegrad.tensor(2.0)).shape == (1, 0)
    assert [t.tolist() for t in tapegrad.nonzero(tapegrad.tensor(2.0), as_tuple=True)] == [[0]]
    assert tapegrad.masked_select(x, x != 0).tolist() == [1.5, -2.0]


# ---------------------------------------------------------------------------- properties over shapes
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SHAPES = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@settings(max_examples=40, deadline=None)
@given(SHAPES, st.data())
def test_scatter_add_is_the_adjoint_of_gather(shape, data):
    """<scatter_add(0, dim, index, src), y> == <src, gather(y, dim, index)>: the two VJPs are each other."""
    dim = data.draw(st.integers(0, len(shape) - 1))
    ishape = tuple(data.draw(st.integers(1, n + 2)) if k == dim else data.draw(st.integers(1, n))
                   for k, n in enumerate(shape))
    rng = np.random.default_rng(len(shape) * 7 + dim)
    index = tapegrad.tensor(rng.integers(0, shape[dim], size=ishape))
    src = tapegrad.tensor(rng.standard_normal(ishape))
    y = tapegrad.tensor(rng.standard_normal(shape))
    zeros = tapegrad.zeros(shape, dtype=tapegrad.float64)
    left = (tapegrad.scatter_add(zeros, dim, index, src) * y).sum().item()
    right = (src * y.gather(dim, index)).sum().item()
    assert np.isclose(left, right)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3),
       st.sampled_from([0.0, 1.0, 2.0, 3.0, float("inf")]))
def test_products_agree_with_matmul_and_numpy(n, k, m, batch, p):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    a, b = rng.standard_normal((n, k)), rng.standard_normal((k, m))
    np.testing.assert_allclose(tapegrad.mm(tapegrad.tensor(a), tapegrad.tensor(b)).numpy(), a @ b)
    c = rng.standard_normal((m,))
    np.testing.assert_allclose(tapegrad.addmm(tapegrad.tensor(c), tapegrad.tensor(a), tapegrad.tensor(b),
                                              beta=0.5, alpha=2.0).numpy(), 0.5 * c + 2 * (a @ b))
    x1, x2 = rng.standard_normal((batch + 1, n, k)), rng.standard_normal((m, k))
    d = np.abs(x1[..., :, None, :] - x2[None, None, :, :])
    want = (d != 0).sum(-1) if p == 0 else (d.max(-1) if np.isinf(p) else (d ** p).sum(-1) ** (1 / p))
    np.testing.assert_allclose(tapegrad.cdist(tapegrad.tensor(x1), tapegrad.tensor(x2), p=p).numpy(), want,
                               rtol=1e-12)
    np.testing.assert_allclose(tapegrad.kron(tapegrad.tensor(a), tapegrad.tensor(b)).numpy(), np.kron(a, b))


@settings(max_examples=40, deadline=None)
@given(SHAPES, st.data())
def test_index_add_is_scatter_add_with_the_index_spread_along_dim(shape, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    k = data.draw(st.integers(1, 5))
    rng = np.random.default_rng(sum(shape) * 11 + dim * 3 + k)
    x = tapegrad.tensor(rng.standard_normal(shape), requires_grad=True)
    src_shape = shape[:dim] + (k,) + shape[dim + 1:]
    src = tapegrad.tensor(rng.standard_normal(src_shape), requires_grad=True)
    idx = rng.integers(0, shape[dim], size=k)
    spread = np.broadcast_to(idx.reshape([-1 if j == dim else 1 for j in range(len(shape))]), src_shape).copy()
    a = tapegrad.index_add(x, dim, tapegrad.tensor(idx), src, alpha=-1.5)
    b = tapegrad.scatter_add(x, dim, tapegrad.tensor(spread), src * -1.5)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
    ga = tapegrad.autograd.grad((a * a).sum(), [x, src])
    gb = tapegrad.autograd.grad((b * b).sum(), [x, src])
    for u, v in zip(ga, gb):
        np.testing.assert_allclose(u.numpy(), v.numpy())


@settings(max_examples=40, deadline=None)
@given(SHAPES, st.data(), st.sampled_from(["sum", "prod", "mean", "amax", "amin"]), st.booleans())
def test_scatter_reduce_matches_a_loop_over_the_index(shape, data, reduce, include_self):
    dim = data.draw(st.integers(0, len(shape) - 1))
    ishape = tuple(data.draw(st.integers(1, n + 2)) if j == dim else data.draw(st.integers(1, n))
                   for j, n in enumerate(shape))
    rng = np.random.default_rng(sum(ishape) * 13 + dim)
    x, src = rng.standard_normal(shape), rng.standard_normal(ishape)
    index = rng.integers(0, shape[dim], size=ishape)
    got = tapegrad.scatter_reduce(tapegrad.tensor(x), dim, tapegrad.tensor(index), tapegrad.tensor(src), reduce,
                                  include_self=include_self)
    want = scatter._ref_scatter_reduce(x, src, dim, index, reduce, include_self)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
@pytest.mark.parametrize("a, b", [((2, 0, 3), (3, 4, 3)), ((2, 4, 3), (3, 0, 3))])
def test_cdist_batch_mismatch_with_no_rows_in_pytorchs_words(backend, a, b):
    # the message was made from slices [..., :1, :1], which array_api_strict refuses on an axis of size 0
    if backend not in table().backends:
        pytest.skip(f"the {backend} backend plugin is not installed")
    x1, x2 = (tapegrad.zeros(*s, dtype=tapegrad.float64).to(backend) for s in (a, b))
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(2\) must match the size of tensor b \(3\) at "
                                           r"non-singleton dimension 0$"):
        tapegrad.cdist(x1, x2)
