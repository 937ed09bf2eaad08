"""tapegrad.autograd.functional and gradcheck/gradgradcheck, against closed forms.

The same calls are compared with torch.autograd in tests/parity/test_functional_parity.py.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad
from tapegrad.autograd import GradcheckError, functional as F, gradcheck, gradgradcheck

floats = st.floats(-2, 2, allow_nan=False, width=64)


def t(values, requires_grad=False):
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), np.asarray(b), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=3), elements=floats))
def test_jacobian_of_elementwise_is_diagonal(x):
    jac = F.jacobian(lambda a: a.sin() * a, t(x))
    flat = x.reshape(-1)
    expected = np.diag(np.cos(flat) * flat + np.sin(flat)).reshape(x.shape + x.shape)
    close(jac, expected)
    assert jac.grad_fn is None and not jac.requires_grad


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 4), elements=floats),
       hnp.arrays(np.float64, st.integers(1, 4), elements=floats))
def test_hessian_vector_products_agree_with_the_hessian(x, v):
    n = min(len(x), len(v))
    x, v = x[:n], v[:n]
    f = lambda a: (a ** 3).sum() + (a[0] * a).sum()  # noqa: E731
    hess = F.hessian(f, t(x)).numpy()
    expected = np.diag(6 * x)
    expected[0, :] += 1
    expected[:, 0] += 1
    np.testing.assert_allclose(hess, expected, atol=1e-12)
    value, hv = F.hvp(f, t(x), t(v))
    _, vh = F.vhp(f, t(x), t(v))
    close(hv, hess @ v)
    close(vh, v @ hess)
    close(value, np.asarray(f(t(x)).numpy()))


def test_vjp_and_jvp_with_tuples():
    a, b = t([0.5, -1.0, 2.0]), t([[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]])
    f = lambda x, y: ((x * y).sum(1), x.exp() * y)  # noqa: E731
    u = (t([1.0, -1.0]), t(np.ones((2, 3))))
    (out0, out1), (ga, gb) = F.vjp(f, (a, b), u)
    close(out0, (a.numpy() * b.numpy()).sum(1))
    close(ga, (u[0].numpy()[:, None] * b.numpy()).sum(0) + (np.exp(a.numpy()) * b.numpy()).sum(0))
    close(gb, u[0].numpy()[:, None] * a.numpy() + np.exp(a.numpy()))
    va, vb = t([1.0, 0.0, -1.0]), t(np.full((2, 3), 0.5))
    _, (j0, j1) = F.jvp(f, (a, b), (va, vb))
    close(j0, (va.numpy() * b.numpy() + a.numpy() * vb.numpy()).sum(1))
    close(j1, np.exp(a.numpy()) * va.numpy() * b.numpy() + np.exp(a.numpy()) * vb.numpy())


def test_jacobian_shapes_for_tuple_inputs_and_outputs():
    a, b = t([1.0, 2.0]), t([[1.0, 2.0, 3.0]])
    jac = F.jacobian(lambda x, y: (x * 2, y.sum()), (a, b))
    assert [tuple(block.shape) for row in jac for block in row] == [(2, 2), (2, 1, 3), (2,), (1, 3)]
    close(jac[0][1], np.zeros((2, 1, 3)))  # unused input: zeros, as PyTorch's non-strict mode
    with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in strict mode"):
        F.jacobian(lambda x, y: x * 2, (a, b), strict=True)


def test_create_graph_keeps_results_differentiable_and_leaves_inputs_alone():
    x = t([0.3, -0.7, 1.1], requires_grad=True)
    jac = F.jacobian(lambda a: a.sin() * a, x, create_graph=True)
    assert jac.requires_grad
    jac.sum().backward()
    xs = x.detach().numpy()
    close(x.grad, 2 * np.cos(xs) - xs * np.sin(xs))
    y = t([1.0, 2.0], requires_grad=True)
    F.hessian(lambda a: (a ** 3).sum(), y)
    F.vjp(lambda a: a * 2, y, t([1.0, 1.0]))
    assert y.grad is None and y.is_leaf


def test_errors_in_pytorchs_words():
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be tapegrad.Size\(\[2\]\)"):
        F.vjp(lambda a: a * 2, x, t([1.0]))
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        F.jacobian(lambda a: a, [x])
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        F.hvp(lambda a: (a, a), x, x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        F.vhp(lambda a: a * 2, x, x)
    with pytest.raises(ValueError, match="strategy"):
        F.jacobian(lambda a: a, x, strategy="sideways")


class _DetachedSquare(tapegrad.autograd.Function):
    """Right first derivative, wrong second: the backward cuts its use of ``a`` from the graph."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.detach() * 2


class _WrongSquare(tapegrad.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a * 3  # truth: 2 * a


def test_gradcheck_passes_right_gradients_and_catches_wrong_ones():
    x = t([[0.5, -1.2, 2.0], [0.3, 0.1, -0.7]], requires_grad=True)
    y = t([1.5, 0.2, -0.4], requires_grad=True)
    f = lambda a, b: (a.sin() * b, a.sum())  # noqa: E731
    assert gradcheck(f, (x, y)) is True
    assert gradcheck(f, (x, y), fast_mode=True) is True
    assert gradgradcheck(lambda a, b: (a.sin() * b).exp(), (x, y)) is True
    assert gradcheck(_WrongSquare.apply, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(_WrongSquare.apply, (x,))
    with pytest.raises(GradcheckError):
        gradcheck(_WrongSquare.apply, (x,), fast_mode=True)
    assert gradcheck(_DetachedSquare.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(_DetachedSquare.apply, (x,))
    assert x.grad is None and y.grad is None
    assert isinstance(GradcheckError("x"), RuntimeError)


def test_gradcheck_warns_for_single_precision_and_needs_an_input_that_requires_grad():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert gradcheck(lambda a: a * 2, (tapegrad.tensor([0.5, 1.0], requires_grad=True),),
                         eps=1e-3, atol=1e-2, rtol=1e-2)
    assert any("is not a double precision" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (t([1.0]),))


def test_autograd_grad_takes_pytorchs_keywords():
    x, y = t([1.0, 2.0], requires_grad=True), t([3.0], requires_grad=True)
    gx, gy = tapegrad.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    assert gx.tolist() == [2.0, 2.0] and gy.tolist() == [0.0]
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed"):
        tapegrad.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True, allow_unused=False)
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        (g,) = tapegrad.autograd.grad((x * 3).sum(), [x], only_inputs=False)
    assert g.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        tapegrad.autograd.grad((x * 2).sum(), [x, y])
