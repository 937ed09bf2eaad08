"""Shape ops: the conformance kit (first and second order) on each, values against NumPy,
gradients of the composites (split, chunk, narrow, dtype conversions), and PyTorch's rules
(-1 in expand, squeeze of non-size-1 dims, negative dims, error messages)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor
from conftest import EAGER
from tapegrad.testing import check_grads, op_checks, parametrize_with_op_checks

SHAPE_OPS = ["view", "flatten", "squeeze", "unsqueeze", "transpose", "permute", "expand", "flip", "cat", "stack", "pad"]
# composites with one result; split and chunk return tuples, which the kit does not take (tested below)
SINGLE_RESULT_COMPOSITES = ["narrow", "to_float", "to_double", "to_long", "to_int", "to_bool"]  # to_half: below


def leaf(shape: tuple[int, ...], seed: int = 0, dtype: Any = np.float64) -> Tensor:
    values = np.random.default_rng(seed).uniform(-2, 2, size=shape).astype(dtype)
    return tapegrad.tensor(values, requires_grad=True)


def np_of(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def grads(fn: Any, *xs: Tensor, seed: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
    """``fn(*xs)`` and the gradient of ``<fn(*xs), u>`` for a random ``u``, as arrays."""
    out = fn(*xs)
    u = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    got = tapegrad.autograd.grad(out, list(xs), tapegrad.tensor(u))
    return u, [np_of(g) for g in got]


# ------------------------------------------------------------------------------ conformance kit
@parametrize_with_op_checks(SHAPE_OPS + SINGLE_RESULT_COMPOSITES, backends=EAGER)
def test_shape_op_conforms(op_check):
    op_check()


def test_every_shape_op_is_checked_to_second_order_and_on_array_api_strict():
    ids = {c.id for name in SHAPE_OPS + SINGLE_RESULT_COMPOSITES for c in op_checks(name)}
    for name in SHAPE_OPS + SINGLE_RESULT_COMPOSITES:
        assert {f"{name}-gradients", f"{name}-higher_order", f"{name}-dtypes", f"{name}-backends"} <= ids


def test_node_names_follow_pytorch():
    x = leaf((2, 3))
    assert x.view(3, 2).grad_fn.name() == "ViewBackward0"
    assert x.permute(1, 0).grad_fn.name() == "PermuteBackward0"
    assert x.transpose(0, 1).grad_fn.name() == "TransposeBackward0"
    assert x.unsqueeze(0).expand(4, 2, 3).grad_fn.name() == "ExpandBackward0"
    assert tapegrad.cat([x, x]).grad_fn.name() == "CatBackward0"
    assert tapegrad.stack([x, x]).grad_fn.name() == "StackBackward0"


# ------------------------------------------------------------------------------ view, flatten, squeeze, unsqueeze
def test_view_is_reshape_with_its_method_spellings():
    x = leaf((2, 3, 4))
    expected = np_of(x).reshape(6, 4)
    for y in (x.view(6, 4), x.view((6, 4)), x.view(-1, 4), tapegrad.view(x, shape=[6, -1])):
        np.testing.assert_array_equal(np_of(y), expected)
    u, (gx,) = grads(lambda t: t.view(4, -1), x)
    np.testing.assert_array_equal(gx, u.reshape(2, 3, 4))


@pytest.mark.parametrize("shape, start, end, expected", [
    ((2, 3, 4), 0, -1, (24,)),
    ((2, 3, 4), 1, -1, (2, 12)),
    ((2, 3, 4, 5), -3, -2, (2, 12, 5)),
    ((2, 3, 4), 1, 1, (2, 3, 4)),
    ((), 0, -1, (1,)),
])
def test_flatten(shape, start, end, expected):
    x = leaf(shape)
    y = x.flatten(start, end)
    assert y.shape == expected
    np.testing.assert_array_equal(np_of(y), np_of(x).reshape(expected))
    assert tapegrad.flatten(x, start_dim=start, end_dim=end).shape == expected


def test_flatten_refuses_start_after_end():
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        leaf((2, 3, 4)).flatten(2, 1)


@pytest.mark.parametrize("dim, expected", [
    (None, (3,)), (0, (3, 1)), (-1, (1, 3)), ((0, 2), (3,)),
    (1, (1, 3, 1)),          # not size 1: a no-op, as in PyTorch (NumPy would raise)
    ((1, 2), (1, 3)),        # size-1 ones go, the others stay
])
def test_squeeze(dim, expected):
    x = leaf((1, 3, 1))
    y = x.squeeze() if dim is None else x.squeeze(dim)
    assert y.shape == expected
    np.testing.assert_array_equal(np_of(y).reshape(-1), np_of(x).reshape(-1))
    u, (gx,) = grads(lambda t: t.squeeze(dim), x)
    assert gx.shape == (1, 3, 1)


def test_squeeze_of_0d_and_out_of_range():
    assert leaf(()).squeeze(0).shape == ()
    assert leaf(()).squeeze(-1).shape == ()
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        leaf((1, 3, 1)).squeeze(3)


@pytest.mark.parametrize("dim, expected", [(0, (1, 2, 3)), (1, (2, 1, 3)), (2, (2, 3, 1)), (-1, (2, 3, 1)),
                                           (-3, (1, 2, 3))])
def test_unsqueeze(dim, expected):
    x = leaf((2, 3))
    y = x.unsqueeze(dim)
    assert y.shape == expected
    np.testing.assert_array_equal(np_of(y), np.expand_dims(np_of(x), dim))
    assert y.squeeze(dim).shape == (2, 3)
    with pytest.raises(IndexError):
        x.unsqueeze(3)


# ------------------------------------------------------------------------------ transpose, permute, flip
def test_transpose_and_its_aliases_match_numpy():
    x = leaf((2, 3, 4))
    expected = np.swapaxes(np_of(x), 0, 2)
    for y in (x.transpose(0, 2), x.transpose(-1, 0), x.swapaxes(0, 2), x.swapdims(2, 0),
              tapegrad.transpose(x, dim0=0, dim1=2), tapegrad.swapaxes(x, 0, -1)):
        np.testing.assert_array_equal(np_of(y), expected)
    u, (gx,) = grads(lambda t: t.transpose(1, 2), x)
    np.testing.assert_array_equal(gx, np.swapaxes(u, 1, 2))


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, -2), (2, 1, 0)])
def test_permute_matches_numpy_and_round_trips(dims):
    x = leaf((2, 3, 4))
    y = x.permute(*dims)
    np.testing.assert_array_equal(np_of(y), np.transpose(np_of(x), dims))
    np.testing.assert_array_equal(np_of(x.permute(dims)), np_of(y))
    inverse = tuple(np.argsort([d % 3 for d in dims]))
    back = y.permute(inverse)
    np.testing.assert_array_equal(np_of(back), np_of(x))
    u, (gx,) = grads(lambda t: t.permute(dims).permute(inverse), x)
    np.testing.assert_array_equal(gx, u)
    u, (gx,) = grads(lambda t: t.permute(dims), x)
    np.testing.assert_array_equal(gx, np.transpose(u, inverse))


def test_transpose_round_trip_and_second_order():
    x = leaf((3, 4))
    np.testing.assert_array_equal(np_of(x.transpose(0, 1).transpose(1, 0)), np_of(x))
    check_grads(lambda t: (t.transpose(0, 1) * t.permute(1, 0)).transpose(1, 0), [x], order=3)


def test_permute_refuses_wrong_dims():
    x = leaf((2, 3))
    with pytest.raises(RuntimeError, match=r"input.dim\(\) = 2 is not equal to len\(dims\) = 1"):
        x.permute(0)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.permute(0, 0)


@pytest.mark.parametrize("dims", [(0,), (1,), (-1, 0), 0])
def test_flip_matches_numpy(dims):
    x = leaf((2, 3))
    axes = dims if isinstance(dims, tuple) else (dims,)
    expected = np.flip(np_of(x), axis=axes)
    np.testing.assert_array_equal(np_of(x.flip(dims)), expected)
    np.testing.assert_array_equal(np_of(tapegrad.flip(x, dims=dims)), expected)
    u, (gx,) = grads(lambda t: t.flip(dims), x)
    np.testing.assert_array_equal(gx, np.flip(u, axis=axes))
    np.testing.assert_array_equal(np_of(x.flip(dims).flip(dims)), np_of(x))


# ------------------------------------------------------------------------------ expand
@pytest.mark.parametrize("shape, sizes, expected", [
    ((3, 1), (3, 4), (3, 4)),
    ((3, 1), (-1, 4), (3, 4)),
    ((3, 1), (2, -1, 5), (2, 3, 5)),
    ((1,), (2, 3, -1), (2, 3, 1)),
    ((), (4,), (4,)),
    ((2, 3), (-1, -1), (2, 3)),
])
def test_expand_with_minus_one_and_gradient_sums_down(shape, sizes, expected):
    x = leaf(shape)
    y = x.expand(*sizes)
    assert y.shape == expected
    np.testing.assert_array_equal(np_of(y), np.broadcast_to(np_of(x), expected))
    assert x.expand(sizes).shape == expected
    u, (gx,) = grads(lambda t: t.expand(*sizes), x)
    lead = len(expected) - len(shape)
    summed = u.sum(axis=tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and expected[lead + i] != 1),
                   keepdims=True).reshape(shape)
    np.testing.assert_allclose(gx, summed)
    check_grads(lambda t: t.expand(*sizes) * t.expand(*sizes), [x], order=2)


def test_expand_refusals():
    x = leaf((3, 2))
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(2\)"):
        x.expand(3, 4)
    with pytest.raises(RuntimeError, match="leading, non-existing dimension"):
        x.expand(-1, 3, 2)
    with pytest.raises(RuntimeError, match="must be greater or equal to the number of dimensions"):
        x.expand(2)


# ------------------------------------------------------------------------------ cat, stack
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_cat_three_inputs(dim):
    shapes = [(2, 3), (2, 3), (2, 3)]
    sizes = [1, 2, 4]
    shapes = [tuple(n if k == dim % 2 else s for k, s in enumerate((2, 3))) for n in sizes]
    xs = [leaf(s, seed=i) for i, s in enumerate(shapes)]
    y = tapegrad.cat(xs, dim=dim)
    np.testing.assert_array_equal(np_of(y), np.concatenate([np_of(x) for x in xs], axis=dim))
    np.testing.assert_array_equal(np_of(tapegrad.concat(xs, dim=dim)), np_of(y))
    np.testing.assert_array_equal(np_of(tapegrad.cat(tuple(xs), axis=dim)), np_of(y))
    u, gs = grads(lambda *ts: tapegrad.cat(list(ts), dim=dim), *xs)
    for g, piece in zip(gs, np.split(u, np.cumsum(sizes)[:-1], axis=dim)):
        np.testing.assert_array_equal(g, piece)
    check_grads(lambda *ts: tapegrad.cat(list(ts), dim=dim) * tapegrad.cat(list(ts), dim=dim), xs, order=2)


def test_cat_of_one_tensor_twice_adds_both_gradients():
    x = leaf((2,))
    tapegrad.cat([x, x, x], dim=0).sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), [3.0, 3.0])


def test_cat_refusals():
    a, b = leaf((2, 3)), leaf((2, 4))
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        tapegrad.cat([a, b])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor"):
        tapegrad.cat([leaf(()), leaf(())])
    with pytest.raises(ValueError, match="non-empty list"):  # PyTorch 2.13: a ValueError
        tapegrad.cat([])
    assert tuple(tapegrad.cat([a, b], 1).shape) == (2, 7)  # dim may follow the list positionally


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack_three_inputs(dim):
    xs = [leaf((2, 3), seed=i) for i in range(3)]
    y = tapegrad.stack(xs, dim=dim)
    np.testing.assert_array_equal(np_of(y), np.stack([np_of(x) for x in xs], axis=dim))
    u, gs = grads(lambda *ts: tapegrad.stack(list(ts), dim=dim), *xs)
    for i, g in enumerate(gs):
        np.testing.assert_array_equal(g, np.take(u, i, axis=dim))
    check_grads(lambda *ts: tapegrad.stack(list(ts), dim=dim) ** 2, xs, order=2)


def test_stack_refuses_unequal_shapes():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"):
        tapegrad.stack([leaf((2,)), leaf((3,))])


# ------------------------------------------------------------------------------ pad
@pytest.mark.parametrize("mode, numpy_mode", [("constant", "constant"), ("reflect", "reflect"),
                                              ("replicate", "edge"), ("edge", "edge"),
                                              ("circular", "wrap"), ("wrap", "wrap")])
def test_pad_modes_match_numpy(mode, numpy_mode):
    x = leaf((3, 4))
    # PyTorch's flat tuple starts at the last dimension: (left, right, top, bottom)
    y = tapegrad.pad(x, (1, 2, 2, 0), mode=mode)
    np.testing.assert_array_equal(np_of(y), np.pad(np_of(x), ((2, 0), (1, 2)), mode=numpy_mode))
    z = tapegrad.pad(x, pad_width=((2, 0), (1, 2)), mode=mode)
    np.testing.assert_array_equal(np_of(z), np_of(y))
    check_grads(lambda t: tapegrad.pad(t, (1, 2, 2, 0), mode=mode) ** 2, [x], order=2)


def test_pad_gradient_counts_every_copy():
    x = leaf((3,))
    tapegrad.pad(x, (2, 2), mode="replicate").sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), [3.0, 1.0, 3.0])
    y = leaf((3,))
    tapegrad.pad(y, (2, 1), mode="reflect").sum().backward()   # [2 1 | 0 1 2 | 1]
    np.testing.assert_array_equal(np_of(y.grad), [1.0, 3.0, 2.0])


def test_pad_constant_value_numpy_spellings_and_cropping():
    x = leaf((2, 3))
    y = tapegrad.pad(x, (1, 1), value=7.0)
    np.testing.assert_array_equal(np_of(y), np.pad(np_of(x), ((0, 0), (1, 1)), constant_values=7.0))
    np.testing.assert_array_equal(np_of(tapegrad.pad(x, pad_width=1, constant_values=7.0)),
                                  np.pad(np_of(x), 1, constant_values=7.0))
    np.testing.assert_array_equal(np_of(tapegrad.pad(x, pad_width=(1, 2))), np.pad(np_of(x), (1, 2)))
    np.testing.assert_array_equal(np_of(tapegrad.pad(x, ((1, 0), (0, 2)))), np.pad(np_of(x), ((1, 0), (0, 2))))
    cropped = tapegrad.pad(x, (-1, 2, 0, -1))       # negative pads crop, as in PyTorch
    np.testing.assert_array_equal(np_of(cropped), np.pad(np_of(x)[:1, 1:], ((0, 0), (0, 2))))
    u, (gx,) = grads(lambda t: tapegrad.pad(t, (-1, 2, 0, -1)), x)
    expected = np.zeros((2, 3))
    expected[:1, 1:] = u[:, :2]
    np.testing.assert_array_equal(gx, expected)
    ints = tapegrad.pad(tapegrad.tensor([1, 2]), (1, 1))
    assert ints.dtype == tapegrad.int64 and ints.tolist() == [0, 1, 2, 0]


def test_pad_refusals():
    x = leaf((2, 3))
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        tapegrad.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two times"):
        tapegrad.pad(x, (1,) * 6)
    with pytest.raises(ValueError, match="unsupported mode"):
        tapegrad.pad(x, (1, 1), mode="symmetric-ish")
    with pytest.raises(TypeError, match="exactly one of pad"):
        tapegrad.pad(x)


# ------------------------------------------------------------------------------ split, chunk, narrow (composites)
def weighted_cat(pieces: tuple[Tensor, ...]) -> Tensor:
    """The pieces back in one tensor, each scaled differently, so every piece's gradient is checked."""
    return tapegrad.cat([p.flatten() * (i + 1.0) for i, p in enumerate(pieces)], dim=0)


