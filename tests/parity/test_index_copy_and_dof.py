"""Issue 11 against PyTorch 2.13: ``index_copy`` with 0-d tensors and rank mismatches (PyTorch's checks,
in its order, types and words), and ``var``/``std``/``var_mean``/``std_mean`` with no degree of
freedom left (``correction >= N``): values, gradients, dtypes and the warning."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402


def _outcome(lib, x, dim, index, source):
    """What ``x.index_copy(dim, index, source)`` gives: the error's type and words, or the values and
    gradients of ``(result * w).sum()`` (w fixed) with respect to ``x`` and ``source``."""
    x = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    s = lib.tensor(source, dtype=lib.float64, requires_grad=True)
    try:
        out = x.index_copy(dim, lib.tensor(index, dtype=lib.int64), s)
    except (RuntimeError, IndexError) as exc:
        return type(exc).__name__, str(exc).split(" (Triggered")[0]
    weights = lib.tensor(np.arange(1.0, out.numel() + 1).reshape(tuple(out.shape)), dtype=lib.float64)
    try:
        gx, gs = lib.autograd.grad((out * weights).sum(), [x, s])
    except RuntimeError as exc:  # a 0-d self given several indices: PyTorch's backward refuses
        return "backward " + type(exc).__name__, str(exc)
    return "ok", out.detach().numpy().tolist(), gx.numpy().tolist(), gs.numpy().tolist()


@st.composite
def _index_copy_calls(draw):
    rank = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank)))
    dim = draw(st.integers(-max(rank, 1), max(rank, 1) - 1))
    d = dim % max(rank, 1)
    n = draw(st.integers(0, 3))
    slots = shape[d] if rank else 1
    index = draw(st.lists(st.integers(0, slots), min_size=n, max_size=n).filter(lambda i: len(set(i)) == len(i)))
    if draw(st.booleans()) and len(index) == 1:
        index = index[0]  # a 0-d index
    kind = draw(st.sampled_from(["match", "scalar", "rank", "slice"]))
    if kind == "scalar":
        source_shape: tuple[int, ...] = ()
    elif kind == "rank":
        source_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=3)))
    else:
        source_shape = tuple(np.size(index) if k == d else n_ for k, n_ in enumerate(shape)) if rank else (np.size(index),)
        if kind == "slice" and source_shape:
            k = draw(st.integers(0, len(source_shape) - 1))
            source_shape = source_shape[:k] + (source_shape[k] + 1,) + source_shape[k + 1:]
    x = np.arange(float(math.prod(shape))).reshape(shape) + 100.0
    source = -np.arange(1.0, math.prod(source_shape) + 1).reshape(source_shape)
    return x, dim, np.asarray(index), source


@settings(max_examples=300, deadline=None)
@given(_index_copy_calls())
def test_index_copy_matches_pytorch(call):
    x, dim, index, source = call
    if index.size > 1 and x.ndim == 0:
        return  # several indices into one slot: which copy lands is not deterministic in PyTorch
    assert _outcome(tapegrad, x, dim, index, source) == _outcome(torch, x, dim, index, source)


@pytest.mark.parametrize("x, index, source", [
    (np.zeros(3), [1], np.array(5.0)),           # a 0-d source: refused before, accepted by PyTorch
    (np.array(1.0), [0], np.array([5.0])),       # a 0-d self: crashed with "tuple index out of range"
    (np.array(1.0), [0], np.array(5.0)),
    (np.zeros((3, 2)), [1], np.array([5.0])),    # ranks differ: IndexError, PyTorch's words
    (np.zeros((3, 2)), [1], np.zeros((1, 2, 1))),
    (np.zeros((3, 2, 4)), [1], np.zeros((1, 3, 4))),  # slice shapes printed whole
    (np.zeros(3), [1, 2], np.array(5.0)),
])
def test_issue_reproducers(x, index, source):
    assert _outcome(tapegrad, x, 0, np.array(index), source) == _outcome(torch, x, 0, np.array(index), source)


def test_index_copy_of_a_number_is_a_type_error_as_pytorchs():
    with pytest.raises(TypeError) as theirs:
        torch.zeros(3).index_copy(0, torch.tensor([1]), 1.0)
    with pytest.raises(TypeError) as ours:
        tapegrad.zeros(3).index_copy(0, tapegrad.tensor([1]), 1.0)
    assert str(ours.value) == str(theirs.value)


_ROWS = [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]]
_MOMENT_CASES = [
    (_ROWS, {"correction": 6}), (_ROWS, {"correction": 7}), (_ROWS, {"correction": 4}),
    (_ROWS, {"dim": 1, "correction": 3}), (_ROWS, {"dim": 1, "correction": 5, "keepdim": True}),
    (_ROWS, {"dim": 0, "correction": 2}), (_ROWS, {"dim": (0, 1), "correction": 7}), (_ROWS, {"dim": 0, "correction": 9}),
    ([5.0, 5.0], {"correction": 3}), ([5.0, 5.0], {"correction": 2}), ([5.0], {}), (2.0, {"correction": 2}),
    (2.0, {"dim": 0, "correction": 1}), ([1.0, 2.0], {"correction": 2.5}), ([1.0, 2.0], {"dim": 0, "correction": 2.5}),
]


def _moment(lib, name, values, params, dtype):
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = getattr(lib, name)(x, **params)
    first = out[0] if isinstance(out, tuple) else out
    (g,) = lib.autograd.grad(sum(o.sum() for o in out) if isinstance(out, tuple) else out.sum(), [x])
    said = sorted({str(w.message).split(" (Triggered")[0] for w in seen if issubclass(w.category, UserWarning)})
    return first.detach().numpy(), str(first.dtype).split(".")[-1], g.numpy(), str(g.dtype).split(".")[-1], said


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("values, params", _MOMENT_CASES)
def test_moments_with_no_degree_of_freedom_match_pytorch(name, values, params, dtype):
    ours, theirs = _moment(tapegrad, name, values, params, dtype), _moment(torch, name, values, params, dtype)
    rtol = 1e-12 if dtype == "float64" else 1e-6
    for mine, want in ((ours[0], theirs[0]), (ours[2], theirs[2])):
        assert mine.shape == want.shape
        np.testing.assert_allclose(mine, want, rtol=rtol, atol=0)
        zeros = want == 0
        assert np.array_equal(np.signbit(mine[zeros]), np.signbit(want[zeros])), (mine, want)
    assert ours[1] == theirs[1] and ours[3] == theirs[3]
    # var_mean and std_mean warn naming var and std (the ops they call); PyTorch names var_mean and std_mean
    assert [w.replace(f"{name}()", name.split("_")[0] + "()") for w in theirs[4]] == ours[4]
