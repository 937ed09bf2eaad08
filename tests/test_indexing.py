"""Indexing: ``x[key]`` with every kind of key against NumPy (values, and gradients that count
repeated indices), ``x[key] = v`` in place (values, gradients w.r.t. ``v`` and the untouched
part of ``x``, the leaf and version-counter rules), gather, and the conformance kit (first and
second order, NumPy and array-api-strict) on getitem, index_scatter_add, index_put and gather."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor
from conftest import EAGER
from tapegrad.testing import check_grads, op_checks, parametrize_with_op_checks

INDEXING_OPS = ["getitem", "index_scatter_add", "index_put", "gather"]


def leaf(shape: tuple[int, ...], seed: int = 0) -> Tensor:
    return tapegrad.tensor(np.random.default_rng(seed).uniform(-2, 2, size=shape), requires_grad=True)


def np_of(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def numpy_key(key: Any) -> Any:
    """The key with tensors replaced by their arrays, for indexing the NumPy reference."""
    if type(key) is tuple:
        return tuple(numpy_key(k) for k in key)
    return np_of(key) if type(key) is Tensor else key


def scatter_reference(shape: tuple[int, ...], key: Any, u: np.ndarray) -> np.ndarray:
    """What the gradient of ``x[key]`` against cotangent ``u`` must be: ``u`` added at ``key``, repeats summing."""
    out = np.zeros(shape)
    np.add.at(out, numpy_key(key), u)
    return out


# ------------------------------------------------------------------------------ conformance kit
@parametrize_with_op_checks(INDEXING_OPS, backends=EAGER)
def test_indexing_op_conforms(op_check):
    op_check()


def test_indexing_ops_are_checked_to_second_order_and_on_array_api_strict():
    ids = {c.id for name in INDEXING_OPS for c in op_checks(name)}
    for name in INDEXING_OPS:
        assert {f"{name}-gradients", f"{name}-higher_order", f"{name}-backends"} <= ids


# ------------------------------------------------------------------------------ x[key]
MASK = np.array([True, False, True, True])
KEYS = {
    "int": 1,
    "negative int": -1,
    "two ints": (2, -3),
    "slice": slice(1, 3),
    "slice with step": slice(None, None, 2),
    "negative step": (slice(None), slice(4, 0, -2)),
    "reverse": slice(None, None, -1),
    "empty slice": slice(3, 1),
    "None": None,
    "None inside": (slice(1, 3), None, 0),
    "Ellipsis": Ellipsis,
    "Ellipsis then int": (Ellipsis, 2),
    "Ellipsis and None": (None, Ellipsis, None),
    "empty tuple": (),
    "int array with repeats": np.array([0, 2, 0, 0]),
    "2-d int array": np.array([[3, 3], [0, 1]]),
    "list with repeats": [1, 1, 3],
    "int tensor": tapegrad.tensor([2, 2, -1]),
    "two arrays": (np.array([0, 3, 0]), np.array([4, 4, 4])),
    "broadcast arrays": (np.array([[0], [3]]), np.array([1, 1, 2])),
    "array then slice": (np.array([1, 1]), slice(None, 3)),
    "slice then array": (slice(None, None, 3), np.array([4, 0, 4])),
    "separated arrays": (np.array([0, 0, 3]), None, np.array([1, 1, 4])),
    "bool mask": MASK,
    "bool mask tensor": tapegrad.tensor(MASK),
    "2-d mask": np.arange(20).reshape(4, 5) % 3 == 0,
    "mask then int": (MASK, -2),
    "mask then slice": (MASK, slice(1, None, 2)),
    "0-d int tensor": tapegrad.tensor(3),
}


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS))
def test_getitem_matches_numpy_values_and_gradients(key):
    x = leaf((4, 5))
    y = x[key]
    expected = np_of(x)[numpy_key(key)]
    assert tuple(y.shape) == np.shape(expected)
    np.testing.assert_array_equal(np_of(y), expected)
    u = np.random.default_rng(1).standard_normal(np.shape(expected))
    (gx,) = tapegrad.autograd.grad(y, [x], tapegrad.tensor(u))
    np.testing.assert_allclose(np_of(gx), scatter_reference((4, 5), key, u))
    np.testing.assert_array_equal(np_of(tapegrad.getitem(x, index=key if type(key) is not Tensor else np_of(key))), expected)


@pytest.mark.parametrize("key", [KEYS[k] for k in ("negative step", "int array with repeats", "two arrays",
                                                    "separated arrays", "bool mask", "mask then int", "None inside")],
                         ids=["negative step", "repeats", "two arrays", "separated arrays", "mask", "mask then int",
                              "None inside"])
def test_getitem_second_and_third_order(key):
    x = leaf((4, 5))
    check_grads(lambda t: t[key] * t[key], [x], order=3)


def test_gradient_counts_repeated_indices():
    x = leaf((3,))
    x[[0, 0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), [3.0, 0.0, 1.0])
    y = leaf((2, 2))
    y[np.array([1, 1]), np.array([0, 0])].sum().backward()
    np.testing.assert_array_equal(np_of(y.grad), [[0.0, 0.0], [2.0, 0.0]])


def test_mask_from_a_comparison_selects_and_routes_gradient():
    x = tapegrad.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == tapegrad.bool
    picked = x[mask]
    assert picked.tolist() == [2.0, 4.0]
    (picked * picked).sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), [0.0, 4.0, 0.0, 8.0])


def test_getitem_of_0d_and_3d_tensors():
    s = leaf(())
    assert s[()].shape == () and s[None].shape == (1,) and s[...].shape == ()
    check_grads(lambda t: t[None, ...] * 2.0, [s], order=2)
    x = leaf((2, 3, 4))
    np.testing.assert_array_equal(np_of(x[..., 1:3, None]), np_of(x)[..., 1:3, None])
    np.testing.assert_array_equal(np_of(x[1, ..., ::-1]), np_of(x)[1, ..., ::-1])
    np.testing.assert_array_equal(np_of(x[:, [2, 0]]), np_of(x)[:, [2, 0]])


def test_getitem_errors_are_numpy_s():
    x = leaf((3, 4))
    with pytest.raises(IndexError):
        x[3]
    with pytest.raises(IndexError):
        x[np.array([0.5])]
    with pytest.raises(IndexError):
        x[0, 0, 0]


def test_getitem_result_is_a_graph_node_named_like_pytorch():
    x = leaf((3,))
    assert x[0].grad_fn.name() == "SelectBackward0" and x[[0, 0]].grad_fn.name() == "IndexBackward0"
    g = tapegrad.autograd.grad((x[[0, 0]] ** 2).sum(), [x], create_graph=True)[0]
    assert g.grad_fn.name() == "IndexScatterAddBackward0"


def test_index_scatter_add_is_the_adjoint_of_getitem():
    rng = np.random.default_rng(3)
    for key in (np.array([0, 2, 0]), (slice(1, 3), np.array([4, 4])), MASK, (None, 1)):
        x = rng.standard_normal((4, 5))
        y = rng.standard_normal(np.shape(x[key]))
        scattered = np_of(tapegrad.index_scatter_add(tapegrad.tensor(y), index=key, shape=(4, 5)))
        # <x[key], y> == <x, scatter(y)>
        np.testing.assert_allclose(np.vdot(x[key], y), np.vdot(x, scattered))


# ------------------------------------------------------------------------------ x[key] = v
SET_KEYS = {
    "int": (1, (5,)),
    "negative int": (-1, ()),
    "slice with step": ((slice(None, None, 2), slice(1, 4)), (2, 3)),
    "broadcast row": (slice(1, 3), (5,)),
    "Ellipsis": ((Ellipsis, 0), (4,)),
    "None": ((None, 2), (1, 5)),
    "int arrays": ((np.array([0, 3]), np.array([1, 4])), (2,)),
    "bool mask": (MASK, (3, 5)),
    "mask tensor, broadcast": (tapegrad.tensor(MASK), (1, 5)),
    "extra leading 1": (2, (1, 5)),
}


@pytest.mark.parametrize("key, vshape", list(SET_KEYS.values()), ids=list(SET_KEYS))
def test_setitem_values_and_gradients(key, vshape):
    base = leaf((4, 5))
    v = leaf(vshape, seed=7)
    x = base * 1  # not a leaf: in-place is allowed
    x[key] = v
    assert x.grad_fn.name() == "IndexPutBackward0"
    expected = np_of(base).copy()
    expected[numpy_key(key)] = np_of(v)
    np.testing.assert_array_equal(np_of(x), expected)

    w = np.random.default_rng(2).standard_normal((4, 5))
    (x * tapegrad.tensor(w)).sum().backward()
    untouched = np.ones((4, 5))
    untouched[numpy_key(key)] = 0.0
    np.testing.assert_allclose(np_of(base.grad), w * untouched)  # the overwritten part gets nothing
    selected = w[numpy_key(key)]
    target = np.broadcast_to(np.zeros(vshape), np.shape(selected)).shape if len(vshape) <= selected.ndim else vshape
    want_v = selected.reshape(target) if len(vshape) > selected.ndim else selected
    lead = want_v.ndim - len(vshape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(vshape) if n == 1 and want_v.shape[lead + i] != 1)
    np.testing.assert_allclose(np_of(v.grad), want_v.sum(axis=axes, keepdims=True).reshape(vshape))


def test_setitem_second_order():
    def f(b: Tensor, v: Tensor) -> Tensor:
        x = b * b
        x[1:3, np.array([0, 2])] = v * v
        return x * b

    check_grads(f, [leaf((4, 3)), leaf((2, 2), seed=4)], order=2)


def test_setitem_with_a_python_number_and_with_repeats():
    base = leaf((5,))
    x = base * 1
    x[[1, 3]] = 0.5
    assert np_of(x)[[1, 3]].tolist() == [0.5, 0.5]
    x.sum().backward()
    np.testing.assert_array_equal(np_of(base.grad), [1, 0, 1, 0, 1])
    y = tapegrad.zeros(3)
    y[[0, 0]] = tapegrad.tensor([1.0, 2.0])  # repeated index: the last write wins, as in NumPy
    assert y.tolist() == [2.0, 0.0, 0.0]


def test_setitem_into_a_tensor_without_history_makes_it_require_grad():
    v = leaf((2,))
    buffer = tapegrad.zeros(4, dtype=tapegrad.float64)
    buffer[1:3] = v
    assert buffer.requires_grad and buffer.grad_fn is not None
    (buffer * tapegrad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(np_of(v.grad), [2.0, 3.0])


def test_setitem_on_a_leaf_that_requires_grad_is_refused():
    x = leaf((3,))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        x[0] = 1.0
    assert x.grad_fn is None
    with tapegrad.no_grad():
        x[0] = 1.0  # allowed, as optimizers do
    assert np_of(x)[0] == 1.0 and x.grad_fn is None


def test_setitem_of_a_saved_tensor_is_detected_at_backward():
    base = leaf((3,))
    y = base * 1
    z = y * y  # mul saves y
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_shares_memory_and_keeps_dtype():
    x = tapegrad.zeros(2, 3)
    alias = x.numpy()
    x[0] = tapegrad.tensor([1.0, 2.0, 3.0], dtype=tapegrad.float64)
    assert x.dtype == tapegrad.float32
    assert alias[0].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2, 3\] cannot be broadcast to "
                                           r"indexing result of shape \[3\]"):
        x[0] = tapegrad.ones(2, 3)


def test_index_put_accumulate_sums_repeats():
    x = leaf((4,))
    v = leaf((3,), seed=5)
    y = tapegrad.index_put(x, v, index=np.array([1, 1, 3]), accumulate=True)
    expected = np_of(x).copy()
    np.add.at(expected, [1, 1, 3], np_of(v))
    np.testing.assert_allclose(np_of(y), expected)
    check_grads(lambda a, b: tapegrad.index_put(a, b, index=np.array([1, 1, 3]), accumulate=True) ** 2, [x, v], order=2)


# ------------------------------------------------------------------------------ gather
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_matches_take_along_axis_and_counts_repeats(dim):
    x = leaf((3, 4))
    n = x.shape[dim]
    shape = (3, 4)
    index = np.random.default_rng(dim + 5).integers(0, n, size=shape)
    y = x.gather(dim, tapegrad.tensor(index))
    np.testing.assert_array_equal(np_of(y), np.take_along_axis(np_of(x), index, axis=dim))
    assert np_of(tapegrad.gather(x, dim=dim, index=index)).tolist() == np_of(y).tolist()
    y.sum().backward()
    counts = np.zeros(shape)
    for pos in np.ndindex(*shape):
        target = list(pos)
        target[dim % 2] = index[pos]
        counts[tuple(target)] += 1
    np.testing.assert_array_equal(np_of(x.grad), counts)


def test_gather_with_a_smaller_index_uses_pytorch_semantics():
    x = tapegrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
    index = tapegrad.tensor([[0, 0], [1, 0]])
    y = tapegrad.gather(x, 1, index)  # torch.gather: out[i][j] = x[i][index[i][j]]
    assert y.tolist() == [[1.0, 1.0], [5.0, 4.0]]
    y.sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), [[2, 0, 0], [1, 1, 0], [0, 0, 0]])
    check_grads(lambda t: tapegrad.gather(t, 0, index) ** 2, [leaf((3, 3))], order=3)


def test_gather_refusals():
    x = leaf((3, 4))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, tapegrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, tapegrad.tensor([[4]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.gather(0, tapegrad.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="Size does not match at dimension 0"):
        x.gather(1, tapegrad.tensor([[0]] * 4))
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.gather(1, tapegrad.tensor([[0.0]]))


# ------------------------------------------------------------------------------ other backends
@pytest.mark.parametrize("key", [KEYS[k] for k in ("two arrays", "separated arrays", "mask then int", "list with repeats",
                                                    "negative step", "None inside")],
                         ids=["two arrays", "separated arrays", "mask then int", "list", "negative step", "None inside"])
def test_advanced_indexing_on_array_api_strict_matches_numpy(key):
    x = leaf((4, 5))
    moved_leaf = tapegrad.tensor(np_of(x), requires_grad=True)
    moved = moved_leaf.to("array_api_strict")
    y = moved[key]
    assert y.backend == "array_api_strict"
    np.testing.assert_array_equal(np_of(y.to("numpy")), np_of(x)[numpy_key(key)])
    (y * y).sum().backward()
    (x[key] * x[key]).sum().backward()
    np.testing.assert_allclose(np_of(moved_leaf.grad), np_of(x.grad))

    target = moved * 1.0
    target[key] = 0.0
    reference = np_of(x).copy()
    reference[numpy_key(key)] = 0.0
    np.testing.assert_array_equal(np_of(target.to("numpy")), reference)