@pytest.mark.parametrize("size, dim, expected", [
    (2, 0, [2, 2, 1]), (5, 0, [5]), (7, 0, [5]), ([1, 4], 0, [1, 4]), ([2, 0, 3], -2, [2, 0, 3]),
    (1, 1, [1, 1, 1]), (2, -1, [2, 1]),
])
def test_split_values_and_gradients(size, dim, expected):
    x = leaf((5, 3))
    pieces = x.split(size, dim)
    assert [p.shape[dim] for p in pieces] == expected
    np.testing.assert_array_equal(np_of(tapegrad.cat(list(pieces), dim=dim)), np_of(x))
    reference = np.split(np_of(x), np.cumsum(expected)[:-1], axis=dim)
    for p, r in zip(pieces, reference):
        np.testing.assert_array_equal(np_of(p), r)
    assert [p.shape for p in tapegrad.split(x, size, dim=dim)] == [p.shape for p in pieces]
    check_grads(lambda t: weighted_cat(t.split(size, dim)), [x], order=2)


@pytest.mark.parametrize("chunks, dim, expected", [
    (2, 0, [3, 3]), (4, 0, [2, 2, 2]), (6, 0, [1] * 6), (7, 0, [1] * 6), (1, 1, [4]), (3, -1, [2, 2]),
])
def test_chunk_values_and_gradients(chunks, dim, expected):
    x = leaf((6, 4))
    pieces = x.chunk(chunks, dim)
    assert [p.shape[dim] for p in pieces] == expected
    np.testing.assert_array_equal(np_of(tapegrad.cat(list(pieces), dim=dim)), np_of(x))
    check_grads(lambda t: weighted_cat(tapegrad.chunk(t, chunks, dim=dim)), [x], order=2)


