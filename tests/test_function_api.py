"""autograd.Function as PyTorch documents it: tuple outputs, setup_context, mark_non_differentiable,
mark_dirty, set_materialize_grads, once_differentiable, trailing Nones, NumPy inside forward.
Each asserts PyTorch 2.13's result (tests/parity/programs/extending_autograd.py compares live)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad
from tapegrad.autograd import Function, gradcheck, gradgradcheck, once_differentiable


def t(values, requires_grad=True):
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class SquareAndCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2, x ** 3

    @staticmethod
    def backward(ctx, g2, g3):
        (x,) = ctx.saved_tensors
        return g2 * 2 * x + g3 * 3 * x ** 2


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), elements=st.floats(-2, 2)))
def test_tuple_outputs_first_and_second_order(x):
    leaf = t(x)
    square, cube = SquareAndCube.apply(leaf)
    np.testing.assert_allclose(square.detach().numpy(), x ** 2)
    (g,) = tapegrad.autograd.grad((square * cube).sum(), leaf, create_graph=True)  # d(x^5) = 5x^4
    np.testing.assert_allclose(g.detach().numpy(), 5 * x ** 4, atol=1e-12)
    (h,) = tapegrad.autograd.grad(g.sum(), leaf)
    np.testing.assert_allclose(h.numpy(), 20 * x ** 3, atol=1e-12)


def test_tuple_outputs_pass_gradcheck_and_name_their_nodes():
    x = t([0.5, -1.5, 2.0])
    assert gradcheck(SquareAndCube.apply, (x,)) and gradgradcheck(SquareAndCube.apply, (x,))
    square, cube = SquareAndCube.apply(x)
    assert square.grad_fn is not cube.grad_fn
    only = SquareAndCube.apply(x)[1]
    only.sum().backward()  # one output used: the other's cotangent is zeros
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2)


class MulAndAdd(Function):
    @staticmethod
    def forward(x, y):
        return x * y, x + y

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y = inputs
        ctx.save_for_backward(x, y)
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    def backward(ctx, g_mul, g_add):
        MulAndAdd.seen = g_add
        x, y = ctx.saved_tensors
        return g_mul * y, g_mul * x


def test_setup_context_and_non_differentiable_outputs():
    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    product, total = MulAndAdd.apply(a, b)
    assert product.requires_grad and not total.requires_grad and total.grad_fn is None
    product.sum().backward()
    assert MulAndAdd.seen.tolist() == [0.0, 0.0]  # zeros for the non-differentiable output
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


class Twice(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        Twice.seen = (g1, g2)
        return (g1 * 2 if g1 is not None else 0) + (g2 * 3 if g2 is not None else 0)


def test_without_materialized_grads_unused_outputs_give_none():
    x = t([1.0, 1.0])
    _, tripled = Twice.apply(x)
    tripled.sum().backward()
    assert Twice.seen[0] is None and Twice.seen[1].tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [3.0, 3.0]


class DoubleInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_mark_dirty_rewrites_the_inputs_history():
    leaf = t([1.0, 1.0])
    y = leaf * 1
    out = DoubleInPlace.apply(y)
    assert out is y and y.grad_fn.name() == "DoubleInPlaceBackward" and y._version == 2  # mul_ and mark_dirty, as PyTorch
    out.sum().backward()
    assert leaf.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
        DoubleInPlace.apply(leaf)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return tapegrad.from_numpy(x.numpy() ** 3)  # NumPy inside forward: grad mode is off there

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2, None  # a trailing None for an argument that is not there


def test_numpy_in_forward_once_differentiable_and_trailing_nones():
    x = t([1.0, 2.0])
    (g,) = tapegrad.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0] and not g.requires_grad  # once_differentiable: no graph, as PyTorch
    assert repr(Cube.apply(x).grad_fn).startswith("<tapegrad.autograd.function.CubeBackward object at")
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
