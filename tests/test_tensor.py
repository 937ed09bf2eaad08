"""Tensors: creation, dtype rules, attributes and conversions, printing suffixes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor


@pytest.fixture
def default_dtype() -> Iterator[None]:
    """Tests that change the default dtype put it back, even when they fail."""
    saved = tapegrad.get_default_dtype()
    yield
    tapegrad.set_default_dtype(saved)


def values(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# ---------------------------------------------------------------------------- creation
class TestCreation:
    def test_tensor_copies_its_data(self) -> None:
        source = np.array([1.0, 2.0], dtype=np.float32)
        t = tapegrad.tensor(source)
        source[0] = 100.0
        assert t.tolist() == [1.0, 2.0]

    def test_tensor_from_nested_lists(self) -> None:
        t = tapegrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert t.shape == (2, 2)
        assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]

    def test_tensor_from_tensor_is_a_copy(self) -> None:
        a = tapegrad.tensor([1.0, 2.0])
        b = tapegrad.tensor(a)
        a.data.numpy()[0] = 5.0
        assert b.tolist() == [1.0, 2.0]

    def test_tensor_with_dtype(self) -> None:
        assert tapegrad.tensor([1, 2], dtype=tapegrad.float64).dtype is tapegrad.float64
        assert tapegrad.tensor([1.5, 2.5], dtype=tapegrad.int32).tolist() == [1, 2]

    def test_tensor_requires_grad(self) -> None:
        t = tapegrad.tensor([1.0], requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.grad_fn is None

    @pytest.mark.parametrize("fn, fill", [(tapegrad.ones, 1.0), (tapegrad.zeros, 0.0)])
    def test_ones_zeros(self, fn, fill) -> None:
        for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
            assert t.shape == (2, 3)
            assert t.dtype is tapegrad.float32
            assert np.all(values(t) == fill)
        assert fn(2, dtype=tapegrad.int64).dtype is tapegrad.int64
        assert fn(2, requires_grad=True).requires_grad
        assert fn().shape == ()  # no size: a 0-d tensor

    def test_full(self) -> None:
        t = tapegrad.full((2, 2), 7.5)
        assert t.dtype is tapegrad.float32 and np.all(values(t) == 7.5)
        assert tapegrad.full((3,), 7).dtype is tapegrad.int64  # as PyTorch: inferred from the fill
        assert tapegrad.full((3,), True).dtype is tapegrad.bool
        assert tapegrad.full((2,), 1, dtype=tapegrad.float64).dtype is tapegrad.float64

    def test_empty(self) -> None:
        t = tapegrad.empty(3, 4)
        assert t.shape == (3, 4) and t.dtype is tapegrad.float32
        assert tapegrad.empty(2, requires_grad=True).requires_grad

    def test_arange(self) -> None:
        assert tapegrad.arange(4).tolist() == [0, 1, 2, 3]
        assert tapegrad.arange(4).dtype is tapegrad.int64
        assert tapegrad.arange(2, 8, 3).tolist() == [2, 5]
        t = tapegrad.arange(0.0, 1.0, 0.25)
        assert t.dtype is tapegrad.float32
        assert t.tolist() == [0.0, 0.25, 0.5, 0.75]
        assert tapegrad.arange(3, dtype=tapegrad.float64).dtype is tapegrad.float64

    def test_linspace(self) -> None:
        t = tapegrad.linspace(0, 1, 5)
        assert t.dtype is tapegrad.float32
        assert t.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]  # both ends included

    def test_randn_and_rand(self) -> None:
        n = tapegrad.randn(200, 50)
        assert n.shape == (200, 50) and n.dtype is tapegrad.float32
        assert abs(values(n).mean()) < 0.1 and 0.9 < values(n).std() < 1.1
        u = tapegrad.rand(1000)
        assert u.dtype is tapegrad.float32
        assert values(u).min() >= 0.0 and values(u).max() < 1.0
        assert tapegrad.randn(2, dtype=tapegrad.float64).dtype is tapegrad.float64
        assert tapegrad.rand((2, 3), requires_grad=True).requires_grad

    def test_manual_seed_reproduces(self) -> None:
        tapegrad.manual_seed(123)
        first = (values(tapegrad.randn(4)), values(tapegrad.rand(4)))
        tapegrad.manual_seed(123)
        second = (values(tapegrad.randn(4)), values(tapegrad.rand(4)))
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])
        tapegrad.manual_seed(124)
        assert not np.array_equal(values(tapegrad.randn(4)), first[0])

    def test_like_functions(self) -> None:
        base = tapegrad.ones(2, 3, dtype=tapegrad.float64, requires_grad=True)
        for t, fill in (
            (tapegrad.ones_like(base), 1.0),
            (tapegrad.zeros_like(base), 0.0),
            (tapegrad.full_like(base, 2.5), 2.5),
        ):
            assert t.shape == (2, 3)
            assert t.dtype is tapegrad.float64  # the source's dtype
            assert not t.requires_grad  # but not its requires_grad
            assert np.all(values(t) == fill)
        assert tapegrad.ones_like(base, dtype=tapegrad.float32).dtype is tapegrad.float32
        assert tapegrad.zeros_like(base, requires_grad=True).requires_grad
        assert tapegrad.ones_like(tapegrad.arange(3)).dtype is tapegrad.int64

    def test_from_numpy_shares_memory(self) -> None:
        array = np.arange(4, dtype=np.float64)
        t = tapegrad.from_numpy(array)
        assert t.dtype is tapegrad.float64
        array[0] = 42.0
        assert t.tolist()[0] == 42.0
        t.numpy()[1] = -1.0
        assert array[1] == -1.0
        assert np.shares_memory(t.numpy(), array)

    def test_from_numpy_refuses_non_arrays(self) -> None:
        with pytest.raises(TypeError, match="expected np.ndarray"):
            tapegrad.from_numpy([1.0, 2.0])

    def test_as_tensor(self) -> None:
        array = np.ones(3, dtype=np.float32)
        t = tapegrad.as_tensor(array)
        assert np.shares_memory(t.numpy(), array)  # no cast needed: no copy
        cast = tapegrad.as_tensor(array, dtype=tapegrad.float64)
        assert cast.dtype is tapegrad.float64 and not np.shares_memory(cast.numpy(), array)
        same = tapegrad.tensor([1.0])
        assert tapegrad.as_tensor(same) is same
        assert tapegrad.as_tensor([1, 2]).dtype is tapegrad.int64

    def test_negative_size(self) -> None:
        with pytest.raises(RuntimeError, match="negative dimension"):
            tapegrad.ones(-1)


# ---------------------------------------------------------------------------- dtypes
class TestDtypes:
    def test_float_lists_are_float32(self) -> None:
        assert tapegrad.tensor([1.0, 2.0]).dtype is tapegrad.float32
        assert tapegrad.tensor(1.5).dtype is tapegrad.float32
        assert tapegrad.tensor([1, 2.5]).dtype is tapegrad.float32  # mixed: float

    def test_ints_are_int64(self) -> None:
        assert tapegrad.tensor([1, 2]).dtype is tapegrad.int64
        assert tapegrad.tensor(3).dtype is tapegrad.int64

    def test_bools_are_bool(self) -> None:
        assert tapegrad.tensor([True, False]).dtype is tapegrad.bool

    def test_float64_ndarray_stays_float64(self) -> None:
        assert tapegrad.tensor(np.array([1.0, 2.0])).dtype is tapegrad.float64
        assert tapegrad.from_numpy(np.zeros(2)).dtype is tapegrad.float64
        assert tapegrad.tensor(np.array([1, 2], dtype=np.int32)).dtype is tapegrad.int32

    def test_strings_are_refused(self) -> None:
        with pytest.raises(TypeError):
            tapegrad.tensor(["a", "b"])

    def test_default_dtype(self, default_dtype: None) -> None:
        assert tapegrad.get_default_dtype() is tapegrad.float32
        tapegrad.set_default_dtype(tapegrad.float64)
        assert tapegrad.get_default_dtype() is tapegrad.float64
        assert tapegrad.tensor([1.0]).dtype is tapegrad.float64
        assert tapegrad.ones(2).dtype is tapegrad.float64
        assert tapegrad.randn(2).dtype is tapegrad.float64
        assert tapegrad.tensor([1]).dtype is tapegrad.int64  # ints are not affected
        # float64 is now the default, so its repr does not name it
        assert repr(tapegrad.tensor([1.5])) == "tensor([1.5000])"
        assert repr(tapegrad.tensor([1.5], dtype=tapegrad.float32)) == "tensor([1.5000], dtype=tapegrad.float32)"

    def test_default_dtype_must_be_floating(self, default_dtype: None) -> None:
        with pytest.raises(TypeError, match="floating"):
            tapegrad.set_default_dtype(tapegrad.int64)
        assert tapegrad.get_default_dtype() is tapegrad.float32

    @pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
    @pytest.mark.parametrize("scalar", [2, 2.5, True, np.float64(2.5)])
    def test_python_scalars_never_widen_floats(self, dtype: str, scalar) -> None:
        x = tapegrad.ones(3, dtype=getattr(tapegrad, dtype))
        for result in (x + scalar, scalar + x, x * scalar, x - scalar, scalar / x, x ** scalar):
            assert result.dtype is x.dtype

    def test_python_scalars_never_widen_ints(self) -> None:
        x = tapegrad.ones(3, dtype=tapegrad.int32)
        assert (x + 2).dtype is tapegrad.int32
        assert (3 * x).dtype is tapegrad.int32
        assert (tapegrad.arange(3) * 2).dtype is tapegrad.int64

    def test_large_scalar_does_not_widen(self) -> None:
        assert (tapegrad.ones(2) * 1e30).dtype is tapegrad.float32

    def test_int_tensor_with_float_scalar_gives_default_float(self, default_dtype: None) -> None:
        # PyTorch: an int tensor meeting a Python float becomes the default float dtype
        # (torch.tensor([1, 2]) / 2 is float32), not float64 as NumPy 2's rule gives.
        assert (tapegrad.tensor([1, 2]) * 2.5).dtype is tapegrad.float32
        assert (tapegrad.tensor([1, 2]) / 2).dtype is tapegrad.float32
        tapegrad.set_default_dtype(tapegrad.float64)
        assert (tapegrad.tensor([1, 2]) * 2.5).dtype is tapegrad.float64

    def test_dtype_objects(self) -> None:
        assert repr(tapegrad.float32) == "tapegrad.float32"
        assert tapegrad.float32 is not tapegrad.float64
        assert tapegrad.tensor([1.0], dtype="float64").dtype is tapegrad.float64
        assert tapegrad.tensor([1.0], dtype=np.float64).dtype is tapegrad.float64


# ---------------------------------------------------------------------------- attributes
class TestAttributes:
    def test_data_shares_storage_and_has_no_history(self) -> None:
        x = tapegrad.ones(2, 2, requires_grad=True)
        y = x * 2
        for source in (x, y):
            d = source.data
            assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        d = x.data
        d.numpy()[0, 0] = 5.0
        assert x.detach().tolist()[0][0] == 5.0  # same storage

    def test_data_setter(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        x.data = tapegrad.zeros(2)
        assert x.detach().tolist() == [0.0, 0.0]
        assert x.requires_grad and x.is_leaf
        with pytest.raises(TypeError):
            x.data = np.zeros(2)

    def test_grad_is_settable(self) -> None:
        x = tapegrad.ones(2, 2, requires_grad=True)
        assert x.grad is None
        g = tapegrad.full((2, 2), 3.0)
        x.grad = g
        assert x.grad is g
        x.grad = None
        assert x.grad is None
        x.grad = g
        del x.grad
        assert x.grad is None

    def test_grad_shape_mismatch(self) -> None:
        x = tapegrad.ones(2, 2, requires_grad=True)
        with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
            x.grad = tapegrad.ones(3)
        assert x.grad is None

    def test_grad_must_be_tensor(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        with pytest.raises(TypeError, match="expected to be a Tensor or None"):
            x.grad = np.ones(2)

    def test_assigned_grad_accumulates(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        x.grad = tapegrad.ones(2)
        (x * 3).sum().backward()
        assert x.grad.tolist() == [4.0, 4.0]

    def test_grad_fn_requires_grad_is_leaf(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        c = tapegrad.ones(2)
        y = x + c
        assert x.grad_fn is None and x.is_leaf and x.requires_grad
        assert c.grad_fn is None and c.is_leaf and not c.requires_grad
        assert y.grad_fn is not None and not y.is_leaf and y.requires_grad
        assert y.grad_fn.name() == "AddBackward0"
        assert repr(y.grad_fn).startswith("<AddBackward0 object at 0x")

    def test_requires_grad_setter(self) -> None:
        x = tapegrad.ones(2)
        x.requires_grad = True
        assert x.requires_grad
        x.requires_grad = False
        assert not x.requires_grad

    def test_shape_and_size(self) -> None:
        x = tapegrad.zeros(2, 3, 4)
        assert x.shape == (2, 3, 4)
        assert isinstance(x.shape, tapegrad.Size)
        assert repr(x.shape) == "tapegrad.Size([2, 3, 4])"
        assert x.size() == (2, 3, 4)
        assert x.size(1) == 3 and x.size(-1) == 4
        with pytest.raises(IndexError, match="Dimension out of range"):
            x.size(3)
        assert x.dim() == 3 and x.ndim == 3
        assert x.numel() == 24 and x.shape.numel() == 24
        assert len(x) == 2

    def test_zero_dim(self) -> None:
        s = tapegrad.tensor(2.5)
        assert s.shape == () and s.dim() == 0 and s.numel() == 1
        with pytest.raises(TypeError, match="len"):
            len(s)

    def test_item(self) -> None:
        assert tapegrad.tensor(2.5).item() == 2.5
        assert isinstance(tapegrad.tensor(2.5).item(), float)
        assert isinstance(tapegrad.tensor(3).item(), int)
        assert tapegrad.tensor([[7.0]]).item() == 7.0
        assert tapegrad.tensor(1.0, requires_grad=True).item() == 1.0
        with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
            tapegrad.ones(2).item()

    def test_tolist(self) -> None:
        assert tapegrad.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
        assert tapegrad.tensor(3.0).tolist() == 3.0

    def test_numpy_shares_memory(self) -> None:
        x = tapegrad.zeros(3)
        a = x.numpy()
        assert isinstance(a, np.ndarray) and a.dtype == np.float32
        a[0] = 9.0
        assert x.tolist()[0] == 9.0

    def test_numpy_refused_while_requiring_grad(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
            x.numpy()
        assert x.detach().numpy().tolist() == [1.0, 1.0]

    def test_array_protocol(self) -> None:
        x = tapegrad.tensor([1.0, 2.0])
        a = np.asarray(x)
        assert a.dtype == np.float32 and a.tolist() == [1.0, 2.0]
        assert np.asarray(x, dtype=np.float64).dtype == np.float64
        assert np.array(x).tolist() == [1.0, 2.0]
        copied = np.array(x, copy=True)
        copied[0] = 100.0
        assert x.tolist() == [1.0, 2.0]

    def test_detach(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        y = x * 2
        d = y.detach()
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        d.numpy()[0] = 0.0
        assert y.detach().tolist() == [0.0, 2.0]  # shares storage
        assert y.requires_grad and y.grad_fn is not None  # y itself untouched

    def test_requires_grad_(self) -> None:
        x = tapegrad.ones(2)
        assert x.requires_grad_() is x
        assert x.requires_grad
        x.requires_grad_(False)
        assert not x.requires_grad
        y = tapegrad.ones(2, requires_grad=True) * 2
        assert y.requires_grad_(True) is y  # a no-op on a non-leaf that already requires grad

    def test_retain_grad(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        y = x * 3
        y.retain_grad()
        assert y.retains_grad and not x.retains_grad
        (y * y).sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # reading a retained non-leaf grad does not warn
            assert y.grad.tolist() == [6.0, 6.0]
        assert x.grad.tolist() == [18.0, 18.0]

    def test_retain_grad_on_leaf_is_a_no_op(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        x.retain_grad()
        x.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0]

    def test_bool_float_int(self) -> None:
        assert bool(tapegrad.tensor(1.0)) and not bool(tapegrad.tensor(0.0))
        assert float(tapegrad.tensor(2.5)) == 2.5 and int(tapegrad.tensor(3)) == 3
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(tapegrad.ones(2))


# ---------------------------------------------------------------------------- printing
class TestRepr:
    def test_plain(self) -> None:
        assert repr(tapegrad.ones(2, 2)) == "tensor([[1., 1.],\n        [1., 1.]])"
        assert str(tapegrad.ones(2)) == "tensor([1., 1.])"

    def test_requires_grad_suffix(self) -> None:
        assert repr(tapegrad.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"

    def test_grad_fn_suffix(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        assert repr(x + 2) == "tensor([3., 3.], grad_fn=<AddBackward0>)"
        assert repr((x * 3).mean()) == "tensor(3., grad_fn=<MeanBackward0>)"
        assert repr((x * x).sum()) == "tensor(2., grad_fn=<SumBackward0>)"
        assert repr(x / 2) == "tensor([0.5000, 0.5000], grad_fn=<DivBackward0>)"

    def test_dtype_suffix(self) -> None:
        assert repr(tapegrad.ones(2, dtype=tapegrad.float64)) == "tensor([1., 1.], dtype=tapegrad.float64)"
        assert repr(tapegrad.ones(2, dtype=tapegrad.int32)) == "tensor([1, 1], dtype=tapegrad.int32)"
        assert repr(tapegrad.ones(2, dtype=tapegrad.int64)) == "tensor([1, 1])"
        assert repr(tapegrad.tensor([True, False])) == "tensor([ True, False])"

    def test_dtype_and_grad_suffixes_together(self) -> None:
        x = tapegrad.ones(2, dtype=tapegrad.float64, requires_grad=True)
        assert repr(x) == "tensor([1., 1.], dtype=tapegrad.float64, requires_grad=True)"
        assert repr(x * 2) == "tensor([2., 2.], dtype=tapegrad.float64, grad_fn=<MulBackward0>)"

    def test_no_suffix_under_no_grad(self) -> None:
        x = tapegrad.ones(2, requires_grad=True)
        with tapegrad.no_grad():
            assert repr(x * 2) == "tensor([2., 2.])"

    def test_format(self) -> None:
        assert f"{tapegrad.tensor(2.5):.2f}" == "2.50"
        assert f"{tapegrad.ones(2)}" == "tensor([1., 1.])"


def test_iteration_transpose_and_matrix_transpose():
    m = tapegrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(m)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    assert rows[0].grad_fn is not None
    assert m.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    batch = tapegrad.ones(5, 2, 3)
    assert tuple(batch.mT.shape) == (5, 3, 2) and tuple(batch.T.shape) == (3, 2, 5)
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        tapegrad.ones(3).mT
    (m.T * tapegrad.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert m.grad.tolist() == [[1.0, 3.0], [2.0, 4.0]]
