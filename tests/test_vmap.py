"""vmap runs op by op on batched tensors: batching rules equal the per-example loop.

Property tests over shapes and batch positions compare ``vmap(f)`` with calling ``f`` on each
example and stacking, with the fallback warning turned into an error (so they prove the rules
ran); other tests cover the fallbacks, composition with the transforms, and the kit's checks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad import batching, func, plugins
from tapegrad.batching import BatchingFallbackWarning
from tapegrad.registry import RegistrationError
from tapegrad.testing import check_op

F64 = tapegrad.float64
SETTINGS = settings(max_examples=25, deadline=None)
shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@pytest.fixture(autouse=True)
def _fresh_warnings():
    from tapegrad import vmap as vmap_module

    for seen in (batching._warned, vmap_module._warned):  # each warning is given once per op / function
        seen.clear()
    yield


def tensor(a):
    return tapegrad.tensor(np.asarray(a), dtype=F64)


def batch_of(rng, shape, size, where):
    """A random batch of ``size`` examples of ``shape`` with the batch at ``where`` (a position)."""
    where = min(where, len(shape))
    return tensor(np.moveaxis(rng.standard_normal((size, *shape)), 0, where)), where


def loop(f, args, in_dims):
    """What vmap must give: ``f`` on each example, stacked along dimension 0."""
    size = next(a.shape[d] for a, d in zip(args, in_dims) if d is not None)
    results = []
    for b in range(size):
        example = [a if d is None else a[(slice(None),) * d + (b,)] for a, d in zip(args, in_dims)]
        results.append(f(*example))
    return tapegrad.stack(results)


def assert_batched_equals_loop(f, args, in_dims, exact=False):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)  # the rules must have run
        got = func.vmap(f, in_dims=tuple(in_dims))(*args)
    want = loop(f, args, in_dims)
    assert tuple(got.shape) == tuple(want.shape) and got.dtype == want.dtype
    if exact:
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    else:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------- properties over shapes
BINARY = [tapegrad.add, tapegrad.mul, tapegrad.sub, tapegrad.div, tapegrad.maximum, tapegrad.lt]


@SETTINGS
@given(x_shape=shapes, y_shape=shapes, where=st.integers(0, 3), op=st.sampled_from(BINARY),
       batched=st.sampled_from(["both", "x", "y"]), seed=st.integers(0, 2**16))
def test_elementwise_and_broadcasting_equal_the_loop(x_shape, y_shape, where, op, batched, seed):
    # broadcastable example shapes: y's dims are x's trailing ones or 1
    y_shape = tuple(1 if i % 2 else n for i, n in enumerate(x_shape[len(x_shape) - len(y_shape):]))
    rng = np.random.default_rng(seed)
    x, dx = batch_of(rng, x_shape, 3, where)
    y, dy = batch_of(rng, y_shape, 3, where)
    if batched == "x":
        y, dy = tensor(rng.standard_normal(y_shape)), None
    elif batched == "y":
        x, dx = tensor(rng.standard_normal(x_shape)), None
    assert_batched_equals_loop(lambda a, b: op(a, b).exp() if op is not tapegrad.lt else op(a, b), [x, y], [dx, dy],
                               exact=True)


@SETTINGS
@given(shape=shapes, where=st.integers(0, 3), name=st.sampled_from(["sum", "mean", "amax", "var", "prod", "argmax",
                                                                      "logsumexp", "norm", "all"]),
       keepdim=st.booleans(), pick=st.integers(-4, 4), seed=st.integers(0, 2**16))
def test_reductions_equal_the_loop(shape, where, name, keepdim, pick, seed):
    x, d = batch_of(np.random.default_rng(seed), shape, 3, where)
    dims = {} if not shape or pick == 0 else {"dim": pick % len(shape) - len(shape) * (pick < 0)}
    with np.errstate(all="ignore"):  # the method read off each tensor: the class has none while the op table is unbound
        assert_batched_equals_loop(lambda r: getattr(r, name)(keepdim=keepdim, **dims), [x], [d])


@SETTINGS
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), where=st.integers(0, 3),
       case=st.integers(0, 10), seed=st.integers(0, 2**16))
def test_shape_ops_equal_the_loop(shape, where, case, seed):
    rng = np.random.default_rng(seed)
    x, d = batch_of(rng, shape, 3, where)
    n = len(shape)
    f = [
        lambda r: r.reshape(-1),
        lambda r: r.transpose(0, -1),
        lambda r: r.permute(*reversed(range(n))),
        lambda r: r.unsqueeze(-1).squeeze(),
        lambda r: r.flatten(),
        lambda r: r.unsqueeze(0).expand(2, *shape),
        lambda r: tapegrad.cat([r, r * 2], dim=-1),
        lambda r: tapegrad.stack([r, r.sin()], dim=0),
        lambda r: r[0],
        lambda r: r[..., None, -1:],
        lambda r: r.flip(0).cumsum(-1).softmax(0),
    ][case]
    assert_batched_equals_loop(f, [x], [d], exact=True)


@SETTINGS
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), a_vec=st.booleans(), b_vec=st.booleans(),
       a_batch=st.booleans(), extra=st.booleans(), where=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_matmul_equals_the_loop(n, k, m, a_vec, b_vec, a_batch, extra, where, seed):
    rng = np.random.default_rng(seed)
    a_shape = (k,) if a_vec else ((2, n, k) if extra else (n, k))
    b_shape = (k,) if b_vec else (k, m)
    a, da = batch_of(rng, a_shape, 3, where)
    b, db = batch_of(rng, b_shape, 3, where)
    if not a_batch:
        a, da = tensor(rng.standard_normal(a_shape)), None
    assert_batched_equals_loop(lambda p, q: p @ q, [a, b], [da, db])


def test_dot_outer_and_unbatched_cat_operands():
    rng = np.random.default_rng(0)
    x, z = (tensor(rng.standard_normal((4, 3))) for _ in range(2))
    y = tensor(rng.standard_normal((3, 4)))
    w = tensor(rng.standard_normal(3))
    assert_batched_equals_loop(lambda a, b: tapegrad.dot(a, b) * tapegrad.outer(a, b), [x, y], [0, 1])
    assert_batched_equals_loop(lambda a, b: tapegrad.cat([a, b, w]) + tapegrad.stack([a, w], dim=1).sum(),
                               [x, z], [0, 0])


@pytest.mark.parametrize("where", [0, 2])
def test_advanced_indexing_einsum_tensordot_and_casts_batch(where):
    rng = np.random.default_rng(3)
    x = tensor(np.moveaxis(rng.standard_normal((3, 4, 5, 6)), 0, where))
    i, j = tapegrad.tensor([0, 2, 1]), np.array([[1], [3]])
    w, m = tensor(rng.standard_normal(6)), tensor(rng.standard_normal((5, 6)))
    for f in [lambda r: r[i, :, i], lambda r: r[0, :, i], lambda r: r[j, 1:, 2], lambda r: r[:, j, i],
              lambda r: r[None, i, 0], lambda r: r[..., i],  # indices apart put their dims first
              lambda r: tapegrad.einsum("abc,c->ba", r, w), lambda r: tapegrad.einsum("ij...,j...->i", r, m),
              lambda r: tapegrad.tensordot(r, m, dims=2), lambda r: tapegrad.tensordot(m, r, dims=([0], [1])),
              lambda r: r.to(tapegrad.float32) + r.type_as(i)]:
        assert_batched_equals_loop(f, [x], [where], exact=False)


# ---------------------------------------------------------------------------- one example's view
def test_a_batched_value_looks_like_one_example():
    x = tensor(np.arange(24.0).reshape(4, 3, 2))
    seen = []

    def f(r):
        seen.append((tuple(r.shape), r.dim(), r.ndim, len(r), r.size(-1), r.numel(), r.dtype))
        return r.sum(0)

    out = func.vmap(f, in_dims=1)(x)
    assert seen == [((4, 2), 2, 2, 4, 2, 8, F64)]
    np.testing.assert_array_equal(out.numpy(), x.numpy().sum(0))
    shown = []
    func.vmap(lambda r: shown.append(repr(r)) or r)(x)
    assert shown[0].startswith("BatchedTensor(lvl=") and "bdim=0, value=" in shown[0]


def test_promotion_follows_the_example_not_the_batch():
    # a 0-d example is dimensioned once batched; PyTorch ranks 0-d tensors below dimensioned ones
    s = tensor([1.5, 2.5])
    w = tapegrad.tensor([1.0, 2.0, 3.0])  # float32
    assert_batched_equals_loop(lambda a: a * w, [s], [0])
    assert func.vmap(lambda a: a * w)(s).dtype == tapegrad.float32


def test_in_dims_none_out_dims_and_nesting():
    rng = np.random.default_rng(1)
    x = tensor(rng.standard_normal((2, 3, 4)))
    w = tensor(rng.standard_normal(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        out = func.vmap(func.vmap(lambda a, b: (a * b).sum(), in_dims=(0, None)), in_dims=(1, None))(x, w)
        pair = func.vmap(lambda r: (r.exp(), r.sum()), out_dims=(1, 0))(x)
    np.testing.assert_allclose(out.numpy(), np.einsum("ijk,k->ji", x.numpy(), w.numpy()), rtol=1e-12)
    np.testing.assert_array_equal(pair[0].numpy(), np.moveaxis(np.exp(x.numpy()), 0, 1))
    np.testing.assert_allclose(pair[1].numpy(), x.numpy().sum((1, 2)), rtol=1e-12)


def test_gradients_flow_through_vmap_to_outer_leaves():
    rng = np.random.default_rng(2)
    x = tensor(rng.standard_normal((3, 4))).requires_grad_()
    w = tensor(rng.standard_normal(4)).requires_grad_()
    f = lambda r: ((r * w).sin() @ w).exp()  # noqa: E731
    func.vmap(f)(x).sum().backward()
    gx, gw = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    loop(f, [x], [0]).sum().backward()
    np.testing.assert_allclose(gx, x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw, w.grad.numpy(), rtol=1e-12)
    g = func.grad(lambda t: func.vmap(f)(t).sum())(x.detach())
    np.testing.assert_allclose(g.detach().numpy(), gx, rtol=1e-12)


# ---------------------------------------------------------------------------- the fallbacks
class _NoRule:
    @staticmethod
    @tapegrad.hookimpl
    def tapegrad_register_ops(registry):
        registry.register_op("twice_plus", forward=lambda xp, x: 2 * x + xp.sum(x) * 0,
                             vjp=(lambda xp, g, ans, x: 2 * g,), saves=())


def test_an_op_without_a_rule_loops_warning_once_and_is_right():
    plugins.register(_NoRule, name="norule")
    x = tensor(np.arange(6.0).reshape(2, 3)).requires_grad_()
    with pytest.warns(BatchingFallbackWarning, match="not yet implemented the batching rule for twice_plus") as seen:
        out = func.vmap(lambda r: tapegrad.twice_plus(r).sin())(x)
        again = func.vmap(lambda r: tapegrad.twice_plus(r))(x)
    assert sum("twice_plus" in str(w.message) for w in seen) == 1
    np.testing.assert_allclose(out.detach().numpy(), np.sin(2 * x.detach().numpy()))
    np.testing.assert_array_equal(again.detach().numpy(), 2 * x.detach().numpy())
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(2 * x.detach().numpy()))


def test_reading_an_examples_values_or_a_transform_inside_loops_the_function():
    x = tensor([[1.0, -2.0], [3.0, 4.0]])
    with pytest.warns(BatchingFallbackWarning, match="once per example"):
        out = func.vmap(lambda r: r * float(r.sum()) if r.sum().item() > 0 else -r)(x)
    np.testing.assert_array_equal(out.numpy(), [[-1.0, 2.0], [21.0, 28.0]])
    with pytest.warns(BatchingFallbackWarning, match="autograd state"):
        j = func.vmap(func.jacfwd(lambda r: r.exp()))(x)
    np.testing.assert_allclose(j.numpy(), np.stack([np.diag(np.exp(r)) for r in x.numpy()]), rtol=1e-12)


def test_vmap_of_grad_jacrev_and_hessian_batch_and_equal_the_loop():
    rng = np.random.default_rng(4)
    x, w = tensor(rng.standard_normal((4, 3))), tensor(rng.standard_normal(3))
    f = lambda r: ((r.sin() * r) @ w) ** 2  # noqa: E731
    h = lambda a, b: (a * b.exp()).sum()  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        g = func.vmap(func.grad(f))(x)
        value, g1 = func.vmap(func.value_and_grad(f), in_dims=1)(x.T)
        pair = func.vmap(func.grad(h, argnums=(0, 1)))(x, x * 2)
        nested = func.vmap(func.vmap(func.grad(f)))(x.reshape(2, 2, 3))
    each = [func.grad(f)(r) for r in x]
    np.testing.assert_array_equal(g.numpy(), tapegrad.stack(each).numpy())
    np.testing.assert_array_equal(g1.numpy(), g.numpy())
    np.testing.assert_array_equal(value.numpy(), tapegrad.stack([f(r) for r in x]).numpy())
    np.testing.assert_array_equal(pair[1].numpy(), tapegrad.stack([func.grad(h, 1)(r, r * 2) for r in x]).numpy())
    np.testing.assert_array_equal(nested.reshape(4, 3).numpy(), g.numpy())
    leaf = x.detach().requires_grad_()  # second order through the batched gradients
    func.vmap(func.grad(f))(leaf).sum().backward()
    twin = x.detach().requires_grad_()
    tapegrad.stack([func.grad(f)(r) for r in twin]).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), twin.grad.numpy(), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        jac = func.vmap(func.jacrev(lambda r: r.sin() * f(r)), in_dims=1)(x.T)
        hess = func.vmap(func.hessian(f))(x)
        pair = func.vmap(func.jacrev(h, argnums=(0, 1)))(x, x * 2)
    np.testing.assert_allclose(jac.numpy(), tapegrad.stack([func.jacrev(lambda r: r.sin() * f(r))(r) for r in x]).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(hess.numpy(), tapegrad.stack([func.hessian(f)(r) for r in x]).numpy(), rtol=1e-12)
    np.testing.assert_allclose(pair[0].numpy(), tapegrad.stack([func.jacrev(h)(r, r * 2) for r in x]).numpy())
    # a differentiated argument that is not batched has one gradient per example: the loop
    with pytest.warns(BatchingFallbackWarning, match="not batched"):
        g2 = func.vmap(func.grad(h), in_dims=(None, 0))(w, x)
    np.testing.assert_allclose(g2.numpy(), np.exp(x.numpy()))


def test_randomness_modes_as_pytorchs():
    x = tapegrad.zeros(3, 2)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        func.vmap(lambda r: r + tapegrad.randn(2))(x)
    same = func.vmap(lambda r: r + tapegrad.rand(2), randomness="same")(x).numpy()
    different = func.vmap(lambda r: r + tapegrad.rand(2), randomness="different")(x).numpy()
    assert (same == same[0]).all() and not (different == different[0]).all()
    assert tapegrad.randn(2).shape == (2,)  # outside vmap nothing is refused


def test_user_errors_come_from_the_loop_unchained():
    with pytest.raises(ValueError, match="boom") as info:
        func.vmap(lambda r: (_ for _ in ()).throw(ValueError("boom")))(tensor([1.0, 2.0]))
    assert info.value.__context__ is None


# ---------------------------------------------------------------------------- the contract and the kit
def _plugin(rule):
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("rowsum", forward=lambda xp, x, *, dim=-1: xp.sum(x, axis=dim),
                                 vjp=(lambda xp, g, ans, x, dim=-1: xp.expand_dims(g, axis=dim) + x * 0,),
                                 saves=("inputs",), params=("dim",), batching=rule,
                                 reference=lambda x, dim=-1: np.sum(x, axis=dim))

    return Plugin


def test_the_kit_checks_declared_rules_against_the_loop():
    plugins.register(_plugin(batching.along(("dim", -1))), name="good-rule")
    check_op("rowsum")
    plugins.unregister("good-rule")
    wrong = lambda call, args, dims, params: (call(batching.to_front(args[0], dims[0]), **params), 0)  # noqa: E731
    plugins.register(_plugin(wrong), name="bad-rule")  # forgets to shift dim: wrong when it is 0-based
    with pytest.raises(AssertionError, match="failed check 'batching'"):
        check_op("rowsum", samples=[tapegrad.testing.Sample((2, 3), dim=0)])


def test_batching_must_be_a_rule_elementwise_false_or_none():
    class Bad:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            with pytest.raises(RegistrationError, match="batching must be a rule function"):
                registry.register_op("bad_batching", forward=lambda xp, x: x, batching="rowwise")

    plugins.register(Bad, name="bad-batching")


def test_every_builtin_rule_is_found_and_derived_ones_are_elementwise():
    from tapegrad.optable import lookup

    assert batching.rule_for(lookup("add")) is batching.elementwise  # broadcasts=True
    assert batching.rule_for(lookup("sin")) is batching.elementwise  # forward="sin"
    assert batching.rule_for(lookup("sign")) is batching.elementwise  # reference=np.sign
    assert batching.rule_for(lookup("sum")) is batching.reduction
    assert batching.rule_for(lookup("pad")) is None


def test_no_rule_is_derived_for_an_op_whose_params_name_dims():
    class Cross:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):  # broadcasts, but dim=0 of an example is not the batch's
            registry.register_op("fake_cross", forward=lambda xp, a, b, *, dim=-1: xp.cumsum(a * b, axis=dim),
                                 broadcasts=True, params=("dim",))

    plugins.register(Cross, name="fake-cross")
    from tapegrad.optable import lookup

    assert batching.rule_for(lookup("fake_cross")) is None
    x = tensor(np.arange(12.0).reshape(2, 3, 2))
    with pytest.warns(BatchingFallbackWarning, match="fake_cross"):
        out = func.vmap(lambda a: tapegrad.fake_cross(a, a, dim=0))(x)
    np.testing.assert_array_equal(out.numpy(), np.cumsum(x.numpy() ** 2, axis=1))
