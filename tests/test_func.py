"""tapegrad.func: grad, value_and_grad, vjp, jacobian, hessian against finite differences and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import func


def T(values, dtype=tapegrad.float64, **kw):
    return tapegrad.tensor(values, dtype=dtype, **kw)


def quad(A: np.ndarray):
    """x -> x . A x, written with the ops every install has."""
    At = T(A)
    n = A.shape[0]
    return lambda x: (x.reshape((n, 1)) * At * x.reshape((1, n))).sum()


def smooth(x, y):
    """A scalar function of two tensors mixing several ops."""
    return ((x * y).exp() / (1 + x * x) + (y * y + 1).log() * x).sum()


def numeric_jacobian(f, args, argnum, eps=1e-6):
    """Central differences of f (a tensor function) w.r.t. args[argnum]; shape out.shape + in.shape."""
    base = [np.array(a, dtype=np.float64) for a in args]
    x0 = base[argnum]
    out0 = np.asarray(f(*[T(b) for b in base]).detach().numpy())
    J = np.zeros(out0.shape + x0.shape)
    for idx in np.ndindex(x0.shape):
        plus, minus = [b.copy() for b in base], [b.copy() for b in base]
        plus[argnum][idx] += eps
        minus[argnum][idx] -= eps
        fp = f(*[T(b) for b in plus]).detach().numpy()
        fm = f(*[T(b) for b in minus]).detach().numpy()
        J[(Ellipsis,) + idx] = (fp - fm) / (2 * eps)
    return J


rng = np.random.default_rng(0)
X = rng.normal(size=(3,))
Y = rng.normal(size=(3,))


# --------------------------------------------------------------------------- grad
def test_grad_matches_finite_differences():
    g = func.grad(smooth)(T(X), T(Y))
    assert type(g) is tapegrad.Tensor and g.shape == (3,) and g.dtype is tapegrad.float64
    np.testing.assert_allclose(g.numpy(), numeric_jacobian(smooth, (X, Y), 0), rtol=1e-6, atol=1e-8)


def test_grad_argnums_tuple_and_negative():
    gx, gy = func.grad(smooth, argnums=(0, 1))(T(X), T(Y))
    np.testing.assert_allclose(gx.numpy(), numeric_jacobian(smooth, (X, Y), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy.numpy(), numeric_jacobian(smooth, (X, Y), 1), rtol=1e-6, atol=1e-8)
    only_y = func.grad(smooth, argnums=-1)(T(X), T(Y))
    np.testing.assert_allclose(only_y.numpy(), gy.numpy())
    (single,) = func.grad(smooth, argnums=(1,))(T(X), T(Y))  # a tuple argnums always gives a tuple
    np.testing.assert_allclose(single.numpy(), gy.numpy())


def test_grad_closed_form_and_plain_result():
    x = T([1.0, 2.0, 3.0])
    g = func.grad(lambda x: (x ** 3).sum())(x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    assert not g.requires_grad and g.grad_fn is None  # nothing outside can see it: a plain tensor
    assert not x.requires_grad and x.grad is None


def test_grad_leaves_callers_tensors_alone():
    x = T([1.0, 2.0], requires_grad=True)
    g = func.grad(lambda x: (x * x).sum())(x)
    np.testing.assert_allclose(g.detach().numpy(), [2.0, 4.0])
    assert x.grad is None and x.is_leaf and x.requires_grad


def test_grad_of_a_tensor_that_requires_grad_stays_differentiable():
    x = T(2.0, requires_grad=True)
    g = func.grad(lambda x: x ** 3)(x)
    assert g.requires_grad
    g.backward()
    assert x.grad.item() == pytest.approx(12.0)  # d/dx 3x^2


def test_grad_under_no_grad_gives_plain_tensors():
    x = T(2.0, requires_grad=True)
    with tapegrad.no_grad():
        g = func.grad(lambda x: x ** 3)(x)
        assert not tapegrad.is_grad_enabled()
    assert g.item() == pytest.approx(12.0) and not g.requires_grad


def test_grad_converts_floats_and_arrays():
    assert func.grad(lambda x: x ** 2)(3.0).item() == pytest.approx(6.0)
    g = func.grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    assert g.dtype is tapegrad.float64
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    g = func.grad(lambda x: (x ** 2).sum())([1.0, 2.0])
    assert g.dtype is tapegrad.float32


def test_grad_passes_other_arguments_through():
    def f(x, scale, *, shift):
        return ((x + shift) * scale).sum()

    g = func.grad(f)(T([1.0, 2.0]), 3, shift=T([5.0, 5.0]))
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])


def test_grad_of_unused_input_and_constant_output_is_zero():
    gx, gy = func.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(T([1.0]), T([1.0, 2.0]))
    np.testing.assert_allclose(gy.numpy(), [0.0, 0.0])
    g = func.grad(lambda x: T(1.0))(T([1.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [0.0, 0.0])


def test_grad_has_aux():
    def f(x):
        y = x * x
        return y.sum(), {"y": y, "note": "kept"}

    g, aux = func.grad(f, has_aux=True)(T([1.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(aux["y"].numpy(), [1.0, 4.0])
    assert aux["note"] == "kept" and not aux["y"].requires_grad


def test_nested_grad_of_cube_is_6x():
    d2 = func.grad(func.grad(lambda x: x ** 3))
    for v in (-1.5, 0.5, 2.0):
        assert d2(T(v)).item() == pytest.approx(6 * v)
    d3 = func.grad(func.grad(func.grad(lambda x: x ** 3)))
    assert d3(T(0.7)).item() == pytest.approx(6.0)
    d2_plain = d2(T(2.0))
    assert not d2_plain.requires_grad


def test_nested_grad_mixed_partials():
    f = lambda x, y: (x * x * y * y * y).sum()  # noqa: E731
    dxdy = func.grad(lambda x, y: func.grad(f, argnums=1)(x, y).sum(), argnums=0)
    x, y = T([1.5]), T([-0.5])
    np.testing.assert_allclose(dxdy(x, y).numpy(), 2 * 1.5 * 3 * 0.25)


def test_nested_grad_mixed_partials_vectors():
    # d/dx_i sum_j d/dy_j sum_k x_k^2 y_k^3 = 2 x_i * 3 y_i^2
    f = lambda x, y: (x * x * y * y * y).sum()  # noqa: E731
    dxdy = func.grad(lambda x, y: func.grad(f, argnums=1)(x, y).sum(), argnums=0)
    np.testing.assert_allclose(dxdy(T(X), T(Y)).numpy(), 6 * X * Y ** 2)


def test_long_chain():
    def f(x):
        for _ in range(10_000):
            x = x * 1.0001
        return x.sum()

    g = func.grad(f)(T([1.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [1.0001 ** 10_000] * 2)


def test_nested_grad_keeps_perturbations_apart():
    # d/dx [x * (d/dy x*y)|_{y=x}] = d/dx x^2 = 2x: the inner transform must not see x's own use.
    g = func.grad(lambda x: x * func.grad(lambda y: x * y)(x))(T(3.0))
    assert g.item() == pytest.approx(6.0)


def test_nested_grad_through_a_closure():
    # The inner input is a constant; the inner result depends on x only through the closure.
    g = func.grad(lambda x: func.grad(lambda y: x * x * y)(T(5.0)))(T(3.0))
    assert g.item() == pytest.approx(6.0)


def test_value_and_grad():
    value, g = func.value_and_grad(smooth, argnums=(0, 1))(T(X), T(Y))
    assert value.item() == pytest.approx(smooth(T(X), T(Y)).item())
    assert not value.requires_grad
    np.testing.assert_allclose(g[1].numpy(), numeric_jacobian(smooth, (X, Y), 1), rtol=1e-6, atol=1e-8)
    (value, aux), g = func.value_and_grad(lambda x: ((x * x).sum(), 7), has_aux=True)(T([3.0]))
    assert value.item() == 9.0 and aux == 7 and g.item() == 6.0


# --------------------------------------------------------------------------- vjp
def test_vjp_matches_jacobian_transpose():
    f = lambda x, y: (x * y).exp() + x / (1 + y * y)  # noqa: E731
    out, vjp_fn = func.vjp(f, T(X), T(Y))
    np.testing.assert_allclose(out.numpy(), f(T(X), T(Y)).numpy())
    assert not out.requires_grad
    v = rng.normal(size=(3,))
    gx, gy = vjp_fn(T(v))
    np.testing.assert_allclose(gx.numpy(), v @ numeric_jacobian(f, (X, Y), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy.numpy(), v @ numeric_jacobian(f, (X, Y), 1), rtol=1e-6, atol=1e-8)
    again = vjp_fn(v)  # callable again, and with a NumPy cotangent
    np.testing.assert_allclose(again[0].numpy(), gx.numpy())


def test_vjp_tuple_outputs_and_aux():
    f = lambda x: ((x * 2, (x * x).sum()), "aux")  # noqa: E731
    (a, b), vjp_fn, aux = func.vjp(f, T([1.0, 2.0]), has_aux=True)
    assert aux == "aux" and b.item() == 5.0
    (g,) = vjp_fn((T([1.0, 1.0]), T(1.0)))
    np.testing.assert_allclose(g.numpy(), [2 + 2, 2 + 4])
    with pytest.raises(TypeError, match="tuple of 2 cotangents"):
        vjp_fn(T([1.0, 1.0]))


def test_vjp_cotangent_shape_mismatch():
    _, vjp_fn = func.vjp(lambda x: x * 2, T([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        vjp_fn(T([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="at least one primal"):
        func.vjp(lambda: T(1.0))


# --------------------------------------------------------------------------- jacobian
def test_jacobian_of_elementwise_is_diagonal():
    J = func.jacobian(lambda x: x.exp())(T(X))
    np.testing.assert_allclose(J.numpy(), np.diag(np.exp(X)))


def test_jacobian_shapes_and_finite_differences():
    A = rng.normal(size=(2, 3))
    f = lambda x: (T(A).reshape((2, 3, 1)) * x.reshape((1, 3, 2))).exp().sum(1)  # noqa: E731
    x = rng.normal(size=(3, 2))
    J = func.jacobian(f)(T(x))
    assert J.shape == (2, 2, 3, 2)
    np.testing.assert_allclose(J.numpy(), numeric_jacobian(f, (x,), 0), rtol=1e-6, atol=1e-8)


def test_jacobian_argnums_tuple_and_tuple_outputs():
    Jx, Jy = func.jacobian(lambda x, y: x * y, argnums=(0, 1))(T([1.0, 2.0]), T([3.0, 4.0]))
    np.testing.assert_allclose(Jx.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(Jy.numpy(), np.diag([1.0, 2.0]))
    Ja, Jb = func.jacobian(lambda x: (x * x, x.sum()))(T([1.0, 2.0]))
    np.testing.assert_allclose(Ja.numpy(), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(Jb.numpy(), [1.0, 1.0])
    J, aux = func.jacobian(lambda x: (x * 3, "a"), has_aux=True)(T([1.0]))
    assert aux == "a" and J.shape == (1, 1) and J.item() == 3.0


def test_jacobian_of_a_scalar_and_of_a_constant():
    J = func.jacobian(lambda x: (x * x).sum())(T([1.0, 2.0]))
    assert J.shape == (2,)
    np.testing.assert_allclose(J.numpy(), [2.0, 4.0])
    J = func.jacobian(lambda x, y: y * 2)(T([1.0, 2.0]), T([1.0, 1.0, 1.0]))
    assert J.shape == (3, 2) and not J.numpy().any()


def test_jacobian_inside_grad_is_differentiable():
    # d/dx sum_ij J_ij with J = diag(3x^2): sum is 3 sum x^2, gradient 6x.
    g = func.grad(lambda x: func.jacobian(lambda x: x ** 3)(x).sum())(T([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g.numpy(), [6.0, 12.0, 18.0])


# --------------------------------------------------------------------------- hessian
def test_hessian_of_quadratic_form_is_A_plus_A_transpose():
    A = rng.normal(size=(4, 4))
    H = func.hessian(quad(A))(T(rng.normal(size=(4,))))
    assert H.shape == (4, 4) and not H.requires_grad
    np.testing.assert_allclose(H.numpy(), A + A.T, rtol=1e-12, atol=1e-12)


def test_hessian_matches_finite_differences_of_the_gradient():
    grad_x = lambda x, y: func.grad(smooth)(x, y)  # noqa: E731
    H = func.hessian(smooth)(T(X), T(Y))
    np.testing.assert_allclose(H.numpy(), numeric_jacobian(grad_x, (X, Y), 0), rtol=1e-5, atol=1e-7)
    blocks = func.hessian(smooth, argnums=(0, 1))(T(X), T(Y))
    assert len(blocks) == 2 and all(len(row) == 2 for row in blocks)
    np.testing.assert_allclose(blocks[0][0].numpy(), H.numpy())
    np.testing.assert_allclose(blocks[0][1].numpy(), blocks[1][0].numpy().T, rtol=1e-10, atol=1e-12)
    grad_y = lambda x, y: func.grad(smooth, argnums=1)(x, y)  # noqa: E731
    np.testing.assert_allclose(blocks[1][0].numpy(), numeric_jacobian(grad_y, (X, Y), 0), rtol=1e-5, atol=1e-7)


def test_hessian_of_a_vector_function():
    H = func.hessian(lambda x: x ** 3)(T([1.0, 2.0]))
    assert H.shape == (2, 2, 2)
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0], expected[1, 1, 1] = 6.0, 12.0
    np.testing.assert_allclose(H.numpy(), expected)


# --------------------------------------------------------------------------- errors
def test_grad_needs_a_scalar_output():
    with pytest.raises(RuntimeError, match=r"must return a scalar.*shape \[2\].*vjp or jacobian"):
        func.grad(lambda x: x * 2)(T([1.0, 2.0]))
    with pytest.raises(TypeError, match="must return a Tensor"):
        func.grad(lambda x: 1.0)(T(1.0))
    with pytest.raises(TypeError, match="must return a Tensor"):
        func.grad(lambda x: (x, x))(T(1.0))


@pytest.mark.parametrize("argnums, error, message", [
    (1.0, TypeError, "int or a tuple of ints"),
    (True, TypeError, "int or a tuple of ints"),
    ((0, "1"), TypeError, "int or a tuple of ints"),
    ((), ValueError, "at least one argument"),
])
def test_bad_argnums_refused_when_the_transform_is_made(argnums, error, message):
    for transform in (func.grad, func.value_and_grad, func.jacobian, func.hessian):
        with pytest.raises(error, match=message):
            transform(lambda x: x, argnums=argnums)


def test_argnums_checked_against_the_call():
    with pytest.raises(ValueError, match="argnums 2 is out of range for a call with 2 positional arguments"):
        func.grad(smooth, argnums=2)(T(X), T(Y))
    with pytest.raises(ValueError, match="out of range"):
        func.jacobian(smooth, argnums=(0, -3))(T(X), T(Y))
    with pytest.raises(ValueError, match="each argument once"):
        func.grad(smooth, argnums=(0, -2))(T(X), T(Y))


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match=r"has_aux=True, f must return a pair \(output, aux\)"):
        func.grad(lambda x: x * 2, has_aux=True)(T(1.0))
    with pytest.raises(TypeError, match="length 3"):
        func.grad(lambda x: (x, 1, 2), has_aux=True)(T(1.0))


def test_integer_inputs_are_refused():
    with pytest.raises(TypeError, match="only floating point inputs can be differentiated"):
        func.grad(lambda x: x * 2)(2)
    with pytest.raises(TypeError, match="argument 0"):
        func.jacobian(lambda x: x)(tapegrad.tensor([1, 2]))


def test_transforms_are_named_after_f():
    def loss(x):
        return (x * x).sum()

    assert func.grad(loss).__name__ == "grad(loss)"
    assert func.hessian(loss).__name__ == "hessian(loss)"
    assert func.grad(loss).__doc__ == loss.__doc__


def test_other_backends():
    pytest.importorskip("array_api_strict")
    x = T([1.0, 2.0]).to("array_api_strict")
    g = func.grad(lambda x: (x ** 3).sum())(x)
    assert g.backend == "array_api_strict"
    np.testing.assert_allclose(np.asarray(g.to("numpy").numpy()), [3.0, 12.0])
    H = func.hessian(lambda x: (x ** 3).sum())(x)
    assert H.backend == "array_api_strict"
    np.testing.assert_allclose(np.asarray(H.to("numpy").numpy()), np.diag([6.0, 12.0]))


def test_docstring_examples():
    import doctest

    failures, tried = doctest.testmod(func, extraglobs={"tapegrad": tapegrad})
    assert tried >= 1 and failures == 0
