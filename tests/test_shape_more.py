"""More shape ops (ops_builtin/shape_more.py): the conformance kit on every op (first and second
order, dtypes, the array-api-strict backend, the NumPy references), views and in-place writes as
PyTorch has them, node names, PyTorch's errors, and hypothesis properties over shapes."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor
from conftest import EAGER
from tapegrad.testing import check_grads, op_checks, parametrize_with_op_checks

PRIMITIVES = ["roll", "rot90", "tril", "triu", "diagonal", "diagonal_copy", "diag_embed", "trace", "repeat"]
COMPOSITES = ["diag", "tile", "repeat_interleave", "movedim", "unflatten", "unbind", "tensor_split", "hsplit",
              "vsplit", "dsplit", "meshgrid", "broadcast_tensors", "atleast_1d", "atleast_2d", "atleast_3d",
              "hstack", "vstack", "dstack", "column_stack"]
OPS = PRIMITIVES + COMPOSITES


@parametrize_with_op_checks(OPS, backends=EAGER)
def test_op_conforms(op_check):
    op_check()


def test_every_op_is_checked_to_second_order_on_every_backend_against_a_reference():
    ids = {c.id for name in OPS for c in op_checks(name)}
    for name in OPS:
        assert {f"{name}-gradients", f"{name}-higher_order", f"{name}-backends", f"{name}-reference"} <= ids, name


def leaf(shape: tuple[int, ...], seed: int = 0) -> Tensor:
    values = np.random.default_rng(seed).uniform(-2, 2, size=shape)
    return tapegrad.tensor(values, requires_grad=True)


def np_of(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# ------------------------------------------------------------------------------ node names (PyTorch 2.13's)
def test_node_names_follow_pytorch():
    x, v, t = leaf((3, 4)), leaf((3,)), leaf((2, 3, 4))
    names = {
        "RollBackward0": x.roll(1, 0), "Rot90Backward0": x.rot90(), "TrilBackward0": x.tril(),
        "TriuBackward0": x.triu(1), "DiagEmbedBackward0": v.diag(), "DiagonalBackward0_copy": x.diag(),
        "DiagonalBackward0": x.diagonal(), "TraceBackward0": x.trace(), "RepeatBackward0": x.tile((2,)),
        "PermuteBackward0": t.moveaxis(0, 2), "ViewBackward0": x.unflatten(1, (2, 2)),
        "CatBackward0": tapegrad.column_stack([v, x]), "UnsqueezeBackward0": tapegrad.atleast_3d(v),
    }
    for name, out in names.items():
        assert out.grad_fn.name() == name
    assert x.diag_embed().grad_fn.name() == "DiagEmbedBackward0"
    assert x.repeat(2, 1).grad_fn.name() == "RepeatBackward0"
    assert x.repeat_interleave(2, dim=0).grad_fn.name() == "ViewBackward0"
    assert tapegrad.atleast_1d(v.sum()).grad_fn.name() == "ViewBackward0"
    assert [p.grad_fn.name() for p in x.tensor_split([1, 3], dim=1)] == ["SliceBackward0"] * 3
    assert [g.grad_fn.name() for g in tapegrad.meshgrid(v, v[:2], indexing="xy")] == ["ExpandBackward0"] * 2


def test_identities_return_the_input_itself_as_pytorch():
    v, x = leaf((3,)), leaf((3, 4))
    assert tapegrad.atleast_1d(v) is v and tapegrad.atleast_2d(x) is x
    assert tapegrad.atleast_1d(v, x) == (v, x) and tapegrad.atleast_1d([v, x])[1] is x
    assert tapegrad.atleast_1d() == ()
    expanded, same = tapegrad.broadcast_tensors(v.view(3, 1), x)
    assert same is x and expanded.grad_fn.name() == "ExpandBackward0"


# ------------------------------------------------------------------------------ views and in-place writes
WEIGHTS = np.arange(12.0).reshape(3, 4)
# x.grad of (y * WEIGHTS).sum() after y = x * 1 and an in-place mul_(2) through the view, from PyTorch 2.13
VIEW_WRITES = {
    "diagonal": (lambda y: y.diagonal(), [0, 1, 2, 3, 4, 10, 6, 7, 8, 9, 20, 11]),
    "diagonal_offset": (lambda y: y.diagonal(1), [0, 2, 2, 3, 4, 5, 12, 7, 8, 9, 10, 22]),
    "diagonal_swapped": (lambda y: y.diagonal(-1, 1, 0), [0, 2, 2, 3, 4, 5, 12, 7, 8, 9, 10, 22]),
    "tensor_split": (lambda y: y.tensor_split(2, 1)[1], [0, 1, 4, 6, 4, 5, 12, 14, 8, 9, 20, 22]),
    "hsplit": (lambda y: y.hsplit(2)[1], [0, 1, 4, 6, 4, 5, 12, 14, 8, 9, 20, 22]),
    "movedim": (lambda y: y.movedim(0, 1), [2 * w for w in range(12)]),
    "unflatten": (lambda y: y.unflatten(1, (2, 2)), [2 * w for w in range(12)]),
    "atleast_3d": (lambda y: tapegrad.atleast_3d(y), [2 * w for w in range(12)]),
    # not views of y in PyTorch: the write changes only the copy
    "diag": (lambda y: y.diag(), list(range(12))),
    "rot90": (lambda y: y.rot90(), list(range(12))),
    "repeat_interleave": (lambda y: y.repeat_interleave(1, 0), list(range(12))),
}


@pytest.mark.parametrize("view", sorted(VIEW_WRITES))
def test_in_place_writes_through_views_rewrite_the_base_as_in_pytorch(view):
    take, expected = VIEW_WRITES[view]
    x = leaf((3, 4))
    y = x * 1
    take(y).mul_(2)
    (y * tapegrad.tensor(WEIGHTS)).sum().backward()
    np.testing.assert_allclose(np_of(x.grad).reshape(-1), expected)


def test_diagonal_writes_go_into_the_base_without_autograd_too():
    x = tapegrad.zeros(3, 4)
    x.diagonal().add_(1)
    x.diagonal(1, 1, 0).fill_(5)
    x.movedim(0, 1)[0].add_(2)
    np.testing.assert_array_equal(np_of(x), [[3, 0, 0, 0], [7, 1, 0, 0], [2, 5, 1, 0]])


def test_diagonal_of_a_read_only_array_stays_read_only():
    base = np.zeros((2, 2))
    base.flags.writeable = False
    d = tapegrad.as_tensor(base).diagonal()
    with pytest.raises(RuntimeError, match="read-only"):
        d.add_(1)


def test_unbind_pieces_refuse_in_place_writes_as_pytorch():
    y = leaf((3, 4)) * 1
    with pytest.raises(RuntimeError, match="Output 1 of Unbind is a view and is being modified inplace"):
        y.unbind(0)[1].mul_(2)


@pytest.mark.parametrize("take", [lambda y: tapegrad.meshgrid(y[0], y[1], indexing="ij")[0],
                                  lambda y: tapegrad.broadcast_tensors(y[0:1], y)[0]])
def test_expanded_results_refuse_in_place_writes_as_pytorch(take):
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        take(leaf((3, 4)) * 1).mul_(2)


def test_a_diagonal_on_array_api_strict_refuses_writes_rather_than_missing_the_base():
    x = tapegrad.zeros(3, 3).to("array_api_strict")
    with pytest.raises(ValueError, match="read-only"):
        x.diagonal().add_(1)
    np.testing.assert_array_equal(np.asarray(x.to("numpy").numpy()), np.zeros((3, 3)))


# ------------------------------------------------------------------------------ PyTorch's errors (2.13's words)
ERRORS = [
    (lambda x: x.roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda x: x.roll(1, 2), IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda x: x.sum().roll(1, 0), IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    (lambda x: x.rot90(1, (0, 1, 2)), RuntimeError, "expected total rotation dims == 2, but got dims = 3"),
    (lambda x: x[0].rot90(), RuntimeError, "expected total dims >= 2, but got total dims = 1"),
    (lambda x: x.rot90(1, (0, -2)), RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2"),
    (lambda x: x[0].tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda x: x.sum().diag(), RuntimeError, "diag\\(\\): Supports 1D or 2D tensors. Got 0D"),
    (lambda x: x.diag_embed(0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical 1, 1"),
    (lambda x: x.diagonal(0, 0, 2), IndexError, "Dimension out of range"),
    (lambda x: x.unsqueeze(0).trace(), RuntimeError, "trace: expected a matrix, but got tensor with dim 3"),
    (lambda x: (x > 0).trace(), NotImplementedError, "\"trace\" not implemented for 'Bool'"),
    (lambda x: x.repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be smaller than number of "
                                          "dimensions of tensor"),
    (lambda x: x.repeat(-1, 2), RuntimeError, r"Trying to create tensor with negative dimension -3: \[-3, 8\]"),
    (lambda x: x.repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (lambda x: x.repeat_interleave(tapegrad.tensor([1, 2]), dim=0), RuntimeError,
     r"repeats must have the same size as input along dim, but got repeats.size\(0\) = 2 and input.size\(0\) = 3"),
    (lambda x: x.repeat_interleave(tapegrad.tensor([1, -2, 3]), dim=0), RuntimeError, "repeats can not be negative"),
    (lambda x: x.repeat_interleave(2, dim=0, output_size=5), RuntimeError, "allocated size does not match"),
    (lambda x: x.sum().unbind(), IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    (lambda x: x.movedim((0, 0), (0, 1)), RuntimeError, r"movedim: repeated dim in `source` \(\[0, 0\]\)"),
    (lambda x: x.movedim((0, 1), (0,)), RuntimeError, "movedim: Invalid source or destination dims"),
    (lambda x: x.unflatten(1, (3, 2)), RuntimeError,
     r"unflatten: Provided sizes \[3, 2\] don't multiply up to the size of dim 1 \(4\) in the input tensor"),
    (lambda x: x.unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
    (lambda x: x.tensor_split(0), RuntimeError, "number of sections must be larger than 0, got 0"),
    (lambda x: x.sum().tensor_split(2), RuntimeError, "tensor_split expected at least a 1-dimensional tensor"),
    (lambda x: x.tensor_split(2.0), TypeError, "indices_or_sections"),
    (lambda x: x.tensor_split(tapegrad.tensor([1.0])), RuntimeError,
     "tensor_split expected tensor_indices_or_sections to have dtype of long, but got Float"),
    (lambda x: x.hsplit(3), RuntimeError, "torch.hsplit attempted to split along dimension 1, but the size of the "
                                          "dimension 4 is not divisible by the split_size 3!"),
    (lambda x: x[0].vsplit(3), RuntimeError, "torch.vsplit requires a tensor with at least 2 dimension, but got a "
                                             "tensor with 1 dimensions!"),
    (lambda x: x.dsplit(2), RuntimeError, "torch.dsplit requires a tensor with at least 3 dimension"),
    (lambda x: tapegrad.meshgrid(x[0], indexing="xx"), RuntimeError,
     'torch.meshgrid: indexing must be one of "xy" or "ij", but received: xx'),
    (lambda x: tapegrad.meshgrid(x, indexing="ij"), RuntimeError, "Expected 0D or 1D tensor in the tensor list"),
    (lambda x: tapegrad.meshgrid(x[0], x[0].float(), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda x: tapegrad.meshgrid(indexing="ij"), RuntimeError, "meshgrid expects a non-empty TensorList"),
    (lambda x: tapegrad.broadcast_tensors(x[:, 0], x), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    (lambda x: tapegrad.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda x: tapegrad.column_stack([]), RuntimeError, "column_stack expects a non-empty TensorList"),
]


@pytest.mark.parametrize("call, kind, words", ERRORS, ids=[f"error{i}" for i in range(len(ERRORS))])
def test_errors_are_pytorchs(call, kind, words):
    x = leaf((3, 4))
    with pytest.raises(kind, match=words):
        call(x)
    assert x.grad is None


def test_meshgrid_warns_without_indexing_as_pytorch():
    v = leaf((3,))
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        a, b = tapegrad.meshgrid(v, v)
    assert a.shape == (3, 3)


# ------------------------------------------------------------------------------ values PyTorch gives
def test_values_pytorch_gives():
    x = tapegrad.arange(12.0).reshape(3, 4)
    assert x.roll(1).numpy().tolist() == [[11, 0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10]]
    assert x.rot90().numpy().tolist() == [[3, 7, 11], [2, 6, 10], [1, 5, 9], [0, 4, 8]]
    assert x.trace().item() == 15.0
    assert tapegrad.ones(2, 3, dtype=tapegrad.int32).trace().dtype == tapegrad.int64
    assert tapegrad.repeat_interleave(tapegrad.tensor([1, 2, 0])).numpy().tolist() == [0, 1, 1]
    assert x.repeat_interleave(tapegrad.tensor([2]), dim=1).shape == (3, 8)
    assert [p.shape for p in x.tensor_split(tapegrad.tensor([1, 3]), dim=1)] == [(3, 1), (3, 2), (3, 1)]
    assert [p.shape for p in x.tensor_split([-1, 10], dim=1)] == [(3, 3), (3, 1), (3, 0)]
    assert tapegrad.row_stack([x, x]).shape == (6, 4)
    y = tapegrad.ones(3, 3)
    assert y.tril_(-1) is y and y.numpy().tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]


# ------------------------------------------------------------------------------ properties over shapes
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
matrices = st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple)


def _arr(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, size=shape)


@settings(max_examples=40, deadline=None)
@given(shape=matrices, offset=st.integers(-4, 4), seed=st.integers(0, 2**16), data=st.data())
def test_the_diagonal_family_agrees_with_itself(shape, offset, seed, data):
    """diagonal(diag_embed(v)) is v; trace is diagonal().sum(); tril(k) + triu(k + 1) is the tensor;
    the gradients of each agree with finite differences to second order."""
    nd = len(shape)
    d1, d2 = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2, unique_by=lambda d: d % nd))
    x = tapegrad.tensor(_arr(shape, seed), requires_grad=True)
    d = x.diagonal(offset, d1, d2)
    np.testing.assert_array_equal(np_of(d), np.diagonal(np_of(x), offset, d1, d2))
    e1, e2 = data.draw(st.lists(st.integers(-nd - 1, nd), min_size=2, max_size=2,
                                unique_by=lambda d: d % (nd + 1)))
    np.testing.assert_array_equal(np_of(x.diag_embed(offset, e1, e2).diagonal(offset, e1, e2)), np_of(x))
    np.testing.assert_array_equal(np_of(x.tril(offset) + x.triu(offset + 1)), np_of(x))
    check_grads(lambda t: t.diagonal(offset, d1, d2), [x], order=2)
    check_grads(lambda t: t.diag_embed(offset, e1, e2), [x], order=2)
    check_grads(lambda t: t.tril(offset) * 2 + t.triu(offset), [x], order=2)
    if nd == 2:
        assert np_of(x.trace()) == pytest.approx(np_of(x.diagonal().sum()))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_roll_rot90_and_movedim_undo_themselves(shape, seed, data):
    x = tapegrad.tensor(_arr(shape, seed), requires_grad=True)
    nd = len(shape)
    if nd:
        dims = tuple(data.draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=3)))
        shifts = tuple(data.draw(st.lists(st.integers(-6, 6), min_size=len(dims), max_size=len(dims))))
        back = tuple(-s for s in shifts)
        np.testing.assert_array_equal(np_of(x.roll(shifts, dims).roll(back, dims)), np_of(x))
        source = data.draw(st.permutations(range(nd)))
        np.testing.assert_array_equal(np_of(x.movedim(tuple(source), tuple(range(nd)))),
                                      np.moveaxis(np_of(x), source, range(nd)))
        check_grads(lambda t: t.roll(shifts, dims), [x], order=2)
    if nd >= 2:
        k = data.draw(st.integers(-5, 5))
        np.testing.assert_array_equal(np_of(x.rot90(k, (0, 1)).rot90(-k, (0, 1))), np_of(x))
        check_grads(lambda t: t.rot90(k, (1, 0)), [x], order=2)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_repeat_and_repeat_interleave_sum_back_in_the_gradient(shape, seed, data):
    """The gradient of a repeat is the cotangent summed over the copies: repeating ``r`` times scales
    the gradient of a sum by ``r``; values agree with NumPy's tile and repeat."""
    x = tapegrad.tensor(_arr(shape, seed), requires_grad=True)
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape) + 2)))
    out = x.repeat(reps)
    np.testing.assert_array_equal(np_of(out), np.tile(np_of(x).reshape((1,) * (len(reps) - len(shape)) + shape), reps))
    (g,) = tapegrad.autograd.grad(out.sum(), [x])
    np.testing.assert_allclose(np_of(g), np.full(shape, float(np.prod(reps))))
    check_grads(lambda t: t.repeat(reps), [x], order=2)
    r = data.draw(st.integers(0, 3))
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    np.testing.assert_array_equal(np_of(x.repeat_interleave(r, dim)), np.repeat(np_of(x), r, axis=dim))
    if shape:
        d = dim if dim is not None else 0
        t = x if dim is not None else x.reshape(-1)
        counts = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=t.shape[d], max_size=t.shape[d])))
        got = x.repeat_interleave(tapegrad.tensor(counts), dim)
        np.testing.assert_array_equal(np_of(got), np.repeat(np_of(x), counts, axis=dim))
        check_grads(lambda u: u.repeat_interleave(tapegrad.tensor(counts), dim), [x], order=2)