def test_split_and_chunk_gradient_reaches_only_used_pieces():
    x = leaf((5,))
    a, b, c = x.split(2)
    (b * 3.0).sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), [0, 0, 3, 3, 0])
    y = leaf((6,))
    first, *_ = y.chunk(3)
    first.sum().backward()
    np.testing.assert_array_equal(np_of(y.grad), [1, 1, 0, 0, 0, 0])


def test_split_chunk_edge_cases_and_refusals():
    empty = tapegrad.zeros(0, 3)
    assert [p.shape for p in empty.split(2)] == [(0, 3)]
    assert [p.shape for p in empty.chunk(3)] == [(0, 3)] * 3
    x = leaf((5,))
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 5"):
        x.split([2, 2])
    with pytest.raises(RuntimeError, match="split_size can only be 0 if dimension size is 0"):
        x.split(0)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        x.chunk(0)
    with pytest.raises(IndexError):
        x.split(2, 1)


def test_narrow():
    x = leaf((4, 5))
    np.testing.assert_array_equal(np_of(x.narrow(1, 1, 3)), np_of(x)[:, 1:4])
    np.testing.assert_array_equal(np_of(x.narrow(0, -2, 2)), np_of(x)[2:])
    np.testing.assert_array_equal(np_of(tapegrad.narrow(x, -1, 0, 0)), np_of(x)[:, :0])
    check_grads(lambda t: t.narrow(1, 1, 3) ** 2, [x], order=2)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(3\) exceeds dimension size \(5\)"):
        x.narrow(1, 3, 3)


