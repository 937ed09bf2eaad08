"""Everyday Tensor methods PyTorch code uses on line one: views shaped like another tensor,
``new_*`` makers, ``masked_fill``, ``index_select``, comparisons of whole tensors, and
``where`` in PyTorch's method order (``clone`` and ``copy_`` are in ``filling``).

Most are composites of other ops (their gradients come from those ops); ``masked_fill`` is
an op with a VJP of its own, so that its node carries PyTorch's name (``MaskedFillBackward0``).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dims import axis
from tapegrad.dispatch import raise_if_not_broadcastable
from tapegrad.backends import numpy_dtype_of
from tapegrad.testing.samples import Sample
from tapegrad.registry import LaterModule

from .scalars import checked_scalar

if TYPE_CHECKING:
    from tapegrad import Registry, Tensor

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks


# ---------------------------------------------------------------------------- ops with a VJP
def _fill_value(name: str, value: Any) -> Any:
    from tapegrad import Tensor

    if type(value) is Tensor:
        if value.ndim != 0:
            raise RuntimeError(f"{name} only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        if value.requires_grad:
            raise NotImplementedError(f"{name} with a value tensor that requires grad is not supported yet; "
                                      "use tapegrad.where(mask, value, x) instead")
        return value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{name}(): argument 'value' must be a number or a 0-d Tensor, not {type(value).__name__}")
    return value


def _masked_fill(xp: Any, x: Any, mask: Any, *, value: Any) -> Any:
    """``x`` with ``value`` where ``mask`` is True (``mask`` broadcasts against ``x``)."""
    if not xp.isdtype(mask.dtype, "bool"):
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    fill = xp.asarray(checked_scalar(_fill_value("masked_fill", value), numpy_dtype_of(x)), dtype=x.dtype)
    try:
        return xp.where(mask, fill, x)
    except ValueError as exc:
        raise_if_not_broadcastable([x, mask], exc)
        raise


def _masked_fill_vjp(xp: Any, g: Any, ans: Any, x: Any, mask: Any, *, value: Any) -> Any:
    return xp.where(mask, xp.zeros_like(g), g)


def _isclose(xp: Any, a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Any:
    """Elementwise ``|a - b| <= atol + rtol * |b|``, infinities equal only to themselves."""
    exact = a == b
    finite = xp.isfinite(a) & xp.isfinite(b)
    fa, fb = xp.where(finite, a, 0), xp.where(finite, b, 0)  # no inf - inf: nothing to warn about
    close = exact | (finite & (xp.abs(fa - fb) <= atol + rtol * xp.abs(fb)))
    if equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    return close


# ---------------------------------------------------------------------------- composites
def _contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """``self`` where it is contiguous, else a copy of it laid out row-major.

    As PyTorch's: ``x.t().contiguous().view(-1)`` works where ``x.t().view(-1)`` is refused."""
    from .strides import is_contiguous

    return self if is_contiguous(self) else _row_major(self)


def _row_major(x: Tensor) -> Tensor:
    """A copy of ``x`` (``CloneBackward0``) whose memory is row-major, as PyTorch's ``contiguous`` makes it."""
    out = x.clone()
    if type(out._data) is np.ndarray and not out._data.flags.c_contiguous:
        out._data = np.ascontiguousarray(out._data)  # a fresh copy nothing else holds: the same values
        out._meta = None  # (the shape and dtype are the same; any write of _data resets the cache)
    return out