@settings(max_examples=40, deadline=None)
@given(shape=shapes.filter(bool), seed=st.integers(0, 2**16), data=st.data())
def test_splits_and_unbind_put_back_together_give_the_tensor(shape, seed, data):
    x = tapegrad.tensor(_arr(shape, seed), requires_grad=True)
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    how = data.draw(st.integers(1, 6) | st.lists(st.integers(-5, 5), max_size=3))
    pieces = x.tensor_split(how, dim)
    want = np.array_split(np_of(x), how, axis=dim)
    assert [p.shape for p in pieces] == [w.shape for w in want]
    if isinstance(how, int):  # increasing cuts: the pieces cover the tensor once
        np.testing.assert_array_equal(np_of(tapegrad.cat(list(pieces), dim=dim)), np_of(x))
    np.testing.assert_array_equal(np_of(tapegrad.stack(list(x.unbind(dim)), dim=dim)), np_of(x))
    check_grads(lambda t: tapegrad.cat([p * (i + 1) for i, p in enumerate(t.tensor_split(how, dim))], dim=dim)
                if isinstance(how, int) else t.tensor_split(how, dim)[0], [x], order=2)


@settings(max_examples=40, deadline=None)
@given(shapes_=st.lists(shapes, min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_atleast_and_the_stacks_agree_with_numpy(shapes_, seed):
    arrays = [_arr(s, seed + i) for i, s in enumerate(shapes_)]
    xs = [tapegrad.tensor(a, requires_grad=True) for a in arrays]
    for n in (1, 2, 3):
        ours = getattr(tapegrad, f"atleast_{n}d")(xs)
        theirs = getattr(np, f"atleast_{n}d")(*arrays)
        theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
        assert [tuple(t.shape) for t in ours] == [t.shape for t in theirs]
    for name in ("hstack", "vstack", "dstack", "column_stack"):
        try:
            want = getattr(np, name)(arrays)
        except ValueError:
            with pytest.raises(RuntimeError):
                getattr(tapegrad, name)(xs)
            continue
        np.testing.assert_array_equal(np_of(getattr(tapegrad, name)(xs)), want)


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(0, 4), min_size=1, max_size=3), indexing=st.sampled_from(["ij", "xy"]),
       seed=st.integers(0, 2**16))
