"""Bugs the mutation test's survivor round found (benchmarks/mutate_kit.py), each against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad

torch = pytest.importorskip("torch")


def _outcome(call):
    """(exception type name, message) of a raising call, else the result as a NumPy array."""
    try:
        out = call()
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc).__name__, str(exc)
    return np.asarray(out.detach().numpy() if hasattr(out, "detach") else out)


@pytest.mark.parametrize("args", [
    dict(kernel_size=2, padding=2, dilation=3),          # within half the dilated kernel, over half the kernel
    dict(kernel_size=(2, 1), padding=(1, 0), dilation=(3, 1)),
    dict(kernel_size=(1, 2), padding=(0, 2), dilation=(1, 3)),
    dict(kernel_size=3, padding=2, dilation=1),          # over half the dilated kernel: the other message
])
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool2d_padding_over_half_the_kernel(args, return_indices):
    x = np.ones((1, 1, 3, 3))
    mine = _outcome(lambda: tapegrad.nn.functional.max_pool2d(tapegrad.tensor(x), return_indices=return_indices,
                                                              **args))
    theirs = _outcome(lambda: torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=return_indices,
                                                             **args))
    if isinstance(theirs, tuple) and isinstance(theirs[0], str):
        assert mine == theirs
    else:
        assert not (isinstance(mine, tuple) and isinstance(mine[0], str)), mine


@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool1d_padding_over_half_the_kernel(return_indices):
    x = np.ones((1, 1, 3))
    args = dict(kernel_size=2, padding=2, dilation=3, return_indices=return_indices)
    assert _outcome(lambda: tapegrad.nn.functional.max_pool1d(tapegrad.tensor(x), **args)) == \
        _outcome(lambda: torch.nn.functional.max_pool1d(torch.tensor(x), **args))


@pytest.mark.parametrize("shape", [(0, 3), (2, 0)])
def test_cross_entropy_probability_targets_empty_mean_is_nan(shape):
    x = tapegrad.zeros(*shape, dtype=tapegrad.float64, requires_grad=True)
    out = tapegrad.nn.functional.cross_entropy(x, tapegrad.zeros(*shape, dtype=tapegrad.float64))
    want = torch.nn.functional.cross_entropy(torch.zeros(*shape, dtype=torch.float64),
                                             torch.zeros(*shape, dtype=torch.float64))
    assert math.isnan(want.item()) and math.isnan(out.item())
    out.backward()
    assert tuple(x.grad.shape) == shape


@pytest.mark.parametrize("args", [lambda m, a, b: ([a, b],), lambda m, a, b: (a, [b]), lambda m, a, b: (a, 2.0)])
def test_cartesian_prod_refuses_what_is_not_a_tensor(args):
    def call(m):
        return lambda: m.cartesian_prod(*args(m, m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0, 5.0])))
    (kind, message), (want_kind, want) = _outcome(call(tapegrad)), _outcome(call(torch))
    assert kind == want_kind and message.endswith(want)  # the composite's TypeErrors name it: "cartesian_prod(): "


def test_div_trunc_of_inf_by_a_python_int():
    x = [math.inf, -7.0, -1.0]
    assert np.array_equal(_outcome(lambda: tapegrad.div(tapegrad.tensor(x), 2, rounding_mode="trunc")),
                          _outcome(lambda: torch.div(torch.tensor(x, dtype=torch.float64), 2, rounding_mode="trunc")))


@pytest.mark.parametrize("p", [-1, -0.5, -math.inf, math.inf, 2, 0.5])
@pytest.mark.parametrize("shape,dim", [((0, 2), 0), ((0, 2), 1), ((0, 2), None), ((0, 2), ()), ((0, 2), -2),
                                       ((2, 0, 3), (0, 2)), ((2, 0, 3), (1, 2)), ((2, 0), [1, 0])])
def test_norm_without_an_identity_over_an_empty_tensor(p, shape, dim):
    """A negative or inf p refuses each empty reduced dimension (and an empty tensor reduced whole),
    in PyTorch's words; over non-empty dimensions of an empty tensor it is an empty result (a
    negative p gave inf, an inf p refused every empty tensor)."""
    def call(lib):
        return lambda: lib.linalg.vector_norm(lib.zeros(shape, dtype=lib.float64), ord=p, dim=dim)

    mine, theirs = _outcome(call(tapegrad)), _outcome(call(torch))
    if isinstance(theirs, tuple):
        assert mine == theirs
    else:
        np.testing.assert_array_equal(mine, theirs)
    norm = _outcome(lambda: tapegrad.norm(tapegrad.zeros(shape, dtype=tapegrad.float64), p=p, dim=dim))
    assert type(norm) is type(mine) and (isinstance(norm, tuple) and norm == mine or np.array_equal(norm, mine))


@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_scatter_reduce_amax_amin_of_bools(reduce, include_self, backend):
    """Bool amax/amin (any/all): the array API's max and min take numbers only, so a strict
    namespace refused them (TypeError) where PyTorch reduces bools."""
    x, src, index = np.array([True, False, True, False]), np.array([False, True, False, False]), np.array([0, 0, 1, 3])
    on = (lambda a: tapegrad.tensor(a).to(backend))
    mine = tapegrad.scatter_reduce(on(x), 0, on(index), on(src), reduce, include_self=include_self)
    theirs = torch.scatter_reduce(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src), reduce,
                                  include_self=include_self)
    assert mine.dtype == tapegrad.bool
    np.testing.assert_array_equal(mine.to("numpy").numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape,kw", [((0, 3), dict(dim=0)), ((2, 0), dict(dim=-1, keepdim=True)), ((0,), {})])
def test_max_min_of_an_empty_tensor_refused_in_their_own_name(name, shape, kw):
    """max(x, dim) runs argmax first: its refusal said 'argmax()' where PyTorch's says 'max()'."""
    mine = _outcome(lambda: getattr(tapegrad, name)(tapegrad.zeros(shape), **kw))
    theirs = _outcome(lambda: getattr(torch, name)(torch.zeros(shape), **kw))
    assert mine == theirs


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8"])
def test_integer_trunc_division_rounds_toward_zero_as_pytorchs(dtype):
    """Integer ``div(rounding_mode='trunc')``: exact quotients and inexact ones of every sign pairing
    (a floor division stepped back past zero), in three integer dtypes against PyTorch itself (div's
    kit point, declared lazy_refused for Dask's zero-divisor check, is int64 only)."""
    x, y = [7, -7, 6, -6, 7, -7, 0, -1, 1], [2, 2, 3, 3, -2, -2, 5, 2, -2]
    mine = tapegrad.div(tapegrad.tensor(x, dtype=getattr(tapegrad, dtype)),
                        tapegrad.tensor(y, dtype=getattr(tapegrad, dtype)), rounding_mode="trunc")
    theirs = torch.div(torch.tensor(x, dtype=getattr(torch, dtype)), torch.tensor(y, dtype=getattr(torch, dtype)),
                       rounding_mode="trunc")
    assert mine.dtype == getattr(tapegrad, dtype)
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