def _t(self: Tensor) -> Tensor:
    """The transpose of a matrix; a 0-D or 1-D tensor is returned as it is, as in PyTorch."""
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return self if self.ndim < 2 else self.transpose(0, 1)


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.view(other.shape)``."""
    return self.view(tuple(other.shape))


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.reshape(other.shape)``."""
    return self.reshape(tuple(other.shape))


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.expand(other.shape)``."""
    return self.expand(*tuple(other.shape))


def _new_maker(kind: str) -> Any:
    def new(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
            **kwargs: Any) -> Tensor:
        import tapegrad

        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        if kind == "tensor":
            (data,) = args
            return tapegrad.tensor(data.detach() if type(data) is tapegrad.Tensor else data, dtype=dtype,
                                   device=device, requires_grad=requires_grad)
        if kind == "full":
            size, fill_value = args
            return tapegrad.full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)
        maker = getattr(tapegrad, kind)
        return maker(*args, dtype=dtype, device=device, requires_grad=requires_grad, **kwargs)

    new.__name__ = new.__qualname__ = f"new_{kind}"
    new.__doc__ = (f"A new tensor from ``tapegrad.{kind}``, of this tensor's dtype and device unless "
                   "``dtype=`` or ``device=`` say otherwise; it does not require grad.")
    return new


def _index_select(self: Tensor, dim: int, index: Any) -> Tensor:
    """The entries of ``self`` at ``index`` (a 1-D or 0-D integer tensor) along ``dim``."""
    from tapegrad import Tensor as T
    from tapegrad.optable import lookup

    data = index._data if type(index) is T else np.asarray(index)
    if getattr(data, "dtype", None) is None or np.dtype(str(data.dtype)).kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = axis(dim, max(self.ndim, 1))
    if data.ndim == 0:
        data = data.reshape(1)
    if self.ndim == 0 and data.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {data.size} value(s)")
    _index_select_range(self, d, np.asarray(data))
    if self.ndim == 0:  # indexed as one dimension of size 1, the result 0-d again, as PyTorch's
        return lookup("getitem").apply(self.reshape(1), index=(data,)).reshape(())
    return lookup("getitem").apply(self, index=(slice(None),) * d + (data,))


def _index_select_range(x: Tensor, d: int, idx: np.ndarray) -> None:
    """Negative and out-of-range entries refused (getitem would wrap a negative one) as PyTorch 2.13's CPU
    kernel refuses them, by the path it takes: a tensor of 2 or more dims along dim 1, or empty, checks
    the whole index first (RuntimeError naming the first bad entry); every other call checks each entry
    (IndexError "index out of range in self")."""
    from .indexing import _out_of_range

    n = x.shape[d] if x.ndim else 1
    bad = _out_of_range(idx, 0, n)
    if bad is None:
        return
    if x.ndim > 1 and (d == 1 or x.numel() == 0):
        if n == 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    raise IndexError("index out of range in self")


def _allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """Whether every pair of elements is close (``isclose``), after broadcasting."""
    import tapegrad

    return bool(tapegrad.isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan).all().item())


def _equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and the same elements."""
    import tapegrad

    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(tapegrad.eq(input, other).all().item())


def _positive(input: Tensor) -> Tensor:
    """``+x``: ``x`` itself, as in PyTorch."""
    if input.dtype.name == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``x.where(condition, y)`` is ``where(condition, x, y)``: PyTorch's method order."""
    import tapegrad

    return tapegrad.where(condition, self, other)


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    registry.register_op(
        "masked_fill", forward=_masked_fill, vjp=(_masked_fill_vjp, None), saves=("inputs",),
        params=("value",), promotes=(0,), methods=("masked_fill",), inplace_methods=("masked_fill_",), batching="elementwise",
        reference=lambda x, mask, value: np.where(mask, value, x), edge_cases=ec.MASKED_FILL,
        samples=[Sample((2, 3), np.array([True, False, True]), value=2.0),
                 Sample((2, 3), np.array([[True], [False]]), value=-1.0)],
    )
    registry.register_op(
        "isclose", forward=_isclose, params=("rtol", "atol", "equal_nan"), methods=("isclose",),
        reference=np.isclose, edge_cases=ec.ISCLOSE, batching="elementwise",
        promotion=False,
    )
    # Python bools, and ``+x`` returning ``x`` itself (as PyTorch's does, even under no_grad): nothing
    # for the kit's checks, which expect a new tensor; tests/test_tensor_api.py checks them.
    registry.register_composite("allclose", _allclose, methods=("allclose",), samples=[],
                                reference=np.allclose)
    registry.register_composite("equal", _equal, methods=("equal",), samples=[],
                                reference=lambda a, b: a.shape == b.shape and bool(np.array_equal(a, b)))
    registry.register_composite("positive", _positive, methods=("positive",), samples=[],
                                reference=lambda x: x)
    registry.register_composite("contiguous", _contiguous, methods=("contiguous",), layout="contiguous",
                                samples=[Sample((2, 3)), Sample((3, 1)), Sample((0, 3))],  # size-1 and empty dims
                                reference=lambda x: x)
    registry.register_composite("t", _t, methods=("t",), samples=[Sample((2, 3)), Sample((3,))],
                                reference=lambda x: x.T)
    registry.register_composite("view_as", _view_as, methods=("view_as",), samples=[Sample((2, 3), (3, 2))],
                                reference=lambda x, other: np.reshape(x, other.shape, copy=False))  # refuses as view does
    registry.register_composite("reshape_as", _reshape_as, methods=("reshape_as",),
                                samples=[Sample((2, 3), (6,))], reference=lambda x, other: x.reshape(other.shape))
    registry.register_composite("expand_as", _expand_as, methods=("expand_as",),
                                samples=[Sample((1, 3), (2, 3))], reference=lambda x, other: np.broadcast_to(x, other.shape))
    registry.register_composite("index_select", _index_select, methods=("index_select",), edge_cases=ec.INDEX_SELECT,
                                node_name="IndexSelectBackward0",
                                samples=[Sample((4, 3), dim=0, index=np.array([2, 0, 2])),
                                         Sample((4, 3), dim=1, index=np.array([1])),
                                         Sample((4, 3), dim=1, index=np.array(2))],  # a 0-d index: one slice kept
                                reference=lambda x, dim, index: np.take(x, np.reshape(index, (-1,)), axis=dim))
    for kind in ("zeros", "ones", "empty", "full", "tensor"):
        registry.register_method(f"new_{kind}", _new_maker(kind))
    registry.register_method("where", _where_method)