def test_composites_on_array_api_strict_match_numpy():
    x = leaf((5, 3))
    moved_leaf = tapegrad.tensor(np_of(x), requires_grad=True)
    moved = moved_leaf.to("array_api_strict")
    for fn in (lambda t: weighted_cat(t.split([1, 4])), lambda t: weighted_cat(t.chunk(2, 1)),
               lambda t: t.narrow(0, 1, 2) * 2.0):
        want, got = fn(x), fn(moved)
        assert got.backend == "array_api_strict"
        np.testing.assert_array_equal(np_of(got.to("numpy")), np_of(want))
        (gx,) = tapegrad.autograd.grad(want.sum(), [x])
        (gm,) = tapegrad.autograd.grad(got.sum(), [moved_leaf])
        np.testing.assert_array_equal(np_of(gm), np_of(gx))


def test_composites_record_nothing_under_no_grad_and_leave_input_alone():
    x = leaf((4, 2))
    before = np_of(x).copy()
    with tapegrad.no_grad():
        pieces = x.split(1) + x.chunk(2) + (x.narrow(0, 0, 1), x.float())
        assert x.double() is x  # already float64: the tensor itself, as PyTorch's
    assert all(p.grad_fn is None and not p.requires_grad for p in pieces)
    np.testing.assert_array_equal(np_of(x), before)