def test_meshgrid_and_broadcast_tensors_agree_with_numpy(sizes, indexing, seed):
    arrays = [_arr((n,), seed + i) for i, n in enumerate(sizes)]
    xs = [tapegrad.tensor(a, requires_grad=True) for a in arrays]
    for ours, theirs in zip(tapegrad.meshgrid(*xs, indexing=indexing), np.meshgrid(*arrays, indexing=indexing)):
        np.testing.assert_array_equal(np_of(ours), theirs)
    k = len(arrays)
    grids = [a.reshape((1,) * i + (-1,) + (1,) * (k - i - 1)) for i, a in enumerate(arrays)]
    for ours, theirs in zip(tapegrad.broadcast_tensors(*[tapegrad.tensor(g) for g in grids]),
                            np.broadcast_arrays(*grids)):
        np.testing.assert_array_equal(np_of(ours), theirs)


def test_numpys_keyword_spellings_are_accepted_so_vjps_may_call_either_namespace():
    x = leaf((3, 4))
    assert np.array_equal(np_of(x.roll(shift=1, axis=0)), np.roll(np_of(x), 1, 0))
    assert np.array_equal(np_of(x.tril(k=-1)), np.tril(np_of(x), -1))
    assert np.array_equal(np_of(x.rot90(axes=(1, 0))), np.rot90(np_of(x), axes=(1, 0)))
    assert np.array_equal(np_of(x.diagonal(axis1=1, axis2=0)), np.diagonal(np_of(x), 0, 1, 0))


