"""The NumPy backend's namespace replaces a few of NumPy's Python wrappers (``mean``, ``broadcast_to``,
``ones``) by the steps they take: the results must be NumPy's, bit for bit, with NumPy's type, dtype,
shape, strides, writeability, warnings and errors, for every input (hypothesis over shapes, dtypes and
axes)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tapegrad.numpy_namespace import NAMESPACE

DTYPES = [np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, np.int32, np.int64, np.bool_]


def _outcome(f, *args, **kwargs):
    """What ``f`` returns (or raises), and the warnings it gives."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = f(*args, **kwargs)
        except Exception as exc:  # the error is part of what must agree
            result = (type(exc), str(exc))
    return result, [(w.category, str(w.message)) for w in caught]


def _same(ours, theirs):
    (a, wa), (b, wb) = ours, theirs
    assert wa == wb
    if isinstance(b, tuple):
        assert a == b
        return
    assert type(a) is type(b) and a.dtype == b.dtype and np.shape(a) == np.shape(b)
    assert np.array_equal(a, b, equal_nan=True)
    if isinstance(b, np.ndarray):
        assert a.strides == b.strides and a.flags.writeable == b.flags.writeable


axes = st.one_of(st.none(), st.integers(-4, 4), st.lists(st.integers(-4, 4), max_size=4).map(tuple),
                 st.lists(st.integers(0, 3), max_size=2))


@settings(max_examples=400, deadline=None)
@given(dtype=st.sampled_from(DTYPES), shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       axis=axes, keepdims=st.booleans(), data=st.data())
def test_mean_is_numpys(dtype, shape, axis, keepdims, data):
    x = data.draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(np.dtype(dtype), allow_nan=True,
                                                                    allow_infinity=True)))
    _same(_outcome(NAMESPACE.mean, x, axis=axis, keepdims=keepdims),
          _outcome(np.mean, x, axis=axis, keepdims=keepdims))


def test_mean_with_dtype_and_views_is_numpys():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for arg in (x, x.T, x[:, ::2], x[..., 1]):
        for axis in (None, 0, (0, 1), -1):
            _same(_outcome(NAMESPACE.mean, arg, axis=axis), _outcome(np.mean, arg, axis=axis))
            _same(_outcome(NAMESPACE.mean, arg, axis=axis, dtype=np.float64),
                  _outcome(np.mean, arg, axis=axis, dtype=np.float64))


scalars = st.one_of(
    st.sampled_from([np.float64(0.25), np.float32(-1.5), np.float16(3.0), np.int64(7), np.bool_(True)]),
    st.sampled_from(DTYPES).map(lambda d: np.ones((), d)),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3)),
)


@settings(max_examples=300, deadline=None)
@given(x=scalars, shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
def test_broadcast_to_is_numpys(x, shape):
    ours, theirs = _outcome(NAMESPACE.broadcast_to, x, shape), _outcome(np.broadcast_to, x, shape)
    _same(ours, theirs)
    if isinstance(theirs[0], np.ndarray):
        assert np.shares_memory(ours[0], x) == np.shares_memory(theirs[0], x)


@pytest.mark.parametrize("shape", [(-1,), (2, -1), (-2, 3), (2.0,), (True, 2), (np.int64(2),), [2, 2], 3])
def test_broadcast_to_refuses_as_numpy(shape):
    for x in (np.ones(()), np.float64(1.0)):
        _same(_outcome(NAMESPACE.broadcast_to, x, shape), _outcome(np.broadcast_to, x, shape))


def test_broadcast_view_follows_its_array():
    """A view, not a copy: a write to the 0-d array shows through it, as through NumPy's."""
    g = np.zeros(())
    view = NAMESPACE.broadcast_to(g, (2, 3))
    g[...] = 5.0
    assert (view == 5.0).all() and not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0] = 1.0


@settings(max_examples=200, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), dtype=st.sampled_from(DTYPES))
def test_ones_is_numpys(shape, dtype):
    _same(_outcome(NAMESPACE.ones, shape, dtype=dtype), _outcome(np.ones, shape, dtype=dtype))


def test_ones_refuses_as_numpy():
    for shape, kwargs in [((-1,), {}), ((2,), {"device": "gpu"}), ((2.5,), {})]:
        _same(_outcome(NAMESPACE.ones, shape, **kwargs), _outcome(np.ones, shape, **kwargs))
    _same(_outcome(NAMESPACE.ones, (2,), device="cpu"), _outcome(np.ones, (2,), device="cpu"))
