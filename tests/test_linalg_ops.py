"""The linear-algebra ops (ops_builtin/linalg.py): the conformance kit over every op (first and
second order, array_api_strict too), matmul's 1-D and batch-broadcasting rules with gradients
to second order, dot/outer/tensordot, einsum against NumPy (traces, batches, ellipses,
implicit outputs) differentiated to second and third order, and PyTorch's shape errors."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry, Tensor
from tapegrad.ops_builtin import linalg
from conftest import EAGER
from tapegrad.testing import check_grads, parametrize_with_op_checks

OPS = ["matmul", "dot", "outer", "tensordot", "contract", "einsum"]

RNG = np.random.default_rng(20241126)


def leaf(shape, requires_grad: bool = True) -> Tensor:
    return tapegrad.tensor(RNG.standard_normal(shape), requires_grad=requires_grad)


def arr(t: Tensor) -> np.ndarray:
    return t.detach().numpy()


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS, backends=EAGER)
def test_conformance(op_check):
    op_check()


def test_the_list_above_is_every_op_the_module_registers():
    registry = Registry("probe")
    linalg.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(OPS)
    assert {tapegrad.lookup(name).plugin for name in OPS} == {"tapegrad.ops_builtin"}


# ---------------------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((3,), (3,)),                  # (n) @ (n): a dot product
    ((2, 3), (3,)),                # (m, n) @ (n)
    ((3,), (3, 4)),                # (n) @ (n, k)
    ((2, 3), (3, 4)),              # (m, n) @ (n, k)
    ((5, 2, 3), (3, 4)),           # batched (b, m, n) @ (n, k)
    ((5, 2, 3), (5, 3, 4)),        # batched both sides
    ((2, 1, 2, 3), (3, 3, 4)),     # broadcasting batch: (2, 1, m, n) @ (3, n, k)
    ((3,), (2, 3, 4)),             # (n) @ batched
    ((2, 2, 3), (3,)),             # batched @ (n)
    ((1, 2, 3), (4, 1, 3, 2)),     # size-1 batch dims on both sides
]


@pytest.mark.parametrize("xs,ys", MATMUL_SHAPES, ids=str)
def test_matmul_values_shapes_and_gradients(xs, ys):
    x, y = leaf(xs), leaf(ys)
    want = np.matmul(arr(x), arr(y))
    for out in (x @ y, tapegrad.matmul(x, y), x.matmul(y)):
        assert out.shape == want.shape
        np.testing.assert_allclose(arr(out), want, rtol=1e-12)
    check_grads(lambda a, b: a @ b, [x, y], order=2)


def test_matmul_gradient_sums_broadcast_batch_dims():
    x, y = leaf((2, 1, 2, 3)), leaf((3, 3, 4))
    out = x @ y
    assert out.shape == (2, 3, 2, 4)
    gx, gy = tapegrad.autograd.grad(out.sum(), [x, y])
    g = np.ones((2, 3, 2, 4))
    np.testing.assert_allclose(arr(gx), (g @ np.swapaxes(arr(y), -1, -2)).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(arr(gy), (np.swapaxes(arr(x), -1, -2) @ g).sum(axis=0))


def test_matmul_third_order_and_dtypes():
    check_grads(lambda a, b: (a @ b) * (a @ b), [leaf((2, 3)), leaf((3, 2))], order=3)
    a32, b32 = tapegrad.randn(2, 3), tapegrad.randn(3, 4)
    assert (a32 @ b32).dtype is tapegrad.float32
    ints = tapegrad.tensor([[1, 2], [3, 4]])
    assert (ints @ ints).tolist() == [[7, 10], [15, 22]] and (ints @ ints).dtype is tapegrad.int64
    assert (ints @ tapegrad.tensor([0.5, 1.0])).dtype is tapegrad.float32


def test_matmul_with_a_numpy_operand_and_the_node_name():
    x = leaf((2, 3))
    out = x @ np.ones((3, 2))
    np.testing.assert_allclose(arr(out), arr(x) @ np.ones((3, 2)))
    assert out.grad_fn.op.node_name == "MatmulBackward0"


@pytest.mark.parametrize("xs,ys,message", [
    ((3,), (4,), r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of "
                 r"elements, but got 3 and 4 elements respectively"),
    ((2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ((3,), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    ((2, 3), (4,), r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    ((5, 2, 3), (4, 2), r"mat1 and mat2 shapes cannot be multiplied \(10x3 and 4x2\)"),
    ((2, 2, 3), (3, 3, 4), r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
                           r"dimension 0"),
    ((), (3,), r"both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
])
def test_matmul_shape_errors_in_pytorch_words(xs, ys, message):
    with pytest.raises(RuntimeError, match=message):
        tapegrad.randn(*xs) @ tapegrad.randn(*ys)


# ---------------------------------------------------------------------------- dot, outer
def test_dot_and_outer():
    x, y = leaf((4,)), leaf((4,))
    np.testing.assert_allclose(arr(x.dot(y)), arr(x) @ arr(y))
    assert x.dot(y).shape == ()
    check_grads(tapegrad.dot, [x, y], order=2)
    z = leaf((3,))
    np.testing.assert_allclose(arr(tapegrad.outer(x, z)), np.outer(arr(x), arr(z)))
    check_grads(lambda a, b: a.outer(b), [x, z], order=2)


def test_dot_and_outer_errors():
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        tapegrad.dot(tapegrad.ones(2, 2), tapegrad.ones(2))
    with pytest.raises(RuntimeError, match=r"inconsistent tensor size, expected tensor \[2\] and src \[3\]"):
        tapegrad.dot(tapegrad.ones(2), tapegrad.ones(3))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument vec2, but got 2-D"):
        tapegrad.outer(tapegrad.ones(2), tapegrad.ones(2, 2))


# ---------------------------------------------------------------------------- tensordot
@pytest.mark.parametrize("xs,ys,dims,np_axes", [
    ((2, 3, 4), (3, 4, 5), 2, 2),
    ((2, 3), (3, 4), 1, 1),
    ((2, 3), (4, 5), 0, 0),
    ((3, 2), (4, 3), ([0], [1]), ([0], [1])),
    ((2, 3, 4), (4, 2, 5), ([2, 0], [0, 1]), ([2, 0], [0, 1])),
    ((2, 3, 4), (4, 3), ((-1, 1), (0, -1)), ([2, 1], [0, 1])),
    ((3, 4), (4, 2), (1, 0), ([1], [0])),
])
def test_tensordot(xs, ys, dims, np_axes):
    a, b = leaf(xs), leaf(ys)
    np.testing.assert_allclose(arr(tapegrad.tensordot(a, b, dims=dims)), np.tensordot(arr(a), arr(b), np_axes))
    np.testing.assert_allclose(arr(tapegrad.tensordot(a, b, axes=dims)), np.tensordot(arr(a), arr(b), np_axes))
    check_grads(lambda u, v: tapegrad.tensordot(u, v, dims), [a, b], order=2)


def test_tensordot_errors():
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has size 3 in dim 1 and "
                                           "second has size 4 in dim 0"):
        tapegrad.tensordot(tapegrad.ones(2, 3), tapegrad.ones(4, 5), dims=([1], [0]))
    with pytest.raises(RuntimeError, match="both dimension lists should have same length"):
        tapegrad.tensordot(tapegrad.ones(2, 3), tapegrad.ones(3, 2), dims=([0, 1], [1]))
    with pytest.raises(RuntimeError, match="tensordot expects dims >= 0"):
        tapegrad.tensordot(tapegrad.ones(2), tapegrad.ones(2), dims=-1)


# ---------------------------------------------------------------------------- einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),              # matrix product
    ("ij,jk", [(2, 3), (3, 4)]),                  # implicit output
    ("ii->", [(3, 3)]),                           # trace
    ("ii", [(3, 3)]),                             # trace, implicit
    ("ii->i", [(3, 3)]),                          # diagonal
    ("bii->b", [(2, 3, 3)]),                      # batched trace
    ("iji->j", [(2, 3, 2)]),                      # a diagonal across non-adjacent dims
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),          # a diagonal inside a contraction
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),     # batched matrix product
    ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),     # ... against a transposed operand
    ("ij->ji", [(2, 3)]),                         # transpose
    ("ij->", [(2, 3)]),                           # sum
    ("i,i->", [(3,), (3,)]),                      # dot
    ("i,j", [(2,), (3,)]),                        # outer
    ("ij,ij->ij", [(2, 3), (2, 3)]),              # Hadamard product
    ("ijk,ikl,lm->jm", [(2, 3, 4), (2, 4, 5), (5, 2)]),  # three operands
    (",ij->ij", [(), (2, 3)]),                    # a scalar operand
    ("ba,ab", [(2, 3), (3, 2)]),                  # implicit output, alphabetical
    ("...ij,...jk", [(2, 2, 3), (3, 4)]),         # ellipsis, implicit output
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),  # ellipsis dims broadcast
    ("...i,...i->...", [(4, 1, 3), (2, 3)]),      # batched dot with broadcasting
    ("a...b,b...->a...", [(2, 3, 4, 5), (5, 4)]),  # ellipsis in the middle
    ("i...->...", [(2, 1, 3)]),
    ("...", [(2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_numpy_and_is_differentiable_twice(equation, shapes):
    operands = [leaf(s) for s in shapes]
    want = np.einsum(equation, *[arr(t) for t in operands])
    got = tapegrad.einsum(equation, *operands)
    assert got.shape == want.shape
    np.testing.assert_allclose(arr(got), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(arr(tapegrad.einsum(equation, operands)), want, rtol=1e-12, atol=1e-12)
    check_grads(lambda *ts: tapegrad.einsum(equation, *ts), operands, order=2)


@pytest.mark.parametrize("equation,shapes", [("ii->", [(3, 3)]), ("ij,jk->ik", [(2, 3), (3, 2)]),
                                             ("bii,bi->b", [(2, 3, 3), (2, 3)])])
def test_einsum_third_order(equation, shapes):
    check_grads(lambda *ts: tapegrad.einsum(equation, *ts) ** 2, [leaf(s) for s in shapes], order=3)


def test_einsum_trace_gradient_is_the_identity():
    a = leaf((3, 3))
    (g,) = tapegrad.autograd.grad(tapegrad.einsum("ii", a), [a])
    np.testing.assert_array_equal(arr(g), np.eye(3))
    assert tapegrad.einsum("ii", a).grad_fn.op.node_name == "EinsumBackward0"


def test_einsum_float32_and_constant_operands():
    a, b = tapegrad.randn(2, 3), tapegrad.randn(3, 4)
    assert tapegrad.einsum("ij,jk->ik", a, b).dtype is tapegrad.float32
    w = leaf((3, 4))
    (g,) = tapegrad.autograd.grad(tapegrad.einsum("ij,jk->", a.double(), w), [w])
    np.testing.assert_allclose(arr(g), np.broadcast_to(arr(a.double()).sum(axis=0)[:, None], (3, 4)), rtol=1e-6)


def test_contract_extensions_diagonal_and_broadcast_outputs():
    v = leaf((3,))
    np.testing.assert_allclose(arr(tapegrad.contract(v, equation="i->ii")), np.diag(arr(v)))
    m = leaf((2, 3))
    out = tapegrad.contract([m], "ij->ikj", {"k": 4})  # positional params after the list
    np.testing.assert_allclose(arr(out), np.broadcast_to(arr(m)[:, None, :], (2, 4, 3)))
    check_grads(lambda t: tapegrad.contract(t, equation="i->ii"), [v], order=2)
    check_grads(lambda t: tapegrad.contract(t, equation="ij->ikj", sizes={"k": 4}), [m], order=2)


@pytest.mark.parametrize("call,message", [
    (lambda a, b: tapegrad.einsum("ij,jk->ik", a), "fewer operands were provided than specified in the equation"),
    (lambda a, b: tapegrad.einsum("ij->ij", a, b), "more operands were provided than specified in the equation"),
    (lambda a, b: tapegrad.einsum("ijk,jk->i", a, b),
     r"the number of subscripts in the equation \(3\) does not match the number of dimensions \(2\) for operand 0 "
     "and no ellipsis was given"),
    (lambda a, b: tapegrad.einsum("ij,jk->ik", a, a), "subscript j has size 2 for operand 1 which does not broadcast "
                                                     "with previously seen size 3"),
    (lambda a, b: tapegrad.einsum("ij->k", a), "output subscript k does not appear in the equation for any input"),
    (lambda a, b: tapegrad.einsum("ij->ii", a), "output subscript i appears more than once in the output"),
    (lambda a, b: tapegrad.einsum("i1,jk", a, b), "invalid subscript given at index 1 in the equation string"),
    (lambda a, b: tapegrad.einsum("...i,...i", tapegrad.ones(2, 3), tapegrad.ones(4, 3)),
     "operands do not broadcast"),
    (lambda a, b: tapegrad.einsum("ijk...->", a), r"\(3\) is more than the number of dimensions \(2\)"),
])
def test_einsum_errors_in_pytorch_words(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(tapegrad.ones(2, 3), tapegrad.ones(3, 4))


def test_einsum_argument_errors():
    with pytest.raises(TypeError, match="the equation must come first"):
        tapegrad.einsum(tapegrad.ones(2), "i->")
    with pytest.raises(TypeError, match="operand 0 must be a tensor"):
        tapegrad.einsum("i->", 3.0)
    with pytest.raises(RuntimeError, match="at least one operand"):
        tapegrad.einsum("i->")
