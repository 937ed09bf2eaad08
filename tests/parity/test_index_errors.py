"""Out-of-range indices are refused with PyTorch 2.13's exception type and words, op by op: which
of the two checks in its CPU kernels a call reaches (``index_add_``'s scatter_add path or its own
loop; ``index_select``'s dim-1 fast path or its loop), the first offending entry named, and the
shape checks before the range check."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402

SHAPES = [(3,), (3, 2), (2, 3, 4), (), (3, 0), (0, 3)]


def _outcome(call):
    try:
        result = call()
    except Exception as exc:  # the type and the first line of the message are the API
        return type(exc).__name__, str(exc).splitlines()[0]
    return "ok", tuple(result.shape)


def _cases():
    for shape in SHAPES:
        ndim = max(len(shape), 1)
        for dim in range(-ndim, ndim):
            n = shape[dim % ndim] if shape else 1
            for values in ([n], [-1], [0, n + 2], [n + 2, -1], [-1, n + 2], [0]):
                yield shape, dim, values


def _source_shape(shape, dim, count):
    if not shape:
        return () if count == 1 else (count,)
    out = list(shape)
    out[dim % len(shape)] = count
    return tuple(out)


CALLS = {
    "index_add": lambda lib, x, d, i, s: x.index_add(d, i, s),
    "index_add alpha=2": lambda lib, x, d, i, s: x.index_add(d, i, s, alpha=2),
    "index_select": lambda lib, x, d, i, s: x.index_select(d, i),
    "index_copy": lambda lib, x, d, i, s: x.index_copy(d, i, s),
    "index_fill": lambda lib, x, d, i, s: x.index_fill(d, i, 1.0),
}


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
def test_out_of_range_index_errors_are_pytorchs(name, index_dtype):
    if name in ("index_copy", "index_fill") and index_dtype == "int32":
        pytest.skip("int64 only: both refuse int32 as a dtype")
    differ = []
    for shape, dim, values in _cases():
        if name in ("index_copy", "index_fill") and 0 in shape:
            continue  # PyTorch's kernels run past an empty tensor's storage there (or check nothing)
        got = []
        for lib in (torch, tapegrad):
            x, i = lib.zeros(shape), lib.tensor(values, dtype=getattr(lib, index_dtype))
            s = lib.ones(_source_shape(shape, dim, len(values)))
            got.append(_outcome(lambda: CALLS[name](lib, x, dim, i, s)))
        if got[0] != got[1]:
            differ.append((shape, dim, values, got[0], got[1]))
    assert not differ, differ[:5]


@pytest.mark.parametrize("values", [[5, -1], [-1, 5], [0, 5, -1]])
def test_the_first_offending_entry_is_named(values):
    for call in (lambda lib, x, i: x.scatter(0, i.reshape(1, -1), lib.ones(1, len(values))),
                 lambda lib, x, i: x.gather(0, i.reshape(1, -1)),
                 lambda lib, x, i: x.take(i * 4),
                 lambda lib, x, i: x.index_copy(0, i, lib.ones(len(values), 4))):
        want, got = (_outcome(lambda: call(lib, lib.zeros(3, 4), lib.tensor(values))) for lib in (torch, tapegrad))
        assert got == want


def test_index_add_reproducer_from_the_issue():
    # a 1-D tensor (and alpha != 1, an int32 index, a middle dim) takes PyTorch's own check: IndexError
    with pytest.raises(IndexError, match="^index out of range in self$"):
        tapegrad.zeros(3).index_add(0, tapegrad.tensor([3]), tapegrad.ones(1))
    # a 2-D tensor along dim 0 goes through scatter_add_: RuntimeError naming the index
    with pytest.raises(RuntimeError, match="^index 3 is out of bounds for dimension 0 with size 3$"):
        tapegrad.zeros(3, 2).index_add(0, tapegrad.tensor([3]), tapegrad.ones(1, 2))


def test_index_select_refuses_a_negative_index_it_used_to_wrap():
    with pytest.raises(IndexError, match="^index out of range in self$"):
        tapegrad.zeros(3, 2).index_select(0, tapegrad.tensor([-1]))
    with pytest.raises(RuntimeError, match="^INDICES element is out of DATA bounds, id=-1 axis_dim=2$"):
        tapegrad.zeros(3, 2).index_select(1, tapegrad.tensor([-1]))
