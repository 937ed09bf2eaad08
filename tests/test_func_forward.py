"""tapegrad.func's forward-mode transforms (jvp, jacfwd, linearize) and torch.func's other
names (grad_and_value, jacrev), against closed forms and against reverse mode."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad
from tapegrad import func

floats = st.floats(-2, 2, allow_nan=False, width=64)
vectors = hnp.arrays(np.float64, st.integers(1, 4), elements=floats)


def t(values):
    return tapegrad.tensor(np.asarray(values, dtype=np.float64))


def f(x, y):
    return (x.sin() * y).sum(1), x.exp()


@settings(max_examples=25, deadline=None)
@given(vectors, vectors)
def test_jvp_is_the_jacobian_times_the_tangent(x, v):
    n = min(len(x), len(v))
    x, v = x[:n], v[:n]
    g = lambda a: a.sin() * a ** 2  # noqa: E731
    out, jv = func.jvp(g, (t(x),), (t(v),))
    np.testing.assert_allclose(out.numpy(), np.sin(x) * x ** 2)
    np.testing.assert_allclose(jv.numpy(), (np.cos(x) * x ** 2 + 2 * x * np.sin(x)) * v, atol=1e-12)
    np.testing.assert_allclose(func.jacfwd(g)(t(x)).numpy(), func.jacrev(g)(t(x)).numpy(), atol=1e-12)


def test_jvp_with_tuples_and_aux():
    a, b = t([0.3, -0.7, 1.2]), t([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])
    va, vb = t([1.0, 0.0, 2.0]), t(np.ones((2, 3)))
    (o0, o1), (j0, j1) = func.jvp(f, (a, b), (va, vb))
    an, bn, van, vbn = a.numpy(), b.numpy(), va.numpy(), vb.numpy()
    np.testing.assert_allclose(j0.numpy(), (np.cos(an) * van * bn + np.sin(an) * vbn).sum(1))
    np.testing.assert_allclose(j1.numpy(), np.exp(an) * van)
    out, jv, aux = func.jvp(lambda x: (x * 2, "aux"), (a,), (va,), has_aux=True)
    assert aux == "aux" and jv.tolist() == [2.0, 0.0, 4.0]
    with pytest.raises(RuntimeError, match="tangent 0 has shape"):
        func.jvp(lambda x: x, (a,), (b,))
    with pytest.raises(TypeError, match="must be tuples"):
        func.jvp(lambda x: x, a, va)


def test_jacfwd_shapes_match_jacrev():
    a, b = t([0.3, -0.7, 1.2]), t([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])
    fwd = func.jacfwd(f, argnums=(0, 1))(a, b)
    rev = func.jacrev(f, argnums=(0, 1))(a, b)
    for fo, ro in zip(fwd, rev):
        for fb, rb in zip(fo, ro):
            assert tuple(fb.shape) == tuple(rb.shape)
            np.testing.assert_allclose(fb.numpy(), rb.numpy(), atol=1e-12)


def test_forward_over_reverse_and_composition():
    x = t([0.5, -1.0, 2.0])
    cube = lambda a: (a ** 3).sum()  # noqa: E731
    np.testing.assert_allclose(func.jacfwd(func.jacrev(cube))(x).numpy(), np.diag(6 * x.numpy()))
    directional = lambda a: func.jvp(cube, (a,), (tapegrad.ones_like(a),))[1]  # noqa: E731
    np.testing.assert_allclose(func.grad(directional)(x).numpy(), 6 * x.numpy())


def test_grad_and_value_and_linearize():
    x = t([1.0, 2.0])
    g, v = func.grad_and_value(lambda a: (a ** 3).sum())(x)
    assert g.tolist() == [3.0, 12.0] and v.item() == 9.0
    (g, (v, aux)) = func.grad_and_value(lambda a: ((a ** 2).sum(), 7), has_aux=True)(x)
    assert g.tolist() == [2.0, 4.0] and aux == 7
    out, jvp_fn = func.linearize(lambda a: a.sin(), x)
    np.testing.assert_allclose(jvp_fn(t([1.0, 1.0])).numpy(), np.cos([1.0, 2.0]))
    assert x.grad is None


def test_vmap_maps_composes_and_stays_differentiable():
    x = tapegrad.arange(6.0, dtype=tapegrad.float64).reshape(2, 3)
    w = t([1.0, 2.0, 3.0])
    assert func.vmap(lambda r: (r * w).sum())(x).tolist() == [8.0, 26.0]
    assert func.vmap(lambda r, s: r * s, in_dims=(1, None))(x, t(2.0)).tolist() == [[0.0, 6.0], [2.0, 8.0],
                                                                                  [4.0, 10.0]]
    np.testing.assert_allclose(func.vmap(func.grad(lambda r: (r ** 3).sum()))(x).numpy(), 3 * x.numpy() ** 2)
    assert func.vmap(func.vmap(lambda a: a * 2))(x).tolist() == (x * 2).tolist()
    pair = func.vmap(lambda r: (r, r.sum()), out_dims=(1, 0))(x)
    assert tuple(pair[0].shape) == (3, 2) and pair[1].tolist() == [3.0, 12.0]
    leaf = x.clone().requires_grad_()
    func.vmap(lambda r: (r ** 2).sum())(leaf).sum().backward()
    assert leaf.grad.tolist() == (2 * x).tolist()


def test_vmap_errors_in_pytorchs_words():
    x = tapegrad.ones(2, 3)
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped dimension"):
        func.vmap(lambda r, s: r, in_dims=(0, 0))(x, tapegrad.ones(3, 2))
    with pytest.raises(ValueError, match="must only return Tensors"):
        func.vmap(lambda r: 1.0)(x)
    with pytest.raises(ValueError, match="At least one of the inputs must be batched"):
        func.vmap(lambda r: r, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        func.vmap(lambda r: r)(3.0)