def test_a_diagonal_follows_writes_into_its_base_and_views_of_it_chain():
    x = leaf((3, 3))
    y = x * 1
    d = y.diagonal()
    y.mul_(2)  # d sees the new values, and its history is replayed on y's
    d.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), 2 * np.eye(3))
    x.grad = None
    y = x * 1
    y.diagonal(1)[0].mul_(5)  # a view of the diagonal view: the base's element (0, 1)
    y.sum().backward()
    want = np.ones((3, 3))
    want[0, 1] = 5
    np.testing.assert_allclose(np_of(x.grad), want)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple), offset=st.integers(-6, 6),
       data=st.data())
def test_diagonal_positions_are_numpys_diagonal_of_an_index_array(shape, offset, data):
    """The flat positions the diagonal family gathers from and scatters to, worked out from strides
    (never an index array the size of the tensor), are NumPy's diagonal of ``arange``."""
    from tapegrad.ops_builtin.shape_more import _diagonal_positions

    nd = len(shape)
    a, b = data.draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
    want = np.diagonal(np.arange(int(np.prod(shape))).reshape(shape), offset, a, b)
    got = _diagonal_positions(shape, offset, a, b)
    assert got.shape == want.shape and np.array_equal(got, want)


SECOND_ORDER = {
    "roll": lambda x: x.roll((1,), (0,)), "rot90": lambda x: x.rot90(), "tril": lambda x: x.tril(1),
    "triu": lambda x: x.triu(), "diagonal": lambda x: x.diagonal(1), "diag_embed": lambda x: x.diag_embed(),
    "trace": lambda x: x.trace(), "repeat": lambda x: x.repeat(2, 1), "diag": lambda x: x.diag(),
    "repeat_interleave": lambda x: x.repeat_interleave(tapegrad.tensor([1, 0, 2]), dim=0),
    "unbind": lambda x: tapegrad.stack(x.unbind(1)), "tensor_split": lambda x: x.tensor_split(2, 1)[1],
    "meshgrid": lambda x: tapegrad.meshgrid(x[0], x[1], indexing="xy")[0],
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order_on_array_api_strict_equals_numpys(name):
    """The kit checks second order on NumPy; the VJPs call ops by name through ``xp``, which on other
    backends must resolve to the same ops (the registered ones where the library lacks them)."""
    hessians = []
    for backend in ("numpy", "array_api_strict"):
        x = tapegrad.tensor(np.arange(12.0).reshape(3, 4) / 7).to(backend).requires_grad_()
        (g,) = tapegrad.autograd.grad((SECOND_ORDER[name](x) ** 3).sum(), [x], create_graph=True)
        (h,) = tapegrad.autograd.grad((g * g).sum(), [x])
        hessians.append(np.asarray(h.to("numpy").detach().numpy()))
    np.testing.assert_allclose(*hessians, rtol=1e-12)