# ------------------------------------------------------------------------------ dtype conversions
@pytest.mark.parametrize("method, dtype", [("float", tapegrad.float32), ("double", tapegrad.float64),
                                           ("half", tapegrad.float16), ("long", tapegrad.int64),
                                           ("int", tapegrad.int32), ("bool", tapegrad.bool)])
def test_conversion_methods(method, dtype):
    x = tapegrad.tensor([[0.0, 1.5], [-2.5, 3.0]], dtype=tapegrad.float64)
    y = getattr(x, method)()
    assert y.dtype == dtype
    np.testing.assert_array_equal(np_of(y), np_of(x).astype(dtype.numpy))
    assert getattr(tapegrad, f"to_{method}")(x).dtype == dtype


def test_half_conversion_on_numpy():
    x = leaf((2, 3))
    y = x.half()
    assert y.dtype == tapegrad.float16 and y.grad_fn is not None
    (gx,) = tapegrad.autograd.grad(y.sum(), [x])
    assert gx.dtype == tapegrad.float64
    np.testing.assert_array_equal(np_of(gx), np.ones((2, 3)))


def test_conversions_are_differentiable_and_keep_grad_dtypes():
    x = leaf((3,), dtype=np.float32)
    y = x.double()
    assert y.dtype == tapegrad.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == tapegrad.float32
    np.testing.assert_allclose(np_of(x.grad), 2 * np_of(x), rtol=1e-6)
    assert not x.long().requires_grad
    assert tapegrad.tensor([1, 2]).float().dtype == tapegrad.float32


def test_conversions_do_not_shadow_dtypes():
    # tapegrad.bool is a dtype (torch.bool); the conversions are methods and to_* functions only.
    assert isinstance(tapegrad.bool, tapegrad.DType)
    assert isinstance(tapegrad.float32, tapegrad.DType)
    assert tapegrad.tensor([1.0, 0.0]).bool().tolist() == [True, False]
