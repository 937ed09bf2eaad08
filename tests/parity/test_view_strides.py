"""``view`` is allowed exactly where PyTorch 2.13 allows it: when the new shape is stride-compatible
with the tensor's memory (transposes, expands, slices), refused in PyTorch's words otherwise; and
``contiguous`` copies a non-contiguous view, as PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402
from tapegrad.ops_builtin.strides import VIEW_REFUSED, view_strides  # noqa: E402


def _outcome(call):
    try:
        result = call()
    except RuntimeError as exc:
        return "RuntimeError", str(exc)
    return "ok", tuple(result.shape)


def _factorings(n: int) -> list[tuple[int, ...]]:
    out = [(n,), (-1,), (1, n, 1)]
    for a in range(1, n + 1):
        if n % a == 0:
            out.append((a, n // a))
            out += [(a, b, n // a // b) for b in range(1, n // a + 1) if (n // a) % b == 0]
    return out


@st.composite
def _viewed(draw):
    """A recipe: a base shape, then view ops (permute, slice with a step, expand of a size-1 dim, select);
    the base a fresh tensor, or one over a user's column-major NumPy array (``from_numpy(a.T)``)."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    user = draw(st.booleans())
    steps = []
    current = list(shape)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["permute", "slice", "expand", "unsqueeze"]))
        if kind == "permute" and len(current) > 1:
            order = draw(st.permutations(range(len(current))))
            steps.append(("permute", tuple(order)))
            current = [current[i] for i in order]
        elif kind == "slice":
            d = draw(st.integers(0, len(current) - 1))
            start = draw(st.integers(0, current[d] - 1))
            step = draw(st.integers(1, 3))
            steps.append(("slice", d, start, step))
            current[d] = len(range(start, current[d], step))
        elif kind == "expand" and 1 in current:
            d = current.index(1)
            n = draw(st.integers(2, 3))
            steps.append(("expand", d, n))
            current[d] = n
        elif kind == "unsqueeze":
            d = draw(st.integers(0, len(current)))
            steps.append(("unsqueeze", d))
            current.insert(d, 1)
    return shape, steps, user


def _make(lib, shape, steps, user=False):
    if user:  # PyTorch keeps the array's strides: the tensor is not contiguous
        x = lib.from_numpy(np.arange(float(math.prod(shape))).reshape(shape[::-1]).T)
    else:
        x = lib.arange(float(math.prod(shape))).reshape(*shape)
    for step in steps:
        if step[0] == "permute":
            x = x.permute(*step[1])
        elif step[0] == "slice":
            _, d, start, by = step
            x = x[(slice(None),) * d + (slice(start, None, by),)]
        elif step[0] == "expand":
            _, d, n = step
            sizes = list(x.shape)
            sizes[d] = n
            x = x.expand(*sizes)
        else:
            x = x.unsqueeze(step[1])
    return x


@settings(max_examples=150, deadline=None)
@given(_viewed(), st.data())
def test_view_succeeds_and_fails_as_pytorchs(recipe, data):
    xt, xg = (_make(lib, *recipe) for lib in (torch, tapegrad))
    shape = data.draw(st.sampled_from(_factorings(xt.numel())))
    want, got = _outcome(lambda: xt.view(*shape)), _outcome(lambda: xg.view(*shape))
    assert got == want, (recipe, shape)
    if want[0] == "ok":  # a real view: the strides PyTorch gives, and writes reach the base
        assert view_strides(tuple(xt.shape), xt.stride(), tuple(xt.view(*shape).shape)) == xt.view(*shape).stride()
        np.testing.assert_array_equal(xg.view(*shape).numpy(), xt.view(*shape).numpy())


@pytest.mark.parametrize("make, shape, ok", [
    (lambda L: L.arange(6.).reshape(2, 3).t(), (6,), False),  # the reproducer
    (lambda L: L.arange(6.).reshape(2, 3).t(), (3, 2, 1), True),  # size-1 dims fit anywhere
    (lambda L: L.arange(6.).reshape(2, 3).t(), (3, 1, 2), True),
    (lambda L: L.arange(3.).reshape(3, 1).expand(3, 4), (3, 2, 2), True),  # splitting an expanded dim
    (lambda L: L.arange(3.).reshape(3, 1).expand(3, 4), (12,), False),
    (lambda L: L.arange(24.).reshape(4, 6)[::2], (2, 2, 3), True),  # a slice's rows split further
    (lambda L: L.arange(24.).reshape(4, 6)[::2], (12,), False),
    (lambda L: L.arange(24.).reshape(4, 6)[:, 1:4], (4, 3), True),
    (lambda L: L.arange(6.).reshape(2, 3).t().contiguous(), (6,), True),
])
def test_view_of_transposes_expands_and_slices(make, shape, ok):
    xt, xg = make(torch), make(tapegrad)
    if ok:
        np.testing.assert_array_equal(xg.view(*shape).numpy(), xt.view(*shape).numpy())
    else:
        with pytest.raises(RuntimeError) as want:
            xt.view(*shape)
        assert str(want.value) == VIEW_REFUSED
        with pytest.raises(RuntimeError, match=r"^view size is not compatible .* Use \.reshape\(\.\.\.\) instead\.$"):
            xg.view(*shape)
        assert np.array_equal(xg.reshape(*shape).numpy(), xt.reshape(*shape).numpy())  # reshape copies


def test_a_view_of_a_view_writes_through_to_the_base():
    x = tapegrad.zeros(4, 6)
    v = x[::2].view(2, 2, 3)
    v[1, 0, 2] = 7.0
    want = torch.zeros(4, 6)
    want[::2].view(2, 2, 3)[1, 0, 2] = 7.0
    np.testing.assert_array_equal(x.numpy(), want.numpy())


def test_contiguous_copies_a_non_contiguous_view_as_pytorchs():
    y = tapegrad.ones(2, 3, requires_grad=True) * 1
    c = y.t().contiguous()
    assert c.grad_fn.name() == torch.ones(2, 3, requires_grad=True).mul(1).t().contiguous().grad_fn.name()
    assert c.view(6).shape == (6,) and y.contiguous() is y
    c.view(6).sum().backward()  # gradients flow through the copy


@pytest.mark.parametrize("make", [
    lambda a: a.T,  # column-major
    lambda a: a[:, ::2],  # rows apart
    lambda a: a[:1].T,  # a size-1 dimension's stride, which PyTorch ignores
    lambda a: a,
])
def test_a_tensor_over_a_users_numpy_array_keeps_its_strides_as_pytorchs(make):
    array = make(np.arange(24.0).reshape(4, 6))
    xt, xg = torch.from_numpy(array), tapegrad.from_numpy(array)
    assert (xg.contiguous() is xg) == (xt.contiguous() is xt) == xt.is_contiguous()
    if not xt.is_contiguous():
        assert not np.shares_memory(xg.contiguous().numpy(), array)
    for shape in _factorings(xt.numel()):
        assert _outcome(lambda: xg.view(*shape)) == _outcome(lambda: xt.view(*shape)), shape
    assert _outcome(lambda: tapegrad.as_tensor(array).view(-1)) == _outcome(lambda: xt.view(-1))
    if xt.is_contiguous():  # a view of the user's memory: writes reach it
        xg.view(-1)[0] = 100.0
        assert array.flat[0] == 100.0


def test_lazy_backends_have_no_layout_so_view_is_reshape():
    pytest.importorskip("dask")
    y = tapegrad.arange(6.0).to("dask").reshape(2, 3).t()
    np.testing.assert_array_equal(tapegrad.compute(y.view(-1))[0].numpy(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0])
